import { describe, expect, it } from "vitest";
import { Selection } from "./selection";

const ORDER = [10, 11, 12, 13, 14, 15];

describe("Selection", () => {
  it("acts on the cursor alone until more than one photo is selected", () => {
    const s = new Selection();
    s.only(12);
    expect(s.many).toBe(false);
    expect(s.targets(ORDER, 12)).toEqual([12]);
    expect(s.targets(ORDER, null)).toEqual([]);
  });

  it("extends a Shift range from the anchor, either way, replacing the range before", () => {
    const s = new Selection();
    s.only(12);
    s.range(ORDER, 14);
    expect(s.targets(ORDER, 14)).toEqual([12, 13, 14]);
    s.range(ORDER, 10);
    expect(s.targets(ORDER, 10)).toEqual([10, 11, 12]);
    expect(s.has(14)).toBe(false);
  });

  it("toggles with Ctrl and starts the next range there", () => {
    const s = new Selection();
    s.only(10);
    expect(s.toggle(13)).toBe(true);
    expect(s.targets(ORDER, 13)).toEqual([10, 13]);
    expect(s.toggle(10)).toBe(false);
    expect(s.targets(ORDER, 13)).toEqual([13]);
    s.toggle(15);
    s.range(ORDER, 14);
    expect(s.targets(ORDER, 14)).toEqual([14, 15]);
  });

  it("gives the selection in display order, and the cursor alone when it left the selection", () => {
    const s = new Selection();
    s.set([15, 11, 13], 11);
    expect(s.targets(ORDER, 13)).toEqual([11, 13, 15]);
    expect(s.targets(ORDER, 12)).toEqual([12]);
  });

  it("drops photos a filter hides, and a hidden anchor", () => {
    const s = new Selection();
    s.set([10, 11, 12], 10);
    s.keepOnly(new Set([11, 12, 13]));
    expect(s.targets(ORDER, 11)).toEqual([11, 12]);
    s.range(ORDER, 13);
    expect(s.targets(ORDER, 13)).toEqual([13]);
  });

  it("starts a range at the clicked photo when there is no anchor", () => {
    const s = new Selection();
    s.range(ORDER, 12);
    expect(s.size).toBe(1);
    expect(s.has(12)).toBe(true);
  });
});
