// Zoom and pan shared by the loupe and every pane of the compare view: a scale and the point
// of the image (as fractions of its size) that sits at the centre of the pane. Panes of
// different sizes showing images of different sizes stay in step because the state is in
// image fractions, not pixels.

export interface Zoom {
  /** `fit` = whole image in the pane; otherwise image pixels per screen pixel. */
  scale: "fit" | number;
  /** Image point at the pane centre, fractions 0..1. */
  cx: number;
  cy: number;
}

export const FIT: Zoom = { scale: "fit", cx: 0.5, cy: 0.5 };

export interface Placement {
  left: number;
  top: number;
  width: number;
  height: number;
  scale: number;
}

export function fitScale(paneW: number, paneH: number, imgW: number, imgH: number): number {
  if (imgW <= 0 || imgH <= 0) return 1;
  return Math.min(paneW / imgW, paneH / imgH, 1);
}

/** Where the image goes in a pane. Zoomed images never leave an empty edge inside the pane. */
export function place(z: Zoom, paneW: number, paneH: number, imgW: number, imgH: number): Placement {
  const s = z.scale === "fit" ? fitScale(paneW, paneH, imgW, imgH) : z.scale;
  const width = imgW * s;
  const height = imgH * s;
  if (z.scale === "fit") return { left: (paneW - width) / 2, top: (paneH - height) / 2, width, height, scale: s };
  const axis = (pane: number, size: number, c: number) => {
    if (size <= pane) return (pane - size) / 2;
    const pos = pane / 2 - c * size;
    return Math.min(0, Math.max(pane - size, pos));
  };
  return { left: axis(paneW, width, z.cx), top: axis(paneH, height, z.cy), width, height, scale: s };
}

/**
 * Toggle between fit and 100% centred on `focus` (the sharpest point). 100% means one image
 * pixel per device pixel, so on a 2× screen the image is drawn at half its CSS size.
 */
export function toggleActual(z: Zoom, focus: [number, number], devicePixelRatio = 1): Zoom {
  return z.scale === "fit" ? { scale: 1 / (devicePixelRatio || 1), cx: focus[0], cy: focus[1] } : FIT;
}

/** Pans by a drag of (dx, dy) screen pixels on an image drawn at `scale`. */
export function pan(z: Zoom, dx: number, dy: number, imgW: number, imgH: number, scale: number): Zoom {
  if (z.scale === "fit") return z;
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  return { ...z, cx: clamp(z.cx - dx / (imgW * scale)), cy: clamp(z.cy - dy / (imgH * scale)) };
}

/** Zooms by `factor` keeping the image point under the pointer (fractions px, py) in place. */
export function zoomAt(z: Zoom, factor: number, current: number, px: number, py: number, paneFx: number, paneFy: number): Zoom {
  const next = Math.min(8, Math.max(0.05, current * factor));
  // The point under the pointer stays: the centre moves toward it by 1 - current/next.
  const k = 1 - current / next;
  const cx = z.scale === "fit" ? 0.5 : z.cx;
  const cy = z.scale === "fit" ? 0.5 : z.cy;
  void paneFx;
  void paneFy;
  return { scale: next, cx: cx + (px - cx) * k, cy: cy + (py - cy) * k };
}
