//! The one error type of this crate.

use crate::seal::KeyId;
use crate::verify::Rejection;

/// Everything that can go wrong while building, sealing, opening or checking a bundle.
///
/// Crypto failures are deliberately opaque: they never carry key material or plaintext.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An image still carries something a fresh encode would not (fail closed).
    #[error("image {entry} rejected: {rejection}")]
    ImageRejected {
        /// Archive entry name (a keyed hash, never an original file name).
        entry: String,
        /// Why it was rejected.
        rejection: Rejection,
    },
    /// The manifest does not describe a valid bundle of this schema.
    #[error("invalid manifest: {0}")]
    InvalidManifest(String),
    /// The manifest is not valid JSON for this schema.
    #[error("manifest is not valid JSON: {0}")]
    ManifestJson(#[source] serde_json::Error),
    /// The bundle was made for a schema version this code does not know.
    #[error("unsupported schema version {found} (this code knows {known})")]
    UnsupportedSchema {
        /// Version in the bundle.
        found: u32,
        /// Version this code writes and reads.
        known: u32,
    },
    /// The archive is malformed (bad tar, unexpected entry, duplicate, wrong type).
    #[error("invalid archive: {0}")]
    InvalidArchive(String),
    /// The archive exceeds a size or count limit.
    #[error("bundle too large: {0}")]
    TooLarge(String),
    /// Reading or writing the in-memory archive failed.
    #[error("archive I/O failed")]
    ArchiveIo(#[source] std::io::Error),
    /// A public or secret key has the wrong length or is not a valid X25519 key.
    #[error("invalid key")]
    InvalidKey,
    /// The sealed bytes do not start with a known header.
    #[error("not a sealed bestpick bundle (bad header)")]
    InvalidEnvelope,
    /// Sealing failed.
    #[error("encryption failed")]
    Seal,
    /// The bundle names (by key id) another key than the one given to open it.
    #[error("bundle sealed to key {sealed_to}, not to key {key}")]
    WrongKey {
        /// The key id in the bundle.
        sealed_to: KeyId,
        /// The id of the key given.
        key: KeyId,
    },
    /// The bundle names (by key id) none of the keys given to open it.
    #[error("bundle sealed to key {sealed_to}, which is not one of the keys held")]
    UnknownKey {
        /// The key id in the bundle.
        sealed_to: KeyId,
    },
    /// Opening failed: wrong key or tampered ciphertext (the two are indistinguishable).
    #[error("decryption failed (wrong key or tampered bundle)")]
    Open,
    /// The OS random number generator failed.
    #[error("random number generator failed")]
    Random,
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
