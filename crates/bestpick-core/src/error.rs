//! Errors of the core crate. A photo that cannot be read is one [`PhotoError`] in a job's
//! report; it never stops the rest of the shoot.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong with one photo, sorted by what the photographer can do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PhotoErrorKind {
    /// The file could not be read (permissions, vanished, I/O error).
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    /// The file is empty.
    #[error("the file is empty (0 bytes)")]
    Empty,
    /// The content is not the image format its name says.
    #[error("not an image: {0}")]
    NotAnImage(String),
    /// The image data is damaged or cut short.
    #[error("{0}")]
    Corrupt(String),
    /// The image declares a size beyond the limits.
    #[error("{0}")]
    TooLarge(String),
    /// A valid file this build cannot decode (e.g. HEIC without libheif, arithmetic JPEG).
    #[error("{0}")]
    Unsupported(String),
    /// A RAW file without a usable embedded preview.
    #[error("{0}")]
    NoPreview(String),
    /// The decoder crashed on this file (caught; the rest of the shoot goes on).
    #[error("the decoder failed on this file: {0}")]
    DecoderPanic(String),
    /// The EXIF block is damaged; the photo was analyzed without it (or with what was read).
    #[error("malformed EXIF metadata: {0}")]
    BadExif(String),
    /// The folder structure loops back on itself (symbolic links).
    #[error("symbolic link loop: {0}")]
    LinkLoop(String),
    /// A stage of the photo's work (measures, faces, thumbnail...) failed on this file (caught;
    /// the rest of the shoot goes on).
    #[error("{stage} failed on this file: {detail}")]
    StageFailed {
        /// The stage, in words ("face analysis").
        stage: String,
        /// What went wrong.
        detail: String,
    },
    /// The job was cancelled before this photo's work finished (it is left for the next run).
    #[error("cancelled before the photo was analyzed")]
    Cancelled,
}

/// One photo's error, with the file it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}: {kind}", path.display())]
pub struct PhotoError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub kind: PhotoErrorKind,
    /// False when the photo was still analyzed (for example with unreadable EXIF).
    pub fatal: bool,
}

impl PhotoError {
    /// A fatal error for `path`: the photo was not analyzed.
    pub fn new(path: impl Into<PathBuf>, kind: PhotoErrorKind) -> Self {
        PhotoError {
            path: path.into(),
            kind,
            fatal: true,
        }
    }

    /// A warning for `path`: the photo was analyzed anyway.
    pub fn warning(path: impl Into<PathBuf>, kind: PhotoErrorKind) -> Self {
        PhotoError {
            path: path.into(),
            kind,
            fatal: false,
        }
    }

    /// The reason in plain words, without the path.
    pub fn reason(&self) -> String {
        let base = self.kind.to_string();
        if self.fatal {
            base
        } else {
            format!("{base} (analyzed anyway)")
        }
    }
}

/// Errors of whole operations (not of one photo).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The folder to scan does not exist or cannot be listed.
    #[error("cannot open the folder {}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A single photo failed (for one-photo entry points such as [`crate::analyze_file`]).
    #[error(transparent)]
    Photo(#[from] PhotoError),
    /// The job was cancelled.
    #[error("cancelled")]
    Cancelled,
}
