// The grid: groups as a header row plus rows of cells, virtualized (only rows in view exist
// in the DOM, positioned absolutely from the precomputed layout, so nothing jumps).

import type { VisibleGroup } from "../lib/filters";
import { DEFAULT_LAYOUT, buildLayout, scrollToShow, visibleRows, type Layout, type Row } from "../lib/layout";
import { h } from "../lib/dom";
import { faultBadge } from "../lib/suggestions";
import type { PhotoDto } from "../bindings/PhotoDto";
import type { DecisionDto } from "../bindings/DecisionDto";

export interface GridHost {
  photo(index: number): PhotoDto;
  decision(index: number): DecisionDto;
  thumbSrc(index: number): string | null;
  /** `wait` = not ready yet, `none` = cannot be shown. */
  thumbState(index: number): "ready" | "wait" | "none";
  /** `set`: the set in words ("exposure bracket"), null for a burst; `setMeaning` what it is for. */
  groupTitle(groupId: number, members: number[], best: number | null): { title: string; sub: string; bestName: string | null; set: string | null; setMeaning: string };
  cursor(): number | null;
  /** One of several selected photos (decisions apply to them all). */
  selected(index: number): boolean;
  /** Frames in the photo's group (the pick of a one-frame group is not marked). */
  groupSize(index: number): number;
  onCellClick(index: number, e: MouseEvent): void;
  onCellDblClick(index: number): void;
  onAcceptGroup(groupId: number): void;
  onSelectGroup(groupId: number): void;
}

export class GridView {
  readonly el: HTMLElement;
  private canvas: HTMLElement;
  private tooltip: HTMLElement;
  layout: Layout;
  private groups: VisibleGroup[] = [];
  private rendered = new Map<number, HTMLElement>();
  private frame = 0;
  private width = 0;

  constructor(private host: GridHost) {
    this.canvas = h("div", { class: "grid-canvas" });
    this.el = h("div", { class: "grid-scroll", "data-testid": "grid" }, this.canvas);
    this.tooltip = h("div", { class: "tooltip", hidden: true });
    document.body.append(this.tooltip);
    this.layout = buildLayout([], { ...DEFAULT_LAYOUT, width: 800 });
    this.el.addEventListener("scroll", () => this.schedule(), { passive: true });
    new ResizeObserver(() => {
      const w = this.el.clientWidth - 24;
      if (w > 0 && w !== this.width) {
        this.width = w;
        this.relayout();
      }
    }).observe(this.el);
  }

  setGroups(groups: VisibleGroup[]): void {
    this.groups = groups;
    this.relayout();
  }

  private relayout(): void {
    const anchor = this.host.cursor();
    const w = this.width || Math.max(400, this.el.clientWidth - 24);
    this.layout = buildLayout(this.groups, { ...DEFAULT_LAYOUT, width: w });
    this.canvas.style.height = `${this.layout.totalHeight + 24}px`;
    this.clear();
    if (anchor !== null) this.reveal(anchor);
    this.render();
  }

  private clear(): void {
    for (const el of this.rendered.values()) el.remove();
    this.rendered.clear();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Renders the rows in view and drops the others. */
  render(): void {
    const [first, last] = visibleRows(this.layout, this.el.scrollTop, this.el.clientHeight || 800, 3);
    for (const [i, el] of this.rendered) {
      if (i < first || i > last) {
        el.remove();
        this.rendered.delete(i);
      }
    }
    for (let i = first; i <= last; i++) {
      if (!this.rendered.has(i)) {
        const el = this.renderRow(this.layout.rows[i]);
        this.rendered.set(i, el);
        this.canvas.append(el);
      }
    }
  }

  /** Redraws the rows holding these photos (decision changed, thumbnail arrived). */
  refresh(indices: Iterable<number>): void {
    const rows = new Set<number>();
    for (const p of indices) {
      const pos = this.layout.position.get(p);
      if (pos) rows.add(pos[0]);
    }
    for (const r of rows) {
      const old = this.rendered.get(r);
      if (!old) continue;
      const el = this.renderRow(this.layout.rows[r]);
      old.replaceWith(el);
      this.rendered.set(r, el);
    }
  }

  /** Scrolls so photo `index` is in view. */
  reveal(index: number): void {
    const pos = this.layout.position.get(index);
    if (!pos) return;
    const next = scrollToShow(this.layout, pos[0], this.el.scrollTop, this.el.clientHeight || 800);
    if (next !== this.el.scrollTop) this.el.scrollTop = next;
  }

  private renderRow(row: Row): HTMLElement {
    const el = h("div", { class: "grow" });
    el.style.top = `${row.top}px`;
    el.style.height = `${row.height}px`;
    if (row.kind === "header") {
      const g = this.groups[row.groupIndex];
      const t = this.host.groupTitle(g.id, g.members, g.best);
      el.append(
        h(
          "div",
          { class: "ghead", style: `height:${row.height}px` },
          h("b", {}, t.title),
          t.set ? h("span", { class: "set-badge", "data-testid": "set-badge", title: t.setMeaning }, t.set) : null,
          h("span", {}, t.sub),
          t.bestName ? h("span", { class: "best-name" }, `suggested: ${t.bestName}`) : null,
          g.id >= 0 && g.members.length > 1 ? h("button", { class: "select-group", title: "Select this group's photos shown (S): a decision then applies to all of them", "data-testid": "select-group", onclick: () => this.host.onSelectGroup(g.id) }, "Select") : null,
          g.id > 0 && g.best !== null && g.members.length > 1 ? h("button", { title: "Pick the suggested frame of this group (A)", onclick: () => this.host.onAcceptGroup(g.id) }, "Accept pick") : null,
        ),
      );
      return el;
    }
    const { cellWidth, cellHeight } = this.layout;
    const gap = DEFAULT_LAYOUT.gap;
    const cursor = this.host.cursor();
    row.items.forEach((index, col) => {
      el.append(this.renderCell(index, col * (cellWidth + gap), cellWidth, cellHeight, index === cursor));
    });
    return el;
  }

  private renderCell(index: number, left: number, w: number, hgt: number, isCursor: boolean): HTMLElement {
    const p = this.host.photo(index);
    const d = this.host.decision(index);
    const selected = this.host.selected(index);
    const cls = ["cell", isCursor ? "cursor" : "", selected ? "selected" : "", d.flag === "pick" ? "pick" : d.flag === "reject" ? "reject" : ""].join(" ");
    const cell = h("div", { class: cls, "aria-selected": selected || isCursor ? "true" : "false", "data-photo": p.id, "data-index": index, "data-flag": d.flag, "data-stars": d.stars, "data-label": d.label ?? "", "data-fault": faultBadge(p) ?? "" });
    cell.style.left = `${left}px`;
    cell.style.width = `${w}px`;
    cell.style.height = `${hgt}px`;
    const thumb = h("div", { class: "thumb" });
    thumb.style.height = `${hgt - 6 - 28}px`;
    const state = this.host.thumbState(index);
    const src = this.host.thumbSrc(index);
    if (state === "ready" && src) {
      const img = h("img", { src, alt: "", decoding: "async", draggable: "false" });
      img.addEventListener("error", () => img.replaceWith(h("div", { class: "wait" })));
      thumb.append(img);
    } else if (state === "ready") {
      // Synthetic data: a flat tone per photo instead of a picture.
      const tone = h("div", { class: "synthetic" });
      tone.style.cssText = `width:80%;height:80%;border-radius:3px;background:hsl(${(index * 47) % 360} 12% ${22 + (index % 7) * 3}%)`;
      thumb.append(tone);
    } else if (state === "none") {
      thumb.append(h("div", { class: "failed" }, p.error ?? "cannot be shown"));
    } else {
      thumb.append(h("div", { class: "wait" }));
    }
    cell.append(thumb);
    if (p.best && this.host.groupSize(index) > 1) cell.append(h("div", { class: "best", title: "suggested pick of its group" }, "BEST"));
    if (d.flag !== "none") cell.append(h("div", { class: "flag" }, d.flag === "pick" ? "P" : "X"));
    const fault = faultBadge(p);
    if (fault) cell.append(h("div", { class: "fault", title: p.reasons.join("\n") }, fault));
    const name = p.relPath.split("/").pop() ?? p.relPath;
    cell.append(
      h(
        "div",
        { class: "cap" },
        d.label ? h("span", { class: `dot label-${d.label}` }) : null,
        h("span", { class: "name" }, name),
        d.stars > 0 ? h("span", { class: "stars" }, "★".repeat(d.stars)) : null,
      ),
    );
    cell.addEventListener("click", (e) => this.host.onCellClick(index, e));
    cell.addEventListener("dblclick", () => this.host.onCellDblClick(index));
    cell.addEventListener("mouseenter", () => this.showTip(cell, p));
    cell.addEventListener("mouseleave", () => (this.tooltip.hidden = true));
    return cell;
  }

  private showTip(cell: HTMLElement, p: PhotoDto): void {
    if (p.reasons.length === 0 && !p.error) return;
    this.tooltip.replaceChildren(
      h(
        "div",
        {},
        h("div", { class: "t-name" }, p.relPath),
        p.group > 0 ? h("div", { class: "t-score" }, `${p.best ? "Suggested pick · " : ""}rank ${p.rank} in group ${p.group} · score ${p.score.toFixed(0)}`) : null,
        p.error ? h("div", {}, p.error) : h("ul", {}, p.reasons.map((r) => h("li", {}, r))),
      ),
    );
    const r = cell.getBoundingClientRect();
    this.tooltip.hidden = false;
    const tw = 320;
    const left = r.right + 8 + tw > window.innerWidth ? r.left - tw - 8 : r.right + 8;
    this.tooltip.style.left = `${Math.max(4, left)}px`;
    this.tooltip.style.top = `${Math.max(44, r.top)}px`;
  }

  hideTip(): void {
    this.tooltip.hidden = true;
  }
}
