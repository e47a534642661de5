//! Where bundles live: the [`Store`] trait and the embedded default, files + SQLite in one dir.
//!
//! Bundles are kept exactly as received: HPKE-sealed to the collector key, so they are
//! encrypted at rest. The database holds only ids, hashes (receipt, idempotency key, body),
//! counts, times needed for retention, and which datasets used which bundle. No client IP
//! address is ever written.
//!
//! ## Durability
//!
//! A body is received into `bundles/<id>.partial` on the store's own volume. [`DirStore`]
//! then makes it durable in an order where a crash at any point leaves either nothing of the
//! bundle or all of it:
//!
//! 1. fsync the partial file and the `bundles/` directory;
//! 2. commit the database rows (SQLite, WAL, `synchronous=FULL`): this is the point of truth;
//! 3. rename `<id>.partial` to `<id>.sealed` and fsync the directory;
//! 4. only then does the service answer 201.
//!
//! [`DirStore::recover`], run by `serve` at start, finishes step 3 for a committed bundle
//! whose rename was lost and removes every other `.partial` (uploads cut off before their
//! commit), so no orphan survives a restart.

use std::fs::File;
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
    /// Another process serves from the same data directory.
    #[error("{path} is locked: another collector already serves from this data directory")]
    Locked {
        /// Lock file.
        path: PathBuf,
    },
}

/// File name suffix of a body being received (see the module docs).
pub const PARTIAL_SUFFIX: &str = "partial";
/// File name suffix of a stored bundle.
pub const SEALED_SUFFIX: &str = "sealed";

/// The body of one upload while it is received: a new file on the store's volume, removed
/// when dropped unless [`Store::insert`] took it over.
#[derive(Debug)]
pub struct PartialFile {
    path: PathBuf,
    file: File,
    keep: bool,
}

impl PartialFile {
    /// Creates `path` (which must not exist yet).
    pub fn create(path: PathBuf) -> StoreResult<PartialFile> {
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
        Ok(PartialFile {
            path,
            file,
            keep: false,
        })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file, for writing the body and reading it back.
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// An I/O error on this file, with its path.
    pub fn io_error(&self, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A point in [`DirStore`]'s insert, for crash tests (see [`DirStore::set_step_hook`]).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertStep {
    /// The partial body is on disk (fsynced), nothing committed.
    BodySynced,
    /// The rows are committed; the file is still `.partial`.
    Committed,
    /// The file is renamed to `.sealed`; the answer is not sent yet.
    Renamed,
}

/// What [`DirStore::recover`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Committed bundles whose rename was finished.
    pub completed: usize,
    /// Orphan `.partial` files removed (uploads that never committed).
    pub removed: usize,
}

/// Store result.
pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// A bundle to insert.
#[derive(Debug)]
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
    /// The bundle as received (HPKE-sealed), in a file from [`Store::create_partial`].
    pub body: PartialFile,
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
    /// A new empty file on the store's volume to receive the body of bundle `id` into.
    fn create_partial(&self, id: &str) -> StoreResult<PartialFile>;
    /// Stores a new bundle whose body is complete in `bundle.body`. When this returns Ok the
    /// bundle is durable: it survives a crash or power loss.
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
    /// Held while serving, so that two servers never share (and recover) one directory.
    serve_lock: Option<File>,
    step_hook: Option<fn(InsertStep)>,
}

/// Lock file taken by [`DirStore::open_for_serving`].
pub const LOCK_FILE: &str = "collector.lock";

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
        // A commit must be on disk before the service answers 201 (WAL's default, NORMAL,
        // may lose the last commits on power loss).
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        Ok(DirStore {
            dir: dir.to_owned(),
            db_path,
            conn: Mutex::new(conn),
            serve_lock: None,
            step_hook: None,
        })
    }

    /// Opens the store for the one server of this directory: takes the lock file (an error
    /// if another process holds it), then runs [`DirStore::recover`].
    pub fn open_for_serving(dir: &Path) -> StoreResult<(DirStore, RecoveryReport)> {
        let mut store = DirStore::open(dir)?;
        let path = dir.join(LOCK_FILE);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(StoreError::Locked { path }),
            Err(std::fs::TryLockError::Error(source)) => {
                return Err(StoreError::Io { path, source });
            }
        }
        store.serve_lock = Some(file);
        let report = store.recover()?;
        Ok((store, report))
    }

    /// Brings the files in line with the database after a crash: a `.partial` whose bundle
    /// is committed (the crash fell between commit and rename) is renamed to `.sealed`; every
    /// other `.partial` is an upload that never committed and is removed. Only for the one
    /// process serving this directory (see [`DirStore::open_for_serving`]): it would remove
    /// the bodies another server is still receiving.
    pub fn recover(&self) -> StoreResult<RecoveryReport> {
        let dir = self.bundles_dir();
        let io = |source| StoreError::Io {
            path: dir.clone(),
            source,
        };
        // Listed first: the directory changes below.
        let partials: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(io)?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(io)?
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == PARTIAL_SUFFIX))
            .collect();
        let mut report = RecoveryReport::default();
        let conn = self.lock();
        for path in partials {
            let id = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let sealed = self.bundle_path(&id);
            if self.is_committed(&conn, &id)? && !sealed.exists() {
                std::fs::rename(&path, &sealed).map_err(|source| StoreError::Io {
                    path: path.clone(),
                    source,
                })?;
                report.completed += 1;
            } else {
                Self::remove_file(&path)?;
                report.removed += 1;
            }
        }
        if report != RecoveryReport::default() {
            sync_dir(&dir)?;
        }
        Ok(report)
    }

    /// Calls `hook` at each [`InsertStep`] of an insert (crash tests stop the process there).
    #[doc(hidden)]
    pub fn set_step_hook(&mut self, hook: fn(InsertStep)) {
        self.step_hook = Some(hook);
    }

    fn step(&self, step: InsertStep) {
        if let Some(hook) = self.step_hook {
            hook(step);
        }
    }

    fn is_committed(&self, conn: &Connection, id: &str) -> StoreResult<bool> {
        conn.query_row(
            "SELECT 1 FROM bundles WHERE id = ?1 AND state = 'received'",
            [id],
            |_| Ok(()),
        )
        .optional()
        .map(|row| row.is_some())
        .map_err(|e| self.db(e))
    }

    fn bundles_dir(&self) -> PathBuf {
        self.dir.join("bundles")
    }

    fn bundle_path(&self, id: &str) -> PathBuf {
        self.bundles_dir().join(format!("{id}.{SEALED_SUFFIX}"))
    }

    fn partial_path(&self, id: &str) -> PathBuf {
        self.bundles_dir().join(format!("{id}.{PARTIAL_SUFFIX}"))
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
        Self::remove_file(&self.partial_path(id))?;
        Self::remove_file(&self.bundle_path(id))
    }
}

/// fsync of a directory, so that a file created or renamed in it survives a power loss.
fn sync_dir(dir: &Path) -> StoreResult<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| StoreError::Io {
            path: dir.to_owned(),
            source,
        })
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

    fn create_partial(&self, id: &str) -> StoreResult<PartialFile> {
        PartialFile::create(self.partial_path(id))
    }

    fn insert(&self, b: NewBundle) -> StoreResult<()> {
        let NewBundle {
            id,
            receipt_hash,
            idempotency_hash,
            body_hash,
            image_count,
            received_at,
            mut body,
        } = b;
        let partial = self.partial_path(&id);
        if body.path() != partial {
            return Err(body.io_error(std::io::Error::other(
                "body was not received into this store under this id",
            )));
        }
        // 1. The body is durable before anything refers to it.
        if let Err(e) = body.file().sync_all() {
            return Err(body.io_error(e));
        }
        sync_dir(&self.bundles_dir())?;
        self.step(InsertStep::BodySynced);

        // 2. The commit is the point of truth.
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.db(e))?;
        tx.execute(
            "INSERT INTO bundles (id, state, receipt_hash, image_count, received_at)
             VALUES (?1, 'received', ?2, ?3, ?4)",
            params![id, receipt_hash, image_count, received_at],
        )
        .map_err(|e| self.db(e))?;
        match tx.execute(
            "INSERT INTO idempotency_keys (key_hash, bundle_id, body_hash) VALUES (?1, ?2, ?3)",
            params![idempotency_hash, id, body_hash],
        ) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                // Dropping the transaction rolls it back; dropping the body removes it.
                return Err(StoreError::DuplicateIdempotencyKey);
            }
            Err(e) => return Err(self.db(e)),
        }
        tx.commit().map_err(|e| self.db(e))?;
        // From here the file belongs to the committed row: never remove it on an error below
        // (recover() finishes a lost rename, sealed() reads either name).
        body.keep = true;
        self.step(InsertStep::Committed);

        // 3. Visible under its final name. Still under the lock, so that nothing in this
        // process sees the row without the file.
        let path = self.bundle_path(&id);
        std::fs::rename(&partial, &path).map_err(|source| StoreError::Io {
            path: partial.clone(),
            source,
        })?;
        sync_dir(&self.bundles_dir())?;
        drop(conn);
        self.step(InsertStep::Renamed);
        Ok(())
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
        match std::fs::read(&path) {
            // Committed but not renamed yet (a server is between steps 2 and 3, or crashed
            // there): the partial file is complete, it was synced before the commit.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !self.is_committed(&self.lock(), id)? {
                    return Err(StoreError::Io { path, source: e });
                }
                let partial = self.partial_path(id);
                std::fs::read(&partial).map_err(|source| StoreError::Io {
                    path: partial,
                    source,
                })
            }
            other => other.map_err(|source| StoreError::Io { path, source }),
        }
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
                access_log_rows: 1
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
}
