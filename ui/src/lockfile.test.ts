// The lock file must be the same on every machine: `npm ci` installs exactly it, and it is
// complete only when every platform's optional package (rollup's and esbuild's native
// binaries) is locked, not just the ones of the machine that wrote it.
import { describe, expect, it } from "vitest";
import lock from "../package-lock.json";

type Entry = { version?: string; optionalDependencies?: Record<string, string> };
const packages = lock.packages as Record<string, Entry>;

describe("package-lock.json", () => {
  it("locks every optional dependency of every package, for all platforms", () => {
    const missing: string[] = [];
    for (const [path, entry] of Object.entries(packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        // Resolution walks up from the package's own node_modules to the top level.
        const nested = `${path}/node_modules/${name}`;
        if (!packages[nested] && !packages[`node_modules/${name}`]) {
          missing.push(`${name} (wanted by ${path || "the root"})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("holds rollup's native packages for more than this platform", () => {
    const rollupNative = Object.keys(packages).filter((p) =>
      p.startsWith("node_modules/@rollup/rollup-"),
    );
    expect(rollupNative.length).toBeGreaterThan(10);
  });
});
