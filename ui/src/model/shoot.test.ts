import { describe, expect, it } from "vitest";
import type { ChangeDto } from "../bindings/ChangeDto";
import type { DecisionDto } from "../bindings/DecisionDto";
import type { GroupDto } from "../bindings/GroupDto";
import type { PhotoDto } from "../bindings/PhotoDto";
import type { ShootViewDto } from "../bindings/ShootViewDto";
import { applyChange } from "../lib/decisions";
import { buildLayout, jumpGroup, move, type LayoutOptions } from "../lib/layout";
import { ANALYZING_GROUP, ShootModel, blankPhoto } from "./shoot";

// Photo ids are not their indices (100 + index), so a mix-up of the two shows.
const id = (i: number) => 100 + i;

function photo(i: number, group: number, extra: Partial<PhotoDto> = {}): PhotoDto {
  return { ...blankPhoto(id(i), `day1/IMG_${i}.JPG`), kind: "jpeg", timeMs: 1000 * i, group, score: 50, rank: 2, ...extra };
}

/**
 * Eight photos: group 1 = 0..2 (best 1), group 2 = 3..6 (best 5, an exposure bracket), and
 * photo 7 could not be analyzed (group 0). Photo 4 has closed eyes, photo 3 is already picked.
 */
function view(over: Partial<ShootViewDto> = {}): ShootViewDto {
  const groups: GroupDto[] = [
    { id: 1, members: [0, 1, 2], best: 1, set: null },
    { id: 2, members: [3, 4, 5, 6], best: 5, set: "bracket" },
    { id: 0, members: [7], best: null, set: null },
  ];
  const photos = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => {
    const g = groups.find((x) => x.members.includes(i)) as GroupDto;
    return photo(i, g.id, { best: g.best === i, rank: g.best === i ? 1 : 2, score: 40 + i, eyesClosed: i === 4, error: i === 7 ? "not a photo" : null });
  });
  photos[3].decision = { photo: id(3), flag: "pick", stars: 2, label: null };
  return {
    shoot: 9,
    root: "/shoots/day1",
    photos,
    groups,
    status: { analyzedNow: 8, fromCache: 0, failed: 1, pending: 0, cancelled: false, seconds: 1 },
    skipped: 0,
    problems: [],
    profile: "portrait",
    strictness: 70,
    ...over,
  };
}

function loaded(): ShootModel {
  const m = new ShootModel();
  m.applyView(view());
  m.analyzed = true;
  return m;
}

/** The photo indices the grid shows, in order. */
const order = (m: ShootModel) => m.visible().flatMap((g) => g.members);

/** A catalog that answers with the change applied to what it is given. */
const echo = (m: ShootModel) => (photos: number[], change: ChangeDto) => Promise.resolve(photos.map((p): DecisionDto => applyChange(m.store.get(p), change)));

describe("loading a shoot", () => {
  it("lists the folder as placeholders in one analyzing group, the cursor on the first", () => {
    const m = new ShootModel();
    m.listed(4, "/shoots/x", [
      { id: 7, relPath: "a.jpg", thumbnail: true },
      { id: 3, relPath: "b.jpg", thumbnail: false },
    ]);
    expect(m.shoot).toBe(4);
    expect(m.photos.map((p) => [p.id, p.relPath, p.group])).toEqual([
      [7, "a.jpg", 0],
      [3, "b.jpg", 0],
    ]);
    expect(m.index(3)).toBe(1);
    expect(m.groupOf(1)).toEqual([0, 1]);
    expect(m.realGroups()).toEqual([]);
    expect(m.groupTitle(-1, [0, 1], null).title).toBe("Analyzing…");
    expect(m.cursorIndex()).toBe(0);
    expect(m.thumbState(0), "a thumbnail from the catalog").toBe("ready");
    expect(m.thumbState(1), "not yet").toBe("wait");
    expect(m.thumbArrived(3)).toBe(1);
    expect(m.thumbState(1)).toBe("ready");
    expect(m.thumbs.get(3), "the version of its address").toBe(1);
  });

  it("builds the groups and index maps from a view, with its decisions, profile and strictness", () => {
    const m = loaded();
    expect(m.shoot).toBe(9);
    expect(m.profile).toBe("portrait");
    expect(m.strictness).toBe(70);
    expect(m.realGroups().map((g) => g.id)).toEqual([1, 2]);
    expect(m.index(id(5))).toBe(5);
    expect(m.groupOf(4)).toEqual([3, 4, 5, 6]);
    expect(m.groupAt(4)?.set).toBe("bracket");
    expect(m.groupOf(7)).toEqual([7]);
    expect(m.decisionAt(3)).toEqual({ photo: id(3), flag: "pick", stars: 2, label: null });
    expect(m.decisionAt(0).flag).toBe("none");
    expect(m.suggestedPicks()).toEqual([id(1), id(5)]);
    expect(m.counts()).toEqual({ groups: 2, picks: 1, rejects: 0 });
    expect(m.thumbState(7), "an unreadable photo, analyzed").toBe("none");
  });

  it("says in words what a group and a frame are", () => {
    const m = loaded();
    expect(m.groupTitle(2, [3, 4, 5, 6], 5)).toEqual({ title: "Group 2", sub: "4 frames", bestName: "IMG_5.JPG", set: "exposure bracket", setMeaning: expect.stringContaining("several exposures") });
    expect(m.groupTitle(1, [0, 2], 1).sub, "some frames filtered out").toBe("2 of 3 frames");
    expect(m.groupTitle(0, [7], null).title).toBe("Could not be analyzed");
    expect(m.groupInfo(4)).toBe("frame 2 of 4 in group 2 (exposure bracket) · rank 2 · score 44");
    expect(m.groupInfo(7)).toBe("not analyzed");
  });

  it("forgets the shoot when cleared", () => {
    const m = loaded();
    m.clear();
    expect([m.shoot, m.root, m.photos.length, m.groups.length]).toEqual([null, "", 0, 0]);
    // Nothing points at a photo that is gone (the status bar read the cursor after Forget).
    expect(m.cursorIndex(), "no cursor").toBeNull();
    expect(m.counts()).toEqual({ groups: 0, picks: 0, rejects: 0 });
    expect(m.thumbArrived(id(6)), "no index for a forgotten photo").toBeUndefined();
  });
});

describe("decisions", () => {
  it("a change lands on the photo with that id, and the counts follow", async () => {
    const m = loaded();
    const seen: number[][] = [];
    m.store.onChange((ids) => seen.push(ids));
    await m.store.decide([id(6)], { kind: "flag", value: "reject" }, echo(m));
    expect(m.decisionAt(6).flag).toBe("reject");
    expect(m.decisionAt(5).flag, "its neighbour").toBe("none");
    expect(m.counts()).toEqual({ groups: 2, picks: 1, rejects: 1 });
    expect(seen[seen.length - 1]).toEqual([id(6)]);
    await m.store.decide([id(0), id(1)], { kind: "flag", value: "pick" }, echo(m));
    expect(m.picked().map((p) => p.relPath)).toEqual(["day1/IMG_0.JPG", "day1/IMG_1.JPG", "day1/IMG_3.JPG"]);
  });

  it("a refused change puts the decision back", async () => {
    const m = loaded();
    await expect(m.store.decide([id(2)], { kind: "stars", value: 5 }, () => Promise.reject(new Error("disk full")))).rejects.toThrow("disk full");
    expect(m.decisionAt(2).stars).toBe(0);
  });
});

describe("filter and sort", () => {
  it("shows everything in shooting order without a filter", () => {
    expect(order(loaded())).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("hides what does not match, dropping empty groups", async () => {
    const m = loaded();
    m.filter = { ...m.filter, flag: "picks" };
    expect(m.visible()).toEqual([{ id: 2, members: [3], best: 5 }]);
    await m.store.decide([id(0)], { kind: "flag", value: "pick" }, echo(m));
    expect(order(m), "a new pick shows").toEqual([0, 3]);
    m.filter = { flag: "all", minStars: 0, label: null, eyesClosed: true, faults: false };
    expect(order(m)).toEqual([4]);
    m.filter = { flag: "unrated", minStars: 0, label: null, eyesClosed: false, faults: false };
    expect(order(m), "decided photos hidden").toEqual([1, 2, 4, 5, 6, 7]);
  });

  it("sorts within a group by score, groups staying in shooting order", () => {
    const m = loaded();
    m.sort = "score";
    expect(order(m)).toEqual([2, 1, 0, 6, 5, 4, 3, 7]);
  });
});

describe("the cursor", () => {
  // 400 px, 90 px cells, 10 px gaps: 4 columns.
  const opts: LayoutOptions = { width: 400, minCell: 90, headerHeight: 30, aspect: 0.5, caption: 10, gap: 10 };

  it("starts on the first photo shown and moves across groups", () => {
    const m = loaded();
    const layout = buildLayout(m.visible(), opts);
    expect(m.placeCursor(layout.order[0])).toBe(true);
    expect(m.cursorIndex()).toBe(0);
    m.moveCursor(2);
    m.moveCursor(move(layout, m.cursorIndex(), "right") as number);
    expect(m.cursorIndex(), "→ from the last frame of group 1").toBe(3);
    m.moveCursor(move(layout, m.cursorIndex(), "up") as number);
    expect(m.cursorIndex(), "↑ to group 1's row, same column").toBe(0);
    m.moveCursor(jumpGroup(layout, m.cursorIndex(), 1) as number);
    expect(m.cursorIndex(), "G: the first frame of group 2").toBe(3);
    m.moveCursor(jumpGroup(layout, m.cursorIndex(), 1) as number);
    expect(m.cursorIndex(), "then the unreadable one").toBe(7);
    m.moveCursor(jumpGroup(layout, m.cursorIndex(), -1) as number);
    expect(m.cursorIndex()).toBe(3);
  });

  it("stays where the user put it when a new view comes, unless that photo is gone", () => {
    const m = loaded();
    m.placeCursor(0);
    expect(m.moveCursor(4), "returns where it was").toBe(0);
    m.applyView(view({ strictness: 100 }));
    expect(m.placeCursor(0)).toBe(false);
    expect(m.cursorIndex()).toBe(4);
    const fewer = view();
    fewer.photos = fewer.photos.slice(0, 4);
    fewer.groups = [{ id: 1, members: [0, 1, 2, 3], best: 1, set: null }];
    m.applyView(fewer);
    expect(m.placeCursor(1)).toBe(true);
    expect(m.cursorIndex()).toBe(1);
  });

  it("is not kept where it started on its own", () => {
    const m = loaded();
    m.placeCursor(4);
    m.applyView(view());
    expect(m.placeCursor(0)).toBe(true);
    expect(m.cursorIndex()).toBe(0);
  });
});

describe("compare", () => {
  it("keeps the reference while the cursor steps through the other frames", () => {
    const m = loaded();
    m.moveCursor(4);
    m.refIndex = 4;
    expect(m.compareFrames(), "the reference is the cursor: the next frame comes in").toEqual({ reference: 4, others: [3, 5, 6], active: 3 });
    expect(m.cursorIndex()).toBe(3);
    expect(m.stepCompare(1)).toBe(true);
    expect(m.compareFrames()).toEqual({ reference: 4, others: [5, 6, 3], active: 5 });
    m.stepCompare(1);
    m.stepCompare(1);
    expect(m.cursorIndex(), "wraps around").toBe(3);
    m.stepCompare(-1);
    expect(m.cursorIndex()).toBe(6);
  });

  it("takes the cursor as reference in another group; one frame has nothing to compare", () => {
    const m = loaded();
    m.refIndex = 4;
    m.moveCursor(0);
    expect(m.compareFrames()).toEqual({ reference: 0, others: [1, 2], active: 1 });
    m.moveCursor(7);
    expect(m.compareFrames()).toEqual({ reference: 7, others: [], active: 7 });
    expect(m.stepCompare(1)).toBe(false);
  });
});

describe("re-ranking", () => {
  it("moves only the suggestions when the grouping is the same", async () => {
    const m = loaded();
    await m.store.decide([id(0)], { kind: "stars", value: 3 }, echo(m));
    const next = view();
    next.groups[0].best = 2;
    next.photos[1] = { ...next.photos[1], best: false, rank: 2 };
    next.photos[2] = { ...next.photos[2], best: true, rank: 1, reasons: ["sharpest"] };
    const merged = m.mergeSuggestions(next);
    expect(merged).toEqual({ changed: [1, 2], moved: [1] });
    expect(m.groupAt(0)?.best, "the photo → group map follows").toBe(2);
    expect(m.photos[2].reasons).toEqual(["sharpest"]);
    expect(m.decisionAt(0).stars, "decisions stay as the window has them").toBe(3);
  });

  it("asks for the whole view when the grouping changed", () => {
    const m = loaded();
    const next = view();
    next.groups = [{ id: 1, members: [0, 1, 2, 3, 4, 5, 6], best: 1, set: null }, next.groups[2]];
    expect(m.mergeSuggestions(next)).toBeNull();
  });
});

describe("selecting many photos", () => {
  it("decides for the cursor alone until a range, a toggle or a group is selected", async () => {
    const m = loaded();
    const o = order(m);
    m.select(1, "only", o);
    expect(m.targets(o)).toEqual([id(1)]);
    expect(m.isSelected(1), "one photo: the cursor, not a selection").toBe(false);
    const changed = m.select(4, "range", o);
    expect(m.cursorIndex()).toBe(4);
    expect(m.targets(o), "Shift: the range in grid order").toEqual([1, 2, 3, 4].map(id));
    expect(changed.sort(), "every cell whose look changed").toEqual([1, 2, 3, 4]);
    m.select(2, "toggle", o);
    expect(m.targets(o), "Ctrl: one out").toEqual([1, 3, 4].map(id));
    expect(m.cursorIndex(), "the cursor goes to a photo still selected").toBe(1);
    await m.store.decide(m.targets(o), { kind: "flag", value: "reject" }, echo(m));
    expect([1, 2, 3, 4].map((i) => m.decisionAt(i).flag)).toEqual(["reject", "none", "reject", "reject"]);
  });

  it("selects every photo shown, or one group, and drops what a filter hides", () => {
    const m = loaded();
    m.select(0, "only", order(m));
    m.selectAll(order(m));
    expect(m.selection.size, "Ctrl+A: all shown").toBe(8);
    m.select(4, "only", order(m));
    m.selectAll(order(m), m.groupOf(4));
    expect(m.targets(order(m)), "S: the cursor's group").toEqual([3, 4, 5, 6].map(id));
    m.filter = { ...m.filter, flag: "unrated" };
    m.keepSelectionIn(order(m));
    expect(m.targets(order(m)), "the picked photo 3 is hidden now").toEqual([4, 5, 6].map(id));
  });

  it("reviews in shooting order across groups", () => {
    const m = loaded();
    m.sort = "shooting";
    const v = m.visible();
    expect(v.length, "one run").toBe(1);
    expect(v[0].members).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(m.groupTitle(v[0].id, v[0].members, null).title).toBe("Shooting order");
  });
});

describe("photos landing during an import", () => {
  const listedOf = (ids: number[]) => ids.map((i) => ({ id: id(i), relPath: `day1/IMG_${i}.JPG`, thumbnail: i < 8 }));

  it("keeps what is known of the photos shown, adds the new ones to an Analyzing group, keeps cursor and selection", () => {
    const m = loaded();
    m.cursorId = id(4);
    m.selection.only(id(4));
    m.selection.toggle(id(5));
    // Photo 8 landed between 2 and 3 (file order), photo 9 at the end.
    expect(m.relisted(9, listedOf([0, 1, 2, 8, 3, 4, 5, 6, 7, 9]))).toBe(true);
    expect(m.photos.map((p) => p.id)).toEqual([0, 1, 2, 8, 3, 4, 5, 6, 7, 9].map(id));
    expect(m.photos[5].eyesClosed).toBe(true);
    expect(m.group(2)?.members).toEqual([4, 5, 6, 7]);
    expect(m.group(2)?.best).toBe(6);
    expect(m.group(ANALYZING_GROUP)?.members).toEqual([3, 9]);
    expect(m.cursorIndex()).toBe(5);
    expect(m.selection.size).toBe(2);
    expect(m.decisionAt(4).flag).toBe("pick");
  });

  it("refuses another shoot", () => {
    const m = loaded();
    expect(m.relisted(10, listedOf([0]))).toBe(false);
    expect(m.photos.length).toBe(8);
  });

  it("keeps a decision made while the refresh ran over the refreshed view's older one", async () => {
    const m = loaded();
    m.relisted(9, listedOf([0, 1, 2, 3, 4, 5, 6, 7, 8]));
    await m.store.decide([id(0)], { kind: "flag", value: "reject" }, echo(m));
    const refreshed = view();
    refreshed.photos.push(photo(8, 1, { decision: { photo: id(8), flag: "pick", stars: 0, label: null } }));
    refreshed.groups[0].members.push(8);
    m.applyRefreshed(refreshed);
    expect(m.decisionAt(0).flag).toBe("reject");
    expect(m.decisionAt(3).flag).toBe("pick");
    expect(m.decisionAt(8).flag).toBe("pick");
    expect(m.group(ANALYZING_GROUP)).toBe(undefined);
  });
});
