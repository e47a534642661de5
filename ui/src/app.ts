// The window: toolbar, grid / loupe / compare, status bar, drawers. Owns the model (the open
// shoot, thumbnails, decisions, filter, cursor) and turns keyboard actions into changes.

import { pickFolder, recentShoots, startup } from "./api/app";
import type { Backend } from "./api/backend";
import { AppError, toAppError } from "./api/core";
import { cancelJob, openShoot } from "./api/shoot";
import { getSettings } from "./api/settings";
import type { ChangeDto } from "./bindings/ChangeDto";
import type { PhotoDetailDto } from "./bindings/PhotoDetailDto";
import type { ProgressEvent } from "./bindings/ProgressEvent";
import type { SettingsDto } from "./bindings/SettingsDto";
import type { ShootInfoDto } from "./bindings/ShootInfoDto";
import type { ShootViewDto } from "./bindings/ShootViewDto";
import { labelChange } from "./lib/decisions";
import { h } from "./lib/dom";
import { NO_FILTER, isFiltered, type Filter, type FlagFilter, type SortKey } from "./lib/filters";
import { actionFor, type Action } from "./lib/keymap";
import { jumpGroup, move } from "./lib/layout";
import { buildStrip } from "./lib/people";
import { pickerGroups } from "./lib/profiles";
import { framesText, setLabel, setMeaning } from "./lib/sets";
import { ShootModel } from "./model/shoot";
import { CompareView } from "./views/compare";
import { contributeDrawer } from "./views/contribute";
import { GridView } from "./views/grid";
import { LoupeView } from "./views/loupe";
import { exportDrawer, helpOverlay, settingsDrawer } from "./views/panels";
import { profileDrawer } from "./views/profile";
import { reportDrawer } from "./views/report";

type Mode = "empty" | "grid" | "loupe" | "compare";

interface Metrics {
  openStartedAt: number;
  listedAt: number;
  firstThumbAt: number;
  doneAt: number;
}

export class App {
  private model = new ShootModel();
  private job: number | null = null;
  private openGeneration = 0;
  /** Live re-ranking after decisions: one request at a time, one more if asked meanwhile. */
  private reranking = false;
  private rerankAgain = false;
  private mode: Mode = "empty";
  private settings: SettingsDto | null = null;
  private recent: ShootInfoDto[] = [];
  private sample: string | null = null;
  private error: string | null = null;
  metrics: Metrics = { openStartedAt: 0, listedAt: 0, firstThumbAt: 0, doneAt: 0 };

  // views
  private toolbar: HTMLElement;
  private stage: HTMLElement;
  private status: HTMLElement;
  private grid: GridView;
  private loupe = new LoupeView();
  private compare: CompareView;
  private overlay: HTMLElement | null = null;
  private progress: HTMLElement;
  private progressBar: HTMLElement;
  private progressText: HTMLElement;
  private msg: HTMLElement;
  private counts: HTMLElement;
  private reportButton: HTMLButtonElement;
  private current: HTMLElement;
  private toastTimer = 0;

  constructor(
    rootEl: HTMLElement,
    private api: Backend,
  ) {
    this.grid = new GridView({
      photo: (i) => this.model.photos[i],
      decision: (i) => this.model.decisionAt(i),
      thumbSrc: (i) => this.thumbSrc(i),
      thumbState: (i) => this.model.thumbState(i),
      groupTitle: (id, members, best) => this.model.groupTitle(id, members, best),
      groupSize: (i) => this.model.groupOf(i).length,
      cursor: () => this.cursorIndex(),
      onCellClick: (i) => this.setCursor(i),
      onCellDblClick: (i) => {
        this.setCursor(i);
        this.setMode("loupe");
      },
      onAcceptGroup: (g) => void this.acceptGroup(g),
    });
    this.compare = new CompareView({
      photo: (i) => this.model.photos[i],
      decision: (i) => this.model.decisionAt(i),
      previewSrc: (i) => this.previewSrc(i),
      detail: (i) => this.detailOf(i),
      onSetCount: (n) => {
        this.model.compareCount = n;
        this.renderCompare();
      },
      thumbSrc: (i) => (this.model.thumbs.has(this.model.photos[i].id) ? this.thumbSrc(i) : null),
      size: (i) => [this.model.photos[i].width, this.model.photos[i].height],
      onFocusFrame: (i) => this.focusFrame(i),
    });
    this.progressBar = h("div");
    this.progressText = h("span", { "data-testid": "progress-text" });
    this.progress = h(
      "div",
      { class: "progress", hidden: true },
      h("div", { class: "bar" }, this.progressBar),
      this.progressText,
      h("button", { onclick: () => void this.cancel(), title: "Stop the analysis (finished photos are kept)" }, "Cancel"),
    );
    this.toolbar = h("header", { class: "toolbar" });
    this.stage = h("main", { class: "stage" }, h("div", { class: "dropzone-hint" }, "Drop a folder to open it"));
    this.counts = h("span", { "data-testid": "counts" });
    this.current = h("span", { "data-testid": "current" });
    this.msg = h("span", { class: "msg", "data-testid": "message" });
    this.reportButton = h(
      "button",
      { class: "link", "data-testid": "report-open", disabled: true, title: "Trust report: how often your pick was the suggestion, and where it was not", onclick: () => this.openReport() },
      "Report…",
    );
    this.status = h("footer", { class: "statusbar" }, this.counts, this.reportButton, this.current, this.progress, this.msg);
    rootEl.append(this.toolbar, this.stage, this.status);
    this.model.store.onChange((ids) => this.onDecisions(ids));
    document.addEventListener("keydown", (e) => this.onKey(e));
    // Time to first thumbnail: the first grid image that finishes loading.
    this.grid.el.addEventListener(
      "load",
      () => {
        if (!this.metrics.firstThumbAt && this.metrics.openStartedAt) this.metrics.firstThumbAt = performance.now();
      },
      true,
    );
    this.renderToolbar();
  }

  async start(): Promise<void> {
    const preloaded = this.api.preloaded();
    if (preloaded) return this.showPreloaded(preloaded);
    this.listenForDrops();
    try {
      const s = await startup();
      this.settings = s.settings;
      this.model.strictness = s.settings.strictness;
      this.recent = s.recent;
      this.sample = s.sample;
      if (s.open) void this.open(s.open);
      else this.setMode("empty");
      void this.loadProfiles();
    } catch (e) {
      this.error = toAppError(e).message;
      this.setMode("empty");
    }
    this.renderToolbar();
  }

  /** A shoot the back end has from the start (the synthetic one): shown at once, all thumbnails "ready". */
  private showPreloaded(view: ShootViewDto): void {
    this.metrics.openStartedAt = performance.now();
    this.model.analyzed = true;
    document.body.dataset.state = "ready";
    this.applyView(view);
    for (const p of this.model.photos) this.model.thumbs.set(p.id, 1);
    this.metrics.doneAt = performance.now();
    this.grid.refresh(this.model.photos.map((_, i) => i));
    this.renderToolbar();
  }

  // ---- opening ----

  async open(path: string): Promise<void> {
    this.error = null;
    this.closeOverlay();
    this.metrics = { openStartedAt: performance.now(), listedAt: 0, firstThumbAt: 0, doneAt: 0 };
    document.body.dataset.state = "opening";
    this.model.opening();
    this.showProgress("Scanning…", 0);
    try {
      // Events of an opening that a newer one replaced are dropped.
      const generation = ++this.openGeneration;
      this.job = await openShoot(path, (e) => {
        if (generation === this.openGeneration) this.onEvent(e);
      });
    } catch (e) {
      this.fail(toAppError(e));
    }
  }

  private onEvent(e: ProgressEvent): void {
    switch (e.event) {
      case "listed": {
        this.metrics.listedAt = performance.now();
        this.model.listed(e.data.shoot, e.data.root, e.data.photos);
        document.body.dataset.state = "analyzing";
        this.renderToolbar();
        if (this.model.photos.length === 0) {
          this.error = `No photos in ${this.model.root}. bestpick reads JPEG, PNG, TIFF, WebP and camera RAW files (through their embedded previews); choose another folder.`;
          this.setMode("empty");
        } else this.setMode(this.mode === "empty" ? "grid" : this.mode);
        this.refreshGrid();
        break;
      }
      case "progress": {
        const { stage, done, total } = e.data;
        const text = stage === "analyzing" ? `Analyzing ${done} / ${total}` : stage === "scanning" ? "Scanning…" : stage === "ranking" ? "Grouping…" : "Finishing…";
        this.showProgress(text, total ? done / total : 0);
        break;
      }
      case "thumbReady": {
        const i = this.model.thumbArrived(e.data.photo);
        if (i !== undefined) this.grid.refresh([i]);
        break;
      }
      case "done": {
        this.job = null;
        this.hideProgress();
        this.metrics.doneAt = performance.now();
        this.model.analyzed = true;
        this.applyView(e.data.view);
        document.body.dataset.state = "ready";
        const s = e.data.view.status;
        this.say(
          s.cancelled
            ? `Stopped: ${s.pending} photo(s) not analyzed yet (open the folder again to finish)`
            : `${this.model.photos.length} photos · ${s.fromCache} from the catalog, ${s.analyzedNow} analyzed in ${s.seconds.toFixed(1)} s${s.failed ? ` · ${s.failed} could not be read` : ""}`,
        );
        void recentShoots().then((r) => (this.recent = r)).catch(() => undefined);
        break;
      }
      case "failed": {
        this.job = null;
        this.fail(new AppError(e.data.error.kind, e.data.error.message));
        break;
      }
    }
  }

  private fail(e: AppError): void {
    this.hideProgress();
    document.body.dataset.state = "error";
    const next: Record<string, string> = {
      io: "Check that the folder exists and can be read, or open another one.",
      catalog: "The catalog could not be used: check its location in Settings.",
    };
    this.error = next[e.kind] ? `${e.message}. ${next[e.kind]}` : e.message;
    if (this.model.photos.length === 0 || this.mode === "empty") this.setMode("empty");
    this.say(e.message, true);
  }

  private applyView(view: ShootViewDto): void {
    this.model.applyView(view);
    if (this.mode === "empty" && this.model.photos.length) this.setMode("grid");
    this.refreshGrid();
    const first = this.grid.layout.order[0];
    if (this.model.placeCursor(first)) {
      this.grid.refresh(this.grid.layout.order.slice(0, 1));
      if (first !== undefined) this.grid.reveal(first);
    }
    this.renderStatus();
    this.renderToolbar();
    if (this.mode === "loupe") this.renderLoupe();
    if (this.mode === "compare") this.renderCompare();
  }

  private async cancel(): Promise<void> {
    if (this.job !== null) await cancelJob(this.job).catch(() => false);
  }

  private listenForDrops(): void {
    void import("@tauri-apps/api/webview")
      .then(({ getCurrentWebview }) =>
        getCurrentWebview().onDragDropEvent((ev) => {
          const p = ev.payload;
          document.body.classList.toggle("dragging", p.type === "enter" || p.type === "over");
          if (p.type === "drop" && p.paths.length) void this.open(p.paths[0]);
        }),
      )
      .catch(() => undefined);
  }

  // ---- derived ----

  private cursorIndex(): number | null {
    return this.model.cursorIndex();
  }

  private thumbSrc(i: number): string | null {
    if (this.model.shoot === null) return null;
    const p = this.model.photos[i];
    return this.api.thumbUrl(this.model.shoot, p.id, this.model.thumbs.get(p.id) ?? 0);
  }

  private previewSrc(i: number): string {
    return this.api.previewUrl(this.model.photos[i].id);
  }

  private refreshGrid(): void {
    this.grid.setGroups(this.model.visible());
    this.renderStatus();
  }

  private async detailOf(i: number): Promise<PhotoDetailDto | null> {
    const id = this.model.photos[i].id;
    const cached = this.model.details.get(id);
    if (cached) return cached;
    if (!this.model.analyzed) return null;
    try {
      const d = await this.api.photoDetail(id);
      if (d) this.model.details.set(id, d);
      return d;
    } catch {
      return null;
    }
  }

  // ---- cursor and modes ----

  private setCursor(i: number | null): void {
    if (i === null) return;
    const before = this.model.moveCursor(i);
    this.grid.refresh([before ?? i, i].filter((x): x is number => x !== null));
    this.grid.reveal(i);
    if (this.mode === "loupe") this.renderLoupe();
    this.renderStatus();
  }

  private setMode(m: Mode): void {
    this.mode = m;
    this.grid.hideTip();
    const keep = this.stage.querySelector(".dropzone-hint");
    this.stage.replaceChildren(...(keep ? [keep] : []));
    if (m === "empty") this.stage.append(this.emptyState());
    if (m === "grid") {
      this.stage.append(this.grid.el);
      this.grid.render();
      const c = this.cursorIndex();
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

  private renderLoupe(): void {
    const i = this.cursorIndex();
    if (i === null) return;
    const p = this.model.photos[i];
    const d = this.model.store.get(p.id);
    const size = this.model.groupOf(i).length;
    this.loupe.show(p, this.previewSrc(i), d, this.model.details.get(p.id) ?? null, this.model.groupInfo(i), size);
    void this.detailOf(i).then((det) => {
      if (det && this.model.cursorId === p.id && this.mode === "loupe") this.loupe.show(p, this.previewSrc(i), this.model.store.get(p.id), det, this.model.groupInfo(i), size);
    });
  }

  private renderCompare(): void {
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
      groupLabel: `${framesText(all.length)} · reference ${name} vs ${others.length} other frame${others.length === 1 ? "" : "s"}`,
      set: set ? { label: set, meaning: setMeaning(group?.set) } : null,
      strip: buildStrip(all, (k) => this.model.photos[k], pick),
      pick,
    });
    this.renderStatus();
  }

  /** Compare: a click on the strip brings frame `i` of the group into the comparison. */
  private focusFrame(i: number): void {
    if (this.mode !== "compare" || this.model.refIndex === null) return;
    if (i === this.model.refIndex) {
      this.say("That frame is the reference. To compare from another frame, bring it in and press R.");
      return;
    }
    this.model.moveCursor(i);
    this.renderCompare();
  }

  // ---- keyboard ----

  private onKey(e: KeyboardEvent): void {
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT") && e.key !== "Escape") return;
    const a = actionFor(e);
    if (!a) return;
    e.preventDefault();
    void this.act(a);
  }

  async act(a: Action): Promise<void> {
    if (a.type === "escape") {
      if (this.overlay) return this.closeOverlay();
      if (this.mode === "loupe" || this.mode === "compare") return this.setMode("grid");
      return;
    }
    if (a.type === "help") return this.overlay?.dataset.testid === "help" ? this.closeOverlay() : this.showOverlay(helpOverlay(() => this.closeOverlay()));
    if (this.mode === "empty" || this.model.photos.length === 0) return;
    const layout = this.grid.layout;
    const cur = this.cursorIndex();
    switch (a.type) {
      case "move":
      case "next":
      case "prev": {
        if (this.mode === "compare") return this.stepCompare(a.type === "move" ? (a.dir === "left" || a.dir === "up" ? -1 : 1) : a.type === "next" ? 1 : -1);
        const dir = a.type === "move" ? a.dir : a.type;
        const next = this.mode === "loupe" && (dir === "up" || dir === "down") ? move(layout, cur, dir === "up" ? "prev" : "next") : move(layout, cur, dir);
        return this.setCursor(next);
      }
      case "nextGroup":
      case "prevGroup":
        this.model.refIndex = null;
        this.setCursor(jumpGroup(layout, cur, a.type === "nextGroup" ? 1 : -1));
        if (this.mode === "compare") this.renderCompare();
        return;
      case "loupe":
        return this.setMode(this.mode === "loupe" ? "grid" : "loupe");
      case "compare":
        if (this.mode === "compare") return this.setMode("grid");
        this.model.refIndex = cur;
        return this.setMode("compare");
      case "reference":
        if (this.mode === "compare" && cur !== null) {
          this.model.refIndex = cur;
          this.renderCompare();
        }
        return;
      case "zoom":
        if (this.mode === "loupe") this.loupe.toggleZoom();
        if (this.mode === "compare") this.compare.toggleZoom();
        return;
      case "focusOverlay":
        if (this.mode === "loupe") this.loupe.toggleOverlay();
        return;
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
    if (this.model.stepCompare(step)) this.renderCompare();
  }

  // ---- decisions ----

  private async change(change: ChangeDto, photos?: number[]): Promise<void> {
    const cur = this.cursorIndex();
    const ids = photos ?? (cur === null ? [] : [this.model.photos[cur].id]);
    if (ids.length === 0) return;
    try {
      await this.model.store.decide(ids, change, (p, c) => this.api.decide(p, c));
      // A pick or a reject teaches the profile: the suggestions may move.
      if (change.kind === "flag") void this.rerank();
    } catch (e) {
      this.say(`Not saved: ${toAppError(e).message}`, true);
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
        this.refreshGrid();
        if (this.mode === "loupe") this.renderLoupe();
        if (this.mode === "compare") this.renderCompare();
        if (merged.moved.length) this.say(`Learned from your picks: the suggestion moved in group${merged.moved.length === 1 ? "" : "s"} ${merged.moved.join(", ")}`);
      } while (this.rerankAgain);
    } catch (e) {
      this.say(`Suggestions not updated: ${toAppError(e).message}`, true);
    } finally {
      this.reranking = false;
    }
  }

  private async history(kind: "undo" | "redo"): Promise<void> {
    try {
      const changed = await this.model.store.history(() => (kind === "undo" ? this.api.undo() : this.api.redo()));
      if (changed.length === 0) this.say(kind === "undo" ? "Nothing to undo" : "Nothing to redo");
      else {
        void this.rerank();
        this.say(`${kind === "undo" ? "Undone" : "Redone"}: ${changed.length} photo(s)`);
        const first = this.model.index(changed[0]);
        if (first !== undefined && this.mode === "grid") this.setCursor(first);
      }
    } catch (e) {
      this.say(toAppError(e).message, true);
    }
  }

  private async acceptGroup(groupId: number): Promise<void> {
    const g = this.model.group(groupId);
    if (!g || g.best === null || g.members.length < 2) return;
    await this.change({ kind: "flag", value: "pick" }, [this.model.photos[g.best].id]);
    this.say(`Picked the suggested frame of group ${groupId}`);
  }

  private async acceptAll(): Promise<void> {
    const ids = this.model.suggestedPicks();
    if (ids.length === 0) return;
    await this.change({ kind: "flag", value: "pick" }, ids);
    this.say(`Picked the suggested frame of ${ids.length} group(s) (Ctrl+Z undoes)`);
  }

  private onDecisions(ids: number[]): void {
    const indices = ids.map((id) => this.model.index(id)).filter((i): i is number => i !== undefined);
    if (isFiltered(this.model.filter)) this.refreshGrid();
    else this.grid.refresh(indices);
    if (this.mode === "loupe") for (const id of ids) this.loupe.refreshDecision(this.model.store.get(id));
    if (this.mode === "compare") this.renderCompare();
    this.renderStatus();
  }

  // ---- chrome ----

  private renderToolbar(): void {
    const seg = (value: FlagFilter, label: string) =>
      h("button", { class: this.model.filter.flag === value ? "on" : "", "data-testid": `filter-${value}`, onclick: () => this.setFilter({ flag: value }) }, label);
    const shootName = this.model.root ? this.model.root.split("/").filter(Boolean).pop() ?? this.model.root : "No shoot";
    const strict = h("input", { type: "range", min: 0, max: 100, value: this.model.strictness, title: "Grouping: loose ↔ strict (regroups live)", "data-testid": "strictness" });
    let timer = 0;
    strict.addEventListener("input", () => {
      this.model.strictness = Number(strict.value);
      clearTimeout(timer);
      timer = window.setTimeout(() => void this.regroupNow(), 60);
    });
    this.toolbar.replaceChildren(
      h("button", { onclick: () => void this.chooseFolder(), title: "Open a folder (or drop one on the window)", "data-testid": "open" }, "Open…"),
      h("span", { class: "shoot-name", title: this.model.root }, shootName),
      h("span", { class: "sep" }),
      h("span", { class: "segmented" }, seg("all", "All"), seg("picks", "Picks"), seg("rejects", "Rejects"), seg("unrated", "Unrated")),
      this.select("★ ≥", ["0", "1", "2", "3", "4", "5"], String(this.model.filter.minStars), (v) => this.setFilter({ minStars: Number(v) }), (v) => (v === "0" ? "any" : "★".repeat(Number(v)))),
      this.select("Label", ["", "red", "yellow", "green", "blue", "purple"], this.model.filter.label ?? "", (v) => this.setFilter({ label: (v || null) as Filter["label"] }), (v) => v || "any"),
      h("button", { class: this.model.filter.eyesClosed ? "on" : "", title: "Only photos where someone's eyes are closed (needs face analysis)", onclick: () => this.setFilter({ eyesClosed: !this.model.filter.eyesClosed }) }, "Eyes closed"),
      this.select("Sort", ["time", "score"], this.model.sort, (v) => ((this.model.sort = v as SortKey), this.refreshGrid(), this.renderToolbar()), (v) => (v === "time" ? "time" : "score")),
      h("label", { title: "Grouping: loose ↔ strict" }, h("span", { class: "lbl" }, "Groups"), strict),
      this.profilePicker(),
      h("span", { class: "spacer" }),
      h("button", { onclick: () => void this.acceptAll(), title: "Pick the suggested frame of every group (Shift+A)", disabled: !this.model.analyzed }, "Accept all"),
      h("button", { onclick: () => this.openExport(), disabled: !this.model.analyzed, "data-testid": "export-open" }, "Export…"),
      h("button", { onclick: () => void this.openSettings(), "data-testid": "settings-open" }, "Settings"),
      h("button", { onclick: () => this.openContribute(), title: "Opt-in: share photos to improve bestpick" }, "Contribute"),
      h("button", { onclick: () => void this.act({ type: "help" }), title: "Keyboard map (?)" }, "?"),
    );
  }

  /** The culling-profile picker: choosing one re-ranks the shoot and is remembered for it. */
  private profilePicker(): HTMLElement {
    const known = this.model.profiles.some((p) => p.name === this.model.profile);
    const list = known ? this.model.profiles : [...this.model.profiles, { name: this.model.profile, description: "", preset: false, learnedGroups: 0 }];
    const s = h(
      "select",
      { "data-testid": "profile", disabled: !this.model.analyzed || !this.api.engine },
      pickerGroups(list).map((g) =>
        h("optgroup", { label: g.label }, g.profiles.map((p) => h("option", { value: p.name, selected: p.name === this.model.profile, title: p.description }, p.name))),
      ),
    );
    s.addEventListener("change", () => {
      s.blur();
      void this.useProfile(s.value);
    });
    s.title = "Culling profile: how the suggestions are ranked (remembered for this shoot)";
    const page = h("button", { onclick: () => this.openProfile(), disabled: !this.api.engine, title: "Profile page: its weights, its grouping and what it learned from your picks", "data-testid": "profile-open" }, "Profile…");
    return h("span", { class: "joined" }, page, s);
  }

  private async loadProfiles(): Promise<void> {
    if (!this.api.engine) return;
    try {
      this.model.profiles = await this.api.listProfiles();
      this.renderToolbar();
    } catch (e) {
      this.say(toAppError(e).message, true);
    }
  }

  /** Culls the open shoot with profile `name` (from stored signals; no file is read). */
  async useProfile(name: string): Promise<void> {
    if (!this.api.engine || !this.model.analyzed) return;
    try {
      this.applyView(await this.api.chooseProfile(name));
      this.say(`Ranked with the ${name} profile · grouping ${this.model.strictness} · ${this.model.realGroups().length} groups`);
    } catch (e) {
      this.say(toAppError(e).message, true);
      this.renderToolbar();
    }
  }

  private select(label: string, values: string[], current: string, onChange: (v: string) => void, show: (v: string) => string): HTMLElement {
    const s = h("select", {}, values.map((v) => h("option", { value: v, selected: v === current }, show(v))));
    s.addEventListener("change", () => {
      onChange(s.value);
      s.blur();
    });
    return h("label", {}, h("span", { class: "lbl" }, label), s);
  }

  private setFilter(f: Partial<Filter>): void {
    this.model.filter = { ...this.model.filter, ...f };
    this.refreshGrid();
    this.renderToolbar();
    if (isFiltered(this.model.filter) && this.grid.layout.order.length === 0) this.say("No photo matches these filters: change or clear them (All).");
  }

  private async regroupNow(): Promise<void> {
    if (!this.api.engine || !this.model.analyzed) return;
    try {
      this.applyView(await this.api.regroup(this.model.strictness));
      this.say(`Regrouped: ${this.model.realGroups().length} groups`);
    } catch (e) {
      this.say(toAppError(e).message, true);
    }
  }

  private renderStatus(): void {
    const { groups, picks, rejects } = this.model.counts();
    const shown = this.grid.layout.order.length;
    this.reportButton.disabled = !this.model.analyzed || !this.api.engine || this.model.shoot === null;
    this.counts.textContent = `${this.model.photos.length} photos${shown !== this.model.photos.length ? ` (${shown} shown)` : ""} · ${groups} groups · ${picks} picks · ${rejects} rejects`;
    const i = this.cursorIndex();
    this.current.textContent = i === null ? "" : this.model.photos[i].relPath;
  }

  private emptyState(): HTMLElement {
    const recent = this.recent.filter((r) => r.exists).slice(0, 6);
    return h(
      "div",
      { class: "empty", "data-testid": "empty" },
      h(
        "div",
        { class: "card" },
        h("h1", {}, "Open a shoot"),
        h("p", {}, "Choose a folder of photos, or drop one on this window. bestpick groups the bursts, suggests the best frame of each, and you decide with the keyboard."),
        this.error ? h("div", { class: "error-box" }, this.error) : null,
        h(
          "div",
          { class: "actions" },
          h("button", { class: "primary", onclick: () => void this.chooseFolder() }, "Open a folder…"),
          this.sample ? h("button", { onclick: () => void this.open(this.sample as string) }, "Open the sample shoot") : null,
        ),
        recent.length
          ? h(
              "div",
              { class: "recent" },
              h("h2", {}, "Recent shoots"),
              recent.map((r) => h("a", { onclick: () => void this.open(r.root) }, h("span", {}, r.root), h("span", {}, `${r.photos} photos · ${r.picks} picks`))),
            )
          : null,
      ),
    );
  }

  private async chooseFolder(): Promise<void> {
    try {
      const f = await pickFolder();
      if (f) await this.open(f);
    } catch (e) {
      this.say(toAppError(e).message, true);
    }
  }

  private showProgress(text: string, fraction: number): void {
    this.progress.hidden = false;
    this.progressText.textContent = text;
    this.progressBar.style.width = `${Math.round(fraction * 100)}%`;
  }

  private hideProgress(): void {
    this.progress.hidden = true;
  }

  private say(m: string, error = false): void {
    this.msg.textContent = m;
    this.msg.classList.toggle("error", error);
  }

  toast(m: string, error = false): void {
    this.stage.querySelector(".toast")?.remove();
    const t = h("div", { class: `toast ${error ? "error" : ""}`, "data-testid": "toast" }, m);
    this.stage.append(t);
    clearTimeout(this.toastTimer);
    this.toastTimer = window.setTimeout(() => t.remove(), error ? 7000 : 3500);
    this.say(m, error);
  }

  private showOverlay(el: HTMLElement): void {
    this.closeOverlay();
    this.overlay = el;
    this.stage.append(el);
  }

  private closeOverlay(): void {
    this.overlay?.remove();
    this.overlay = null;
  }

  private openProfile(): void {
    this.showOverlay(
      profileDrawer({
        current: () => this.model.profile,
        changed: async (choose) => {
          await this.loadProfiles();
          if (choose) await this.useProfile(choose);
          else if (this.model.analyzed && this.api.engine) this.applyView(await this.api.currentView());
        },
        toast: (m, e) => this.toast(m, e),
        close: () => this.closeOverlay(),
      }),
    );
  }

  private openReport(): void {
    this.showOverlay(
      reportDrawer({
        thumb: (id) => {
          const i = this.model.index(id);
          return i === undefined || !this.model.thumbs.has(id) ? null : this.thumbSrc(i);
        },
        focus: (id) => this.focusPhoto(id),
        toast: (m, e) => this.toast(m, e),
        close: () => this.closeOverlay(),
      }),
    );
  }

  /** Shows photo `id` in the grid (clearing filters that hide it), or in the loupe when open. */
  focusPhoto(id: number): void {
    const i = this.model.index(id);
    if (i === undefined) return;
    this.closeOverlay();
    if (isFiltered(this.model.filter) && !this.grid.layout.order.includes(i)) this.setFilter({ ...NO_FILTER });
    if (this.mode !== "loupe") this.setMode("grid");
    this.setCursor(i);
  }

  private openExport(): void {
    this.showOverlay(exportDrawer(this.settings?.darktableNames ?? false, () => this.closeOverlay(), (m, e) => this.toast(m, e)));
  }

  private async openSettings(): Promise<void> {
    try {
      const [s, recent] = await Promise.all([getSettings(), recentShoots()]);
      this.settings = s;
      this.recent = recent;
      this.showOverlay(
        settingsDrawer(
          s,
          recent,
          this.model.shoot,
          () => this.closeOverlay(),
          (m, e) => this.toast(m, e),
          (next, catalogChanged) => {
            this.settings = next;
            this.closeOverlay();
            if (catalogChanged) {
              this.model.clear();
              this.setMode("empty");
              this.renderToolbar();
            }
          },
          (forgot) => {
            this.recent = this.recent.filter((r) => r.id !== forgot);
            if (forgot === this.model.shoot) {
              this.model.clear();
              this.closeOverlay();
              this.setMode("empty");
              this.renderToolbar();
            } else void this.openSettings();
          },
        ),
      );
    } catch (e) {
      this.toast(toAppError(e).message, true);
    }
  }

  private openContribute(): void {
    this.showOverlay(
      contributeDrawer(
        {
          currentPhotoPath: async () => {
            const i = this.cursorIndex();
            return i === null ? null : `${this.model.root}/${this.model.photos[i].relPath}`;
          },
          pickedPhotoPaths: () => this.model.picked().map((p) => `${this.model.root}/${p.relPath}`),
          toast: (m, e) => this.toast(m, e),
        },
        () => this.closeOverlay(),
      ),
    );
  }

  /** For tests and measurements: the state the end-to-end suite checks. */
  snapshot() {
    return {
      mode: this.mode,
      shoot: this.model.shoot,
      photos: this.model.photos.length,
      groups: this.model.realGroups().length,
      cursor: this.cursorIndex() === null ? null : this.model.photos[this.cursorIndex() as number].relPath,
      decisions: this.model.photos.map((p) => ({ relPath: p.relPath, ...this.model.store.get(p.id) })),
      metrics: this.metrics,
      analyzed: this.model.analyzed,
      profile: this.model.profile,
      strictness: this.model.strictness,
      groupList: this.model.realGroups().map((g) => ({ id: g.id, members: g.members.map((m) => this.model.photos[m].relPath), best: g.best === null ? null : this.model.photos[g.best].relPath })),
    };
  }
}
