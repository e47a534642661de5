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
    /// No profile of that name.
    #[error("no profile {name:?}; the profiles are: {}", known.join(", "))]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The profiles there are.
        known: Vec<String>,
    },
    /// A new profile would take a name in use.
    #[error("a profile {0:?} exists already; choose another name")]
    ProfileExists(String),
    /// An imported profile file carries a name in use.
    #[error("{}: a profile {name:?} exists already; import with --replace to overwrite it and what it learned", file.display())]
    ImportClash {
        /// The file.
        file: PathBuf,
        /// The name it carries.
        name: String,
    },
    /// A text is not a profile file.
    #[error("{origin} is not a bestpick profile: {reason}")]
    NotAProfile {
        /// The file, the stored profile or the preset.
        origin: String,
        /// What the TOML reader said.
        reason: String,
    },
    /// A profile's name or numbers are out of range.
    #[error("{origin}: {problem}")]
    InvalidProfile {
        /// Where it came from.
        origin: String,
        /// What is wrong.
        problem: bestpick_core::profile::ProfileProblem,
    },
    /// A profile's name is refused.
    #[error(transparent)]
    ProfileName(bestpick_core::profile::ProfileProblem),
    /// Writing a profile or what it learned failed (a bug: the types always serialize).
    #[error("cannot write {what}: {reason}")]
    Encode {
        /// What.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// A path could not be resolved.
    #[error("cannot find {}: {source}", path.display())]
    Path {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A renaming pattern is refused.
    #[error("the renaming pattern {pattern:?} is refused: {reason}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// Why.
        reason: String,
    },
    /// An import's destination (or backup) is inside its source, or the other way round.
    #[error("cannot import {} into {}: one folder is inside the other", source_dir.display(), dest.display())]
    ImportOverlap {
        /// The source folder.
        source_dir: PathBuf,
        /// The destination or backup folder.
        dest: PathBuf,
    },
}
