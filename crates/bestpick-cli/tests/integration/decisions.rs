//! `bestpick decide` and `bestpick export`: decisions survive re-analysis and land in XMP
//! sidecars and copied picks; originals are never touched.

use std::process::Command;

use crate::util::{Shoot, code, photo, stderr};

fn sha(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).expect("read")
}

#[test]
fn decisions_survive_reanalysis_and_export_to_xmp() {
    let shoot = Shoot::new();
    shoot.add_dir("bursts/skimage_chelsea");
    let (exit, _) = shoot.analyze_json();
    assert_eq!(exit, 0);
    let a = shoot.root().join("skimage_chelsea__00_original.jpg");
    let b = shoot.root().join("skimage_chelsea__14_combo_L3.jpg");
    let c = shoot.root().join("skimage_chelsea__07_under_exp_L1.jpg");
    let before: Vec<Vec<u8>> = [&a, &b, &c].iter().map(|p| sha(p)).collect();
    let s = |p: &std::path::Path| p.to_str().expect("utf8").to_string();
    for args in [
        vec!["decide".to_string(), s(&a), "--pick".into()],
        vec!["decide".into(), s(&a), "--stars".into(), "4".into()],
        vec!["decide".into(), s(&b), "--reject".into()],
        vec!["decide".into(), s(&c), "--label".into(), "red".into()],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = shoot.run(&args);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
    }
    // Re-analysis (forced by a new mtime on every file) keeps the decisions.
    for p in [&a, &b, &c] {
        let f = std::fs::File::options().write(true).open(p).expect("open");
        f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(60))
            .expect("mtime");
    }
    let (_, report) = shoot.analyze_json();
    assert_eq!(report["summary"]["analyzed_now"], 3);
    assert_eq!(
        photo(&report, "00_original.jpg")["decision"]["flag"],
        "pick"
    );
    assert_eq!(photo(&report, "00_original.jpg")["decision"]["stars"], 4);
    assert_eq!(
        photo(&report, "14_combo_L3.jpg")["decision"]["flag"],
        "reject"
    );
    assert_eq!(
        photo(&report, "07_under_exp_L1.jpg")["decision"]["label"],
        "red"
    );

    let out = shoot.run(&["export", shoot.root().to_str().expect("utf8"), "--xmp"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let sidecar = |name: &str| shoot.root().join(name);
    let xa =
        std::fs::read_to_string(sidecar("skimage_chelsea__00_original.xmp")).expect("sidecar a");
    assert!(
        xa.contains("xmp:Rating=\"4\"") || xa.contains("<xmp:Rating>4</xmp:Rating>"),
        "{xa}"
    );
    let xb =
        std::fs::read_to_string(sidecar("skimage_chelsea__14_combo_L3.xmp")).expect("sidecar b");
    assert!(xb.contains("-1"), "rejected = -1: {xb}");
    assert!(
        !sidecar("skimage_chelsea__01_gauss_blur_L1.xmp").exists(),
        "no sidecar without a decision"
    );
    let out = shoot.run(&[
        "export",
        shoot.root().to_str().expect("utf8"),
        "--xmp",
        "--darktable-names",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(sidecar("skimage_chelsea__07_under_exp_L1.jpg.xmp").exists());
    // exiftool, as the editors would read them.
    if let Ok(o) = Command::new("exiftool")
        .args(["-s3", "-Rating", "-Label"])
        .arg(sidecar("skimage_chelsea__07_under_exp_L1.xmp"))
        .output()
    {
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("Red"), "exiftool reads the label: {text}");
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "exiftool is installed in CI"
        );
        println!("skipped exiftool check: exiftool not installed");
    }
    let after: Vec<Vec<u8>> = [&a, &b, &c].iter().map(|p| sha(p)).collect();
    assert_eq!(before, after, "originals never modified");
}

#[test]
fn copy_picks_takes_their_raw_and_sidecars_and_leaves_originals() {
    let shoot = Shoot::new();
    shoot.add("singles/mpl_grace_hopper.jpg");
    shoot.add("singles/facerec_obama.jpg");
    // A RAW+JPEG pair of one frame: the RAW goes along with the pick.
    std::fs::copy(
        crate::util::fixtures().join("raw/i247-1.nef"),
        shoot.root().join("mpl_grace_hopper.nef"),
    )
    .expect("copy");
    shoot.write(
        "mpl_grace_hopper.xmp",
        b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"></x:xmpmeta>",
    );
    let (exit, report) = shoot.analyze_json();
    assert_eq!(exit, 0, "{report}");
    assert_eq!(
        report["photos"].as_array().expect("photos").len(),
        2,
        "the pair is one photo"
    );
    let pick = shoot.root().join("mpl_grace_hopper.nef");
    let out = shoot.run(&["decide", pick.to_str().expect("utf8"), "--pick"]);
    assert_eq!(
        code(&out),
        0,
        "deciding through the RAW of the pair: {}",
        stderr(&out)
    );
    let out_dir = shoot.dir.path().join("picks");
    let out = shoot.run(&[
        "export",
        shoot.root().to_str().expect("utf8"),
        "--copy-picks",
        out_dir.to_str().expect("utf8"),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut copied: Vec<String> = std::fs::read_dir(&out_dir)
        .expect("out")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    copied.sort();
    assert_eq!(
        copied,
        [
            "mpl_grace_hopper.jpg",
            "mpl_grace_hopper.nef",
            "mpl_grace_hopper.xmp"
        ]
    );
    assert!(
        shoot.root().join("mpl_grace_hopper.jpg").exists(),
        "copy leaves the original"
    );
    assert_eq!(
        sha(&shoot.root().join("mpl_grace_hopper.jpg")),
        sha(&out_dir.join("mpl_grace_hopper.jpg"))
    );
}

#[test]
fn deciding_on_an_unknown_photo_says_what_to_do() {
    let shoot = Shoot::new();
    let p = shoot.add("singles/skimage_rocket.jpg");
    let out = shoot.run(&["decide", p.to_str().expect("utf8"), "--pick"]);
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("bestpick analyze"),
        "{}",
        stderr(&out)
    );
}
