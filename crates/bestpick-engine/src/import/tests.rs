use std::path::{Path, PathBuf};

use super::*;
use bestpick_testkit::snapshot;

fn fixtures() -> PathBuf {
    bestpick_testkit::photos()
}

/// A fake card: `DCIM/100CANON` with a RAW+JPEG pair and its sidecar, and two JPEGs.
fn card(root: &Path) -> PathBuf {
    let dcim = root.join("card/DCIM/100CANON");
    std::fs::create_dir_all(&dcim).expect("mkdir");
    let f = fixtures();
    for (from, to) in [
        ("raw/i247-1.nef", "IMG_0001.NEF"),
        ("jpeg-variants/baseline.jpg", "IMG_0001.JPG"),
        (
            "singles/mei_Samsung_GT-I9000__Galaxy_S_.jpg",
            "IMG_0002.JPG",
        ),
        ("singles/mpl_grace_hopper.jpg", "IMG_0003.JPG"),
    ] {
        std::fs::copy(f.join(from), dcim.join(to)).expect("copy fixture");
    }
    std::fs::write(dcim.join("IMG_0001.xmp"), b"<x:xmpmeta/>").expect("sidecar");
    root.join("card")
}

fn params(root: &Path, source: &Path) -> ImportParams {
    ImportParams {
        source: source.to_path_buf(),
        dest: root.join("dest"),
        backup: None,
        pattern: RenamePattern::default(),
    }
}

fn files_under(root: &Path) -> Vec<String> {
    snapshot(root)
        .into_iter()
        .map(|(p, _, _)| bestpick_core::scan::rel_path(&p, root))
        .collect()
}

#[test]
fn patterns_parse_render_and_refuse() {
    let facts = NameFacts {
        date: "2024-05-17".into(),
        time: "143005".into(),
        seq: 7,
        camera: Some("Canon EOS R6 / Mark II".into()),
        name: "IMG_0001".into(),
    };
    for (pattern, want) in [
        ("{date}_{time}_{seq}", "2024-05-17_143005_0007"),
        ("{camera}-{name}", "Canon-EOS-R6-Mark-II-IMG_0001"),
        ("trip {seq}", "trip-0007"),
        ("../{name}", "IMG_0001"),
    ] {
        let p = RenamePattern::parse(pattern).expect(pattern);
        assert_eq!(p.render(&facts), want, "pattern {pattern}");
    }
    for bad in ["{date", "{nope}", "plain", "x}{seq}"] {
        assert!(
            RenamePattern::parse(bad).is_err(),
            "pattern {bad} should be refused"
        );
    }
    assert_eq!(
        RenamePattern::default().example(),
        "2024-05-17_143005_0001.CR2"
    );
}

#[test]
fn names_split_into_stem_and_kept_suffix() {
    for (name, want) in [
        ("IMG_0001.CR2", ("IMG_0001", ".CR2")),
        ("IMG_0001.JPG.xmp", ("IMG_0001", ".JPG.xmp")),
        ("IMG_0001.xmp", ("IMG_0001", ".xmp")),
        ("trip.day1.jpg", ("trip.day1", ".jpg")),
        ("README", ("README", "")),
    ] {
        assert_eq!(split_name(name), want, "{name}");
    }
    assert_eq!(
        frame_key("DCIM/100CANON/IMG_0001.JPG.xmp"),
        "DCIM/100CANON/img_0001"
    );
}

#[test]
fn utc_dates_from_modification_times() {
    for (ns, want) in [
        (0, ("1970-01-01", "000000")),
        (1_700_000_000_000_000_000, ("2023-11-14", "221320")),
        (951_782_400_000_000_000, ("2000-02-29", "000000")),
    ] {
        let (d, t) = utc_date_time(ns);
        assert_eq!((d.as_str(), t.as_str()), want, "mtime {ns}");
    }
}

#[test]
fn imports_pairs_together_verifies_and_skips_the_second_time() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = card(tmp.path());
    let before = snapshot(&src);
    let mut p = params(tmp.path(), &src);
    p.backup = Some(tmp.path().join("backup"));
    let report = import(&p, &CancelFlag::default(), &NoImportProgress).expect("import");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_eq!(report.copied.len(), 5, "{:?}", report.copied);
    for c in &report.copied {
        let original = std::fs::read(&c.source).expect("source");
        assert_eq!(
            std::fs::read(&c.dest).expect("copy"),
            original,
            "{}",
            c.dest.display()
        );
        let backup = c.backup.as_ref().expect("backup copy");
        assert_eq!(
            std::fs::read(backup).expect("backup"),
            original,
            "{}",
            backup.display()
        );
    }
    // The pair and its sidecar share one new stem.
    let stem_of = |name: &str| {
        let c = report
            .copied
            .iter()
            .find(|c| c.source.ends_with(name))
            .expect(name);
        let file = c
            .dest
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        file.split('.').next().expect("stem").to_string()
    };
    assert_eq!(stem_of("IMG_0001.NEF"), stem_of("IMG_0001.JPG"));
    assert_eq!(stem_of("IMG_0001.xmp"), stem_of("IMG_0001.JPG"));
    assert_ne!(stem_of("IMG_0002.JPG"), stem_of("IMG_0001.JPG"));
    // The Galaxy S photo has an EXIF date: its folder and name come from it.
    let galaxy = report
        .copied
        .iter()
        .find(|c| c.source.ends_with("IMG_0002.JPG"))
        .expect("galaxy");
    let rel = bestpick_core::scan::rel_path(&galaxy.dest, &report.dest);
    assert!(rel.starts_with("20") && rel.contains("_0002.JPG"), "{rel}");
    let dest_files = files_under(&report.dest);
    let without_journal: Vec<String> = dest_files
        .iter()
        .filter(|f| *f != JOURNAL_NAME)
        .cloned()
        .collect();
    assert_eq!(
        files_under(&tmp.path().join("backup")),
        without_journal,
        "same tree in DEST and the backup"
    );

    let again = import(&p, &CancelFlag::default(), &NoImportProgress).expect("again");
    assert!(again.copied.is_empty(), "{:?}", again.copied);
    assert_eq!(again.already_imported(), 5);
    assert_eq!(files_under(&report.dest), dest_files, "nothing new in DEST");
    assert_eq!(snapshot(&src), before, "the source is untouched");
}

#[test]
fn a_copy_that_does_not_verify_is_reported_and_not_recorded() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = card(tmp.path());
    let p = params(tmp.path(), &src);
    let tamper = |part: &Path| {
        if part.to_string_lossy().contains("2011-04-02_") {
            let mut data = std::fs::read(part).expect("read");
            data[100] ^= 0xff;
            std::fs::write(part, data).expect("tamper");
        }
    };
    let report =
        import_with(&p, &CancelFlag::default(), &NoImportProgress, &tamper).expect("import");
    assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
    let failed = &report.failed[0];
    assert!(
        failed.verification && failed.source.ends_with("IMG_0002.JPG"),
        "{failed:?}"
    );
    assert!(
        failed.reason.contains("does not match"),
        "{}",
        failed.reason
    );
    assert_eq!(report.copied.len(), 4);
    assert!(
        files_under(&report.dest)
            .iter()
            .all(|f| !f.contains("2011-04-02_") && !f.ends_with(PART_SUFFIX)),
        "no bad or partial copy left: {:?}",
        files_under(&report.dest)
    );
    // Not recorded: the next run copies it.
    let again = import(&p, &CancelFlag::default(), &NoImportProgress).expect("again");
    assert_eq!(again.copied.len(), 1, "{:?}", again.copied);
    assert!(again.copied[0].source.ends_with("IMG_0002.JPG"));
    assert_eq!(again.already_imported(), 4);
}

#[test]
fn leftovers_of_an_interrupted_run_are_cleaned_or_adopted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = card(tmp.path());
    let p = params(tmp.path(), &src);
    let first = import(&p, &CancelFlag::default(), &NoImportProgress).expect("import");
    // Forget the record (as if killed before the journal line) and leave a partial file.
    let dest = first.dest.clone();
    std::fs::remove_file(dest.join(JOURNAL_NAME)).expect("rm journal");
    let some = &first.copied[0].dest;
    let part = some
        .parent()
        .expect("dir")
        .join(format!(".half.JPG{PART_SUFFIX}"));
    std::fs::write(&part, b"half").expect("partial");
    let before = files_under(&dest);
    let again = import(&p, &CancelFlag::default(), &NoImportProgress).expect("again");
    assert_eq!(again.cleaned_partial, 1);
    assert!(!part.exists());
    assert_eq!(again.copied.len(), 5);
    assert!(again.copied.iter().all(|c| c.adopted), "{:?}", again.copied);
    assert_eq!(
        files_under(&dest)
            .into_iter()
            .filter(|f| !f.ends_with(".jsonl"))
            .collect::<Vec<_>>(),
        before
            .into_iter()
            .filter(|f| !f.ends_with(PART_SUFFIX))
            .collect::<Vec<_>>(),
        "no duplicates"
    );
}

#[test]
fn a_source_file_changed_after_import_is_imported_again_beside_the_first_copy() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = card(tmp.path());
    let p = params(tmp.path(), &src);
    let first = import(&p, &CancelFlag::default(), &NoImportProgress).expect("import");
    let old = first
        .copied
        .iter()
        .find(|c| c.source.ends_with("IMG_0003.JPG"))
        .expect("0003")
        .clone();
    let changed = src.join("DCIM/100CANON/IMG_0003.JPG");
    std::fs::copy(fixtures().join("singles/facerec_obama.jpg"), &changed).expect("change");
    let again = import(&p, &CancelFlag::default(), &NoImportProgress).expect("again");
    assert_eq!(again.copied.len(), 1, "{:?}", again.copied);
    let new = &again.copied[0];
    assert!(new.changed_since_import);
    assert_ne!(new.dest, old.dest);
    assert_eq!(new.dest.parent(), old.dest.parent());
    let name = new
        .dest
        .file_name()
        .expect("n")
        .to_string_lossy()
        .into_owned();
    assert!(name.ends_with("-2.JPG"), "{name}");
    assert_eq!(
        std::fs::read(&old.dest).expect("old"),
        std::fs::read(fixtures().join("singles/mpl_grace_hopper.jpg")).expect("fixture"),
        "the first copy is kept"
    );
}

#[test]
fn refuses_a_destination_inside_the_source() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = card(tmp.path());
    let mut p = params(tmp.path(), &src);
    p.dest = src.join("imported");
    let err = import(&p, &CancelFlag::default(), &NoImportProgress).expect_err("overlap");
    assert!(matches!(err, Error::ImportOverlap { .. }), "{err}");
}
