import { describe, expect, it } from "vitest";
import type { DecisionDto } from "../bindings/DecisionDto";
import { NO_FILTER, SHOOTING_ORDER_GROUP, isFiltered, matches, visibleGroups, type Filter } from "./filters";

const d = (flag: DecisionDto["flag"], stars = 0, label: DecisionDto["label"] = null): DecisionDto => ({ photo: 1, flag, stars, label });

describe("matches", () => {
  const cases: [string, Filter, DecisionDto, boolean, boolean][] = [
    ["all shows everything", NO_FILTER, d("reject"), false, true],
    ["picks shows a pick", { ...NO_FILTER, flag: "picks" }, d("pick"), false, true],
    ["picks hides a reject", { ...NO_FILTER, flag: "picks" }, d("reject"), false, false],
    ["rejects shows a reject", { ...NO_FILTER, flag: "rejects" }, d("reject"), false, true],
    ["unrated shows untouched", { ...NO_FILTER, flag: "unrated" }, d("none"), false, true],
    ["unrated hides starred", { ...NO_FILTER, flag: "unrated" }, d("none", 2), false, false],
    ["unrated hides flagged", { ...NO_FILTER, flag: "unrated" }, d("pick"), false, false],
    ["stars ≥ 3 keeps 4", { ...NO_FILTER, minStars: 3 }, d("none", 4), false, true],
    ["stars ≥ 3 drops 2", { ...NO_FILTER, minStars: 3 }, d("none", 2), false, false],
    ["label red keeps red", { ...NO_FILTER, label: "red" }, d("none", 0, "red"), false, true],
    ["label red drops blue", { ...NO_FILTER, label: "red" }, d("none", 0, "blue"), false, false],
    ["eyes closed keeps blink", { ...NO_FILTER, eyesClosed: true }, d("none"), true, true],
    ["eyes closed drops open eyes", { ...NO_FILTER, eyesClosed: true }, d("none"), false, false],
    ["combined pick + 2 stars", { ...NO_FILTER, flag: "picks", minStars: 2 }, d("pick", 2), false, true],
    ["faults keeps a blink", { ...NO_FILTER, faults: true }, d("none"), true, true],
    ["faults drops a sound frame", { ...NO_FILTER, faults: true }, d("none"), false, false],
  ];
  for (const [name, f, dec, eyes, want] of cases) {
    it(name, () => expect(matches({ eyesClosed: eyes, fault: null, rejectCandidate: false }, dec, f), name).toBe(want));
  }
  it("faults keeps every frame with a badge", () => {
    const f = { ...NO_FILTER, faults: true };
    expect(matches({ eyesClosed: false, fault: "motion blur", rejectCandidate: false }, d("none"), f), "a fault").toBe(true);
    expect(matches({ eyesClosed: false, fault: null, rejectCandidate: true }, d("none"), f), "a reject candidate").toBe(true);
    expect(matches({ eyesClosed: false, fault: "motion blur", rejectCandidate: false }, d("pick"), { ...f, flag: "unrated" }), "and the other filters").toBe(false);
  });
  it("knows when a filter is on", () => {
    expect(isFiltered(NO_FILTER), "no filter").toBe(false);
    expect(isFiltered({ ...NO_FILTER, minStars: 1 }), "stars").toBe(true);
    expect(isFiltered({ ...NO_FILTER, faults: true }), "faults").toBe(true);
  });
});

describe("visibleGroups", () => {
  const photos = [
    { relPath: "a.jpg", timeMs: 3000, score: 50, eyesClosed: false, fault: null, rejectCandidate: false },
    { relPath: "b.jpg", timeMs: 1000, score: 90, eyesClosed: false, fault: null, rejectCandidate: false },
    { relPath: "c.jpg", timeMs: 2000, score: 70, eyesClosed: true, fault: "eyes closed", rejectCandidate: true },
    { relPath: "d.jpg", timeMs: null, score: 10, eyesClosed: false, fault: "out of focus", rejectCandidate: false },
  ];
  const groups = [
    { id: 1, members: [0, 1, 2], best: 1 },
    { id: 2, members: [3], best: 3 },
  ];
  const decisions = [d("pick"), d("none"), d("reject"), d("none")];
  it("sorts by time within a group", () => {
    const v = visibleGroups(groups, photos, (i) => decisions[i], NO_FILTER, "time");
    expect(v.map((g) => g.members), "time order").toEqual([[1, 2, 0], [3]]);
  });
  it("sorts by score within a group", () => {
    const v = visibleGroups(groups, photos, (i) => decisions[i], NO_FILTER, "score");
    expect(v[0].members, "score order").toEqual([1, 2, 0]);
  });
  it("drops groups left empty by a filter", () => {
    const v = visibleGroups(groups, photos, (i) => decisions[i], { ...NO_FILTER, flag: "picks" }, "time");
    expect(v, "only group 1 with its pick").toEqual([{ id: 1, members: [0], best: 1 }]);
  });
  it("eyes-closed filter", () => {
    const v = visibleGroups(groups, photos, (i) => decisions[i], { ...NO_FILTER, eyesClosed: true }, "time");
    expect(v.map((g) => g.members), "only the blink").toEqual([[2]]);
  });
  it("faults filter", () => {
    const v = visibleGroups(groups, photos, (i) => decisions[i], { ...NO_FILTER, faults: true }, "time");
    expect(v.map((g) => g.members), "the blink and the blurred frame").toEqual([[2], [3]]);
  });
  it("reviews in shooting order across groups that interleave in time", () => {
    const interleaved = [
      { id: 1, members: [0, 1], best: 1 },
      { id: 2, members: [2, 3], best: 2 },
    ];
    const v = visibleGroups(interleaved, photos, (i) => decisions[i], NO_FILTER, "shooting");
    expect(v, "one run by capture time, undated last").toEqual([{ id: SHOOTING_ORDER_GROUP, members: [1, 2, 0, 3], best: null }]);
    const filtered = visibleGroups(interleaved, photos, (i) => decisions[i], { ...NO_FILTER, flag: "unrated" }, "shooting");
    expect(filtered[0].members, "the filter still applies").toEqual([1, 3]);
    expect(visibleGroups(interleaved, photos, (i) => decisions[i], { ...NO_FILTER, minStars: 5 }, "shooting"), "nothing shown: no run").toEqual([]);
  });
});
