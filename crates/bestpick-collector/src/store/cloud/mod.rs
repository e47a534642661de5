//! The deployment [`Store`]: bundle bodies in S3-compatible object storage, metadata in
//! PostgreSQL. Several collector instances on the same bucket and database act as one service.
//!
//! ## Durability and concurrency
//!
//! An upload's body is received into a private spool folder on local disk, then:
//!
//! 1. it is written to the bucket as `bundles/<id>.sealed` with a conditional put
//!    (`If-None-Match: *`, object_store's [`PutMode::Create`]), so no object is ever replaced;
//! 2. the rows are committed in one transaction: this is the point of truth. The idempotency
//!    key's row is inserted with `ON CONFLICT DO NOTHING` on its primary key, so when two
//!    instances get the same key at once, exactly one commits and the other answers with the
//!    winner's bundle id;
//! 3. only then does the service answer 201.
//!
//! (s3s-fs, the server of the tests, honours `If-None-Match: *` on PutObject by checking, then
//! writing: not atomic against a concurrent writer of the same key. Ids are random, so two
//! writers of one key do not happen here; AWS S3 checks atomically.)
//!
//! An object whose row never committed (a crash or a lost race between 1 and 2) is an orphan:
//! [`CloudStore::sweep_orphans`], run by every purge (at `serve` start, hourly, and by the
//! `purge` command), removes objects with no live row once they are older than the sweep grace
//! (default [`DEFAULT_SWEEP_AFTER`]), so that uploads still between 1 and 2 are left alone.
//!
//! A delete commits the tombstone first (every instance sees it at once), then removes the
//! object; an object whose removal failed is left to the sweep.
//!
//! `export` and `purge` take a PostgreSQL advisory lock ([`CloudStore::maintenance_lock`]), so
//! only one runs at a time across instances; the hourly purge of a server skips its turn when
//! another instance holds it. The lock is a session lock on a connection of its own, outside
//! the pool: if that connection closes (the database restarted), the lock is gone, and the
//! next step of the export or purge fails with [`StoreError::MaintenanceLockLost`] instead of
//! going on unlocked (a step already under way finishes: the check is made before each one).
//!
//! ## The servers going away
//!
//! Rows are read and written through a small pool of connections ([`pool`]): a connection
//! that closed is replaced by a new one, so after a database restart the process goes on
//! without being restarted. While the database or the bucket cannot be reached, calls fail
//! with errors whose [`StoreError::unavailable`] names the service (the HTTP API answers 503
//! and the client keeps the bundle staged); object storage requests are retried a few times
//! within [`connect`]'s bounds first. An upload whose object was put but whose rows could not
//! be committed removes its object again, or leaves it to the sweep.
//!
//! The store's calls are synchronous, like every [`Store`]: each runs its async clients on the
//! store's own small runtime. The server calls the store from blocking threads only
//! (`spawn_blocking`), never from an async worker.
//!
//! Credentials come from the environment only (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! and `AWS_SESSION_TOKEN` or the other sources object_store reads; the database password in
//! the URL or `PGPASSWORD`); messages name the database by its URL with the password masked
//! ([`redact_url`]). The database connection uses TLS (rustls, the system's root
//! certificates) when the server offers it, as `sslmode=prefer` (the default) says;
//! `?sslmode=require` in the URL insists on it, `?sslmode=disable` turns it off. The
//! certificate is always checked: a server offering TLS with a certificate the system does
//! not trust (a self-signed one) is refused, whatever the sslmode short of `disable`.

mod connect;
mod pool;

use std::io::{Read, Seek};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use tokio::runtime::Runtime;
use tokio::sync::Mutex;
use tokio_postgres::Client;

pub use connect::redact_url;
use connect::{connect, database_tls, migrate, object_store, spool_dir};
pub use pool::POOL_SIZE;
use pool::{Pool, Pooled};

use super::{
    ACCESS_LOG_RETENTION_SECS, BUNDLE_RETENTION_SECS, BundleInfo, BundleState, NewBundle,
    PartialFile, PurgeReport, Store, StoreError, StoreResult,
};

/// How old an object without a committed row must be before the sweep removes it.
pub const DEFAULT_SWEEP_AFTER: Duration = Duration::from_secs(15 * 60);

/// PostgreSQL advisory lock key that export and purge hold ("bestpick" in ASCII): who holds
/// it shows in `pg_locks` (`locktype = 'advisory'`, `objid` its low 32 bits).
pub const MAINTENANCE_LOCK: i64 = 0x6265_7374_7069_636b;

/// Where and how [`CloudStore`] keeps its data.
#[derive(Debug, Clone)]
pub struct CloudConfig {
    /// Bucket name (from `s3://BUCKET`).
    pub bucket: String,
    /// S3 endpoint URL; None for AWS itself. Plain `http://` only on a loopback host.
    pub endpoint: Option<String>,
    /// Region (S3-compatible servers mostly accept any).
    pub region: String,
    /// `postgres://...` URL (the password may be in it or in `PGPASSWORD`).
    pub database_url: String,
    /// Objects without a committed row older than this are removed by purges.
    pub sweep_after: Duration,
}

/// Bundle objects in S3-compatible storage + metadata in PostgreSQL.
pub struct CloudStore {
    /// Present until drop (see the `Drop` impl).
    runtime: Option<Runtime>,
    objects: Arc<dyn ObjectStore>,
    db: Pool,
    /// The connection holding the maintenance lock, and how many guards hold it, while
    /// export or purge runs (see [`CloudStore::maintenance_lock`]). Boxed: a `Client` is
    /// large, and only held for a while.
    maintenance: Mutex<Option<Box<LockHolder>>>,
    spool: PathBuf,
    sweep_after: Duration,
}

/// The connection on which this store holds the maintenance advisory lock.
struct LockHolder {
    client: Client,
    /// Guards alive (export holds it and calls purge, which takes it again).
    depth: usize,
}

/// Holds the maintenance advisory lock until dropped (see [`CloudStore::maintenance_lock`]).
pub struct MaintenanceLock<'a> {
    store: &'a CloudStore,
}

impl Drop for MaintenanceLock<'_> {
    fn drop(&mut self) {
        let store = self.store;
        let unlocked = store.run(async {
            let mut held = store.maintenance.lock().await;
            let Some(holder) = held.as_mut() else {
                return Ok(());
            };
            holder.depth = holder.depth.saturating_sub(1);
            if holder.depth > 0 {
                return Ok(());
            }
            let Some(holder) = held.take() else {
                return Ok(());
            };
            if holder.client.is_closed() {
                return Ok(()); // the lock went with the connection
            }
            // Closing the connection (dropping the client) would release it too.
            holder
                .client
                .execute("SELECT pg_advisory_unlock($1)", &[&MAINTENANCE_LOCK])
                .await
                .map(drop)
                .map_err(pg("releasing the maintenance lock"))
        });
        if let Err(e) = unlocked {
            eprintln!("collector: {e}");
        }
    }
}

impl CloudStore {
    /// Connects to the bucket and the database, and applies the migrations not applied yet.
    pub fn open(config: &CloudConfig) -> StoreResult<CloudStore> {
        // reqwest's rustls has no provider of its own here (no aws-lc-rs): use ring. An error
        // means one is installed already.
        let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("collector-store")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Setup(format!("starting the store's runtime: {e}")))?;
        let objects = object_store(config)?;
        let database_url = config.database_url.clone();
        let tls = database_tls();
        let client = runtime.block_on(async {
            let mut client = connect(&database_url, &tls).await?;
            migrate(&mut client).await?;
            StoreResult::Ok(client)
        })?;
        let spool = spool_dir()?;
        Ok(CloudStore {
            runtime: Some(runtime),
            objects,
            db: Pool::new(database_url, tls, client),
            maintenance: Mutex::new(None),
            spool,
            sweep_after: config.sweep_after,
        })
    }

    /// Takes the advisory lock that export and purge hold, waiting while another process
    /// (any instance) holds it. Released when the guard is dropped.
    ///
    /// The lock is held by a database session of its own (not a pooled connection). If that
    /// connection closes, the lock is gone: it is not taken again behind the caller's back;
    /// instead the store's maintenance steps (recording an export, removing expired bundles
    /// or orphan objects, the access log) fail with [`StoreError::MaintenanceLockLost`] until
    /// the guard is dropped.
    pub fn maintenance_lock(&self) -> StoreResult<MaintenanceLock<'_>> {
        self.lock_maintenance(true)?;
        Ok(MaintenanceLock { store: self })
    }

    /// The maintenance lock if no other process holds it, else None at once.
    fn try_maintenance_lock(&self) -> StoreResult<Option<MaintenanceLock<'_>>> {
        Ok(self
            .lock_maintenance(false)?
            .then_some(MaintenanceLock { store: self }))
    }

    /// Takes the maintenance lock (waiting for it if `wait`, else giving up at once when
    /// another session holds it); reentrant in this store. True when it is held.
    fn lock_maintenance(&self, wait: bool) -> StoreResult<bool> {
        self.run(async {
            let mut held = self.maintenance.lock().await;
            if let Some(holder) = held.as_mut() {
                check_lock(&holder.client).await?;
                holder.depth += 1;
                return Ok(true);
            }
            let client = self.db.connect_dedicated().await?;
            let sql = if wait {
                "SELECT true FROM pg_advisory_lock($1)"
            } else {
                "SELECT pg_try_advisory_lock($1)"
            };
            let row = client
                .query_one(sql, &[&MAINTENANCE_LOCK])
                .await
                .map_err(pg("taking the maintenance lock"))?;
            let locked: bool = row.get(0);
            if locked {
                *held = Some(Box::new(LockHolder { client, depth: 1 }));
            }
            Ok(locked)
        })
    }

    /// Before a maintenance step: when this store holds the maintenance lock, checks that its
    /// connection (and so the lock) is still there.
    async fn still_locked(&self) -> StoreResult<()> {
        match self.maintenance.lock().await.as_ref() {
            Some(holder) => check_lock(&holder.client).await,
            None => Ok(()),
        }
    }

    /// Removes bundle objects that have no live row and were last written before
    /// `now - sweep_after` (uploads cut off between put and commit, deletes whose object
    /// removal failed). Returns how many were removed.
    pub fn sweep_orphans(&self, now: i64) -> StoreResult<usize> {
        let cutoff = now.saturating_sub(i64::try_from(self.sweep_after.as_secs()).unwrap_or(0));
        self.run(async {
            let prefix = ObjectPath::from(BUNDLE_PREFIX);
            let listed = self
                .objects
                .list_with_delimiter(Some(&prefix))
                .await
                .map_err(obj(BUNDLE_PREFIX))?;
            let mut removed = 0;
            for meta in listed.objects {
                if meta.last_modified.timestamp() > cutoff {
                    continue;
                }
                let id = meta
                    .location
                    .filename()
                    .and_then(|f| f.strip_suffix(SEALED_OBJECT_SUFFIX))
                    .unwrap_or_default()
                    .to_owned();
                if !id.is_empty() && self.is_live(&id).await? {
                    continue;
                }
                self.still_locked().await?;
                self.delete_object(&meta.location).await?;
                removed += 1;
            }
            Ok(removed)
        })
    }

    fn runtime(&self) -> &Runtime {
        // Some from open() until drop.
        self.runtime
            .as_ref()
            .unwrap_or_else(|| unreachable!("the runtime lives until drop"))
    }

    /// Runs `work` on the store's runtime. Called from plain or blocking threads only.
    fn run<T>(&self, work: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        self.runtime().block_on(work)
    }

    /// A database connection from the pool (a new one if the old ones were lost).
    async fn client(&self) -> StoreResult<Pooled<'_>> {
        self.db.get().await
    }

    async fn is_live(&self, id: &str) -> StoreResult<bool> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT 1 FROM bundles WHERE id = $1 AND state = 'received'",
                &[&id],
            )
            .await
            .map_err(pg("looking up a bundle"))?;
        Ok(row.is_some())
    }

    async fn delete_object(&self, key: &ObjectPath) -> StoreResult<()> {
        match self.objects.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(obj(key.as_ref())(e)),
        }
    }

    async fn commit_rows(
        &self,
        id: &str,
        receipt_hash: &str,
        idempotency_hash: &str,
        body_hash: &str,
        image_count: u32,
        received_at: i64,
    ) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client
            .transaction()
            .await
            .map_err(pg("starting a transaction"))?;
        tx.execute(
            "INSERT INTO bundles (id, state, receipt_hash, image_count, received_at)
             VALUES ($1, 'received', $2, $3, $4)",
            &[&id, &receipt_hash, &i64::from(image_count), &received_at],
        )
        .await
        .map_err(pg("inserting a bundle"))?;
        let inserted = tx
            .execute(
                "INSERT INTO idempotency_keys (key_hash, bundle_id, body_hash) VALUES ($1, $2, $3)
                 ON CONFLICT (key_hash) DO NOTHING",
                &[&idempotency_hash, &id, &body_hash],
            )
            .await
            .map_err(pg("inserting an idempotency key"))?;
        if inserted == 0 {
            // Another request (maybe on another instance) committed this key first. Dropping
            // the transaction rolls it back.
            return Err(StoreError::DuplicateIdempotencyKey);
        }
        tx.commit().await.map_err(pg("committing a bundle"))
    }
}

impl Drop for CloudStore {
    fn drop(&mut self) {
        // A runtime may not be dropped (which blocks) inside another runtime's async context,
        // where the server may drop its last reference: shut it down without waiting.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
        let _ = std::fs::remove_dir_all(&self.spool);
    }
}

/// A session lock lasts as long as its session: the lock is held while its connection answers.
async fn check_lock(client: &Client) -> StoreResult<()> {
    if client.is_closed() || client.simple_query("SELECT 1").await.is_err() {
        return Err(StoreError::MaintenanceLockLost);
    }
    Ok(())
}

/// The fault tests (tests/services_faults.rs) kill an instance between an upload's object and
/// its rows: `BESTPICK_E2E_CLOUD_PAUSE_AFTER_PUT_MS` holds every upload there that long.
/// Debug builds only: a release build ignores the variable.
async fn pause_after_put() {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("BESTPICK_E2E_CLOUD_PAUSE_AFTER_PUT_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

const BUNDLE_PREFIX: &str = "bundles";
const SEALED_OBJECT_SUFFIX: &str = ".sealed";

fn object_key(id: &str) -> ObjectPath {
    ObjectPath::from(format!("{BUNDLE_PREFIX}/{id}{SEALED_OBJECT_SUFFIX}"))
}

fn pg(what: &'static str) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |source| StoreError::Postgres { what, source }
}

fn obj(key: &str) -> impl FnOnce(object_store::Error) -> StoreError {
    let key = key.to_owned();
    move |source| StoreError::Object { key, source }
}

impl Store for CloudStore {
    fn find_idempotent(&self, idempotency_hash: &str) -> StoreResult<Option<(String, String)>> {
        self.run(async {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    "SELECT bundle_id, body_hash FROM idempotency_keys WHERE key_hash = $1",
                    &[&idempotency_hash],
                )
                .await
                .map_err(pg("looking up an idempotency key"))?;
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }

    fn create_partial(&self, id: &str) -> StoreResult<PartialFile> {
        PartialFile::create(self.spool.join(format!("{id}.partial")))
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
        let mut bytes = Vec::new();
        let file = body.file();
        if let Err(e) = file.rewind().and_then(|()| file.read_to_end(&mut bytes)) {
            return Err(body.io_error(e));
        }
        let key = object_key(&id);
        self.run(async {
            // 1. The object, never replacing one (ids are random: a clash is an error).
            let create = PutOptions {
                mode: PutMode::Create,
                ..PutOptions::default()
            };
            self.objects
                .put_opts(&key, PutPayload::from(bytes), create)
                .await
                .map_err(obj(key.as_ref()))?;
            pause_after_put().await;
            // 2. The commit is the point of truth.
            let committed = self
                .commit_rows(
                    &id,
                    &receipt_hash,
                    &idempotency_hash,
                    &body_hash,
                    image_count,
                    received_at,
                )
                .await;
            if committed.is_err() {
                // Nothing refers to the object; if this fails too, the sweep removes it.
                let _ = self.delete_object(&key).await;
            }
            committed
        })
        // The local body (dropped here) is removed: the object holds it now.
    }

    fn info(&self, id: &str) -> StoreResult<Option<BundleInfo>> {
        self.run(async {
            let client = self.client().await?;
            let Some(row) = client
                .query_opt(
                    "SELECT state, receipt_hash, image_count FROM bundles WHERE id = $1",
                    &[&id],
                )
                .await
                .map_err(pg("looking up a bundle"))?
            else {
                return Ok(None);
            };
            let datasets = client
                .query(
                    "SELECT dataset FROM dataset_uses WHERE bundle_id = $1 ORDER BY dataset",
                    &[&id],
                )
                .await
                .map_err(pg("reading a bundle's datasets"))?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let state: &str = row.get(0);
            let image_count: i64 = row.get(2);
            Ok(Some(BundleInfo {
                id: id.to_owned(),
                state: if state == "received" {
                    BundleState::Received
                } else {
                    BundleState::Deleted
                },
                receipt_hash: row.get(1),
                image_count: u32::try_from(image_count).unwrap_or(u32::MAX),
                datasets,
            }))
        })
    }

    fn delete(&self, id: &str) -> StoreResult<bool> {
        let exported: Vec<String> = match self.run(async {
            let mut client = self.client().await?;
            let tx = client
                .transaction()
                .await
                .map_err(pg("starting a transaction"))?;
            // The row lock orders concurrent deletes of one bundle.
            let exists = tx
                .query_opt("SELECT 1 FROM bundles WHERE id = $1 FOR UPDATE", &[&id])
                .await
                .map_err(pg("looking up a bundle"))?;
            if exists.is_none() {
                return Ok(None);
            }
            let paths = tx
                .query("SELECT path FROM export_files WHERE bundle_id = $1", &[&id])
                .await
                .map_err(pg("reading a bundle's exported files"))?
                .iter()
                .map(|r| r.get(0))
                .collect();
            for sql in [
                "DELETE FROM export_files WHERE bundle_id = $1",
                "DELETE FROM dataset_uses WHERE bundle_id = $1",
                "DELETE FROM idempotency_keys WHERE bundle_id = $1",
                "UPDATE bundles SET state = 'deleted' WHERE id = $1",
            ] {
                tx.execute(sql, &[&id])
                    .await
                    .map_err(pg("deleting a bundle"))?;
            }
            tx.commit().await.map_err(pg("committing a delete"))?;
            Ok(Some(paths))
        })? {
            Some(paths) => paths,
            None => return Ok(false),
        };
        // The tombstone is committed: every instance answers "deleted" from here on.
        for path in exported {
            let path = PathBuf::from(path);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(StoreError::Io { path, source }),
            }
        }
        let key = object_key(id);
        if let Err(e) = self.run(self.delete_object(&key)) {
            eprintln!("collector: left for the orphan sweep: {e}");
        }
        Ok(true)
    }

    fn live_bundles(&self) -> StoreResult<Vec<String>> {
        self.run(async {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT id FROM bundles WHERE state = 'received' ORDER BY received_at, id",
                    &[],
                )
                .await
                .map_err(pg("listing bundles"))?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    fn sealed(&self, id: &str) -> StoreResult<Vec<u8>> {
        let key = object_key(id);
        self.run(async {
            let got = self.objects.get(&key).await.map_err(obj(key.as_ref()))?;
            let bytes = got.bytes().await.map_err(obj(key.as_ref()))?;
            Ok(bytes.to_vec())
        })
    }

    fn record_export(
        &self,
        dataset: &str,
        id: &str,
        files: &[PathBuf],
        at: i64,
    ) -> StoreResult<()> {
        self.run(async {
            self.still_locked().await?;
            let mut client = self.client().await?;
            let tx = client
                .transaction()
                .await
                .map_err(pg("starting a transaction"))?;
            tx.execute(
                "INSERT INTO dataset_uses (bundle_id, dataset, used_at) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&id, &dataset, &at],
            )
            .await
            .map_err(pg("recording a dataset use"))?;
            for f in files {
                tx.execute(
                    "INSERT INTO export_files (bundle_id, path) VALUES ($1, $2)",
                    &[&id, &f.to_string_lossy().as_ref()],
                )
                .await
                .map_err(pg("recording an exported file"))?;
            }
            tx.commit().await.map_err(pg("committing an export"))
        })
    }

    fn log_access(&self, at: i64, actor: &str, action: &str) -> StoreResult<()> {
        self.run(async {
            self.still_locked().await?;
            let client = self.client().await?;
            client
                .execute(
                    "INSERT INTO access_log (at, actor, action) VALUES ($1, $2, $3)",
                    &[&at, &actor, &action],
                )
                .await
                .map(drop)
                .map_err(pg("writing the access log"))
        })
    }

    fn add_operator(&self, name: &str, token_sha256: &str, at: i64) -> StoreResult<bool> {
        self.run(async {
            let client = self.client().await?;
            client
                .execute(
                    "INSERT INTO operators (name, token_sha256, created_at) VALUES ($1, $2, $3)
                     ON CONFLICT (name) DO NOTHING",
                    &[&name, &token_sha256, &at],
                )
                .await
                .map(|n| n == 1)
                .map_err(pg("adding an operator"))
        })
    }

    fn operator(&self, token_sha256: &str) -> StoreResult<Option<String>> {
        self.run(async {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    "SELECT name FROM operators WHERE token_sha256 = $1",
                    &[&token_sha256],
                )
                .await
                .map_err(pg("looking up an operator"))?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    fn access_log(&self) -> StoreResult<Vec<(i64, String, String)>> {
        self.run(async {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT at, actor, action FROM access_log ORDER BY at, seq",
                    &[],
                )
                .await
                .map_err(pg("reading the access log"))?;
            Ok(rows
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect())
        })
    }

    fn purge(&self, now: i64) -> StoreResult<PurgeReport> {
        // Reentrant in this store: `export` and `purge` already hold it.
        let Some(_unlock) = self.try_maintenance_lock()? else {
            eprintln!(
                "collector: retention purge skipped: another instance is purging or exporting"
            );
            return Ok(PurgeReport::default());
        };
        let old: Vec<String> = self.run(async {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT id FROM bundles WHERE received_at < $1",
                    &[&(now - BUNDLE_RETENTION_SECS)],
                )
                .await
                .map_err(pg("listing expired bundles"))?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })?;
        for id in &old {
            self.run(self.still_locked())?;
            self.delete(id)?;
            self.run(async {
                let client = self.client().await?;
                client
                    .execute("DELETE FROM bundles WHERE id = $1", &[id])
                    .await
                    .map_err(pg("removing an expired bundle"))
            })?;
        }
        let access_log_rows = self.run(async {
            self.still_locked().await?;
            let client = self.client().await?;
            client
                .execute(
                    "DELETE FROM access_log WHERE at < $1",
                    &[&(now - ACCESS_LOG_RETENTION_SECS)],
                )
                .await
                .map_err(pg("purging the access log"))
        })?;
        let orphan_objects = self.sweep_orphans(now)?;
        Ok(PurgeReport {
            bundles: old.len(),
            access_log_rows: usize::try_from(access_log_rows).unwrap_or(usize::MAX),
            orphan_objects,
        })
    }
}
