//! The bestpick catalog: an SQLite file (rusqlite, WAL, `rusqlite_migration`) that keeps a
//! shoot's analyses, so an unchanged file is never analyzed twice, and the photographer's
//! decisions, kept apart so re-analysis never overwrites them, with undo/redo history.
//! It also keeps the contributor's own records of the opt-in dataset contribution (consents and
//! contributions; never receipt tokens or keys, which stay in the contribution vault).
//! It also exports decisions as XMP sidecars ([`xmp`]) and copies or moves picks ([`export`]).
//!
//! Layout:
//! - [`Catalog`] (`catalog.rs`): connection, PRAGMAs, migrations, the public operations.
//! - `queries/<table>.rs`: the SQL, one module per table; `migrations/NNNN_*.sql`: the schema.
//! - [`xmp`]: plan and write sidecars, merging into existing ones without disturbing them.
//! - [`export`]: plan and execute copying/moving picks with their companion files.
//!
//! Must not depend on: Tauri, tokio or anything networked, nor on `bestpick-core` — analyses
//! are opaque versioned blobs that the caller (de)serializes — nor on `bestpick-share`, which
//! implements its ledger over this crate. Front ends (CLI, app) call this.

#![warn(missing_docs)]

mod catalog;
#[cfg(all(test, unix))]
mod crash_tests;
mod error;
pub mod export;
mod fsutil;
mod queries;
mod types;
pub mod xmp;

pub use catalog::{Catalog, MIGRATIONS};
pub use error::{Error, Result};
pub use types::{
    ActionId, ColorLabel, Consent, Contribution, ContributionState, Decision, DecisionChange,
    FileKey, Flag, MergedRecords, NetworkRequest, PhotoId, RequestId, RequestOutcome, ShootId,
    ShootInfo, StoredAnalysis, StoredPhoto,
};

/// Outcome of a batch export ([`xmp::write_xmp`], [`export::execute_picks`]): what was done and
/// what failed. One failure never stops the batch.
#[derive(Debug, Default)]
pub struct ExportReport {
    /// Files written, in plan order.
    pub done: Vec<Exported>,
    /// Files that failed, with why.
    pub failed: Vec<ExportFailure>,
}

/// One file exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exported {
    /// The image (XMP) or the file copied/moved (picks).
    pub source: std::path::PathBuf,
    /// The sidecar written or the destination file.
    pub dest: std::path::PathBuf,
}

/// One file that could not be exported.
#[derive(Debug)]
pub struct ExportFailure {
    /// The image (XMP) or the file copied/moved (picks).
    pub source: std::path::PathBuf,
    /// Why.
    pub error: Error,
}

impl ExportReport {
    /// Whether every planned file was exported.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}
