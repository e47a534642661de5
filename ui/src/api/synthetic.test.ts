import { describe, expect, it } from "vitest";
import { SyntheticBackend, syntheticCount, syntheticShoot } from "./synthetic";

describe("synthetic mode", () => {
  it("is asked for in the address, capped at 200 000 photos", () => {
    expect(syntheticCount("#synthetic=10000")).toBe(10000);
    expect(syntheticCount("#synthetic=999999")).toBe(200_000);
    expect(syntheticCount("")).toBeNull();
  });

  it("generates a grouped shoot whose groups cover every photo once", () => {
    const v = syntheticShoot(500);
    expect(v.photos).toHaveLength(500);
    const members = v.groups.flatMap((g) => g.members).sort((a, b) => a - b);
    expect(members).toEqual(v.photos.map((_, i) => i));
    for (const g of v.groups) expect(g.best !== null && g.members.includes(g.best), `group ${g.id} best`).toBe(true);
  });
});

describe("the synthetic back end", () => {
  it("has the shoot from the start and no analysis engine", async () => {
    const b = new SyntheticBackend(20);
    expect(b.engine).toBe(false);
    expect(b.preloaded().photos).toHaveLength(20);
    expect(b.thumbUrl()).toBeNull();
    expect(b.previewUrl()).toBe("");
    expect(await b.photoDetail()).toBeNull();
    await expect(b.regroup()).rejects.toThrow(/no analysis engine/);
    expect(await b.networkLog()).toEqual([]);
  });

  it("keeps decisions in memory with undo and redo", async () => {
    const b = new SyntheticBackend(20);
    expect(await b.decide([1, 2], { kind: "flag", value: "pick" })).toEqual([
      { photo: 1, flag: "pick", stars: 0, label: null },
      { photo: 2, flag: "pick", stars: 0, label: null },
    ]);
    expect(await b.decide([1], { kind: "stars", value: 4 })).toEqual([{ photo: 1, flag: "pick", stars: 4, label: null }]);
    expect(await b.undo(), "undo the stars").toEqual([{ photo: 1, flag: "pick", stars: 0, label: null }]);
    expect(await b.undo(), "undo the picks").toEqual([
      { photo: 1, flag: "none", stars: 0, label: null },
      { photo: 2, flag: "none", stars: 0, label: null },
    ]);
    expect(await b.undo(), "nothing left").toEqual([]);
    expect(await b.redo(), "redo the picks").toEqual([
      { photo: 1, flag: "pick", stars: 0, label: null },
      { photo: 2, flag: "pick", stars: 0, label: null },
    ]);
    await b.decide([3], { kind: "label", value: "red" });
    expect(await b.redo(), "a new decision drops the redo").toEqual([]);
  });
});
