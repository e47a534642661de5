//! Where bundles live: the [`Store`] trait and the embedded default, files + SQLite in one dir.
//!
//! Bundles are kept exactly as received: HPKE-sealed to the collector key, so they are
//! encrypted at rest. The database holds only ids, hashes (receipt, idempotency key, body),
//! counts, times needed for retention, and which datasets used which bundle. No client IP
//! address is ever written.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

/// Store errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed.
    #[error("store database {path}: {source}")]
    Db {
        /// Database file.
        path: PathBuf,
        /// Cause.
        source: rusqlite::Error,
    },
    /// A bundle file could not be read or written.
    #[error("store file {path}: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The idempotency key was already used (by a concurrent request).
    #[error("idempotency key already used")]
    DuplicateIdempotencyKey,
}

/// Store result.
pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// A bundle to insert.
#[derive(Debug, Clone)]
pub struct NewBundle {
    /// Collector-assigned id (32 hex).
    pub id: String,
    /// SHA-256 (hex) of the contributor's receipt token.
    pub receipt_hash: String,
    /// SHA-256 (hex) of the idempotency key.
    pub idempotency_hash: String,
    /// SHA-256 (hex) of the sealed body.
    pub body_hash: String,
    /// Number of images in the bundle.
    pub image_count: u32,
    /// Unix seconds; used only for the 5-year retention.
    pub received_at: i64,
    /// The bundle as received (HPKE-sealed).
    pub sealed: Vec<u8>,
}

/// A bundle's state as the contributor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BundleState {
    /// Stored and available to exports.
    Received,
    /// Deleted on the contributor's request; only a tombstone remains.
    Deleted,
}

/// What the store knows about one bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleInfo {
    /// Id.
    pub id: String,
    /// State.
    pub state: BundleState,
    /// SHA-256 (hex) of the receipt token.
    pub receipt_hash: String,
    /// Number of images.
    pub image_count: u32,
    /// Datasets that used it (sorted).
    pub datasets: Vec<String>,
}

/// What a retention purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Bundles (and tombstones) older than the bundle retention.
    pub bundles: usize,
    /// Access-log rows older than the log retention.
    pub access_log_rows: usize,
}

/// Bundle retention: 5 years.
pub const BUNDLE_RETENTION_SECS: i64 = 5 * 365 * 24 * 3600 + 24 * 3600;
/// Access-log retention: 90 days.
pub const ACCESS_LOG_RETENTION_SECS: i64 = 90 * 24 * 3600;

/// Storage behind the collector. The default is [`DirStore`]; the same operations map onto
/// object storage plus a server database when one machine is outgrown.
pub trait Store: Send + Sync + 'static {
    /// The bundle id and body hash stored under an idempotency-key hash, if any.
    fn find_idempotent(&self, idempotency_hash: &str) -> StoreResult<Option<(String, String)>>;
    /// Stores a new bundle.
    fn insert(&self, bundle: NewBundle) -> StoreResult<()>;
    /// Looks a bundle up.
    fn info(&self, id: &str) -> StoreResult<Option<BundleInfo>>;
    /// Deletes a bundle and everything derived from it (stored file, exported copies,
    /// dataset links, idempotency entry), leaving a tombstone. Returns false if unknown.
    fn delete(&self, id: &str) -> StoreResult<bool>;
    /// Ids of bundles in state received, oldest first.
    fn live_bundles(&self) -> StoreResult<Vec<String>>;
    /// The sealed bytes of a live bundle.
    fn sealed(&self, id: &str) -> StoreResult<Vec<u8>>;
    /// Records that `dataset` used bundle `id`, with the files the export wrote for it.
    fn record_export(&self, dataset: &str, id: &str, files: &[PathBuf], at: i64)
    -> StoreResult<()>;
    /// Appends to the access log (who exported what).
    fn log_access(&self, at: i64, actor: &str, action: &str) -> StoreResult<()>;
    /// Access-log rows `(at, actor, action)`, oldest first.
    fn access_log(&self) -> StoreResult<Vec<(i64, String, String)>>;
    /// Removes bundles older than 5 years and access-log rows older than 90 days.
    fn purge(&self, now: i64) -> StoreResult<PurgeReport>;
}

/// Files + SQLite in one directory: `bundles/<id>.sealed` and `collector.sqlite`.
pub struct DirStore {
    dir: PathBuf,
    db_path: PathBuf,
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bundles (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('received', 'deleted')),
    receipt_hash TEXT NOT NULL,
    image_count INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key_hash TEXT PRIMARY KEY,
    bundle_id TEXT NOT NULL REFERENCES bundles(id) ON DELETE CASCADE,
    body_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dataset_uses (
    bundle_id TEXT NOT NULL REFERENCES bundles(id) ON DELETE CASCADE,
    dataset TEXT NOT NULL,
    used_at INTEGER NOT NULL,
    PRIMARY KEY (bundle_id, dataset)
);
CREATE TABLE IF NOT EXISTS export_files (
    bundle_id TEXT NOT NULL REFERENCES bundles(id) ON DELETE CASCADE,
    path TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS access_log (
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL
);
";

impl DirStore {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> StoreResult<DirStore> {
        let bundles = dir.join("bundles");
        std::fs::create_dir_all(&bundles).map_err(|source| StoreError::Io {
            path: bundles.clone(),
            source,
        })?;
        let db_path = dir.join("collector.sqlite");
        let db = |source| StoreError::Db {
            path: db_path.clone(),
            source,
        };
        let conn = Connection::open(&db_path).map_err(db)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        Ok(DirStore {
            dir: dir.to_owned(),
            db_path,
            conn: Mutex::new(conn),
        })
    }

    fn bundle_path(&self, id: &str) -> PathBuf {
        self.dir.join("bundles").join(format!("{id}.sealed"))
    }

    fn db(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Db {
            path: self.db_path.clone(),
            source,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back).
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn remove_file(path: &Path) -> StoreResult<()> {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StoreError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Removes exported copies and the stored file of `id`; the caller updates the rows.
    fn remove_derived(&self, conn: &Connection, id: &str) -> StoreResult<()> {
        let mut stmt = conn
            .prepare("SELECT path FROM export_files WHERE bundle_id = ?1")
            .map_err(|e| self.db(e))?;
        let paths: Vec<String> = stmt
            .query_map([id], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))?;
        for path in paths {
            let path = PathBuf::from(path);
            Self::remove_file(&path)?;
            // Remove the export's per-bundle folders when they end up empty.
            let mut dir = path.parent();
            while let Some(d) = dir {
                if std::fs::remove_dir(d).is_err() {
                    break;
                }
                if d.file_name().is_some_and(|n| n == id) {
                    break;
                }
                dir = d.parent();
            }
        }
        Self::remove_file(&self.bundle_path(id))
    }
}

impl Store for DirStore {
    fn find_idempotent(&self, idempotency_hash: &str) -> StoreResult<Option<(String, String)>> {
        self.lock()
            .query_row(
                "SELECT bundle_id, body_hash FROM idempotency_keys WHERE key_hash = ?1",
                [idempotency_hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.db(e))
    }

    fn insert(&self, b: NewBundle) -> StoreResult<()> {
        let path = self.bundle_path(&b.id);
        let tmp = path.with_extension("partial");
        std::fs::write(&tmp, &b.sealed).map_err(|source| StoreError::Io {
            path: tmp.clone(),
            source,
        })?;
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.db(e))?;
        tx.execute(
            "INSERT INTO bundles (id, state, receipt_hash, image_count, received_at)
             VALUES (?1, 'received', ?2, ?3, ?4)",
            params![b.id, b.receipt_hash, b.image_count, b.received_at],
        )
        .map_err(|e| self.db(e))?;
        match tx.execute(
            "INSERT INTO idempotency_keys (key_hash, bundle_id, body_hash) VALUES (?1, ?2, ?3)",
            params![b.idempotency_hash, b.id, b.body_hash],
        ) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                drop(tx);
                Self::remove_file(&tmp)?;
                return Err(StoreError::DuplicateIdempotencyKey);
            }
            Err(e) => return Err(self.db(e)),
        }
        std::fs::rename(&tmp, &path).map_err(|source| StoreError::Io { path, source })?;
        tx.commit().map_err(|e| self.db(e))
    }

    fn info(&self, id: &str) -> StoreResult<Option<BundleInfo>> {
        let conn = self.lock();
        let row = conn
            .query_row(
                "SELECT state, receipt_hash, image_count FROM bundles WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, u32>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.db(e))?;
        let Some((state, receipt_hash, image_count)) = row else {
            return Ok(None);
        };
        let mut stmt = conn
            .prepare("SELECT dataset FROM dataset_uses WHERE bundle_id = ?1 ORDER BY dataset")
            .map_err(|e| self.db(e))?;
        let datasets = stmt
            .query_map([id], |r| r.get(0))
            .and_then(|rows| rows.collect::<Result<Vec<String>, _>>())
            .map_err(|e| self.db(e))?;
        let state = if state == "received" {
            BundleState::Received
        } else {
            BundleState::Deleted
        };
        Ok(Some(BundleInfo {
            id: id.to_owned(),
            state,
            receipt_hash,
            image_count,
            datasets,
        }))
    }

    fn delete(&self, id: &str) -> StoreResult<bool> {
        let mut conn = self.lock();
        let exists = conn
            .query_row("SELECT 1 FROM bundles WHERE id = ?1", [id], |_| Ok(()))
            .optional()
            .map_err(|e| self.db(e))?
            .is_some();
        if !exists {
            return Ok(false);
        }
        self.remove_derived(&conn, id)?;
        let tx = conn.transaction().map_err(|e| self.db(e))?;
        for sql in [
            "DELETE FROM export_files WHERE bundle_id = ?1",
            "DELETE FROM dataset_uses WHERE bundle_id = ?1",
            "DELETE FROM idempotency_keys WHERE bundle_id = ?1",
            "UPDATE bundles SET state = 'deleted' WHERE id = ?1",
        ] {
            tx.execute(sql, [id]).map_err(|e| self.db(e))?;
        }
        tx.commit().map_err(|e| self.db(e))?;
        Ok(true)
    }

    fn live_bundles(&self) -> StoreResult<Vec<String>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT id FROM bundles WHERE state = 'received' ORDER BY received_at, id")
            .map_err(|e| self.db(e))?;
        stmt.query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))
    }

    fn sealed(&self, id: &str) -> StoreResult<Vec<u8>> {
        let path = self.bundle_path(id);
        std::fs::read(&path).map_err(|source| StoreError::Io { path, source })
    }

    fn record_export(
        &self,
        dataset: &str,
        id: &str,
        files: &[PathBuf],
        at: i64,
    ) -> StoreResult<()> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.db(e))?;
        tx.execute(
            "INSERT OR IGNORE INTO dataset_uses (bundle_id, dataset, used_at) VALUES (?1, ?2, ?3)",
            params![id, dataset, at],
        )
        .map_err(|e| self.db(e))?;
        for f in files {
            tx.execute(
                "INSERT INTO export_files (bundle_id, path) VALUES (?1, ?2)",
                params![id, f.to_string_lossy()],
            )
            .map_err(|e| self.db(e))?;
        }
        tx.commit().map_err(|e| self.db(e))
    }

    fn log_access(&self, at: i64, actor: &str, action: &str) -> StoreResult<()> {
        self.lock()
            .execute(
                "INSERT INTO access_log (at, actor, action) VALUES (?1, ?2, ?3)",
                params![at, actor, action],
            )
            .map(drop)
            .map_err(|e| self.db(e))
    }

    fn access_log(&self) -> StoreResult<Vec<(i64, String, String)>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT at, actor, action FROM access_log ORDER BY at, rowid")
            .map_err(|e| self.db(e))?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(|rows| rows.collect())
            .map_err(|e| self.db(e))
    }

    fn purge(&self, now: i64) -> StoreResult<PurgeReport> {
        let old: Vec<String> = {
            let conn = self.lock();
            let mut stmt = conn
                .prepare("SELECT id FROM bundles WHERE received_at < ?1")
                .map_err(|e| self.db(e))?;
            stmt.query_map([now - BUNDLE_RETENTION_SECS], |r| r.get(0))
                .and_then(|rows| rows.collect::<Result<_, _>>())
                .map_err(|e| self.db(e))?
        };
        for id in &old {
            self.delete(id)?;
            self.lock()
                .execute("DELETE FROM bundles WHERE id = ?1", [id])
                .map_err(|e| self.db(e))?;
        }
        let access_log_rows = self
            .lock()
            .execute(
                "DELETE FROM access_log WHERE at < ?1",
                [now - ACCESS_LOG_RETENTION_SECS],
            )
            .map_err(|e| self.db(e))?;
        Ok(PurgeReport {
            bundles: old.len(),
            access_log_rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_bundle(id: char, at: i64) -> NewBundle {
        NewBundle {
            id: id.to_string().repeat(32),
            receipt_hash: "r".repeat(64),
            idempotency_hash: format!("{id}-idem"),
            body_hash: "b".into(),
            image_count: 2,
            received_at: at,
            sealed: vec![1, 2, 3],
        }
    }

    #[test]
    fn insert_delete_purge() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirStore::open(dir.path()).unwrap();
        let now = 2_000_000_000;
        store
            .insert(new_bundle('a', now - BUNDLE_RETENTION_SECS - 10))
            .unwrap();
        store.insert(new_bundle('b', now - 10)).unwrap();
        let a = "a".repeat(32);
        let b = "b".repeat(32);
        assert_eq!(store.sealed(&b).unwrap(), vec![1, 2, 3], "payload stored");
        assert!(
            store.insert(new_bundle('b', now)).is_err(),
            "same id/idempotency key twice"
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
        assert!(!store.delete(&"c".repeat(32)).unwrap(), "delete unknown");

        store
            .log_access(now - ACCESS_LOG_RETENTION_SECS - 1, "op", "old")
            .unwrap();
        store.log_access(now, "op", "new").unwrap();
        let report = store.purge(now).unwrap();
        assert_eq!(
            report,
            PurgeReport {
                bundles: 1,
                access_log_rows: 1
            },
            "purge counts"
        );
        assert_eq!(store.info(&a).unwrap(), None, "old bundle gone entirely");
        assert!(store.live_bundles().unwrap().is_empty(), "nothing live");
        assert_eq!(store.access_log().unwrap().len(), 1, "recent log row kept");
    }
}
