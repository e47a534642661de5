//! Tests of the contribution flow (consent rules, staging expiry, hostile ids, special
//! files, names never in the manifest).

use super::preview::check_no_names;
use super::*;
use crate::ledger::MemoryLedger;
use crate::vault::MemoryKeyStore;
use bestpick_bundle::AgeDecade;

fn request(age: Age, decade: Option<u8>) -> ConsentRequest {
    ConsentRequest {
        terms_version: terms::CURRENT_VERSION,
        age,
        buckets: Buckets {
            age_decade: decade.and_then(AgeDecade::new),
            ..Buckets::default()
        },
    }
}

#[test]
fn consent_rules() {
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::default();
    let mut ledger = MemoryLedger::default();
    let mut c = Contributor::new(Vault::open(dir.path(), &keys).unwrap(), &mut ledger).unwrap();
    assert!(
        matches!(c.require_consent(), Err(Error::NoConsent)),
        "off by default"
    );
    let cases = [
        ("adult", request(Age::Adult, Some(30)), true),
        ("adult, blank buckets", request(Age::Adult, None), true),
        (
            "teen with permission",
            request(
                Age::Teen {
                    parent_permission: true,
                },
                Some(10),
            ),
            true,
        ),
        (
            "teen without permission",
            request(
                Age::Teen {
                    parent_permission: false,
                },
                None,
            ),
            false,
        ),
        (
            "teen claiming 30-39",
            request(
                Age::Teen {
                    parent_permission: true,
                },
                Some(30),
            ),
            false,
        ),
        ("under 13", request(Age::Under13, None), false),
        (
            "old terms",
            ConsentRequest {
                terms_version: 0,
                ..request(Age::Adult, None)
            },
            false,
        ),
    ];
    for (case, req, ok) in cases {
        assert_eq!(c.give_consent(&req).is_ok(), ok, "case {case}");
    }
    assert!(c.require_consent().is_ok(), "consent in force");
    c.withdraw(None).unwrap();
    assert!(
        matches!(c.require_consent(), Err(Error::NoConsent)),
        "withdrawn"
    );
}

#[test]
fn consent_is_kept_in_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::default();
    let path = dir.path().join("catalog.sqlite");
    {
        let mut catalog = bestpick_catalog::Catalog::open(&path).unwrap();
        let mut c = Contributor::new(
            Vault::open(&dir.path().join("v"), &keys).unwrap(),
            &mut catalog,
        )
        .unwrap();
        c.give_consent(&request(Age::Adult, Some(30))).unwrap();
    }
    let mut catalog = bestpick_catalog::Catalog::open(&path).unwrap();
    assert_eq!(
        catalog.current_consent().unwrap().map(|c| c.terms_version),
        Some(terms::CURRENT_VERSION),
        "the catalog holds the consent"
    );
    let mut c = Contributor::new(
        Vault::open(&dir.path().join("v"), &keys).unwrap(),
        &mut catalog,
    )
    .unwrap();
    let consent = c.require_consent().unwrap();
    assert_eq!(
        ledger::buckets(&consent)
            .unwrap()
            .age_decade
            .map(AgeDecade::start),
        Some(30),
        "buckets kept"
    );
    c.withdraw(None).unwrap();
    assert!(
        matches!(c.require_consent(), Err(Error::NoConsent)),
        "withdrawn"
    );
    drop(c);
    assert!(
        catalog.consents().unwrap()[0].withdrawn_at_ms.is_some(),
        "withdrawal recorded in the catalog"
    );
}

fn old_clock() -> i64 {
    1_000_000
}

fn later_clock() -> i64 {
    1_000_000 + STAGING_MAX_AGE_SECS + 1
}

#[test]
fn staged_bundles_expire_after_30_days() {
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::default();
    let mut ledger = MemoryLedger::default();
    let anon = "a".repeat(32);
    {
        let vault = Vault::open(dir.path(), &keys).unwrap();
        let header = StagedHeader {
            anonymous_id: anon.clone(),
            collector: "http://127.0.0.1:9".into(),
            key_fingerprint: "f".into(),
            created_at: old_clock(),
            image_count: 1,
            idempotency_key: "k".repeat(48),
            receipt_token: "t".repeat(64),
            archive_len: None,
        };
        vault
            .put(
                &format!("{STAGED_PREFIX}{anon}"),
                &encode_staged(&header, b"x", None).unwrap(),
            )
            .unwrap();
        ledger
            .upsert_contribution(&Contribution {
                anonymous_id: anon.clone(),
                collector: header.collector.clone(),
                bundle_id: None,
                image_count: 1,
                created_at_ms: old_clock() * 1000,
                sent_at_ms: None,
                state: ContributionState::Staged,
                datasets: vec![],
                last_error: None,
            })
            .unwrap();
    }
    {
        let vault = Vault::open(dir.path(), &keys).unwrap();
        let c = Contributor::with_clock(vault, &mut ledger, old_clock).unwrap();
        assert_eq!(c.vault.list(STAGED_PREFIX).unwrap().len(), 1, "fresh: kept");
    }
    let vault = Vault::open(dir.path(), &keys).unwrap();
    let c = Contributor::with_clock(vault, &mut ledger, later_clock).unwrap();
    assert!(
        c.vault.list(STAGED_PREFIX).unwrap().is_empty(),
        "30 days: deleted"
    );
    let record = c.find(&anon[..8]).unwrap();
    assert_eq!(
        record.state,
        ContributionState::Discarded,
        "ledger says discarded"
    );
    assert!(record.last_error.unwrap().contains("30 days"), "and why");
}

/// Ids a hostile or broken collector might answer with; none is one of its ids.
pub(crate) fn hostile_ids() -> Vec<String> {
    let good = "0123456789abcdef0123456789abcdef";
    vec![
        "../../x".into(),
        "a/b".into(),
        "%2e%2e".into(),
        "..".into(),
        String::new(),
        "a".repeat(10_000),
        format!("{good}?x=1"),
        format!("{good}#frag"),
        format!("{}?", &good[..31]),
        format!("{}/", &good[..31]),
        good.to_ascii_uppercase(),
        good[..31].to_owned(),
        format!("{good}0"),
        format!("{}\u{e9}", &good[..31]),
        format!("{} ", &good[..31]),
        format!("{}\n", &good[..31]),
    ]
}

/// Only after consent does the contribution client connect; every request it then makes is in
/// the network log, the failed ones too.
#[test]
fn nothing_is_requested_before_consent_and_everything_after_is_logged() {
    let fake = crate::fake_collector::FakeCollector::start();
    let retry = crate::upload::RetryPolicy {
        attempts: 1,
        base_delay: std::time::Duration::from_millis(1),
        max_delay: std::time::Duration::from_millis(1),
        timeout: std::time::Duration::from_secs(30),
    };
    let client = CollectorClient::new(&fake.url, retry).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::default();
    let mut ledger = MemoryLedger::default();
    let vault = Vault::open(&dir.path().join("v"), &keys).unwrap();
    let mut c = Contributor::new(vault, &mut ledger).unwrap();
    let out = dir.path().join("preview");
    let scores = &mut |_: &Path| Ok(serde_json::json!({ "sharpness": 0.5 }));
    assert!(
        matches!(c.preview(&client, scores, &out), Err(Error::NoConsent)),
        "preview"
    );
    assert!(
        matches!(c.send(&client, &mut |_, _| {}), Err(Error::NoConsent)),
        "send"
    );
    c.status(Some(&client)).unwrap();
    assert!(
        fake.state().requests.is_empty(),
        "no request before consent"
    );
    assert!(c.network_log().unwrap().is_empty(), "and nothing logged");

    c.give_consent(&request(Age::Adult, None)).unwrap();
    let photo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/piexif_r_canon.jpg");
    c.add(&[photo]).unwrap();
    let preview = c.preview(&client, scores, &out).unwrap();
    fake.state().answer_id = Some("not-an-id".into());
    let failed = c.send(&client, &mut |_, _| {}).unwrap();
    assert_eq!(failed.failed.len(), 1, "a hostile answer is a failure");
    let purposes: Vec<(String, Option<u16>)> = c
        .network_log()
        .unwrap()
        .into_iter()
        .map(|r| (r.purpose, r.outcome.and_then(|o| o.status)))
        .collect();
    let upload = format!("upload bundle {}", preview.anonymous_id);
    assert_eq!(
        purposes,
        vec![
            ("fetch the collector key".to_owned(), Some(200)),
            ("fetch the collector key".to_owned(), Some(200)),
            (upload, Some(201)),
        ],
        "each request, as the collector saw it: {:?}",
        fake.state().requests
    );
    assert_eq!(fake.state().requests.len(), 3, "no request left unlogged");
}

#[test]
fn a_hostile_bundle_id_is_refused_and_the_bundle_stays_staged() {
    let fake = crate::fake_collector::FakeCollector::start();
    let retry = crate::upload::RetryPolicy {
        attempts: 1,
        base_delay: std::time::Duration::from_millis(1),
        max_delay: std::time::Duration::from_millis(1),
        timeout: std::time::Duration::from_secs(30),
    };
    let client = CollectorClient::new(&fake.url, retry).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::default();
    let mut ledger = MemoryLedger::default();
    let vault = Vault::open(&dir.path().join("v"), &keys).unwrap();
    let mut c = Contributor::new(vault, &mut ledger).unwrap();
    c.give_consent(&request(Age::Adult, None)).unwrap();
    let photo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/piexif_r_canon.jpg");
    c.add(&[photo]).unwrap();
    let preview = c
        .preview(
            &client,
            &mut |_| Ok(serde_json::json!({ "sharpness": 0.5 })),
            &dir.path().join("preview"),
        )
        .unwrap();
    let anon = preview.anonymous_id;

    for id in hostile_ids() {
        let case: String = id.chars().take(40).collect();
        fake.state().answer_id = Some(id.clone());
        let report = c.send(&client, &mut |_, _| {}).unwrap();
        assert!(report.sent.is_empty(), "case {case:?}: not sent");
        let [(failed, reason)] = &report.failed[..] else {
            panic!("case {case:?}: one failure: {:?}", report.failed);
        };
        assert_eq!(*failed, anon, "case {case:?}: the bundle");
        assert!(
            reason.contains("invalid bundle id") && reason.contains("stays staged"),
            "case {case:?}: clear reason: {reason}"
        );
        assert!(
            reason.len() < 300,
            "case {case:?}: the id is shortened: {reason}"
        );
        assert_eq!(
            c.vault.list(STAGED_PREFIX).unwrap(),
            [format!("{STAGED_PREFIX}{anon}")],
            "case {case:?}: still staged"
        );
        assert!(
            c.vault.list(RECEIPT_PREFIX).unwrap().is_empty(),
            "case {case:?}: no receipt stored"
        );
        let record = c.find(&anon).unwrap();
        assert_eq!(
            (record.state, record.bundle_id),
            (ContributionState::Staged, None),
            "case {case:?}: the ledger still says staged"
        );
    }
    let requests = fake.state().requests.clone();
    assert!(
        requests
            .iter()
            .all(|(m, p)| (m == "GET" && p == "/v1/key") || (m == "POST" && p == "/v1/bundles")),
        "no id was ever put in a URL: {requests:?}"
    );

    // The same bundle goes once the collector answers with one of its ids.
    fake.state().answer_id = None;
    let report = c.send(&client, &mut |_, _| {}).unwrap();
    assert_eq!(report.sent.len(), 1, "sent: {:?}", report.failed);
    assert!(
        c.vault.list(STAGED_PREFIX).unwrap().is_empty(),
        "no longer staged"
    );
    let status = c.status(Some(&client)).unwrap();
    assert!(status.problems.is_empty(), "{:?}", status.problems);
}

#[cfg(unix)]
#[test]
fn special_files_are_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("photo.jpg");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let photo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/piexif_r_canon.jpg");
    let vault_dir = dir.path().join("v");
    let (tx, rx) = std::sync::mpsc::channel();
    std::fs::write(dir.path().join("photo.xmp"), "<x:xmpmeta/>").unwrap();
    let paths = vec![fifo.clone(), photo, dir.path().to_path_buf()];
    std::thread::spawn(move || {
        let keys = MemoryKeyStore::default();
        let mut ledger = MemoryLedger::default();
        let mut c = Contributor::new(Vault::open(&vault_dir, &keys).unwrap(), &mut ledger).unwrap();
        c.give_consent(&request(Age::Adult, None)).unwrap();
        let added = c.add(&paths).unwrap();
        let anonymized = anonymize::anonymize_file(&paths[0], &Limits::default());
        let _ = tx.send((added, anonymized.map(|_| ()).map_err(|e| e.to_string())));
    });
    let (added, anonymized) = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("a FIFO blocked the contribution");
    assert_eq!(added.added.len(), 1, "the photo is added");
    let reasons: Vec<&str> = added.refused.iter().map(|(_, r)| r.as_str()).collect();
    assert!(
        reasons.len() == 1 && reasons[0].contains("FIFO"),
        "the FIFO refused with its reason, once (given alone and found in its folder): \
         {reasons:?}"
    );
    assert!(
        matches!(&added.skipped[..], [(folder, 1)] if folder == dir.path()),
        "the folder's sidecar is skipped: {:?}",
        added.skipped
    );
    assert!(
        anonymized.as_ref().is_err_and(|e| e.contains("FIFO")),
        "anonymize refuses it too: {anonymized:?}"
    );
}

#[test]
fn manifest_never_names_sources() {
    let sources = [PathBuf::from("/home/ann/IMG_0001.JPG")];
    assert!(
        check_no_names("{\"x\": \"img_0001\"}", &sources).is_err(),
        "stem found"
    );
    assert!(
        check_no_names("{\"x\": 1}", &sources).is_ok(),
        "clean manifest"
    );
}
