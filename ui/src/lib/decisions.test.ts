import { describe, expect, it } from "vitest";
import type { ChangeDto } from "../bindings/ChangeDto";
import type { DecisionDto } from "../bindings/DecisionDto";
import { DecisionStore, applyChange, blank, labelChange } from "./decisions";

/** A stand-in for the catalog: decisions with an undo log, answering like the commands. */
class FakeCatalog {
  state = new Map<number, DecisionDto>();
  log: DecisionDto[][] = [];
  async decide(photos: number[], change: ChangeDto): Promise<DecisionDto[]> {
    this.log.push(photos.map((p) => this.state.get(p) ?? blank(p)));
    const next = photos.map((p) => applyChange(this.state.get(p) ?? blank(p), change));
    for (const d of next) this.state.set(d.photo, d);
    return next;
  }
  async undo(): Promise<DecisionDto[]> {
    const before = this.log.pop() ?? [];
    for (const d of before) this.state.set(d.photo, d);
    return before;
  }
}

describe("decisions", () => {
  it("applies each kind of change", () => {
    const d = blank(1);
    expect(applyChange(d, { kind: "flag", value: "pick" }).flag, "pick").toBe("pick");
    expect(applyChange(d, { kind: "stars", value: 9 }).stars, "stars are clamped").toBe(5);
    expect(applyChange(d, { kind: "label", value: "red" }).label, "label").toBe("red");
  });
  it("a label key toggles its label", () => {
    expect(labelChange(null, "red"), "set").toEqual({ kind: "label", value: "red" });
    expect(labelChange("red", "red"), "same key clears").toEqual({ kind: "label", value: null });
    expect(labelChange("blue", "red"), "another colour replaces").toEqual({ kind: "label", value: "red" });
  });
  it("undo restores what the catalog restored", async () => {
    const catalog = new FakeCatalog();
    const store = new DecisionStore();
    const remote = (p: number[], c: ChangeDto) => catalog.decide(p, c);
    await store.decide([1], { kind: "flag", value: "pick" }, remote);
    await store.decide([1], { kind: "stars", value: 3 }, remote);
    await store.decide([2], { kind: "flag", value: "reject" }, remote);
    expect(store.get(1), "after three actions").toMatchObject({ flag: "pick", stars: 3 });
    const changed = await store.history(() => catalog.undo());
    expect(changed, "undo touched photo 2").toEqual([2]);
    expect(store.get(2).flag, "reject undone").toBe("none");
    await store.history(() => catalog.undo());
    expect(store.get(1), "stars undone, pick kept").toMatchObject({ flag: "pick", stars: 0 });
    expect(await store.history(() => catalog.undo()), "third undo").toEqual([1]);
    expect(store.get(1).flag, "pick undone").toBe("none");
    expect(await store.history(() => catalog.undo()), "nothing left to undo").toEqual([]);
  });
  it("shows a change at once and rolls it back when the catalog refuses", async () => {
    const store = new DecisionStore();
    let seen: DecisionDto | null = null;
    const failing = async () => {
      seen = store.get(7);
      throw new Error("disk full");
    };
    await expect(store.decide([7], { kind: "flag", value: "pick" }, failing), "error rethrown").rejects.toThrow("disk full");
    expect(seen, "optimistic value visible while waiting").toMatchObject({ flag: "pick" });
    expect(store.get(7).flag, "rolled back").toBe("none");
  });
  it("tells listeners which photos changed", async () => {
    const store = new DecisionStore();
    const got: number[][] = [];
    store.onChange((ids) => got.push(ids));
    store.set([blank(1), blank(2)]);
    expect(got, "one notification with both ids").toEqual([[1, 2]]);
  });
});
