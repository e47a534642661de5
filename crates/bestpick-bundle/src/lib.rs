//! The contribution bundle format shared by the bestpick client and the collector.
//!
//! A bundle is a deterministic tar archive (`manifest.json` plus `images/<keyed-name>.jpg`)
//! sealed end to end with HPKE (RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! AES-256-GCM) to the collector's public key. This crate also holds the **metadata
//! verifier**: a strict, independent walk over JPEG segments and PNG chunks that accepts only
//! what a freshly encoded image needs. Both the client (before sending) and the collector
//! (after decrypting) run it and refuse anything else ("fail closed").
//!
//! This crate must not depend on the network, a keyring, a database or the app: it is pure
//! data and crypto so that the client and the collector share exactly one definition.
#![warn(missing_docs)]

mod archive;
mod error;
mod manifest;
mod seal;
mod verify;

pub use archive::{Bundle, Limits, MANIFEST_ENTRY};
pub use error::{Error, Result};
pub use manifest::{
    AgeDecade, Buckets, Gender, ImageEntry, Manifest, SCHEMA_VERSION, SkinType, is_hex_id,
};
pub use seal::{
    HPKE_INFO, KEY_ID_LEN, KeyId, PUBLIC_KEY_LEN, PublicKey, SEALED_MAGIC, SEALED_MAGIC_V1,
    SECRET_KEY_LEN, SUITE, SecretKey, generate_keypair, open, open_any, open_in_place,
    open_in_place_any, random_bytes, random_hex, seal, seal_v1, sealed_key_id, sha256_hex,
};
pub use verify::{ImageFormat, Rejection, verify_image};

/// Seconds since the Unix epoch: the clock of the contribution ledger (client) and of
/// retention (collector), which must agree on what a second is.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
