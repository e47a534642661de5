//! `bestpick import`: a fake card (`DCIM/100CANON` with a RAW+JPEG pair, a sidecar and JPEGs)
//! copied, renamed, verified and backed up; a second run copies nothing; a kill -9 mid-import
//! resumes without duplicates or partial files; the card is never touched.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::util::{Shoot, code, fixtures, stderr, stdout};

/// The card: `DCIM/100CANON` with IMG_0001.NEF + IMG_0001.JPG + IMG_0001.xmp and two JPEGs,
/// plus a video that is not imported.
fn card(shoot: &Shoot) -> PathBuf {
    let dcim = shoot.dir.path().join("card/DCIM/100CANON");
    std::fs::create_dir_all(&dcim).expect("mkdir");
    for (from, to) in [
        ("raw/i247-1.nef", "IMG_0001.NEF"),
        ("jpeg-variants/baseline.jpg", "IMG_0001.JPG"),
        (
            "singles/mei_Samsung_GT-I9000__Galaxy_S_.jpg",
            "IMG_0002.JPG",
        ),
        ("singles/mpl_grace_hopper.jpg", "IMG_0003.JPG"),
    ] {
        std::fs::copy(fixtures().join(from), dcim.join(to)).expect("copy fixture");
    }
    std::fs::write(dcim.join("IMG_0001.xmp"), b"<x:xmpmeta/>").expect("sidecar");
    std::fs::write(dcim.join("MVI_0004.MOV"), b"not a photo").expect("video");
    shoot.dir.path().join("card")
}

/// Every file under `root` with its bytes and modification time.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
    bestpick_testkit::snapshot(root)
        .into_iter()
        .map(|(p, bytes, mtime)| (p, (bytes, mtime)))
        .collect()
}

fn import_json(shoot: &Shoot, args: &[&Path], extra: &[&str]) -> (i32, serde_json::Value) {
    let out = shoot
        .cmd()
        .arg("import")
        .args(args)
        .args(extra)
        .arg("--json")
        .output()
        .expect("run");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}); stderr: {}", stderr(&out)));
    (code(&out), report)
}

#[test]
fn import_copies_renames_verifies_backs_up_and_skips_the_second_time() {
    let shoot = Shoot::new();
    let card = card(&shoot);
    let before = snapshot(&card);
    let dest = shoot.dir.path().join("photos");
    let backup = shoot.dir.path().join("backup");
    let (rc, report) = import_json(
        &shoot,
        &[&card, &dest],
        &[
            "--rename",
            "{date}_{seq}_{name}",
            "--backup",
            &backup.to_string_lossy(),
        ],
    );
    assert_eq!(rc, 0, "{report:#}");
    assert_eq!(report["summary"]["copied"], 5, "{report:#}");
    assert_eq!(report["summary"]["not_photos"], 1, "the video: {report:#}");
    assert_eq!(report["summary"]["failed"], 0);
    let copied = report["copied"].as_array().expect("copied");
    let dest_of = |name: &str| -> PathBuf {
        let c = copied
            .iter()
            .find(|c| c["source"].as_str().is_some_and(|s| s.ends_with(name)))
            .unwrap_or_else(|| panic!("{name} not copied"));
        PathBuf::from(c["dest"].as_str().expect("dest"))
    };
    // Dated folder from EXIF (the Galaxy S photo was taken on 2011-04-02), pattern applied.
    let galaxy = dest_of("IMG_0002.JPG");
    let rel = galaxy
        .strip_prefix(std::fs::canonicalize(&dest).expect("canon"))
        .expect("under dest");
    assert_eq!(rel, Path::new("2011-04-02/2011-04-02_0002_IMG_0002.JPG"));
    // The pair and its sidecar share the new stem.
    let jpg = dest_of("IMG_0001.JPG");
    assert_eq!(dest_of("IMG_0001.NEF"), jpg.with_extension("NEF"));
    assert_eq!(dest_of("IMG_0001.xmp"), jpg.with_extension("xmp"));
    // Every copy and backup copy equals its source.
    for c in copied {
        let src = std::fs::read(c["source"].as_str().expect("s")).expect("src");
        assert_eq!(
            std::fs::read(c["dest"].as_str().expect("d")).expect("dest"),
            src
        );
        assert_eq!(
            std::fs::read(c["backup"].as_str().expect("b")).expect("backup"),
            src
        );
    }

    let out = shoot
        .cmd()
        .arg("import")
        .arg(&card)
        .arg(&dest)
        .output()
        .expect("run");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("0 files copied"), "{text}");
    assert!(
        text.contains("5 skipped as already imported, 1 not photos"),
        "{text}"
    );
    assert_eq!(
        snapshot(&card),
        before,
        "the card is byte-for-byte and mtime-unchanged"
    );
}

#[test]
fn import_refuses_a_bad_pattern_with_the_tokens() {
    let shoot = Shoot::new();
    let card = card(&shoot);
    let out = shoot
        .cmd()
        .arg("import")
        .arg(&card)
        .arg(shoot.dir.path().join("photos"))
        .args(["--rename", "{date}_{frame}"])
        .output()
        .expect("run");
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("unknown token {frame}") && err.contains("{seq}"),
        "{err}"
    );
}

#[test]
fn import_analyze_leaves_the_destination_analyzed() {
    let shoot = Shoot::new();
    let card = card(&shoot);
    let dest = shoot.dir.path().join("photos");
    let out = shoot
        .cmd()
        .arg("import")
        .arg(&card)
        .arg(&dest)
        .arg("--analyze")
        .output()
        .expect("run");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("3 photos of"), "{}", stderr(&out));
    let (rc, report) = shoot
        .cmd()
        .args(["analyze", "--no-faces", "--json"])
        .arg(&dest)
        .output()
        .map(|o| {
            (
                code(&o),
                serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("json"),
            )
        })
        .expect("run");
    assert_eq!(rc, 0);
    assert_eq!(
        report["summary"]["analyzed_now"], 0,
        "all analyzed during the import"
    );
    assert_eq!(
        report["summary"]["photos"], 3,
        "the RAW+JPEG pair is one photo"
    );
}

/// A card big enough that the import takes a while: 240 distinct JPEGs (fixtures with a
/// distinct tail after the image data).
fn big_card(root: &Path) -> PathBuf {
    let dcim = root.join("bigcard/DCIM/100CANON");
    std::fs::create_dir_all(&dcim).expect("mkdir");
    let sources: Vec<Vec<u8>> = [
        "jpeg-variants/baseline.jpg",
        "jpeg-variants/s444.jpg",
        "singles/facerec_obama.jpg",
    ]
    .iter()
    .map(|f| std::fs::read(fixtures().join(f)).expect("fixture"))
    .collect();
    for i in 0..240 {
        let mut data = sources[i % sources.len()].clone();
        data.extend_from_slice(format!("frame {i}").as_bytes());
        data.resize(data.len() + 400_000, (i % 251) as u8);
        std::fs::write(dcim.join(format!("IMG_{i:04}.JPG")), data).expect("write");
    }
    root.join("bigcard")
}

#[test]
fn kill_9_mid_import_then_rerun_has_no_duplicates_or_partial_files() {
    let shoot = Shoot::new();
    let card = big_card(shoot.dir.path());
    let before = snapshot(&card);
    let dest = shoot.dir.path().join("photos");
    let journal = dest.join(".bestpick-import.jsonl");
    let mut child = shoot
        .cmd()
        .arg("import")
        .arg(&card)
        .arg(&dest)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    loop {
        let lines = std::fs::read_to_string(&journal).map_or(0, |t| t.lines().count());
        if lines >= 10 {
            break;
        }
        assert!(
            child.try_wait().expect("wait").is_none(),
            "the import ended before the kill"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    let recorded = std::fs::read_to_string(&journal)
        .expect("journal")
        .lines()
        .count();
    assert!(recorded < 240, "killed mid-import ({recorded} recorded)");

    let (rc, report) = import_json(&shoot, &[&card, &dest], &[]);
    assert_eq!(rc, 0, "{report:#}");
    let copied = report["summary"]["copied"].as_u64().expect("copied");
    let skipped = report["summary"]["already_imported"]
        .as_u64()
        .expect("skipped");
    assert_eq!(copied + skipped, 240, "{report:#}");

    // DEST holds each card photo exactly once, whole, and nothing else.
    let mut found: Vec<Vec<u8>> = snapshot(&dest)
        .into_iter()
        .filter(|(p, _)| p != &journal)
        .map(|(p, (bytes, _))| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            assert!(!name.starts_with('.'), "leftover {}", p.display());
            bytes
        })
        .collect();
    let mut want: Vec<Vec<u8>> = before.values().map(|(b, _)| b.clone()).collect();
    found.sort();
    want.sort();
    assert!(
        found == want,
        "DEST has {} files for 240 card photos",
        found.len()
    );
    assert_eq!(snapshot(&card), before, "the card is untouched");
}
