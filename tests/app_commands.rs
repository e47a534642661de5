//! Command-level tests of the desktop shell on Tauri's mock runtime: real commands through the
//! IPC layer (`tauri::test::get_ipc_response`, request URL `tauri://localhost`), a real catalog
//! and thumbnail cache in a temp folder, real photos from the bundled sample shoot.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bestpick_app::dto::{
    DecisionDto, ExportPlanDto, ExportReportDto, NetworkRequestDto, PhotoDetailDto, ProfileInfoDto,
    ProfileShownDto, ProgressEvent, SettingsDto, ShootViewDto, StartupDto, TrustReportDto,
};
use bestpick_app::{AppPaths, AppState};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tauri::Manager;
use tauri::ipc::{CallbackFn, Channel, InvokeBody, InvokeResponseBody};
use tauri::test::{INVOKE_KEY, MockRuntime, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

fn sample() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample");
    assert!(dir.is_dir(), "the sample shoot is at {}", dir.display());
    dir
}

/// A shoot folder with two bursts' worth of sample frames and one single.
fn shoot(dir: &Path) -> PathBuf {
    let root = dir.join("shoot");
    std::fs::create_dir_all(&root).expect("shoot dir");
    for name in [
        "skimage_chelsea__00_original.jpg",
        "skimage_chelsea__01_gauss_blur_L1.jpg",
        "skimage_chelsea__05_over_exp_L1.jpg",
        "skimage_coffee__00_original.jpg",
        "skimage_coffee__03_motion_blur_L1.jpg",
        "chelsea_portrait_orientation6.jpg",
    ] {
        std::fs::copy(sample().join(name), root.join(name)).expect("copy sample photo");
    }
    std::fs::write(root.join("notes.txt"), b"not a photo").expect("junk file");
    root
}

struct Harness {
    _home: tempfile::TempDir,
    app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
}

impl Harness {
    fn new(home: tempfile::TempDir, launch: Option<PathBuf>) -> Harness {
        let paths = AppPaths::under(home.path(), Some(sample()));
        let app = bestpick_app::run_app(mock_builder(), Some(paths), launch);
        let window = WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("mock window");
        Harness {
            _home: home,
            app,
            window,
        }
    }

    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        tauri::test::get_ipc_response(&self.window, request)
            .map(|body| body.deserialize::<Value>().expect("JSON response"))
    }

    fn ok<T: DeserializeOwned>(&self, cmd: &str, args: Value) -> T {
        let value = self
            .call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e}"));
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{cmd} answer: {e}"))
    }

    /// Calls `cmd` expecting it to be refused (`why` names the case); returns the error.
    fn refused(&self, cmd: &str, args: Value, why: &str) -> Value {
        match self.call(cmd, args) {
            Ok(answer) => panic!("{cmd} should be refused ({why}), answered {answer}"),
            Err(e) => e,
        }
    }

    fn state(&self) -> tauri::State<'_, AppState> {
        self.app.state::<AppState>()
    }

    /// Runs the open-shoot job as the `open_shoot` command does (on this thread), collecting
    /// the events its channel receives.
    fn open(&self, root: &Path) -> Vec<ProgressEvent> {
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let channel: Channel<ProgressEvent> = Channel::new(move |body| {
            if let InvokeResponseBody::Json(json) = body {
                let event: ProgressEvent = serde_json::from_str(&json).expect("event JSON");
                sink.lock().expect("events").push(event);
            }
            Ok(())
        });
        let state = self.state();
        let (job, cancel) = state.jobs.start_opening();
        bestpick_app::open_job::run(&state, job, root, &cancel, &channel);
        events.lock().expect("events").clone()
    }
}

fn done_view(events: &[ProgressEvent]) -> ShootViewDto {
    match events.last() {
        Some(ProgressEvent::Done { view }) => view.clone(),
        other => panic!("the job ends with Done, got {other:?}"),
    }
}

#[test]
fn startup_picks_argument_then_recent_then_sample() {
    let home = tempfile::tempdir().expect("home");
    let root = shoot(home.path());
    let h = Harness::new(home, None);
    let first: StartupDto = h.ok("startup", json!({}));
    assert_eq!(first.reason, "sample", "first start opens the sample");
    assert_eq!(
        first.open.as_deref(),
        first.sample.as_deref(),
        "the sample folder"
    );
    h.open(&root);
    let again: StartupDto = h.ok("startup", json!({}));
    assert_eq!(again.reason, "recent", "then the most recent shoot");
    assert_eq!(again.recent.len(), 1, "one shoot in the catalog");
    assert!(again.recent[0].exists, "its folder exists");

    let home = tempfile::tempdir().expect("home");
    let folder = home.path().join("somewhere");
    let h = Harness::new(home, Some(folder.clone()));
    let with_arg: StartupDto = h.ok("startup", json!({}));
    assert_eq!(
        (with_arg.reason.as_str(), with_arg.open),
        ("argument", Some(folder.to_string_lossy().into_owned())),
        "a folder argument wins"
    );
}

#[test]
fn opening_streams_listing_thumbnails_and_the_grid() {
    let home = tempfile::tempdir().expect("home");
    let root = shoot(home.path());
    let h = Harness::new(home, None);
    let events = h.open(&root);
    let ProgressEvent::Listed { photos, .. } = &events[0] else {
        panic!("first event lists the photos: {:?}", events[0])
    };
    assert_eq!(photos.len(), 6, "six photos listed, the text file left out");
    assert!(
        photos.iter().all(|p| !p.thumbnail),
        "no thumbnails before the first analysis"
    );
    let ready: Vec<i64> = events
        .iter()
        .filter_map(|e| {
            if let ProgressEvent::ThumbReady { photo } = e {
                Some(*photo)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(ready.len(), 6, "a thumbnail event per photo");
    let view = done_view(&events);
    assert_eq!(view.status.analyzed_now, 6, "all analyzed now");
    assert!(
        view.groups.iter().any(|g| g.members.len() >= 3),
        "the chelsea frames form a group: {:?}",
        view.groups
    );
    assert_eq!(view.skipped, 1, "the text file is skipped");

    // Thumbnails are served by the bp:// scheme, straight from the cache.
    let state = h.state();
    let thumb =
        bestpick_app::protocol::respond(&state, &format!("/thumb/{}/{}", view.shoot, ready[0]));
    assert_eq!(thumb.status(), 200, "thumbnail served");
    assert_eq!(&thumb.body()[..2], &[0xFF, 0xD8], "as a JPEG");
    let rotated = view
        .photos
        .iter()
        .find(|p| p.rel_path.contains("orientation6"))
        .expect("rotated photo");
    let preview = bestpick_app::protocol::respond(&state, &format!("/preview/{}", rotated.id));
    assert_eq!(preview.status(), 200, "preview served");
    let cases = [
        ("/thumb/1/999999", 404),
        ("/thumb/x/y", 400),
        ("/preview/999999", 404),
        ("/nothing", 404),
        ("/contrib/../etc", 404),
    ];
    for (path, code) in cases {
        assert_eq!(
            bestpick_app::protocol::respond(&state, path).status(),
            code,
            "{path}"
        );
    }

    // Reopening an analyzed shoot reuses everything.
    let again = h.open(&root);
    let ProgressEvent::Listed { photos, .. } = &again[0] else {
        panic!("listed first")
    };
    assert!(
        photos.iter().all(|p| p.thumbnail),
        "thumbnails already cached on reopening"
    );
    let view = done_view(&again);
    assert_eq!(
        (view.status.from_cache, view.status.analyzed_now),
        (6, 0),
        "nothing analyzed twice"
    );
}

#[test]
fn decide_undo_redo_regroup_detail_and_errors() {
    let home = tempfile::tempdir().expect("home");
    let root = shoot(home.path());
    let h = Harness::new(home, None);
    let err = h.refused(
        "decide",
        json!({"photos": [1], "change": {"kind": "flag", "value": "pick"}}),
        "no shoot yet",
    );
    assert_eq!(err["kind"], "noShoot", "errors carry a kind: {err}");
    assert!(
        message_has(&err, "open a folder"),
        "and say what to do: {err}"
    );

    let view = done_view(&h.open(&root));
    let ids: Vec<i64> = view.photos.iter().map(|p| p.id).collect();
    let cases = [
        (json!({"kind": "flag", "value": "pick"}), ("pick", 0, None)),
        (json!({"kind": "stars", "value": 4}), ("pick", 4, None)),
        (
            json!({"kind": "label", "value": "purple"}),
            ("pick", 4, Some("purple")),
        ),
        (
            json!({"kind": "flag", "value": "reject"}),
            ("reject", 4, Some("purple")),
        ),
    ];
    for (change, (flag, stars, label)) in cases {
        let got: Vec<DecisionDto> = h.ok(
            "decide",
            json!({"photos": [ids[0]], "change": change.clone()}),
        );
        let d = serde_json::to_value(&got[0]).expect("json");
        assert_eq!(
            (d["flag"].as_str(), d["stars"].as_u64(), d["label"].as_str()),
            (Some(flag), Some(stars), label),
            "after {change}"
        );
    }
    let bad = h.refused(
        "decide",
        json!({"photos": [ids[0]], "change": {"kind": "stars", "value": 9}}),
        "9 stars",
    );
    assert_eq!(bad["kind"], "catalog", "out-of-range stars refused: {bad}");

    let undone: Vec<DecisionDto> = h.ok("undo", json!({}));
    assert_eq!(
        serde_json::to_value(&undone[0]).expect("json")["flag"],
        "pick",
        "undo takes the reject back"
    );
    let redone: Vec<DecisionDto> = h.ok("redo", json!({}));
    assert_eq!(
        serde_json::to_value(&redone[0]).expect("json")["flag"],
        "reject",
        "redo puts it back"
    );

    let strict: ShootViewDto = h.ok("regroup", json!({"strictness": 100}));
    let loose: ShootViewDto = h.ok("regroup", json!({"strictness": 0}));
    assert!(
        strict.groups.len() >= loose.groups.len(),
        "strict makes at least as many groups ({} vs {})",
        strict.groups.len(),
        loose.groups.len()
    );
    assert_eq!(
        serde_json::to_value(&loose.photos[0].decision).expect("json")["flag"],
        "reject",
        "the grid carries decisions"
    );

    let detail: PhotoDetailDto = h.ok("photo_detail", json!({"photo": ids[1]}));
    assert_eq!(detail.histogram.len(), 64, "histogram bins");
    assert_eq!(
        detail.focus_map.len(),
        usize::from(detail.focus_map_size[0]) * usize::from(detail.focus_map_size[1]),
        "focus map grid"
    );
    assert!(detail.faces.is_empty(), "no faces field yet: none shown");
    let missing = h.refused("photo_detail", json!({"photo": 999_999}), "unknown photo");
    assert_eq!(missing["kind"], "notFound", "unknown photo: {missing}");
    assert!(
        !h.ok::<bool>("cancel_job", json!({"job": 4242})),
        "no such job"
    );
}

#[test]
fn export_plans_before_writing_then_writes() {
    let home = tempfile::tempdir().expect("home");
    let root = shoot(home.path());
    let out = home.path().join("picks");
    let h = Harness::new(home, None);
    let view = done_view(&h.open(&root));
    let ids: Vec<i64> = view.photos.iter().map(|p| p.id).collect();
    let _: Vec<DecisionDto> = h.ok(
        "decide",
        json!({"photos": [ids[0], ids[2]], "change": {"kind": "flag", "value": "pick"}}),
    );
    let _: Vec<DecisionDto> = h.ok(
        "decide",
        json!({"photos": [ids[1]], "change": {"kind": "flag", "value": "reject"}}),
    );

    let xmp = json!({"request": {"kind": "xmp", "darktable": true}});
    let plan: ExportPlanDto = h.ok("plan_export", xmp.clone());
    assert_eq!(
        plan.files.len(),
        3,
        "three sidecars planned: {:?}",
        plan.files
    );
    assert!(
        plan.files
            .iter()
            .all(|f| f.action == "create" && f.dest.ends_with(".jpg.xmp")),
        "darktable names, all new"
    );
    assert!(
        !std::fs::read_dir(&root).expect("dir").any(|e| e
            .expect("entry")
            .path()
            .extension()
            .is_some_and(|x| x == "xmp")),
        "planning writes nothing"
    );
    let report: ExportReportDto = h.ok("run_export", xmp);
    assert_eq!(
        (report.written.len(), report.failed.len()),
        (3, 0),
        "written"
    );
    let rejected = view
        .photos
        .iter()
        .find(|p| p.id == ids[1])
        .expect("rejected photo");
    let sidecar =
        std::fs::read_to_string(root.join(format!("{}.xmp", rejected.rel_path))).expect("sidecar");
    assert!(sidecar.contains("-1"), "reject written as rating -1");

    let copy = json!({"request": {"kind": "picks", "dest": out.to_string_lossy(), "move": false}});
    let plan: ExportPlanDto = h.ok("plan_export", copy.clone());
    assert_eq!(
        plan.files.iter().filter(|f| f.action == "copy").count(),
        plan.files.len(),
        "copies only"
    );
    let report: ExportReportDto = h.ok("run_export", copy);
    assert!(report.failed.is_empty(), "copied: {:?}", report.failed);
    assert!(
        out.join(&view.photos[0].rel_path).is_file(),
        "the pick is in the destination"
    );
}

#[test]
fn settings_and_forgetting_a_shoot() {
    let home = tempfile::tempdir().expect("home");
    let root = shoot(home.path());
    let other_catalog = home.path().join("elsewhere").join("other.sqlite");
    let thumbs = home.path().join("cache").join("thumbnails");
    let h = Harness::new(home, None);
    let view = done_view(&h.open(&root));
    assert!(
        thumbs.join(view.shoot.to_string()).is_dir(),
        "thumbnails cached for the shoot"
    );

    let forgot: bool = h.ok("forget_shoot", json!({"shoot": view.shoot}));
    assert!(forgot, "thumbnail folder removed");
    assert!(
        !thumbs.join(view.shoot.to_string()).exists(),
        "no thumbnails left"
    );
    let startup: StartupDto = h.ok("startup", json!({}));
    assert!(startup.recent.is_empty(), "no catalog row left");
    let err = h.refused(
        "regroup",
        json!({"strictness": 50}),
        "forgotten shoot is closed",
    );
    assert_eq!(err["kind"], "noShoot", "closed: {err}");

    let s: SettingsDto = h.ok("get_settings", json!({}));
    assert!(s.catalog_is_default, "default catalog at first");
    let update = json!({"update": {"catalogPath": other_catalog.to_string_lossy(), "threads": 1, "strictness": 70, "darktableNames": true, "collectorUrl": null, "autoAdvance": false}});
    assert!(s.auto_advance, "auto-advance is on by default");
    let saved: SettingsDto = h.ok("save_settings", update);
    assert_eq!(
        (
            saved.catalog_path.as_str(),
            saved.threads,
            saved.strictness,
            saved.auto_advance
        ),
        (other_catalog.to_str().expect("utf-8"), Some(1), 70, false),
        "saved"
    );
    h.open(&root);
    assert!(other_catalog.is_file(), "the new catalog is used at once");
    let reread = AppState::new(h.state().paths.clone(), None);
    assert_eq!(
        reread.catalog_path(),
        other_catalog,
        "settings persist on disk"
    );
}

#[test]
fn contribution_is_off_until_consent() {
    let home = tempfile::tempdir().expect("home");
    let h = Harness::new(home, None);
    let terms: String = h.ok("contribution_terms", json!({}));
    assert!(terms.len() > 200, "the terms are shown in full");
    let err = h.refused(
        "contribution_preview",
        json!({}),
        "nothing can be built without a collector",
    );
    assert_eq!(err["kind"], "contribution", "{err}");
    assert!(
        message_has(&err, "Settings"),
        "says where to set the collector: {err}"
    );
    let log: Vec<NetworkRequestDto> = h.ok("network_log", json!({}));
    assert_eq!(log, vec![], "nothing was requested, so nothing is logged");
    let _: Value = h.ok("contribution_status", json!({}));
    let log: Vec<NetworkRequestDto> = h.ok("network_log", json!({}));
    assert_eq!(
        log,
        vec![],
        "the contribution page asks no collector before consent"
    );
}

#[test]
fn profiles_rerank_learn_from_decisions_and_report() {
    let home = tempfile::tempdir().expect("home");
    let root = shoot(home.path());
    let out = home.path().join("out");
    std::fs::create_dir_all(&out).expect("out dir");
    let h = Harness::new(home, None);
    let listed: Vec<ProfileInfoDto> = h.ok("list_profiles", json!({}));
    let names: Vec<&str> = listed.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["event", "portrait", "sports", "wildlife", "landscape"],
        "the presets, in order"
    );

    let view = done_view(&h.open(&root));
    assert_eq!(
        (view.profile.as_str(), view.strictness),
        ("event", 50),
        "a new shoot: the default profile and its grouping"
    );
    let chosen: ShootViewDto = h.ok("choose_profile", json!({"name": "portrait"}));
    assert_eq!(chosen.profile, "portrait", "the view says the profile");
    assert_eq!(
        chosen.photos.len(),
        view.photos.len(),
        "same photos re-ranked"
    );
    let unknown = h.refused("choose_profile", json!({"name": "nope"}), "unknown profile");
    assert!(
        message_has(&unknown, "portrait"),
        "an unknown profile lists the profiles: {unknown}"
    );
    let regrouped: ShootViewDto = h.ok("regroup", json!({"strictness": 80}));
    assert_eq!(
        (regrouped.profile.as_str(), regrouped.strictness),
        ("portrait", 80)
    );
    let reopened = done_view(&h.open(&root));
    assert_eq!(
        (reopened.profile.as_str(), reopened.strictness),
        ("portrait", 80),
        "profile and grouping remembered for the shoot"
    );
    let view: ShootViewDto = h.ok("choose_profile", json!({"name": "portrait"}));
    assert_eq!(view.strictness, 50, "choosing a profile takes its grouping");

    // Pick a frame other than the suggestion in the biggest group: the profile learns.
    let group = view
        .groups
        .iter()
        .max_by_key(|g| g.members.len())
        .expect("a group");
    assert!(group.members.len() >= 3, "the chelsea burst: {group:?}");
    let best = group.best.expect("a suggestion");
    let other = *group.members.iter().find(|&&m| m != best).expect("other");
    let other_id = view.photos[other as usize].id;
    let _: Vec<DecisionDto> = h.ok(
        "decide",
        json!({"photos": [other_id], "change": {"kind": "flag", "value": "pick"}}),
    );
    let learned =
        |h: &Harness| h.ok::<ProfileShownDto>("show_profile", json!({"name": "portrait"}));
    assert_eq!(learned(&h).learned_groups, 1, "a pick teaches the profile");
    let report: TrustReportDto = h.ok("trust_report", json!({}));
    assert_eq!(
        (report.decided, report.agreed, report.overruled.len()),
        (1, 0, 1),
        "one group decided, otherwise than suggested: {:?}",
        report.summary
    );
    assert_eq!(report.overruled[0].chosen[0].id, other_id, "your pick");
    assert!(!report.summary.is_empty(), "in words");
    let now: ShootViewDto = h.ok("current_view", json!({}));
    assert_eq!(
        now.photos.len(),
        view.photos.len(),
        "the view as culled now"
    );

    let _: Vec<DecisionDto> = h.ok("undo", json!({}));
    assert_eq!(learned(&h).learned_groups, 0, "undo takes the lesson back");
    let _: Vec<DecisionDto> = h.ok("redo", json!({}));
    assert_eq!(learned(&h).learned_groups, 1, "redo teaches it again");
    let _: Vec<DecisionDto> = h.ok(
        "decide",
        json!({"photos": [other_id], "change": {"kind": "stars", "value": 3}}),
    );
    assert_eq!(learned(&h).learned_groups, 1, "stars teach nothing more");

    let html = out.join("report.html");
    let written: String = h.ok("save_report_html", json!({"file": html}));
    assert_eq!(PathBuf::from(&written), html, "the file written");
    let page = std::fs::read_to_string(&html).expect("report page");
    assert!(
        page.starts_with("<!doctype html>") && page.contains("data:image/jpeg;base64,"),
        "a self-contained page with thumbnails"
    );

    // Own profiles: new, export, delete, import (refused over an existing one), reset.
    let mine: ProfileShownDto = h.ok("new_profile", json!({"name": "mine", "from": "portrait"}));
    assert_eq!(
        (mine.name.as_str(), mine.preset, mine.learned_groups),
        ("mine", false, 0),
        "a new profile starts from the weights, not the learning"
    );
    assert_eq!(mine.weights.len(), 6, "a weight per judgement");
    let file = out.join("mine.toml");
    let _: Value = h.ok("export_profile", json!({"name": "mine", "file": file}));
    let again = h.refused(
        "import_profile",
        json!({"file": file, "replace": false}),
        "exists",
    );
    assert!(message_has(&again, "exists already"), "{again}");
    let _: ShootViewDto = h.ok("choose_profile", json!({"name": "mine"}));
    let _: Value = h.ok("delete_profile", json!({"name": "mine"}));
    let fallback: ShootViewDto = h.ok("current_view", json!({}));
    assert_eq!(
        fallback.profile, "event",
        "a deleted profile: back to the default"
    );
    let imported: ProfileShownDto = h.ok("import_profile", json!({"file": file, "replace": false}));
    assert_eq!(imported.name, "mine", "imported under its name");
    let bad = out.join("bad.toml");
    std::fs::write(&bad, "not a profile [").expect("bad file");
    let e = h.refused(
        "import_profile",
        json!({"file": bad, "replace": true}),
        "not a profile",
    );
    assert!(message_has(&e, "is not a bestpick profile"), "{e}");
    assert_eq!(h.ok::<u32>("reset_profile", json!({"name": "portrait"})), 1);
    assert_eq!(learned(&h).learned_groups, 0, "reset forgets");
}

/// Whether an error's message contains `text`.
fn message_has(err: &Value, text: &str) -> bool {
    err["message"].as_str().is_some_and(|m| m.contains(text))
}
