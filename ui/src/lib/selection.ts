// The grid's and the loupe's selection, with no DOM: which photos (by id) a decision applies
// to. A plain click or move selects one photo; Shift extends a range from the anchor in the
// order the grid shows; Ctrl/Cmd toggles one; Ctrl+A takes every visible photo; S takes the
// cursor's group. The cursor is always selected; with one photo selected the selection is the
// cursor alone, and decisions apply to it as they always have.

export class Selection {
  /** Selected photo ids. */
  private ids = new Set<number>();
  /** Where a Shift range starts (a photo id). */
  private anchor: number | null = null;

  /** Only photo `id` (null: nothing). */
  only(id: number | null): void {
    this.ids = new Set(id === null ? [] : [id]);
    this.anchor = id;
  }

  /** Adds or removes photo `id`; it becomes the anchor. True when it is selected now. */
  toggle(id: number): boolean {
    const on = !this.ids.has(id);
    if (on) this.ids.add(id);
    else this.ids.delete(id);
    this.anchor = id;
    return on;
  }

  /**
   * Every photo from the anchor to `id` in `order` (the ids as the grid shows them), both
   * included; the anchor stays. Without an anchor in `order`, `id` alone becomes the anchor.
   */
  range(order: readonly number[], id: number): void {
    const from = this.anchor === null ? -1 : order.indexOf(this.anchor);
    const to = order.indexOf(id);
    if (from < 0 || to < 0) return this.only(id);
    const [a, b] = from <= to ? [from, to] : [to, from];
    this.ids = new Set(order.slice(a, b + 1));
  }

  /** Exactly these photos (Ctrl+A, a group); the anchor becomes `anchor`. */
  set(ids: readonly number[], anchor: number | null): void {
    this.ids = new Set(ids);
    this.anchor = anchor;
  }

  /** Drops photos no longer shown (a filter changed, the shoot was regrouped). */
  keepOnly(shown: ReadonlySet<number>): void {
    for (const id of [...this.ids]) if (!shown.has(id)) this.ids.delete(id);
    if (this.anchor !== null && !shown.has(this.anchor)) this.anchor = null;
  }

  has(id: number): boolean {
    return this.ids.has(id);
  }

  get size(): number {
    return this.ids.size;
  }

  /** More than one photo: decisions apply to the whole selection. */
  get many(): boolean {
    return this.ids.size > 1;
  }

  /**
   * The photos a decision applies to, in `order`: the whole selection when it holds more than
   * one photo and the cursor is in it, else the cursor alone (none without a cursor).
   */
  targets(order: readonly number[], cursor: number | null): number[] {
    if (cursor === null) return [];
    if (!this.many || !this.ids.has(cursor)) return [cursor];
    return order.filter((id) => this.ids.has(id));
  }
}
