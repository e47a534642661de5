//! The crate's one error type.
//!
//! Variants are grouped by who has to act: the user (a file or folder they pointed us at is not
//! what we expect), the caller (an id or value that breaks the API contract), or nobody in
//! particular (I/O and SQLite failures, reported with what we were doing and on which path).

use std::io;
use std::path::PathBuf;

use crate::types::{ActionId, PhotoId, ShootId};
use crate::xmp::XmpError;

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in the catalog, the XMP export and the picks export.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- The user must act: the file on disk is not what we expect. ----
    /// The catalog file exists but is not an SQLite database.
    #[error("{} is not a bestpick catalog (not an SQLite database)", path.display())]
    NotACatalog {
        /// The catalog file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The catalog was written by a newer bestpick with a schema this build does not know.
    #[error(
        "{} was written by a newer bestpick (schema version {found}, this build knows up to {known}); \
         update bestpick or use another catalog",
        path.display()
    )]
    CatalogTooNew {
        /// The catalog file.
        path: PathBuf,
        /// Schema version found in the file.
        found: i64,
        /// Newest schema version this build knows.
        known: i64,
    },
    /// An existing XMP sidecar could not be parsed; it was left untouched.
    #[error("cannot parse existing sidecar {}: {reason}; left it untouched", path.display())]
    SidecarParse {
        /// The sidecar file.
        path: PathBuf,
        /// What is wrong with it.
        reason: XmpError,
    },
    /// A destination file already exists; bestpick never overwrites it.
    #[error("{} already exists; not overwriting it", path.display())]
    DestinationExists {
        /// The destination that exists.
        path: PathBuf,
    },
    /// Two images of one export would share a sidecar but carry different decisions.
    #[error(
        "{} would be the sidecar of both {} and {}, which have different decisions; export one of them",
        sidecar.display(), image.display(), other_image.display()
    )]
    SidecarConflict {
        /// The shared sidecar path.
        sidecar: PathBuf,
        /// The image skipped.
        image: PathBuf,
        /// The image that claimed the sidecar first.
        other_image: PathBuf,
    },
    /// A file to read is a FIFO, a device, a socket or a directory (perhaps behind a symbolic
    /// link); it was not opened for reading, which could block or never end.
    #[error("{} is {kind}, not a regular file; not read", path.display())]
    NotAFile {
        /// The path given.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// A file to read whole is larger than such a file can plausibly be; it was not read.
    #[error("{} has {size} bytes, more than the {limit} allowed; not read", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (or as much of it as was read).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The sidecar is a symbolic link to something that is not an `.xmp` file (an image, say);
    /// it is not written through.
    #[error(
        "{} is a symbolic link to {}, which is not an .xmp file; not written through it",
        path.display(), target.display()
    )]
    SidecarLink {
        /// The sidecar path (the link).
        path: PathBuf,
        /// Where the link chain ends.
        target: PathBuf,
    },
    /// The computed sidecar path is the image file itself (an image named `*.xmp`).
    #[error("the sidecar of {} would be the image itself; refusing to write it", path.display())]
    SidecarIsImage {
        /// The image.
        path: PathBuf,
    },

    // ---- The caller must act: the request breaks the API contract. ----
    /// No shoot with this id.
    #[error("shoot {0} does not exist")]
    UnknownShoot(ShootId),
    /// No photo with this id.
    #[error("photo {0} does not exist")]
    UnknownPhoto(PhotoId),
    /// The photo exists but belongs to another shoot.
    #[error("photo {photo} is not part of shoot {shoot}")]
    PhotoNotInShoot {
        /// The photo.
        photo: PhotoId,
        /// The shoot the caller named.
        shoot: ShootId,
    },
    /// A star rating above 5.
    #[error("stars must be between 0 and 5, got {0}")]
    InvalidStars(u8),
    /// A decision was asked for an empty selection.
    #[error("no photos selected")]
    EmptySelection,
    /// A colour label name that is not one of red, yellow, green, blue, purple.
    #[error("unknown colour label {0:?} (expected red, yellow, green, blue or purple)")]
    UnknownLabel(String),
    /// A flag name that is not one of none, pick, reject.
    #[error("unknown flag {0:?} (expected none, pick or reject)")]
    UnknownFlag(String),
    /// A path that is not valid UTF-8 cannot be stored in the catalog.
    #[error("path {} is not valid UTF-8", path.display())]
    NonUtf8Path {
        /// The path.
        path: PathBuf,
    },
    /// A number that does not fit the catalog's 64-bit signed integers.
    #[error("{what} {value} is too large for the catalog")]
    OutOfRange {
        /// Which value.
        what: &'static str,
        /// The value.
        value: u64,
    },

    // ---- Environment, I/O and database failures, with what we were doing. ----
    /// No per-user data directory could be determined (no home directory).
    #[error("cannot find the per-user data directory (is HOME set?)")]
    NoDataDir,
    /// Creating the catalog's directory failed.
    #[error("cannot create directory {}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Opening or preparing the catalog connection failed.
    #[error("cannot open catalog {}", path.display())]
    Open {
        /// The catalog file (`:memory:` for in-memory catalogs).
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// Running the schema migrations failed.
    #[error("cannot migrate catalog {}", path.display())]
    Migrate {
        /// The catalog file.
        path: PathBuf,
        /// What the migration runner said.
        #[source]
        source: rusqlite_migration::Error,
    },
    /// A catalog query failed.
    #[error("catalog query failed while {context}")]
    Sqlite {
        /// What we were doing.
        context: &'static str,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// A catalog row holds a value this code cannot interpret.
    #[error("catalog holds an invalid value in {context}: {value:?}")]
    CorruptValue {
        /// Table and column.
        context: &'static str,
        /// The value found.
        value: String,
    },
    /// An undo-log entry could not be read back.
    #[error("undo history entry of action {action} is unreadable")]
    CorruptLog {
        /// The action.
        action: ActionId,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// Reading a file failed.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Writing, renaming, syncing or removing a file failed.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A copied file does not have the size of its source.
    #[error(
        "copy of {} to {} has {actual} bytes, expected {expected}; removed the copy",
        source_path.display(), dest.display()
    )]
    SizeMismatch {
        /// The source file.
        source_path: PathBuf,
        /// The destination file.
        dest: PathBuf,
        /// Size of the source.
        expected: u64,
        /// Size of the copy.
        actual: u64,
    },
}

/// Attach "what we were doing" to a rusqlite result.
pub(crate) trait SqlContext<T> {
    /// Wrap the error in [`Error::Sqlite`] with `context`.
    fn ctx(self, context: &'static str) -> Result<T>;
}

impl<T> SqlContext<T> for rusqlite::Result<T> {
    fn ctx(self, context: &'static str) -> Result<T> {
        self.map_err(|source| Error::Sqlite { context, source })
    }
}
