//! Where bundles live: the [`Store`] trait and the types every backend shares.
//!
//! Bundles are kept exactly as received: HPKE-sealed to the collector key, so they are
//! encrypted at rest. The database holds only ids, hashes (receipt, idempotency key, body),
//! counts, times needed for retention, and which datasets used which bundle. No client IP
//! address is ever written.
//!
//! Layout: this file holds the trait and the shared types; `partial.rs` the file a body is
//! received into ([`PartialFile`]); `dir.rs` the embedded default backend, files + SQLite in
//! one directory ([`DirStore`]), with its durability order; `cloud/` the deployment backend,
//! bundle objects in S3-compatible storage and rows in PostgreSQL ([`CloudStore`]), which
//! several instances share.

mod cloud;
mod dir;
mod partial;

use std::path::PathBuf;

pub use cloud::{
    CloudConfig, CloudStore, DEFAULT_SWEEP_AFTER, MAINTENANCE_LOCK, MaintenanceLock, POOL_SIZE,
    redact_url,
};
pub use dir::{DirStore, LOCK_FILE, PARTIAL_SUFFIX, SEALED_SUFFIX};
pub use partial::PartialFile;

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
    /// The PostgreSQL database (of [`CloudStore`]) failed.
    #[error("database, {what}: {source}")]
    Postgres {
        /// What the store was doing.
        what: &'static str,
        /// Cause.
        source: tokio_postgres::Error,
    },
    /// The PostgreSQL database could not be reached.
    #[error("connecting to the database {url}: {source}")]
    Connect {
        /// The database URL, its password masked.
        url: String,
        /// Cause.
        source: tokio_postgres::Error,
    },
    /// An object in the bucket (of [`CloudStore`]) could not be read, written or listed.
    #[error("object storage, {key}: {source}")]
    Object {
        /// Object key (or prefix).
        key: String,
        /// Cause.
        source: object_store::Error,
    },
    /// The store could not be set up as configured.
    #[error("{0}")]
    Setup(String),
    /// The idempotency key was already used (by a concurrent request).
    #[error("idempotency key already used")]
    DuplicateIdempotencyKey,
    /// Every database connection of the pool stayed busy for `waited` ([`CloudStore`]).
    #[error("database busy: no connection free after {} s", waited.as_secs())]
    PoolTimeout {
        /// How long the caller waited.
        waited: std::time::Duration,
    },
    /// The database connection holding the maintenance lock closed while an export or purge
    /// ran ([`CloudStore::maintenance_lock`]): the lock is gone with it, so the run stops
    /// instead of going on unlocked.
    #[error(
        "the maintenance lock was lost (its database connection closed); stopped rather than \
         continue without it: run the command again"
    )]
    MaintenanceLockLost,
    /// Another process serves from the same data directory.
    #[error("{path} is locked: another collector already serves from this data directory")]
    Locked {
        /// Lock file.
        path: PathBuf,
    },
}

impl StoreError {
    /// The service that is down or unreachable when this error says one is (`"database"`,
    /// `"object storage"`): worth retrying later, unlike a bug or a refusal. A client is told
    /// 503 for these.
    pub fn unavailable(&self) -> Option<&'static str> {
        match self {
            StoreError::Connect { .. } | StoreError::PoolTimeout { .. } => Some("database"),
            StoreError::Postgres { source, .. } if postgres_unavailable(source) => Some("database"),
            // What is left after object_store's retries: the server unreachable, timing out
            // or answering 5xx. Not found, precondition and permission errors are not it.
            StoreError::Object {
                source: object_store::Error::Generic { .. },
                ..
            } => Some("object storage"),
            _ => None,
        }
    }
}

/// A connection that closed or failed, or the server shutting down, starting, or out of
/// connections (SQLSTATE classes 08, 57, 53), as opposed to an error in a statement.
fn postgres_unavailable(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        return ["08", "57", "53"]
            .iter()
            .any(|class| code.code().starts_with(class));
    }
    // No SQLSTATE: the client side failed; an I/O error means the connection did.
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        if c.is::<std::io::Error>() {
            return true;
        }
        cause = c.source();
    }
    false
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
    /// Bundle objects without a committed row, swept ([`CloudStore`] only).
    pub orphan_objects: usize,
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
    /// Adds operator `name`, who authenticates with the token whose SHA-256 is
    /// `token_sha256` (the token itself is never stored). False when the name exists.
    fn add_operator(&self, name: &str, token_sha256: &str, at: i64) -> StoreResult<bool>;
    /// The operator whose token has SHA-256 `token_sha256`, if any.
    fn operator(&self, token_sha256: &str) -> StoreResult<Option<String>>;
    /// Access-log rows `(at, actor, action)`, oldest first.
    fn access_log(&self) -> StoreResult<Vec<(i64, String, String)>>;
    /// Removes bundles older than 5 years and access-log rows older than 90 days.
    fn purge(&self, now: i64) -> StoreResult<PurgeReport>;
}
