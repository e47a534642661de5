import { describe, expect, it } from "vitest";
import { groupingWords, judgementWords, pickerGroups, weightWords } from "./profiles";

describe("profiles in words", () => {
  const weights: [number, string, string][] = [
    [1, "as usual", "the engine's own balance"],
    [0, "ignored", "a judgement switched off"],
    [2, "counts more", "twice"],
    [1.5, "counts more", "one and a half"],
    [0.5, "counts less", "half"],
    [0.25, "counts less", "a quarter"],
    [1.02, "as usual", "rounding noise is as usual"],
  ];
  for (const [w, want, name] of weights) it(`weight: ${name}`, () => expect(weightWords(w)).toBe(want));

  const groupings: [number, string][] = [
    [50, "normal (50)"],
    [100, "strict (100)"],
    [70, "strict (70)"],
    [0, "loose (0)"],
    [31, "normal (31)"],
  ];
  for (const [s, want] of groupings) it(`grouping ${s}`, () => expect(groupingWords(s)).toBe(want));

  it("names the judgements, and passes unknown ones through", () => {
    expect(judgementWords("eyes")).toBe("Closed and half-closed eyes");
    expect(judgementWords("constructor")).toBe("constructor");
    expect(judgementWords("sky")).toBe("sky");
  });

  it("lists presets first, then yours", () => {
    const list = [
      { name: "event", description: "", preset: true, learnedGroups: 3 },
      { name: "portrait", description: "", preset: true, learnedGroups: 0 },
      { name: "mine", description: "", preset: false, learnedGroups: 0 },
    ];
    expect(pickerGroups(list).map((g) => [g.label, g.profiles.map((p) => p.name)])).toEqual([
      ["Presets", ["event", "portrait"]],
      ["Yours", ["mine"]],
    ]);
    expect(pickerGroups(list.slice(0, 2)).map((g) => g.label)).toEqual(["Presets"]);
  });
});
