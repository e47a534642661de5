// Dataset contribution (issue 5), opt-in and off by default: a wizard — consent → choose →
// preview → send — and "My contributions" (status, delete, withdraw). Nothing leaves the
// machine until "Send" is pressed after a preview that shows exactly what will leave.

import {
  contributionAdd,
  contributionClear,
  contributionConsent,
  contributionDelete,
  contributionPreview,
  contributionSend,
  contributionStatus,
  contributionTerms,
  contributionWithdraw,
} from "../api/contribute";
import { bpUrl, toAppError } from "../api/core";
import type { ContributionStatusDto } from "../bindings/ContributionStatusDto";
import type { PreviewReportDto } from "../bindings/PreviewReportDto";
import { h } from "../lib/dom";
import { counted } from "../lib/words";

export interface ContributeHost {
  /** The photos selected in the grid or the loupe (the cursor's alone when one is). */
  selectedPhotoPaths(): string[];
  pickedPhotoPaths(): string[];
  toast(m: string, error?: boolean): void;
}

type Step = "consent" | "choose" | "preview" | "send";

export function contributeDrawer(host: ContributeHost, close: () => void): HTMLElement {
  const body = h("div", { class: "body" });
  let tab: "wizard" | "mine" = "wizard";
  let step: Step = "consent";
  let status: ContributionStatusDto | null = null;
  let preview: PreviewReportDto | null = null;

  const fail = (e: unknown) => host.toast(toAppError(e).message, true);
  const load = async () => {
    try {
      status = await contributionStatus();
      if (!status.consentVersion) step = "consent";
      else if (step === "consent") step = "choose";
    } catch (e) {
      fail(e);
    }
    render();
  };

  const steps = () =>
    h(
      "div",
      { class: "steps" },
      (["consent", "choose", "preview", "send"] as Step[]).map((s, i, all) =>
        h("span", { class: s === step ? "now" : all.indexOf(step) > i ? "done" : "" }, `${i + 1}. ${s[0].toUpperCase()}${s.slice(1)}`),
      ),
    );

  const consentStep = async () => {
    const terms = await contributionTerms().catch(() => "The terms could not be loaded.");
    const accept = h("input", { type: "checkbox", id: "accept" });
    const age = h("select", {}, h("option", { value: "adult" }, "18 or older"), h("option", { value: "teen" }, "13 to 17"), h("option", { value: "under13" }, "under 13"));
    const parent = h("input", { type: "checkbox", id: "parent" });
    const decade = h("select", {}, h("option", { value: "" }, "—"), ["10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80-89", "90-99"].map((d) => h("option", { value: d }, d)));
    const gender = h("select", {}, h("option", { value: "" }, "—"), ["female", "male", "non-binary", "other"].map((g) => h("option", { value: g }, g)));
    const skin = h("select", {}, h("option", { value: "" }, "—"), ["I", "II", "III", "IV", "V", "VI"].map((s) => h("option", { value: s }, s)));
    const give = h("button", { class: "primary", disabled: true }, "Give consent");
    accept.addEventListener("change", () => (give.disabled = !accept.checked));
    give.addEventListener("click", async () => {
      try {
        await contributionConsent({
          termsVersion: status?.termsVersion ?? 1,
          age: age.value,
          parentPermission: parent.checked,
          ageDecade: decade.value || null,
          gender: gender.value || null,
          skinType: skin.value || null,
        });
        host.toast("Consent recorded. Nothing has been sent.");
        step = "choose";
        await load();
      } catch (e) {
        fail(e);
      }
    });
    return h(
      "div",
      {},
      h("p", {}, "Contributing is off until you agree to these terms. You can withdraw at any time, and every bundle can be deleted later."),
      h("div", { class: "terms" }, reflow(terms)),
      h("div", { class: "row", style: "margin-top:10px" }, h("label", {}, "Your age"), age),
      h("div", { class: "row" }, h("label", {}, ""), parent, h("label", { for: "parent" }, "13–17: a parent or guardian agreed")),
      h("p", { class: "hint" }, "Optional, sent with each bundle as broad buckets only (leave blank to send nothing):"),
      h("div", { class: "row" }, h("label", {}, "Age decade"), decade),
      h("div", { class: "row" }, h("label", {}, "Gender"), gender),
      h("div", { class: "row" }, h("label", {}, "Skin type (Fitzpatrick)"), skin),
      h("div", { class: "row" }, accept, h("label", { for: "accept" }, "I have read the terms and agree")),
      give,
    );
  };

  const chooseStep = () => {
    const sel = status?.selection ?? [];
    const add = async (paths: string[]) => {
      if (paths.length === 0) return host.toast("Nothing to add: select or pick photos first.", true);
      try {
        const r = await contributionAdd(paths);
        host.toast(`${r.added.length} added${r.refused.length ? `, ${r.refused.length} refused: ${r.refused[0]}` : ""}`, r.refused.length > 0 && r.added.length === 0);
        await load();
      } catch (e) {
        fail(e);
      }
    };
    return h(
      "div",
      {},
      h("p", {}, "Choose the photos to contribute. Each one is re-encoded without metadata before anything is built; RAW, HEIC and sidecars are refused."),
      h(
        "div",
        { class: "row" },
        ((n) => h("button", { disabled: n === 0, "data-testid": "contribute-add-selection", onclick: () => add(host.selectedPhotoPaths()) }, n > 1 ? `Add the ${n} selected photos` : "Add the selected photo"))(host.selectedPhotoPaths().length),
        h("button", { onclick: () => add(host.pickedPhotoPaths()) }, "Add this shoot's picks"),
        h("button", { onclick: async () => (await contributionClear().catch(fail), load()) }, "Clear"),
      ),
      h("p", {}, h("b", {}, `${counted(sel.length, "photo")} selected`)),
      h("ul", {}, sel.slice(0, 50).map((p) => h("li", { class: "hint" }, p))),
      h("button", { class: "primary", disabled: sel.length === 0, onclick: () => ((step = "preview"), render()) }, "Next: preview"),
    );
  };

  const previewStep = () => {
    const build = h("button", { class: "primary" }, preview ? "Build again" : "Build the preview");
    build.addEventListener("click", async () => {
      build.disabled = true;
      build.textContent = "Building…";
      try {
        preview = await contributionPreview();
      } catch (e) {
        fail(e);
      }
      render();
    });
    return h(
      "div",
      {},
      h("p", {}, "The preview builds the bundle locally and shows exactly what would leave: each image as it will be sent, and the manifest. Nothing is sent in this step."),
      status?.collector ? null : h("p", { style: "color:#f0a09a" }, "No collector is configured: set its address in Settings first."),
      build,
      preview
        ? h(
            "div",
            { style: "margin-top:12px" },
            h("p", {}, h("b", {}, `Bundle ${preview.anonymousId}`), ` · ${counted(preview.images.length, "image")} · ${Math.ceil(preview.sealedBytes / 1024)} KiB sealed`),
            h("div", { class: "thumbs" }, preview.images.map((i) => h("img", { src: bpUrl(`contrib/${preview?.anonymousId}/${i.previewPath.split("/").pop()}`), title: `${i.name} ${i.width}×${i.height} (from ${i.source})` }))),
            preview.refused.length ? h("p", { style: "color:#f0a09a" }, `Left out: ${preview.refused.join("; ")}`) : null,
            h("h3", { style: "font-size:12px" }, "Manifest, exactly as sent"),
            h("pre", { class: "terms" }, preview.manifestJson),
            h("button", { class: "primary", onclick: () => ((step = "send"), render()) }, "Next: send"),
          )
        : null,
    );
  };

  const sendStep = () => {
    const send = h("button", { class: "primary", "data-testid": "contribute-send" }, `Send ${counted(preview?.images.length ?? 0, "photo")} now`);
    send.addEventListener("click", async () => {
      send.disabled = true;
      try {
        const r = await contributionSend();
        host.toast(r.failed.length ? `Not sent: ${r.failed.join("; ")}` : `Sent: ${r.sent.join("; ") || "nothing was staged"}`, r.failed.length > 0);
        preview = null;
        step = "choose";
        tab = "mine";
        await load();
      } catch (e) {
        fail(e);
        send.disabled = false;
      }
    });
    return h(
      "div",
      {},
      h("p", {}, "This is the only step that sends anything. The bundle is encrypted to the collector's key; you get a receipt to check, delete or withdraw it later."),
      send,
      h("button", { style: "margin-left:8px", onclick: () => ((step = "preview"), render()) }, "Back"),
    );
  };

  const mine = () =>
    h(
      "div",
      {},
      status?.consentVersion
        ? h("p", {}, `Consent given to terms v${status.consentVersion}${status.consentAtMs ? ` on ${new Date(status.consentAtMs).toLocaleDateString()}` : ""}.`)
        : h("p", {}, "No consent given: contributing is off."),
      status?.problems.length ? h("p", { class: "hint" }, `Could not refresh: ${status.problems.join("; ")}`) : null,
      status && status.contributions.length
        ? h(
            "table",
            { class: "plan" },
            status.contributions.map((c) =>
              h(
                "tr",
                {},
                h("td", {}, c.bundleId ?? c.anonymousId),
                h("td", {}, counted(c.images, "photo")),
                h("td", {}, c.sentAtMs ? new Date(c.sentAtMs).toLocaleDateString() : "not sent"),
                h("td", {}, c.state + (c.datasets.length ? ` · used in ${c.datasets.join(", ")}` : "")),
                h(
                  "td",
                  {},
                  c.state === "received" || c.state === "staged"
                    ? h("button", { class: "danger", onclick: async () => (await contributionDelete(c.bundleId ?? c.anonymousId).catch(fail), load()) }, "Delete")
                    : null,
                ),
              ),
            ),
          )
        : h("p", { class: "hint" }, "No contributions yet."),
      status?.consentVersion
        ? h(
            "button",
            {
              class: "danger",
              onclick: async () => {
                if (!confirm("Withdraw consent? Nothing more will be contributed and the collector is asked to delete every bundle.")) return;
                try {
                  const pending = await contributionWithdraw();
                  host.toast(pending.length ? `Withdrawn; still to delete: ${pending.join("; ")}` : "Consent withdrawn; every bundle deleted");
                } catch (e) {
                  fail(e);
                }
                await load();
              },
            },
            "Withdraw consent",
          )
        : null,
    );

  const render = async () => {
    const tabs = h(
      "div",
      { class: "tabs segmented" },
      h("button", { class: tab === "wizard" ? "on" : "", onclick: () => ((tab = "wizard"), void render()) }, "Contribute"),
      h("button", { class: tab === "mine" ? "on" : "", onclick: () => ((tab = "mine"), void render()) }, "My contributions"),
    );
    let content: HTMLElement;
    if (tab === "mine") content = mine();
    else if (step === "consent") content = await consentStep();
    else if (step === "choose") content = chooseStep();
    else if (step === "preview") content = previewStep();
    else content = sendStep();
    body.replaceChildren(tabs, tab === "wizard" ? steps() : h("span"), content);
  };

  body.append(h("p", { class: "hint" }, "Loading…"));
  void load();
  return h(
    "div",
    { class: "drawer", "data-testid": "contribute-panel" },
    h("header", {}, h("h2", {}, "Contribute photos to improve bestpick (opt-in)"), h("button", { onclick: close }, "Close")),
    body,
  );
}

/** Joins hard-wrapped lines of the terms into paragraphs (headings and list items keep theirs). */
export function reflow(text: string): string {
  const lines = text.split("\n");
  const out: string[] = [];
  for (const line of lines) {
    const prev = out.length ? out[out.length - 1] : "";
    const starts = /^\s*$|^#|^\s*[-*] |^\s*\d+\. /.test(line);
    if (out.length && !starts && prev.trim() !== "" && !prev.startsWith("#")) out[out.length - 1] = `${prev} ${line.trim()}`;
    else out.push(line);
  }
  return out.join("\n");
}
