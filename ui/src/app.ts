// The window's controller: wires the shoot model (model/shoot.ts), the window's DOM
// (views/window.ts, views/drawers.ts), the keyboard and toolbar actions (actions.ts) and the
// back end (api/backend.ts, the core or the synthetic shoot). Starts the window, opens shoots
// and follows their jobs' progress, and gives the end-to-end suite its hooks (`window.__bp`).

import { pickFolder, recentShoots, startup } from "./api/app";
import type { Backend } from "./api/backend";
import { AppError, toAppError } from "./api/core";
import { importPhotos } from "./api/import";
import { cancelJob, openShoot } from "./api/shoot";
import type { ImportProgressDto } from "./bindings/ImportProgressDto";
import type { ImportReportDto } from "./bindings/ImportReportDto";
import type { ImportRequestDto } from "./bindings/ImportRequestDto";
import type { PhotoDetailDto } from "./bindings/PhotoDetailDto";
import type { PhotoDto } from "./bindings/PhotoDto";
import type { ProgressEvent } from "./bindings/ProgressEvent";
import type { ShootViewDto } from "./bindings/ShootViewDto";
import type { Action } from "./lib/keymap";
import { LiveImport, type LiveStep } from "./lib/liveimport";
import { Actions } from "./actions";
import { ShootModel } from "./model/shoot";
import { Drawers } from "./views/drawers";
import type { GridView } from "./views/grid";
import { WindowView, type WindowHost } from "./views/window";
import { counted } from "./lib/words";

/** Timings of the last opening (ms since the page loaded), for the e2e suite's measurements. */
interface Metrics {
  openStartedAt: number;
  listedAt: number;
  firstThumbAt: number;
  doneAt: number;
  /** When the grouped shoot arrived from the back end (before the window applied it). */
  viewAt: number;
}

export class App {
  private model = new ShootModel();
  private view: WindowView;
  private actions: Actions;
  private drawers: Drawers;
  private job: number | null = null;
  private openGeneration = 0;
  /** The import whose destination the window follows, its job, and the opening it started. */
  private live: LiveImport | null = null;
  private importJob: number | null = null;
  private liveGeneration = -1;
  private liveTimer = 0;
  metrics: Metrics = { openStartedAt: 0, listedAt: 0, firstThumbAt: 0, doneAt: 0, viewAt: 0 };

  constructor(
    rootEl: HTMLElement,
    private api: Backend,
  ) {
    const host: WindowHost = {
      engine: api.engine,
      thumbSrc: (i) => this.thumbSrc(i),
      previewSrc: (i) => this.api.previewUrl(this.model.photos[i].id),
      detail: (i) => this.detailOf(i),
      open: (path) => void this.open(path),
      chooseFolder: () => void this.chooseFolder(),
      cancel: () => void this.cancel(),
      regroup: () => void this.actions.regroup(),
      useProfile: (name) => void this.actions.useProfile(name),
      acceptGroup: (g) => void this.actions.acceptGroup(g),
      acceptAll: () => void this.actions.acceptAll(),
      openProfile: () => this.drawers.openProfile(),
      openReport: () => this.drawers.openReport(),
      openExport: () => this.drawers.openExport(),
      openImport: () => this.drawers.openImport(),
      stopImport: () => this.stopImport(),
      openSettings: () => void this.drawers.openSettings(),
      openContribute: () => this.drawers.openContribute(),
      openNetwork: () => this.drawers.openNetwork(),
    };
    this.view = new WindowView(rootEl, this.model, host);
    this.actions = new Actions(this.model, this.view, api, (v) => this.applyView(v));
    this.drawers = new Drawers(this.model, this.view, {
      thumbSrc: (i) => this.thumbSrc(i),
      profilesChanged: (choose) => this.profilesChanged(choose),
      networkLog: () => this.api.networkLog(),
      startImport: (request, progress) => this.startImport(request, progress),
      stopImport: () => this.stopImport(),
    });
    this.model.store.onChange((ids) => this.view.decisionsChanged(ids));
    document.addEventListener("keydown", (e) => this.actions.onKey(e));
    // Time to first thumbnail: the first grid image that finishes loading.
    this.view.grid.el.addEventListener(
      "load",
      () => {
        if (!this.metrics.firstThumbAt && this.metrics.openStartedAt) this.metrics.firstThumbAt = performance.now();
      },
      true,
    );
  }

  async start(): Promise<void> {
    const preloaded = this.api.preloaded();
    if (preloaded) return this.showPreloaded(preloaded);
    this.listenForDrops();
    try {
      const s = await startup();
      this.drawers.settings = s.settings;
      this.model.strictness = s.settings.strictness;
      this.model.autoAdvance = s.settings.autoAdvance;
      this.view.home.recent = s.recent;
      this.view.home.sample = s.sample;
      if (s.open) void this.open(s.open);
      else this.view.setMode("empty");
      void this.actions.loadProfiles();
    } catch (e) {
      this.view.home.error = toAppError(e).message;
      this.view.setMode("empty");
    }
    this.view.renderToolbar();
  }

  /** A shoot the back end has from the start (the synthetic one): shown at once, all thumbnails "ready". */
  private showPreloaded(view: ShootViewDto): void {
    this.metrics.openStartedAt = performance.now();
    this.model.analyzed = true;
    this.view.setState("ready");
    this.applyView(view);
    for (const p of this.model.photos) this.model.thumbs.set(p.id, 1);
    this.metrics.doneAt = performance.now();
    this.view.grid.refresh(this.model.photos.map((_, i) => i));
    this.view.renderToolbar();
  }

  /** A whole new view of the shoot: into the model, then the window follows. */
  private applyView(view: ShootViewDto): void {
    this.model.applyView(view);
    this.view.shootChanged();
  }

  // ---- opening ----

  /** Opens the shoot in `path`; `live`: started by an import (else the import is not followed). */
  async open(path: string, live = false): Promise<void> {
    if (!live) this.live?.detach();
    this.view.home.error = null;
    this.view.closeOverlay();
    this.metrics = { openStartedAt: performance.now(), listedAt: 0, firstThumbAt: 0, doneAt: 0, viewAt: 0 };
    this.view.setState("opening");
    this.model.opening();
    this.view.showProgress("Scanning…", 0);
    try {
      // Events of an opening that a newer one replaced are dropped.
      const generation = ++this.openGeneration;
      if (live) this.liveGeneration = generation;
      this.job = await openShoot(path, (e) => {
        if (generation === this.openGeneration) this.onEvent(e, generation);
      });
    } catch (e) {
      this.fail(toAppError(e));
      this.liveShown(this.openGeneration);
    }
  }

  /**
   * Opens the shoot in `path` again, quietly: photos that landed since join the grid, the
   * photos shown keep their place, decisions, cursor and selection (an import in progress).
   */
  private async refresh(path: string): Promise<void> {
    const generation = ++this.openGeneration;
    this.liveGeneration = generation;
    try {
      this.job = await openShoot(path, (e) => {
        if (generation === this.openGeneration) this.onEvent(e, generation, true);
      });
    } catch (e) {
      this.view.say(toAppError(e).message, true);
      this.liveShown(generation);
    }
  }

  private onEvent(e: ProgressEvent, generation: number, refreshing = false): void {
    const view = this.view;
    if (refreshing) {
      switch (e.event) {
        case "listed":
          if (this.model.relisted(e.data.shoot, e.data.photos)) {
            view.refreshGrid();
            view.renderStatus();
            return;
          }
          // Another shoot under that path (the catalog was changed): shown whole.
          this.model.opening();
          this.model.analyzed = false;
          view.setState("analyzing");
          break;
        case "done":
          if (!this.model.analyzed) break;
          this.job = null;
          view.hideProgress();
          this.model.applyRefreshed(e.data.view);
          // Quietly: the status bar's import line says what goes on, and its summary stays.
          view.shootChanged();
          this.liveShown(generation);
          return;
        case "failed":
          this.job = null;
          view.hideProgress();
          view.say(e.data.error.message, true);
          this.liveShown(generation);
          return;
        default:
          break;
      }
    }
    switch (e.event) {
      case "listed": {
        this.metrics.listedAt = performance.now();
        this.model.listed(e.data.shoot, e.data.root, e.data.photos);
        view.setState("analyzing");
        view.renderToolbar();
        if (this.model.photos.length === 0) {
          view.home.error = `No photos in ${this.model.root}. bestpick reads JPEG, PNG, TIFF, WebP and camera RAW files (through their embedded previews); choose another folder.`;
          view.setMode("empty");
        } else view.setMode(view.mode === "empty" ? "grid" : view.mode);
        view.refreshGrid();
        break;
      }
      case "progress": {
        const { stage, done, total } = e.data;
        const text = stage === "analyzing" ? `Analyzing ${done} / ${total}` : stage === "scanning" ? "Scanning…" : stage === "ranking" ? "Grouping…" : "Finishing…";
        view.showProgress(text, total ? done / total : 0);
        break;
      }
      case "thumbReady": {
        const i = this.model.thumbArrived(e.data.photo);
        if (i !== undefined) view.grid.refresh([i]);
        break;
      }
      case "done": {
        this.metrics.viewAt = performance.now();
        this.job = null;
        view.hideProgress();
        this.model.analyzed = true;
        this.applyView(e.data.view);
        view.setState("ready");
        // Done when the grid shows the grouped shoot (the view applied), not when it arrived.
        this.metrics.doneAt = performance.now();
        const s = e.data.view.status;
        // Opened as an import ended: its summary stays in the status bar.
        const afterImport = generation === this.liveGeneration && this.live?.ended === true;
        if (!afterImport) {
          view.say(
            s.cancelled
              ? `Stopped: ${counted(s.pending, "photo")} not analyzed yet (open the folder again to finish)`
              : `${counted(this.model.photos.length, "photo")} · ${s.fromCache} from the catalog, ${s.analyzedNow} analyzed in ${s.seconds.toFixed(1)} s${s.failed ? ` · ${s.failed} could not be read` : ""}`,
          );
        }
        void recentShoots().then((r) => (view.home.recent = r)).catch(() => undefined);
        this.liveShown(generation);
        break;
      }
      case "failed": {
        this.job = null;
        this.fail(new AppError(e.data.error.kind, e.data.error.message));
        this.liveShown(generation);
        break;
      }
    }
  }

  // ---- importing (culling begins as the first frames land) ----

  /** Runs an import, following its destination shoot; `progress` also hears each message. */
  async startImport(request: ImportRequestDto, progress: (p: ImportProgressDto) => void): Promise<ImportReportDto> {
    this.live?.detach();
    const live = new LiveImport(request.dest);
    this.live = live;
    const mb = (b: number) => (b / 1e6).toFixed(0);
    try {
      return await importPhotos(request, (p) => {
        this.importJob = p.job;
        progress(p);
        this.view.showImport(p.filesTotal ? `Importing ${p.filesDone}/${p.filesTotal} files · ${mb(p.bytesDone)}/${mb(p.bytesTotal)} MB` : "Importing…");
        this.liveStep(live, live.onLanded(p.landed, performance.now()));
      });
    } finally {
      this.importJob = null;
      this.view.showImport(null);
      this.liveStep(live, live.onFinished(performance.now()));
    }
  }

  /** Stops the running import: the file being copied is finished, verified and kept. */
  stopImport(): void {
    if (this.importJob !== null) void cancelJob(this.importJob).catch(() => false);
  }

  private liveStep(live: LiveImport, step: LiveStep): void {
    if (live !== this.live) return;
    clearTimeout(this.liveTimer);
    if (step === "open") void this.open(live.dest, true);
    else if (step === "refresh") void this.refresh(live.dest);
    else {
      const wait = live.waitMs(performance.now());
      if (wait !== null) this.liveTimer = window.setTimeout(() => this.liveStep(live, live.tick(performance.now())), wait);
    }
  }

  /** The opening or refresh of generation `generation` ended: the import may want another. */
  private liveShown(generation: number): void {
    if (generation !== this.liveGeneration || this.live === null) return;
    this.liveGeneration = -1;
    this.liveStep(this.live, this.live.onShown(performance.now()));
  }

  private fail(e: AppError): void {
    this.view.hideProgress();
    this.view.setState("error");
    const next: Record<string, string> = {
      io: "Check that the folder exists and can be read, or open another one.",
      catalog: "The catalog could not be used: check its location in Settings.",
    };
    this.view.home.error = next[e.kind] ? `${e.message}. ${next[e.kind]}` : e.message;
    if (this.model.photos.length === 0 || this.view.mode === "empty") this.view.setMode("empty");
    this.view.say(e.message, true);
  }

  private async cancel(): Promise<void> {
    if (this.job !== null) await cancelJob(this.job).catch(() => false);
  }

  private async chooseFolder(): Promise<void> {
    try {
      const f = await pickFolder();
      if (f) await this.open(f);
    } catch (e) {
      this.view.say(toAppError(e).message, true);
    }
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

  // ---- what the views ask of the back end ----

  private thumbSrc(i: number): string | null {
    if (this.model.shoot === null) return null;
    const p = this.model.photos[i];
    return this.api.thumbUrl(this.model.shoot, p.id, this.model.thumbs.get(p.id) ?? 0);
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

  private async profilesChanged(choose: string | null): Promise<void> {
    await this.actions.loadProfiles();
    if (choose) await this.actions.useProfile(choose);
    else if (this.model.analyzed && this.api.engine) this.applyView(await this.api.currentView());
  }

  // ---- hooks (the e2e suite drives and reads the window through `window.__bp`) ----

  /** The open shoot's photos, in session order. */
  get photos(): PhotoDto[] {
    return this.model.photos;
  }

  /** The grid (its `layout.order`: photo indices in display order). */
  get grid(): GridView {
    return this.view.grid;
  }

  setCursor(i: number | null): void {
    this.view.setCursor(i);
  }

  act(a: Action): Promise<void> {
    return this.actions.act(a);
  }

  useProfile(name: string): Promise<void> {
    return this.actions.useProfile(name);
  }

  toast(m: string, error = false): void {
    this.view.toast(m, error);
  }

  /** Shows photo `id` in the grid (clearing filters that hide it), or in the loupe when open. */
  focusPhoto(id: number): void {
    this.view.focusPhoto(id);
  }

  /** For tests and measurements: the state the end-to-end suite checks. */
  snapshot() {
    const m = this.model;
    const cursor = m.cursorIndex();
    return {
      mode: this.view.mode,
      shoot: m.shoot,
      photos: m.photos.length,
      groups: m.realGroups().length,
      cursor: cursor === null ? null : m.photos[cursor].relPath,
      /** What a decision applies to now: the selection, else the cursor's photo. */
      targets: m.targets(this.view.grid.layout.order).map((id) => m.photos[m.index(id) ?? 0].relPath),
      sort: m.sort,
      decisions: m.photos.map((p) => ({ relPath: p.relPath, ...m.store.get(p.id) })),
      metrics: this.metrics,
      analyzed: m.analyzed,
      profile: m.profile,
      strictness: m.strictness,
      groupList: m.realGroups().map((g) => ({ id: g.id, members: g.members.map((k) => m.photos[k].relPath), best: g.best === null ? null : m.photos[g.best].relPath })),
    };
  }
}
