//! Sending after the collector rotated its key: a bundle sealed to the retired key is sealed
//! again from its staged archive, staged again and sent once more; it is never discarded, and
//! stays staged when that cannot be done.

use super::*;
use crate::fake_collector::FakeCollector;
use crate::ledger::MemoryLedger;
use crate::upload::RetryPolicy;
use crate::vault::MemoryKeyStore;

fn client(fake: &FakeCollector) -> CollectorClient {
    let retry = RetryPolicy {
        attempts: 1,
        base_delay: std::time::Duration::from_millis(1),
        max_delay: std::time::Duration::from_millis(1),
        timeout: std::time::Duration::from_secs(30),
    };
    CollectorClient::new(&fake.url, retry).unwrap()
}

/// A contributor with consent and one staged bundle, sealed to the fake's current key.
fn staged<'a>(
    dir: &Path,
    keys: &MemoryKeyStore,
    ledger: &'a mut MemoryLedger,
    client: &CollectorClient,
) -> (Contributor<'a>, String) {
    let vault = Vault::open(&dir.join("v"), keys).unwrap();
    let mut c = Contributor::new(vault, ledger).unwrap();
    c.give_consent(&ConsentRequest {
        terms_version: terms::CURRENT_VERSION,
        age: Age::Adult,
        buckets: Buckets::default(),
    })
    .unwrap();
    let photo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/piexif_r_canon.jpg");
    c.add(&[photo]).unwrap();
    let scores = &mut |_: &Path| Ok(serde_json::json!({ "sharpness": 0.5 }));
    let preview = c.preview(client, scores, &dir.join("preview")).unwrap();
    (c, preview.anonymous_id)
}

fn staged_record(c: &Contributor<'_>, anon: &str) -> Vec<u8> {
    c.vault
        .get(&format!("{STAGED_PREFIX}{anon}"))
        .unwrap()
        .expect("staged")
}

#[test]
fn a_bundle_sealed_to_a_retired_key_is_sealed_again_and_sent() {
    let fake = FakeCollector::start();
    let client = client(&fake);
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::default();
    let mut ledger = MemoryLedger::default();
    let (mut c, anon) = staged(dir.path(), &keys, &mut ledger, &client);
    let first = fake.state().keys[0].1.clone();
    let record = staged_record(&c, &anon);
    let staged = decode_staged(&record).unwrap();
    assert!(staged.archive.is_some(), "the archive is staged with it");
    assert_eq!(
        bestpick_bundle::sealed_key_id(staged.sealed).unwrap(),
        Some(first.key_id()),
        "sealed to the first key"
    );

    let second = fake.rotate();
    let mut events = Vec::new();
    let report = c.send(&client, &mut |_, e| events.push(e)).unwrap();
    assert_eq!(report.failed, vec![], "nothing failed");
    assert_eq!(report.sent.len(), 1, "sent");
    assert!(
        events.contains(&UploadEvent::Resealed {
            key_id: second.fingerprint()
        }),
        "progress says it was sealed again: {events:?}"
    );

    let uploads = fake.state().uploads.clone();
    assert_eq!(uploads.len(), 2, "refused once, then accepted");
    let ids: Vec<_> = uploads
        .iter()
        .map(|u| bestpick_bundle::sealed_key_id(u).unwrap())
        .collect();
    assert_eq!(ids, vec![Some(first.key_id()), Some(second.key_id())]);
    let secret = &fake.state().keys[1].0;
    let archive = bestpick_bundle::open(secret, &uploads[1]).unwrap();
    let manifest = Bundle::check_archive(&archive, &bestpick_bundle::Limits::default()).unwrap();
    assert_eq!(
        manifest.anonymous_id, anon,
        "the same bundle, under the new key"
    );
    assert_eq!(
        archive,
        staged.archive.unwrap(),
        "sealed from the staged archive"
    );

    let statuses: Vec<Option<u16>> = c
        .network_log()
        .unwrap()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.outcome.and_then(|o| o.status))
        .collect();
    assert_eq!(statuses, vec![Some(409), Some(201)], "both uploads logged");
    assert!(
        c.vault.list(STAGED_PREFIX).unwrap().is_empty(),
        "no longer staged once received"
    );
    assert_eq!(
        c.record(&anon).unwrap().unwrap().state,
        ContributionState::Received
    );
}

#[test]
fn a_bundle_staged_without_its_archive_stays_staged_and_says_why() {
    let fake = FakeCollector::start();
    let client = client(&fake);
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::default();
    let mut ledger = MemoryLedger::default();
    let (mut c, anon) = staged(dir.path(), &keys, &mut ledger, &client);
    // As an older build staged it: the sealed bundle alone.
    let record = staged_record(&c, &anon);
    let staged = decode_staged(&record).unwrap();
    let old = encode_staged(&staged.header, staged.sealed, None).unwrap();
    let redecoded = decode_staged(&old).unwrap();
    assert_eq!(
        redecoded.sealed, staged.sealed,
        "old layout: all of it sealed"
    );
    assert!(redecoded.archive.is_none());
    c.vault
        .put(&format!("{STAGED_PREFIX}{anon}"), &old)
        .unwrap();

    fake.rotate();
    let report = c.send(&client, &mut |_, _| {}).unwrap();
    assert_eq!(report.sent.len(), 0, "not sent");
    let (failed_anon, reason) = &report.failed[0];
    assert_eq!(failed_anon, &anon);
    assert!(
        reason.contains("no longer takes the key") && reason.contains("preview again"),
        "{reason}"
    );
    assert_eq!(staged_record(&c, &anon), old, "still staged, as it was");
    assert_eq!(fake.state().uploads.len(), 1, "one upload, refused");
}

#[test]
fn a_collector_still_serving_the_refused_key_is_not_sent_the_same_again() {
    let fake = FakeCollector::start();
    let client = client(&fake);
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::default();
    let mut ledger = MemoryLedger::default();
    let (mut c, anon) = staged(dir.path(), &keys, &mut ledger, &client);
    let before = staged_record(&c, &anon);
    // An instance that refuses the key it still serves (it has not seen the rotation yet).
    let current = fake.state().keys[0].1.key_id();
    fake.state().retired.push(current);
    let report = c.send(&client, &mut |_, _| {}).unwrap();
    let (_, reason) = &report.failed[0];
    assert!(reason.contains("still serves"), "{reason}");
    assert_eq!(fake.state().uploads.len(), 1, "not sent twice");
    assert_eq!(staged_record(&c, &anon), before, "staged as it was");

    // Later the collector has rotated for real: the next send goes through.
    fake.state().retired.clear();
    fake.rotate();
    let report = c.send(&client, &mut |_, _| {}).unwrap();
    assert_eq!((report.sent.len(), report.failed.len()), (1, 0));
}
