// The installed desktop app, driven in real WebKit (tauri-driver + WebKitWebDriver under Xvfb,
// as in tests/e2e): started with no folder it opens the installed sample shoot; started with a
// folder argument (what the desktop entry's "Open folder with bestpick" passes) it opens that.
//
// Usage (from tests/package/installed.sh, under xvfb-run): node app.mjs APP SAMPLE_DIR FOLDER
// Starts tauri-driver on port 4460 (not the end-to-end suite's 4444, which may be in use).
// Prints one line per check and "N passed, N failed"; exits 1 on any failure.

import { spawn } from "node:child_process";

const [app, sampleDir, folder] = process.argv.slice(2);
const port = 4460;
const base = `http://127.0.0.1:${port}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let passed = 0;
let failed = 0;

function check(name, ok, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} app: ${name}${detail ? `  (${detail})` : ""}`);
}

async function wd(method, path, body) {
  const res = await fetch(base + path, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json).slice(0, 400)}`);
  return json.value;
}

async function session(args) {
  const caps = { capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application: app, args } } } };
  const id = (await wd("POST", "/session", caps)).sessionId;
  const exec = (script) => wd("POST", `/session/${id}/execute/sync`, { script, args: [] });
  const until = async (what, script, timeoutMs = 180_000) => {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      const v = await exec(script).catch(() => null);
      if (v) return v;
      await sleep(300);
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const quit = async () => {
    await wd("DELETE", `/session/${id}`).catch(() => undefined);
    await sleep(1000);
  };
  return { exec, until, quit };
}

/** Opens the app with `args`, waits for the analysis, checks it shows `dir`'s 36 photos. */
async function opens(label, args, dir) {
  const s = await session(args);
  try {
    await s.until(`${label}: the analysis`, "return document.body.dataset.state === 'ready'");
    await s.until(`${label}: a thumbnail`, "return !!window.__bp.snapshot().metrics.firstThumbAt", 30_000);
    const snap = await s.exec("return window.__bp.snapshot()");
    const root = await s.exec("return window.__bp.model.root");
    check(`${label}: opens ${dir}`, root === dir, `opened ${root}`);
    check(`${label}: sees every photo`, snap.photos === 36, `${snap.photos} photos`);
    check(`${label}: groups bursts`, snap.groups >= 4 && snap.groups <= 12, `${snap.groups} groups`);
    const images = await s.exec("return [...document.querySelectorAll('.cell img')].filter(i => i.complete && i.naturalWidth > 0).length");
    check(`${label}: shows thumbnails`, images >= 8, `${images} loaded`);
  } finally {
    await s.quit();
  }
}

const out = process.env.BESTPICK_E2E_VERBOSE ? "inherit" : "ignore";
const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(port + 1)], { stdio: ["ignore", out, out] });
try {
  for (let i = 0; ; i++) {
    try {
      await fetch(`${base}/status`);
      break;
    } catch {
      if (i === 100) throw new Error("tauri-driver did not start");
      await sleep(200);
    }
  }
  await opens("no folder given", [], sampleDir);
  await opens("folder argument", [folder], folder);
} catch (e) {
  check("the app runs", false, String(e.message ?? e));
} finally {
  driver.kill();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
