import { describe, expect, it } from "vitest";
import { LiveImport } from "./liveimport";

describe("LiveImport", () => {
  it("opens the destination when the first frame lands, not before", () => {
    const l = new LiveImport("/d", 2000);
    expect(l.onLanded(0, 0)).toBe(null);
    expect(l.onLanded(1, 10)).toBe("open");
    // Nothing else starts while the opening runs, however many frames land.
    expect(l.onLanded(5, 20)).toBe(null);
    expect(l.onLanded(9, 5000)).toBe(null);
  });

  it("refreshes after the opening when frames landed meanwhile, then at most once per gap", () => {
    const l = new LiveImport("/d", 2000);
    l.onLanded(1, 0);
    l.onLanded(4, 100);
    expect(l.onShown(3000)).toBe("refresh");
    expect(l.onShown(3500)).toBe(null);
    expect(l.onLanded(6, 4000)).toBe(null);
    expect(l.waitMs(4000)).toBe(1000);
    expect(l.tick(4999)).toBe(null);
    expect(l.tick(5000)).toBe("refresh");
    expect(l.waitMs(5100)).toBe(null);
  });

  it("waits for nothing when everything landed is shown", () => {
    const l = new LiveImport("/d", 2000);
    l.onLanded(3, 0);
    expect(l.onShown(100)).toBe(null);
    expect(l.behind).toBe(false);
    expect(l.waitMs(100)).toBe(null);
  });

  it("refreshes once more when the import ends, without waiting for the gap", () => {
    const l = new LiveImport("/d", 2000);
    l.onLanded(1, 0);
    l.onShown(10);
    l.onLanded(2, 20);
    expect(l.waitMs(30)).toBe(1970);
    expect(l.onFinished(30)).toBe("refresh");
    expect(l.onShown(800)).toBe(null);
    expect(l.waitMs(800)).toBe(null);
  });

  it("opens the destination at the end when nothing new landed (all imported before)", () => {
    const l = new LiveImport("/d");
    expect(l.onLanded(0, 0)).toBe(null);
    expect(l.onFinished(10)).toBe("open");
    expect(l.onShown(20)).toBe(null);
  });

  it("stops following when the photographer opens another shoot", () => {
    const l = new LiveImport("/d", 0);
    l.onLanded(1, 0);
    l.detach();
    expect(l.onShown(10)).toBe(null);
    expect(l.onLanded(5, 20)).toBe(null);
    expect(l.onFinished(30)).toBe(null);
  });
});
