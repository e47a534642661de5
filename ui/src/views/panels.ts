// Drawers and overlays: the key map, the export panel (plan shown before writing), settings
// (catalog, threads, forget this shoot).

import { planExport, runExport } from "../api/export";
import { renameExample } from "../api/import";
import { pickFolder } from "../api/app";
import { forgetShoot, saveSettings } from "../api/settings";
import { toAppError } from "../api/core";
import type { ExportRequestDto } from "../bindings/ExportRequestDto";
import type { ImportProgressDto } from "../bindings/ImportProgressDto";
import type { ImportReportDto } from "../bindings/ImportReportDto";
import type { ImportRequestDto } from "../bindings/ImportRequestDto";
import type { SettingsDto } from "../bindings/SettingsDto";
import type { ShootInfoDto } from "../bindings/ShootInfoDto";
import { KEY_HELP } from "../lib/keymap";
import { h } from "../lib/dom";
import { counted } from "../lib/words";

export function helpOverlay(close: () => void): HTMLElement {
  return h(
    "div",
    { class: "overlay", "data-testid": "help", onclick: close },
    h(
      "div",
      { class: "help", onclick: (e: Event) => e.stopPropagation() },
      h("h2", {}, "Keyboard"),
      h("table", {}, KEY_HELP.map(([k, v]) => h("tr", {}, h("td", {}, ...k.split("  ").map((part) => h("kbd", {}, part)).flatMap((x, i) => (i ? [" ", x] : [x]))), h("td", {}, v)))),
      h("p", { class: "hint", style: "color:var(--text-3);margin:12px 0 0" }, "The mouse works too: click to select, double-click for the loupe, scroll to zoom, drag to pan."),
    ),
  );
}

export function drawer(title: string, testid: string, close: () => void, body: HTMLElement, foot: HTMLElement | null): HTMLElement {
  return h(
    "div",
    { class: "drawer", "data-testid": testid },
    h("header", {}, h("h2", {}, title), h("button", { onclick: close, title: "Close (Esc)" }, "Close")),
    body,
    foot,
  );
}

export function exportDrawer(defaultDarktable: boolean, close: () => void, toast: (m: string, error?: boolean) => void): HTMLElement {
  let kind: "xmp" | "copy" | "move" = "xmp";
  let darktable = defaultDarktable;
  const dest = h("input", { type: "text", placeholder: "Destination folder for the picks", "data-testid": "export-dest" });
  const planBox = h("div", { "data-testid": "export-plan" });
  const write = h("button", { class: "primary", disabled: true, "data-testid": "export-write" }, "Write");
  const request = (): ExportRequestDto | null =>
    kind === "xmp" ? { kind: "xmp", darktable } : dest.value.trim() ? { kind: "picks", dest: dest.value.trim(), move: kind === "move" } : null;
  const opts = h("div");
  const refresh = async () => {
    renderOpts();
    const r = request();
    write.disabled = true;
    if (!r) {
      planBox.replaceChildren(h("p", { class: "hint" }, "Choose a destination folder to see what will be copied."));
      return;
    }
    planBox.replaceChildren(h("p", { class: "hint" }, "Planning…"));
    try {
      const plan = await planExport(r);
      write.disabled = plan.files.length === 0;
      write.textContent = plan.files.length ? `Write ${counted(plan.files.length, "file")}` : "Nothing to write";
      planBox.replaceChildren(
        h("p", {}, h("b", {}, "What will be written: "), plan.summary),
        plan.files.length === 0
          ? h("p", { class: "hint" }, kind === "xmp" ? "No photo has a decision yet: pick (P), reject (X), rate (0–5) or label (6–9) first." : "No picked photos yet: pick some with P first.")
          : h(
              "table",
              { class: "plan" },
              plan.files.map((f) => h("tr", {}, h("td", { class: `act ${f.action}` }, f.action), h("td", { class: "path" }, f.dest), h("td", {}, f.note))),
            ),
      );
    } catch (e) {
      planBox.replaceChildren(h("p", { style: "color:#f0a09a" }, toAppError(e).message));
    }
  };
  const renderOpts = () => {
    opts.replaceChildren(
      h(
        "div",
        { class: "row" },
        h("label", {}, "Export"),
        h(
          "span",
          { class: "segmented" },
          h("button", { class: kind === "xmp" ? "on" : "", "data-testid": "export-kind-xmp", onclick: () => ((kind = "xmp"), void refresh()) }, "XMP sidecars"),
          h("button", { class: kind === "copy" ? "on" : "", onclick: () => ((kind = "copy"), void refresh()) }, "Copy picks"),
          h("button", { class: kind === "move" ? "on" : "", onclick: () => ((kind = "move"), void refresh()) }, "Move picks"),
        ),
      ),
      kind === "xmp"
        ? h(
            "div",
            { class: "row" },
            h("label", {}, "Sidecar names"),
            h(
              "span",
              { class: "segmented" },
              h("button", { class: !darktable ? "on" : "", onclick: () => ((darktable = false), void refresh()) }, "Adobe  IMG_1.xmp"),
              h("button", { class: darktable ? "on" : "", onclick: () => ((darktable = true), void refresh()) }, "darktable  IMG_1.JPG.xmp"),
            ),
          )
        : h(
            "div",
            { class: "row" },
            h("label", {}, "Destination"),
            dest,
            h(
              "button",
              {
                onclick: async () => {
                  const f = await pickFolder().catch(() => null);
                  if (f) {
                    dest.value = f;
                    void refresh();
                  }
                },
              },
              "Browse…",
            ),
          ),
      h("p", { class: "hint" }, kind === "xmp" ? "Ratings (−1 for rejects), colour labels and pick flags go into sidecars next to the photos; existing sidecars are merged, never replaced. Lightroom, darktable and digiKam read them." : "Each pick goes with its RAW and sidecars; nothing at the destination is overwritten (clashes get a numbered name)."),
    );
  };
  dest.addEventListener("change", () => void refresh());
  write.addEventListener("click", async () => {
    const r = request();
    if (!r) return;
    write.disabled = true;
    try {
      const report = await runExport(r);
      toast(report.failed.length ? `Wrote ${counted(report.written.length, "file")}; ${report.failed.length} failed: ${report.failed[0]}` : `Wrote ${counted(report.written.length, "file")}`, report.failed.length > 0);
      await refresh();
    } catch (e) {
      toast(toAppError(e).message, true);
    }
  });
  void refresh();
  return drawer("Export", "export-panel", close, h("div", { class: "body" }, opts, planBox), h("div", { class: "foot" }, h("button", { onclick: close }, "Cancel"), write));
}

/** A folder field with its Browse… button. */
function folderRow(label: string, input: HTMLInputElement, onChange: () => void): HTMLElement {
  return h(
    "div",
    { class: "row" },
    h("label", {}, label),
    input,
    h(
      "button",
      {
        onclick: async () => {
          const f = await pickFolder().catch(() => null);
          if (f) {
            input.value = f;
            onChange();
          }
        },
      },
      "Browse…",
    ),
  );
}

/** What the Import drawer asks of the window. */
export interface ImportHost {
  /** Runs the import; the window opens the destination as the first frames land and follows it. */
  start(request: ImportRequestDto, progress: (p: ImportProgressDto) => void): Promise<ImportReportDto>;
  /** Stops the running import. */
  stop(): void;
  toast(m: string, error?: boolean): void;
  close(): void;
}

/** Import from a card: source, destination, renaming pattern (with a live example), optional
 * backup; Start copies and verifies, and the destination shoot opens as the first photos land. */
export function importDrawer(host: ImportHost): HTMLElement {
  const source = h("input", { type: "text", placeholder: "Card or folder, e.g. /media/card/DCIM", "data-testid": "import-source" });
  const dest = h("input", { type: "text", placeholder: "Destination (a folder per capture date goes in it)", "data-testid": "import-dest" });
  const pattern = h("input", { type: "text", value: "{date}_{time}_{seq}", "data-testid": "import-pattern" });
  const backup = h("input", { type: "text", placeholder: "Optional second copy", "data-testid": "import-backup" });
  const example = h("p", { class: "hint", "data-testid": "import-example" });
  const status = h("div", { "data-testid": "import-status" });
  const start = h("button", { class: "primary", "data-testid": "import-start" }, "Start");
  const stop = h("button", { "data-testid": "import-stop", hidden: true, onclick: () => host.stop() }, "Stop");
  let running = false;
  const ready = () => {
    start.disabled = running || !(source.value.trim() && dest.value.trim());
  };
  let asked = 0;
  const showExample = async () => {
    const mine = ++asked;
    try {
      const name = await renameExample(pattern.value);
      if (mine === asked) example.replaceChildren("Example: ", h("b", {}, `2024-05-17/${name}`), " (a RAW+JPEG pair and its sidecars share the name)");
    } catch (e) {
      if (mine === asked) example.replaceChildren(h("span", { style: "color:#f0a09a" }, toAppError(e).message));
    }
  };
  pattern.addEventListener("input", () => void showExample());
  for (const i of [source, dest]) i.addEventListener("input", ready);
  start.addEventListener("click", async () => {
    running = true;
    ready();
    stop.hidden = false;
    status.replaceChildren(h("p", { class: "hint" }, "Starting…"));
    try {
      const report = await host.start(
        { source: source.value.trim(), dest: dest.value.trim(), pattern: pattern.value, backup: backup.value.trim() || null },
        (p) => {
          const mb = (b: number) => (b / 1e6).toFixed(1);
          status.replaceChildren(h("p", {}, `Copying and verifying: ${p.filesDone}/${p.filesTotal} files, ${mb(p.bytesDone)}/${mb(p.bytesTotal)} MB`));
        },
      );
      const rate = report.seconds > 0 ? report.megabytes / report.seconds : 0;
      const done = `${report.copied} copied and verified (${report.megabytes.toFixed(1)} MB, ${rate.toFixed(1)} MB/s), ${report.alreadyImported} already imported, ${report.failed.length} failed`;
      const summary = report.cancelled ? `Import stopped: ${done}; import again to go on` : done;
      status.replaceChildren(h("p", { "data-testid": "import-summary" }, summary));
      if (report.failed.length) status.append(h("ul", {}, report.failed.map((f) => h("li", {}, f.reason))));
      const firstFailure = report.failed.length ? ` (${report.failed[0].reason})` : "";
      host.toast(summary + firstFailure, report.failed.length > 0);
    } catch (e) {
      status.replaceChildren(h("p", { style: "color:#f0a09a" }, toAppError(e).message));
    }
    running = false;
    stop.hidden = true;
    ready();
  });
  ready();
  void showExample();
  const body = h(
    "div",
    { class: "body" },
    folderRow("From", source, ready),
    folderRow("To", dest, ready),
    h("div", { class: "row" }, h("label", {}, "Names"), pattern),
    example,
    h("p", { class: "hint" }, "Tokens: {date} YYYY-MM-DD, {time} HHMMSS, {seq} 0001…, {camera} camera model, {name} original name. The card is only read; every copy is checked against it, and photos imported before are skipped."),
    folderRow("Backup", backup, ready),
    status,
  );
  return drawer("Import", "import-panel", host.close, body, h("div", { class: "foot" }, h("button", { onclick: host.close }, "Close"), stop, start));
}

export function settingsDrawer(
  s: SettingsDto,
  recent: ShootInfoDto[],
  currentShoot: number | null,
  close: () => void,
  toast: (m: string, error?: boolean) => void,
  onSaved: (s: SettingsDto, catalogChanged: boolean) => void,
  onForgot: (shoot: number) => void,
): HTMLElement {
  const catalog = h("input", { type: "text", value: s.catalogIsDefault ? "" : s.catalogPath, placeholder: s.catalogPath });
  const threads = h("input", { type: "number", min: 1, max: 64, value: s.threads ?? "", placeholder: `auto (${s.autoThreads})`, style: "width:110px" });
  const collector = h("input", { type: "text", value: s.collectorUrl ?? "", placeholder: "https://… (needed only to contribute)" });
  const advance = h("input", { type: "checkbox", checked: s.autoAdvance, "data-testid": "settings-auto-advance" });
  const save = h("button", { class: "primary", "data-testid": "settings-save" }, "Save");
  save.addEventListener("click", async () => {
    try {
      const next = await saveSettings({
        catalogPath: catalog.value.trim() || null,
        threads: threads.value ? Number(threads.value) : null,
        strictness: s.strictness,
        darktableNames: s.darktableNames,
        collectorUrl: collector.value.trim() || null,
        autoAdvance: advance.checked,
      });
      toast("Settings saved");
      onSaved(next, next.catalogPath !== s.catalogPath);
    } catch (e) {
      toast(toAppError(e).message, true);
    }
  });
  const shoots = h(
    "table",
    { class: "plan" },
    recent.map((r) =>
      h(
        "tr",
        {},
        h("td", { class: "path" }, r.root, r.id === currentShoot ? h("span", { class: "hint" }, "  (open)") : null, r.exists ? null : h("span", { class: "hint" }, "  (folder missing)")),
        h("td", {}, counted(r.photos, "photo")),
        h(
          "td",
          {},
          h(
            "button",
            {
              class: "danger",
              "data-testid": `forget-${r.id}`,
              onclick: async () => {
                if (!confirm(`Forget ${r.root}?\n\nRemoves its analyses, decisions, history and thumbnails from bestpick. The photos and exported sidecars stay.`)) return;
                try {
                  await forgetShoot(r.id);
                  toast(`Forgot ${r.root}`);
                  onForgot(r.id);
                } catch (e) {
                  toast(toAppError(e).message, true);
                }
              },
            },
            "Forget this shoot",
          ),
        ),
      ),
    ),
  );
  return drawer(
    "Settings",
    "settings-panel",
    close,
    h(
      "div",
      { class: "body" },
      h("div", { class: "row" }, h("label", {}, "Catalog file"), catalog),
      h("p", { class: "hint" }, `Empty = the default catalog, shared with the bestpick command line. In use: ${s.catalogPath}`),
      h("div", { class: "row" }, h("label", {}, "Analysis threads"), threads, h("span", { class: "hint" }, "empty = one per core, less one for the window")),
      h("div", { class: "row" }, h("label", {}, "After a decision"), h("label", { class: "check" }, advance, " move to the next photo (auto-advance; not when several are selected)")),
      h("div", { class: "row" }, h("label", {}, "Contribution collector"), collector),
      h("p", { class: "hint" }, `Thumbnails are cached in ${s.thumbnailDir}`),
      h("h3", { style: "font-size:13px;margin:18px 0 8px" }, "Shoots in the catalog"),
      recent.length ? shoots : h("p", { class: "hint" }, "No shoots yet."),
    ),
    h("div", { class: "foot" }, h("button", { onclick: close }, "Cancel"), save),
  );
}
