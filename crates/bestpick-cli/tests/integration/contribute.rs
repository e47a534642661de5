//! `bestpick contribute` as a user types it, without a collector: `add` with folders, an
//! error's cause said once, and `contribute log` before anything was sent (the whole round
//! trip against a collector process is `tests/contribute_cli.rs`).
//!
//! `add` keeps the selection in the vault, whose key is in the OS keyring: run in a D-Bus
//! session with a Secret Service (`./dev test` does). Without one a developer machine skips
//! those steps; under CI their absence fails.

use std::collections::BTreeSet;

use crate::util::{Shoot, stderr, stdout};

#[test]
fn add_takes_folders_recursively_and_skips_what_is_never_sent() {
    if !bestpick_testkit::keyring_session("contribute add with folders") {
        return;
    }
    let shoot = Shoot::new();
    let root = shoot.root();
    let nested = root.join("day 2/ceremony");
    std::fs::create_dir_all(&nested).expect("subfolders");
    std::fs::create_dir_all(root.join(".thumbnails")).expect("hidden folder");
    let fixtures = crate::util::fixtures();
    let copy = |from: &str, to: &std::path::Path| {
        std::fs::copy(fixtures.join(from), to).expect("copy fixture");
    };
    copy("singles/mpl_grace_hopper.jpg", &root.join("a.jpg"));
    copy("singles/skimage_coffee.png", &root.join("b.PNG"));
    copy("singles/sklearn_china.jpg", &nested.join("c.jpeg"));
    copy("raw/i247-1.nef", &root.join("a.nef"));
    copy(
        "singles/skimage_rocket.jpg",
        &root.join(".thumbnails/t.jpg"),
    );
    std::fs::write(root.join("a.jpg.xmp"), "<x:xmpmeta/>").expect("sidecar");
    std::fs::write(root.join("notes.txt"), "shot list").expect("notes");

    let out = shoot.run(&["contribute", "consent", "--yes"]);
    assert!(out.status.success(), "consent: {}", stderr(&out));

    let out = shoot.run(&["contribute", "add", root.to_str().expect("utf-8")]);
    assert!(out.status.success(), "add FOLDER: {}", stderr(&out));
    let (text, errors) = (stdout(&out), stderr(&out));
    let added: BTreeSet<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("added "))
        .map(|p| {
            let p = std::path::Path::new(p);
            let rel = p
                .strip_prefix(root.canonicalize().expect("canonical"))
                .expect("inside");
            rel.to_string_lossy().into_owned()
        })
        .collect();
    let expected: BTreeSet<String> = ["a.jpg", "b.PNG", "day 2/ceremony/c.jpeg"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(added, expected, "the photos, subfolders too: {text}");
    assert!(text.contains("3 photos selected"), "{text}");
    assert!(
        errors.contains(&format!("skipped 4 files in {}", root.display())),
        "the RAW, sidecar, notes and hidden folder are counted, not refused one by one: {errors}"
    );
    assert!(!errors.contains("refused"), "nothing refused: {errors}");

    // A folder again adds nothing twice; a folder with no photos says so.
    let out = shoot.run(&["contribute", "add", root.to_str().expect("utf-8")]);
    assert!(
        stdout(&out).contains("3 photos selected"),
        "{}",
        stdout(&out)
    );
    let empty = shoot.dir.path().join("empty");
    std::fs::create_dir(&empty).expect("empty folder");
    let out = shoot.run(&["contribute", "add", empty.to_str().expect("utf-8")]);
    assert!(
        stdout(&out).contains("3 photos selected"),
        "{}",
        stdout(&out)
    );
}

/// The libraries' errors say their cause in their message and return it as their source too:
/// the CLI printed the reason twice (`…: No such file or directory (os error 2): No such file
/// or directory (os error 2)`).
#[test]
fn an_error_says_its_reason_once() {
    let shoot = Shoot::new();
    let missing = shoot.dir.path().join("no such shoot");
    let missing = missing.to_str().expect("utf-8");
    let cases: [(&str, Vec<&str>); 3] = [
        ("analyze", vec!["analyze", missing]),
        ("report", vec!["report", missing]),
        ("export", vec!["export", missing, "--xmp"]),
    ];
    for (name, args) in cases {
        let out = shoot.run(&args);
        assert_eq!(out.status.code(), Some(2), "case {name}: fatal");
        let errors = stderr(&out);
        assert!(
            errors.contains(missing),
            "case {name}: names the folder: {errors}"
        );
        assert_eq!(
            errors.matches("No such file or directory").count(),
            1,
            "case {name}: the reason once: {errors}"
        );
    }
}

#[test]
fn the_network_log_starts_empty() {
    let shoot = Shoot::new();
    let out = shoot.run(&["contribute", "log"]);
    assert!(out.status.success(), "log: {}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        "bestpick has never connected to anything"
    );

    let out = shoot.run(&["contribute", "log", "--json"]);
    assert!(out.status.success(), "log --json: {}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        json,
        serde_json::json!({
            "requests": [],
            "summary": "bestpick has never connected to anything"
        })
    );
}
