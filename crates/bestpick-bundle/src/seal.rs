//! HPKE sealing of bundle archives to the collector's public key.
//!
//! RFC 9180 base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-256-GCM. The sealed
//! form is `SEALED_MAGIC | schema version (u8) | encapsulated key (32) | ciphertext + tag`.
//! The `info` string names the schema version and the header is the AEAD's associated data,
//! so a bundle cannot be reinterpreted under another version.

use hpke::aead::{AeadTag, AesGcm256};
use hpke::inout::InOutBuf;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use sha2::{Digest, Sha256};

use crate::{Error, Result, SCHEMA_VERSION};

type Kem = X25519HkdfSha256;

/// First bytes of every sealed bundle.
pub const SEALED_MAGIC: &[u8; 4] = b"BPB\x01";
/// HPKE `info` string; binds the manifest schema version.
pub const HPKE_INFO: &[u8] = b"bestpick contribution bundle, schema 1";
/// Human-readable name of the cipher suite.
pub const SUITE: &str = "HPKE base: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM";
/// Length of a serialized public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of a serialized secret key.
pub const SECRET_KEY_LEN: usize = 32;
const ENC_LEN: usize = 32;
/// AES-GCM tag length.
const TAG_LEN: usize = 16;

// The info string spells out the schema version; keep them in step.
const _: () = assert!(SCHEMA_VERSION == 1);

/// The collector's public key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey([u8; PUBLIC_KEY_LEN]);

impl PublicKey {
    /// Parses 32 raw bytes and checks they are a valid X25519 public key.
    pub fn from_bytes(bytes: &[u8]) -> Result<PublicKey> {
        let arr: [u8; PUBLIC_KEY_LEN] = bytes.try_into().map_err(|_| Error::InvalidKey)?;
        <Kem as hpke::Kem>::PublicKey::from_bytes(&arr).map_err(|_| Error::InvalidKey)?;
        Ok(PublicKey(arr))
    }

    /// Parses the hex form served by the collector.
    pub fn from_hex(s: &str) -> Result<PublicKey> {
        PublicKey::from_bytes(&hex::decode(s.trim()).map_err(|_| Error::InvalidKey)?)
    }

    /// Raw bytes.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Short fingerprint: first 16 hex chars of SHA-256 of the key.
    pub fn fingerprint(&self) -> String {
        sha256_hex(&self.0)[..16].to_owned()
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.fingerprint())
    }
}

/// The collector's secret key. Its `Debug` never shows the key.
pub struct SecretKey(<Kem as hpke::Kem>::PrivateKey);

impl SecretKey {
    /// Parses 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<SecretKey> {
        <Kem as hpke::Kem>::PrivateKey::from_bytes(bytes)
            .map(SecretKey)
            .map_err(|_| Error::InvalidKey)
    }

    /// Raw bytes, for storing in a 0600 file.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes().to_vec()
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        let pk = <Kem as hpke::Kem>::sk_to_pk(&self.0);
        let mut arr = [0u8; PUBLIC_KEY_LEN];
        arr.copy_from_slice(&pk.to_bytes());
        PublicKey(arr)
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// Makes a fresh key pair from the OS random number generator.
pub fn generate_keypair() -> (SecretKey, PublicKey) {
    let (sk, _) = Kem::gen_keypair();
    let sk = SecretKey(sk);
    let pk = sk.public_key();
    (sk, pk)
}

fn header() -> [u8; 5] {
    let v = u8::try_from(SCHEMA_VERSION).expect("schema version fits in a byte");
    [
        SEALED_MAGIC[0],
        SEALED_MAGIC[1],
        SEALED_MAGIC[2],
        SEALED_MAGIC[3],
        v,
    ]
}

/// Seals `plaintext` (an archive) to `recipient`.
pub fn seal(recipient: &PublicKey, plaintext: &[u8]) -> Result<Vec<u8>> {
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(recipient.as_bytes())
        .map_err(|_| Error::InvalidKey)?;
    let header = header();
    let (enc, ciphertext) = hpke::single_shot_seal::<AesGcm256, HkdfSha256, Kem>(
        &OpModeS::Base,
        &pk,
        HPKE_INFO,
        plaintext,
        &header,
    )
    .map_err(|_| Error::Seal)?;
    let mut out = Vec::with_capacity(header.len() + ENC_LEN + ciphertext.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(&enc.to_bytes());
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Opens a sealed bundle. A wrong key and a tampered bundle give the same [`Error::Open`].
pub fn open(secret: &SecretKey, sealed: &[u8]) -> Result<Vec<u8>> {
    let mut buf = sealed.to_vec();
    open_in_place(secret, &mut buf)?;
    Ok(buf)
}

/// Opens a sealed bundle in `buf` itself: on success `buf` holds the plaintext (the archive)
/// and no second copy of the bundle was made, so a large bundle costs its size in memory once.
/// A wrong key and a tampered bundle give the same [`Error::Open`]; on any error the content
/// of `buf` is unspecified and must be thrown away.
pub fn open_in_place(secret: &SecretKey, buf: &mut Vec<u8>) -> Result<()> {
    let header = header();
    let body_start = header.len() + ENC_LEN;
    if buf.len() < body_start + TAG_LEN || !buf.starts_with(SEALED_MAGIC) {
        return Err(Error::InvalidEnvelope);
    }
    if buf[..header.len()] != header {
        return Err(Error::UnsupportedSchema {
            found: u32::from(buf[SEALED_MAGIC.len()]),
            known: SCHEMA_VERSION,
        });
    }
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&buf[header.len()..body_start])
        .map_err(|_| Error::Open)?;
    let tag_start = buf.len() - TAG_LEN;
    let tag = AeadTag::<AesGcm256>::from_bytes(&buf[tag_start..]).map_err(|_| Error::Open)?;
    let mut ctx = hpke::setup_receiver::<AesGcm256, HkdfSha256, Kem>(
        &OpModeR::Base,
        &secret.0,
        &enc,
        HPKE_INFO,
    )
    .map_err(|_| Error::Open)?;
    ctx.open_inout_detached(
        InOutBuf::from(&mut buf[body_start..tag_start]),
        &header,
        &tag,
    )
    .map_err(|_| Error::Open)?;
    buf.truncate(tag_start);
    buf.drain(..body_start);
    Ok(())
}

/// Fills `n` bytes from the OS random number generator.
pub fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|_| Error::Random)?;
    Ok(buf)
}

/// `n` random bytes as lowercase hex (`2n` characters).
pub fn random_hex(n: usize) -> Result<String> {
    random_bytes(n).map(hex::encode)
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip() {
        let (sk, pk) = generate_keypair();
        let sealed = seal(&pk, b"archive bytes").unwrap();
        assert!(sealed.starts_with(SEALED_MAGIC), "header");
        assert!(
            !sealed.windows(13).any(|w| w == b"archive bytes"),
            "plaintext must not appear in the sealed form"
        );
        assert_eq!(open(&sk, &sealed).unwrap(), b"archive bytes");
        let mut in_place = sealed.clone();
        open_in_place(&sk, &mut in_place).unwrap();
        assert_eq!(in_place, b"archive bytes", "opened in place");
        let again = SecretKey::from_bytes(&sk.to_bytes()).unwrap();
        assert_eq!(again.public_key(), pk, "secret key serializes");
        assert_eq!(
            PublicKey::from_hex(&pk.to_hex()).unwrap(),
            pk,
            "public key hex"
        );
    }

    #[test]
    fn failures_are_opaque_and_do_not_panic() {
        let (sk, pk) = generate_keypair();
        let (other_sk, _) = generate_keypair();
        let sealed = seal(&pk, b"secret plaintext").unwrap();

        let err = open(&other_sk, &sealed).unwrap_err();
        assert!(matches!(err, Error::Open), "wrong key: {err}");
        assert!(
            !format!("{err:?}{err}").contains("secret plaintext"),
            "opaque"
        );

        for i in [5, 20, 40, sealed.len() - 1] {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x01;
            assert!(
                matches!(open(&sk, &tampered), Err(Error::Open)),
                "flipped byte {i}"
            );
            assert!(
                matches!(open_in_place(&sk, &mut tampered), Err(Error::Open)),
                "flipped byte {i}, in place"
            );
        }
        let mut version = sealed.clone();
        version[4] = 2;
        assert!(
            matches!(
                open(&sk, &version),
                Err(Error::UnsupportedSchema { found: 2, .. })
            ),
            "other schema version"
        );
        for cut in [0, 4, 5, 36, 52] {
            assert!(open(&sk, &sealed[..cut]).is_err(), "truncated to {cut}");
        }
        assert!(
            matches!(
                open(
                    &sk,
                    b"GARBAGE GARBAGE GARBAGE GARBAGE GARBAGE GARBAGE GARBAGE"
                ),
                Err(Error::InvalidEnvelope)
            ),
            "bad magic"
        );
        assert!(PublicKey::from_bytes(&[1; 31]).is_err(), "short key");
        assert_eq!(format!("{sk:?}"), "SecretKey(..)", "debug hides key");
    }
}
