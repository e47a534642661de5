// Compare: 2 to 4 frames of a group side by side with synced zoom and pan. The reference
// frame stays frozen in the first pane while the others step through the group. Under the
// panes, for a group with faces, the person-by-frame strip (who blinked where).

import type { DecisionDto } from "../bindings/DecisionDto";
import type { PhotoDetailDto } from "../bindings/PhotoDetailDto";
import type { PhotoDto } from "../bindings/PhotoDto";
import { h } from "../lib/dom";
import { judgedMarks, stripMarks, type Strip } from "../lib/people";
import { FIT, toggleActual, type Zoom } from "../lib/zoom";
import { peopleStrip, type StripHost } from "./people";
import { Viewer } from "./viewer";

export interface CompareHost extends StripHost {
  photo(index: number): PhotoDto;
  decision(index: number): DecisionDto;
  previewSrc(index: number): string;
  detail(index: number): Promise<PhotoDetailDto | null>;
  onSetCount(n: number): void;
}

/** What compare shows: photo indices, and words for the bar. */
export interface CompareShow {
  /** The frozen reference, in the first pane. */
  reference: number;
  /** The other frames, the active one first. */
  others: number[];
  active: number;
  /** Panes (2 to 4). */
  count: number;
  /** The bar's words: the group ("Group 3"), then frames and reference. */
  title: string;
  groupLabel: string;
  /** The set the group is, in words ("exposure bracket"), and what it is for. */
  set?: { label: string; meaning: string } | null;
  /** The group's person-by-frame strip, null without faces. */
  strip: Strip | null;
  /** The group's suggested pick. */
  pick: number | null;
}

export class CompareView {
  readonly el: HTMLElement;
  private panesEl: HTMLElement;
  private bar: HTMLElement;
  private stripEl: HTMLElement;
  private viewers: Viewer[] = [];
  private z: Zoom = FIT;
  private focus: [number, number] = [0.5, 0.5];

  constructor(private host: CompareHost) {
    this.bar = h("div", { class: "bar" });
    this.panesEl = h("div", { class: "panes" });
    this.stripEl = h("div", { class: "strip-slot" });
    this.el = h("div", { class: "compare", "data-testid": "compare" }, this.bar, this.panesEl, this.stripEl);
  }

  setZoom(z: Zoom): void {
    this.z = z;
    for (const v of this.viewers) v.layout();
  }

  toggleZoom(): void {
    this.setZoom(toggleActual(this.z, this.focus, window.devicePixelRatio));
  }

  /** Shows `reference` frozen in the first pane and `others` (the active one first) next to it. */
  show(view: CompareShow): void {
    const { reference, others, active, count, groupLabel } = view;
    const shown = [reference, ...others].slice(0, count);
    while (this.viewers.length < shown.length) this.viewers.push(new Viewer({ zoom: () => this.z, setZoom: (z) => this.setZoom(z) }));
    this.viewers.length = shown.length;
    const cols = shown.length <= 2 ? shown.length : 2;
    this.panesEl.style.gridTemplateColumns = `repeat(${cols}, 1fr)`;
    this.panesEl.style.gridTemplateRows = shown.length > 2 ? "1fr 1fr" : "1fr";
    this.bar.replaceChildren(
      h(
        "span",
        { class: "group", "data-testid": "compare-group" },
        h("span", {}, view.title),
        view.set ? h("span", { class: "set-badge", "data-testid": "set-badge", title: view.set.meaning }, view.set.label) : null,
        h("span", {}, `· ${groupLabel}`),
      ),
      h("span", { style: "margin-left:auto" }, "Frames:"),
      h(
        "span",
        { class: "segmented" },
        [2, 3, 4].map((n) => h("button", { class: n === count ? "on" : "", onclick: () => this.host.onSetCount(n) }, `${n}-up`)),
      ),
      h("span", { class: "hint" }, "← → step · R reference · Z 100% · P/X on the active frame · Esc back"),
    );
    const panes = shown.map((index, i) => {
      const p = this.host.photo(index);
      const d = this.host.decision(index);
      const v = this.viewers[i];
      v.show(this.host.previewSrc(index), null);
      v.setFaces(view.strip ? stripMarks(view.strip, index) : judgedMarks(p.judgedFaces));
      void this.host.detail(index).then((det) => {
        v.setDetail(det);
        if (i === 0 && det) this.focus = det.focusPoint;
      });
      const name = p.relPath.split("/").pop() ?? p.relPath;
      return h(
        "div",
        { class: `pane ${index === active ? "active" : ""}`, "data-photo": p.id },
        v.el,
        h("div", { class: `tag ${i === 0 ? "ref" : ""}` }, i === 0 ? "REFERENCE (frozen)" : index === active ? "ACTIVE" : "next"),
        d.flag !== "none" ? h("div", { class: `flagtag ${d.flag}` }, d.flag === "pick" ? "PICK" : "REJECT") : null,
        h("div", { class: "cap" }, `${name}${p.best ? "  · suggested pick" : ""}  ·  score ${p.score.toFixed(0)}${d.stars ? "  " + "★".repeat(d.stars) : ""}  ·  ${p.reasons[0] ?? ""}`),
      );
    });
    this.panesEl.replaceChildren(...panes);
    this.stripEl.replaceChildren(...(view.strip ? [peopleStrip(view.strip, { pick: view.pick, active, reference }, this.host)] : []));
    requestAnimationFrame(() => this.viewers.forEach((v) => v.layout()));
  }
}
