// End-to-end test of the desktop app in real WebKit: tauri-driver + WebKitWebDriver, driven
// through the W3C WebDriver protocol with plain fetch (no client library).
//
// Opens a copy of the sample shoot, waits for the analysis, culls with P / X / arrows / stars
// / labels, undoes with Ctrl+Z, checks the loupe and compare views (with the person-by-frame
// strip), restarts the app and checks the decisions survived, exports XMP through the export
// panel and reads the sidecars back with exiftool. Culling profiles on another copy: the
// picker (remembered for the shoot), picks other than the suggestion teaching the profile
// (its page, the Report panel), reset. Then a shoot made here from sample frames
// (ImageMagick, exiftool): an exposure bracket, named as a set, and a two-person group shot
// with a blink, a soft face and a person hidden in one frame, read in the strip. Screenshots go
// to tests/e2e/artifacts/. Also measures time to first thumbnail and scrolling at 10 000 photos
// (synthetic data mode).
//
// Run through tests/e2e/run.sh (which builds first), under a display (xvfb-run).

import { spawn, execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const app = process.env.BESTPICK_APP
  ? resolve(repo, process.env.BESTPICK_APP)
  : resolve(repo, process.env.CARGO_TARGET_DIR ?? "target", "debug/bestpick-app");
const artifacts = join(here, "artifacts");
mkdirSync(artifacts, { recursive: true });
// BESTPICK_E2E_HOME (with BESTPICK_E2E_BIG_ONLY): a kept app home, so that a big folder
// analyzed once (by the app or by `bestpick analyze --catalog HOME/data/catalog.sqlite`) can be
// re-opened again and again for measuring.
const keptHome = process.env.BESTPICK_E2E_BIG_ONLY ? process.env.BESTPICK_E2E_HOME : undefined;
const home = keptHome ?? mkdtempSync(join(tmpdir(), "bestpick-e2e-home-"));
const shootDir = join(mkdtempSync(join(tmpdir(), "bestpick-e2e-shoot-")), "sample");
cpSync(join(repo, "assets/sample"), shootDir, { recursive: true });
let PORT = 4444;
let base = `http://127.0.0.1:${PORT}`;

let passed = 0;
let failed = 0;
const results = [];
function check(name, ok, detail = "") {
  if (ok) passed++;
  else failed++;
  results.push(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `  (${detail})` : ""}`);
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `  (${detail})` : ""}`);
}

async function wd(method, path, body) {
  const res = await fetch(base + path, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json).slice(0, 400)}`);
  return json.value;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitForDriver() {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`${base}/status`);
      return;
    } catch {
      await sleep(200);
    }
  }
  throw new Error("tauri-driver did not start");
}

class Session {
  static async start(args) {
    const caps = { capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application: app, args } } } };
    const v = await wd("POST", "/session", caps);
    const s = new Session(v.sessionId);
    return s;
  }
  constructor(id) {
    this.id = id;
  }
  exec(script, args = []) {
    return wd("POST", `/session/${this.id}/execute/sync`, { script, args });
  }
  execAsync(script, args = []) {
    return wd("POST", `/session/${this.id}/execute/async`, { script, args });
  }
  async find(css) {
    const v = await wd("POST", `/session/${this.id}/element`, { using: "css selector", value: css });
    return Object.values(v)[0];
  }
  async click(css) {
    const el = await this.find(css);
    await wd("POST", `/session/${this.id}/element/${el}/click`, {});
  }
  async keys(text) {
    const body = await this.find("body");
    await wd("POST", `/session/${this.id}/element/${body}/value`, { text });
    await sleep(250);
  }
  async shot(name) {
    // WebKit's screenshot is the last frame it painted: let it paint what the last script
    // changed (two animation frames), or the picture shows the window a step behind.
    await this.execAsync("const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));").catch(() => undefined);
    const b64 = await wd("GET", `/session/${this.id}/screenshot`);
    writeFileSync(join(artifacts, name), Buffer.from(b64, "base64"));
  }
  async until(what, script, timeoutMs = 180_000) {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      const v = await this.exec(script).catch(() => null);
      if (v) return v;
      await sleep(300);
    }
    // What the window showed then, for the failure's line (and a screenshot beside it).
    const shown = await this.exec(
      "const p=window.__bp && window.__bp.snapshot(); return JSON.stringify({state: document.body.dataset.state, photos: p && p.photos, shoot: document.querySelector('.toolbar .shoot-name')?.title, status: document.querySelector('.statusbar')?.textContent})",
    ).catch(() => null);
    await this.shot("timed-out.png").catch(() => undefined);
    throw new Error(`timed out waiting for ${what}; the window showed ${shown}`);
  }
  snapshot() {
    return this.exec("return window.__bp ? window.__bp.snapshot() : null");
  }
  async quit() {
    await wd("DELETE", `/session/${this.id}`).catch(() => undefined);
    await sleep(1000);
  }
}

const KEY = { right: "\uE014", left: "\uE012", down: "\uE015", up: "\uE013", space: "\uE00D", esc: "\uE00C", ctrl: "\uE009", shift: "\uE008", release: "\uE000" };

function decisionOf(snap, name) {
  return snap.decisions.find((d) => d.relPath === name);
}

function startDriver(extraEnv, port) {
  PORT = port;
  base = `http://127.0.0.1:${PORT}`;
  // The driver logs retried connections with backtraces while WebKitWebDriver starts: quiet
  // unless BESTPICK_E2E_VERBOSE is set.
  const out = process.env.BESTPICK_E2E_VERBOSE ? "inherit" : "ignore";
  return spawn("tauri-driver", ["--port", String(PORT), "--native-port", String(PORT + 1)], { env: { ...process.env, ...extraEnv, BESTPICK_HOME: home }, stdio: ["ignore", out, out] });
}

/** Scripted scrolling through the synthetic 10 000-photo shoot: frame times and DOM size. */
async function scrollRun(s) {
  await wd("POST", `/session/${s.id}/timeouts`, { script: 120_000 });
  return s.execAsync(`
      const done = arguments[arguments.length - 1];
      const el = document.querySelector('[data-testid=grid]');
      el.scrollTop = 0;
      const frames = []; let last = performance.now(); let y = 0; const step = 150; const max = el.scrollHeight - el.clientHeight;
      let maxCells = 0;
      function tick(now) {
        frames.push(now - last); last = now;
        maxCells = Math.max(maxCells, document.querySelectorAll('.cell').length);
        y += step;
        if (y < Math.min(max, 45000)) { el.scrollTop = y; requestAnimationFrame(tick); }
        else {
          frames.shift();
          const s = [...frames].sort((a, b) => a - b);
          const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
          done({ frames: frames.length, p50: q(0.5), p95: q(0.95), max: s[s.length - 1], over33: frames.filter(f => f > 33.4).length, maxCells, height: el.scrollHeight });
        }
      }
      requestAnimationFrame((t) => { last = t; requestAnimationFrame(tick); });
    `);
}

/**
 * A shoot of sets, made from the sample's public-domain frames: an exposure bracket (0, -2, +2
 * EV in linear light, with the EXIF an AEB sequence writes: capture times 100 ms apart and the
 * compensation) and, five minutes later, a group shot of four frames, two portraits side by
 * side: all sharp and open-eyed; the left person's eyes painted shut; the right person blurred;
 * the right person covered. Returns the folder.
 */
function makeSetsShoot() {
  const dir = join(mkdtempSync(join(tmpdir(), "bestpick-e2e-sets-")), "sets");
  mkdirSync(dir);
  const sample = (name) => join(repo, "assets/sample", name);
  const stamp = (file, time, ms, extra = []) =>
    execFileSync("exiftool", ["-q", "-overwrite_original", `-DateTimeOriginal=2024:06:01 ${time}`, `-SubSecTimeOriginal=${String(ms).padStart(3, "0")}`, ...extra, file]);
  [0, -2, 2].forEach((ev, i) => {
    const file = join(dir, `bracket_${i}.jpg`);
    execFileSync("convert", [sample("skimage_coffee__00_original.jpg"), "-colorspace", "RGB", "-evaluate", "multiply", String(2 ** ev), "-colorspace", "sRGB", "-quality", "92", file]);
    stamp(file, "12:00:00", i * 100, [`-ExposureCompensation=${ev}`]);
  });
  // 615 + 768 = 1383 × 768: the left face around x 240-445, the right one around 870-1040.
  const base = join(dir, "base.png");
  execFileSync("convert", [sample("facerec_obama__00_original.jpg"), "(", sample("skimage_astronaut__00_original.jpg"), "-resize", "x768", ")", "+append", base]);
  const frames = [
    [],
    ["-fill", "#8a6a5e", "-draw", "ellipse 305,126 19,9 0,360", "-draw", "ellipse 381,125 19,9 0,360", "-stroke", "#3a2a25", "-strokewidth", "2", "-fill", "none", "-draw", "arc 287,118 323,130 20,160", "-draw", "arc 363,117 399,129 20,160"],
    ["-region", "768x768+615+0", "-blur", "0x5"],
    ["-fill", "#6b6b6b", "-draw", "rectangle 640,0 1383,768"],
  ];
  frames.forEach((ops, i) => {
    const file = join(dir, `people_${i}.jpg`);
    execFileSync("convert", [base, ...ops, "-quality", "92", file]);
    stamp(file, "12:05:00", i * 100);
  });
  rmSync(base);
  return dir;
}

/** The person-by-frame strip as the compare view shows it (null when there is none). */
function readStrip(s) {
  return s.exec(`
    const t = document.querySelector('[data-testid=people-strip]');
    if (!t) return null;
    const frames = (sel) => [...t.querySelectorAll(sel)].map((x) => Number(x.dataset.frame));
    return {
      frames: frames('thead th.frame'),
      pick: frames('thead th.frame.pick'),
      active: frames('thead th.frame.active'),
      rows: [...t.querySelectorAll('tbody tr')].map((r) => ({
        name: r.querySelector('th').textContent,
        eyes: [...r.querySelectorAll('td')].map((c) => c.dataset.eyes),
        sharp: [...r.querySelectorAll('td')].map((c) => { const p = c.querySelector('.pct'); return p ? Number(p.textContent.replace('%', '')) : null; }),
        labels: [...r.querySelectorAll('td')].map((c) => c.getAttribute('aria-label') || ''),
      })),
      activePane: Number(document.querySelector('.pane.active').dataset.photo),
      ids: frames('thead th.frame').map((i) => window.__bp.photos[i].id),
    };`);
}

async function openSynthetic(s) {
  await s.exec("location.hash = '#synthetic=10000'; location.reload();");
  await sleep(1500);
  await s.until("the synthetic shoot", "return window.__bp && window.__bp.snapshot().photos === 10000", 30_000);
}

/**
 * Starts `bestpick-collector serve` on loopback and makes one contribution with the
 * `bestpick` command-line tool into the app's catalog: consent, add a photo, preview, send.
 * The vault key lives in a throwaway gnome-keyring in its own D-Bus session.
 */
async function contributeWithTheCli() {
  const bin = dirname(app);
  const data = mkdtempSync(join(tmpdir(), "bestpick-e2e-collector-"));
  const server = spawn(join(bin, "bestpick-collector"), ["serve", "--listen", "127.0.0.1:0", "--data", data, "--key-file", `${data}.key`], { stdio: ["ignore", "pipe", "ignore"] });
  const url = await new Promise((ok, fail) => {
    let out = "";
    server.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/http:\/\/[0-9.:]+/);
      if (m) ok(m[0]);
    });
    server.on("exit", () => fail(new Error(`bestpick-collector stopped: ${out}`)));
  });
  const catalog = join(home, "data", "catalog.sqlite");
  const photo = join(repo, "assets/sample", readdirSync(join(repo, "assets/sample")).find((f) => f.endsWith(".jpg")));
  const cli = `"${join(bin, "bestpick")}" contribute --catalog "${catalog}" --collector ${url}`;
  const script = `set -e; echo -n e2e | gnome-keyring-daemon --unlock --components=secrets >/dev/null; ${cli} consent --yes; ${cli} add "${photo}"; ${cli} preview >/dev/null; ${cli} send`;
  execFileSync("dbus-run-session", ["--", "bash", "-c", script], { env: { ...process.env, XDG_DATA_HOME: mkdtempSync(join(tmpdir(), "bestpick-e2e-keyring-")) }, stdio: ["ignore", "ignore", "inherit"] });
  return { url, stop: () => server.kill() };
}

/**
 * A big real folder (BESTPICK_E2E_BIG=/path): time to the first thumbnail and to the end of the
 * analysis on the first opening, the same again on re-opening the analyzed folder (the catalog
 * answers), and scrolling the real grid with real thumbnails. Runs on the driver already started
 * (without compositing mode, as for the 10 000-photo scroll).
 */
async function bigFolder(big, metrics) {
  let s = await Session.start([big]);
  await s.until("the first thumbnail of the big folder", "return window.__bp && !!window.__bp.snapshot().metrics.firstThumbAt", 120_000);
  const early = await s.snapshot();
  metrics.bigFolderPhotos = early.photos;
  metrics.bigFolderFirstThumbMs = Math.round(early.metrics.firstThumbAt - early.metrics.openStartedAt);
  metrics.bigFolderListedMs = Math.round(early.metrics.listedAt - early.metrics.openStartedAt);
  await s.until("the big folder's analysis", "return document.body.dataset.state === 'ready'", 900_000);
  const done = await s.snapshot();
  metrics.bigFolderAnalysisMs = Math.round(done.metrics.doneAt - done.metrics.openStartedAt);
  metrics.bigFolderGroups = done.groups;
  console.log(JSON.stringify(metrics));
  await s.quit();
  s = await Session.start([big]);
  await s.until("the big folder reopened", "return document.body.dataset.state === 'ready' && !!window.__bp.snapshot().metrics.firstThumbAt", 120_000);
  const warm = await s.snapshot();
  metrics.bigFolderWarmListedMs = Math.round(warm.metrics.listedAt - warm.metrics.openStartedAt);
  metrics.bigFolderWarmFirstThumbMs = Math.round(warm.metrics.firstThumbAt - warm.metrics.openStartedAt);
  metrics.bigFolderWarmOpenMs = Math.round(warm.metrics.doneAt - warm.metrics.openStartedAt);
  metrics.bigFolderWarmViewMs = Math.round(warm.metrics.viewAt - warm.metrics.openStartedAt);
  console.log(JSON.stringify(metrics));
  // Scrolling the real grid: real thumbnails decoded as rows come into view.
  metrics.bigFolderScroll = await scrollRun(s);
  // (No screenshot: without compositing mode WebKitWebDriver's screenshot of this grid hangs.)
  await s.quit();
}

async function main() {
  // Imports go slowly (per frame) so culling during one and stopping one are seen.
  const metrics = {};
  if (process.env.BESTPICK_E2E_BIG_ONLY) {
    // Only the big folder (BESTPICK_E2E_BIG), for measuring: no other check runs.
    const driver = startDriver({ WEBKIT_DISABLE_COMPOSITING_MODE: "1" }, 4446);
    try {
      await waitForDriver();
      await bigFolder(process.env.BESTPICK_E2E_BIG, metrics);
    } finally {
      driver.kill();
      if (!keptHome) rmSync(home, { recursive: true, force: true });
    }
    console.log(JSON.stringify(metrics, null, 2));
    return;
  }
  let driver = startDriver({ BESTPICK_E2E_IMPORT_PACE_MS: "300" }, 4444);
  try {
    await waitForDriver();

    // ---- first start: open the sample copy, wait for the analysis ----
    let s = await Session.start([shootDir]);
    await s.until("the analysis", "return document.body.dataset.state === 'ready'");
    await s.until("a thumbnail on screen", "return !!window.__bp.snapshot().metrics.firstThumbAt", 30_000);
    let snap = await s.snapshot();
    metrics.sampleColdFirstThumbMs = Math.round(snap.metrics.firstThumbAt - snap.metrics.openStartedAt);
    metrics.sampleColdAnalysisMs = Math.round(snap.metrics.doneAt - snap.metrics.openStartedAt);
    check("sample shoot opened with every photo", snap.photos === 36, `${snap.photos} photos`);
    check("bursts grouped", snap.groups >= 4 && snap.groups <= 12, `${snap.groups} groups`);
    const images = await s.exec("return [...document.querySelectorAll('.cell img')].filter(i => i.complete && i.naturalWidth > 0).length");
    check("thumbnails shown in the grid", images >= 8, `${images} loaded`);
    const orient = await s.exec("const c=[...document.querySelectorAll('.cell')].find(c=>c.textContent.includes('orientation6')); if(!c) return null; const i=c.querySelector('img'); return i ? [i.naturalWidth,i.naturalHeight] : null");
    check("EXIF-rotated photo's thumbnail is upright (landscape cat)", Array.isArray(orient) && orient[0] > orient[1], JSON.stringify(orient));
    const badges = await s.exec("const f = (n) => { const c = [...document.querySelectorAll('.cell')].find((c) => c.textContent.includes(n)); return c ? [c.dataset.fault, c.querySelector('.fault')?.textContent ?? null] : null; }; return [f('chelsea__01_gauss_blur'), f('chelsea__00_original')];");
    check("a blurred frame's thumbnail names its fault; the pick's has no badge", JSON.stringify(badges) === JSON.stringify([["out of focus", "out of focus"], ["", null]]), JSON.stringify(badges));
    await s.shot("grid.png");
    // The content security policy allows no remote origin: a remote image is refused by the
    // policy itself (a violation event), not merely unreachable.
    const blocked = await s.execAsync(`
      const done = arguments[arguments.length - 1];
      const seen = [];
      document.addEventListener("securitypolicyviolation", (e) => seen.push(e.violatedDirective + " " + e.blockedURI));
      const img = new Image();
      img.src = "https://example.com/pixel.png";
      setTimeout(() => done(seen), 500);
    `);
    check("the content security policy refuses a remote image", Array.isArray(blocked) && blocked.some((v) => v.includes("img-src") && v.includes("example.com")), JSON.stringify(blocked));
    const bar = await s.exec("const t=document.querySelector('.toolbar'); return [t.scrollWidth, t.clientWidth, !!t.querySelector('[data-testid=profile]'), !!document.querySelector('[data-testid=report-open]')]");
    check("the toolbar fits the window with the profile picker (nothing cut off)", bar[0] <= bar[1] && bar[2] && bar[3], JSON.stringify(bar));

    // ---- cull with the keyboard (auto-advance is on by default: each decision moves on) ----
    const first = snap.cursor;
    const order = await s.exec("return window.__bp.grid.layout.order.slice(0, 8).map(i => window.__bp.photos[i].relPath)");
    const [n1, n2, n3, n4, n5, n6, n7, n8] = order;
    await s.keys("p");
    snap = await s.snapshot();
    check("P picks and moves on to the next photo (auto-advance)", decisionOf(snap, n1)?.flag === "pick" && snap.cursor === n2, `${snap.cursor}`);
    await s.keys("x");
    await s.keys("3");
    await s.keys("6");
    await s.keys(KEY.left);
    await s.keys("x");
    snap = await s.snapshot();
    check("cursor started on the first photo", first === n1, `${first}`);
    check("X rejects the next photo", decisionOf(snap, n2)?.flag === "reject", n2);
    check("3 gives three stars", decisionOf(snap, n3)?.stars === 3, n3);
    check("6 sets the red label", decisionOf(snap, n4)?.label === "red", n4);
    check("← goes back a photo and X rejects it", decisionOf(snap, n4)?.flag === "reject" && snap.cursor === n5, `${snap.cursor}`);
    await s.keys(`${KEY.ctrl}z${KEY.release}`);
    snap = await s.snapshot();
    check("Ctrl+Z undoes the last reject, keeps the label", decisionOf(snap, n4)?.flag === "none" && decisionOf(snap, n4)?.label === "red", JSON.stringify(decisionOf(snap, n4)));
    await s.keys(KEY.left);
    await s.keys(KEY.left);
    snap = await s.snapshot();
    check("← moves back", snap.cursor === n2, snap.cursor);

    // ---- many photos at once: Shift+arrows, Shift/Ctrl+click, Ctrl+A, S; one undoable action ----
    await s.exec("window.__bp.setCursor(window.__bp.grid.layout.order[4])");
    await s.keys(`${KEY.shift}${KEY.right}${KEY.right}${KEY.release}`);
    snap = await s.snapshot();
    check("Shift+→ selects a range", JSON.stringify(snap.targets) === JSON.stringify([n5, n6, n7]), JSON.stringify(snap.targets));
    await s.keys("2");
    snap = await s.snapshot();
    check("2 gives the whole selection two stars (no auto-advance)", [n5, n6, n7].every((n) => decisionOf(snap, n)?.stars === 2) && snap.cursor === n7, JSON.stringify([n5, n6, n7].map((n) => decisionOf(snap, n)?.stars)));
    const marked = await s.exec("return document.querySelectorAll('.cell.selected').length");
    check("the grid marks the selected cells", marked === 3, `${marked}`);
    await s.keys(`${KEY.ctrl}z${KEY.release}`);
    snap = await s.snapshot();
    check("one Ctrl+Z undoes the decision on the whole selection", [n5, n6, n7].every((n) => decisionOf(snap, n)?.stars === 0), JSON.stringify([n5, n6, n7].map((n) => decisionOf(snap, n)?.stars)));
    const clickCell = (name, mods) =>
      s.exec("const c=document.querySelector(`.cell[data-index='${window.__bp.photos.findIndex(p => p.relPath === arguments[0])}']`); c.dispatchEvent(new MouseEvent('click', {bubbles: true, ...arguments[1]})); return true", [name, mods]);
    await clickCell(n1, {});
    await clickCell(n3, { shiftKey: true });
    await clickCell(n2, { ctrlKey: true });
    await clickCell(n8, { ctrlKey: true });
    snap = await s.snapshot();
    check("click, Shift+click and Ctrl+click select a range and toggle photos", JSON.stringify(snap.targets) === JSON.stringify([n1, n3, n8]), JSON.stringify(snap.targets));
    await s.keys("u");
    snap = await s.snapshot();
    check("U unflags every selected photo", [n1, n3, n8].every((n) => decisionOf(snap, n)?.flag === "none") && decisionOf(snap, n2)?.flag === "reject", JSON.stringify([n1, n2, n3, n8].map((n) => decisionOf(snap, n)?.flag)));
    await s.keys(`${KEY.ctrl}z${KEY.release}`);
    await s.keys(`${KEY.ctrl}a${KEY.release}`);
    snap = await s.snapshot();
    check("Ctrl+A selects every photo shown", snap.targets.length === 36, `${snap.targets.length}`);
    await s.keys(KEY.esc);
    snap = await s.snapshot();
    check("Esc goes back to the current photo alone", snap.targets.length === 1, `${snap.targets.length}`);
    await s.exec("window.__bp.setCursor(window.__bp.photos.findIndex(p => p.relPath === arguments[0]))", [n5]);
    await s.keys("s");
    snap = await s.snapshot();
    const cursorGroup = snap.groupList.find((g) => g.members.includes(snap.cursor));
    check("S selects the photo's group", cursorGroup !== undefined && cursorGroup.members.length > 1 && JSON.stringify([...snap.targets].sort()) === JSON.stringify([...cursorGroup.members].sort()), JSON.stringify(snap.targets));
    await s.shot("selection.png");
    await s.keys(KEY.esc);
    const hint = await s.exec("return document.querySelector('[data-testid=message]').textContent");
    check("Esc back to one photo takes the selection's hint with it", !hint.includes("selected"), JSON.stringify(hint));

    // ---- review in shooting order across groups ----
    await s.exec("const sel=[...document.querySelectorAll('.toolbar select')].find(x => [...x.options].some(o => o.value === 'shooting')); sel.value='shooting'; sel.dispatchEvent(new Event('change')); return true");
    const run = await s.exec("return { heads: [...document.querySelectorAll('.ghead b')].map(b => b.textContent), order: window.__bp.grid.layout.order.map(i => window.__bp.photos[i].timeMs) }");
    check("shooting order shows every photo in one run by capture time", run.heads.length === 1 && run.heads[0] === "Shooting order" && run.order.length === 36 && run.order.every((t, k) => k === 0 || t === null || run.order[k - 1] === null || run.order[k - 1] <= t), JSON.stringify(run.heads));
    await s.exec("const sel=[...document.querySelectorAll('.toolbar select')].find(x => [...x.options].some(o => o.value === 'shooting')); sel.value='time'; sel.dispatchEvent(new Event('change')); return true");
    // ---- the Flagged filter: only the frames with a fault badge, to reject them in one go ----
    const setFlagged = (v) => s.exec("const sel=document.querySelector('[data-testid=flagged]'); sel.value=arguments[0]; sel.dispatchEvent(new Event('change')); return true", [v]);
    await setFlagged("faults");
    const flagged = await s.exec("return window.__bp.grid.layout.order.map(i => window.__bp.photos[i]).map(p => [p.relPath, p.fault, p.rejectCandidate, p.eyesClosed])");
    check(
      "Flagged: faults shows only the frames with a fault badge (the blurred cat among them)",
      flagged.length >= 3 && flagged.length < 36 && flagged.every(([, f, r, e]) => f !== null || r || e) && flagged.some(([n]) => n.includes("chelsea__01_gauss_blur")),
      JSON.stringify(flagged.map(([n, f]) => [n, f])),
    );
    await s.shot("grid-faults.png");
    await setFlagged("");
    check("Flagged: any shows every photo again", (await s.exec("return window.__bp.grid.layout.order.length")) === 36);
    // ---- auto-advance is a setting ----
    const setAutoAdvance = async (on) => {
      await s.click("[data-testid=settings-open]");
      await s.until("the settings", "return !!document.querySelector('[data-testid=settings-auto-advance]')", 20_000);
      await s.exec("const c=document.querySelector('[data-testid=settings-auto-advance]'); if (c.checked !== arguments[0]) c.click(); return true", [on]);
      await s.click("[data-testid=settings-save]");
      await s.until("the settings saved", "return !document.querySelector('[data-testid=settings-auto-advance]')", 20_000);
    };
    await setAutoAdvance(false);
    await s.exec("window.__bp.setCursor(window.__bp.photos.findIndex(p => p.relPath === arguments[0]))", [n6]);
    await s.keys("0");
    snap = await s.snapshot();
    check("with auto-advance off in Settings, a decision keeps the cursor", snap.cursor === n6, snap.cursor);
    await setAutoAdvance(true);
    await s.exec("window.__bp.setCursor(window.__bp.photos.findIndex(p => p.relPath === arguments[0]))", [n2]);
    const cellFlag = await s.exec(`return document.querySelector('.cell[data-flag="reject"]') ? 'reject' : null`);
    check("the grid marks the rejected cell", cellFlag === "reject");

    // ---- help, loupe, compare ----
    await s.keys("?");
    const help = await s.exec("return !!document.querySelector('[data-testid=help]')");
    check("? shows the key map", help);
    await s.shot("help.png");
    await s.keys(KEY.esc);
    await s.keys(KEY.left);
    await s.keys(KEY.space);
    await s.until("the loupe preview", "const i=document.querySelector('.loupe .viewer img'); return i && i.complete && i.naturalWidth > 0", 20_000);
    await s.until("the loupe detail", "return document.querySelectorAll('.loupe .side td').length > 4", 20_000);
    await s.keys("f");
    snap = await s.snapshot();
    check("Space opens the loupe", snap.mode === "loupe");
    await sleep(400);
    await s.shot("loupe.png");
    await s.keys("z");
    await sleep(400);
    const zoom = await s.exec("return document.querySelector('.loupe .hud').textContent");
    check("Z zooms to 100% at the focus point", /^100%/.test(zoom), zoom);
    await s.shot("loupe-100.png");
    await s.keys(KEY.space);

    // The EXIF-rotated JPEG is served as it is; the web view must turn it upright.
    await s.exec(`const i = window.__bp.photos.findIndex(p => p.relPath.includes('orientation6')); window.__bp.setCursor(i);`);
    await s.keys(KEY.space);
    await s.until("the rotated preview", "const i=document.querySelector('.loupe .viewer img'); return i && i.complete && i.naturalWidth > 0 && /orientation6/.test(document.querySelector('[data-testid=loupe-name]').textContent)", 20_000);
    const dims = await s.exec("const i=document.querySelector('.loupe .viewer img'); const r=i.getBoundingClientRect(); return [i.naturalWidth, i.naturalHeight, Math.round(r.width), Math.round(r.height)]");
    check("the loupe shows the EXIF-rotated JPEG upright", dims[0] > dims[1] && dims[2] > dims[3], JSON.stringify(dims));
    await s.shot("loupe-rotated.png");
    await s.keys(KEY.esc);
    await s.exec(`window.__bp.setCursor(window.__bp.photos.findIndex(p => p.relPath.includes('orientation6')));`);
    await s.keys("g");
    const afterG = (await s.snapshot()).cursor;
    check("G jumps to the first frame of the next group", afterG !== null && !afterG.includes("orientation6"), afterG);

    // The grouping control regroups live.
    const before = (await s.snapshot()).groups;
    await s.exec("const r=document.querySelector('[data-testid=strictness]'); r.value='100'; r.dispatchEvent(new Event('input'));");
    await s.until("regrouping", `return window.__bp.snapshot().groups !== ${before}`, 10_000).catch(() => null);
    const strict = (await s.snapshot()).groups;
    await s.shot("grid-strict.png");
    await s.exec("const r=document.querySelector('[data-testid=strictness]'); r.value='50'; r.dispatchEvent(new Event('input'));");
    await s.until("regrouping back", `return window.__bp.snapshot().groups === ${before}`, 10_000).catch(() => null);
    const back = (await s.snapshot()).groups;
    check("the grouping slider regroups live (strict splits bursts)", strict > before && back === before, `${before} → ${strict} → ${back}`);

    await s.exec(`window.__bp.setCursor(window.__bp.photos.findIndex(p => p.relPath === 'facerec_obama__00_original.jpg'));`);
    await s.keys("c");
    await s.until("compare previews", "const i=[...document.querySelectorAll('.compare .viewer img')]; return i.length >= 2 && i.every(x => x.complete && x.naturalWidth > 0)", 20_000);
    snap = await s.snapshot();
    check("C opens compare with two frames", snap.mode === "compare" && (await s.exec("return document.querySelectorAll('.compare .pane').length")) === 2);
    const ref1 = await s.exec("return document.querySelector('.pane .tag.ref').parentElement.dataset.photo");
    const act1 = await s.exec("return document.querySelector('.pane.active').dataset.photo");
    await s.keys(KEY.right);
    await sleep(300);
    const ref2 = await s.exec("return document.querySelector('.pane .tag.ref').parentElement.dataset.photo");
    const act2 = await s.exec("return document.querySelector('.pane.active').dataset.photo");
    check("→ steps the other frame while the reference stays", ref1 === ref2 && act1 !== act2, `${ref1} ${act1}→${act2}`);
    await s.click(".compare .segmented button:nth-child(3)");
    await s.until("4-up", "const i=[...document.querySelectorAll('.compare .viewer img')]; return i.length === 4 && i.every(x => x.complete && x.naturalWidth > 0)", 20_000);
    await s.keys("z");
    await sleep(500);
    const huds = await s.exec("return [...document.querySelectorAll('.compare .hud')].map(h => h.textContent.split('%')[0])");
    check("zoom is synced across the compare panes", huds.length === 4 && huds.every((h) => h === "100"), JSON.stringify(huds));
    await s.keys("z");
    await s.shot("compare.png");

    // The person-by-frame strip: one row per person, one cell per frame, the pick and the
    // frame in focus marked; a click brings a frame in, the keyboard keeps stepping.
    let strip = await readStrip(s);
    check(
      "compare shows the person-by-frame strip (a row per person, a cell per frame, each labelled)",
      strip !== null && strip.frames.length === 8 && strip.rows.length >= 1 && strip.rows.every((r) => r.eyes.length === 8 && r.labels.every((l) => /^Person \d+, frame \d+: /.test(l))),
      JSON.stringify(strip && { frames: strip.frames.length, rows: strip.rows.map((r) => r.eyes) }),
    );
    check(
      "the strip marks the suggested pick and the frame in focus",
      strip !== null && strip.pick.length === 1 && strip.active.length === 1 && strip.ids[strip.frames.indexOf(strip.active[0])] === strip.activePane,
      JSON.stringify(strip && { pick: strip.pick, active: strip.active, pane: strip.activePane }),
    );
    const ref = await s.exec("return Number(document.querySelector('.pane .tag.ref').parentElement.dataset.photo)");
    const target = strip ? strip.frames.find((f, k) => f !== strip.active[0] && strip.ids[k] !== ref) : undefined;
    if (target !== undefined) await s.click(`[data-testid=people-strip] tbody tr:first-child td[data-frame="${target}"]`);
    await sleep(300);
    strip = await readStrip(s);
    check(
      "a click on a strip cell brings that frame into focus",
      target !== undefined && strip?.active[0] === target && strip.ids[strip.frames.indexOf(target)] === strip.activePane,
      JSON.stringify({ target, active: strip?.active, pane: strip?.activePane }),
    );
    await s.keys(KEY.right);
    const stepped = await readStrip(s);
    check(
      "→ still steps compare after a click, and the strip follows",
      stepped !== null && stepped.active[0] !== target && stepped.ids[stepped.frames.indexOf(stepped.active[0])] === stepped.activePane && (await s.snapshot()).mode === "compare",
      JSON.stringify({ from: target, to: stepped?.active }),
    );
    await s.keys(KEY.esc);
    const expected = (await s.snapshot()).decisions;
    await s.quit();

    // ---- restart: decisions survive, the recent shoot reopens, thumbnails come from cache ----
    s = await Session.start([]);
    await s.until("the analysis after restart", "return document.body.dataset.state === 'ready'");
    await s.until("a thumbnail after restart", "return !!window.__bp.snapshot().metrics.firstThumbAt", 30_000);
    snap = await s.snapshot();
    metrics.sampleWarmFirstThumbMs = Math.round(snap.metrics.firstThumbAt - snap.metrics.openStartedAt);
    metrics.sampleWarmOpenMs = Math.round(snap.metrics.doneAt - snap.metrics.openStartedAt);
    const same = expected.every((d) => {
      const now = decisionOf(snap, d.relPath);
      return now && now.flag === d.flag && now.stars === d.stars && now.label === d.label;
    });
    check("decisions survive a restart (most recent shoot reopened)", same && snap.photos === 36);

    // ---- export XMP through the panel, read it back with exiftool ----
    await s.click("[data-testid=export-open]");
    await s.until("the export plan", "return document.querySelectorAll('[data-testid=export-plan] tr').length > 0", 20_000);
    const planned = await s.exec("return document.querySelectorAll('[data-testid=export-plan] tr').length");
    check("export panel shows the plan before writing", planned === 4, `${planned} sidecars planned`);
    const written = readdirSync(shootDir).filter((f) => f.endsWith(".xmp"));
    check("nothing written before pressing Write", written.length === 0, written.join(","));
    await s.shot("export.png");
    await s.click("[data-testid=export-write]");
    await s.until("the export", "const t=document.querySelector('[data-testid=toast]'); return t && /Wrote/.test(t.textContent)", 20_000);
    const xmp = (name) => join(shootDir, name.replace(/\.[^.]+$/, ".xmp"));
    const read = (name) => JSON.parse(execFileSync("exiftool", ["-j", "-XMP:Rating", "-XMP:Label", "-XMP-digiKam:PickLabel", xmp(name)]).toString())[0];
    const x1 = read(n1);
    const x2 = read(n2);
    const x3 = read(n3);
    check("pick lands in XMP (digiKam PickLabel 3)", x1.PickLabel === 3, JSON.stringify(x1));
    check("reject lands in XMP as Rating -1", x2.Rating === -1, JSON.stringify(x2));
    check("stars land in XMP as Rating", x3.Rating === 3, JSON.stringify(x3));
    check("a colour label lands in XMP as Label Red", existsSync(xmp(n4)) ? read(n4).Label === "Red" : false, existsSync(xmp(n4)) ? JSON.stringify(read(n4)) : "no sidecar");
    await s.keys(KEY.esc);

    // ---- contribution is opt-in: the wizard starts at consent, nothing is sent ----
    await s.click("button[title^='Opt-in']");
    await s.until("the contribution wizard", "const t=document.querySelector('[data-testid=contribute-panel] .terms'); return t && t.textContent.length > 200", 20_000);
    const step = await s.exec("return document.querySelector('[data-testid=contribute-panel] .steps .now').textContent");
    check("contribution starts with consent (off by default)", /Consent/.test(step), step);
    const give = await s.exec("return [...document.querySelectorAll('[data-testid=contribute-panel] button')].find(b => b.textContent === 'Give consent').disabled");
    check("consent cannot be given before ticking 'I agree'", give === true);
    await s.shot("contribute.png");
    await s.keys(KEY.esc);

    // ---- the Network page: nothing was ever requested, and it says so ----
    await s.click("[data-testid=network-open]");
    await s.until("the Network page", "return document.querySelector('[data-testid=network-empty]')", 10_000);
    const never = await s.exec("return document.querySelector('[data-testid=network-empty]').textContent");
    check("the Network page says bestpick never connected", never === "bestpick has never connected to anything", never);
    await s.shot("network-empty.png");
    await s.keys(KEY.esc);
    await s.quit();

    // ---- culling profiles: the picker re-ranks live and is remembered for the shoot; picks
    // other than the suggestion teach the profile (its page says what, the Report panel
    // counts them); reset forgets ----
    const profDir = join(mkdtempSync(join(tmpdir(), "bestpick-e2e-profiles-")), "profiles");
    cpSync(join(repo, "assets/sample"), profDir, { recursive: true });
    // A contribution by the command-line tool, against a real collector on loopback, in the
    // catalog the app uses (the vault key in a throwaway Secret Service): the app's Network
    // page lists each request the contribution made.
    const collector = await contributeWithTheCli();
    s = await Session.start([profDir]);
    await s.until("the profiles shoot", "return document.body.dataset.state === 'ready' && window.__bp.snapshot().photos === 36");
    await s.click("[data-testid=network-open]");
    await s.until("the network log", "return document.querySelector('[data-testid=network-log]')", 10_000);
    const net = await s.exec("return { rows: [...document.querySelectorAll('[data-testid=network-request]')].map(r => r.textContent), summary: document.querySelector('[data-testid=network-summary]').textContent }");
    check("the Network page lists each request of the contribution (key twice, the upload)", net.rows.length === 3 && net.rows.some((r) => r.includes("upload bundle") && r.includes("answered 201")) && net.rows.filter((r) => r.includes("fetch the collector key")).length === 2, JSON.stringify(net.rows));
    check("the Network page names the collector and nothing else", net.summary.startsWith(`3 requests, only to ${collector.url}:`), net.summary);
    await s.shot("network-log.png");
    await s.keys(KEY.esc);
    collector.stop();
    // The wizard (consent was given by the command line in this catalog) offers the selection.
    await s.exec("window.__bp.setCursor(window.__bp.grid.layout.order[1])");
    await s.keys(`${KEY.shift}${KEY.right}${KEY.right}${KEY.release}`);
    await s.click("button[title^='Opt-in']");
    await s.until("the wizard's choose step", "return document.querySelector('[data-testid=contribute-add-selection]')", 20_000);
    const addSelection = await s.exec("return document.querySelector('[data-testid=contribute-add-selection]').textContent");
    check("the contribution wizard offers the photos selected in the grid", addSelection === "Add the 3 selected photos", addSelection);
    await s.keys(KEY.esc);
    await s.keys(KEY.esc);
    await s.until("the profile list", "return document.querySelectorAll('[data-testid=profile] option').length >= 5", 10_000);
    const picker = () => s.exec("const p=document.querySelector('[data-testid=profile]'); return { value: p.value, options: [...p.options].map(o => o.value), disabled: p.disabled }");
    let pk = await picker();
    check("the profile picker lists the presets; a new shoot uses event", pk.value === "event" && ["event", "portrait", "sports", "wildlife", "landscape"].every((n) => pk.options.includes(n)) && !pk.disabled, JSON.stringify(pk));
    await s.exec("const p=document.querySelector('[data-testid=profile]'); p.value='portrait'; p.dispatchEvent(new Event('change'));");
    await s.until("the portrait ranking", "return window.__bp.snapshot().profile === 'portrait' && /portrait profile/.test(document.querySelector('[data-testid=message]').textContent)", 10_000).catch(() => null);
    snap = await s.snapshot();
    check("choosing a profile re-ranks the shoot live", snap.profile === "portrait" && snap.photos === 36 && (await picker()).value === "portrait", `${snap.profile}; ${await s.exec("return document.querySelector('[data-testid=message]').textContent")}`);
    // Pick a frame other than the suggestion in three groups (read again after each pick: the
    // suggestions move as the profile learns).
    const overruled = [];
    for (let k = 0; k < 3; k++) {
      const list = (await s.snapshot()).groupList.filter((g) => g.members.length >= 2 && g.best && !overruled.some((o) => o.members[0] === g.members[0]));
      const g = list[0];
      if (!g) break;
      const other = [...g.members].reverse().find((m) => m !== g.best);
      await s.exec(`window.__bp.setCursor(window.__bp.photos.findIndex(p => p.relPath === ${JSON.stringify(other)}));`);
      await s.keys("p");
      await sleep(600);
      overruled.push({ members: g.members, picked: other, suggested: g.best });
    }
    snap = await s.snapshot();
    check("picks other than the suggestion in three groups", overruled.length === 3 && overruled.every((o) => decisionOf(snap, o.picked)?.flag === "pick"), JSON.stringify(overruled.map((o) => [o.suggested, o.picked])));
    await s.click("[data-testid=profile-open]");
    await s.until("the profile page", "return !!document.querySelector('[data-testid=profile-learned] li')", 10_000).catch(() => null);
    const page = await s.exec("const q=(t)=>document.querySelector(`[data-testid=${t}]`); return { name: q('profile-name')?.textContent, weights: document.querySelectorAll('[data-testid=profile-weights] tr').length, grouping: q('profile-grouping')?.textContent, learned: [...document.querySelectorAll('[data-testid=profile-learned] li')].map(l => l.textContent), hint: q('profile-learned')?.querySelector('.hint')?.textContent }");
    check("the profile page shows the weights and grouping", /^portrait/.test(page.name ?? "") && page.weights === 6 && /\(\d+\)/.test(page.grouping ?? ""), JSON.stringify(page));
    check("the profile page says what it learned from the three picks", /3 decided groups/.test(page.hint ?? "") && page.learned.some((l) => /kept the suggestion in 0 of 3 groups/.test(l)), JSON.stringify(page.learned));
    await s.shot("profile.png");
    await s.keys(KEY.esc);
    await s.click("[data-testid=report-open]");
    await s.until("the report", "return !!document.querySelector('[data-testid=report-decided]')", 20_000).catch(() => null);
    const rep = await s.exec("const n=(t)=>Number(document.querySelector(`[data-testid=${t}]`)?.textContent); return { decided: n('report-decided'), agreed: n('report-agreed'), overruled: n('report-overruled'), groups: [...document.querySelectorAll('[data-testid=report-group]')].map(g => ({ cause: g.querySelector('.cause').textContent, photos: [...g.querySelectorAll('figure')].map(f => Number(f.dataset.photo)), imgs: g.querySelectorAll('img').length })), summary: [...document.querySelectorAll('[data-testid=report-summary] li')].map(l => l.textContent) }");
    check("the Report panel counts the decided and overruled groups", rep.decided === 3 && rep.agreed === 0 && rep.overruled === 3 && rep.groups.length === 3, JSON.stringify({ ...rep, groups: rep.groups.length }));
    check("each overruled group shows the suggestion and your pick with thumbnails and the cause", rep.groups.every((g) => g.photos.length === 2 && g.imgs === 2 && g.cause.length > 0) && rep.summary.length >= 2 && /3 of \d+ groups decided/.test(rep.summary[0]), JSON.stringify(rep.groups) + JSON.stringify(rep.summary));
    await sleep(500);
    await s.shot("report.png");
    const shown = rep.groups[0]?.photos[0];
    await s.click(`[data-testid=report-group] figure[data-photo="${shown}"]`);
    await sleep(300);
    snap = await s.snapshot();
    const targetName = await s.exec(`return window.__bp.photos.find(p => p.id === ${shown})?.relPath ?? null`);
    check("clicking a photo in the report shows it in the grid", snap.cursor === targetName && snap.mode === "grid" && !(await s.exec("return !!document.querySelector('[data-testid=report-panel]')")), `${snap.cursor} vs ${targetName}`);
    await s.quit();

    s = await Session.start([profDir]);
    await s.until("the profiles shoot reopened", "return document.body.dataset.state === 'ready'");
    await s.until("the profile list", "return document.querySelectorAll('[data-testid=profile] option').length >= 5", 10_000).catch(() => null);
    snap = await s.snapshot();
    pk = await picker();
    check("the shoot's profile is remembered after reopening", snap.profile === "portrait" && pk.value === "portrait" && overruled.every((o) => decisionOf(snap, o.picked)?.flag === "pick"), JSON.stringify({ profile: snap.profile, picker: pk.value }));
    await s.click("[data-testid=profile-open]");
    await s.until("the profile page", "return !!document.querySelector('[data-testid=profile-learned] li')", 10_000).catch(() => null);
    await s.exec("window.confirm = () => true;");
    await s.click("[data-testid=profile-reset]");
    await s.until("the reset", "return !!document.querySelector('[data-testid=profile-learned-none]')", 10_000).catch(() => null);
    const resetState = await s.exec("return { none: !!document.querySelector('[data-testid=profile-learned-none]'), toast: document.querySelector('[data-testid=toast]')?.textContent ?? null, disabled: document.querySelector('[data-testid=profile-reset]')?.disabled }");
    check("Reset learning forgets what the profile learned", resetState.none && /forgot 3 decided groups/.test(resetState.toast ?? "") && resetState.disabled === true, JSON.stringify(resetState));
    await s.shot("profile-reset.png");
    await s.keys(KEY.esc);
    await s.quit();

    // ---- error and empty states say what to do next ----
    s = await Session.start([join(home, "no-such-folder")]);
    await s.until("the error state", "return document.body.dataset.state === 'error'", 30_000);
    const errorText = await s.exec("const e=document.querySelector('[data-testid=empty] .error-box'); return e ? e.textContent : null");
    check("a missing folder shows an error with the path", typeof errorText === "string" && errorText.includes("no-such-folder"), errorText);
    await s.shot("error.png");
    const emptyDir = mkdtempSync(join(tmpdir(), "bestpick-e2e-empty-"));
    await s.exec(`window.__bp.open(${JSON.stringify(emptyDir)})`);
    await s.until("the empty-folder state", "const e=document.querySelector('[data-testid=empty] .error-box'); return e && /No photos/.test(e.textContent)", 30_000);
    check("an empty folder says which files bestpick reads", true);
    await s.shot("empty.png");

    // ---- sets and group shots: an exposure bracket is named as a set; the strip reads who
    // blinked where in a group shot ----
    const setsDir = makeSetsShoot();
    await s.exec(`window.__bp.open(${JSON.stringify(setsDir)})`);
    await s.until("the sets shoot", "return document.body.dataset.state === 'ready' && window.__bp.snapshot().photos === 7", 120_000);
    const heads = await s.exec("return [...document.querySelectorAll('.ghead')].map((g) => ({ text: g.textContent, badge: g.querySelector('[data-testid=set-badge]')?.textContent ?? null }))");
    const bracketHead = heads.find((g) => g.badge !== null);
    check(
      "the grid names the exposure bracket in its group header, and only there",
      heads.length === 2 && bracketHead?.badge === "exposure bracket" && /3 frames/.test(bracketHead.text) && heads.filter((g) => g.badge).length === 1,
      JSON.stringify(heads),
    );
    await s.shot("grid-sets.png");
    await s.exec(`window.__bp.setCursor(window.__bp.photos.findIndex((p) => p.relPath === 'bracket_0.jpg'));`);
    await s.keys("c");
    const bracketBar = await s.exec("return document.querySelector('[data-testid=compare-group]')?.textContent ?? null");
    check("compare names the exposure bracket", typeof bracketBar === "string" && /exposure bracket/.test(bracketBar) && /3 frames/.test(bracketBar), bracketBar);
    check("a bracket without faces has no person strip", (await readStrip(s)) === null);
    await s.keys(KEY.esc);
    await s.exec(`window.__bp.setCursor(window.__bp.photos.findIndex((p) => p.relPath === 'people_0.jpg'));`);
    await s.keys("c");
    await s.until("the group shot's previews", "const i=[...document.querySelectorAll('.compare .viewer img')]; return i.length === 2 && i.every(x => x.complete && x.naturalWidth > 0)", 20_000);
    const people = await readStrip(s);
    const [left, right] = people?.rows ?? [];
    check(
      "the strip has a row per person of the group shot, left to right",
      people !== null && people.rows.length === 2 && left.name.endsWith("Person 1") && right.name.endsWith("Person 2") && people.frames.length === 4,
      JSON.stringify(people?.rows.map((r) => [r.name, r.eyes, r.sharp])),
    );
    check("the strip shows the blink where it happened (left person, frame 2)", left !== undefined && left.eyes[0] === "open" && ["closed", "half"].includes(left.eyes[1]), JSON.stringify(left?.eyes));
    check("the strip shows the soft face (right person, frame 3)", right !== undefined && right.sharp[2] !== null && right.sharp[2] < 50 && right.sharp[0] >= 90, JSON.stringify(right?.sharp));
    check("the strip says when a person is not in a frame (right person, frame 4)", right !== undefined && right.eyes[3] === "missing" && /not found/.test(right.labels[3]), JSON.stringify(right?.labels[3]));
    await s.click(`[data-testid=people-strip] tbody tr:first-child td[data-frame="${people?.frames[1]}"]`);
    await sleep(500);
    const boxes = await s.exec("return [...document.querySelectorAll('.pane.active .facebox span')].map((b) => b.textContent)");
    check("the compared frame's face boxes name the people as the strip does", boxes.some((b) => /^Person 1: eyes (closed|half closed)$/.test(b)) && boxes.some((b) => /^Person 2: /.test(b)), JSON.stringify(boxes));
    await s.shot("compare-people.png");
    await s.keys(KEY.esc);

    // ---- Import from a card: live example of the pattern, copy + verify, the shoot opens ----
    const card = join(mkdtempSync(join(tmpdir(), "bestpick-e2e-card-")), "DCIM");
    cpSync(join(repo, "assets/sample"), join(card, "100CANON"), { recursive: true });
    const imported = join(mkdtempSync(join(tmpdir(), "bestpick-e2e-imported-")), "photos");
    await s.click("[data-testid=import-open]");
    const setField = (id, value) =>
      s.exec(`const i=document.querySelector('[data-testid=${id}]'); i.value=arguments[0]; i.dispatchEvent(new Event('input')); return true`, [value]);
    await setField("import-pattern", "{camera}_{seq}");
    await s.until("the pattern's example", "return /Canon-EOS-R6_0001\\.CR2/.test(document.querySelector('[data-testid=import-example]').textContent)", 10_000);
    await setField("import-pattern", "{frame}");
    await s.until("the refused pattern", "return /unknown token/.test(document.querySelector('[data-testid=import-example]').textContent)", 10_000);
    check("the Import drawer shows the pattern's example, and why a pattern is refused", true);
    await setField("import-pattern", "{date}_{seq}");
    await setField("import-source", card);
    await setField("import-dest", imported);
    await s.shot("import.png");
    const sampleCount = readdirSync(join(card, "100CANON")).filter((f) => /\.(jpe?g)$/i.test(f)).length;
    await s.click("[data-testid=import-start]");
    // The destination opens as soon as the first frames land (the drawer closes; the status
    // bar follows the import), and one can cull there while the copy goes on.
    const importing = "!document.querySelector('[data-testid=import-live]').hidden";
    const destShown = `document.querySelector('.toolbar .shoot-name')?.title === ${JSON.stringify(imported)}`;
    await s.until("the destination shoot during the import", `const p=window.__bp.snapshot(); return ${importing} && ${destShown} && document.body.dataset.state === 'ready' && p.photos >= 1 && p.photos < ${sampleCount}`, 60_000);
    const early = await s.exec("return window.__bp.snapshot()");
    const firstName = early.cursor;
    await s.keys("p");
    await s.until("the pick during the import", `const d=window.__bp.snapshot().decisions.find((x) => x.relPath === ${JSON.stringify(firstName)}); return d && d.flag === 'pick'`, 10_000);
    check("culling begins while the import runs: the destination shows the frames landed so far, and P picks one", await s.exec(`return ${importing}`), `${early.photos} of ${sampleCount} shown, picked ${firstName}`);
    await s.shot("import-live.png");
    check("the grid draws one cursor while frames join (the first frame's cell lost it when the view moved it)", await s.exec("return document.querySelectorAll('.cell.cursor').length === 1"));
    await s.until("more frames joining during the import", `return ${importing} && window.__bp.snapshot().photos > ${early.photos}`, 60_000);
    check("frames that land join the grid while the import runs", true);
    // When done the status bar's import goes away and every frame is in the grid.
    await s.until("the imported shoot", `const p=window.__bp && window.__bp.snapshot(); return !(${importing}) && document.body.dataset.state === 'ready' && p.photos === ${sampleCount} && ${destShown}`, 120_000);
    const copies = readdirSync(imported, { recursive: true }).filter((f) => /\/\d{4}-\d\d-\d\d_\d{4}\.jpe?g$/i.test(`/${f}`));
    check("Import copies the card's photos into dated folders, renamed, and opens the destination shoot", copies.length === sampleCount, `${copies.length} of ${sampleCount}: ${copies.slice(0, 3).join(", ")}`);
    const after = await s.exec("return window.__bp.snapshot()");
    check("the pick made during the import stays through the refreshes", decisionOf(after, firstName)?.flag === "pick", JSON.stringify(decisionOf(after, firstName)));
    await s.shot("import-done.png");

    // Stop an import halfway from the status bar: what is in place stays, nothing partial is
    // left, and importing again goes on from there without copying anything twice.
    const stopped = join(mkdtempSync(join(tmpdir(), "bestpick-e2e-stopped-")), "photos");
    const startImport = async (dest) => {
      await s.click("[data-testid=import-open]");
      await setField("import-source", card);
      await setField("import-dest", dest);
      await s.click("[data-testid=import-start]");
    };
    await startImport(stopped);
    const stoppedShown = `document.querySelector('.toolbar .shoot-name')?.title === ${JSON.stringify(stopped)}`;
    await s.until("a few frames landed", `return ${importing} && ${stoppedShown} && window.__bp.snapshot().photos >= 3`, 60_000);
    await s.click("[data-testid=import-stop-live]");
    await s.until("the stopped import", `return !(${importing}) && /Import stopped/.test(document.querySelector('[data-testid=message]').textContent)`, 30_000);
    const landedFiles = () => readdirSync(stopped, { recursive: true }).map(String);
    const half = landedFiles().filter((f) => /\.jpe?g$/i.test(f));
    const partial = landedFiles().filter((f) => f.endsWith(".bestpick-part"));
    check("Stop in the status bar stops the import: some frames in place, none partial", half.length > 0 && half.length < sampleCount && partial.length === 0, `${half.length} of ${sampleCount}, partial: ${partial.join(", ")}`);
    await startImport(stopped);
    await s.until("the resumed import", `const p=window.__bp.snapshot(); return !(${importing}) && document.body.dataset.state === 'ready' && p.photos === ${sampleCount} && /already imported/.test(document.querySelector('[data-testid=message]').textContent)`, 120_000);
    const resumed = landedFiles().filter((f) => /\.jpe?g$/i.test(f));
    const said = await s.exec("return document.querySelector('[data-testid=message]').textContent");
    check("importing again after a stop copies only the rest, no duplicates", resumed.length === sampleCount && new RegExp(`^${sampleCount - half.length} copied`).test(said), `${resumed.length} files; ${said}`);

    // ---- 10 000 photos, synthetic data: frame times while scrolling ----
    await openSynthetic(s);
    const composited = await scrollRun(s);
    metrics.scroll10kComposited = composited;
    check("10 000 photos: only the rows in view are in the DOM", composited.maxCells < 200, `${composited.maxCells} cells at most`);
    await s.shot("grid-10k.png");
    await s.quit();
    // Xvfb has no GPU: WebKitGTK's accelerated compositing then runs through software GL and
    // a full-window repaint costs ~50-60 ms a frame even for an empty page (measured with the
    // grid's rows removed). Without compositing mode the same scroll shows what the page
    // itself costs; that is the number the check holds to. (This mode is used only here: in
    // it, WebKitWebDriver's screenshot of the loupe crashed the session.)
    driver.kill();
    await sleep(500);
    driver = startDriver({ WEBKIT_DISABLE_COMPOSITING_MODE: "1" }, 4446);
    await waitForDriver();
    s = await Session.start([shootDir]);
    await s.until("the reopened sample", "return document.body.dataset.state === 'ready'");
    await openSynthetic(s);
    const scroll = await scrollRun(s);
    metrics.scroll10k = scroll;
    check("10 000 photos: scrolling keeps up (p95 frame ≤ 50 ms)", scroll.p95 <= 50, `p50 ${scroll.p50.toFixed(1)} ms, p95 ${scroll.p95.toFixed(1)} ms, max ${scroll.max.toFixed(1)} ms over ${scroll.frames} frames; composited under Xvfb: p50 ${composited.p50.toFixed(1)}, p95 ${composited.p95.toFixed(1)}`);
    await s.quit();

    // ---- optional: a big real folder (BESTPICK_E2E_BIG=/path) ----
    if (process.env.BESTPICK_E2E_BIG) await bigFolder(process.env.BESTPICK_E2E_BIG, metrics);
  } catch (e) {
    check("end-to-end run", false, String(e?.stack ?? e));
  } finally {
    driver.kill();
    writeFileSync(join(artifacts, "metrics.json"), JSON.stringify(metrics, null, 2));
    writeFileSync(join(artifacts, "results.txt"), results.join("\n") + "\n");
    rmSync(home, { recursive: true, force: true });
  }
  console.log(JSON.stringify(metrics, null, 2));
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

void main();
