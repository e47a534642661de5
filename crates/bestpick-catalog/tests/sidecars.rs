//! Writing sidecars next to files we do not control: oversized and special files are refused
//! without being read (or blocked on), one-line packets merge in linear time, symbolic links are
//! written through, and temp files a crash left behind are cleaned up.
#![cfg(unix)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bestpick_catalog::xmp::{
    MAX_SIDECAR_BYTES, PlannedSidecar, SidecarNaming, plan_xmp, read_sidecar, write_xmp,
};
use bestpick_catalog::{Decision, ExportReport, Flag};
use tempfile::TempDir;

/// Long enough for a slow, shared machine; a blocked read never returns at all.
const PATIENCE: Duration = Duration::from_secs(60);

fn decision(stars: u8) -> Decision {
    Decision {
        flag: Flag::Pick,
        stars,
        label: None,
        updated_at_ms: 1,
    }
}

fn image(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("image bytes of {name}")).expect("write image");
    path
}

fn plan(images: &[PathBuf], stars: u8) -> Vec<PlannedSidecar> {
    let items: Vec<(PathBuf, Decision)> = images
        .iter()
        .map(|i| (i.clone(), decision(stars)))
        .collect();
    plan_xmp(&items, SidecarNaming::Adobe)
}

/// `write_xmp` on another thread, failing the test instead of hanging when it blocks.
fn write_within(plan: Vec<PlannedSidecar>, limit: Duration) -> (ExportReport, Duration) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let start = Instant::now();
        let report = write_xmp(&plan);
        let _ = tx.send((report, start.elapsed()));
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("writing sidecars took more than {limit:?} (blocked?)"))
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo (coreutils) must be installed");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

fn temp_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".bestpick-"))
        .collect();
    names.sort();
    names
}

#[test]
fn oversized_and_special_sidecars_are_refused_and_the_export_goes_on() {
    let dir = TempDir::new().expect("tempdir");
    let d = dir.path();
    let images: Vec<PathBuf> = [
        "big.jpg",
        "device.jpg",
        "fifo.jpg",
        "linked_fifo.jpg",
        "fine.jpg",
    ]
    .iter()
    .map(|n| image(d, n))
    .collect();
    // A sparse file one byte over the limit: huge to read, nothing on disk.
    let big = d.join("big.xmp");
    fs::File::create(&big)
        .and_then(|f| f.set_len(MAX_SIDECAR_BYTES + 1))
        .expect("sparse file");
    std::os::unix::fs::symlink("/dev/null", d.join("device.xmp")).expect("symlink");
    mkfifo(&d.join("fifo.xmp"));
    mkfifo(&d.join("elsewhere.fifo"));
    std::os::unix::fs::symlink("elsewhere.fifo", d.join("linked_fifo.xmp")).expect("symlink");

    let (report, _) = write_within(plan(&images, 4), PATIENCE);

    let done: Vec<&Path> = report.done.iter().map(|e| e.dest.as_path()).collect();
    assert_eq!(done, [d.join("fine.xmp")], "the good sidecar is written");
    assert_eq!(
        read_sidecar(&d.join("fine.xmp")).expect("read back").rating,
        Some(4),
        "with its rating"
    );
    let cases = [
        ("big.jpg", "big.xmp", "allowed"),
        ("device.jpg", "device.xmp", "a device"),
        ("fifo.jpg", "fifo.xmp", "a FIFO"),
        ("linked_fifo.jpg", "linked_fifo.xmp", "a FIFO"),
    ];
    assert_eq!(report.failed.len(), cases.len(), "{:?}", report.failed);
    for (failure, (image, sidecar, reason)) in report.failed.iter().zip(cases) {
        let message = failure.error.to_string();
        assert_eq!(failure.source, d.join(image), "case {image}: source");
        assert!(
            message.contains(&d.join(sidecar).display().to_string()) && message.contains(reason),
            "case {image}: the error names the sidecar and says {reason:?}: {message}"
        );
    }
    assert_eq!(
        fs::metadata(&big).expect("meta").len(),
        MAX_SIDECAR_BYTES + 1,
        "the oversized sidecar is left as it was"
    );
    assert!(is_fifo(&d.join("fifo.xmp")), "the FIFO is left as it was");
    assert!(
        fs::symlink_metadata(d.join("device.xmp")).is_ok_and(|m| m.file_type().is_symlink()),
        "the link to the device is left as it was"
    );

    // Reading our values back refuses them the same way, without blocking.
    let (tx, rx) = mpsc::channel();
    let paths: Vec<PathBuf> = cases.iter().map(|(_, s, _)| d.join(s)).collect();
    std::thread::spawn(move || {
        let results: Vec<String> = paths
            .iter()
            .map(|p| match read_sidecar(p) {
                Ok(v) => format!("read {v:?}"),
                Err(e) => e.to_string(),
            })
            .collect();
        let _ = tx.send(results);
    });
    let results = rx
        .recv_timeout(PATIENCE)
        .expect("read_sidecar blocked on a special file");
    for (message, (_, sidecar, reason)) in results.iter().zip(cases) {
        assert!(
            message.contains(reason),
            "case read_sidecar {sidecar}: says {reason:?}: {message}"
        );
    }
}

#[test]
fn a_sidecar_at_the_size_limit_is_still_read() {
    let dir = TempDir::new().expect("tempdir");
    let img = image(dir.path(), "IMG_1.JPG");
    let sidecar = dir.path().join("IMG_1.xmp");
    let head = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF \
                xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
                <rdf:Description rdf:about=\"\"/></rdf:RDF></x:xmpmeta>";
    // Padding in a comment up to exactly the limit.
    let pad = usize::try_from(MAX_SIDECAR_BYTES).expect("fits") - head.len() - "<!---->".len();
    let text = format!("{head}<!--{}-->", " ".repeat(pad));
    assert_eq!(text.len() as u64, MAX_SIDECAR_BYTES, "exactly at the limit");
    fs::write(&sidecar, &text).expect("write");
    let (report, _) = write_within(plan(&[img], 2), PATIENCE);
    assert!(report.is_complete(), "{:?}", report.failed);
    let merged = fs::read_to_string(&sidecar).expect("read");
    assert!(merged.contains("xmp:Rating=\"2\""), "merged");
}

/// A sidecar written on one line (some tools do) with `elements` child properties.
fn one_line_sidecar(elements: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
         <rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">",
    );
    for i in 0..elements {
        s.push_str(&format!("<dc:p{}>v</dc:p{}>", i % 10, i % 10));
    }
    s.push_str("</rdf:Description></rdf:RDF></x:xmpmeta>");
    s
}

#[test]
fn a_one_line_sidecar_of_megabytes_merges_in_linear_time() {
    let dir = TempDir::new().expect("tempdir");
    let img = image(dir.path(), "IMG_1.JPG");
    let sidecar = dir.path().join("IMG_1.xmp");
    let elements = 200_000;
    let text = one_line_sidecar(elements);
    assert!(
        text.len() > 3_000_000 && !text.contains('\n'),
        "{} bytes, one line",
        text.len()
    );
    fs::write(&sidecar, &text).expect("write");

    // Linear work takes well under a second even unoptimized; the quadratic scan took minutes.
    let (report, took) = write_within(plan(&[img], 5), Duration::from_secs(30));
    eprintln!(
        "one-line sidecar of {} bytes merged in {took:?}",
        text.len()
    );
    assert!(report.is_complete(), "{:?}", report.failed);
    let merged = fs::read_to_string(&sidecar).expect("read");
    assert_eq!(
        merged.matches(">v</dc:p").count(),
        elements,
        "every foreign property kept"
    );
    assert_eq!(
        read_sidecar(&sidecar).expect("read").rating,
        Some(5),
        "rating set"
    );
}

#[test]
fn a_symlinked_sidecar_is_written_through() {
    let dir = TempDir::new().expect("tempdir");
    let shoot = dir.path().join("shoot");
    let meta = dir.path().join("meta");
    fs::create_dir_all(&shoot).expect("mkdir");
    fs::create_dir_all(&meta).expect("mkdir");
    let one = image(&shoot, "IMG_1.JPG");
    let two = image(&shoot, "IMG_2.JPG");
    let existing = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n <rdf:RDF \
                    xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  \
                    <rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
                    dc:format=\"image/jpeg\"/>\n </rdf:RDF>\n</x:xmpmeta>\n";
    fs::write(meta.join("IMG_1.xmp"), existing).expect("write");
    // A relative link, and a chain of two links ending at a file that does not exist yet.
    std::os::unix::fs::symlink("../meta/IMG_1.xmp", shoot.join("IMG_1.xmp")).expect("link");
    std::os::unix::fs::symlink("hop.xmp", shoot.join("IMG_2.xmp")).expect("link");
    std::os::unix::fs::symlink(meta.join("IMG_2.xmp"), shoot.join("hop.xmp")).expect("link");

    let (report, _) = write_within(plan(&[one, two], 3), PATIENCE);
    assert!(report.is_complete(), "{:?}", report.failed);

    let cases = [
        ("IMG_1.xmp", PathBuf::from("../meta/IMG_1.xmp")),
        ("IMG_2.xmp", PathBuf::from("hop.xmp")),
        ("hop.xmp", meta.join("IMG_2.xmp")),
    ];
    for (link, target) in cases {
        let path = shoot.join(link);
        assert!(
            fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()),
            "case {link}: still a link"
        );
        assert_eq!(
            fs::read_link(&path).expect("readlink"),
            target,
            "case {link}: same target"
        );
    }
    for name in ["IMG_1.xmp", "IMG_2.xmp"] {
        let target = meta.join(name);
        assert!(
            fs::symlink_metadata(&target).is_ok_and(|m| m.is_file()),
            "case {name}: the target is a file"
        );
        assert_eq!(
            read_sidecar(&target).expect("read").rating,
            Some(3),
            "case {name}: rating"
        );
    }
    assert!(
        fs::read_to_string(meta.join("IMG_1.xmp"))
            .expect("read")
            .contains("dc:format=\"image/jpeg\""),
        "the target's own properties are kept"
    );
    assert!(
        temp_files(&shoot).is_empty() && temp_files(&meta).is_empty(),
        "no temp files"
    );
}

#[test]
fn a_sidecar_linked_to_anything_but_an_xmp_file_is_not_written_through() {
    let dir = TempDir::new().expect("tempdir");
    let d = dir.path();
    // The link points at the image itself, which (hostile or not) is even valid XMP text.
    let packet = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF \
                  xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/></x:xmpmeta>";
    let img = d.join("IMG_5.TIF");
    fs::write(&img, packet).expect("write");
    std::os::unix::fs::symlink("IMG_5.TIF", d.join("IMG_5.xmp")).expect("link");
    let other = image(d, "IMG_6.JPG");
    fs::write(d.join("notes.txt"), packet).expect("write");
    std::os::unix::fs::symlink("notes.txt", d.join("IMG_6.xmp")).expect("link");

    let (report, _) = write_within(plan(&[img.clone(), other], 2), PATIENCE);
    assert!(report.done.is_empty(), "nothing written: {:?}", report.done);
    for (failure, link) in report.failed.iter().zip(["IMG_5.xmp", "IMG_6.xmp"]) {
        let message = failure.error.to_string();
        assert!(
            message.contains(&d.join(link).display().to_string())
                && message.contains("not an .xmp file"),
            "case {link}: {message}"
        );
    }
    assert_eq!(
        fs::read_to_string(&img).expect("read"),
        packet,
        "the image is untouched"
    );
    assert_eq!(
        fs::read_to_string(d.join("notes.txt")).expect("read"),
        packet,
        "untouched"
    );
}

#[test]
fn temp_files_left_by_a_crash_are_removed_and_live_ones_kept() {
    let dir = TempDir::new().expect("tempdir");
    let d = dir.path();
    let img = image(d, "IMG_1.JPG");
    let stale = [
        ".IMG_1.xmp.bestpick-tmp-4194305-0",
        ".other.xmp.bestpick-tmp-77-12",
    ];
    for name in stale {
        fs::write(d.join(name), "<x:xmpmeta half written").expect("write");
    }
    // Another bestpick process is writing this one right now: it holds the lock.
    let live = d.join(".IMG_9.xmp.bestpick-tmp-1-3");
    let live_file = fs::File::create(&live).expect("create");
    live_file.lock().expect("lock");
    // Not ours by name, or not a regular file: never touched.
    let foreign = [
        "notes.bestpick-tmp-1-2",
        ".IMG_1.xmp.bestpick-tmp-x",
        ".IMG_1.xmp.bak",
    ];
    for name in foreign {
        fs::write(d.join(name), "keep me").expect("write");
    }
    fs::create_dir(d.join(".dir.xmp.bestpick-tmp-5-5")).expect("mkdir");

    let (report, _) = write_within(plan(&[img], 1), PATIENCE);
    assert!(report.is_complete(), "{:?}", report.failed);
    for name in stale {
        assert!(!d.join(name).exists(), "case {name}: stale temp removed");
    }
    assert!(live.exists(), "a temp file in use is kept");
    for name in foreign {
        assert!(d.join(name).exists(), "case {name}: kept");
    }
    assert!(
        d.join(".dir.xmp.bestpick-tmp-5-5").is_dir(),
        "a directory is kept"
    );
    drop(live_file);
}

#[test]
fn a_sidecar_with_thousands_of_descriptions_is_refused() {
    // Each top-level description keeps the namespaces in scope: 100 declarations times
    // thousands of descriptions is a small file and a large amount of memory and work.
    let dir = TempDir::new().expect("tempdir");
    let mut cases = Vec::new();
    for (descriptions, ok) in [(1024, true), (1025, false), (20_000, false)] {
        let mut text = String::from(
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF \
             xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"",
        );
        for i in 0..100 {
            text.push_str(&format!(" xmlns:n{i}=\"urn:example:{i}\""));
        }
        text.push('>');
        for _ in 0..descriptions {
            text.push_str("<rdf:Description rdf:about=\"\"/>");
        }
        text.push_str("</rdf:RDF></x:xmpmeta>");
        let img = image(dir.path(), &format!("IMG_{descriptions}.JPG"));
        fs::write(dir.path().join(format!("IMG_{descriptions}.xmp")), text).expect("write");
        cases.push((img, descriptions, ok));
    }
    let images: Vec<PathBuf> = cases.iter().map(|(i, _, _)| i.clone()).collect();
    let (report, _) = write_within(plan(&images, 1), PATIENCE);
    for (img, descriptions, ok) in cases {
        let failure = report.failed.iter().find(|f| f.source == img);
        if ok {
            assert!(
                failure.is_none(),
                "case {descriptions}: merged: {failure:?}"
            );
        } else {
            let message = failure
                .unwrap_or_else(|| panic!("case {descriptions}: must be refused"))
                .error
                .to_string();
            assert!(
                message.contains("rdf:Description"),
                "case {descriptions}: says why: {message}"
            );
        }
    }
}
