// The Network page (a drawer): every request bestpick made, from the network log in the
// catalog. Culling never connects to anything; only the opt-in contribution talks to its
// collector, after consent, and each of its requests is written to the log before it leaves.

import { toAppError } from "../api/core";
import type { NetworkRequestDto } from "../bindings/NetworkRequestDto";
import { h } from "../lib/dom";
import { NEVER_CONNECTED, result, size, summary } from "../lib/network";
import { drawer } from "./panels";

export interface NetworkHost {
  /** The log, oldest first. */
  load: () => Promise<NetworkRequestDto[]>;
  close: () => void;
}

export function networkDrawer(host: NetworkHost): HTMLElement {
  const body = h("div", { class: "body network" }, h("p", { class: "hint" }, "Reading the log…"));
  const el = drawer("Network", "network-panel", host.close, body, h("div", { class: "foot" }, h("button", { onclick: host.close }, "Close")));
  const about = h(
    "p",
    { class: "hint" },
    "bestpick opens no connection while you cull. Only the opt-in contribution talks to a collector, after your consent; each of its requests is written to this log, kept in your catalog, before it leaves.",
  );

  const render = (log: NetworkRequestDto[]) => {
    if (log.length === 0) {
      body.replaceChildren(h("p", { class: "never", "data-testid": "network-empty" }, NEVER_CONNECTED), about);
      return;
    }
    const when = (ms: number) => new Date(ms).toLocaleString();
    body.replaceChildren(
      h("p", { class: "summary", "data-testid": "network-summary" }, summary(log)),
      about,
      h(
        "table",
        { class: "log", "data-testid": "network-log" },
        h("thead", {}, h("tr", {}, ["When", "Where", "What for", "Sent", "Received", "Result"].map((t) => h("th", {}, t)))),
        h(
          "tbody",
          {},
          [...log].reverse().map((r) =>
            h(
              "tr",
              { "data-testid": "network-request", class: r.error !== null || r.finishedAtMs === null ? "failed" : "" },
              h("td", { class: "when" }, when(r.startedAtMs)),
              h("td", {}, `${r.method} ${r.collector}`),
              h("td", {}, r.purpose + (r.attempt > 1 ? ` (attempt ${r.attempt})` : "")),
              h("td", { class: "num" }, size(r.bytesSent)),
              h("td", { class: "num" }, r.bytesReceived === null ? "–" : size(r.bytesReceived)),
              h("td", {}, result(r)),
            ),
          ),
        ),
      ),
    );
  };

  host
    .load()
    .then(render)
    .catch((e) => body.replaceChildren(h("p", { class: "error" }, `Cannot read the network log: ${toAppError(e).message}`)));
  return el;
}
