// What the keyboard and the toolbar do to the open shoot: a key becomes an action (lib/keymap)
// and the action a change: the cursor moves (Shift extends the selection), the mode switches,
// compare steps, a decision is applied at once to the selection (or the cursor's photo) and
// confirmed by the back end, then the cursor auto-advances; undo and redo, suggestions accepted;
// a pick or a reject re-ranks the shoot live; the profile picker and the grouping slider re-cull it.

import type { Backend } from "./api/backend";
import { toAppError } from "./api/core";
import type { ChangeDto } from "./bindings/ChangeDto";
import type { ShootViewDto } from "./bindings/ShootViewDto";
import { labelChange } from "./lib/decisions";
import { actionFor, type Action } from "./lib/keymap";
import { jumpGroup, move } from "./lib/layout";
import type { ShootModel } from "./model/shoot";
import type { WindowView } from "./views/window";
import { counted } from "./lib/words";

export class Actions {
  /** Live re-ranking after decisions: one request at a time, one more if asked meanwhile. */
  private reranking = false;
  private rerankAgain = false;

  constructor(
    private model: ShootModel,
    private view: WindowView,
    private api: Backend,
    /** Takes a whole new view of the shoot (model and window). */
    private applyView: (view: ShootViewDto) => void,
  ) {}

  onKey(e: KeyboardEvent): void {
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT") && e.key !== "Escape") return;
    const a = actionFor(e);
    if (!a) return;
    e.preventDefault();
    void this.act(a);
  }

  async act(a: Action): Promise<void> {
    const view = this.view;
    const mode = view.mode;
    if (a.type === "escape") {
      if (view.overlay) return view.closeOverlay();
      if (mode === "loupe" || mode === "compare") return view.setMode("grid");
      view.collapseSelection();
      return;
    }
    if (a.type === "help") return view.toggleHelp();
    if (mode === "empty" || this.model.photos.length === 0) return;
    const layout = view.grid.layout;
    const cur = this.model.cursorIndex();
    switch (a.type) {
      case "move":
      case "next":
      case "prev": {
        if (mode === "compare") return this.stepCompare(a.type === "move" ? (a.dir === "left" || a.dir === "up" ? -1 : 1) : a.type === "next" ? 1 : -1);
        const dir = a.type === "move" ? a.dir : a.type;
        const next = mode === "loupe" && (dir === "up" || dir === "down") ? move(layout, cur, dir === "up" ? "prev" : "next") : move(layout, cur, dir);
        return view.setCursor(next, a.type === "move" && a.extend ? "range" : "only");
      }
      case "selectAll":
      case "selectGroup":
        if (mode === "compare") return;
        if (a.type === "selectAll") return view.selectAll();
        if (cur !== null) view.selectAll(this.model.photos[cur].group);
        return;
      case "nextGroup":
      case "prevGroup":
        this.model.refIndex = null;
        view.setCursor(jumpGroup(layout, cur, a.type === "nextGroup" ? 1 : -1));
        if (view.mode === "compare") view.renderCompare();
        return;
      case "loupe":
        return view.setMode(mode === "loupe" ? "grid" : "loupe");
      case "compare":
        if (mode === "compare") return view.setMode("grid");
        this.model.refIndex = cur;
        return view.setMode("compare");
      case "reference":
        if (mode === "compare" && cur !== null) {
          this.model.refIndex = cur;
          view.renderCompare();
        }
        return;
      case "zoom":
        return view.toggleZoom();
      case "focusOverlay":
        return view.toggleFocusOverlay();
      case "flag":
        return this.change({ kind: "flag", value: a.flag });
      case "stars":
        return this.change({ kind: "stars", value: a.stars });
      case "label": {
        if (cur === null) return;
        return this.change(labelChange(this.model.decisionAt(cur).label, a.label));
      }
      case "undo":
      case "redo":
        return this.history(a.type);
      case "acceptGroup":
        if (cur !== null) return this.acceptGroup(this.model.photos[cur].group);
        return;
      case "acceptAll":
        return this.acceptAll();
    }
  }

  private stepCompare(step: 1 | -1): void {
    if (this.model.stepCompare(step)) this.view.renderCompare();
  }

  // ---- decisions ----

  /**
   * Applies `change` to `photos` (ids), by default to the selection (or the cursor's photo), as
   * one undoable action. A decision on the cursor's photo alone, in the grid or the loupe, then
   * moves the cursor to the next photo when auto-advance is on.
   */
  private async change(change: ChangeDto, photos?: number[]): Promise<void> {
    const ids = photos ?? this.model.targets(this.view.grid.layout.order);
    if (ids.length === 0) return;
    const cur = this.model.cursorIndex();
    const advance = photos === undefined && ids.length === 1 && this.model.autoAdvance && (this.view.mode === "grid" || this.view.mode === "loupe");
    const next = advance ? move(this.view.grid.layout, cur, "next") : null;
    try {
      // The decision shows at once; the cursor moves on before the catalog answers, so keys
      // pressed in quick succession land on the photos they were meant for.
      const saved = this.model.store.decide(ids, change, (p, c) => this.api.decide(p, c));
      if (next !== null && next !== cur) this.view.setCursor(next);
      await saved;
      if (ids.length > 1) this.view.say(`${counted(ids.length, "photo")} ${describe(change)} (Ctrl+Z undoes)`);
      // A pick or a reject teaches the profile: the suggestions may move.
      if (change.kind === "flag") void this.rerank();
    } catch (e) {
      this.view.say(`Not saved: ${toAppError(e).message}`, true);
    }
  }

  /** Ranks the open shoot again with what its profile learned, moving only the suggestions. */
  private async rerank(): Promise<void> {
    if (!this.api.engine || !this.model.analyzed || this.model.shoot === null) return;
    if (this.reranking) {
      this.rerankAgain = true;
      return;
    }
    this.reranking = true;
    try {
      do {
        this.rerankAgain = false;
        const shoot: number | null = this.model.shoot;
        const view = await this.api.currentView();
        if (view.shoot !== shoot || this.model.shoot !== shoot) return;
        const merged = this.model.mergeSuggestions(view);
        if (merged === null) {
          this.applyView(view);
          continue;
        }
        if (merged.changed.length === 0) continue;
        this.view.refreshGrid();
        this.view.renderOpenPhoto();
        if (merged.moved.length) this.view.say(`Learned from your picks: the suggestion moved in group${merged.moved.length === 1 ? "" : "s"} ${merged.moved.join(", ")}`);
      } while (this.rerankAgain);
    } catch (e) {
      this.view.say(`Suggestions not updated: ${toAppError(e).message}`, true);
    } finally {
      this.reranking = false;
    }
  }

  private async history(kind: "undo" | "redo"): Promise<void> {
    try {
      const changed = await this.model.store.history(() => (kind === "undo" ? this.api.undo() : this.api.redo()));
      if (changed.length === 0) this.view.say(kind === "undo" ? "Nothing to undo" : "Nothing to redo");
      else {
        void this.rerank();
        this.view.say(`${kind === "undo" ? "Undone" : "Redone"}: ${counted(changed.length, "photo")}`);
        const first = this.model.index(changed[0]);
        if (first !== undefined && this.view.mode === "grid") this.view.setCursor(first);
      }
    } catch (e) {
      this.view.say(toAppError(e).message, true);
    }
  }

  /** Picks the suggested frame of group `groupId`. */
  async acceptGroup(groupId: number): Promise<void> {
    const g = this.model.group(groupId);
    if (!g || g.best === null || g.members.length < 2) return;
    await this.change({ kind: "flag", value: "pick" }, [this.model.photos[g.best].id]);
    this.view.say(`Picked the suggested frame of group ${groupId}`);
  }

  /** Picks the suggested frame of every group. */
  async acceptAll(): Promise<void> {
    const ids = this.model.suggestedPicks();
    if (ids.length === 0) return;
    await this.change({ kind: "flag", value: "pick" }, ids);
    this.view.say(`Picked the suggested frame of ${counted(ids.length, "group")} (Ctrl+Z undoes)`);
  }

  // ---- profile and grouping ----

  /** The profiles for the picker. */
  async loadProfiles(): Promise<void> {
    if (!this.api.engine) return;
    try {
      this.model.profiles = await this.api.listProfiles();
      this.view.renderToolbar();
    } catch (e) {
      this.view.say(toAppError(e).message, true);
    }
  }

  /** Culls the open shoot with profile `name` (from stored signals; no file is read). */
  async useProfile(name: string): Promise<void> {
    if (!this.api.engine || !this.model.analyzed) return;
    try {
      this.applyView(await this.api.chooseProfile(name));
      this.view.say(`Ranked with the ${name} profile · grouping ${this.model.strictness} · ${counted(this.model.realGroups().length, "group")}`);
    } catch (e) {
      this.view.say(toAppError(e).message, true);
      this.view.renderToolbar();
    }
  }

  /** Groups the shoot again at the model's strictness. */
  async regroup(): Promise<void> {
    if (!this.api.engine || !this.model.analyzed) return;
    try {
      this.applyView(await this.api.regroup(this.model.strictness));
      this.view.say(`Regrouped: ${counted(this.model.realGroups().length, "group")}`);
    } catch (e) {
      this.view.say(toAppError(e).message, true);
    }
  }
}

/** A decision in words, for the status bar: "picked", "given 3 stars", "labelled red". */
function describe(change: ChangeDto): string {
  switch (change.kind) {
    case "flag":
      return change.value === "pick" ? "picked" : change.value === "reject" ? "rejected" : "unflagged";
    case "stars":
      return `given ${counted(change.value, "star")}`;
    case "label":
      return change.value === null ? "with the label cleared" : `labelled ${change.value}`;
  }
}
