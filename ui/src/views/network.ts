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
        "ol",
        { class: "log", "data-testid": "network-log", reversed: true },
        [...log].reverse().map((r) => {
          const failed = r.error !== null || r.finishedAtMs === null;
          return h(
            "li",
            { "data-testid": "network-request", class: failed ? "failed" : "" },
            h(
              "div",
              { class: "what" },
              h("b", {}, r.purpose + (r.attempt > 1 ? ` (attempt ${r.attempt})` : "")),
              h("span", { class: "result" }, result(r)),
            ),
            h(
              "div",
              { class: "hint" },
              [when(r.startedAtMs), `${r.method} ${r.collector}`, `sent ${size(r.bytesSent)}`, r.bytesReceived === null ? null : `received ${size(r.bytesReceived)}`]
                .filter((x) => x !== null)
                .join(" · "),
            ),
          );
        }),
      ),
    );
  };

  host
    .load()
    .then(render)
    .catch((e) => body.replaceChildren(h("p", { class: "error" }, `Cannot read the network log: ${toAppError(e).message}`)));
  return el;
}
