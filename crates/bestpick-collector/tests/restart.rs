//! What `serve` makes of a data directory an unclean stop left behind: an upload that never
//! committed (an orphan `.partial`) is removed, a committed bundle whose rename was lost is
//! completed, and a second server on the same directory is refused.

#![expect(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

mod common;

use common::Collector;
use common::raw::{post_bundle, sealed_bundle};

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn serve_cleans_up_after_an_unclean_stop() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let bundles = data.join("bundles");

    let first = Collector::start(&data, &[]);
    let secret = bestpick_collector::keys::load_or_create(&common::key_file(&data))
        .unwrap()
        .0;
    let body = sealed_bundle(&secret.public_key(), 3, 2, 4096);
    let answer = post_bundle(first.addr(), &body, "restart-test-upload-1").unwrap();
    assert_eq!(answer.status, 201, "{answer:?}");
    let id = answer.json()["bundle_id"].as_str().unwrap().to_owned();
    first.stop(); // SIGKILL

    // As a crash would leave them: the committed bundle still under its partial name, and
    // the body of an upload that never committed.
    std::fs::rename(
        bundles.join(format!("{id}.sealed")),
        bundles.join(format!("{id}.partial")),
    )
    .unwrap();
    let orphan = format!("{}.partial", "0".repeat(32));
    std::fs::write(bundles.join(&orphan), b"half a body").unwrap();

    let second = Collector::start(&data, &[]);
    assert_eq!(
        names(&bundles),
        vec![format!("{id}.sealed")],
        "orphan removed, committed bundle completed"
    );
    assert!(
        std::fs::read(bundles.join(format!("{id}.sealed"))).unwrap() == body,
        "completed bundle intact"
    );

    // Only one server per data directory.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bestpick-collector"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .arg("--key-file")
        .arg(common::key_file(&data))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "second server refused: {stderr}");
    assert!(
        stderr.contains("another collector already serves"),
        "says why: {stderr}"
    );
    second.stop();
}
