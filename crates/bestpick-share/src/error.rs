//! The one error type of this crate.

use std::path::PathBuf;

/// Why a photo is not sent as it is (each reason is shown to the contributor).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefuseReason {
    /// Camera RAW files are never sent.
    #[error("RAW files are never sent (export a JPEG first)")]
    Raw,
    /// HEIC/HEIF/AVIF are never sent (their items and metadata cannot be re-checked here).
    #[error("HEIC/HEIF/AVIF files are never sent (export a JPEG first)")]
    Heif,
    /// Sidecars (XMP, JSON, …) are metadata, never sent.
    #[error("sidecar/metadata files are never sent")]
    Sidecar,
    /// Not an image format this crate decodes.
    #[error("not a supported image (JPEG, PNG, TIFF or WebP)")]
    Unsupported,
    /// The image is larger than the decoder limits allow.
    #[error("image too large ({width}x{height}, at most {max_pixels} pixels)")]
    TooLarge {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// Limit.
        max_pixels: u64,
    },
    /// Decoding failed.
    #[error("cannot decode: {0}")]
    Decode(String),
    /// The re-encoded image still carried something (fail closed).
    #[error("metadata check failed after re-encoding: {0}")]
    MetadataSurvived(String),
}

/// Everything that can go wrong in the contribution client.
///
/// Crypto and keyring errors are opaque: no key material or plaintext in messages.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A photo was refused; it is not sent.
    #[error("{path}: not sent: {reason}")]
    Refused {
        /// The photo.
        path: PathBuf,
        /// Why.
        reason: RefuseReason,
    },
    /// Reading or writing a local file failed.
    #[error("{path}: {source}")]
    Io {
        /// File or directory.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// No consent (or it was withdrawn): nothing may be built or sent.
    #[error("no consent: run `contribute consent` first (contribution is off by default)")]
    NoConsent,
    /// Consent was given to an older terms version.
    #[error("the terms changed (you accepted v{accepted}, current is v{current}): consent again")]
    TermsChanged {
        /// Version accepted.
        accepted: u32,
        /// Current version.
        current: u32,
    },
    /// The consent request is incomplete (age, parental permission, terms).
    #[error("consent not recorded: {0}")]
    ConsentInvalid(String),
    /// A preview was asked for with nothing selected.
    #[error("nothing selected: `contribute add PATH...` first")]
    NothingSelected,
    /// Every selected photo was refused.
    #[error("no photo can be sent: {}", .0.join("; "))]
    NothingSendable(
        /// Each refused photo with why.
        Vec<String>,
    ),
    /// The analysis scores did not pass the manifest's checks.
    #[error("the analysis scores cannot be sent: {0}")]
    ScoresRefused(String),
    /// The manifest would have named an original file (defence in depth; nothing is staged).
    #[error("the manifest would contain the file name of {}; nothing was staged", .0.display())]
    NameInManifest(
        /// The photo whose name leaked.
        PathBuf,
    ),
    /// No contribution matches a reference (an anonymous id or a prefix of it).
    #[error("no contribution matches {0:?}")]
    NoSuchContribution(String),
    /// A reference matches several contributions.
    #[error("{0:?} matches several contributions")]
    AmbiguousContribution(String),
    /// A sent bundle has no receipt in the vault, so it cannot be deleted at the collector.
    #[error("no receipt kept for this bundle")]
    NoReceipt,
    /// A contribution record disappeared from the ledger while it was being changed.
    #[error("contribution {0} vanished from the ledger")]
    RecordVanished(String),
    /// The collector no longer takes the key a staged bundle was sealed to, and the bundle
    /// cannot be sealed again to its current key; it stays staged.
    #[error("the collector no longer takes the key this bundle was sealed to, and {0}")]
    CannotReseal(String),
    /// A staged bundle file is not in the staged format.
    #[error("staged bundle record is malformed")]
    MalformedStaged,
    /// A vault record id with characters a record id never has.
    #[error("invalid vault record id {0:?}")]
    InvalidRecordId(String),
    /// Contribution needs a collector and none is configured.
    #[error("no collector is configured: set its address in Settings")]
    NoCollector,
    /// No OS keyring is reachable or it refused access. No key is ever written to disk.
    #[error(
        "the OS keyring is not available ({0}); the staging key is never stored on disk in \
         clear, so contribution needs a working keyring (Secret Service, Keychain or \
         Credential Manager)"
    )]
    Keyring(String),
    /// A vault record could not be decrypted (wrong key, tampered, or unknown version).
    #[error("vault record {record} cannot be decrypted (wrong key or tampered)")]
    VaultDecrypt {
        /// Record id.
        record: String,
    },
    /// A vault record is not a valid envelope.
    #[error("vault record {record} is not a valid envelope")]
    InvalidEnvelope {
        /// Record id.
        record: String,
    },
    /// Encryption failed.
    #[error("encryption failed")]
    Encrypt,
    /// The collector URL is not acceptable (HTTPS required except for loopback).
    #[error("collector URL {url}: {reason}")]
    CollectorUrl {
        /// URL as given.
        url: String,
        /// Why.
        reason: String,
    },
    /// The collector could not be reached or kept failing; the bundle stays staged.
    #[error("collector unreachable after {attempts} {}: {message}", attempt_words(*.attempts))]
    Unreachable {
        /// Attempts made.
        attempts: u32,
        /// Last error.
        message: String,
    },
    /// The collector answered with an error status.
    #[error("collector answered {status}: {message}")]
    Collector {
        /// HTTP status.
        status: u16,
        /// Message from the collector.
        message: String,
        /// The machine-readable `code` of the answer, when it has one (such as
        /// [`crate::upload::CODE_KEY_RETIRED`]).
        code: Option<String>,
    },
    /// The collector answered with a bundle id that is not one of its ids (32 lowercase hex
    /// characters); it is never put in a URL or stored.
    #[error(
        "the collector answered with an invalid bundle id {id} (expected 32 lowercase hex \
         characters); not used"
    )]
    InvalidBundleId {
        /// The id as received, shortened and escaped for display.
        id: String,
    },
    /// A bundle-format error.
    #[error(transparent)]
    Bundle(#[from] bestpick_bundle::Error),
    /// JSON (de)serialization of a local record failed.
    #[error("{what}: {source}")]
    Json {
        /// What was being (de)serialized.
        what: String,
        /// Cause.
        source: serde_json::Error,
    },
    /// The ledger store failed.
    #[error("ledger: {0}")]
    Ledger(String),
    /// The catalog, which keeps the ledger, failed.
    #[error(transparent)]
    Catalog(#[from] bestpick_catalog::Error),
    /// Computing the scores for a photo failed.
    #[error("{path}: analysis failed: {message}")]
    Scores {
        /// The photo.
        path: PathBuf,
        /// Cause.
        message: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    pub(crate) fn json(what: impl Into<String>) -> impl FnOnce(serde_json::Error) -> Error {
        let what = what.into();
        move |source| Error::Json { what, source }
    }
}

impl Error {
    /// Whether the collector refused a bundle because of the key it was sealed to (rotated out,
    /// or not held): sealing the same archive to the key it serves now is the remedy.
    pub fn is_stale_key(&self) -> bool {
        use crate::upload::{CODE_KEY_RETIRED, CODE_UNKNOWN_KEY};
        matches!(self, Error::Collector { status: 409, code: Some(code), .. }
            if code == CODE_KEY_RETIRED || code == CODE_UNKNOWN_KEY)
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// "attempt" or "attempts" for `n` of them.
fn attempt_words(n: u32) -> &'static str {
    if n == 1 { "attempt" } else { "attempts" }
}
