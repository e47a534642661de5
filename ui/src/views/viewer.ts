// One photo in a pane, with zoom and pan driven by a shared `Zoom` (the loupe has one pane,
// compare has 2–4 that move together), the focus overlay and face boxes.

import type { PhotoDetailDto } from "../bindings/PhotoDetailDto";
import { h } from "../lib/dom";
import type { EyeKind, FaceMark } from "../lib/people";
import { FIT, pan, place, zoomAt, type Zoom } from "../lib/zoom";

export interface ZoomHost {
  zoom(): Zoom;
  setZoom(z: Zoom): void;
}

export class Viewer {
  readonly el: HTMLElement;
  private frame: HTMLElement;
  private img: HTMLImageElement;
  private canvas: HTMLCanvasElement;
  private marks: HTMLElement;
  private hud: HTMLElement;
  private loading: HTMLElement;
  private natural: [number, number] = [0, 0];
  private detail: PhotoDetailDto | null = null;
  /** Judged face boxes; null: the detail's faces as found. */
  private faces: FaceMark[] | null = null;
  overlay = false;
  private drag: { x: number; y: number } | null = null;

  constructor(private host: ZoomHost) {
    this.img = h("img", { alt: "", draggable: "false" });
    this.canvas = h("canvas", { class: "focus" });
    this.marks = h("div", { style: "position:absolute;inset:0;pointer-events:none" });
    this.frame = h("div", { class: "frame" }, this.img, this.canvas, this.marks);
    this.hud = h("div", { class: "hud" });
    this.loading = h("div", { class: "loading" }, "Loading preview…");
    this.el = h("div", { class: "viewer" }, this.frame, this.loading, this.hud);
    this.img.addEventListener("load", () => {
      this.natural = [this.img.naturalWidth, this.img.naturalHeight];
      this.loading.hidden = true;
      this.layout();
    });
    this.img.addEventListener("error", () => {
      this.loading.hidden = false;
      this.loading.textContent = "No preview for this photo (see the panel for why).";
    });
    this.el.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
    this.el.addEventListener("mousedown", (e) => {
      this.drag = { x: e.clientX, y: e.clientY };
      this.el.classList.add("dragging");
    });
    window.addEventListener("mousemove", (e) => this.onDrag(e));
    window.addEventListener("mouseup", () => {
      this.drag = null;
      this.el.classList.remove("dragging");
    });
    this.el.addEventListener("dblclick", (e) => {
      const z = this.host.zoom();
      if (z.scale !== "fit") return this.host.setZoom(FIT);
      const p = this.pointer(e);
      this.host.setZoom({ scale: 1 / (window.devicePixelRatio || 1), cx: p[0], cy: p[1] });
    });
    new ResizeObserver(() => this.layout()).observe(this.el);
  }

  show(src: string, detail: PhotoDetailDto | null): void {
    this.detail = detail;
    if (this.img.getAttribute("src") !== src) {
      this.loading.hidden = false;
      this.loading.textContent = "Loading preview…";
      this.natural = [detail?.width ?? 0, detail?.height ?? 0];
      this.img.src = src;
    }
    this.layout();
  }

  setDetail(detail: PhotoDetailDto | null): void {
    this.detail = detail;
    this.layout();
  }

  /** Draws these face boxes (eyes judged against the group) instead of the faces as found. */
  setFaces(faces: FaceMark[] | null): void {
    this.faces = faces;
    this.layout();
  }

  /** Places the image for the current zoom; redraws overlays. */
  layout(): void {
    const [w, hgt] = this.size();
    const pw = this.el.clientWidth;
    const ph = this.el.clientHeight;
    if (!w || !hgt || !pw || !ph) return;
    const p = place(this.host.zoom(), pw, ph, w, hgt);
    Object.assign(this.frame.style, { left: `${p.left}px`, top: `${p.top}px`, width: `${p.width}px`, height: `${p.height}px` });
    // Percent of image pixels per device pixel (100% = every pixel shown once).
    this.hud.textContent = `${Math.round(p.scale * (window.devicePixelRatio || 1) * 100)}%  ·  ${w}×${hgt}`;
    this.drawOverlay();
    this.drawMarks(p.width, p.height);
  }

  private size(): [number, number] {
    return this.natural[0] ? this.natural : [this.detail?.width ?? 0, this.detail?.height ?? 0];
  }

  private drawOverlay(): void {
    const d = this.detail;
    this.canvas.hidden = !this.overlay || !d || d.focusMap.length === 0;
    if (this.canvas.hidden || !d) return;
    const [fw, fh] = d.focusMapSize;
    if (this.canvas.width !== fw || this.canvas.height !== fh) {
      this.canvas.width = fw;
      this.canvas.height = fh;
    }
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    const data = ctx.createImageData(fw, fh);
    for (let i = 0; i < fw * fh; i++) {
      const v = d.focusMap[i] ?? 0;
      // Sharp regions glow green-yellow; soft ones stay untouched.
      const a = v < 90 ? 0 : Math.min(255, (v - 90) * 2);
      data.data[i * 4] = 120;
      data.data[i * 4 + 1] = 255;
      data.data[i * 4 + 2] = 40;
      data.data[i * 4 + 3] = a;
    }
    ctx.putImageData(data, 0, 0);
  }

  private drawMarks(w: number, hgt: number): void {
    const d = this.detail;
    this.marks.replaceChildren();
    const [iw, ih] = this.size();
    if (!iw || !ih) return;
    if (d && this.overlay && d.focusMap.length > 0) {
      const fp = h("div", { class: "focuspoint", title: "sharpest region" });
      fp.style.left = `${d.focusPoint[0] * w}px`;
      fp.style.top = `${d.focusPoint[1] * hgt}px`;
      this.marks.append(fp);
    }
    const faces: FaceMark[] = this.faces ?? (d?.faces ?? []).map((f) => ({ bbox: f.bbox, label: `eyes ${f.eyes}`, kind: rawKind(f.eyes) }));
    for (const f of faces) {
      const [x, y, fw, fh] = f.bbox;
      const box = h("div", { class: `facebox ${BOX_CLASS[f.kind]}` }, h("span", {}, f.label));
      Object.assign(box.style, { left: `${(x / iw) * w}px`, top: `${(y / ih) * hgt}px`, width: `${(fw / iw) * w}px`, height: `${(fh / ih) * hgt}px` });
      this.marks.append(box);
    }
  }

  private pointer(e: MouseEvent): [number, number] {
    const r = this.frame.getBoundingClientRect();
    const fx = r.width ? (e.clientX - r.left) / r.width : 0.5;
    const fy = r.height ? (e.clientY - r.top) / r.height : 0.5;
    return [Math.min(1, Math.max(0, fx)), Math.min(1, Math.max(0, fy))];
  }

  private currentScale(): number {
    const [w] = this.size();
    const r = this.frame.getBoundingClientRect();
    return w ? r.width / w : 1;
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const [px, py] = this.pointer(e);
    const factor = e.deltaY < 0 ? 1.25 : 0.8;
    this.host.setZoom(zoomAt(this.host.zoom(), factor, this.currentScale(), px, py, 0.5, 0.5));
  }

  private onDrag(e: MouseEvent): void {
    if (!this.drag) return;
    const dx = e.clientX - this.drag.x;
    const dy = e.clientY - this.drag.y;
    this.drag = { x: e.clientX, y: e.clientY };
    const [w, hgt] = this.size();
    this.host.setZoom(pan(this.host.zoom(), dx, dy, w, hgt, this.currentScale()));
  }
}

/** The face box's look for each eye state (colour; the label says it in words too). */
const BOX_CLASS: Record<EyeKind, string> = { open: "", half: "half", closed: "closed", down: "down", laughing: "laughing", kissing: "kissing", unsure: "uncertain", missing: "uncertain" };

/** A face as found (eyes read on the face alone: `open`, `closed`, `one-closed`, `uncertain`). */
function rawKind(eyes: string): EyeKind {
  if (eyes === "closed" || eyes === "one-closed") return "closed";
  return eyes === "uncertain" ? "unsure" : "open";
}
