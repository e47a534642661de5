//! Errors of the engine: a shoot that cannot be opened, or a catalog that cannot be used.
//! Per-photo problems are not errors here; they are part of a [`crate::Session`].

use std::path::PathBuf;

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Why a shoot could not be opened or a decision recorded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The folder could not be scanned.
    #[error(transparent)]
    Core(#[from] bestpick_core::Error),
    /// The catalog failed.
    #[error(transparent)]
    Catalog(#[from] bestpick_catalog::Error),
    /// A path is not under any analyzed shoot.
    #[error("{} is not part of an analyzed shoot; run `bestpick analyze` on its folder first", path.display())]
    NotInCatalog {
        /// The path.
        path: PathBuf,
    },
    /// A profile does not exist, is refused, or its file is not a profile.
    #[error("{0}")]
    Profile(String),
    /// A path could not be resolved.
    #[error("cannot find {}: {source}", path.display())]
    Path {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}
