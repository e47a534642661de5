//! Culling profiles that learn: simulated photographers with a taste the engine does not share
//! record picks with `bestpick decide` on half of a shoot's groups; the next `bestpick analyze`
//! must suggest their kind of frame in the other half. Shoots are real photos, each group one
//! moment shot as a burst (EXIF times 150 ms apart, moments a minute apart) whose frames differ
//! as the taste needs: exposure steps in linear light, or only sensor noise.

use std::path::{Path, PathBuf};

use crate::util::{Shoot, code, fixtures, stderr};

use bestpick_testkit::exposure;

/// Twenty different real scenes: fixture photos, each cropped three ways, at most 480 px.
fn scenes() -> Vec<image::RgbImage> {
    let photos = [
        "singles/sklearn_china.jpg",
        "singles/skimage_rocket.jpg",
        "singles/mpl_grace_hopper.jpg",
        "singles/skimage_coffee.png",
        "singles/facerec_obama.jpg",
        "singles/mei_Samsung_GT-I9000__Galaxy_S_.jpg",
        "bursts/skimage_astronaut/skimage_astronaut__00_original.jpg",
        "bursts/skimage_chelsea/skimage_chelsea__00_original.jpg",
    ];
    let mut out = Vec::new();
    for rel in photos {
        let img = image::open(fixtures().join(rel))
            .unwrap_or_else(|e| panic!("{rel}: {e}"))
            .to_rgb8();
        let (w, h) = img.dimensions();
        let (cw, ch) = (w * 7 / 10, h * 7 / 10);
        for (x, y) in [(0, 0), (w - cw, h - ch), ((w - cw) / 2, 0)] {
            let crop = image::imageops::crop_imm(&img, x, y, cw, ch).to_image();
            let scale = 480.0 / cw.max(ch) as f32;
            let small = if scale < 1.0 {
                image::imageops::resize(
                    &crop,
                    (cw as f32 * scale) as u32,
                    (ch as f32 * scale) as u32,
                    image::imageops::FilterType::Triangle,
                )
            } else {
                crop
            };
            out.push(small);
        }
    }
    out.truncate(20);
    out
}

/// The metered exposure against the source photo, in EV.
const METERED_EV: f32 = -1.0;

/// Writes moment `g` as a burst of `evs.len()` frames (exposure steps in `evs`, in shooting
/// order) into `dir`; returns the file names.
fn write_moment(dir: &Path, g: usize, scene: &image::RgbImage, evs: &[f32]) -> Vec<String> {
    evs.iter()
        .enumerate()
        .map(|(i, &ev)| {
            // The metered exposure a stop under the source photo: a brighter frame is then
            // brighter, not clipped (the photographer's taste is among sound frames).
            let frame = exposure::with_noise(
                &exposure::expose(scene, ev + METERED_EV),
                (g * 16 + i) as u64,
            );
            let ms = 10 * 3_600_000 + g as u64 * 60_000 + i as u64 * 150;
            let bytes = exposure::timed_jpeg(&frame, ms, 0.0);
            let name = format!("m{g:02}_{i}.jpg");
            std::fs::write(dir.join(&name), bytes).expect("write");
            name
        })
        .collect()
}

/// The suggested pick of each moment (by file name) in an `analyze --json` report.
fn picks(report: &serde_json::Value) -> Vec<String> {
    let mut best: Vec<String> = report["photos"]
        .as_array()
        .expect("photos")
        .iter()
        .filter(|p| p["best"] == true)
        .map(|p| p["rel_path"].as_str().expect("rel").to_string())
        .collect();
    best.sort();
    best
}

fn analyze(shoot: &Shoot, extra: &[&str]) -> serde_json::Value {
    let root = shoot.root();
    let mut args = vec![
        "analyze",
        "--no-faces",
        "--json",
        root.to_str().expect("utf8"),
    ];
    args.extend_from_slice(extra);
    let out = shoot.run(&args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("json")
}

/// A photographer: which frame of a moment they would pick, given its frames' exposure steps.
struct Photographer {
    taste: &'static str,
    /// The exposure steps of moment `g`, in shooting order.
    frames: fn(usize) -> Vec<f32>,
    /// Their pick among them.
    pick: fn(&[f32]) -> usize,
}

/// Runs `who` on a 20-moment shoot: decides the first 10 moments, then counts in how many of
/// the other 10 the suggestion is their pick, before and after. Returns (before, after).
fn simulate(who: &Photographer, profile: Option<&str>) -> (usize, usize, Shoot) {
    let shoot = Shoot::new();
    let mut moments: Vec<(Vec<String>, usize)> = Vec::new();
    for (g, scene) in scenes().iter().enumerate() {
        let evs = (who.frames)(g);
        let names = write_moment(&shoot.root(), g, scene, &evs);
        moments.push((names, (who.pick)(&evs)));
    }
    assert_eq!(moments.len(), 20);
    let extra: Vec<&str> = profile.map_or(Vec::new(), |p| vec!["--profile", p]);
    let before = analyze(&shoot, &extra);
    assert_eq!(
        before["groups"].as_array().expect("groups").len(),
        20,
        "one group per moment"
    );
    let agree = |report: &serde_json::Value| {
        let best = picks(report);
        moments[10..]
            .iter()
            .filter(|(names, want)| best.contains(&names[*want]))
            .count()
    };
    let agreed_before = agree(&before);
    for (names, want) in &moments[..10] {
        let path = shoot.root().join(&names[*want]);
        let out = shoot.run(&["decide", path.to_str().expect("utf8"), "--pick"]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    let after = analyze(&shoot, &[]);
    assert_eq!(
        after["learned_groups"], 10,
        "learned from the 10 decided groups"
    );
    (agreed_before, agree(&after), shoot)
}

fn eprint_agreement(taste: &str, before: usize, after: usize) {
    eprintln!(
        "{taste}: the suggestion was their pick in {before}/10 groups before learning, {after}/10 after"
    );
}

#[test]
fn a_photographer_who_likes_half_a_stop_brighter_is_followed() {
    let who = Photographer {
        taste: "half a stop brighter",
        // Two metered frames, one under, two over; the order changes from moment to moment.
        frames: |g| {
            let mut evs = vec![0.0, -0.5, 0.5, 0.0, 1.0];
            evs.rotate_left(g % 5);
            evs
        },
        pick: |evs| evs.iter().position(|&e| e == 0.5).expect("+0.5"),
    };
    let (before, after, shoot) = simulate(&who, None);
    eprint_agreement(who.taste, before, after);
    assert!(
        before <= 2,
        "the engine alone rarely picks +0.5 EV: {before}/10"
    );
    assert!(after >= 8, "learned taste followed in {after}/10 groups");

    // The pick says why, and the profile says what it learned, in words.
    let report = analyze(&shoot, &[]);
    let reasons: Vec<String> = report["photos"]
        .as_array()
        .expect("photos")
        .iter()
        .filter(|p| p["best"] == true)
        .flat_map(|p| p["reasons"].as_array().expect("reasons").clone())
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r == "brighter, as you usually prefer"),
        "{reasons:?}"
    );
    let out = shoot.run(&["profile", "show", "event"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    // Each decision is recorded against the suggestion of that moment, which follows the
    // taste learned from the decisions before it.
    assert!(
        shown.lines().any(
            |l| l.starts_with("- you chose a frame brighter than suggested in")
                && l.ends_with("(about +0.5 EV)")
        ),
        "{shown}"
    );

    // The trust report measures each decision against the suggestion of that moment: the
    // first decisions overruled a suggestion for its exposure.
    let out = shoot.run(&["report", shoot.root().to_str().expect("utf8"), "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let trust: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(trust["groups"], 20);
    assert_eq!(trust["decided"], 10);
    let agreed = trust["agreed"].as_u64().expect("agreed");
    let overruled = trust["overruled"].as_array().expect("overruled");
    assert_eq!(agreed as usize + overruled.len(), 10);
    assert!(overruled.len() >= 3, "{trust}");
    assert!(
        overruled.iter().all(|o| o["cause"] == "exposure"),
        "the chosen frames were brighter than the group: {trust}"
    );
    let html = shoot.dir.path().join("report.html");
    let out = shoot.run(&[
        "report",
        shoot.root().to_str().expect("utf8"),
        "--html",
        html.to_str().expect("utf8"),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let page = std::fs::read_to_string(&html).expect("html");
    assert_eq!(
        page.matches("data:image/jpeg;base64,").count(),
        2 * overruled.len(),
        "a thumbnail of the suggestion and of the pick per overruled group"
    );
    assert!(!page.contains("src=\"http"), "self-contained");

    // Reset forgets: the engine's own picks come back.
    let out = shoot.run(&["profile", "reset", "event"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reset = analyze(&shoot, &[]);
    assert_eq!(reset["learned_groups"], 0);
    let fresh = Shoot::new();
    for entry in std::fs::read_dir(shoot.root()).expect("dir") {
        let p = entry.expect("entry").path();
        std::fs::copy(&p, fresh.root().join(p.file_name().expect("name"))).expect("copy");
    }
    assert_eq!(
        picks(&reset),
        picks(&analyze(&fresh, &[])),
        "after a reset, the picks of a catalog that never learned"
    );
}

#[test]
fn a_photographer_who_wants_the_last_frame_of_each_moment_is_followed() {
    let who = Photographer {
        taste: "the last frame of the moment",
        frames: |_| vec![0.0; 5],
        pick: |evs| evs.len() - 1,
    };
    // Learning goes to the shoot's profile, here the photographer's own.
    let (before, after, shoot) = simulate(&who, Some("portrait"));
    eprint_agreement(who.taste, before, after);
    assert!(before <= 4, "the engine alone: {before}/10");
    assert!(after >= 8, "learned taste followed in {after}/10 groups");
    let out = shoot.run(&["profile", "list"]);
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        list.lines()
            .any(|l| l.starts_with("portrait") && l.ends_with("(learned from 10 groups)")),
        "{list}"
    );
    let event = shoot.run(&["profile", "show", "event"]);
    assert!(
        String::from_utf8_lossy(&event.stdout).contains("nothing learned yet"),
        "other profiles learn nothing"
    );
}

#[test]
fn profiles_export_import_and_refuse_bad_files() {
    let shoot = Shoot::new();
    let file: PathBuf = shoot.dir.path().join("mine.toml");
    for args in [
        vec!["profile", "new", "mine", "--from", "landscape"],
        vec!["profile", "export", "mine", file.to_str().expect("utf8")],
        vec!["profile", "delete", "mine"],
        vec!["profile", "import", file.to_str().expect("utf8")],
    ] {
        let out = shoot.run(&args);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
    }
    let out = shoot.run(&["profile", "show", "mine"]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("clipping = 1.5"), "{shown}");
    std::fs::write(&file, "name = \"mine\"\n[weights]\nsharpness = 2\n").expect("write");
    let out = shoot.run(&[
        "profile",
        "import",
        "--replace",
        file.to_str().expect("utf8"),
    ]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("mine.toml") && err.contains("sharpness"),
        "names the file and the field: {err}"
    );
    let out = shoot.run(&[
        "analyze",
        shoot.root().to_str().expect("utf8"),
        "--profile",
        "nope",
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("no profile \"nope\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_trust_report_lists_kept_reject_candidates() {
    let mut shoot = Shoot::new();
    shoot.faces = false;
    shoot.add_dir("bursts/skimage_chelsea");
    let (exit, report) = shoot.analyze_json();
    assert_eq!(exit, 0);
    let photos = report["photos"].as_array().expect("photos");
    let reject = photos
        .iter()
        .find(|p| p["reject_candidate"] == true)
        .expect("a reject candidate in the damaged burst");
    let best = photos.iter().find(|p| p["best"] == true).expect("a pick");
    for (p, flag) in [(reject, "--stars"), (best, "--pick")] {
        let path = p["path"].as_str().expect("path");
        let args: Vec<&str> = if flag == "--stars" {
            vec!["decide", path, "--stars", "2"]
        } else {
            vec!["decide", path, "--pick"]
        };
        let out = shoot.run(&args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    let out = shoot.run(&["report", shoot.root().to_str().expect("utf8"), "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let trust: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(trust["decided"], 1);
    assert_eq!(trust["agreed"], 1);
    let kept = trust["kept_rejects"].as_array().expect("kept");
    assert_eq!(kept.len(), 1, "{trust}");
    assert_eq!(kept[0]["rel_path"], reject["rel_path"]);
    let out = shoot.run(&["report", shoot.root().to_str().expect("utf8")]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 of 1 group decided; the suggestion was your pick in 1 of them (100%)")
            && text.contains("you kept 1 frame it called a reject candidate"),
        "{text}"
    );
    let never = Shoot::new();
    let out = never.run(&["report", never.root().to_str().expect("utf8")]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("never analyzed"), "{}", stderr(&out));
}
