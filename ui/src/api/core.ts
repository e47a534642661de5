// The one place that talks to Tauri: `call` wraps `invoke` and turns the app's errors
// (`{ kind, message }`) into `AppError`s. The per-area modules hold one typed wrapper per
// command; the rest of the UI imports those, never `invoke`.

import { Channel, invoke } from "@tauri-apps/api/core";
import type { ErrorDto } from "../bindings/ErrorDto";

export class AppError extends Error {
  constructor(
    public kind: string,
    message: string,
  ) {
    super(message);
  }
}

export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (e && typeof e === "object" && "kind" in e && "message" in e) {
    const d = e as ErrorDto;
    return new AppError(d.kind, d.message);
  }
  return new AppError("internal", typeof e === "string" ? e : String(e));
}

export async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toAppError(e);
  }
}

export function channel<T>(onMessage: (m: T) => void): Channel<T> {
  const c = new Channel<T>();
  c.onmessage = onMessage;
  return c;
}

/** True inside the Tauri window (false in a plain browser, e.g. the synthetic data mode). */
export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

/** A `bp://` address (spelled `http://bp.localhost/` on Windows web views). */
export function bpUrl(path: string): string {
  const windows = typeof navigator !== "undefined" && /Windows/.test(navigator.userAgent);
  return windows ? `http://bp.localhost/${path}` : `bp://localhost/${path}`;
}
