//! Staging and sending cut short at every crash point: no receipt is ever lost.
//!
//! The child process (this test binary re-run with `--ignored --exact
//! flow::crash_tests::child`) stages the selection and sends it to a fake collector run by the
//! parent, and aborts at its N-th crash point ([`crate::fsutil::crash_point`]) as a `kill -9`
//! there would. The parent reopens the vault and the catalog that keeps the ledger, checks that
//! the bundle is still staged or its receipt kept, finishes the job as a user would (preview
//! again only if nothing was staged, then send) and checks the end state: one bundle at the
//! collector, its receipt in the vault, the ledger saying "received", no staged copy, no temp
//! files. N goes up until the child runs through, so every crash point is visited.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use bestpick_catalog::Catalog;
use serde_json::json;

use super::*;
use crate::fake_collector::FakeCollector;
use crate::upload::RetryPolicy;
use crate::vault::KeyStore;

const DIR_ENV: &str = "BESTPICK_TEST_CRASH_DIR";
const URL_ENV: &str = "BESTPICK_TEST_CRASH_COLLECTOR";
const AT_ENV: &str = "BESTPICK_TEST_CRASH_AT";

/// The same key in the parent and the child (the OS keyring is not needed for this).
struct FixedKey;

impl KeyStore for FixedKey {
    fn staging_key(&self) -> Result<[u8; 32]> {
        Ok([0x5a; 32])
    }
}

fn photo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/piexif_r_canon.jpg")
}

fn client(url: &str) -> CollectorClient {
    let retry = RetryPolicy {
        attempts: 2,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(10),
        timeout: Duration::from_secs(30),
    };
    CollectorClient::new(url, retry).expect("client")
}

fn scores(_: &Path) -> std::result::Result<serde_json::Value, String> {
    Ok(json!({ "sharpness": 0.5 }))
}

/// The vault, the catalog (ledger) and the preview folder of one run.
struct Paths {
    vault: PathBuf,
    catalog: PathBuf,
    preview: PathBuf,
}

impl Paths {
    fn new(root: &Path) -> Paths {
        Paths {
            vault: root.join("vault"),
            catalog: root.join("catalog.sqlite"),
            preview: root.join("preview"),
        }
    }
}

/// Stage the selection and send it: what the child does, and what a user runs again.
fn stage_and_send(paths: &Paths, url: &str) {
    let mut catalog = Catalog::open(&paths.catalog).expect("catalog");
    let vault = Vault::open(&paths.vault, &FixedKey).expect("vault");
    let mut c = Contributor::new(vault, &mut catalog).expect("contributor");
    let client = client(url);
    if c.ledger.contributions().expect("ledger").is_empty() {
        c.preview(&client, &mut scores, &paths.preview)
            .expect("preview");
    }
    let report = c.send(&client, &mut |_, _| {}).expect("send");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
}

#[test]
#[ignore = "child process of the staging/sending crash test"]
fn child() {
    let (Some(root), Ok(url)) = (std::env::var_os(DIR_ENV), std::env::var(URL_ENV)) else {
        return;
    };
    stage_and_send(&Paths::new(Path::new(&root)), &url);
}

/// What a crash may leave: the bundle staged or its receipt kept, never neither once the
/// collector has it.
fn check_crashed(paths: &Paths, fake: &FakeCollector, at: usize) {
    let mut catalog = Catalog::open(&paths.catalog).expect("catalog");
    let vault = Vault::open(&paths.vault, &FixedKey).expect("vault");
    let c = Contributor::new(vault, &mut catalog).expect("contributor (recovers)");
    let staged = c.vault.list(STAGED_PREFIX).expect("list");
    let receipts = c.vault.list(RECEIPT_PREFIX).expect("list");
    let at_collector = fake.state().bundles.len();
    assert!(at_collector <= 1, "crash {at}: one bundle at most");
    if at_collector == 1 {
        assert!(
            staged.len() + receipts.len() >= 1,
            "crash {at}: the collector has the bundle, so it is still staged (to send again) \
             or its receipt is kept"
        );
    }
    if staged.is_empty() && receipts.is_empty() {
        assert!(
            !c.selection().expect("selection").is_empty(),
            "crash {at}: nothing staged, so the selection is still there"
        );
    }
}

fn check_finished(paths: &Paths, fake: &FakeCollector, at: usize) {
    let mut catalog = Catalog::open(&paths.catalog).expect("catalog");
    let vault = Vault::open(&paths.vault, &FixedKey).expect("vault");
    let c = Contributor::new(vault, &mut catalog).expect("contributor");
    let (bundle_id, receipt_hash) = {
        let state = fake.state();
        assert_eq!(
            state.bundles.len(),
            1,
            "crash {at}: exactly one bundle sent"
        );
        let id = state.bundles.values().next().expect("one").clone();
        let hash = state.receipt_hashes[&id].clone();
        (id, hash)
    };
    let contributions = c.ledger.contributions().expect("ledger");
    assert_eq!(contributions.len(), 1, "crash {at}: one contribution");
    let record = &contributions[0];
    assert_eq!(
        record.state,
        ContributionState::Received,
        "crash {at}: received"
    );
    assert_eq!(
        record.bundle_id.as_deref(),
        Some(bundle_id.as_str()),
        "crash {at}: the collector's id"
    );
    let receipt = c
        .receipt(&record.anonymous_id)
        .expect("receipt readable")
        .unwrap_or_else(|| panic!("crash {at}: receipt kept"));
    assert_eq!(receipt.bundle_id, bundle_id, "crash {at}: receipt id");
    assert_eq!(
        sha256_hex(receipt.receipt_token.as_bytes()),
        receipt_hash,
        "crash {at}: the receipt token is the one the collector knows"
    );
    assert!(
        c.vault.list(STAGED_PREFIX).expect("list").is_empty(),
        "crash {at}: no staged copy left"
    );
    assert!(
        c.selection().expect("selection").is_empty(),
        "crash {at}: selection cleared"
    );
    let temps: Vec<String> = std::fs::read_dir(&paths.vault)
        .expect("list")
        .filter_map(std::result::Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "crash {at}: temp files left: {temps:?}");
}

#[test]
fn staging_and_sending_lose_no_receipt_whenever_they_crash() {
    let exe = std::env::current_exe().expect("test binary");
    for at in 1..=100 {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(dir.path());
        let fake = FakeCollector::start();
        {
            let mut catalog = Catalog::open(&paths.catalog).expect("catalog");
            let vault = Vault::open(&paths.vault, &FixedKey).expect("vault");
            let mut c = Contributor::new(vault, &mut catalog).expect("contributor");
            c.give_consent(&ConsentRequest {
                terms_version: terms::CURRENT_VERSION,
                age: Age::Adult,
                buckets: Buckets::default(),
            })
            .expect("consent");
            let added = c.add(&[photo()]).expect("add");
            assert_eq!(added.added.len(), 1, "{:?}", added.refused);
        }
        let child = Command::new(&exe)
            .args([
                "flow::crash_tests::child",
                "--exact",
                "--ignored",
                "--test-threads=1",
            ])
            .env(DIR_ENV, dir.path())
            .env(URL_ENV, &fake.url)
            .env(AT_ENV, at.to_string())
            .output()
            .expect("run child");
        if child.status.success() {
            assert!(at > 1, "no crash point was reached");
            eprintln!("survived a crash at each of {} crash points", at - 1);
            check_finished(&paths, &fake, at);
            return;
        }
        assert_eq!(
            child.status.signal(),
            Some(6),
            "crash {at}: the child died at its crash point (SIGABRT), not otherwise: {}",
            String::from_utf8_lossy(&child.stderr)
        );
        check_crashed(&paths, &fake, at);
        stage_and_send(&paths, &fake.url);
        check_finished(&paths, &fake, at);
    }
    panic!("more than 100 crash points?");
}
