//! End to end against a real collector process on loopback:
//! consent → add metadata-rich photos → preview → send → export → exiftool finds nothing →
//! no original name or path anywhere in the bundle → status says received (and the dataset)
//! → withdraw → the collector holds nothing of it and a new export is empty.

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
use common::{Collector, files_under, quick_retry};

#[test]
fn contribute_export_withdraw_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("collector-data");
    let collector = Collector::start(&data, &[]);
    let client = CollectorClient::new(&collector.url, quick_retry(3)).unwrap();

    // Photos: the licensed fixtures, plus the larger metadata-rich shared photos if present.
    let photos = metadata_rich_photos(&tmp.path().join("My Holiday Photos"));

    let keys = MemoryKeyStore::default();
    let mut ledger = MemoryLedger::default();
    let vault_dir = tmp.path().join("vault");
    let mut contributor =
        Contributor::new(Vault::open(&vault_dir, &keys).unwrap(), &mut ledger).unwrap();

    // Off by default: nothing can be added before consent.
    assert!(
        matches!(contributor.add(&photos), Err(Error::NoConsent)),
        "off by default"
    );
    contributor.give_consent(&adult_consent()).unwrap();

    let sendable = add_metadata_rich(&mut contributor, &photos);

    // Preview: what will leave, in clear, for the contributor to inspect.
    let preview_dir = tmp.path().join("preview");
    let preview = contributor
        .preview(&client, &mut scores, &preview_dir)
        .unwrap();
    assert_eq!(
        preview.images.len(),
        sendable,
        "refused: {:?}",
        preview.refused
    );
    assert!(
        preview.manifest_json.contains("\"age_decade\": \"30-39\""),
        "bucket in manifest"
    );
    for image in &preview.images {
        let bytes = std::fs::read(&image.preview_path).unwrap();
        assert!(
            bestpick_bundle::verify_image(&bytes).is_ok(),
            "preview {} clean",
            image.name
        );
    }

    // Send.
    let mut events = Vec::new();
    let report = contributor
        .send(&client, &mut |_, e| events.push(e))
        .unwrap();
    assert!(
        report.failed.is_empty(),
        "send failures: {:?}",
        report.failed
    );
    assert_eq!(report.sent.len(), 1, "one bundle sent");
    assert!(!events.is_empty(), "progress reported");
    let bundle_id = report.sent[0].1.clone();
    assert!(
        std::fs::read_dir(&vault_dir)
            .unwrap()
            .flatten()
            .all(|e| !e.file_name().to_string_lossy().starts_with("staged-")),
        "staged copy deleted once the collector confirmed it"
    );

    // What the collector stored: sealed at rest, and in clear no name or path of ours.
    let stored = files_under(&data.join("bundles"));
    assert_eq!(stored.len(), 1, "one stored bundle");
    let sealed = std::fs::read(&stored[0]).unwrap();
    assert!(
        sealed.starts_with(bestpick_bundle::SEALED_MAGIC),
        "stored sealed (at rest)"
    );
    let secret = bestpick_collector::keys::load_or_create(&common::key_file(&data))
        .unwrap()
        .0;
    let archive = bestpick_bundle::open(&secret, &sealed).unwrap();
    let bundle = Bundle::from_archive(&archive, &Limits::default()).unwrap();
    assert_eq!(
        bundle.images.len(),
        sendable,
        "all sendable photos in the bundle"
    );
    assert_no_names_or_paths(&archive, &photos, tmp.path());

    // Export for researchers, then exiftool on every exported image.
    let out1 = tmp.path().join("export1");
    let printed = Collector::run(&[
        "export",
        "--data",
        data.to_str().unwrap(),
        "--dataset",
        "faces-v1",
        "--out",
        out1.to_str().unwrap(),
    ]);
    assert!(
        printed.contains("exported 1 bundle(s)"),
        "export output: {printed}"
    );
    let exported = exported_images_without_metadata(&out1);
    assert_eq!(exported.len(), sendable, "exported images");

    // Status: received, used in the dataset.
    let status = contributor.status(Some(&client)).unwrap();
    assert!(
        status.problems.is_empty(),
        "status problems: {:?}",
        status.problems
    );
    let record = &status.contributions[0];
    assert_eq!(
        record.state,
        ContributionState::Received,
        "status says received"
    );
    assert_eq!(
        record.bundle_id.as_deref(),
        Some(bundle_id.as_str()),
        "bundle id"
    );
    assert_eq!(
        record.datasets,
        vec!["faces-v1"],
        "dataset shown to the contributor"
    );
    assert_eq!(record.image_count as usize, sendable, "photo count");

    // Withdraw: consent gone, the collector deletes everything it holds of the bundle.
    let withdrawn = contributor.withdraw(Some(&client)).unwrap();
    assert_eq!(withdrawn.deleted, vec![bundle_id.clone()], "bundle deleted");
    assert!(
        withdrawn.failed.is_empty(),
        "withdraw failures: {:?}",
        withdrawn.failed
    );
    assert!(
        files_under(&data.join("bundles")).is_empty(),
        "collector holds no bundle file"
    );
    assert!(
        files_under(&out1).is_empty(),
        "exported copies (derived data) deleted too: {:?}",
        files_under(&out1)
    );
    let status = contributor.status(Some(&client)).unwrap();
    assert_eq!(
        status.contributions[0].state,
        ContributionState::Deleted,
        "status deleted"
    );
    assert!(
        matches!(contributor.add(&photos[..1]), Err(Error::NoConsent)),
        "no future adds"
    );

    let out2 = tmp.path().join("export2");
    let printed = Collector::run(&[
        "export",
        "--data",
        data.to_str().unwrap(),
        "--dataset",
        "faces-v2",
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert!(
        printed.contains("exported 0 bundle(s)"),
        "new export empty: {printed}"
    );
    assert!(files_under(&out2).is_empty(), "new export wrote nothing");

    let ledger = contributor.export_ledger().unwrap();
    let json = serde_json::to_string(&ledger).unwrap();
    assert!(json.contains(&bundle_id), "ledger export lists the bundle");
    assert!(
        ledger.consents[0].withdrawn_at_ms.is_some(),
        "ledger shows the withdrawal"
    );
    collector.stop();
}
