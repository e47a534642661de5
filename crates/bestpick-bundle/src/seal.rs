//! HPKE sealing of bundle archives to the collector's public key.
//!
//! RFC 9180 base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-256-GCM. Two
//! envelope versions exist; [`seal`] writes the second, the openers read both:
//!
//! - `BPB\x02`: `SEALED_MAGIC | schema version (u8) | key id (8) | encapsulated key (32) |
//!   ciphertext + tag`. The key id ([`KeyId`]: the first 8 bytes of SHA-256 of the
//!   recipient's public key) lets a collector holding several keys (after a rotation) pick the
//!   right one, and tell a bundle sealed to a retired key from a tampered one.
//! - `BPB\x01` ([`SEALED_MAGIC_V1`]): the same without the key id; bundles stored before key
//!   ids, opened by trying the keys.
//!
//! The `info` string names the schema version and the whole header (magic, schema version
//! and, in version 2, the key id) is the AEAD's associated data, so a bundle cannot be
//! reinterpreted under another version or relabelled with another key id.

use hpke::aead::{AeadTag, AesGcm256};
use hpke::inout::InOutBuf;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use sha2::{Digest, Sha256};

use crate::{Error, Result, SCHEMA_VERSION};

type Kem = X25519HkdfSha256;

/// First bytes of every bundle [`seal`] writes (envelope version 2, with a key id).
pub const SEALED_MAGIC: &[u8; 4] = b"BPB\x02";
/// First bytes of bundles sealed before key ids (envelope version 1); still opened.
pub const SEALED_MAGIC_V1: &[u8; 4] = b"BPB\x01";
/// HPKE `info` string; binds the manifest schema version.
pub const HPKE_INFO: &[u8] = b"bestpick contribution bundle, schema 1";
/// Human-readable name of the cipher suite.
pub const SUITE: &str = "HPKE base: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM";
/// Length of a serialized public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of a serialized secret key.
pub const SECRET_KEY_LEN: usize = 32;
/// Length of a [`KeyId`].
pub const KEY_ID_LEN: usize = 8;
const ENC_LEN: usize = 32;
/// AES-GCM tag length.
const TAG_LEN: usize = 16;
/// Header of version 1: magic and schema version.
const HEADER_V1_LEN: usize = 5;
/// Header of version 2: magic, schema version and key id.
const HEADER_V2_LEN: usize = HEADER_V1_LEN + KEY_ID_LEN;

// The info string spells out the schema version; keep them in step.
const _: () = assert!(SCHEMA_VERSION == 1);

/// Which key a bundle was sealed to: the first 8 bytes of SHA-256 of the public key. Its hex
/// form is the key's [`PublicKey::fingerprint`]. Public information, never key material.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; KEY_ID_LEN]);

impl KeyId {
    /// The id of `key`.
    pub fn of(key: &PublicKey) -> KeyId {
        let digest = Sha256::digest(key.as_bytes());
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        KeyId(id)
    }

    /// Parses 16 hex digits.
    pub fn from_hex(s: &str) -> Result<KeyId> {
        let bytes = hex::decode(s.trim()).map_err(|_| Error::InvalidKey)?;
        bytes.try_into().map(KeyId).map_err(|_| Error::InvalidKey)
    }

    /// Raw bytes, as in the envelope.
    pub fn as_bytes(&self) -> &[u8; KEY_ID_LEN] {
        &self.0
    }

    /// Lowercase hex (16 characters).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl std::fmt::Debug for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyId({})", self.to_hex())
    }
}

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

    /// The id sealed bundles carry ([`KeyId`]).
    pub fn key_id(&self) -> KeyId {
        KeyId::of(self)
    }

    /// Short fingerprint: first 16 hex chars of SHA-256 of the key (the [`KeyId`] in hex).
    pub fn fingerprint(&self) -> String {
        self.key_id().to_hex()
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

    /// The id of the matching public key.
    pub fn key_id(&self) -> KeyId {
        self.public_key().key_id()
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

fn schema_byte() -> u8 {
    u8::try_from(SCHEMA_VERSION).expect("schema version fits in a byte")
}

fn header_v2(id: &KeyId) -> [u8; HEADER_V2_LEN] {
    let mut header = [0u8; HEADER_V2_LEN];
    header[..4].copy_from_slice(SEALED_MAGIC);
    header[4] = schema_byte();
    header[HEADER_V1_LEN..].copy_from_slice(id.as_bytes());
    header
}

/// Seals `plaintext` (an archive) to `recipient`, in envelope version 2 (with its key id).
pub fn seal(recipient: &PublicKey, plaintext: &[u8]) -> Result<Vec<u8>> {
    seal_with_header(recipient, &header_v2(&recipient.key_id()), plaintext)
}

/// Seals in envelope version 1 (no key id), as builds before key ids did. Only for tests and
/// tools that must make such bundles (the ones stored before key ids); use [`seal`].
pub fn seal_v1(recipient: &PublicKey, plaintext: &[u8]) -> Result<Vec<u8>> {
    let mut header = [0u8; HEADER_V1_LEN];
    header[..4].copy_from_slice(SEALED_MAGIC_V1);
    header[4] = schema_byte();
    seal_with_header(recipient, &header, plaintext)
}

fn seal_with_header(recipient: &PublicKey, header: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(recipient.as_bytes())
        .map_err(|_| Error::InvalidKey)?;
    let (enc, ciphertext) = hpke::single_shot_seal::<AesGcm256, HkdfSha256, Kem>(
        &OpModeS::Base,
        &pk,
        HPKE_INFO,
        plaintext,
        header,
    )
    .map_err(|_| Error::Seal)?;
    let mut out = Vec::with_capacity(header.len() + ENC_LEN + ciphertext.len());
    out.extend_from_slice(header);
    out.extend_from_slice(&enc.to_bytes());
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// The key id a sealed bundle names: `Some` for envelope version 2, `None` for version 1
/// (which names none: try the keys). Reads only the header; says nothing of whether the rest
/// opens.
pub fn sealed_key_id(sealed: &[u8]) -> Result<Option<KeyId>> {
    Ok(parse_header(sealed)?.1)
}

/// The header's length and key id, after checking magic, schema version and length.
fn parse_header(sealed: &[u8]) -> Result<(usize, Option<KeyId>)> {
    let header_len = if sealed.starts_with(SEALED_MAGIC) {
        HEADER_V2_LEN
    } else if sealed.starts_with(SEALED_MAGIC_V1) {
        HEADER_V1_LEN
    } else {
        return Err(Error::InvalidEnvelope);
    };
    if sealed.len() < header_len + ENC_LEN + TAG_LEN {
        return Err(Error::InvalidEnvelope);
    }
    if sealed[4] != schema_byte() {
        return Err(Error::UnsupportedSchema {
            found: u32::from(sealed[4]),
            known: SCHEMA_VERSION,
        });
    }
    let id = (header_len == HEADER_V2_LEN).then(|| {
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&sealed[HEADER_V1_LEN..HEADER_V2_LEN]);
        KeyId(id)
    });
    Ok((header_len, id))
}

/// Opens a sealed bundle (either envelope version). A bundle naming another key id gives
/// [`Error::WrongKey`]; a wrong key (version 1) and a tampered bundle give [`Error::Open`].
pub fn open(secret: &SecretKey, sealed: &[u8]) -> Result<Vec<u8>> {
    let mut buf = sealed.to_vec();
    open_in_place(secret, &mut buf)?;
    Ok(buf)
}

/// Opens a sealed bundle in `buf` itself: on success `buf` holds the plaintext (the archive)
/// and no second copy of the bundle was made, so a large bundle costs its size in memory once.
/// Errors as [`open`]; on any error `buf` is left as it was (the tag is checked before
/// anything is decrypted; `failed_opens_leave_the_buffer_alone` tests it).
pub fn open_in_place(secret: &SecretKey, buf: &mut Vec<u8>) -> Result<()> {
    let (header_len, id) = parse_header(buf)?;
    if let Some(id) = id {
        let key = secret.key_id();
        if id != key {
            return Err(Error::WrongKey { sealed_to: id, key });
        }
    }
    open_body(secret, header_len, buf)
}

/// Opens a sealed bundle with whichever of `keys` it was sealed to, in place (see
/// [`open_in_place`]), and returns that key's index. Version 2 picks the key by its id
/// ([`Error::UnknownKey`] when none has it); version 1 tries each key in turn
/// ([`Error::Open`] when none opens it).
pub fn open_in_place_any(keys: &[&SecretKey], buf: &mut Vec<u8>) -> Result<usize> {
    let (header_len, id) = parse_header(buf)?;
    match id {
        Some(id) => {
            let index = keys
                .iter()
                .position(|k| k.key_id() == id)
                .ok_or(Error::UnknownKey { sealed_to: id })?;
            open_body(keys[index], header_len, buf)?;
            Ok(index)
        }
        None => {
            for (index, key) in keys.iter().enumerate() {
                match open_body(key, header_len, buf) {
                    Ok(()) => return Ok(index),
                    Err(Error::Open) => continue,
                    Err(e) => return Err(e),
                }
            }
            Err(Error::Open)
        }
    }
}

/// [`open_in_place_any`] on a copy: the plaintext and the index of the key that opened it.
pub fn open_any(keys: &[&SecretKey], sealed: &[u8]) -> Result<(Vec<u8>, usize)> {
    let mut buf = sealed.to_vec();
    let index = open_in_place_any(keys, &mut buf)?;
    Ok((buf, index))
}

/// Decrypts `buf` (a header of `header_len` bytes checked by [`parse_header`]) in place with
/// `secret`, without looking at the key id: the id is part of the associated data, so a
/// relabelled bundle fails here too.
fn open_body(secret: &SecretKey, header_len: usize, buf: &mut Vec<u8>) -> Result<()> {
    let body_start = header_len + ENC_LEN;
    if buf.len() < body_start + TAG_LEN {
        return Err(Error::InvalidEnvelope);
    }
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&buf[header_len..body_start])
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
    let (header, rest) = buf.split_at_mut(header_len);
    let body_len = tag_start - header_len;
    ctx.open_inout_detached(InOutBuf::from(&mut rest[ENC_LEN..body_len]), header, &tag)
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
mod tests;
