// Culling while an import runs: the destination shoot opens as soon as the first frames land
// and is refreshed as more do, so the photographer starts before the copy ends. This decides
// when; the window does the opening (a full open the first time, then quiet refreshes that
// keep the cursor, the selection and the decisions).

/** What the window should start now. */
export type LiveStep = "open" | "refresh" | null;

export class LiveImport {
  /** Frames in place so far. */
  private landed = 0;
  /** Frames in place when the last opening or refresh started. */
  private shown = 0;
  private opened = false;
  private busy = false;
  private finished = false;
  private following = true;
  private lastAt = -Infinity;

  /**
   * @param dest the destination folder (the shoot followed)
   * @param gapMs the least time between two refreshes (each one scans the destination and
   *   analyzes what is new; a refresh per frame would spend the machine on rescanning)
   */
  constructor(
    readonly dest: string,
    private readonly gapMs = 2000,
  ) {}

  /** Frames landed so far (from the import's progress). */
  onLanded(landed: number, now: number): LiveStep {
    this.landed = Math.max(this.landed, landed);
    return this.step(now);
  }

  /** The opening or refresh this started has finished (or failed). */
  onShown(now: number): LiveStep {
    this.busy = false;
    return this.step(now);
  }

  /**
   * The import ended: one last refresh if frames landed since the last one (or the opening,
   * when nothing new landed: the destination's earlier imports are shown).
   */
  onFinished(now: number): LiveStep {
    this.finished = true;
    return this.step(now);
  }

  /** The photographer opened another shoot: stop following this one. */
  detach(): void {
    this.following = false;
  }

  /** Whether the import has ended. */
  get ended(): boolean {
    return this.finished;
  }

  /** Whether frames landed that the window does not show yet and nothing is running. */
  get behind(): boolean {
    return this.following && !this.busy && this.landed > this.shown;
  }

  /** Milliseconds until a refresh is due (to call `tick` then), or null when none waits. */
  waitMs(now: number): number | null {
    if (!this.behind || !this.opened || this.finished) return null;
    return Math.max(0, this.lastAt + this.gapMs - now);
  }

  /** What to start now (for a timer set from `waitMs`). */
  tick(now: number): LiveStep {
    return this.step(now);
  }

  private step(now: number): LiveStep {
    if (!this.following || this.busy) return null;
    let step: LiveStep = null;
    if (!this.opened) {
      if (this.landed > 0 || this.finished) step = "open";
    } else if (this.landed > this.shown && (this.finished || now - this.lastAt >= this.gapMs)) step = "refresh";
    if (step !== null) {
      this.opened = true;
      this.busy = true;
      this.shown = this.landed;
      this.lastAt = now;
    }
    return step;
  }
}
