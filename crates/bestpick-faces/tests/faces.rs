//! End-to-end tests on real faces.
//!
//! The two licensed photos in `tests/fixtures/` always run. The unlicensed test faces (closed
//! eyes, a wink, a render, cats) and the larger corpus are read from `../shared/photos` beside
//! the repository when it is there; each such test prints a line and passes when it is not.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bestpick_faces::{
    Error, EyeState, Face, FaceModels, FaceOptions, PixelSource, RgbSource, Tiling, analyze_faces,
    analyze_faces_with_stats,
};
use image::{Rgb, RgbImage};

fn models() -> &'static FaceModels {
    static MODELS: OnceLock<FaceModels> = OnceLock::new();
    MODELS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/models");
        FaceModels::load(&dir).expect("the repository ships assets/models")
    })
}

fn fixture(name: &str) -> RgbImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    assert!(path.is_file(), "fixture {} exists", path.display());
    image::open(&path).expect("fixture decodes").to_rgb8()
}

/// `../shared/photos/<rel>` next to the repository, or `None` (with a printed line) when absent.
fn shared(rel: &str) -> Option<PathBuf> {
    bestpick_testkit::shared(rel)
}

fn analyze(img: RgbImage) -> Vec<Face> {
    analyze_opts(img, &FaceOptions::default())
}

fn analyze_opts(img: RgbImage, opts: &FaceOptions) -> Vec<Face> {
    analyze_faces(models(), &RgbSource::new(img, 750), opts).expect("analysis runs")
}

fn describe(faces: &[Face]) -> String {
    faces
        .iter()
        .map(|f| {
            format!(
                "box {:?} eyes {:?} openness {:?} sharp {:.3} pose {:?}",
                f.bbox.map(|v| v.round()),
                f.eyes,
                f.openness,
                f.sharpness,
                f.pose.map(|v| v.round())
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Faces sorted left to right (the analysis sorts by size).
fn left_to_right(mut faces: Vec<Face>) -> Vec<Face> {
    faces.sort_by(|a, b| a.bbox[0].total_cmp(&b.bbox[0]));
    faces
}

use EyeState::{Closed, OneClosed, Open};

#[test]
fn licensed_fixtures_open_eyes() {
    let cases = [
        ("mpl_grace_hopper.jpg", vec![Open]),
        ("fr_two_people.jpg", vec![Open, Open]),
    ];
    for (name, want) in cases {
        let faces = left_to_right(analyze(fixture(name)));
        let got: Vec<EyeState> = faces.iter().map(|f| f.eyes).collect();
        assert_eq!(got, want, "{name}: {}", describe(&faces));
        for f in &faces {
            assert!(f.score >= 0.5, "{name}: detection score {}", f.score);
            assert!(
                f.looking_at_camera,
                "{name}: looking at the camera: {}",
                describe(&faces)
            );
            for (side, o) in ["left", "right"].iter().zip(f.openness) {
                let o = o.unwrap_or(0.0);
                assert!(o >= 0.2, "{name}: {side} eye openness {o}");
            }
            // The landmarks lie inside the box.
            let [x, y, w, h] = f.bbox;
            for p in [
                f.landmarks.left_eye,
                f.landmarks.right_eye,
                f.landmarks.nose,
            ] {
                assert!(
                    p[0] > x && p[0] < x + w && p[1] > y && p[1] < y + h,
                    "{name}: landmark {p:?} in box {:?}",
                    f.bbox
                );
            }
            // The subject's left eye is on the image's right for a frontal face.
            assert!(
                f.landmarks.left_eye[0] > f.landmarks.right_eye[0],
                "{name}: left/right"
            );
        }
    }
}

/// The truth in `../shared/photos/faces/MANIFEST.tsv`, per file: the faces' eye states left
/// to right (and, for the wink, which eye).
#[test]
fn manifest_faces_match_the_truth() {
    let Some(dir) = shared("faces") else { return };
    let truth: &[(&str, &[EyeState])] = &[
        ("eyeblink_both_blink.jpg", &[Closed]),
        ("eyeblink_left_blink2.jpg", &[OneClosed]),
        ("eyeblink_granger.jpg", &[Open]),
        ("fm_closed_eyes.jpg", &[Closed]),
        ("pm_eyes_open.jpg", &[Open]),
        ("pm_eyes_closed.jpg", &[Closed]),
        ("fr_two_people.jpg", &[Open, Open]),
        ("fr_kit_with_rose.jpg", &[Open, Open]),
        ("ri_fred_george.jpg", &[]),
    ];
    // Every file the manifest lists has a truth here, and the other way round.
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("manifest reads");
    let listed: Vec<&str> = manifest
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .filter(|f| !f.is_empty())
        .collect();
    for file in &listed {
        assert!(
            truth.iter().any(|(f, _)| f == file),
            "{file}: truth in this test"
        );
    }
    for (file, want) in truth {
        assert!(listed.contains(file), "{file}: listed in the manifest");
        let img = image::open(dir.join(file)).expect("decodes").to_rgb8();
        let faces = left_to_right(analyze(img));
        let got: Vec<EyeState> = faces.iter().map(|f| f.eyes).collect();
        println!("{file}: {}", describe(&faces));
        assert_eq!(&got, want, "{file}: {}", describe(&faces));
    }
    // The wink is on the subject's left eye (openness[0]).
    let img = image::open(dir.join("eyeblink_left_blink2.jpg"))
        .expect("decodes")
        .to_rgb8();
    let wink = &analyze(img)[0];
    assert_eq!(
        wink.eye_states,
        [Closed, Open],
        "wink on the subject's left eye"
    );
}

#[test]
fn corpus_portraits_have_one_open_face_looking_at_the_camera() {
    let cases = [
        "images/facerec_obama.jpg",
        "images/facerec_biden.jpg",
        "images/mpl_grace_hopper.jpg",
        "images/skimage_astronaut.png",
    ];
    for rel in cases {
        let Some(path) = shared(rel) else { return };
        let faces = analyze(image::open(&path).expect("decodes").to_rgb8());
        println!("{rel}: {}", describe(&faces));
        assert_eq!(faces.len(), 1, "{rel}: one face: {}", describe(&faces));
        assert_eq!(faces[0].eyes, Open, "{rel}: eyes open");
        assert!(faces[0].looking_at_camera, "{rel}: looking at the camera");
    }
}

/// Every image of the shared corpus runs without error, with boxes inside the frame.
#[test]
fn corpus_runs_without_errors() {
    let Some(dir) = shared("images") else { return };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("lists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    let mut total = 0;
    for path in paths {
        let Ok(img) = image::open(&path) else {
            continue;
        };
        let img = img.to_rgb8();
        let (w, h) = img.dimensions();
        let faces = analyze(img);
        total += faces.len();
        for f in &faces {
            let (cx, cy) = (f.bbox[0] + f.bbox[2] / 2.0, f.bbox[1] + f.bbox[3] / 2.0);
            assert!(
                cx >= 0.0 && cy >= 0.0 && cx <= w as f32 && cy <= h as f32,
                "{}: face centre ({cx}, {cy}) inside {w}x{h}",
                path.display()
            );
            assert!(
                (0.0..=1.0).contains(&f.sharpness),
                "{}: sharpness",
                path.display()
            );
        }
    }
    println!("corpus: {total} faces");
    assert!(
        total >= 10,
        "the corpus holds at least 10 findable faces, found {total}"
    );
}

fn blurred(img: &RgbImage, sigma: f32) -> RgbImage {
    image::imageops::blur(img, sigma)
}

/// Adds Gaussian noise of standard deviation `sigma` (deterministic xorshift + Box–Muller).
fn noisy(img: &RgbImage, sigma: f32, seed: u64) -> RgbImage {
    let mut state = seed.max(1);
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 / (1u64 << 53) as f64) as f32
    };
    let mut out = img.clone();
    for p in out.pixels_mut() {
        for c in 0..3 {
            let (u1, u2) = (uniform().max(1e-9), uniform());
            let n = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f32::consts::PI * u2).cos();
            p[c] = (p[c] as f32 + sigma * n).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

fn sharpness_of(img: RgbImage, name: &str) -> Vec<f32> {
    let faces = left_to_right(analyze(img));
    assert!(!faces.is_empty(), "{name}: face found");
    faces.iter().map(|f| f.sharpness).collect()
}

#[test]
fn sharpness_drops_with_blur_and_not_up_with_noise() {
    for name in ["mpl_grace_hopper.jpg", "fr_two_people.jpg"] {
        let img = fixture(name);
        let clean = sharpness_of(img.clone(), name);
        let cases = [
            ("gaussian blur 1.5", sharpness_of(blurred(&img, 1.5), name)),
            ("gaussian blur 3", sharpness_of(blurred(&img, 3.0), name)),
        ];
        for (case, got) in &cases {
            for (c, g) in clean.iter().zip(got) {
                assert!(
                    g + 0.08 < *c,
                    "{name}, {case}: {g:.3} clearly below clean {c:.3}"
                );
            }
        }
        let noise = sharpness_of(noisy(&img, 10.0, 7), name);
        for (c, n) in clean.iter().zip(&noise) {
            // "Not higher", with room for the measure's own jitter (~0.01): noise must not
            // be rewarded the way naive sharpness measures reward it.
            assert!(
                *n <= c + 0.01,
                "{name}, noise 10: {n:.3} not above clean {c:.3}"
            );
        }
        println!(
            "{name}: clean {clean:.3?}, blur {:.3?}, noise {noise:.3?}",
            cases[0].1
        );
    }
}

/// The synthetic bursts (`../shared/photos/bursts_synth`): in every group with a face, the
/// undistorted original's face is sharper than its blurred and shaken copies, and noise does
/// not make a copy sharper.
#[test]
fn burst_originals_have_the_sharpest_faces() {
    for group in ["facerec_obama", "skimage_astronaut", "mpl_grace_hopper"] {
        let Some(dir) = shared(&format!("bursts_synth/{group}")) else {
            return;
        };
        let score = |suffix: &str| -> Option<f32> {
            let path = dir.join(format!("{group}__{suffix}.jpg"));
            let img = image::open(&path).expect("decodes").to_rgb8();
            analyze(img).first().map(|f| f.sharpness)
        };
        let original = score("00_original").expect("face in the original");
        for variant in [
            "01_gauss_blur_L1",
            "02_gauss_blur_L3",
            "03_motion_blur_L1",
            "04_motion_blur_L3",
        ] {
            // Heavily blurred frames may lose the face altogether: that is fine too.
            if let Some(s) = score(variant) {
                assert!(
                    s < original - 0.05,
                    "{group} {variant}: {s:.3} < {original:.3}"
                );
            }
        }
        for variant in ["09_noise_L1", "10_noise_L3"] {
            let s = score(variant).expect("face in the noisy frame");
            assert!(
                s <= original + 0.015,
                "{group} {variant}: {s:.3} vs {original:.3}"
            );
        }
    }
}

#[test]
fn boxes_are_in_full_image_pixels() {
    let img = fixture("mpl_grace_hopper.jpg");
    let base = analyze(img.clone());
    assert_eq!(base.len(), 1, "one face");
    let b = base[0].bbox;
    // Same photo inside a larger frame: the box moves by the offset.
    let (dx, dy) = (500u32, 260u32);
    let mut canvas = RgbImage::from_pixel(1400, 1100, Rgb([90, 90, 90]));
    image::imageops::replace(&mut canvas, &img, dx as i64, dy as i64);
    // And with a tiny or a full-size overview: the same full-image box.
    for (case, overview) in [
        ("overview 750", 750),
        ("overview 200", 200),
        ("no reduction", 4000),
    ] {
        let faces = analyze_faces(
            models(),
            &RgbSource::new(canvas.clone(), overview),
            &FaceOptions::default(),
        )
        .expect("runs");
        assert_eq!(faces.len(), 1, "{case}: one face");
        let got = faces[0].bbox;
        let want = [b[0] + dx as f32, b[1] + dy as f32, b[2], b[3]];
        for k in 0..4 {
            assert!(
                (got[k] - want[k]).abs() < 0.08 * b[2],
                "{case}: box {got:?} vs {want:?}"
            );
        }
    }
}

/// A group shot made of one real face repeated at a size the untiled pass cannot see: tiles
/// find them all, once each, including those straddling tile borders.
#[test]
fn tiles_find_small_faces_in_group_shots() {
    let img = fixture("mpl_grace_hopper.jpg");
    // Face box is about [157, 118, 211, 211]: cut a square 1.6× the face around it.
    let head = image::imageops::crop_imm(&img, 100, 60, 330, 330).to_image();
    let small = image::imageops::resize(&head, 150, 150, image::imageops::FilterType::Triangle);
    let big = image::imageops::resize(&head, 560, 560, image::imageops::FilterType::Triangle);
    let positions = [
        (200, 300),
        (700, 320),
        (1180, 290),
        (1640, 330),
        (2300, 310),
        (2700, 1500),
    ];
    let mut canvas = RgbImage::from_pixel(3000, 2000, Rgb([110, 115, 120]));
    for (x, y) in positions {
        image::imageops::replace(&mut canvas, &small, x, y);
    }
    let count_near = |faces: &[Face], x: i64, y: i64| {
        faces
            .iter()
            .filter(|f| {
                let (cx, cy) = (f.bbox[0] + f.bbox[2] / 2.0, f.bbox[1] + f.bbox[3] / 2.0);
                (cx - (x + 75) as f32).abs() < 40.0 && (cy - (y + 75) as f32).abs() < 40.0
            })
            .count()
    };
    let off = FaceOptions {
        tiling: Tiling::Off,
        ..FaceOptions::default()
    };
    assert!(
        analyze_opts(canvas.clone(), &off).is_empty(),
        "untiled: faces too small"
    );
    let always = FaceOptions {
        tiling: Tiling::Always,
        ..FaceOptions::default()
    };
    let (faces, stats) =
        analyze_faces_with_stats(models(), &RgbSource::new(canvas.clone(), 750), &always)
            .expect("runs");
    assert!(
        stats.tiles > 1 && stats.tiles <= always.max_tiles,
        "tiles {}",
        stats.tiles
    );
    assert_eq!(
        faces.len(),
        positions.len(),
        "tiled: every face once: {}",
        describe(&faces)
    );
    for (x, y) in positions {
        assert_eq!(count_near(&faces, x, y), 1, "face at ({x}, {y}) found once");
    }
    assert!(
        faces.iter().all(|f| f.eyes == Open),
        "eyes open: {}",
        describe(&faces)
    );
    // Auto: two faces found untiled, one near the limit, make the frame a group shot.
    let lone = canvas.clone();
    image::imageops::replace(&mut canvas, &big, 1200, 1150);
    image::imageops::replace(&mut canvas, &big, 250, 1150);
    let (faces, stats) = analyze_faces_with_stats(
        models(),
        &RgbSource::new(canvas, 750),
        &FaceOptions::default(),
    )
    .expect("runs");
    assert!(stats.tiles > 0, "auto tiled the group shot");
    assert_eq!(
        faces.len(),
        positions.len() + 2,
        "auto: {}",
        describe(&faces)
    );
    // One person near the limit is not a group: no tiles.
    let mut single = lone;
    image::imageops::replace(&mut single, &big, 1200, 1150);
    let (faces, stats) = analyze_faces_with_stats(
        models(),
        &RgbSource::new(single, 750),
        &FaceOptions::default(),
    )
    .expect("runs");
    assert_eq!(
        (faces.len(), stats.tiles),
        (1, 0),
        "lone small person: untiled only"
    );
    // A portrait is not tiled.
    let (_, stats) = analyze_faces_with_stats(
        models(),
        &RgbSource::new(fixture("mpl_grace_hopper.jpg"), 750),
        &FaceOptions::default(),
    )
    .expect("runs");
    assert_eq!(stats.tiles, 0, "portrait: untiled only");
}

#[test]
fn degenerate_images_give_no_faces() {
    let cases = [
        ("empty", RgbImage::new(0, 0)),
        ("one pixel", RgbImage::new(1, 1)),
        ("sliver", RgbImage::from_pixel(3, 900, Rgb([200, 180, 160]))),
        (
            "flat grey",
            RgbImage::from_pixel(640, 480, Rgb([128, 128, 128])),
        ),
    ];
    for (name, img) in cases {
        for tiling in [Tiling::Off, Tiling::Always] {
            let opts = FaceOptions {
                tiling,
                ..FaceOptions::default()
            };
            assert!(
                analyze_opts(img.clone(), &opts).is_empty(),
                "{name}, {tiling:?}"
            );
        }
    }
}

#[test]
fn models_missing_or_corrupt_are_errors_with_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    match FaceModels::load(dir.path()) {
        Err(Error::ModelLoad { path, .. }) => {
            assert!(
                path.starts_with(dir.path()),
                "missing: path {}",
                path.display()
            )
        }
        other => panic!("missing models: {other:?}"),
    }
    for name in [
        "face_detection_full_range.onnx",
        "face_landmark.onnx",
        "iris_landmark.onnx",
    ] {
        std::fs::write(dir.path().join(name), b"not an onnx model").expect("writes");
    }
    match FaceModels::load(dir.path()) {
        Err(e @ Error::ModelLoad { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("face_detection_full_range.onnx"),
                "corrupt: {msg}"
            );
        }
        other => panic!("corrupt models: {other:?}"),
    }
    // A good detector beside a corrupt mesh and iris model: their plans are prepared on
    // threads of their own, and the error still names the file.
    let real = FaceModels::find_dir().expect("models folder");
    std::fs::copy(
        real.join("face_detection_full_range.onnx"),
        dir.path().join("face_detection_full_range.onnx"),
    )
    .expect("copies the detector");
    match FaceModels::load(dir.path()) {
        Err(e @ Error::ModelLoad { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("face_landmark.onnx") || msg.contains("iris_landmark.onnx"),
                "corrupt mesh and iris: {msg}"
            );
        }
        other => panic!("corrupt mesh and iris: {other:?}"),
    }
}

#[test]
fn models_are_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<FaceModels>();
    let img = fixture("fr_two_people.jpg");
    let src = RgbSource::new(img, 750);
    let opts = FaceOptions::default();
    let alone = analyze_faces(models(), &src, &opts).expect("runs");
    let both: Vec<Vec<Face>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| s.spawn(|| analyze_faces(models(), &src as &dyn PixelSource, &opts)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic").expect("runs"))
            .collect()
    });
    for (i, got) in both.iter().enumerate() {
        assert_eq!(got, &alone, "thread {i}: same result as alone");
    }
}

#[test]
fn face_serializes_for_the_report() {
    let faces = analyze(fixture("mpl_grace_hopper.jpg"));
    let json = serde_json::to_value(&faces[0]).expect("serializes");
    for key in [
        "box",
        "score",
        "eyes",
        "openness",
        "sharpness",
        "looking_at_camera",
    ] {
        assert!(json.get(key).is_some(), "key {key} in {json}");
    }
    assert_eq!(json["eyes"], "open", "eyes as a word");
    let back: Face = serde_json::from_value(json).expect("deserializes");
    assert_eq!(back, faces[0], "round trip");
}

/// A close-up of the largest face of `img`: `wide` face widths across, from `top` to `bottom`
/// face heights below the box's top (a beauty crop cuts the forehead and the chin), scaled to
/// 600 px wide.
fn close_up(img: &RgbImage, face: &Face, wide: f32, top: f32, bottom: f32) -> RgbImage {
    let [x, y, w, h] = face.bbox;
    let cx = x + w / 2.0;
    let x0 = (cx - wide * w / 2.0).max(0.0) as u32;
    let x1 = ((cx + wide * w / 2.0) as u32).min(img.width());
    let y0 = (y + top * h).max(0.0) as u32;
    let y1 = ((y + bottom * h) as u32).min(img.height());
    let crop = image::imageops::crop_imm(img, x0, y0, x1 - x0, y1 - y0).to_image();
    let scale = 600.0 / crop.width() as f32;
    image::imageops::resize(
        &crop,
        600,
        (crop.height() as f32 * scale) as u32,
        image::imageops::FilterType::Triangle,
    )
}

#[test]
fn faces_that_fill_the_frame_are_found_and_their_eyes_judged() {
    // Tight head shots and beauty crops (forehead and chin cut off) of the test faces: the
    // plain pass found 6 of 10 tight crops and none of the beauty crops; the close-up pass
    // finds them all, with the same eye state as in the whole photo.
    let mut cases: Vec<(String, RgbImage)> = vec![
        ("fr_two_people.jpg".into(), fixture("fr_two_people.jpg")),
        (
            "mpl_grace_hopper.jpg".into(),
            fixture("mpl_grace_hopper.jpg"),
        ),
    ];
    for name in [
        "pm_eyes_closed.jpg",
        "pm_eyes_open.jpg",
        "fm_closed_eyes.jpg",
        "eyeblink_both_blink.jpg",
    ] {
        if let Some(p) = shared(&format!("faces/{name}")) {
            cases.push((name.into(), image::open(&p).expect("decodes").to_rgb8()));
        }
    }
    for (name, img) in cases {
        let whole = analyze(img.clone());
        let face = whole
            .iter()
            .max_by(|a, b| a.bbox[2].total_cmp(&b.bbox[2]))
            .unwrap_or_else(|| panic!("{name}: a face in the whole photo"));
        for (kind, wide, top, bottom) in [("tight", 1.1, 0.05, 0.95), ("beauty", 0.95, 0.2, 1.0)] {
            let crop = close_up(&img, face, wide, top, bottom);
            let found = analyze(crop.clone());
            assert_eq!(found.len(), 1, "{name} {kind}: {}", describe(&found));
            assert_eq!(
                found[0].eyes,
                face.eyes,
                "{name} {kind}: {}",
                describe(&found)
            );
            let plain = FaceOptions {
                close_up_pass: false,
                ..FaceOptions::default()
            };
            if kind == "beauty" {
                assert!(
                    analyze_opts(crop, &plain).is_empty(),
                    "{name}: the plain pass alone already finds the beauty crop"
                );
            }
        }
    }
}
