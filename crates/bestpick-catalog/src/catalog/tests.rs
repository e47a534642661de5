use std::path::Path;

use tempfile::TempDir;

use super::*;
use crate::types::{ColorLabel, ContributionState, Flag};

fn key(rel_path: &str, size: u64, mtime_ns: i64) -> FileKey {
    FileKey {
        rel_path: rel_path.to_owned(),
        size,
        mtime_ns,
    }
}

/// A catalog with one shoot of three photos.
fn shoot_with_photos(cat: &mut Catalog) -> (ShootId, Vec<PhotoId>) {
    let shoot = cat.shoot(Path::new("/photos/2024-05-01")).expect("shoot");
    let ids = cat
        .sync_photos(
            shoot,
            &[
                key("a.jpg", 100, 1),
                key("b.jpg", 200, 2),
                key("c.jpg", 300, 3),
            ],
        )
        .expect("sync");
    (shoot, ids)
}

fn count(cat: &Catalog, table: &str) -> i64 {
    cat.conn
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}

#[test]
fn migrations_validate() {
    MIGRATIONS.validate().expect("migrations are valid");
}

#[test]
fn open_creates_parent_dirs_and_sets_pragmas() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join("deep/er/catalog.sqlite");
    let cat = Catalog::open(&path).expect("open");
    assert!(path.exists(), "catalog file created");
    assert_eq!(cat.path(), Some(path.as_path()));

    let pragma = |name: &str| -> String {
        cat.conn
            .pragma_query_value(None, name, |r| r.get::<_, rusqlite::types::Value>(0))
            .map(|v| match v {
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
            .expect("pragma")
    };
    let newest = SCHEMA_VERSION.to_string();
    let cases = [
        ("journal_mode", "wal"),
        ("foreign_keys", "1"),
        ("synchronous", "2"), // FULL
        ("busy_timeout", "10000"),
        ("user_version", newest.as_str()),
    ];
    for (name, expected) in cases {
        assert_eq!(pragma(name), expected, "PRAGMA {name}");
    }
}

#[test]
fn reopening_keeps_data() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join("catalog.sqlite");
    let (shoot, ids) = {
        let mut cat = Catalog::open(&path).expect("open");
        let (shoot, ids) = shoot_with_photos(&mut cat);
        cat.decide(shoot, &ids[..1], DecisionChange::Stars(4))
            .expect("decide");
        (shoot, ids)
    };
    let cat = Catalog::open(&path).expect("reopen");
    let decisions = cat.decisions(shoot).expect("decisions");
    assert_eq!(decisions.get(&ids[0]).map(|d| d.stars), Some(4));
}

#[test]
fn a_file_that_is_not_a_database_is_named_in_the_error() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join("notes.sqlite");
    std::fs::write(&path, "these are my notes, not a database\n".repeat(100)).expect("write");
    let err = Catalog::open(&path).expect_err("must not open");
    assert!(matches!(err, Error::NotACatalog { .. }), "got {err:?}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("not an SQLite database"), "{message}");
    assert_eq!(
        std::fs::read_to_string(&path).expect("read").len(),
        "these are my notes, not a database\n".len() * 100,
        "the file is left alone"
    );
}

#[test]
fn a_catalog_from_a_newer_version_is_refused() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join("catalog.sqlite");
    drop(Catalog::open(&path).expect("create"));
    {
        let conn = Connection::open(&path).expect("raw open");
        conn.pragma_update(None, "user_version", 42).expect("bump");
    }
    let err = Catalog::open(&path).expect_err("too new");
    assert!(
        matches!(
            err,
            Error::CatalogTooNew {
                found: 42,
                known: SCHEMA_VERSION,
                ..
            }
        ),
        "got {err:?}"
    );
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn default_path_is_in_the_per_user_data_dir() {
    let path = Catalog::default_path().expect("default path");
    assert_eq!(
        path.file_name().and_then(|n| n.to_str()),
        Some("catalog.sqlite")
    );
    assert!(
        path.components().any(|c| c.as_os_str() == "bestpick"),
        "{}",
        path.display()
    );
}

#[test]
fn shoot_is_get_or_create_and_recent_first() {
    let mut cat = Catalog::open_in_memory().expect("open");
    let a = cat.shoot(Path::new("/p/a")).expect("a");
    let b = cat.shoot(Path::new("/p/b")).expect("b");
    assert_ne!(a, b, "different roots, different shoots");
    assert_eq!(cat.find_shoot(Path::new("/p/a")).expect("find"), Some(a));
    assert_eq!(cat.find_shoot(Path::new("/p/zzz")).expect("find"), None);

    let order = |cat: &Catalog| -> Vec<ShootId> {
        cat.shoots().expect("shoots").iter().map(|s| s.id).collect()
    };
    assert_eq!(order(&cat), vec![b, a], "b opened last");
    assert_eq!(
        cat.shoot(Path::new("/p/a")).expect("a again"),
        a,
        "same root, same id"
    );
    assert_eq!(order(&cat), vec![a, b], "reopening a makes it most recent");
}

#[test]
fn shoots_report_counts() {
    let mut cat = Catalog::open_in_memory().expect("open");
    let (shoot, ids) = shoot_with_photos(&mut cat);
    cat.decide(shoot, &ids[..2], DecisionChange::Flag(Flag::Pick))
        .expect("pick");
    cat.decide(shoot, &ids[2..], DecisionChange::Flag(Flag::Reject))
        .expect("reject");
    cat.decide(shoot, &ids[..1], DecisionChange::Stars(5))
        .expect("stars");
    let info = &cat.shoots().expect("shoots")[0];
    assert_eq!(
        (info.photo_count, info.picks, info.rejects),
        (3, 2, 1),
        "photos, picks, rejects"
    );
    assert_eq!(info.root, Path::new("/photos/2024-05-01"));
}

#[test]
fn sync_photos_upserts_in_order_and_keeps_decisions() {
    let mut cat = Catalog::open_in_memory().expect("open");
    let (shoot, ids) = shoot_with_photos(&mut cat);
    cat.decide(
        shoot,
        &[ids[0]],
        DecisionChange::Label(Some(ColorLabel::Red)),
    )
    .expect("decide");

    // a.jpg changed, b.jpg is gone, c.jpg is unchanged, d.jpg is new; input order is kept in
    // the result.
    let again = cat
        .sync_photos(
            shoot,
            &[
                key("d.jpg", 400, 4),
                key("a.jpg", 111, 11),
                key("c.jpg", 300, 3),
            ],
        )
        .expect("resync");
    assert_eq!(again[1], ids[0], "known path keeps its id");
    assert_eq!(again[2], ids[2], "unchanged path keeps its id");
    assert!(!ids.contains(&again[0]), "new path gets a new id");
    let twice = cat
        .sync_photos(
            shoot,
            &[
                key("d.jpg", 400, 4),
                key("a.jpg", 111, 11),
                key("c.jpg", 300, 3),
            ],
        )
        .expect("resync unchanged");
    assert_eq!(twice, again, "an unchanged shoot syncs to the same ids");

    let photos = cat.photos(shoot).expect("photos");
    let paths: Vec<_> = photos.iter().map(|p| p.rel_path.as_str()).collect();
    assert_eq!(
        paths,
        ["a.jpg", "b.jpg", "c.jpg", "d.jpg"],
        "missing files are kept"
    );
    let a = photos.iter().find(|p| p.id == ids[0]).expect("a");
    assert_eq!((a.size, a.mtime_ns), (111, 11), "size and mtime updated");
    assert_eq!(
        cat.decisions(shoot)
            .expect("decisions")
            .get(&ids[0])
            .map(|d| d.label),
        Some(Some(ColorLabel::Red)),
        "decision untouched by resync"
    );
    assert_eq!(
        cat.photo_by_path(shoot, "b.jpg").expect("lookup"),
        Some(ids[1])
    );
    assert_eq!(cat.photo_by_path(shoot, "nope.jpg").expect("lookup"), None);
}

#[test]
fn sync_photos_into_unknown_shoot_fails() {
    let mut cat = Catalog::open_in_memory().expect("open");
    let err = cat
        .sync_photos(ShootId(99), &[key("a.jpg", 1, 1)])
        .expect_err("unknown shoot");
    assert!(
        matches!(err, Error::UnknownShoot(ShootId(99))),
        "got {err:?}"
    );
}

#[test]
fn cached_analyses_only_match_current_version_and_file_state() {
    let mut cat = Catalog::open_in_memory().expect("open");
    let (shoot, ids) = shoot_with_photos(&mut cat);
    // Photos are a.jpg (100, 1), b.jpg (200, 2), c.jpg (300, 3).
    let rows = [
        (ids[0], 7, 100, 1, "valid"),
        (ids[1], 6, 200, 2, "old version"),
        (ids[2], 7, 301, 3, "size changed"),
    ];
    cat.store_analyses(
        &rows
            .iter()
            .map(|&(photo, version, size, mtime_ns, data)| StoredAnalysis {
                photo,
                version,
                size,
                mtime_ns,
                data: data.as_bytes().to_vec(),
            })
            .collect::<Vec<_>>(),
    )
    .expect("store");

    let cached = cat.cached_analyses(shoot, 7).expect("cached");
    assert_eq!(
        cached.get(&ids[0]).map(Vec::as_slice),
        Some(&b"valid"[..]),
        "valid row"
    );
    assert!(
        !cached.contains_key(&ids[1]),
        "other version is not returned"
    );
    assert!(!cached.contains_key(&ids[2]), "other size is not returned");
    assert_eq!(
        cat.cached_analyses(shoot, 6).expect("v6").len(),
        1,
        "v6 row"
    );

    // The file changes on disk: its analysis is no longer valid.
    cat.sync_photos(shoot, &[key("a.jpg", 100, 999)])
        .expect("resync");
    assert!(
        cat.cached_analyses(shoot, 7).expect("cached").is_empty(),
        "mtime changed"
    );
}

#[test]
fn store_analyses_is_all_or_nothing() {
    let mut cat = Catalog::open_in_memory().expect("open");
    let (_, ids) = shoot_with_photos(&mut cat);
    let row = |photo| StoredAnalysis {
        photo,
        version: 1,
        size: 1,
        mtime_ns: 1,
        data: vec![1, 2, 3],
    };
    let err = cat
        .store_analyses(&[row(ids[0]), row(PhotoId(12345))])
        .expect_err("unknown photo");
    assert!(
        matches!(err, Error::UnknownPhoto(PhotoId(12345))),
        "got {err:?}"
    );
    assert_eq!(count(&cat, "analyses"), 0, "the batch was rolled back");
}

#[test]
fn decide_undo_redo() {
    let mut cat = Catalog::open_in_memory().expect("open");
    let (shoot, ids) = shoot_with_photos(&mut cat);
    let state = |cat: &Catalog, photo: PhotoId| {
        cat.decisions(shoot)
            .expect("decisions")
            .get(&photo)
            .map(|d| (d.flag, d.stars, d.label))
    };

    let first = cat
        .decide(shoot, &[ids[0], ids[1]], DecisionChange::Stars(3))
        .expect("stars");
    let second = cat
        .decide(shoot, &[ids[0]], DecisionChange::Flag(Flag::Pick))
        .expect("pick");
    assert!(second > first, "action ids grow");
    assert_eq!(
        state(&cat, ids[0]),
        Some((Flag::Pick, 3, None)),
        "after two actions"
    );
    let updated = cat.decisions(shoot).expect("decisions")[&ids[0]].updated_at_ms;
    assert!(updated > 0, "updated_at is stamped");

    assert_eq!(
        cat.undo(shoot).expect("undo"),
        Some(vec![ids[0]]),
        "undo pick"
    );
    assert_eq!(
        state(&cat, ids[0]),
        Some((Flag::None, 3, None)),
        "pick undone"
    );
    assert_eq!(
        cat.undo(shoot).expect("undo"),
        Some(vec![ids[0], ids[1]]),
        "undo stars"
    );
    assert_eq!(state(&cat, ids[0]), None, "back to never decided");
    assert_eq!(state(&cat, ids[1]), None, "back to never decided");
    assert_eq!(cat.undo(shoot).expect("undo"), None, "nothing left to undo");

    assert_eq!(
        cat.redo(shoot).expect("redo"),
        Some(vec![ids[0], ids[1]]),
        "redo stars"
    );
    assert_eq!(
        state(&cat, ids[1]),
        Some((Flag::None, 3, None)),
        "stars redone"
    );

    // A new action drops the redo stack (the undone "pick").
    cat.decide(
        shoot,
        &[ids[2]],
        DecisionChange::Label(Some(ColorLabel::Blue)),
    )
    .expect("label");
    assert_eq!(cat.redo(shoot).expect("redo"), None, "redo stack dropped");
    assert_eq!(
        cat.undo(shoot).expect("undo"),
        Some(vec![ids[2]]),
        "undo label"
    );
    assert_eq!(
        cat.undo(shoot).expect("undo"),
        Some(vec![ids[0], ids[1]]),
        "undo stars"
    );
    assert_eq!(
        cat.undo(shoot).expect("undo"),
        None,
        "the dropped pick is gone for good"
    );
}

#[test]
fn undo_is_per_shoot() {
    let mut cat = Catalog::open_in_memory().expect("open");
    let (shoot, ids) = shoot_with_photos(&mut cat);
    let other = cat.shoot(Path::new("/elsewhere")).expect("other");
    let other_ids = cat.sync_photos(other, &[key("x.jpg", 1, 1)]).expect("sync");
    cat.decide(shoot, &ids[..1], DecisionChange::Stars(1))
        .expect("a");
    cat.decide(other, &other_ids, DecisionChange::Stars(2))
        .expect("b");
    assert_eq!(
        cat.undo(shoot).expect("undo"),
        Some(vec![ids[0]]),
        "undo in shoot"
    );
    assert_eq!(
        cat.decisions(other).expect("other")[&other_ids[0]].stars,
        2,
        "the other shoot is untouched"
    );
}

#[test]
fn decide_rejects_bad_requests() {
    let mut cat = Catalog::open_in_memory().expect("open");
    let (shoot, ids) = shoot_with_photos(&mut cat);
    let other = cat.shoot(Path::new("/elsewhere")).expect("other");
    let other_ids = cat.sync_photos(other, &[key("x.jpg", 1, 1)]).expect("sync");

    let cases: [(&str, ShootId, Vec<PhotoId>, DecisionChange); 5] = [
        ("six stars", shoot, ids.clone(), DecisionChange::Stars(6)),
        ("empty selection", shoot, vec![], DecisionChange::Stars(1)),
        (
            "unknown photo",
            shoot,
            vec![ids[0], PhotoId(999)],
            DecisionChange::Stars(1),
        ),
        (
            "photo of another shoot",
            shoot,
            vec![ids[0], other_ids[0]],
            DecisionChange::Stars(1),
        ),
        (
            "unknown shoot",
            ShootId(999),
            ids.clone(),
            DecisionChange::Stars(1),
        ),
    ];
    for (name, shoot, photos, change) in cases {
        let err = cat.decide(shoot, &photos, change).expect_err(name);
        let expected = match name {
            "six stars" => matches!(err, Error::InvalidStars(6)),
            "empty selection" => matches!(err, Error::EmptySelection),
            "unknown photo" => matches!(err, Error::UnknownPhoto(PhotoId(999))),
            "photo of another shoot" => matches!(err, Error::PhotoNotInShoot { .. }),
            _ => matches!(err, Error::UnknownShoot(ShootId(999))),
        };
        assert!(expected, "case {name}: got {err:?}");
    }
    assert_eq!(count(&cat, "decisions"), 0, "nothing was written");
    assert_eq!(count(&cat, "decision_log"), 0, "nothing was logged");
}

#[test]
fn repeated_photos_in_a_selection_count_once() {
    let mut cat = Catalog::open_in_memory().expect("open");
    let (shoot, ids) = shoot_with_photos(&mut cat);
    cat.decide(shoot, &[ids[0], ids[0], ids[1]], DecisionChange::Stars(2))
        .expect("decide");
    assert_eq!(cat.undo(shoot).expect("undo"), Some(vec![ids[0], ids[1]]));
}

#[test]
fn forget_shoot_removes_every_row_of_it() {
    let mut cat = Catalog::open_in_memory().expect("open");
    let (shoot, ids) = shoot_with_photos(&mut cat);
    let keep = cat.shoot(Path::new("/keep")).expect("keep");
    let keep_ids = cat.sync_photos(keep, &[key("k.jpg", 1, 1)]).expect("sync");
    cat.decide(shoot, &ids, DecisionChange::Stars(1))
        .expect("decide");
    cat.decide(keep, &keep_ids, DecisionChange::Stars(1))
        .expect("decide");
    cat.store_analyses(&[StoredAnalysis {
        photo: ids[0],
        version: 1,
        size: 100,
        mtime_ns: 1,
        data: vec![0; 10],
    }])
    .expect("store");

    cat.forget_shoot(shoot).expect("forget");
    let cases = [
        ("shoots", 1),
        ("photos", 1),
        ("analyses", 0),
        ("decisions", 1),
        ("decision_log", 1),
    ];
    for (table, expected) in cases {
        assert_eq!(count(&cat, table), expected, "rows left in {table}");
    }
    assert!(
        matches!(cat.forget_shoot(shoot), Err(Error::UnknownShoot(_))),
        "forgetting twice"
    );
}

#[test]
fn settings_round_trip() {
    let mut cat = Catalog::open_in_memory().expect("open");
    assert_eq!(cat.setting("theme").expect("get"), None, "unset");
    cat.set_setting("theme", "dark").expect("set");
    cat.set_setting("theme", "light").expect("replace");
    assert_eq!(
        cat.setting("theme").expect("get").as_deref(),
        Some("light"),
        "replaced"
    );
}

#[test]
fn two_handles_on_one_file_write_concurrently() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join("catalog.sqlite");
    let (shoot, ids) = {
        let mut cat = Catalog::open(&path).expect("open");
        let shoot = cat.shoot(Path::new("/shared")).expect("shoot");
        let files: Vec<_> = (0..40).map(|i| key(&format!("{i}.jpg"), 1, 1)).collect();
        (shoot, cat.sync_photos(shoot, &files).expect("sync"))
    };

    // Two writers (think CLI and app) on separate handles, interleaving decisions, analyses
    // and reads. With WAL and BEGIN IMMEDIATE + busy_timeout none of them may fail.
    let handles: Vec<_> = [0usize, 1]
        .into_iter()
        .map(|which| {
            let path = path.clone();
            let mine: Vec<PhotoId> = ids.iter().copied().skip(which).step_by(2).collect();
            std::thread::spawn(move || {
                let mut cat = Catalog::open(&path).expect("open in thread");
                for (round, photo) in mine.iter().enumerate() {
                    let stars = u8::try_from(round % 5 + 1).expect("small");
                    cat.decide(shoot, &[*photo], DecisionChange::Stars(stars))
                        .expect("decide");
                    cat.store_analyses(&[StoredAnalysis {
                        photo: *photo,
                        version: 1,
                        size: 1,
                        mtime_ns: 1,
                        data: vec![u8::try_from(which).expect("0 or 1"); 4096],
                    }])
                    .expect("store");
                    cat.decisions(shoot).expect("read while the other writes");
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("writer thread");
    }

    let cat = Catalog::open(&path).expect("reopen");
    assert_eq!(
        cat.decisions(shoot).expect("decisions").len(),
        40,
        "every decision"
    );
    assert_eq!(
        cat.cached_analyses(shoot, 1).expect("cached").len(),
        40,
        "every analysis"
    );
    assert_eq!(cat.integrity_check().expect("check"), vec!["ok".to_owned()]);
}

#[test]
fn catalog_can_move_to_another_thread() {
    // Front ends keep a handle in shared state (behind a Mutex) or on a worker thread.
    fn assert_send<T: Send>() {}
    assert_send::<Catalog>();
}

#[test]
fn stored_analyses_are_replaced_not_duplicated() {
    let mut cat = Catalog::open_in_memory().expect("open");
    let (shoot, ids) = shoot_with_photos(&mut cat);
    for data in [b"first".to_vec(), b"second".to_vec()] {
        cat.store_analyses(&[StoredAnalysis {
            photo: ids[0],
            version: 2,
            size: 100,
            mtime_ns: 1,
            data,
        }])
        .expect("store");
    }
    assert_eq!(count(&cat, "analyses"), 1, "one row per photo");
    assert_eq!(
        cat.cached_analyses(shoot, 2).expect("cached")[&ids[0]],
        b"second".to_vec(),
        "the newer analysis wins"
    );
}

// ---- consents and contributions ----

fn consent(accepted_at_ms: i64) -> Consent {
    Consent {
        terms_version: 1,
        accepted_at_ms,
        minor_with_parental_permission: false,
        buckets_json: "{}".to_owned(),
        withdrawn_at_ms: None,
    }
}

fn contribution(anonymous_id: &str, state: ContributionState) -> Contribution {
    Contribution {
        anonymous_id: anonymous_id.to_owned(),
        collector: "https://collector.example".to_owned(),
        bundle_id: None,
        image_count: 3,
        created_at_ms: 1_000,
        sent_at_ms: None,
        state,
        datasets: Vec::new(),
        last_error: None,
    }
}

#[test]
fn consents_round_trip_in_order() {
    let cases = [
        ("adult, no buckets", consent(1_000)),
        (
            "teen with permission and buckets",
            Consent {
                terms_version: 2,
                accepted_at_ms: 2_000,
                minor_with_parental_permission: true,
                buckets_json: r#"{"age_decade":"10-19","skin_type":"IV"}"#.to_owned(),
                withdrawn_at_ms: None,
            },
        ),
        (
            "already withdrawn",
            Consent {
                withdrawn_at_ms: Some(3_500),
                ..consent(3_000)
            },
        ),
        ("same time as another", consent(1_000)),
    ];
    let mut cat = Catalog::open_in_memory().expect("open");
    assert_eq!(cat.consents().expect("list"), vec![], "none by default");
    assert_eq!(
        cat.current_consent().expect("current"),
        None,
        "off by default"
    );
    for (name, c) in &cases {
        cat.record_consent(c)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let stored = cat.consents().expect("list");
    assert_eq!(stored.len(), cases.len(), "one row per consent");
    for ((name, expected), got) in cases.iter().zip(&stored) {
        assert_eq!(got, expected, "case {name}");
    }
    assert_eq!(
        cat.current_consent().expect("current"),
        Some(cases[3].1.clone()),
        "the newest consent not withdrawn"
    );
}

#[test]
fn withdrawing_marks_open_consents_only() {
    let mut cat = Catalog::open_in_memory().expect("open");
    cat.record_consent(&Consent {
        withdrawn_at_ms: Some(50),
        ..consent(10)
    })
    .expect("withdrawn earlier");
    cat.record_consent(&consent(100)).expect("open one");
    cat.record_consent(&consent(200)).expect("open two");

    assert_eq!(cat.withdraw_consents(300).expect("withdraw"), 2, "two open");
    assert_eq!(
        cat.current_consent().expect("current"),
        None,
        "none in force"
    );
    let withdrawn: Vec<_> = cat
        .consents()
        .expect("list")
        .iter()
        .map(|c| c.withdrawn_at_ms)
        .collect();
    assert_eq!(
        withdrawn,
        vec![Some(50), Some(300), Some(300)],
        "an earlier withdrawal keeps its time"
    );
    assert_eq!(
        cat.withdraw_consents(400).expect("again"),
        0,
        "nothing left"
    );

    cat.record_consent(&consent(500)).expect("consent again");
    assert_eq!(
        cat.current_consent()
            .expect("current")
            .map(|c| c.accepted_at_ms),
        Some(500),
        "a new consent after withdrawal is in force"
    );
}

#[test]
fn contribution_fields_round_trip() {
    let full = Contribution {
        bundle_id: Some("b-0001".to_owned()),
        sent_at_ms: Some(2_000),
        datasets: vec!["2025-q1".to_owned(), "eyes \"open\" ✓".to_owned()],
        last_error: Some("collector unreachable after 3 attempts".to_owned()),
        ..contribution("full", ContributionState::Received)
    };
    let mut cases: Vec<(String, Contribution)> = ContributionState::ALL
        .into_iter()
        .map(|state| {
            (
                format!("state {state}"),
                contribution(state.as_str(), state),
            )
        })
        .collect();
    cases.push(("every optional field set".to_owned(), full));
    cases.push((
        "no photos".to_owned(),
        Contribution {
            image_count: 0,
            ..contribution("empty", ContributionState::Discarded)
        },
    ));

    let mut cat = Catalog::open_in_memory().expect("open");
    for (name, record) in &cases {
        cat.upsert_contribution(record)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let stored = cat.contributions().expect("list");
    assert_eq!(stored.len(), cases.len(), "one row per anonymous id");
    for ((name, expected), got) in cases.iter().zip(&stored) {
        assert_eq!(got, expected, "case {name}");
    }
}

#[test]
fn upserting_a_contribution_replaces_it_in_place() {
    let mut cat = Catalog::open_in_memory().expect("open");
    let steps = [
        contribution("a", ContributionState::Staged),
        contribution("b", ContributionState::Staged),
        Contribution {
            bundle_id: Some("bundle-a".to_owned()),
            sent_at_ms: Some(5_000),
            datasets: vec!["d1".to_owned()],
            ..contribution("a", ContributionState::Received)
        },
        Contribution {
            last_error: Some("not sent within 30 days".to_owned()),
            ..contribution("b", ContributionState::Discarded)
        },
    ];
    for record in &steps {
        cat.upsert_contribution(record).expect("upsert");
    }
    let stored = cat.contributions().expect("list");
    let cases = [("a", &steps[2]), ("b", &steps[3])];
    assert_eq!(stored.len(), cases.len(), "upsert by anonymous id");
    for ((id, expected), got) in cases.iter().zip(&stored) {
        assert_eq!(
            got, *expected,
            "record {id}: latest version, first position"
        );
    }
    assert_eq!(count(&cat, "contributions"), 2, "no duplicate rows");
}

#[test]
fn the_network_log_keeps_each_request_and_how_it_ended() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join("catalog.sqlite");
    let request = |purpose: &str, attempt: u32| NetworkRequest {
        started_at_ms: 1_700_000_000_000 + i64::from(attempt),
        collector: "https://collector.example.org".to_owned(),
        method: "POST".to_owned(),
        purpose: purpose.to_owned(),
        attempt,
        bytes_sent: 123_456,
        outcome: None,
    };
    let ok = RequestOutcome {
        finished_at_ms: 1_700_000_000_900,
        bytes_received: 78,
        status: Some(201),
        error: None,
    };
    let failed = RequestOutcome {
        finished_at_ms: 1_700_000_000_500,
        bytes_received: 0,
        status: None,
        error: Some("connection refused".to_owned()),
    };
    {
        let mut cat = Catalog::open(&path).expect("open");
        assert_eq!(
            cat.network_requests().expect("list"),
            vec![],
            "empty at first"
        );
        let first = cat
            .begin_request(&request("upload bundle a", 1))
            .expect("begin");
        let second = cat
            .begin_request(&request("upload bundle a", 2))
            .expect("begin");
        cat.begin_request(&request("fetch the collector key", 1))
            .expect("begin, never finished");
        cat.finish_request(first, &failed).expect("finish");
        cat.finish_request(second, &ok).expect("finish");
    }
    let cat = Catalog::open(&path).expect("reopen");
    let cases = [
        (
            "failed first try",
            request("upload bundle a", 1),
            Some(failed),
        ),
        ("answered retry", request("upload bundle a", 2), Some(ok)),
        ("interrupted", request("fetch the collector key", 1), None),
    ];
    let stored = cat.network_requests().expect("list");
    assert_eq!(stored.len(), cases.len(), "one row per request");
    for ((name, expected, outcome), got) in cases.into_iter().zip(stored) {
        assert_eq!(
            got,
            NetworkRequest {
                outcome,
                ..expected
            },
            "case {name}"
        );
    }
}

#[test]
fn merging_records_skips_known_ones_and_is_idempotent() {
    let mut cat = Catalog::open_in_memory().expect("open");
    // Already in the catalog: a newer view of consent 100 and of bundle "a".
    cat.record_consent(&Consent {
        withdrawn_at_ms: Some(150),
        ..consent(100)
    })
    .expect("known consent");
    cat.upsert_contribution(&contribution("a", ContributionState::Deleted))
        .expect("known contribution");

    let consents = [consent(100), consent(200)];
    let contributions = [
        contribution("a", ContributionState::Received),
        contribution("b", ContributionState::Staged),
    ];
    let first = cat
        .merge_contribution_records(&consents, &contributions)
        .expect("merge");
    assert_eq!(
        first,
        MergedRecords {
            consents: 1,
            contributions: 1
        },
        "only the unknown records are added"
    );
    let again = cat
        .merge_contribution_records(&consents, &contributions)
        .expect("merge again");
    assert_eq!(again, MergedRecords::default(), "second merge adds nothing");

    let stored_consents: Vec<_> = cat
        .consents()
        .expect("consents")
        .iter()
        .map(|c| (c.accepted_at_ms, c.withdrawn_at_ms))
        .collect();
    assert_eq!(
        stored_consents,
        vec![(100, Some(150)), (200, None)],
        "the catalog's consent wins"
    );
    let states: Vec<_> = cat
        .contributions()
        .expect("contributions")
        .iter()
        .map(|c| (c.anonymous_id.clone(), c.state))
        .collect();
    assert_eq!(
        states,
        vec![
            ("a".to_owned(), ContributionState::Deleted),
            ("b".to_owned(), ContributionState::Staged),
        ],
        "the catalog's contribution wins"
    );
}

#[test]
fn corrupt_ledger_values_are_named() {
    let cases = [
        (
            "terms version beyond u32",
            "UPDATE consents SET terms_version = 5000000000",
            "consents.terms_version",
        ),
        (
            "image count beyond u32",
            "UPDATE contributions SET image_count = 5000000000",
            "contributions.image_count",
        ),
        (
            "datasets not JSON",
            "UPDATE contributions SET datasets_json = 'd1, d2'",
            "contributions.datasets_json",
        ),
        (
            "datasets not a list of strings",
            "UPDATE contributions SET datasets_json = '[1, 2]'",
            "contributions.datasets_json",
        ),
    ];
    for (name, sql, expected) in cases {
        let mut cat = Catalog::open_in_memory().expect("open");
        cat.record_consent(&consent(1)).expect("consent");
        cat.upsert_contribution(&contribution("a", ContributionState::Staged))
            .expect("contribution");
        cat.conn.execute(sql, []).expect("corrupt");
        let err = if expected.starts_with("consents") {
            cat.consents().expect_err(name)
        } else {
            cat.contributions().expect_err(name)
        };
        assert!(
            matches!(err, Error::CorruptValue { context, .. } if context == expected),
            "case {name}: got {err:?}"
        );
    }
}

#[test]
fn ledger_tables_have_no_secret_columns() {
    // Receipt tokens, idempotency keys and keys stay in the contribution vault (encrypted).
    let cat = Catalog::open_in_memory().expect("open");
    for table in ["consents", "contributions"] {
        let mut stmt = cat
            .conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .expect("table info");
        let columns: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .expect("columns")
            .collect::<rusqlite::Result<_>>()
            .expect("columns");
        assert!(!columns.is_empty(), "table {table} exists");
        for column in &columns {
            for word in ["token", "key", "secret", "receipt", "password"] {
                assert!(
                    !column.contains(word),
                    "{table}.{column} looks like it holds a secret ({word})"
                );
            }
        }
    }
}

/// Writes a catalog exactly as a build that knew only `0001_init.sql` left it: one shoot, two
/// photos, a decision with its undo history, a setting.
fn write_v1_catalog(path: &Path) {
    let mut conn = Connection::open(path).expect("raw open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    MIGRATIONS.to_version(&mut conn, 1).expect("schema v1");
    conn.execute_batch(
        "INSERT INTO shoots (id, root, created_at, last_opened_at) VALUES (1, '/photos/old', 10, 10);
         INSERT INTO photos (id, shoot_id, rel_path, size, mtime_ns) VALUES
             (1, 1, 'a.jpg', 100, 1), (2, 1, 'b.jpg', 200, 2);
         INSERT INTO decisions (photo_id, flag, stars, label, updated_at) VALUES
             (1, 'pick', 4, 'green', 20);
         INSERT INTO decision_log (shoot_id, action_id, photo_id, before_json, after_json, at)
             VALUES (1, 1, 1, 'null', '{\"flag\":\"pick\",\"stars\":4,\"label\":\"green\"}', 20);
         INSERT INTO settings (key, value) VALUES ('theme', 'dark');",
    )
    .expect("v1 rows");
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!(version, 1, "written as v1");
}

#[test]
fn a_v1_catalog_upgrades_with_its_decisions_intact() {
    let dir = TempDir::new().expect("tempdir");
    let path = dir.path().join("catalog.sqlite");
    write_v1_catalog(&path);

    let mut cat = Catalog::open(&path).expect("open migrates");
    let version: i64 = cat
        .conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!(version, SCHEMA_VERSION, "migrated to the newest schema");

    let shoot = cat
        .find_shoot(Path::new("/photos/old"))
        .expect("find")
        .expect("shoot kept");
    let decisions = cat.decisions(shoot).expect("decisions");
    let expected = Decision {
        flag: Flag::Pick,
        stars: 4,
        label: Some(ColorLabel::Green),
        updated_at_ms: 20,
    };
    assert_eq!(decisions.len(), 1, "one decision");
    assert_eq!(decisions.get(&PhotoId(1)), Some(&expected), "decision kept");
    assert_eq!(cat.photos(shoot).expect("photos").len(), 2, "photos kept");
    assert_eq!(
        cat.setting("theme").expect("setting").as_deref(),
        Some("dark"),
        "settings kept"
    );
    assert_eq!(
        cat.undo(shoot).expect("undo"),
        Some(vec![PhotoId(1)]),
        "undo history kept"
    );
    assert!(
        cat.decisions(shoot).expect("after undo").is_empty(),
        "undone"
    );

    assert_eq!(cat.consents().expect("consents"), vec![], "no consent");
    assert_eq!(cat.contributions().expect("contributions"), vec![], "none");
    cat.record_consent(&consent(30))
        .expect("new table writable");
    cat.upsert_contribution(&contribution("a", ContributionState::Staged))
        .expect("new table writable");
    drop(cat);

    let cat = Catalog::open(&path).expect("reopen");
    assert_eq!(cat.consents().expect("consents").len(), 1, "consent kept");
    assert_eq!(
        cat.contributions().expect("contributions").len(),
        1,
        "contribution kept"
    );
    assert_eq!(cat.integrity_check().expect("check"), vec!["ok".to_owned()]);
}

#[test]
fn profiles_and_their_learning_are_kept_per_profile_and_reset_together() {
    let mut cat = Catalog::open_in_memory().expect("open");
    cat.save_profile("weddings", "name = \"weddings\"\n")
        .expect("save");
    cat.save_profile("weddings", "name = \"weddings\"\n[weights]\neyes = 2.0\n")
        .expect("replace");
    assert_eq!(
        cat.profiles().expect("list"),
        vec![(
            "weddings".to_string(),
            "name = \"weddings\"\n[weights]\neyes = 2.0\n".to_string()
        )]
    );
    let shoot = cat.shoot(Path::new("/photos/a")).expect("shoot");
    cat.record_preference("weddings", shoot, "p1", "{\"a\":1}")
        .expect("pref");
    cat.record_preference("weddings", shoot, "p1", "{\"a\":2}")
        .expect("the last word on a group counts");
    cat.record_preference("weddings", shoot, "p9", "{\"b\":1}")
        .expect("pref");
    cat.record_preference("sports", shoot, "p1", "{\"c\":1}")
        .expect("pref");
    assert_eq!(
        cat.preferences("weddings").expect("read"),
        vec!["{\"a\":2}".to_string(), "{\"b\":1}".to_string()]
    );
    cat.remove_preference("weddings", shoot, "p9")
        .expect("undo");
    assert_eq!(cat.preferences("weddings").expect("read").len(), 1);
    assert_eq!(cat.forget_preferences("weddings").expect("reset"), 1);
    assert!(cat.preferences("weddings").expect("read").is_empty());
    assert_eq!(cat.preferences("sports").expect("read").len(), 1);
    assert!(cat.delete_profile("weddings").expect("delete"));
    assert!(!cat.delete_profile("weddings").expect("gone"));
    assert!(cat.profile("weddings").expect("read").is_none());
}
