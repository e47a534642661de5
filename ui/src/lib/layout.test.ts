import { describe, expect, it } from "vitest";
import { buildLayout, columnsFor, jumpGroup, move, rowAt, scrollToShow, visibleRows, type LayoutOptions } from "./layout";

const opts: LayoutOptions = { width: 400, minCell: 90, headerHeight: 30, aspect: 0.5, caption: 10, gap: 10 };
// 400 px with 90 px cells and 10 px gaps: 4 columns of 92 px; cell height 46 + 10 = 56, row 66.
const groups = [
  { id: 1, members: [0, 1, 2, 3, 4, 5], best: 0 },
  { id: 2, members: [6, 7], best: 7 },
  { id: 3, members: [8], best: 8 },
];

describe("layout", () => {
  const l = buildLayout(groups, opts);
  it("columns fill the width", () => {
    expect(columnsFor(400, 90, 10), "400 px").toBe(4);
    expect(columnsFor(50, 90, 10), "narrower than a cell").toBe(1);
    expect(l.cellWidth, "cell width").toBe(92);
  });
  it("rows: header + wrapped cells per group", () => {
    expect(l.rows.map((r) => r.kind), "row kinds").toEqual(["header", "cells", "cells", "header", "cells", "header", "cells"]);
    expect(l.rows.map((r) => r.top), "row tops").toEqual([0, 30, 96, 162, 192, 258, 288]);
    expect(l.totalHeight, "total height").toBe(354);
    expect(l.position.get(5), "photo 5 position").toEqual([2, 1]);
    expect(l.order, "display order").toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });
  it("10 000 photos lay out in linear time and render only what is visible", () => {
    const members = Array.from({ length: 10_000 }, (_, i) => i);
    const big = buildLayout([{ id: 1, members, best: 0 }], { ...opts, width: 1600, minCell: 180, gap: 6 });
    const [first, last] = visibleRows(big, 100_000, 900, 2);
    expect(last - first, "rows rendered for one screen").toBeLessThan(16);
    expect(big.rows[first].top, "first row above the viewport").toBeLessThanOrEqual(100_000);
    expect(big.rows[last].top + big.rows[last].height, "last row below the viewport").toBeGreaterThanOrEqual(100_900);
  });
  it("rowAt finds the row under a y", () => {
    const cases: [number, number][] = [[0, 0], [29, 0], [30, 1], [95, 1], [96, 2], [353, 6], [10_000, 6]];
    for (const [y, row] of cases) expect(rowAt(l.rows, y), `y=${y}`).toBe(row);
  });
});

describe("cursor moves", () => {
  const l = buildLayout(groups, opts);
  const cases: [string, number | null, Parameters<typeof move>[2], number | null][] = [
    ["right", 0, "right", 1],
    ["right wraps to the next row", 3, "right", 4],
    ["right crosses into the next group", 5, "right", 6],
    ["left at the start stays", 0, "left", 0],
    ["right at the end stays", 8, "right", 8],
    ["down keeps the column", 1, "down", 5],
    ["down into a shorter row clamps the column", 3, "down", 5],
    ["down across a group header", 5, "down", 7],
    ["up across a group header", 6, "up", 4],
    ["up at the top stays", 2, "up", 2],
    ["next", 4, "next", 5],
    ["prev", 4, "prev", 3],
    ["no cursor starts at the first photo", null, "down", 0],
  ];
  for (const [name, from, dir, want] of cases) {
    it(name, () => expect(move(l, from, dir), name).toBe(want));
  }
  it("G jumps to the first photo of the next group", () => {
    expect(jumpGroup(l, 2, 1), "group 1 → 2").toBe(6);
    expect(jumpGroup(l, 6, 1), "group 2 → 3").toBe(8);
    expect(jumpGroup(l, 8, 1), "last group stays").toBe(8);
    expect(jumpGroup(l, 7, -1), "back to group 1").toBe(0);
  });
  it("scrolls only when the row is out of view", () => {
    expect(scrollToShow(l, 1, 0, 200, 0), "visible: no scroll").toBe(0);
    expect(scrollToShow(l, 6, 0, 200, 0), "below: scroll down").toBe(154);
    expect(scrollToShow(l, 4, 300, 200, 0), "first row of a group shows its header").toBe(162);
  });
});
