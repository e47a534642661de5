//! The app's error: every crate error, serialized for the UI as `{ kind, message }` so it can
//! branch on `kind` and show `message` (which says what to do next).

use serde::{Serialize, Serializer};

use crate::dto::ErrorDto;

/// Result of a command.
pub type Result<T> = std::result::Result<T, Error>;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Engine (scan, open, export planning).
    #[error(transparent)]
    Engine(#[from] bestpick_engine::Error),
    /// Catalog.
    #[error(transparent)]
    Catalog(#[from] bestpick_engine::vocabulary::CatalogError),
    /// Contribution.
    #[error(transparent)]
    Share(#[from] bestpick_share::Error),
    /// A command that needs an open shoot was called without one.
    #[error("no shoot is open: open a folder first")]
    NoShoot,
    /// A photo id that is not in the open shoot.
    #[error("photo {0} is not part of the open shoot")]
    UnknownPhoto(i64),
    /// A value the UI sent is out of range.
    #[error("{0}")]
    Invalid(String),
    /// A background job panicked or could not be joined.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The kind the UI branches on.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Engine(bestpick_engine::Error::NotInCatalog { .. }) => "notFound",
            Error::Engine(bestpick_engine::Error::Path { .. }) => "io",
            Error::Engine(bestpick_engine::Error::Core(_)) => "io",
            Error::Engine(
                bestpick_engine::Error::Pattern { .. }
                | bestpick_engine::Error::ImportOverlap { .. },
            ) => "invalid",
            Error::Engine(_) | Error::Catalog(_) => "catalog",
            Error::Share(_) => "contribution",
            Error::NoShoot => "noShoot",
            Error::UnknownPhoto(_) => "notFound",
            Error::Invalid(_) => "invalid",
            Error::Internal(_) => "internal",
        }
    }
}

impl From<&Error> for ErrorDto {
    fn from(e: &Error) -> Self {
        ErrorDto {
            kind: e.kind().into(),
            message: e.to_string(),
        }
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        ErrorDto::from(self).serialize(serializer)
    }
}
