import { describe, expect, it } from "vitest";
import type { NetworkRequestDto } from "../bindings/NetworkRequestDto";
import { NEVER_CONNECTED, result, size, summary } from "./network";

const request = (over: Partial<NetworkRequestDto>): NetworkRequestDto => ({
  startedAtMs: 1_700_000_000_000,
  finishedAtMs: 1_700_000_000_500,
  collector: "https://collector.example.org",
  method: "POST",
  purpose: "upload bundle 0123",
  attempt: 1,
  bytesSent: 2048,
  bytesReceived: 64,
  status: 201,
  error: null,
  ...over,
});

describe("the network log in words", () => {
  it("says so when nothing was ever requested", () => {
    expect(summary([])).toBe(NEVER_CONNECTED);
    expect(NEVER_CONNECTED).toBe("bestpick has never connected to anything");
  });

  it("adds up the bytes and names each collector once", () => {
    const log = [
      request({ method: "GET", purpose: "fetch the collector key", bytesSent: 0, bytesReceived: 200 }),
      request({}),
      request({ collector: "https://other.example.org", finishedAtMs: null, bytesReceived: null, status: null }),
    ];
    expect(summary(log)).toBe(
      "3 requests, only to https://collector.example.org, https://other.example.org: 4.0 KiB sent, 264 B received",
    );
  });

  it("says how each request ended", () => {
    const cases: [string, Partial<NetworkRequestDto>, string][] = [
      ["answered", {}, "answered 201"],
      ["refused by the collector", { status: 404, error: "404 Not Found: not found" }, "failed: 404 Not Found: not found"],
      ["unreachable", { status: null, bytesReceived: 0, error: "connection refused" }, "failed: connection refused"],
      ["interrupted", { finishedAtMs: null, bytesReceived: null, status: null }, "no end recorded (bestpick stopped during it)"],
    ];
    for (const [name, over, want] of cases) expect(result(request(over)), name).toBe(want);
  });

  it("sizes bytes as people read them", () => {
    const cases: [number, string][] = [
      [0, "0 B"],
      [1023, "1023 B"],
      [1024, "1.0 KiB"],
      [5 * 1024 * 1024 + 1, "5.0 MiB"],
    ];
    for (const [bytes, want] of cases) expect(size(bytes), String(bytes)).toBe(want);
  });
});
