// The drawers over the stage, each opened with what it needs from the open shoot: the profile
// page, the Report panel, export, settings (which may close the shoot), contribute and the
// Network page. Keeps
// the settings as last read, for export's defaults.

import { recentShoots } from "../api/app";
import { toAppError } from "../api/core";
import { getSettings } from "../api/settings";
import type { ImportProgressDto } from "../bindings/ImportProgressDto";
import type { ImportReportDto } from "../bindings/ImportReportDto";
import type { ImportRequestDto } from "../bindings/ImportRequestDto";
import type { NetworkRequestDto } from "../bindings/NetworkRequestDto";
import type { SettingsDto } from "../bindings/SettingsDto";
import type { ShootModel } from "../model/shoot";
import { contributeDrawer } from "./contribute";
import { networkDrawer } from "./network";
import { exportDrawer, importDrawer, settingsDrawer } from "./panels";
import { profileDrawer } from "./profile";
import { reportDrawer } from "./report";
import type { WindowView } from "./window";

/** What the drawers ask of the controller. */
export interface DrawersHost {
  thumbSrc(index: number): string | null;
  /** Profiles were made, changed or deleted: the picker again, then `choose` it or re-rank. */
  profilesChanged(choose: string | null): Promise<void>;
  /** Runs an import (the window follows its destination shoot). */
  startImport(request: ImportRequestDto, progress: (p: ImportProgressDto) => void): Promise<ImportReportDto>;
  /** Stops the running import. */
  stopImport(): void;
  /** The network log (the Tauri core's, or the synthetic shoot's empty one). */
  networkLog(): Promise<NetworkRequestDto[]>;
}

export class Drawers {
  settings: SettingsDto | null = null;

  constructor(
    private model: ShootModel,
    private view: WindowView,
    private host: DrawersHost,
  ) {}

  private toast = (m: string, error?: boolean) => this.view.toast(m, error);
  private close = () => this.view.closeOverlay();

  openProfile(): void {
    this.view.showOverlay(
      profileDrawer({
        current: () => this.model.profile,
        changed: (choose) => this.host.profilesChanged(choose),
        toast: this.toast,
        close: this.close,
      }),
    );
  }

  openReport(): void {
    this.view.showOverlay(
      reportDrawer({
        thumb: (id) => {
          const i = this.model.index(id);
          return i === undefined || !this.model.thumbs.has(id) ? null : this.host.thumbSrc(i);
        },
        focus: (id) => this.view.focusPhoto(id),
        toast: this.toast,
        close: this.close,
      }),
    );
  }

  openImport(): void {
    this.view.showOverlay(
      importDrawer({
        start: (request, progress) => this.host.startImport(request, progress),
        stop: () => this.host.stopImport(),
        toast: this.toast,
        close: this.close,
      }),
    );
  }

  openExport(): void {
    this.view.showOverlay(exportDrawer(this.settings?.darktableNames ?? false, this.close, this.toast));
  }

  async openSettings(): Promise<void> {
    const home = this.view.home;
    try {
      const [s, recent] = await Promise.all([getSettings(), recentShoots()]);
      this.settings = s;
      home.recent = recent;
      this.view.showOverlay(
        settingsDrawer(
          s,
          recent,
          this.model.shoot,
          this.close,
          this.toast,
          (next, catalogChanged) => {
            this.settings = next;
            this.model.autoAdvance = next.autoAdvance;
            this.close();
            if (catalogChanged) this.closeShoot();
          },
          (forgot) => {
            home.recent = home.recent.filter((r) => r.id !== forgot);
            if (forgot === this.model.shoot) {
              this.close();
              this.closeShoot();
            } else void this.openSettings();
          },
        ),
      );
    } catch (e) {
      this.toast(toAppError(e).message, true);
    }
  }

  /** The open shoot is gone (forgotten, or in another catalog): back to the empty state. */
  private closeShoot(): void {
    this.model.clear();
    this.view.setMode("empty");
    this.view.refreshGrid();
    this.view.renderStatus();
    this.view.renderToolbar();
  }

  openNetwork(): void {
    this.view.showOverlay(networkDrawer({ load: () => this.host.networkLog(), close: this.close }));
  }

  openContribute(): void {
    this.view.showOverlay(
      contributeDrawer(
        {
          selectedPhotoPaths: () =>
            this.model.targets(this.view.grid.layout.order).flatMap((id) => {
              const i = this.model.index(id);
              return i === undefined ? [] : [`${this.model.root}/${this.model.photos[i].relPath}`];
            }),
          pickedPhotoPaths: () => this.model.picked().map((p) => `${this.model.root}/${p.relPath}`),
          toast: this.toast,
        },
        this.close,
      ),
    );
  }
}
