// The loupe: one photo large with its signals, reasons, histogram, focus overlay and 100%
// zoom on the focus point.

import type { DecisionDto } from "../bindings/DecisionDto";
import type { PhotoDetailDto } from "../bindings/PhotoDetailDto";
import type { PhotoDto } from "../bindings/PhotoDto";
import { h } from "../lib/dom";
import { eyeLook, judgedMarks } from "../lib/people";
import { FIT, toggleActual, type Zoom } from "../lib/zoom";
import { Viewer } from "./viewer";

export class LoupeView {
  readonly el: HTMLElement;
  private viewer: Viewer;
  private side: HTMLElement;
  private z: Zoom = FIT;
  private detail: PhotoDetailDto | null = null;
  private photo: PhotoDto | null = null;

  constructor() {
    this.viewer = new Viewer({ zoom: () => this.z, setZoom: (z) => this.setZoom(z) });
    this.side = h("aside", { class: "side" });
    this.el = h("div", { class: "loupe", "data-testid": "loupe" }, this.viewer.el, this.side);
  }

  setZoom(z: Zoom): void {
    this.z = z;
    this.viewer.layout();
  }

  toggleZoom(): void {
    this.setZoom(toggleActual(this.z, this.detail?.focusPoint ?? [0.5, 0.5], window.devicePixelRatio));
  }

  toggleOverlay(): void {
    this.viewer.overlay = !this.viewer.overlay;
    this.viewer.layout();
    if (this.photo) this.renderSide(this.photo, null);
  }

  /** Shows a photo; `detail` arrives later (null until then). */
  show(photo: PhotoDto, src: string, decision: DecisionDto, detail: PhotoDetailDto | null, groupInfo: string, groupSize = 1): void {
    if (this.photo?.id !== photo.id) this.z = FIT;
    this.groupSize = groupSize;
    this.photo = photo;
    this.detail = detail;
    this.viewer.show(src, detail);
    this.viewer.setFaces(judgedMarks(photo.judgedFaces));
    this.renderSide(photo, decision, groupInfo);
  }

  private lastDecision: DecisionDto | null = null;
  private lastGroupInfo = "";
  private groupSize = 1;

  private renderSide(p: PhotoDto, decision: DecisionDto | null, groupInfo?: string): void {
    if (decision) this.lastDecision = decision;
    if (groupInfo !== undefined) this.lastGroupInfo = groupInfo;
    const d = this.lastDecision;
    const x = this.detail;
    const num = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? "–" : v.toFixed(digits));
    const rows: [string, string][] = x
      ? [
          ["Sharpness (frame)", num(x.sharpness, 3)],
          ["Sharpness (peak)", num(x.peakSharpness, 3)],
          ["Exposure", `${x.exposureEv >= 0 ? "+" : ""}${num(x.exposureEv, 1)} EV`],
          ["Highlights clipped", `${num(x.clippedHighlights * 100, 1)}%`],
          ["Shadows clipped", `${num(x.clippedShadows * 100, 1)}%`],
          ["Noise", num(x.noise, 1)],
          ["JPEG quality", x.jpegQuality === null ? "–" : String(x.jpegQuality)],
          ["Size", `${x.width} × ${x.height}`],
        ]
      : [];
    const exif: [string, string][] = x
      ? ([
          ["Camera", x.camera ?? "–"],
          ["Lens", x.lens ?? "–"],
          ["Taken", x.taken?.replace("T", " ") ?? "–"],
          ["Exposure", x.exposureTime ? (x.exposureTime >= 1 ? `${x.exposureTime} s` : `1/${Math.round(1 / x.exposureTime)} s`) : "–"],
          ["Aperture", x.fNumber ? `f/${x.fNumber}` : "–"],
          ["ISO", x.iso ? String(x.iso) : "–"],
          ["Focal length", x.focalLength ? `${x.focalLength} mm` : "–"],
        ] as [string, string][])
      : [];
    const hist = h("canvas", { class: "hist", width: 256, height: 80 });
    if (x) drawHistogram(hist, x.histogram, x.clippedShadows, x.clippedHighlights);
    this.side.replaceChildren(h("div", {},
      h("h2", { "data-testid": "loupe-name" }, p.relPath),
      h("div", { class: "sub" }, this.lastGroupInfo),
      d
        ? h(
            "div",
            { class: "decision" },
            h("span", { class: `pill ${d.flag}`, "data-testid": "loupe-flag" }, d.flag === "none" ? "unflagged" : d.flag),
            h("span", { style: "color:var(--best)" }, d.stars ? "★".repeat(d.stars) : ""),
            d.label ? h("span", { class: `pill label-${d.label}`, style: "color:#111" }, d.label) : null,
          )
        : null,
      h("h3", {}, p.best && this.groupSize > 1 ? "Suggested pick — why" : "Why"),
      p.error ? h("div", {}, p.error) : h("ul", { class: "reasons" }, p.reasons.length ? p.reasons.map((r) => h("li", {}, r)) : h("li", {}, "no remarks")),
      x?.misfire ? h("div", { style: "color:var(--reject);margin-top:4px" }, `Misfire: ${x.misfire}`) : null,
      x?.warning ? h("div", { style: "color:var(--yellow);margin-top:4px" }, x.warning) : null,
      h("h3", {}, "Histogram"),
      hist,
      h("h3", {}, "View"),
      h(
        "div",
        { class: "toggles" },
        h("button", { class: this.viewer.overlay ? "on" : "", onclick: () => this.toggleOverlay() }, "Focus overlay (F)"),
        h("button", { onclick: () => this.toggleZoom() }, "100% at focus (Z)"),
      ),
      p.judgedFaces.length > 0
        ? [
            h("h3", {}, `Faces (${p.judgedFaces.length}, against the group)`),
            h("ul", { class: "reasons" }, p.judgedFaces.map((f) => h("li", {}, `${eyeLook(f.eyes).words} · sharpness ${Math.round(Math.min(1, Math.max(0, f.sharpness)) * 100)}% of the sharpest`))),
          ]
        : x && x.faces.length > 0
          ? [h("h3", {}, `Faces (${x.faces.length})`), h("ul", { class: "reasons" }, x.faces.map((f) => h("li", {}, `eyes ${f.eyes} · sharpness ${f.sharpness.toFixed(2)}`)))]
          : null,
      h("h3", {}, "Signals"),
      x ? table(rows) : h("div", { class: "sub" }, "Loading…"),
      h("h3", {}, "Camera"),
      x ? table(exif) : null,
    ));
  }

  refreshDecision(decision: DecisionDto): void {
    if (this.photo && decision.photo === this.photo.id) this.renderSide(this.photo, decision);
  }
}

function table(rows: [string, string][]): HTMLElement {
  return h("table", {}, rows.map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", {}, v))));
}

export function drawHistogram(c: HTMLCanvasElement, bins: number[], shadows: number, highlights: number): void {
  const ctx = c.getContext("2d");
  if (!ctx || bins.length === 0) return;
  const w = c.width;
  const hgt = c.height;
  ctx.clearRect(0, 0, w, hgt);
  const max = Math.max(1, ...bins);
  const bw = w / bins.length;
  ctx.fillStyle = "#9d9ea3";
  bins.forEach((v, i) => {
    const bh = (v / max) * (hgt - 4);
    ctx.fillRect(i * bw, hgt - bh, Math.ceil(bw), bh);
  });
  // Clipping markers at the ends.
  if (shadows > 0.005) {
    ctx.fillStyle = "#4d8ef7";
    ctx.fillRect(0, 0, 3, hgt);
  }
  if (highlights > 0.005) {
    ctx.fillStyle = "#e5534b";
    ctx.fillRect(w - 3, 0, 3, hgt);
  }
}
