// The window's DOM: the toolbar, the stage (grid, loupe or compare; the empty state; drawers and
// toasts over it) and the status bar (counts, Import…, Report…, Contribute…, Network…, the
// current photo, progress, messages).
// It draws the shoot model and keeps the mode; what is only a matter of showing (the filter and
// sort, the cursor, compare's panes) it changes in the model itself; whatever needs the back
// end it hands to its host, the controller.

import type { PhotoDetailDto } from "../bindings/PhotoDetailDto";
import type { ShootInfoDto } from "../bindings/ShootInfoDto";
import { h } from "../lib/dom";
import { NO_FILTER, isFiltered, type Filter, type FlagFilter, type SortKey } from "../lib/filters";
import { buildStrip } from "../lib/people";
import { pickerGroups } from "../lib/profiles";
import { framesText, setLabel, setMeaning } from "../lib/sets";
import type { ShootModel } from "../model/shoot";
import { CompareView } from "./compare";
import { GridView } from "./grid";
import { LoupeView } from "./loupe";
import { helpOverlay } from "./panels";
import { counted } from "../lib/words";

export type Mode = "empty" | "grid" | "loupe" | "compare";

/** The sort picker's words. */
const SORT_NAMES: Record<SortKey, string> = { time: "time", score: "score", shooting: "all by time" };
/** The "Flagged" filter's choices: every photo, those with a fault badge, those with a blink. */
const FLAGGED_NAMES: Record<string, string> = { "": "any", faults: "faults", eyes: "blinks" };

/** What the window asks of the controller. */
export interface WindowHost {
  /** False without the analysis engine: the profile picker, the profile page and Report… are off. */
  readonly engine: boolean;
  thumbSrc(index: number): string | null;
  previewSrc(index: number): string;
  detail(index: number): Promise<PhotoDetailDto | null>;
  open(path: string): void;
  chooseFolder(): void;
  /** Stop the analysis. */
  cancel(): void;
  /** The grouping slider settled on the model's strictness. */
  regroup(): void;
  useProfile(name: string): void;
  acceptGroup(groupId: number): void;
  acceptAll(): void;
  openProfile(): void;
  openReport(): void;
  openExport(): void;
  openImport(): void;
  /** Stops the running import (what is in place stays). */
  stopImport(): void;
  openSettings(): void;
  openContribute(): void;
  openNetwork(): void;
}

/** What the empty state offers: the recent shoots, the sample, and why the last opening failed. */
export interface Home {
  recent: ShootInfoDto[];
  sample: string | null;
  error: string | null;
}

export class WindowView {
  readonly home: Home = { recent: [], sample: null, error: null };
  readonly grid: GridView;
  private loupe = new LoupeView();
  private compare: CompareView;
  private currentMode: Mode = "empty";
  private overlayEl: HTMLElement | null = null;
  private toolbar: HTMLElement;
  private stage: HTMLElement;
  private progress: HTMLElement;
  private importing: HTMLElement;
  private importingText: HTMLElement;
  private progressBar: HTMLElement;
  private progressText: HTMLElement;
  private msg: HTMLElement;
  /** The message is the many-photos selection's hint: it goes when the selection does. */
  private selectionHint = false;
  private counts: HTMLElement;
  private reportButton: HTMLButtonElement;
  private current: HTMLElement;
  private toastTimer = 0;

  constructor(
    rootEl: HTMLElement,
    private model: ShootModel,
    private host: WindowHost,
  ) {
    this.grid = new GridView({
      photo: (i) => model.photos[i],
      decision: (i) => model.decisionAt(i),
      thumbSrc: (i) => host.thumbSrc(i),
      thumbState: (i) => model.thumbState(i),
      groupTitle: (id, members, best) => model.groupTitle(id, members, best),
      groupSize: (i) => model.groupOf(i).length,
      cursor: () => model.cursorIndex(),
      selected: (i) => model.isSelected(i),
      onCellClick: (i, e) => this.setCursor(i, e.shiftKey ? "range" : e.ctrlKey || e.metaKey ? "toggle" : "only"),
      onCellDblClick: (i) => {
        this.setCursor(i);
        this.setMode("loupe");
      },
      onAcceptGroup: (g) => host.acceptGroup(g),
      onSelectGroup: (g) => this.selectAll(g),
    });
    this.compare = new CompareView({
      photo: (i) => model.photos[i],
      decision: (i) => model.decisionAt(i),
      previewSrc: (i) => host.previewSrc(i),
      detail: (i) => host.detail(i),
      onSetCount: (n) => {
        model.compareCount = n;
        this.renderCompare();
      },
      thumbSrc: (i) => (model.thumbs.has(model.photos[i].id) ? host.thumbSrc(i) : null),
      size: (i) => [model.photos[i].width, model.photos[i].height],
      onFocusFrame: (i) => this.focusFrame(i),
    });
    this.progressBar = h("div");
    this.progressText = h("span", { "data-testid": "progress-text" });
    this.progress = h(
      "div",
      { class: "progress", hidden: true },
      h("div", { class: "bar" }, this.progressBar),
      this.progressText,
      h("button", { onclick: () => host.cancel(), title: "Stop the analysis (finished photos are kept)" }, "Cancel"),
    );
    this.importingText = h("span", { "data-testid": "import-live-text" });
    this.importing = h(
      "div",
      { class: "importing", hidden: true, "data-testid": "import-live" },
      this.importingText,
      h("button", { "data-testid": "import-stop-live", onclick: () => host.stopImport(), title: "Stop the import (every copy in place is verified and kept; importing again goes on from there)" }, "Stop"),
    );
    this.toolbar = h("header", { class: "toolbar" });
    this.stage = h("main", { class: "stage" }, h("div", { class: "dropzone-hint" }, "Drop a folder to open it"));
    this.counts = h("span", { "data-testid": "counts" });
    this.current = h("span", { "data-testid": "current" });
    this.msg = h("span", { class: "msg", "data-testid": "message" });
    this.reportButton = h(
      "button",
      { class: "link", "data-testid": "report-open", disabled: true, title: "Trust report: how often your pick was the suggestion, and where it was not", onclick: () => host.openReport() },
      "Report…",
    );
    const network = h(
      "button",
      { class: "link", "data-testid": "network-open", title: "Network: every connection bestpick made (only the opt-in contribution ever connects)", onclick: () => host.openNetwork() },
      "Network…",
    );
    // In the status bar, not the toolbar: the toolbar is full at 1440 px. Contributing
    // (opt-in) sits beside the network log it is the only entry of.
    const importButton = h(
      "button",
      { class: "link", "data-testid": "import-open", title: "Import: copy new photos from a card into dated folders, verified", onclick: () => host.openImport() },
      "Import…",
    );
    const contribute = h("button", { class: "link", onclick: () => host.openContribute(), title: "Opt-in: share photos to improve bestpick" }, "Contribute…");
    const status = h("footer", { class: "statusbar" }, this.counts, importButton, this.importing, this.reportButton, contribute, network, this.current, this.progress, this.msg);
    rootEl.append(this.toolbar, this.stage, status);
    this.renderToolbar();
  }

  get mode(): Mode {
    return this.currentMode;
  }

  /** The drawer or overlay over the stage, if one is open. */
  get overlay(): HTMLElement | null {
    return this.overlayEl;
  }

  /** `opening`, `analyzing`, `ready` or `error`: on the body, for the styles and the e2e suite. */
  setState(state: string): void {
    document.body.dataset.state = state;
  }

  // ---- the shoot ----

  /** The model took a new view of the shoot: the grid, the cursor and the chrome follow. */
  shootChanged(): void {
    if (this.currentMode === "empty" && this.model.photos.length) this.setMode("grid");
    this.refreshGrid();
    const first = this.grid.layout.order[0];
    const before = this.model.cursorIndex();
    if (this.model.placeCursor(first)) {
      // The row drawn with the cursor where it was loses it, the first row gets it.
      this.grid.refresh([...(before === null ? [] : [before]), ...this.grid.layout.order.slice(0, 1)]);
      if (first !== undefined) this.grid.reveal(first);
    }
    this.renderStatus();
    this.renderToolbar();
    this.renderOpenPhoto();
  }

  /** The loupe or compare again, for the cursor as it is now. */
  renderOpenPhoto(): void {
    if (this.currentMode === "loupe") this.renderLoupe();
    if (this.currentMode === "compare") this.renderCompare();
  }

  /** Decisions of the photos `ids` changed. */
  decisionsChanged(ids: number[]): void {
    const indices = ids.map((id) => this.model.index(id)).filter((i): i is number => i !== undefined);
    if (isFiltered(this.model.filter)) this.refreshGrid();
    else this.grid.refresh(indices);
    if (this.currentMode === "loupe") for (const id of ids) this.loupe.refreshDecision(this.model.store.get(id));
    if (this.currentMode === "compare") this.renderCompare();
    this.renderStatus();
  }

  refreshGrid(): void {
    this.grid.setGroups(this.model.visible());
    this.model.keepSelectionIn(this.grid.layout.order);
    this.renderStatus();
  }

  setFilter(f: Partial<Filter>): void {
    this.model.filter = { ...this.model.filter, ...f };
    this.refreshGrid();
    this.renderToolbar();
    if (isFiltered(this.model.filter) && this.grid.layout.order.length === 0) this.say("No photo matches these filters: change or clear them (All).");
  }

  // ---- cursor and modes ----

  /** Shows photo `id` in the grid (clearing filters that hide it), or in the loupe when open. */
  focusPhoto(id: number): void {
    const i = this.model.index(id);
    if (i === undefined) return;
    this.closeOverlay();
    if (isFiltered(this.model.filter) && !this.grid.layout.order.includes(i)) this.setFilter({ ...NO_FILTER });
    if (this.currentMode !== "loupe") this.setMode("grid");
    this.setCursor(i);
  }

  /**
   * Puts the cursor on photo `i` and selects it: `only` it (a plain click or move), a `range`
   * from the anchor (Shift), or `toggle` it (Ctrl/Cmd+click).
   */
  setCursor(i: number | null, how: "only" | "range" | "toggle" = "only"): void {
    if (i === null) return;
    this.grid.refresh(this.model.select(i, how, this.grid.layout.order));
    const cursor = this.model.cursorIndex() ?? i;
    this.grid.reveal(cursor);
    if (this.currentMode === "loupe") this.renderLoupe();
    this.renderStatus();
  }

  /** Selects every photo shown (Ctrl+A), or those shown of group `groupId` (S, the header's Select). */
  selectAll(groupId?: number): void {
    const order = this.grid.layout.order;
    const members = groupId === undefined ? order : this.model.group(groupId)?.members;
    if (!members) return;
    this.grid.refresh(this.model.selectAll(order, members));
    this.renderStatus();
    const n = this.model.selection.size;
    this.say(`${counted(n, "photo")} selected${n > 1 ? ": P, X, U, stars and labels apply to all of them (Esc: just the current one)" : ""}`);
    this.selectionHint = n > 1;
  }

  /** Esc in the grid: back to the current photo alone. True when there was more selected. */
  collapseSelection(): boolean {
    if (!this.model.selection.many) return false;
    const cur = this.model.cursorIndex();
    if (cur !== null) this.setCursor(cur);
    return true;
  }

  setMode(m: Mode): void {
    this.currentMode = m;
    this.grid.hideTip();
    const keep = this.stage.querySelector(".dropzone-hint");
    this.stage.replaceChildren(...(keep ? [keep] : []));
    if (m === "empty") this.stage.append(this.emptyState());
    if (m === "grid") {
      this.stage.append(this.grid.el);
      this.grid.render();
      const c = this.model.cursorIndex();
      if (c !== null) this.grid.reveal(c);
    }
    if (m === "loupe") {
      this.stage.append(this.loupe.el);
      this.renderLoupe();
    }
    if (m === "compare") {
      this.stage.append(this.compare.el);
      this.renderCompare();
    }
    document.body.dataset.mode = m;
    this.renderStatus();
  }

  /** Z: 100% at the focus point and back, in the loupe or compare. */
  toggleZoom(): void {
    if (this.currentMode === "loupe") this.loupe.toggleZoom();
    if (this.currentMode === "compare") this.compare.toggleZoom();
  }

  /** F: the loupe's focus overlay. */
  toggleFocusOverlay(): void {
    if (this.currentMode === "loupe") this.loupe.toggleOverlay();
  }

  renderLoupe(): void {
    const i = this.model.cursorIndex();
    if (i === null) return;
    const p = this.model.photos[i];
    const d = this.model.store.get(p.id);
    const size = this.model.groupOf(i).length;
    this.loupe.show(p, this.host.previewSrc(i), d, this.model.details.get(p.id) ?? null, this.model.groupInfo(i), size);
    void this.host.detail(i).then((det) => {
      if (det && this.model.cursorId === p.id && this.currentMode === "loupe") this.loupe.show(p, this.host.previewSrc(i), this.model.store.get(p.id), det, this.model.groupInfo(i), size);
    });
  }

  renderCompare(): void {
    const frames = this.model.compareFrames();
    if (frames === null) return;
    const { reference, others, active } = frames;
    if (others.length === 0) {
      this.say("This group has one frame: nothing to compare. Press Esc.", true);
      this.compare.show({ reference, others: [], active: reference, count: 1, title: "Nothing to compare", groupLabel: this.model.groupInfo(reference), strip: null, pick: null });
      return;
    }
    const group = this.model.groupAt(reference);
    const all = this.model.groupOf(reference);
    const pick = group?.best ?? null;
    const name = this.model.photos[reference].relPath.split("/").pop();
    const set = setLabel(group?.set);
    this.compare.show({
      reference,
      others,
      active,
      count: this.model.compareCount,
      title: `Group ${this.model.photos[active].group}`,
      groupLabel: `${framesText(all.length)} · reference ${name} vs ${counted(others.length, "other frame")}`,
      set: set ? { label: set, meaning: setMeaning(group?.set) } : null,
      strip: buildStrip(all, (k) => this.model.photos[k], pick),
      pick,
    });
    this.renderStatus();
  }

  /** Compare: a click on the strip brings frame `i` of the group into the comparison. */
  private focusFrame(i: number): void {
    if (this.currentMode !== "compare" || this.model.refIndex === null) return;
    if (i === this.model.refIndex) {
      this.say("That frame is the reference. To compare from another frame, bring it in and press R.");
      return;
    }
    this.model.moveCursor(i);
    this.renderCompare();
  }

  // ---- toolbar ----

  renderToolbar(): void {
    const m = this.model;
    const seg = (value: FlagFilter, label: string) =>
      h("button", { class: m.filter.flag === value ? "on" : "", "data-testid": `filter-${value}`, onclick: () => this.setFilter({ flag: value }) }, label);
    const shootName = m.root ? m.root.split("/").filter(Boolean).pop() ?? m.root : "No shoot";
    const strict = h("input", { type: "range", min: 0, max: 100, value: m.strictness, title: "Grouping: loose ↔ strict (regroups live)", "data-testid": "strictness" });
    let timer = 0;
    strict.addEventListener("input", () => {
      m.strictness = Number(strict.value);
      clearTimeout(timer);
      timer = window.setTimeout(() => this.host.regroup(), 60);
    });
    this.toolbar.replaceChildren(
      h("button", { onclick: () => this.host.chooseFolder(), title: "Open a folder (or drop one on the window)", "data-testid": "open" }, "Open…"),
      h("span", { class: "shoot-name", title: m.root }, shootName),
      h("span", { class: "sep" }),
      h("span", { class: "segmented" }, seg("all", "All"), seg("picks", "Picks"), seg("rejects", "Rejects"), seg("unrated", "Unrated")),
      this.select("★ ≥", ["0", "1", "2", "3", "4", "5"], String(m.filter.minStars), (v) => this.setFilter({ minStars: Number(v) }), (v) => (v === "0" ? "any" : "★".repeat(Number(v)))),
      this.select("Label", ["", "red", "yellow", "green", "blue", "purple"], m.filter.label ?? "", (v) => this.setFilter({ label: (v || null) as Filter["label"] }), (v) => v || "any"),
      this.select("Flagged", ["", "faults", "eyes"], m.filter.faults ? "faults" : m.filter.eyesClosed ? "eyes" : "", (v) => this.setFilter({ faults: v === "faults", eyesClosed: v === "eyes" }), (v) => FLAGGED_NAMES[v] ?? v, { testid: "flagged", title: "Only frames with a fault badge (out of focus, motion blur, a blink, a misfire, a suggested reject), or only those where someone's eyes are closed (needs face analysis)" }),
      this.select("Sort", ["time", "score", "shooting"], m.sort, (v) => ((m.sort = v as SortKey), this.refreshGrid(), this.renderToolbar()), (v) => SORT_NAMES[v as SortKey]),
      h("label", { title: "Grouping: loose ↔ strict" }, h("span", { class: "lbl" }, "Groups"), strict),
      this.profilePicker(),
      h("span", { class: "spacer" }),
      h("button", { onclick: () => this.host.acceptAll(), title: "Pick the suggested frame of every group (Shift+A)", disabled: !m.analyzed }, "Accept all"),
      h("button", { onclick: () => this.host.openExport(), disabled: !m.analyzed, "data-testid": "export-open" }, "Export…"),
      h("button", { onclick: () => this.host.openSettings(), "data-testid": "settings-open" }, "Settings"),
      h("button", { onclick: () => this.toggleHelp(), title: "Keyboard map (?)" }, "?"),
    );
  }

  /** The culling-profile picker: choosing one re-ranks the shoot and is remembered for it. */
  private profilePicker(): HTMLElement {
    const m = this.model;
    const known = m.profiles.some((p) => p.name === m.profile);
    const list = known ? m.profiles : [...m.profiles, { name: m.profile, description: "", preset: false, learnedGroups: 0 }];
    const s = h(
      "select",
      { "data-testid": "profile", disabled: !m.analyzed || !this.host.engine },
      pickerGroups(list).map((g) =>
        h("optgroup", { label: g.label }, g.profiles.map((p) => h("option", { value: p.name, selected: p.name === m.profile, title: p.description }, p.name))),
      ),
    );
    s.addEventListener("change", () => {
      s.blur();
      this.host.useProfile(s.value);
    });
    s.title = "Culling profile: how the suggestions are ranked (remembered for this shoot)";
    const page = h("button", { onclick: () => this.host.openProfile(), disabled: !this.host.engine, title: "Profile page: its weights, its grouping and what it learned from your picks", "data-testid": "profile-open" }, "Profile…");
    return h("span", { class: "joined" }, page, s);
  }

  private select(label: string, values: string[], current: string, onChange: (v: string) => void, show: (v: string) => string, extra: { testid?: string; title?: string } = {}): HTMLElement {
    const s = h("select", { "data-testid": extra.testid, title: extra.title }, values.map((v) => h("option", { value: v, selected: v === current }, show(v))));
    s.addEventListener("change", () => {
      onChange(s.value);
      s.blur();
    });
    return h("label", {}, h("span", { class: "lbl" }, label), s);
  }

  // ---- status bar ----

  renderStatus(): void {
    const m = this.model;
    const { groups, picks, rejects } = m.counts();
    const shown = this.grid.layout.order.length;
    this.reportButton.disabled = !m.analyzed || !this.host.engine || m.shoot === null;
    this.counts.textContent = `${counted(m.photos.length, "photo")}${shown !== m.photos.length ? ` (${shown} shown)` : ""} · ${counted(groups, "group")} · ${counted(picks, "pick")} · ${counted(rejects, "reject")}`;
    const i = m.cursorIndex();
    const selected = m.selection.many ? `${m.selection.size} selected · ` : "";
    this.current.textContent = i === null ? "" : `${selected}${m.photos[i].relPath}`;
    if (this.selectionHint && !m.selection.many) this.say("");
  }

  showProgress(text: string, fraction: number): void {
    this.progress.hidden = false;
    this.progressText.textContent = text;
    this.progressBar.style.width = `${Math.round(fraction * 100)}%`;
  }

  hideProgress(): void {
    this.progress.hidden = true;
  }

  /** The running import in the status bar (null: none runs). */
  showImport(text: string | null): void {
    this.importing.hidden = text === null;
    this.importingText.textContent = text ?? "";
  }

  /** A message in the status bar. */
  say(m: string, error = false): void {
    this.selectionHint = false;
    this.msg.textContent = m;
    this.msg.classList.toggle("error", error);
  }

  /** A message over the stage for a few seconds (and in the status bar). */
  toast(m: string, error = false): void {
    this.stage.querySelector(".toast")?.remove();
    const t = h("div", { class: `toast ${error ? "error" : ""}`, "data-testid": "toast" }, m);
    this.stage.append(t);
    clearTimeout(this.toastTimer);
    this.toastTimer = window.setTimeout(() => t.remove(), error ? 7000 : 3500);
    this.say(m, error);
  }

  // ---- the stage: empty state and overlays ----

  private emptyState(): HTMLElement {
    const recent = this.home.recent.filter((r) => r.exists).slice(0, 6);
    return h(
      "div",
      { class: "empty", "data-testid": "empty" },
      h(
        "div",
        { class: "card" },
        h("h1", {}, "Open a shoot"),
        h("p", {}, "Choose a folder of photos, or drop one on this window. bestpick groups the bursts, suggests the best frame of each, and you decide with the keyboard."),
        this.home.error ? h("div", { class: "error-box" }, this.home.error) : null,
        h(
          "div",
          { class: "actions" },
          h("button", { class: "primary", onclick: () => this.host.chooseFolder() }, "Open a folder…"),
          h("button", { onclick: () => this.host.openImport(), "data-testid": "import-open-empty" }, "Import from a card…"),
          this.home.sample ? h("button", { onclick: () => this.host.open(this.home.sample as string) }, "Open the sample shoot") : null,
        ),
        recent.length
          ? h(
              "div",
              { class: "recent" },
              h("h2", {}, "Recent shoots"),
              recent.map((r) => h("a", { onclick: () => this.host.open(r.root) }, h("span", {}, r.root), h("span", {}, `${counted(r.photos, "photo")} · ${counted(r.picks, "pick")}`))),
            )
          : null,
      ),
    );
  }

  showOverlay(el: HTMLElement): void {
    this.closeOverlay();
    this.overlayEl = el;
    this.stage.append(el);
  }

  closeOverlay(): void {
    this.overlayEl?.remove();
    this.overlayEl = null;
  }

  /** ?: the key map, or away with it. */
  toggleHelp(): void {
    if (this.overlayEl?.dataset.testid === "help") this.closeOverlay();
    else this.showOverlay(helpOverlay(() => this.closeOverlay()));
  }
}
