// The network log in words: what the Network page shows of each request the contribution
// client made, and one line over all of them. The same wording as `bestpick contribute log`.

import type { NetworkRequestDto } from "../bindings/NetworkRequestDto";
import { counted } from "./words";

/** What the page (and `bestpick contribute log`) says when nothing was ever requested. */
export const NEVER_CONNECTED = "bestpick has never connected to anything";

/** A byte count as people read it (B, KiB, MiB). */
export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** How a request ended, in words. */
export function result(r: NetworkRequestDto): string {
  if (r.finishedAtMs === null) return "no end recorded (bestpick stopped during it)";
  if (r.error !== null) return `failed: ${r.error}`;
  return r.status !== null ? `answered ${r.status}` : "done";
}

/** One line over the whole log. */
export function summary(log: NetworkRequestDto[]): string {
  if (log.length === 0) return NEVER_CONNECTED;
  const collectors = [...new Set(log.map((r) => r.collector))].sort();
  const sent = log.reduce((n, r) => n + r.bytesSent, 0);
  const received = log.reduce((n, r) => n + (r.bytesReceived ?? 0), 0);
  return `${counted(log.length, "request")}, only to ${collectors.join(", ")}: ${size(sent)} sent, ${size(received)} received`;
}
