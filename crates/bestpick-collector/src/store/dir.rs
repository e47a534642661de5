//! The embedded default [`Store`]: files + SQLite in one directory.
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

use super::{
    ACCESS_LOG_RETENTION_SECS, BUNDLE_RETENTION_SECS, BundleInfo, BundleState, InsertStep,
    NewBundle, PartialFile, PurgeReport, RecoveryReport, Store, StoreError, StoreResult,
};

/// File name suffix of a body being received (see the module docs).
pub const PARTIAL_SUFFIX: &str = "partial";
/// File name suffix of a stored bundle.
pub const SEALED_SUFFIX: &str = "sealed";

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
CREATE TABLE IF NOT EXISTS operators (
    name TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
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

    fn add_operator(&self, name: &str, token_sha256: &str, at: i64) -> StoreResult<bool> {
        self.lock()
            .execute(
                "INSERT INTO operators (name, token_sha256, created_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (name) DO NOTHING",
                params![name, token_sha256, at],
            )
            .map(|n| n == 1)
            .map_err(|e| self.db(e))
    }

    fn operator(&self, token_sha256: &str) -> StoreResult<Option<String>> {
        self.lock()
            .query_row(
                "SELECT name FROM operators WHERE token_sha256 = ?1",
                params![token_sha256],
                |row| row.get(0),
            )
            .optional()
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
            orphan_objects: 0,
        })
    }
}

#[cfg(test)]
mod tests;
