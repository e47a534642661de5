//! Errors of the core crate. A photo that cannot be read is one [`PhotoError`] in a job's
//! report; it never stops the rest of the shoot.

use std::io::ErrorKind;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong with one photo, sorted by what the photographer can do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PhotoErrorKind {
    /// The file could not be read (permissions, vanished, I/O error). The [`IoFailure`] keeps
    /// the I/O error's kind, so a caller can tell a vanished file from a forbidden one.
    #[error("cannot read the file: {0}")]
    Unreadable(IoFailure),
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

impl PhotoErrorKind {
    /// The I/O error's kind, for the failures that come from one ([`PhotoErrorKind::Unreadable`]).
    pub fn io_kind(&self) -> Option<ErrorKind> {
        match self {
            PhotoErrorKind::Unreadable(failure) => Some(failure.kind),
            _ => None,
        }
    }
}

/// An I/O failure on a photo: its [`ErrorKind`] to branch on, its message to show.
///
/// Stored in the catalog as `{"kind": "not_found", "message": "..."}`. Catalogs written before
/// the kind was kept hold the message alone (a JSON string); it reads back with
/// [`ErrorKind::Other`], as does a kind this build does not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(from = "StoredIoFailure")]
#[error("{message}")]
pub struct IoFailure {
    /// What kind of failure: the I/O error's kind, or [`ErrorKind::Other`] for a refusal that
    /// is not one (a FIFO or a device where a photo was expected).
    #[serde(serialize_with = "io_kind::serialize")]
    pub kind: ErrorKind,
    /// The failure in words, as shown to the photographer.
    pub message: String,
}

impl IoFailure {
    /// A failure of `kind` described by `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        IoFailure {
            kind,
            message: message.into(),
        }
    }
}

impl From<&std::io::Error> for IoFailure {
    fn from(e: &std::io::Error) -> Self {
        IoFailure::new(e.kind(), e.to_string())
    }
}

impl From<std::io::Error> for IoFailure {
    fn from(e: std::io::Error) -> Self {
        IoFailure::from(&e)
    }
}

/// The forms an [`IoFailure`] is stored in.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredIoFailure {
    /// The message alone (catalogs written before the kind was kept).
    Message(String),
    /// The kind and the message.
    Full {
        #[serde(default = "io_kind::other", deserialize_with = "io_kind::deserialize")]
        kind: ErrorKind,
        message: String,
    },
}

impl From<StoredIoFailure> for IoFailure {
    fn from(stored: StoredIoFailure) -> Self {
        match stored {
            StoredIoFailure::Message(message) => IoFailure::new(ErrorKind::Other, message),
            StoredIoFailure::Full { kind, message } => IoFailure::new(kind, message),
        }
    }
}

/// [`ErrorKind`] by name: std gives it no serialized form.
mod io_kind {
    use std::io::ErrorKind::{self, *};

    use serde::{Deserialize, Deserializer, Serializer};

    /// Every stable kind with its stored name. A kind missing here is stored as `other`.
    pub(super) const NAMES: &[(ErrorKind, &str)] = &[
        (NotFound, "not_found"),
        (PermissionDenied, "permission_denied"),
        (ConnectionRefused, "connection_refused"),
        (ConnectionReset, "connection_reset"),
        (HostUnreachable, "host_unreachable"),
        (NetworkUnreachable, "network_unreachable"),
        (ConnectionAborted, "connection_aborted"),
        (NotConnected, "not_connected"),
        (AddrInUse, "addr_in_use"),
        (AddrNotAvailable, "addr_not_available"),
        (NetworkDown, "network_down"),
        (BrokenPipe, "broken_pipe"),
        (AlreadyExists, "already_exists"),
        (WouldBlock, "would_block"),
        (NotADirectory, "not_a_directory"),
        (IsADirectory, "is_a_directory"),
        (DirectoryNotEmpty, "directory_not_empty"),
        (ReadOnlyFilesystem, "read_only_filesystem"),
        (StaleNetworkFileHandle, "stale_network_file_handle"),
        (InvalidInput, "invalid_input"),
        (InvalidData, "invalid_data"),
        (TimedOut, "timed_out"),
        (WriteZero, "write_zero"),
        (StorageFull, "storage_full"),
        (NotSeekable, "not_seekable"),
        (QuotaExceeded, "quota_exceeded"),
        (FileTooLarge, "file_too_large"),
        (ResourceBusy, "resource_busy"),
        (ExecutableFileBusy, "executable_file_busy"),
        (Deadlock, "deadlock"),
        (CrossesDevices, "crosses_devices"),
        (TooManyLinks, "too_many_links"),
        (InvalidFilename, "invalid_filename"),
        (ArgumentListTooLong, "argument_list_too_long"),
        (Interrupted, "interrupted"),
        (Unsupported, "unsupported"),
        (UnexpectedEof, "unexpected_eof"),
        (OutOfMemory, "out_of_memory"),
        (Other, "other"),
    ];

    pub(super) fn other() -> ErrorKind {
        Other
    }

    pub(super) fn serialize<S: Serializer>(kind: &ErrorKind, s: S) -> Result<S::Ok, S::Error> {
        let name = NAMES
            .iter()
            .find(|(k, _)| k == kind)
            .map_or("other", |(_, name)| name);
        s.serialize_str(name)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ErrorKind, D::Error> {
        let name = String::deserialize(d)?;
        Ok(NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map_or(Other, |(kind, _)| *kind))
    }
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
    /// A single photo failed (for one-photo entry points such as [`crate::analyze_path`]).
    #[error(transparent)]
    Photo(#[from] PhotoError),
    /// The job was cancelled.
    #[error("cancelled")]
    Cancelled,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Analyses stored by earlier builds (engine `StoredOutcome`, as JSON) must still read back, with
    /// the same words.
    #[test]
    fn kinds_stored_before_the_io_kind_was_kept_still_load() {
        let cases = [
            (
                r#"{"kind":"unreadable","detail":"Permission denied (os error 13)"}"#,
                PhotoErrorKind::Unreadable(IoFailure::new(
                    ErrorKind::Other,
                    "Permission denied (os error 13)",
                )),
                "cannot read the file: Permission denied (os error 13)",
            ),
            (
                r#"{"kind":"empty"}"#,
                PhotoErrorKind::Empty,
                "the file is empty (0 bytes)",
            ),
            (
                r#"{"kind":"corrupt","detail":"truncated"}"#,
                PhotoErrorKind::Corrupt("truncated".into()),
                "truncated",
            ),
            (
                r#"{"kind":"stage_failed","detail":{"stage":"face analysis","detail":"boom"}}"#,
                PhotoErrorKind::StageFailed {
                    stage: "face analysis".into(),
                    detail: "boom".into(),
                },
                "face analysis failed on this file: boom",
            ),
            (
                r#"{"kind":"cancelled"}"#,
                PhotoErrorKind::Cancelled,
                "cancelled before the photo was analyzed",
            ),
        ];
        for (json, want, words) in cases {
            let got: PhotoErrorKind =
                serde_json::from_str(json).unwrap_or_else(|e| panic!("case {json}: {e}"));
            assert_eq!(got, want, "case {json}");
            assert_eq!(got.to_string(), words, "case {json}: words");
        }
        let warning: PhotoError = serde_json::from_str(
            r#"{"path":"/a.jpg","kind":{"kind":"unreadable","detail":"gone"},"fatal":false}"#,
        )
        .expect("an old PhotoError");
        assert_eq!(
            warning.reason(),
            "cannot read the file: gone (analyzed anyway)"
        );
    }

    #[test]
    fn the_io_kind_survives_the_catalog() {
        let cases = [
            (ErrorKind::NotFound, r#""not_found""#),
            (ErrorKind::PermissionDenied, r#""permission_denied""#),
            (ErrorKind::IsADirectory, r#""is_a_directory""#),
            (ErrorKind::Other, r#""other""#),
        ];
        for (kind, name) in cases {
            let original = PhotoErrorKind::Unreadable(std::io::Error::from(kind).into());
            let json = serde_json::to_string(&original).expect("serialize");
            assert!(
                json.contains(&format!(r#""kind":{name}"#)),
                "case {kind:?}: {json}"
            );
            let back: PhotoErrorKind = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, original, "case {kind:?}");
            assert_eq!(back.io_kind(), Some(kind), "case {kind:?}");
        }
        let missing_kind = r#"{"kind":"unreadable","detail":{"message":"gone"}}"#;
        let unknown_kind =
            r#"{"kind":"unreadable","detail":{"kind":"from_the_future","message":"gone"}}"#;
        for json in [missing_kind, unknown_kind] {
            let back: PhotoErrorKind = serde_json::from_str(json).expect(json);
            assert_eq!(back.io_kind(), Some(ErrorKind::Other), "case {json}");
            assert_eq!(
                back.to_string(),
                "cannot read the file: gone",
                "case {json}"
            );
        }
        assert_eq!(PhotoErrorKind::Empty.io_kind(), None);
    }

    #[test]
    fn io_failures_keep_the_kind_and_the_words_of_the_io_error() {
        let missing = std::fs::File::open("/nonexistent/bestpick/photo.jpg").expect_err("absent");
        let words = missing.to_string();
        let kind = PhotoErrorKind::Unreadable(missing.into());
        assert_eq!(kind.io_kind(), Some(ErrorKind::NotFound));
        assert_eq!(kind.to_string(), format!("cannot read the file: {words}"));
    }

    #[test]
    fn every_stored_io_kind_name_is_its_own() {
        for (i, (kind, name)) in io_kind::NAMES.iter().enumerate() {
            for (other_kind, other_name) in &io_kind::NAMES[i + 1..] {
                assert_ne!(kind, other_kind, "{name} listed twice");
                assert_ne!(name, other_name, "{name} names two kinds");
            }
        }
    }
}
