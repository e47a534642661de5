import { describe, expect, it } from "vitest";
import { FIT, pan, place, toggleActual, zoomAt } from "./zoom";

describe("zoom", () => {
  it("fit centres the whole image, never enlarging it", () => {
    expect(place(FIT, 1000, 500, 4000, 2000), "landscape").toEqual({ left: 0, top: 0, width: 1000, height: 500, scale: 0.25 });
    expect(place(FIT, 1000, 1000, 400, 200), "small image stays 100%").toMatchObject({ width: 400, left: 300, top: 400, scale: 1 });
  });
  it("100% at the focus point puts it in the centre, clamped to the edges", () => {
    const z = toggleActual(FIT, [0.5, 0.5]);
    expect(place(z, 1000, 500, 4000, 2000), "centre").toMatchObject({ left: -1500, top: -750, scale: 1 });
    const corner = toggleActual(FIT, [0, 0]);
    expect(place(corner, 1000, 500, 4000, 2000), "corner clamped").toMatchObject({ left: 0, top: 0 });
    expect(toggleActual(z, [0.2, 0.2]), "again returns to fit").toEqual(FIT);
    expect(toggleActual(FIT, [0.5, 0.5], 2).scale, "100% on a 2x screen is half the CSS size").toBe(0.5);
  });
  it("panning moves the centre by screen pixels / scale, synced as fractions", () => {
    const z = { scale: 1, cx: 0.5, cy: 0.5 };
    expect(pan(z, 400, 0, 4000, 2000, 1), "drag right 400 px").toEqual({ scale: 1, cx: 0.4, cy: 0.5 });
    expect(pan(FIT, 400, 0, 4000, 2000, 1), "no pan when fitted").toEqual(FIT);
  });
  it("wheel zoom keeps the point under the pointer", () => {
    const z = zoomAt({ scale: 1, cx: 0.5, cy: 0.5 }, 2, 1, 0.7, 0.5, 0.5, 0.5);
    expect(z.scale, "doubled").toBe(2);
    expect(z.cx, "centre moved halfway to the pointer").toBeCloseTo(0.6);
  });
});
