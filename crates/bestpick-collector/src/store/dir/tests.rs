//! [`DirStore`]: inserts, deletes, purges, and recovery after a crash between the steps.

use super::*;

fn new_bundle(store: &DirStore, id: char, at: i64) -> NewBundle {
    use std::io::Write;
    let mut body = store.create_partial(&id.to_string().repeat(32)).unwrap();
    body.file().write_all(&[1, 2, 3]).unwrap();
    NewBundle {
        id: id.to_string().repeat(32),
        receipt_hash: "r".repeat(64),
        idempotency_hash: format!("{id}-idem"),
        body_hash: "b".into(),
        image_count: 2,
        received_at: at,
        body,
    }
}

fn partials(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("bundles"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    names.sort();
    names
}

#[test]
fn insert_delete_purge() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::open(dir.path()).unwrap();
    let now = 2_000_000_000;
    store
        .insert(new_bundle(&store, 'a', now - BUNDLE_RETENTION_SECS - 10))
        .unwrap();
    store.insert(new_bundle(&store, 'b', now - 10)).unwrap();
    let a = "a".repeat(32);
    let b = "b".repeat(32);
    assert_eq!(store.sealed(&b).unwrap(), vec![1, 2, 3], "payload stored");
    assert!(
        store.insert(new_bundle(&store, 'b', now)).is_err(),
        "same id twice"
    );
    let mut again = new_bundle(&store, 'c', now);
    again.idempotency_hash = "b-idem".into();
    assert!(
        matches!(
            store.insert(again),
            Err(StoreError::DuplicateIdempotencyKey)
        ),
        "same idempotency key twice"
    );
    assert!(partials(dir.path()).is_empty(), "refused body removed");
    assert_eq!(
        store.info(&"c".repeat(32)).unwrap(),
        None,
        "refused row rolled back"
    );
    assert_eq!(
        store.find_idempotent("b-idem").unwrap(),
        Some((b.clone(), "b".into())),
        "idempotency lookup"
    );

    let export = dir.path().join("out").join(&b).join("images");
    std::fs::create_dir_all(&export).unwrap();
    let file = export.join("x.jpg");
    std::fs::write(&file, b"x").unwrap();
    store
        .record_export("ds1", &b, std::slice::from_ref(&file), now)
        .unwrap();
    assert_eq!(
        store.info(&b).unwrap().unwrap().datasets,
        vec!["ds1"],
        "dataset recorded"
    );

    assert!(store.delete(&b).unwrap(), "delete known");
    let info = store.info(&b).unwrap().unwrap();
    assert_eq!(info.state, BundleState::Deleted, "tombstone");
    assert!(info.datasets.is_empty(), "dataset links removed");
    assert!(!file.exists(), "exported copy removed");
    assert!(
        !dir.path().join("out").join(&b).exists(),
        "export folder removed"
    );
    assert!(store.sealed(&b).is_err(), "payload removed");
    assert_eq!(
        store.find_idempotent("b-idem").unwrap(),
        None,
        "idempotency entry removed"
    );
    assert!(!store.delete(&"d".repeat(32)).unwrap(), "delete unknown");

    store
        .log_access(now - ACCESS_LOG_RETENTION_SECS - 1, "op", "old")
        .unwrap();
    store.log_access(now, "op", "new").unwrap();
    let report = store.purge(now).unwrap();
    assert_eq!(
        report,
        PurgeReport {
            bundles: 1,
            access_log_rows: 1,
            orphan_objects: 0,
        },
        "purge counts"
    );
    assert_eq!(store.info(&a).unwrap(), None, "old bundle gone entirely");
    assert!(store.live_bundles().unwrap().is_empty(), "nothing live");
    assert_eq!(store.access_log().unwrap().len(), 1, "recent log row kept");
}

/// The states a crash can leave between the steps of an insert, and what a restart
/// makes of them.
#[test]
fn recovery_after_a_crash_between_steps() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = ("a".repeat(32), "b".repeat(32), "c".repeat(32));
    {
        let store = DirStore::open(dir.path()).unwrap();
        store.insert(new_bundle(&store, 'a', 1)).unwrap();
        // b: committed, then the crash came before the rename.
        store.insert(new_bundle(&store, 'b', 1)).unwrap();
        std::fs::rename(store.bundle_path(&b), store.partial_path(&b)).unwrap();
        assert_eq!(
            store.sealed(&b).unwrap(),
            vec![1, 2, 3],
            "committed, not yet renamed: readable"
        );
        // c: body received, the crash came before the commit.
        let c_body = new_bundle(&store, 'c', 1).body;
        std::mem::forget(c_body);
        assert_eq!(
            partials(dir.path()).len(),
            2,
            "two partial files before restart"
        );
    }
    let (store, report) = DirStore::open_for_serving(dir.path()).unwrap();
    assert_eq!(
        report,
        RecoveryReport {
            completed: 1,
            removed: 1
        },
        "restart report"
    );
    assert!(
        partials(dir.path()).is_empty(),
        "no partial survives a restart"
    );
    for id in [&a, &b] {
        assert_eq!(
            store.sealed(id).unwrap(),
            vec![1, 2, 3],
            "bundle {id} intact"
        );
        assert!(
            store.bundle_path(id).exists(),
            "bundle {id} under its final name"
        );
    }
    assert_eq!(store.info(&c).unwrap(), None, "uncommitted bundle unknown");
    assert!(store.sealed(&c).is_err(), "uncommitted bundle unreadable");

    assert!(
        matches!(
            DirStore::open_for_serving(dir.path()),
            Err(StoreError::Locked { .. })
        ),
        "a second server on the same directory is refused"
    );
    drop(store);
    assert!(
        DirStore::open_for_serving(dir.path()).is_ok(),
        "lock released with the store"
    );
}
