import { describe, expect, it } from "vitest";
import { framesText, setLabel, setMeaning } from "./sets";

describe("set labels", () => {
  const cases: [string | null | undefined, string | null, string][] = [
    ["bracket", "exposure bracket", "a bracket is an exposure bracket"],
    ["panorama", "panorama", "panorama"],
    ["focus_stack", "focus stack", "focus stack in words"],
    ["time_lapse", "time lapse", "an unknown kind shows as its words"],
    ["HDR-merge", "hdr merge", "dashes and case of an unknown kind"],
    ["constructor", "constructor", "no prototype key leaks in"],
    ["__", null, "nothing but separators is no label"],
    [null, null, "a burst is no set"],
    [undefined, null, "a DTO without the field"],
    ["", null, "an empty kind"],
  ];
  for (const [kind, want, name] of cases) {
    it(name, () => expect(setLabel(kind)).toBe(want));
  }
  it("says what a known set is for, nothing for others", () => {
    expect(setMeaning("bracket"), "bracket").toMatch(/on purpose, not faults/);
    expect(setMeaning("time_lapse"), "unknown").toBe("");
    expect(setMeaning(null), "burst").toBe("");
  });
});

describe("frames text", () => {
  const cases: [number, number, string, string][] = [
    [7, 7, "7 frames", "a group says its size"],
    [1, 1, "1 frame", "one frame is singular"],
    [5, 2, "2 of 5 frames", "filtered members"],
  ];
  for (const [total, shown, want, name] of cases) {
    it(name, () => expect(framesText(total, shown)).toBe(want));
  }
});
