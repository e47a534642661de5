//! bestpick-engine: runs a shoot through `bestpick-core` with `bestpick-catalog` as its memory —
//! scan, reuse the analyses of unchanged files, analyze the rest in parallel while storing each
//! batch as it finishes (so a crash or Ctrl-C loses nothing finished), then group and rank.
//! The CLI and the desktop app both call this; neither re-implements it.
//!
//! Depends on core and catalog; no UI, no network.
#![warn(missing_docs)]

mod contribution;
mod error;
pub mod export;
mod forget;
pub mod import;
mod listing;
mod opening;
pub mod preview;
pub mod profiles;
pub mod report;
mod session;
mod settings;
pub mod view;
pub mod vocabulary;
pub mod words;

pub use contribution::contribution_scores;
pub use error::{Error, Result};
pub use forget::forget_shoot;
pub use import::{
    CopiedFile, FailedFile, ImportParams, ImportProgress, ImportReport, ImportSink,
    NoImportProgress, RenamePattern, SkipReason, SkippedFile, import, import_analyzing,
};
pub use listing::{ListedPhoto, Listing, list_shoot};
pub use opening::{open_listed, open_shoot};
pub use session::{
    OpenParams, PhotoEntry, Session, ShootStatus, ThumbnailParams, find_photo, thumbnail_dir,
    thumbnail_path,
};
pub use settings::AppSettings;
