import { describe, expect, it } from "vitest";
import type { GroupDto } from "../bindings/GroupDto";
import type { PhotoDto } from "../bindings/PhotoDto";
import type { GroupInput } from "./filters";
import { faultBadge, mergeSuggestions, sameGrouping } from "./suggestions";

const photo = (id: number, best: boolean, rank: number, reasons: string[] = []): PhotoDto => ({
  id,
  relPath: `p${id}.jpg`,
  kind: "jpeg",
  timeMs: null,
  width: 10,
  height: 10,
  group: 1,
  best,
  rank,
  score: best ? 100 : 50,
  rejectCandidate: false,
  reasons,
  fault: null,
  eyesClosed: false,
  judgedFaces: [],
  error: null,
  decision: { photo: id, flag: "none", stars: 0, label: null },
});

const groups = (): GroupInput[] => [{ id: 1, members: [0, 1, 2], best: 0, set: null }];
const dto = (best: number): GroupDto[] => [{ id: 1, members: [0, 1, 2], best, set: null }];

describe("live re-ranking", () => {
  it("moves the pick and the reasons, keeps the decisions the window has", () => {
    const photos = [photo(10, true, 1), photo(11, false, 2), photo(12, false, 3)];
    photos[1] = { ...photos[1], decision: { photo: 11, flag: "pick", stars: 0, label: null } };
    const g = groups();
    const next = [photo(10, false, 2), photo(11, true, 1, ["brighter, as you usually prefer"]), photo(12, false, 3)];
    const merged = mergeSuggestions(photos, g, { photos: next, groups: dto(1) });
    expect(merged).toEqual({ changed: [0, 1], moved: [1] });
    expect(photos[1].best && photos[1].reasons[0]).toBe("brighter, as you usually prefer");
    expect(photos[1].decision.flag).toBe("pick");
    expect(g[0].best).toBe(1);
  });

  it("reports nothing when nothing moved", () => {
    const photos = [photo(10, true, 1), photo(11, false, 2), photo(12, false, 3)];
    expect(mergeSuggestions(photos, groups(), { photos: photos.map((p) => ({ ...p })), groups: dto(0) })).toEqual({ changed: [], moved: [] });
  });

  const cases: [string, PhotoDto[], GroupDto[]][] = [
    ["another shoot (other ids)", [photo(20, true, 1), photo(11, false, 2), photo(12, false, 3)], dto(0)],
    ["fewer photos", [photo(10, true, 1), photo(11, false, 2)], dto(0)],
    ["another grouping", [photo(10, true, 1), photo(11, false, 2), photo(12, false, 3)], [{ id: 1, members: [0, 1], best: 0, set: null }, { id: 2, members: [2], best: 2, set: null }]],
  ];
  for (const [name, next, nextGroups] of cases) {
    it(`asks for the whole view: ${name}`, () => {
      const photos = [photo(10, true, 1), photo(11, false, 2), photo(12, false, 3)];
      expect(mergeSuggestions(photos, groups(), { photos: next, groups: nextGroups })).toBeNull();
    });
  }

  it("compares groupings member by member", () => {
    expect(sameGrouping(groups(), dto(2))).toBe(true);
    expect(sameGrouping(groups(), [{ id: 1, members: [0, 2, 1], best: 0, set: null }])).toBe(false);
    expect(sameGrouping([], [])).toBe(true);
  });

  it("carries a changed fault badge over", () => {
    const photos = [photo(10, true, 1), photo(11, false, 2)];
    const g: GroupInput[] = [{ id: 1, members: [0, 1], best: 0, set: null }];
    const next = [photo(10, true, 1), { ...photo(11, false, 2), fault: "motion blur" }];
    const merged = mergeSuggestions(photos, g, { photos: next, groups: [{ id: 1, members: [0, 1], best: 0, set: null }] });
    expect(merged).toEqual({ changed: [1], moved: [] });
    expect(photos[1].fault).toBe("motion blur");
  });
});

describe("the thumbnail's fault badge", () => {
  it("names the heaviest fault, then a reject candidate, then a blink", () => {
    const p = photo(1, false, 2);
    expect(faultBadge(p)).toBeNull();
    expect(faultBadge({ ...p, eyesClosed: true })).toBe("eyes closed");
    expect(faultBadge({ ...p, rejectCandidate: true, eyesClosed: true })).toBe("suggested reject");
    expect(faultBadge({ ...p, rejectCandidate: true, fault: "motion blur", eyesClosed: true })).toBe("motion blur");
  });
});
