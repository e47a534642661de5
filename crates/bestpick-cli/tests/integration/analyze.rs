//! `bestpick analyze`: the JSON report, catalog reuse, bad input, exit codes.

use crate::util::{Shoot, code, photo, stderr};

#[test]
fn json_report_has_every_promised_field() {
    let shoot = Shoot::new();
    shoot.add_dir("bursts/skimage_astronaut");
    shoot.add("singles/mpl_grace_hopper.jpg");
    let (exit, report) = shoot.analyze_json();
    assert_eq!(exit, 0, "{report}");
    let photos = report["photos"].as_array().expect("photos");
    assert_eq!(photos.len(), 16);
    for p in photos {
        for field in [
            "path", "group", "best", "rank", "score", "reasons", "signals",
        ] {
            assert!(!p[field].is_null(), "{field} missing in {p}");
        }
        assert!(p["reasons"].is_array() && p["signals"].is_object());
        assert!(std::path::Path::new(p["path"].as_str().expect("path")).is_absolute());
    }
    let groups = report["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 2, "the burst and the single portrait");
    for g in groups {
        assert!(
            g["id"].is_u64() && g["photos"].is_array() && g["best"].is_string(),
            "{g}"
        );
        let best = g["best"].as_str().expect("best");
        let entry = photo(&report, best.rsplit('/').next().expect("name"));
        assert_eq!(entry["best"], true);
        assert_eq!(entry["rank"], 1);
    }
    let original = photo(&report, "skimage_astronaut__00_original.jpg");
    assert_eq!(original["best"], true);
    assert!(
        original["reasons"][0]
            .as_str()
            .expect("reason")
            .contains("sharpest of 15"),
        "{original}"
    );
    assert!(original.get("fault").is_none(), "a sound frame: {original}");
    for (name, fault) in [
        ("skimage_astronaut__02_gauss_blur_L3.jpg", "out of focus"),
        ("skimage_astronaut__04_motion_blur_L3.jpg", "motion blur"),
        // A 7-pixel sideways smear: the smeared lids read low, but the fault is the blur.
        ("skimage_astronaut__03_motion_blur_L1.jpg", "motion blur"),
    ] {
        let p = photo(&report, name);
        assert_eq!(p["fault"], fault, "{p}");
    }
    assert_eq!(report["errors"].as_array().expect("errors").len(), 0);
}

#[test]
fn a_shake_is_named_where_the_faces_softened_with_it() {
    // The sample's sideways shake of a portrait: the sharpest region (the flag's stripes, along
    // the shake) kept its edges, which alone reads as a sharp subject over a softer background;
    // the face lost 40 % of its sharpness, so the subject is not sharp and the shake is named.
    let shoot = Shoot::new();
    shoot.add_sample("facerec_obama__");
    let (exit, report) = shoot.analyze_json();
    assert_eq!(exit, 0, "{report}");
    assert_eq!(report["groups"].as_array().expect("groups").len(), 1);
    assert_eq!(
        photo(&report, "facerec_obama__00_original.jpg")["best"],
        true
    );
    let shake = photo(&report, "facerec_obama__03_motion_blur_L1.jpg");
    assert_eq!(shake["fault"], "motion blur", "{shake}");
    let reasons: Vec<&str> = shake["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(|r| r.as_str())
        .collect();
    assert!(
        reasons.contains(&"faces softer than in the best frame"),
        "{shake}"
    );
    assert!(
        !reasons.iter().any(|r| r.contains("slightly softer")),
        "{shake}"
    );
}

#[test]
fn second_run_reuses_the_catalog() {
    let shoot = Shoot::new();
    shoot.add_dir("bursts/skimage_chelsea");
    let (_, first) = shoot.analyze_json();
    assert_eq!(first["summary"]["analyzed_now"], 15);
    let (exit, second) = shoot.analyze_json();
    assert_eq!(exit, 0);
    assert_eq!(second["summary"]["analyzed_now"], 0);
    assert_eq!(second["summary"]["from_cache"], 15);
    assert_eq!(first["groups"], second["groups"], "same groups and picks");
    // A changed file is analyzed again; the others are not.
    let p = shoot.root().join("skimage_chelsea__05_over_exp_L1.jpg");
    let data = std::fs::read(&p).expect("read");
    std::fs::write(&p, &data).expect("rewrite");
    let f = std::fs::File::options().write(true).open(&p).expect("open");
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .expect("mtime");
    let (_, third) = shoot.analyze_json();
    assert_eq!(third["summary"]["analyzed_now"], 1);
    assert_eq!(third["summary"]["from_cache"], 14);
}

#[test]
fn bad_files_are_listed_and_exit_1() {
    let shoot = Shoot::new();
    shoot.add("jpeg-variants/baseline.jpg");
    let data = std::fs::read(shoot.root().join("baseline.jpg")).expect("read");
    shoot.write("truncated.jpg", &data[..data.len() / 3]);
    shoot.write("empty.jpg", b"");
    shoot.write("readme.jpg", b"hello, I am text\n");
    shoot.write("notes.txt", b"not a photo");
    let (exit, report) = shoot.analyze_json();
    assert_eq!(exit, 1, "{report}");
    assert_eq!(report["photos"].as_array().expect("photos").len(), 1);
    let errors = report["errors"].as_array().expect("errors");
    let reason = |name: &str| -> String {
        errors
            .iter()
            .find(|e| e["path"].as_str().is_some_and(|p| p.ends_with(name)))
            .map(|e| e["reason"].as_str().unwrap_or("").to_string())
            .unwrap_or_else(|| panic!("{name} not in errors: {errors:?}"))
    };
    assert!(reason("truncated.jpg").contains("truncated"));
    assert!(reason("empty.jpg").contains("empty"));
    assert!(reason("readme.jpg").contains("text"));
    assert_eq!(errors.len(), 3, "{errors:?}");
    let skipped = report["skipped"].as_array().expect("skipped");
    assert!(
        skipped
            .iter()
            .any(|s| s["path"].as_str().is_some_and(|p| p.ends_with("notes.txt")))
    );
    // The human summary names them too.
    let out = shoot.run(&["analyze", shoot.root().to_str().expect("utf8")]);
    assert_eq!(code(&out), 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("truncated.jpg") && text.contains("Problems (3)"),
        "{text}"
    );
    // One photo is one photo in one group, not "1 photos in 1 groups".
    assert!(
        text.contains("1 photo in 1 group — ")
            && text.contains("0 reject candidates; 0 photos picked by you so far"),
        "{text}"
    );
    // The second run read all four from the catalog: the photo reused, the three failures
    // remembered, each counted once.
    assert!(
        text.contains("0 analyzed now (0.0/s), 1 from the catalog, 3 failed"),
        "{text}"
    );
}

#[test]
fn usage_and_fatal_errors_exit_2() {
    let shoot = Shoot::new();
    let cases: [&[&str]; 4] = [
        &["analyze"],
        &["analyze", "/definitely/not/a/folder"],
        &["decide", "x.jpg"],
        &["analyze", "--grouping", "sideways", "."],
    ];
    for args in cases {
        let out = shoot.run(args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty(), "{args:?} explains itself");
    }
}

#[test]
fn grouping_knob_changes_the_groups() {
    let shoot = Shoot::new();
    shoot.add_dir("bursts/skimage_astronaut");
    let groups = |g: &str| -> usize {
        let out = shoot.run(&[
            "analyze",
            shoot.root().to_str().expect("utf8"),
            "--json",
            "--grouping",
            g,
        ]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v["groups"].as_array().expect("groups").len()
    };
    let (strict, normal, loose) = (groups("100"), groups("normal"), groups("loose"));
    assert_eq!(normal, 1, "the burst is one group");
    assert!(
        strict > normal,
        "strict splits the damaged frames off ({strict})"
    );
    assert_eq!(loose, 1);
}

#[test]
fn faces_are_in_the_report_and_no_faces_skips_them() {
    let shoot = Shoot::new();
    shoot.add("singles/mpl_grace_hopper.jpg");
    shoot.add("singles/skimage_rocket.jpg");
    let no_faces = shoot.run(&[
        "analyze",
        shoot.root().to_str().expect("utf8"),
        "--json",
        "--no-faces",
    ]);
    assert_eq!(code(&no_faces), 0, "{}", stderr(&no_faces));
    let report: serde_json::Value = serde_json::from_slice(&no_faces.stdout).expect("json");
    assert_eq!(
        photo(&report, "mpl_grace_hopper.jpg")["faces"],
        serde_json::json!([])
    );
    // Asking for faces later analyzes those photos again.
    let (exit, report) = shoot.analyze_json();
    assert_eq!(exit, 0);
    assert_eq!(report["summary"]["analyzed_now"], 2);
    let faces = photo(&report, "mpl_grace_hopper.jpg")["faces"]
        .as_array()
        .expect("faces")
        .clone();
    assert_eq!(faces.len(), 1, "{faces:?}");
    let f = &faces[0];
    let b = f["box"].as_array().expect("box");
    assert_eq!(b.len(), 4);
    assert!(
        b[2].as_f64().expect("w") > 100.0,
        "a portrait's face is large: {b:?}"
    );
    assert!(f["score"].as_f64().expect("score") > 0.5);
    assert_eq!(f["eyes"], "open");
    assert_eq!(f["openness"].as_array().expect("openness").len(), 2);
    assert!(f["sharpness"].as_f64().is_some());
    assert_eq!(
        photo(&report, "skimage_rocket.jpg")["faces"],
        serde_json::json!([])
    );
}
