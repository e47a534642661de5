// Decisions in the window: applied at once (optimistically) when a key is pressed, confirmed
// or rolled back by the catalog's answer; undo and redo replace them with what the catalog
// says. The catalog owns the history; this store only mirrors it.

import type { ChangeDto } from "../bindings/ChangeDto";
import type { DecisionDto } from "../bindings/DecisionDto";
import type { LabelDto } from "../bindings/LabelDto";

export function blank(photo: number): DecisionDto {
  return { photo, flag: "none", stars: 0, label: null };
}

export function applyChange(d: DecisionDto, change: ChangeDto): DecisionDto {
  switch (change.kind) {
    case "flag":
      return { ...d, flag: change.value };
    case "stars":
      return { ...d, stars: Math.max(0, Math.min(5, change.value)) };
    case "label":
      return { ...d, label: change.value };
  }
}

/** Pressing a label key on a photo that has that label clears it (as in Lightroom). */
export function labelChange(current: LabelDto | null, pressed: LabelDto): ChangeDto {
  return { kind: "label", value: current === pressed ? null : pressed };
}

export class DecisionStore {
  private map = new Map<number, DecisionDto>();
  private listeners: ((ids: number[]) => void)[] = [];

  get(photo: number): DecisionDto {
    return this.map.get(photo) ?? blank(photo);
  }

  onChange(f: (ids: number[]) => void): void {
    this.listeners.push(f);
  }

  /** Replaces the decisions of the photos in `list` (the catalog's word). */
  set(list: DecisionDto[]): void {
    for (const d of list) this.map.set(d.photo, d);
    this.emit(list.map((d) => d.photo));
  }

  /** Forgets everything (another shoot). */
  reset(list: DecisionDto[] = []): void {
    this.map.clear();
    for (const d of list) this.map.set(d.photo, d);
  }

  /** Applies `change` locally; returns what to put back if the catalog refuses it. */
  applyLocal(photos: number[], change: ChangeDto): DecisionDto[] {
    const before = photos.map((p) => this.get(p));
    this.set(before.map((d) => applyChange(d, change)));
    return before;
  }

  /**
   * Applies a change now and asks the catalog; its answer replaces the local guess, a
   * failure puts the previous decisions back and is rethrown.
   */
  async decide(photos: number[], change: ChangeDto, remote: (photos: number[], change: ChangeDto) => Promise<DecisionDto[]>): Promise<DecisionDto[]> {
    const before = this.applyLocal(photos, change);
    try {
      const confirmed = await remote(photos, change);
      this.set(confirmed);
      return confirmed;
    } catch (e) {
      this.set(before);
      throw e;
    }
  }

  /** Undo/redo: the catalog returns the decisions it restored. */
  async history(remote: () => Promise<DecisionDto[]>): Promise<number[]> {
    const changed = await remote();
    this.set(changed);
    return changed.map((d) => d.photo);
  }

  private emit(ids: number[]): void {
    for (const l of this.listeners) l(ids);
  }
}
