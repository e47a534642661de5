import { describe, expect, it } from "vitest";
import { counted } from "./words";

describe("counts in words", () => {
  it("takes the noun for that many", () => {
    expect(counted(1, "photo")).toBe("1 photo");
    expect(counted(0, "photo")).toBe("0 photos");
    expect(counted(36, "group")).toBe("36 groups");
    expect(counted(1, "reject candidate")).toBe("1 reject candidate");
  });
  it("takes an irregular plural", () => {
    expect(counted(2, "person", "people")).toBe("2 people");
    expect(counted(1, "person", "people")).toBe("1 person");
  });
});
