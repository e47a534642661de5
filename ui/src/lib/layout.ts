// The grid's geometry: groups become a header row plus rows of cells, each row with a fixed
// top and height, so only the rows in view are rendered (virtualization) and nothing ever
// jumps. All of it is plain arithmetic, tested without a DOM.

import type { Direction } from "./keymap";
import type { VisibleGroup } from "./filters";

export interface HeaderRow {
  kind: "header";
  group: number;
  /** Position of the group in the visible list. */
  groupIndex: number;
  top: number;
  height: number;
}

export interface CellRow {
  kind: "cells";
  group: number;
  groupIndex: number;
  /** Photo indices in this row, left to right. */
  items: number[];
  top: number;
  height: number;
}

export type Row = HeaderRow | CellRow;

export interface Layout {
  rows: Row[];
  columns: number;
  cellWidth: number;
  cellHeight: number;
  totalHeight: number;
  /** photo index → [row index, column]. */
  position: Map<number, [number, number]>;
  /** Photo indices in display order. */
  order: number[];
  /** Per visible group: index of its first row. */
  groupStart: number[];
}

export interface LayoutOptions {
  width: number;
  /** Smallest cell width; cells stretch to fill the row. */
  minCell: number;
  headerHeight: number;
  /** Cell height = cell width × this + caption. */
  aspect: number;
  caption: number;
  gap: number;
}

export const DEFAULT_LAYOUT: Omit<LayoutOptions, "width"> = {
  minCell: 180,
  headerHeight: 34,
  aspect: 0.72,
  caption: 26,
  gap: 6,
};

export function columnsFor(width: number, minCell: number, gap: number): number {
  return Math.max(1, Math.floor((width + gap) / (minCell + gap)));
}

export function buildLayout(groups: VisibleGroup[], opts: LayoutOptions): Layout {
  const columns = columnsFor(opts.width, opts.minCell, opts.gap);
  const cellWidth = Math.floor((opts.width - opts.gap * (columns - 1)) / columns);
  const cellHeight = Math.round(cellWidth * opts.aspect) + opts.caption;
  const rows: Row[] = [];
  const position = new Map<number, [number, number]>();
  const order: number[] = [];
  const groupStart: number[] = [];
  let top = 0;
  groups.forEach((g, gi) => {
    groupStart.push(rows.length);
    rows.push({ kind: "header", group: g.id, groupIndex: gi, top, height: opts.headerHeight });
    top += opts.headerHeight;
    for (let i = 0; i < g.members.length; i += columns) {
      const items = g.members.slice(i, i + columns);
      items.forEach((p, col) => {
        position.set(p, [rows.length, col]);
        order.push(p);
      });
      rows.push({ kind: "cells", group: g.id, groupIndex: gi, items, top, height: cellHeight + opts.gap });
      top += cellHeight + opts.gap;
    }
  });
  return { rows, columns, cellWidth, cellHeight, totalHeight: top, position, order, groupStart };
}

/** First row whose bottom is below `y` (binary search over the row tops). */
export function rowAt(rows: Row[], y: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  if (hi < 0) return 0;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = rows[mid];
    if (r.top + r.height <= y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The rows to render for a viewport: [first, last] inclusive, with `overscan` extra rows. */
export function visibleRows(layout: Layout, scrollTop: number, viewport: number, overscan = 2): [number, number] {
  const n = layout.rows.length;
  if (n === 0) return [0, -1];
  const first = Math.max(0, rowAt(layout.rows, scrollTop) - overscan);
  const last = Math.min(n - 1, rowAt(layout.rows, scrollTop + viewport) + overscan);
  return [first, last];
}

/** Where the cursor goes for a move; `current` stays when there is nowhere to go. */
export function move(layout: Layout, current: number | null, dir: Direction | "next" | "prev"): number | null {
  if (layout.order.length === 0) return null;
  if (current === null || !layout.position.has(current)) return layout.order[0];
  const k = layout.order.indexOf(current);
  if (dir === "right" || dir === "next") return layout.order[Math.min(k + 1, layout.order.length - 1)];
  if (dir === "left" || dir === "prev") return layout.order[Math.max(k - 1, 0)];
  const [row, col] = layout.position.get(current) as [number, number];
  const step = dir === "down" ? 1 : -1;
  for (let r = row + step; r >= 0 && r < layout.rows.length; r += step) {
    const target = layout.rows[r];
    if (target.kind === "cells") return target.items[Math.min(col, target.items.length - 1)];
  }
  return current;
}

/** First photo of the next (or previous) group; stays in the last (first) group at the ends. */
export function jumpGroup(layout: Layout, current: number | null, step: 1 | -1): number | null {
  if (layout.order.length === 0) return null;
  if (current === null || !layout.position.has(current)) return layout.order[0];
  const [row] = layout.position.get(current) as [number, number];
  const gi = layout.rows[row].groupIndex;
  const target = Math.min(Math.max(gi + step, 0), layout.groupStart.length - 1);
  const first = layout.rows[layout.groupStart[target] + 1];
  return first && first.kind === "cells" ? first.items[0] : current;
}

/** The scroll position that brings row `r` into view with a margin, or `scrollTop` if it is. */
export function scrollToShow(layout: Layout, r: number, scrollTop: number, viewport: number, margin = 40): number {
  const row = layout.rows[r];
  if (!row) return scrollTop;
  // Show the group header with the first row of a group.
  const prev = layout.rows[r - 1];
  const top = prev && prev.kind === "header" ? prev.top : row.top;
  if (top - margin < scrollTop) return Math.max(0, top - margin);
  if (row.top + row.height + margin > scrollTop + viewport) return row.top + row.height + margin - viewport;
  return scrollTop;
}
