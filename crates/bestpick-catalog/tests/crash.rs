//! Crash safety: a writer killed with SIGKILL in the middle of `decide` or `store_analyses`
//! leaves a valid catalog in which every decision it reported as committed is present.
//!
//! The writer is this test binary itself, re-run with `--ignored --exact crash_writer` and the
//! catalog path in an environment variable. It prints a line after every commit; the parent
//! kills it at varying moments, reopens the catalog and checks it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use bestpick_catalog::{Catalog, DecisionChange, FileKey, PhotoId, StoredAnalysis};
use rusqlite::{Connection, OpenFlags};
use tempfile::TempDir;

const CHILD_ENV: &str = "BESTPICK_CATALOG_CRASH_DB";
const PHOTOS: usize = 12;
const PAYLOAD: usize = 32 * 1024;

/// Analysis blob of batch `n`: the batch number, then a filler derived from it, so a torn or
/// mixed write is visible.
fn payload(n: u64) -> Vec<u8> {
    let mut data = n.to_le_bytes().to_vec();
    data.resize(PAYLOAD, n.to_le_bytes()[0] ^ 0x5a);
    data
}

fn files() -> Vec<FileKey> {
    (0..PHOTOS)
        .map(|i| FileKey {
            rel_path: format!("IMG_{i:04}.JPG"),
            size: 1000 + i as u64,
            mtime_ns: 1_700_000_000_000_000_000,
        })
        .collect()
}

fn stars_for(n: u64) -> u8 {
    u8::try_from(n % 5 + 1).expect("1..=5")
}

#[test]
#[ignore = "child process of kill_during_writes_leaves_a_valid_catalog"]
fn crash_writer() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let mut cat = Catalog::open(Path::new(&path)).expect("open");
    let shoot = cat.shoot(Path::new("/crash/test")).expect("shoot");
    let ids = cat.sync_photos(shoot, &files()).expect("sync");
    let start = cat
        .setting("next_round")
        .expect("setting")
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for n in start.. {
        let photo = ids[usize::try_from(n).expect("small") % PHOTOS];
        let action = cat
            .decide(shoot, &[photo], DecisionChange::Stars(stars_for(n)))
            .expect("decide");
        writeln!(out, "decided {} {} {}", action.0, photo.0, stars_for(n)).expect("stdout");
        out.flush().expect("flush");

        let batch: Vec<_> = ids
            .iter()
            .map(|&photo| StoredAnalysis {
                photo,
                version: 1,
                size: 1,
                mtime_ns: 1,
                data: payload(n),
            })
            .collect();
        cat.store_analyses(&batch).expect("store");
        writeln!(out, "stored {n}").expect("stdout");
        out.flush().expect("flush");
        cat.set_setting("next_round", &(n + 1).to_string())
            .expect("setting");
    }
}

/// What the parent learned from the child's output.
#[derive(Default)]
struct Seen {
    /// Committed decisions: (action id, photo id, stars).
    decided: Vec<(i64, i64, u8)>,
    /// Newest committed analysis batch.
    stored: Option<u64>,
}

impl Seen {
    fn take(&mut self, line: &str) -> bool {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["decided", action, photo, stars] => {
                self.decided.push((
                    action.parse().expect("action"),
                    photo.parse().expect("photo"),
                    stars.parse().expect("stars"),
                ));
                true
            }
            ["stored", n] => {
                self.stored = Some(n.parse().expect("batch"));
                false
            }
            _ => false,
        }
    }
}

#[test]
fn kill_during_writes_leaves_a_valid_catalog() {
    let dir = TempDir::new().expect("tempdir");
    let db = dir.path().join("catalog.sqlite");
    let exe = std::env::current_exe().expect("test binary");
    let mut seen = Seen::default();

    for round in 0..10u64 {
        let mut child = Command::new(&exe)
            .args([
                "crash_writer",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn writer");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();

        // Wait for a few commits, then let it run a varying little while so the kill lands
        // at different points of a write.
        let target = 3 + round % 4;
        let mut decided = 0;
        while decided < target {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("round {round}: writer stopped early"))
                .expect("read line");
            if seen.take(&line) {
                decided += 1;
            }
        }
        std::thread::sleep(Duration::from_micros(900 * round + 100));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        // Lines written before the kill were committed too.
        for line in lines.map_while(Result::ok) {
            seen.take(&line);
        }

        verify(&db, &seen, round);
    }
}

fn verify(db: &Path, seen: &Seen, round: u64) {
    let cat = Catalog::open(db).expect("reopen after kill");
    assert_eq!(
        cat.integrity_check().expect("integrity_check"),
        vec!["ok".to_owned()],
        "round {round}: integrity"
    );

    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("raw");
    // Every reported decision is in the history, not undone.
    let mut logged = conn
        .prepare("SELECT COUNT(*) FROM decision_log WHERE action_id = ?1 AND photo_id = ?2 AND undone = 0")
        .expect("prepare");
    for &(action, photo, _) in &seen.decided {
        let n: i64 = logged
            .query_row([action, photo], |r| r.get(0))
            .expect("query");
        assert_eq!(
            n, 1,
            "round {round}: action {action} on photo {photo} is logged"
        );
    }

    // Each photo shows its newest decision: the last one reported, or one committed just
    // before the kill that the parent did not get to read.
    let shoot = cat
        .find_shoot(Path::new("/crash/test"))
        .expect("find")
        .expect("shoot exists");
    let decisions = cat.decisions(shoot).expect("decisions");
    let mut newest_reported: HashMap<i64, (i64, u8)> = HashMap::new();
    for &(action, photo, stars) in &seen.decided {
        newest_reported.insert(photo, (action, stars));
    }
    let mut newest_logged = conn
        .prepare(
            "SELECT action_id, after_json FROM decision_log WHERE photo_id = ?1
             ORDER BY action_id DESC LIMIT 1",
        )
        .expect("prepare");
    for (&photo, &(action, stars)) in &newest_reported {
        let (logged_action, after): (i64, String) = newest_logged
            .query_row([photo], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("newest log row");
        let current = decisions
            .get(&PhotoId(photo))
            .unwrap_or_else(|| panic!("round {round}: photo {photo} lost its decision"));
        assert!(
            logged_action >= action,
            "round {round}: photo {photo} history is current"
        );
        if logged_action == action {
            assert_eq!(current.stars, stars, "round {round}: photo {photo} stars");
        }
        let after: serde_json::Value = serde_json::from_str(&after).expect("after_json");
        assert_eq!(
            after["stars"],
            i64::from(current.stars),
            "round {round}: photo {photo} decision matches its newest history entry"
        );
    }

    // Analyses: each batch is one transaction, so every row comes from the same batch and
    // no blob is torn.
    let mut stmt = conn.prepare("SELECT data FROM analyses").expect("prepare");
    let blobs: Vec<Vec<u8>> = stmt
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    if let Some(stored) = seen.stored {
        assert_eq!(
            blobs.len(),
            PHOTOS,
            "round {round}: a full batch is present"
        );
        let batch = u64::from_le_bytes(blobs[0][..8].try_into().expect("8 bytes"));
        assert!(
            batch >= stored,
            "round {round}: batch {batch} is at least reported {stored}"
        );
        for blob in &blobs {
            assert_eq!(
                *blob,
                payload(batch),
                "round {round}: rows of one intact batch"
            );
        }
    }
}
