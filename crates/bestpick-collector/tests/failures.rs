//! Failure paths, client and collector together: collector down, 500s (with a lost answer
//! that the idempotency key makes harmless), oversized bundle, wrong collector key, tampered
//! bundle in transit and in the local vault. A failed upload always leaves the bundle staged
//! and says so.

#![expect(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bestpick_collector::{AppState, Config, DirStore, Store, app, keys};
use bestpick_share::flow::{Age, ConsentRequest};
use bestpick_share::ledger::{ContributionState, Ledger, MemoryLedger};
use bestpick_share::upload::{CollectorClient, UploadEvent};
use bestpick_share::vault::{MemoryKeyStore, Vault};
use bestpick_share::{Contributor, Error, terms};
use common::{Collector, fixtures, quick_retry};

fn scores(_: &Path) -> Result<serde_json::Value, String> {
    Ok(serde_json::json!({ "sharpness": 0.5 }))
}

struct Client {
    _tmp: tempfile::TempDir,
    vault_dir: PathBuf,
    keys: MemoryKeyStore,
    ledger: MemoryLedger,
    photo: PathBuf,
}

impl Client {
    fn new() -> Client {
        let tmp = tempfile::tempdir().unwrap();
        let photo = tmp.path().join("IMG_0001.JPG");
        std::fs::copy(fixtures().join("exiftool_GPS.jpg"), &photo).unwrap();
        Client {
            vault_dir: tmp.path().join("vault"),
            keys: MemoryKeyStore::default(),
            ledger: MemoryLedger::default(),
            photo,
            _tmp: tmp,
        }
    }

    fn contributor(&mut self) -> Contributor<'_> {
        let vault = Vault::open(&self.vault_dir, &self.keys).unwrap();
        Contributor::new(vault, &mut self.ledger).unwrap()
    }

    /// Consents, adds the photo and stages a bundle sealed for `collector`.
    fn stage(&mut self, collector: &CollectorClient) {
        let photo = self.photo.clone();
        let preview_dir = self.vault_dir.with_file_name("preview");
        let mut c = self.contributor();
        if c.consent().unwrap().is_none() {
            c.give_consent(&ConsentRequest {
                terms_version: terms::CURRENT_VERSION,
                age: Age::Adult,
                buckets: Default::default(),
            })
            .unwrap();
        }
        c.add(&[photo]).unwrap();
        c.preview(collector, &mut scores, &preview_dir).unwrap();
    }

    fn staged_files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.vault_dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("staged-"))
            .collect();
        v.sort();
        v
    }
}

fn free_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[test]
fn collector_down_leaves_the_bundle_staged() {
    let tmp = tempfile::tempdir().unwrap();
    let mut client = Client::new();

    // Down from the start: preview cannot fetch the key, nothing is staged.
    let down = CollectorClient::new(&free_port_url(), quick_retry(2)).unwrap();
    {
        let photo = client.photo.clone();
        let mut c = client.contributor();
        c.give_consent(&ConsentRequest {
            terms_version: terms::CURRENT_VERSION,
            age: Age::Adult,
            buckets: Default::default(),
        })
        .unwrap();
        c.add(&[photo]).unwrap();
        let err = c.preview(&down, &mut scores, tmp.path()).unwrap_err();
        assert!(
            matches!(err, Error::Unreachable { attempts: 2, .. }),
            "preview: {err}"
        );
    }
    assert!(
        client.staged_files().is_empty(),
        "nothing staged without the key"
    );

    // Staged while up, collector stops, send fails and keeps it; restarted, send works.
    let data = tmp.path().join("data");
    let up = Collector::start(&data, &[]);
    let first = CollectorClient::new(&up.url, quick_retry(2)).unwrap();
    client.stage(&first);
    up.stop();
    let report = client.contributor().send(&first, &mut |_, _| {}).unwrap();
    assert!(report.sent.is_empty(), "nothing sent while down");
    assert_eq!(report.failed.len(), 1, "one failure");
    assert!(
        report.failed[0].1.contains("stays staged"),
        "says so: {}",
        report.failed[0].1
    );
    assert_eq!(client.staged_files().len(), 1, "bundle still staged");
    let record = &client.ledger.contributions().unwrap()[0];
    assert_eq!(record.state, ContributionState::Staged, "ledger: staged");
    assert!(
        record
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("stays staged"),
        "ledger note"
    );

    let again = Collector::start(&data, &[]);
    let second = CollectorClient::new(&again.url, quick_retry(2)).unwrap();
    let report = client.contributor().send(&second, &mut |_, _| {}).unwrap();
    assert_eq!(
        report.sent.len(),
        1,
        "sent after restart: {:?}",
        report.failed
    );
    assert!(
        client.staged_files().is_empty(),
        "staged copy deleted after confirmation"
    );
}

/// Runs `router` on a loopback port in a background runtime; returns its URL.
fn serve_in_background(router: axum::Router) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
    });
    format!("http://{addr}")
}

/// The real collector app behind a layer that turns the answers of the first `fail_posts`
/// uploads into 500s. The first one is stored before its answer is lost, as when a proxy
/// fails after the collector did its work.
fn flaky_collector(dir: &Path, fail_posts: u32) -> (String, Arc<DirStore>) {
    let store = Arc::new(DirStore::open(dir).unwrap());
    let (secret, _) = keys::load_or_create(&common::key_file(dir)).unwrap();
    let state = AppState::new(store.clone(), secret, Config::default());
    let failures = Arc::new(AtomicU32::new(0));
    let router = app(state).layer(axum::middleware::from_fn(
        move |req: Request, next: Next| {
            let failures = failures.clone();
            async move {
                let is_post = req.method() == Method::POST;
                let n = failures.load(Ordering::SeqCst);
                if is_post && n < fail_posts {
                    failures.fetch_add(1, Ordering::SeqCst);
                    if n == 0 {
                        let _ = next.run(req).await;
                    }
                    return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response();
                }
                let res: Response = next.run(req).await;
                res
            }
        },
    ));
    (serve_in_background(router), store)
}

#[test]
fn server_errors_are_retried_and_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let (url, store) = flaky_collector(tmp.path(), 2);
    let collector = CollectorClient::new(&url, quick_retry(4)).unwrap();
    let mut client = Client::new();
    client.stage(&collector);
    let mut events = Vec::new();
    let report = client
        .contributor()
        .send(&collector, &mut |_, e| events.push(e))
        .unwrap();
    assert_eq!(
        report.sent.len(),
        1,
        "sent on the third attempt: {:?}",
        report.failed
    );
    let retries = events
        .iter()
        .filter(|e| matches!(e, UploadEvent::Retrying { .. }))
        .count();
    assert_eq!(retries, 2, "two retries reported: {events:?}");
    assert_eq!(
        store.live_bundles().unwrap().len(),
        1,
        "stored once despite the lost answer"
    );
    assert_eq!(
        store.live_bundles().unwrap()[0],
        report.sent[0].1,
        "the replayed answer names the bundle stored first"
    );
}

#[test]
fn persistent_500s_keep_the_bundle_staged() {
    let tmp = tempfile::tempdir().unwrap();
    let (url, _store) = flaky_collector(tmp.path(), u32::MAX);
    let collector = CollectorClient::new(&url, quick_retry(3)).unwrap();
    let mut client = Client::new();
    client.stage(&collector);
    let report = client
        .contributor()
        .send(&collector, &mut |_, _| {})
        .unwrap();
    assert!(report.sent.is_empty(), "not sent");
    assert!(
        report.failed[0].1.contains("after 3 attempt"),
        "attempts: {}",
        report.failed[0].1
    );
    assert!(report.failed[0].1.contains("stays staged"), "says so");
    assert_eq!(client.staged_files().len(), 1, "still staged");
}

#[test]
fn oversized_bundle_is_refused_and_stays_staged() {
    let tmp = tempfile::tempdir().unwrap();
    let collector = Collector::start(&tmp.path().join("data"), &["--max-body-bytes", "1000"]);
    let c = CollectorClient::new(&collector.url, quick_retry(3)).unwrap();
    let mut client = Client::new();
    client.stage(&c);
    let report = client.contributor().send(&c, &mut |_, _| {}).unwrap();
    assert!(report.sent.is_empty(), "not sent");
    assert!(
        report.failed[0].1.contains("413"),
        "413 named: {}",
        report.failed[0].1
    );
    assert_eq!(client.staged_files().len(), 1, "still staged");
}

#[test]
fn wrong_key_and_tampering_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let a = Collector::start(&tmp.path().join("a"), &[]);
    let b = Collector::start(&tmp.path().join("b"), &[]);
    let ca = CollectorClient::new(&a.url, quick_retry(2)).unwrap();
    let cb = CollectorClient::new(&b.url, quick_retry(2)).unwrap();
    let mut client = Client::new();
    client.stage(&ca);

    // Staged for A, sent to B: refused locally before upload (never sealed again to B's key).
    let report = client.contributor().send(&cb, &mut |_, _| {}).unwrap();
    assert!(
        report.failed[0].1.contains("another collector key"),
        "{:?}",
        report.failed
    );
    assert!(
        std::fs::read_dir(b.data.join("bundles"))
            .unwrap()
            .next()
            .is_none(),
        "B got nothing"
    );

    // Bytes sealed to a key B does not hold, pushed to B anyway: B says so by the key id.
    let sealed_for_a = {
        let (sk, pk) = bestpick_bundle::generate_keypair();
        drop(sk);
        bestpick_bundle::seal(&pk, b"not for b").unwrap()
    };
    let receipt = bestpick_bundle::sha256_hex(b"token");
    let mut log = MemoryLedger::default();
    let err = cb.upload(
        &mut log,
        "wrong-key",
        &sealed_for_a,
        "idempotency-wrong-key-1",
        &receipt,
        &mut |_| {},
    );
    assert!(
        matches!(&err, Err(Error::Collector { status: 409, code: Some(code), .. })
            if code == "unknown_key"),
        "wrong key answered 409 unknown_key: {err:?}"
    );
    // In the envelope before key ids, it cannot tell: 400, cannot decrypt.
    let v1 = {
        let (_, pk) = bestpick_bundle::generate_keypair();
        bestpick_bundle::seal_v1(&pk, b"not for b").unwrap()
    };
    let err = cb.upload(
        &mut log,
        "wrong-key-v1",
        &v1,
        "idempotency-wrong-key-2",
        &receipt,
        &mut |_| {},
    );
    assert!(
        matches!(err, Err(Error::Collector { status: 400, .. })),
        "wrong key (v1) answered 400: {err:?}"
    );

    // Tampered in transit: a flipped byte in a bundle sealed for A.
    let key = ca.public_key(&mut log).unwrap();
    let mut tampered = bestpick_bundle::seal(&key, b"whatever").unwrap();
    let n = tampered.len();
    tampered[n - 5] ^= 0x10;
    let err = ca.upload(
        &mut log,
        "tampered",
        &tampered,
        "idempotency-tampered-01",
        &receipt,
        &mut |_| {},
    );
    assert!(
        matches!(err, Err(Error::Collector { status: 400, .. })),
        "tampered: {err:?}"
    );

    // Tampered in the local vault: that bundle is reported, not sent, nothing crashes.
    let staged = client.staged_files();
    let path = client.vault_dir.join(&staged[0]);
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let report = client.contributor().send(&ca, &mut |_, _| {}).unwrap();
    assert!(report.sent.is_empty(), "tampered vault record not sent");
    assert!(
        report.failed[0].1.contains("cannot be decrypted"),
        "{:?}",
        report.failed
    );
    assert!(
        std::fs::read_dir(a.data.join("bundles"))
            .unwrap()
            .next()
            .is_none(),
        "A got nothing"
    );
}
