//! The contribution flow of issue 5 (bestpick-share's client, as in `e2e.rs`) against two
//! `serve` instances on one S3 bucket and one PostgreSQL database (the servers of
//! `tests/services/up.sh`): two bundles sent through A; B says both were received; one is
//! deleted through B and A answers deleted (its object gone from the bucket); an export of
//! the cloud store, as an operator, holds the other one only, sealed at rest, with no
//! original name or path and no metadata exiftool can find; withdrawing through B deletes
//! it, and a new export is empty.
//!
//! `eval "$(tests/services/up.sh)"`, then `cargo test -p bestpick-collector --test
//! services_flow`, then `tests/services/down.sh`. Without the servers' variables the test is
//! skipped, except under CI, where it fails.

#![expect(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

mod common;

use bestpick_bundle::{Bundle, Limits};
use bestpick_share::ledger::{ContributionState, MemoryLedger};
use bestpick_share::upload::CollectorClient;
use bestpick_share::vault::{MemoryKeyStore, Vault};
use bestpick_share::{Contributor, Error};
use common::flow::{
    add_metadata_rich, adult_consent, assert_no_names_or_paths, exported_images_without_metadata,
    metadata_rich_photos, scores,
};
use common::services::{Services, bundle_objects};
use common::{files_under, fixtures, quick_retry};
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;

/// The receipt token the contributor keeps for `anonymous_id` (in its vault, as `send` wrote
/// it), to ask an instance about the bundle directly.
fn receipt_token(vault: &Vault, anonymous_id: &str) -> String {
    let bytes = vault
        .get(&format!("receipt-{anonymous_id}"))
        .unwrap()
        .expect("receipt kept");
    let receipt: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    receipt["receipt_token"].as_str().unwrap().to_owned()
}

/// `exported N bundle(s)` → N.
fn exported_count(printed: &str) -> usize {
    printed
        .strip_prefix("exported ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("export output: {printed}"))
}

#[test]
fn contribution_flow_across_two_instances() {
    let Some(services) = Services::from_env() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let key_file = tmp.path().join("collector.key");
    let (secret, _) = bestpick_collector::keys::load_or_create(&key_file).unwrap();
    let a = services.serve(&key_file, &[], &[]);
    let b = services.serve(&key_file, &[], &[]);
    let client_a = CollectorClient::new(&a.url, quick_retry(3)).unwrap();
    let client_b = CollectorClient::new(&b.url, quick_retry(3)).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let bucket = services.bucket();

    // Two contributions: the metadata-rich photos (kept), and one more photo (deleted later).
    let photos = metadata_rich_photos(&tmp.path().join("My Holiday Photos"));
    let other_dir = tmp.path().join("Birthday");
    std::fs::create_dir_all(&other_dir).unwrap();
    let other = other_dir.join("IMG_0042.JPG");
    std::fs::copy(fixtures().join("exiftool_GPS.jpg"), &other).unwrap();
    let mut all_photos = photos.clone();
    all_photos.push(other.clone());

    let keys = MemoryKeyStore::default();
    let mut ledger = MemoryLedger::default();
    let vault_dir = tmp.path().join("vault");
    let mut contributor =
        Contributor::new(Vault::open(&vault_dir, &keys).unwrap(), &mut ledger).unwrap();
    contributor.give_consent(&adult_consent()).unwrap();
    let sendable = add_metadata_rich(&mut contributor, &photos);
    let preview = tmp.path().join("preview");
    let kept = contributor
        .preview(&client_a, &mut scores, &preview)
        .unwrap();
    assert_eq!(kept.images.len(), sendable, "refused: {:?}", kept.refused);
    contributor.add(std::slice::from_ref(&other)).unwrap();
    let dropped = contributor
        .preview(&client_a, &mut scores, &preview)
        .unwrap();

    // Sent through A.
    let report = contributor.send(&client_a, &mut |_, _| {}).unwrap();
    assert!(report.failed.is_empty(), "send: {:?}", report.failed);
    assert_eq!(report.sent.len(), 2, "two bundles sent");
    let id_of = |anon: &str| {
        report
            .sent
            .iter()
            .find(|(a, _, _)| a == anon)
            .map(|(_, id, _)| id.clone())
            .unwrap_or_else(|| panic!("{anon} not sent: {:?}", report.sent))
    };
    let (kept_id, dropped_id) = (id_of(&kept.anonymous_id), id_of(&dropped.anonymous_id));

    // In the bucket: sealed at rest, and in clear no name or path of ours.
    let objects = bundle_objects(&rt, &bucket);
    for id in [&kept_id, &dropped_id] {
        let key = format!("bundles/{id}.sealed");
        assert!(objects.contains(&key), "{key} in the bucket");
        let sealed = rt
            .block_on(async {
                let got = bucket.get(&ObjectPath::from(key.as_str())).await?;
                got.bytes().await
            })
            .unwrap();
        assert!(
            sealed.starts_with(bestpick_bundle::SEALED_MAGIC),
            "stored sealed (at rest)"
        );
        let archive = bestpick_bundle::open(&secret, &sealed).unwrap();
        Bundle::from_archive(&archive, &Limits::default()).unwrap();
        assert_no_names_or_paths(&archive, &all_photos, tmp.path());
    }

    // Status through B: both received.
    let status = contributor.status(Some(&client_b)).unwrap();
    assert!(status.problems.is_empty(), "{:?}", status.problems);
    assert_eq!(status.contributions.len(), 2);
    for record in &status.contributions {
        assert_eq!(record.state, ContributionState::Received, "B: {record:?}");
    }

    // One deleted through B: gone for A too.
    let deleted = contributor.delete(Some(&client_b), &dropped_id).unwrap();
    assert_eq!(deleted.state, ContributionState::Deleted);
    let token = receipt_token(
        &Vault::open(&vault_dir, &keys).unwrap(),
        &dropped.anonymous_id,
    );
    let mut log = MemoryLedger::default();
    let on_a = client_a.status(&mut log, &dropped_id, &token).unwrap();
    assert_eq!(on_a.state, "deleted", "A sees B's delete");
    let objects = bundle_objects(&rt, &bucket);
    assert!(!objects.contains(&format!("bundles/{dropped_id}.sealed")));
    assert!(objects.contains(&format!("bundles/{kept_id}.sealed")));

    // Export (cloud store, operator token): the kept bundle only (other tests' bundles on
    // this database are sealed to other keys and skipped), with no metadata left.
    let operator = services.operator("flow");
    let run = bestpick_collector::unix_now();
    let out1 = tmp.path().join("export1");
    let printed = services.export(&key_file, &format!("flow{run}"), &out1, &operator);
    assert_eq!(exported_count(&printed), 1, "{printed}");
    assert!(
        out1.join(&kept_id).join("manifest.json").is_file(),
        "{printed}"
    );
    assert!(
        !out1.join(&dropped_id).exists(),
        "deleted bundle not exported"
    );
    let exported = exported_images_without_metadata(&out1);
    assert_eq!(exported.len(), sendable, "exported images");
    let mut exported_text = Vec::new();
    for file in files_under(&out1) {
        exported_text.extend(std::fs::read(&file).unwrap());
        exported_text.extend(
            file.strip_prefix(&out1)
                .unwrap()
                .to_string_lossy()
                .as_bytes(),
        );
    }
    assert_no_names_or_paths(&exported_text, &all_photos, tmp.path());
    let status = contributor.status(Some(&client_a)).unwrap();
    let record = status
        .contributions
        .iter()
        .find(|r| r.bundle_id.as_deref() == Some(kept_id.as_str()))
        .unwrap();
    assert_eq!(record.datasets, vec![format!("flow{run}")], "dataset shown");

    // Withdraw through B: the collector deletes it (and the exported copies).
    let withdrawn = contributor.withdraw(Some(&client_b)).unwrap();
    assert_eq!(withdrawn.deleted, vec![kept_id.clone()], "bundle deleted");
    assert!(withdrawn.failed.is_empty(), "{:?}", withdrawn.failed);
    assert!(
        !bundle_objects(&rt, &bucket).contains(&format!("bundles/{kept_id}.sealed")),
        "object removed"
    );
    assert!(files_under(&out1).is_empty(), "exported copies deleted too");
    let token = receipt_token(&Vault::open(&vault_dir, &keys).unwrap(), &kept.anonymous_id);
    let on_a = client_a.status(&mut log, &kept_id, &token).unwrap();
    assert_eq!(on_a.state, "deleted", "A sees the withdrawal");
    assert!(
        matches!(contributor.add(&photos[..1]), Err(Error::NoConsent)),
        "no future adds"
    );

    let out2 = tmp.path().join("export2");
    let printed = services.export(&key_file, &format!("flow{run}-2"), &out2, &operator);
    assert_eq!(exported_count(&printed), 0, "new export empty: {printed}");
    assert!(files_under(&out2).is_empty(), "new export wrote nothing");
    a.stop();
    b.stop();
}
