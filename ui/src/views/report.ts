// The Report panel (a drawer): the trust report of the open shoot — how often your pick was
// the suggestion, the groups where it was not (the suggestion beside your pick, with the
// cause), the reject candidates you kept — and Save as HTML… for a second shooter. A click on
// a photo shows it in the grid.

import { pickSaveFile } from "../api/app";
import { toAppError } from "../api/core";
import { saveReportHtml, trustReport } from "../api/report";
import type { ReportPhotoDto } from "../bindings/ReportPhotoDto";
import type { TrustReportDto } from "../bindings/TrustReportDto";
import { h } from "../lib/dom";
import { counted } from "../lib/words";
import { drawer } from "./panels";

export interface ReportHost {
  /** The thumbnail address of a photo (null: none yet). */
  thumb: (photo: number) => string | null;
  /** Shows a photo in the grid (or the loupe). */
  focus: (photo: number) => void;
  toast: (m: string, error?: boolean) => void;
  close: () => void;
}

export function reportDrawer(host: ReportHost): HTMLElement {
  const body = h("div", { class: "body report" }, h("p", { class: "hint" }, "Measuring…"));
  const save = h("button", { class: "primary", "data-testid": "report-save" }, "Save as HTML…");
  const el = drawer("Report", "report-panel", host.close, body, h("div", { class: "foot" }, h("button", { onclick: host.close }, "Close"), save));

  const photo = (p: ReportPhotoDto, tag: string) => {
    const src = host.thumb(p.id);
    const name = p.relPath.split("/").pop() ?? p.relPath;
    return h(
      "figure",
      { class: "rphoto", "data-photo": p.id, title: `${p.relPath}${p.reasons.length ? `\n${p.reasons.join("\n")}` : ""}\n(click to show it)`, onclick: () => host.focus(p.id) },
      src ? h("img", { src, alt: name, loading: "lazy" }) : h("div", { class: "noimg" }),
      h("figcaption", {}, h("b", {}, tag), h("span", { class: "name" }, name), p.reasons.length ? h("span", { class: "hint" }, p.reasons[0]) : null),
    );
  };

  const render = (r: TrustReportDto) => {
    body.replaceChildren(
      h(
        "div",
        {},
      h(
        "div",
        { class: "stats" },
        h("div", {}, h("b", { "data-testid": "report-decided" }, String(r.decided)), h("span", {}, `of ${counted(r.groups, "group")} decided`)),
        h("div", {}, h("b", { "data-testid": "report-agreed" }, String(r.agreed)), h("span", {}, "picks were the suggestion")),
        h("div", {}, h("b", { "data-testid": "report-overruled" }, String(r.overruled.length)), h("span", {}, "chosen otherwise")),
        h("div", {}, h("b", {}, `${r.agreementPercent}%`), h("span", {}, "agreement")),
      ),
      h("ul", { class: "summary", "data-testid": "report-summary" }, r.summary.map((l) => h("li", {}, l))),
      h("p", { class: "hint" }, `Suggestions by the ${r.profile} profile, each as it was when you decided the group.`),
      h("h4", {}, "Where you chose otherwise"),
      r.overruled.length
        ? r.overruled.map((o) =>
            h(
              "div",
              { class: "overruled", "data-testid": "report-group", "data-group": o.group },
              h("div", { class: "ohead" }, `Group ${o.group}`, h("span", { class: "cause" }, o.cause)),
              h(
                "div",
                { class: "pair" },
                photo(o.suggested, "suggested"),
                h("span", { class: "arrow" }, "→"),
                o.chosen.length ? o.chosen.map((c) => photo(c, "your pick")) : h("div", { class: "hint none" }, "you rejected the suggestion and picked nothing"),
              ),
            ),
          )
        : h("p", { class: "hint" }, r.decided ? "Nowhere: every pick you made was the suggestion." : "No group decided yet: pick (P) the frame you want in a group."),
      h("h4", {}, "Reject candidates you kept"),
      r.keptRejects.length
        ? h("div", { class: "kept", "data-testid": "report-kept" }, r.keptRejects.map((p) => photo(p, "kept")))
        : h("p", { class: "hint" }, "None."),
      ),
    );
  };

  save.addEventListener("click", async () => {
    try {
      const file = await pickSaveFile("Save the trust report", "bestpick-report.html", "html");
      if (!file) return;
      save.disabled = true;
      save.textContent = "Saving…";
      host.toast(`Saved the report to ${await saveReportHtml(file)}`);
    } catch (e) {
      host.toast(toAppError(e).message, true);
    } finally {
      save.disabled = false;
      save.textContent = "Save as HTML…";
    }
  });
  void trustReport()
    .then(render)
    .catch((e) => body.replaceChildren(h("p", { class: "error-box" }, toAppError(e).message)));
  return el;
}
