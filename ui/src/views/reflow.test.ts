import { describe, expect, it } from "vitest";
import { reflow } from "./contribute";

describe("terms reflow", () => {
  it("joins wrapped lines, keeps headings, lists and paragraphs", () => {
    const text = "# Title\n\nFirst line\nwraps here.\n\n## Part\n- item one\n  continues\n- item two\nTail";
    expect(reflow(text), "reflowed").toBe("# Title\n\nFirst line wraps here.\n\n## Part\n- item one continues\n- item two Tail");
  });
});
