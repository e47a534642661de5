//! Keyed file names: `HMAC-SHA256(per-bundle secret, original name)` in hex.
//!
//! A plain SHA-256 of "IMG_0001.JPG" is reversed by hashing every camera file name; with a
//! random 256-bit key used for one bundle only, and never stored or sent, it cannot be.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::Result;

/// Names the images of one bundle. Dropped (with its secret) when the bundle is built.
pub struct KeyedNamer {
    secret: [u8; 32],
}

impl KeyedNamer {
    /// A namer with a fresh random secret.
    pub fn new() -> Result<KeyedNamer> {
        let bytes = bestpick_bundle::random_bytes(32)?;
        let mut secret = [0u8; 32];
        secret.copy_from_slice(&bytes);
        Ok(KeyedNamer { secret })
    }

    /// 64 lowercase hex characters keyed on `original` (a file name or path).
    pub fn name(&self, original: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret)
            .expect("HMAC accepts keys of any length");
        mac.update(original.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

impl Drop for KeyedNamer {
    fn drop(&mut self) {
        // Best effort: the secret is never needed again.
        self.secret = [0; 32];
    }
}

impl std::fmt::Debug for KeyedNamer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyedNamer(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_keyed_per_bundle() {
        let a = KeyedNamer::new().unwrap();
        let b = KeyedNamer::new().unwrap();
        let n = a.name("IMG_0001.JPG");
        assert_eq!(n.len(), 64, "hex length");
        assert_eq!(n, a.name("IMG_0001.JPG"), "stable within a bundle");
        assert_ne!(n, a.name("IMG_0002.JPG"), "distinct names differ");
        assert_ne!(
            n,
            b.name("IMG_0001.JPG"),
            "another bundle gives another name"
        );
        let plain = bestpick_bundle::sha256_hex(b"IMG_0001.JPG");
        assert_ne!(n, plain, "not a plain SHA-256");
        assert_eq!(format!("{a:?}"), "KeyedNamer(..)", "debug hides the secret");
    }
}
