//! Writing sidecars next to files we do not control: one-line packets merge in linear time and
//! packets built to cost far more than their size are refused.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bestpick_catalog::xmp::{PlannedSidecar, SidecarNaming, plan_xmp, read_sidecar, write_xmp};
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
