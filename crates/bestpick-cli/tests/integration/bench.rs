//! `bestpick bench`: the end-to-end comparison against czkawka_cli, with a stand-in for it.

use std::path::PathBuf;

use crate::util::{Shoot, code, stderr};

/// An executable `czkawka_cli` stand-in beside the shoot, running the shell `body`.
fn stand_in(shoot: &Shoot, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = shoot.dir.path().join("czkawka_cli");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write the stand-in");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[test]
fn czkawka_comparison_alternates_whole_runs_and_keeps_the_users_catalog_alone() {
    let shoot = Shoot::new();
    shoot.add_dir("bursts/skimage_chelsea");
    // A stand-in czkawka_cli: says its version, records each scan's arguments, and exits 11
    // as czkawka does when it finds similar images.
    let log = shoot.dir.path().join("czkawka.log");
    let stand_in = stand_in(
        &shoot,
        &format!(
            "[ \"$1\" = --version ] && {{ echo 'czkawka_cli 0.0 (stand-in)'; echo 'commit: x'; exit 0; }}\n\
             echo \"$@\" >> '{}'\nexit 11",
            log.display()
        ),
    );
    let out = shoot
        .cmd()
        .arg("bench")
        .arg(shoot.root())
        .args(["--no-faces", "--passes", "2", "--json", "--czkawka"])
        .arg(&stand_in)
        .output()
        .expect("run bestpick bench");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let fig: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON figures");
    let e = &fig["end_to_end"];
    assert_eq!(e["czkawka_version"], "czkawka_cli 0.0 (stand-in)", "{fig}");
    for key in ["bestpick_s", "czkawka_s", "speedups"] {
        let v = e[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key} in {fig}"));
        assert_eq!(v.len(), 2, "{key}: one per pass");
        assert!(
            v.iter().all(|s| s.as_f64().is_some_and(|s| s > 0.0)),
            "{fig}"
        );
    }
    // A real analyze of the folder takes measurable time (it decodes 15 JPEGs), and analyzed
    // every photo in each pass.
    assert!(
        e["bestpick_s"][0].as_f64().is_some_and(|s| s > 0.01),
        "{fig}"
    );
    assert_eq!(e["bestpick_partial_passes"], 0, "{fig}");
    let root = shoot.root().canonicalize().expect("root");
    let scans = std::fs::read_to_string(&log).expect("the stand-in ran");
    let want = format!("image --directories {} --disable-cache", root.display());
    assert_eq!(
        scans.lines().collect::<Vec<_>>(),
        [want.as_str(), want.as_str()]
    );
    assert!(
        !shoot.catalog.exists(),
        "bench analyzes into a catalog of its own, never the user's"
    );
}

/// A folder with a photo that cannot be analyzed still benchmarks, and the figures say that
/// those passes decoded fewer photos.
#[test]
fn passes_that_could_not_analyze_every_photo_are_counted() {
    let shoot = Shoot::new();
    shoot.add("singles/mpl_grace_hopper.jpg");
    std::fs::write(
        shoot.root().join("broken.jpg"),
        b"\xFF\xD8\xFF\xE0 not a JPEG",
    )
    .expect("write a broken photo");
    let stand_in = stand_in(&shoot, "echo 'czkawka_cli 0.0 (stand-in)'\nexit 0");
    let out = shoot
        .cmd()
        .arg("bench")
        .arg(shoot.root())
        .args(["--no-faces", "--passes", "2", "--czkawka"])
        .arg(&stand_in)
        .output()
        .expect("run bestpick bench");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("in 2 of the passes bestpick could not analyze every photo"),
        "{text}"
    );
}

#[test]
fn a_missing_czkawka_is_a_clear_error() {
    let shoot = Shoot::new();
    shoot.add("singles/mpl_grace_hopper.jpg");
    let out = shoot
        .cmd()
        .arg("bench")
        .arg(shoot.root())
        .args([
            "--no-faces",
            "--passes",
            "1",
            "--czkawka",
            "/nonexistent/czkawka_cli",
        ])
        .output()
        .expect("run bestpick bench");
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("/nonexistent/czkawka_cli"), "{err}");
    assert!(err.contains("cargo install czkawka_cli"), "{err}");
}
