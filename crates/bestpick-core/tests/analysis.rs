//! Analysis, grouping and ranking on real photos: the known best frame of each burst wins,
//! bursts come out whole, noise does not pass for detail, orientation is applied, and bad files
//! become one error each while the rest of the shoot is analyzed.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use bestpick_core::{
    Analysis, AnalyzeParams, CancelFlag, NoProgress, PhotoErrorKind, Strictness, analyze_files,
    cull, scan,
};
use common::{corpus, fixtures};

struct Shoot {
    names: Vec<String>,
    analyses: Vec<Option<Analysis>>,
    errors: Vec<(String, PhotoErrorKind)>,
}

fn analyze_dir(dir: &Path) -> Shoot {
    let report = scan(dir).expect("scan");
    let results = std::sync::Mutex::new(vec![None; report.photos.len()]);
    let errors = std::sync::Mutex::new(Vec::new());
    analyze_files(
        &report.photos,
        &AnalyzeParams::default(),
        &CancelFlag::new(),
        &NoProgress,
        |i, r| match r {
            Ok(a) => results.lock().expect("lock")[i] = Some(a.analysis),
            Err(e) => errors
                .lock()
                .expect("lock")
                .push((report.photos[i].rel_path.clone(), e.kind)),
        },
    );
    Shoot {
        names: report.photos.iter().map(|p| p.rel_path.clone()).collect(),
        analyses: results.into_inner().expect("lock"),
        errors: errors.into_inner().expect("lock"),
    }
}

/// Checks a burst set with a ground_truth.tsv: top-1 and whole groups, per group.
fn check_bursts(dir: &Path) -> (usize, usize, usize) {
    let shoot = analyze_dir(dir);
    assert!(shoot.errors.is_empty(), "{:?}", shoot.errors);
    let refs: Vec<Option<&Analysis>> = shoot.analyses.iter().map(Option::as_ref).collect();
    let names: Vec<&str> = shoot.names.iter().map(String::as_str).collect();
    let (suggestions, _) = cull(&refs, &names, Strictness::NORMAL);
    let truth = std::fs::read_to_string(dir.join("ground_truth.tsv")).expect("ground truth");
    let mut groups: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
    for line in truth.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        groups
            .entry(cols[0].to_string())
            .or_default()
            .push((cols[1].to_string(), cols[6] == "1"));
    }
    let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let (mut hits, mut whole) = (0, 0);
    for (group, frames) in &groups {
        let ids: Vec<usize> = frames.iter().map(|(f, _)| index[f.as_str()]).collect();
        let group_ids: Vec<usize> = ids
            .iter()
            .map(|&i| suggestions[i].as_ref().expect("ranked").group)
            .collect();
        let members_elsewhere = suggestions
            .iter()
            .flatten()
            .filter(|s| s.group == group_ids[0])
            .count();
        if group_ids.iter().all(|&g| g == group_ids[0]) && members_elsewhere == ids.len() {
            whole += 1;
        } else {
            println!("{group}: split or merged: {group_ids:?}");
        }
        let best: Vec<&(String, bool)> = frames
            .iter()
            .filter(|(f, _)| {
                suggestions[index[f.as_str()]]
                    .as_ref()
                    .is_some_and(|s| s.ranked.best)
            })
            .collect();
        if best.len() == 1 && best[0].1 {
            hits += 1;
        } else {
            println!("{group}: picked {best:?}");
        }
    }
    (hits, whole, groups.len())
}

#[test]
fn the_original_is_the_pick_of_every_burst_and_bursts_come_out_whole() {
    let (hits, whole, n) = check_bursts(&fixtures().join("bursts"));
    assert_eq!((hits, whole), (n, n), "top-1 {hits}/{n}, whole {whole}/{n}");
}

#[test]
fn the_whole_burst_corpus_when_present() {
    let Some(corpus) = corpus() else { return };
    let (hits, whole, n) = check_bursts(&corpus.join("bursts_synth"));
    assert_eq!((hits, whole), (n, n), "top-1 {hits}/{n}, whole {whole}/{n}");
}

#[test]
fn noise_does_not_pass_for_detail() {
    // Plain Laplacian variance ranks the noisy frames above the clean original; ours must not.
    let shoot = analyze_dir(&fixtures().join("bursts"));
    let by_name: HashMap<&str, &Analysis> = shoot
        .names
        .iter()
        .zip(&shoot.analyses)
        .filter_map(|(n, a)| Some((n.as_str(), a.as_ref()?)))
        .collect();
    for group in ["skimage_astronaut", "skimage_chelsea"] {
        let s = |frame: &str| {
            by_name[format!("{group}/{group}__{frame}.jpg").as_str()]
                .signals
                .clone()
        };
        let original = s("00_original");
        for noisy in ["09_noise_L1", "10_noise_L3"] {
            let n = s(noisy);
            assert!(
                n.sharpness <= original.sharpness * 1.1,
                "{group} {noisy}: {} vs original {}",
                n.sharpness,
                original.sharpness
            );
            assert!(
                n.noise > original.noise * 2.0,
                "{group} {noisy}: noise {} vs {}",
                n.noise,
                original.noise
            );
        }
        for blurred in [
            "01_gauss_blur_L1",
            "02_gauss_blur_L3",
            "03_motion_blur_L1",
            "04_motion_blur_L3",
        ] {
            let b = s(blurred);
            assert!(
                b.sharpness < original.sharpness * 0.6,
                "{group} {blurred}: {} vs {}",
                b.sharpness,
                original.sharpness
            );
        }
        let (under, over) = (s("08_under_exp_L3"), s("06_over_exp_L3"));
        assert!(
            under.exposure_ev < original.exposure_ev - 2.0,
            "{group}: under-exposure seen"
        );
        assert!(
            over.clipped_highlights > original.clipped_highlights + 0.05,
            "{group}: clipping seen"
        );
    }
}

#[test]
fn reasons_say_what_is_wrong_with_each_frame() {
    let shoot = analyze_dir(&fixtures().join("bursts"));
    let refs: Vec<Option<&Analysis>> = shoot.analyses.iter().map(Option::as_ref).collect();
    let names: Vec<&str> = shoot.names.iter().map(String::as_str).collect();
    let (suggestions, _) = cull(&refs, &names, Strictness::NORMAL);
    let words = |frame: &str| -> String {
        let i = names
            .iter()
            .position(|n| n.ends_with(frame))
            .expect("frame");
        suggestions[i]
            .as_ref()
            .expect("ranked")
            .reason_words()
            .join("; ")
    };
    let cases = [
        ("skimage_astronaut__00_original.jpg", "sharpest of 15"),
        (
            "skimage_astronaut__08_under_exp_L3.jpg",
            "darker than the group",
        ),
        (
            "skimage_astronaut__06_over_exp_L3.jpg",
            "highlights clipped",
        ),
        (
            "skimage_astronaut__10_noise_L3.jpg",
            "noisier than the group",
        ),
        ("skimage_astronaut__04_motion_blur_L3.jpg", "motion blur"),
        ("skimage_astronaut__02_gauss_blur_L3.jpg", "out of focus"),
        (
            "skimage_astronaut__12_jpeg_L3.jpg",
            "heavy JPEG compression",
        ),
    ];
    for (frame, expected) in cases {
        let got = words(frame);
        assert!(
            got.contains(expected),
            "{frame}: {got:?} should mention {expected:?}"
        );
    }
}

#[test]
fn orientation_is_applied_before_analysis() {
    let shoot = analyze_dir(&fixtures().join("singles"));
    let i = shoot
        .names
        .iter()
        .position(|n| n.starts_with("mei_Samsung"))
        .expect("photo");
    let a = shoot.analyses[i].as_ref().expect("analyzed");
    assert_eq!(a.exif.orientation, 6);
    // Stored landscape, displayed portrait.
    assert!(
        a.signals.height > a.signals.width,
        "{}x{}",
        a.signals.width,
        a.signals.height
    );
}

#[test]
fn each_bad_file_is_one_error_and_the_rest_is_analyzed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let good = fixtures().join("jpeg-variants/baseline.jpg");
    std::fs::copy(&good, d.join("good.jpg")).expect("copy");
    let data = std::fs::read(&good).expect("read");
    std::fs::write(d.join("truncated.jpg"), &data[..data.len() / 2]).expect("write");
    std::fs::write(d.join("empty.jpg"), b"").expect("write");
    std::fs::write(d.join("notes.jpg"), b"this is a text file, not a photo\n").expect("write");
    std::fs::write(
        d.join("huge.jpg"),
        [
            0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0xFD, 0xE8, 0xFD, 0xE8, 1, 1, 0x11, 0, 0xFF, 0xD9,
        ],
    )
    .expect("write");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(d.join("gone.jpg"), d.join("dangling.jpg")).expect("symlink");
        std::fs::create_dir(d.join("sub")).expect("mkdir");
        std::os::unix::fs::symlink(d, d.join("sub/loop")).expect("symlink");
    }
    let report = scan(d).expect("scan");
    let shoot = analyze_dir(d);
    let errors: HashMap<&str, &PhotoErrorKind> =
        shoot.errors.iter().map(|(n, k)| (n.as_str(), k)).collect();
    assert!(
        matches!(
            errors.get("truncated.jpg"),
            Some(PhotoErrorKind::Corrupt(_))
        ),
        "{errors:?}"
    );
    assert!(
        matches!(errors.get("empty.jpg"), Some(PhotoErrorKind::Empty)),
        "{errors:?}"
    );
    assert!(
        matches!(errors.get("notes.jpg"), Some(PhotoErrorKind::NotAnImage(_))),
        "{errors:?}"
    );
    assert!(
        matches!(errors.get("huge.jpg"), Some(PhotoErrorKind::TooLarge(_))),
        "{errors:?}"
    );
    let good_i = shoot
        .names
        .iter()
        .position(|n| n == "good.jpg")
        .expect("good");
    assert!(
        shoot.analyses[good_i].is_some(),
        "the good photo is analyzed"
    );
    #[cfg(unix)]
    {
        let kinds: Vec<&PhotoErrorKind> = report.errors.iter().map(|e| &e.kind).collect();
        assert!(
            kinds
                .iter()
                .any(|k| matches!(k, PhotoErrorKind::LinkLoop(_))),
            "{kinds:?}"
        );
        assert!(
            kinds
                .iter()
                .any(|k| matches!(k, PhotoErrorKind::Unreadable(_))),
            "dangling link: {kinds:?}"
        );
    }
}

#[test]
fn the_whole_photo_corpus_is_read_without_a_panic() {
    let Some(corpus) = corpus() else { return };
    let shoot = analyze_dir(&corpus);
    let analyzed = shoot.analyses.iter().flatten().count();
    println!("{analyzed} analyzed, {} errors", shoot.errors.len());
    for (name, kind) in &shoot.errors {
        println!("  {name}: {kind}");
        // Failures must be about the file, never a caught decoder panic.
        assert!(
            !matches!(kind, PhotoErrorKind::DecoderPanic(_)),
            "{name}: {kind}"
        );
    }
    assert!(
        analyzed * 10 >= shoot.names.len() * 9,
        "at least 90% of the corpus analyzed"
    );
}
