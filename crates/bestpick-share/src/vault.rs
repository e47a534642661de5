//! Local staging: bundles waiting to go, receipts and the selection, encrypted at rest.
//!
//! Each record is one file `<record id>.bpv` holding a versioned envelope
//! `MAGIC | version:u8 | nonce(12) | AES-256-GCM ciphertext + tag`, with a fresh random nonce
//! per write and the record id bound as associated data (a record copied under another name
//! does not open). The 256-bit key lives in the OS keyring (service "bestpick", user
//! "staging-key"), created on first use; without a keyring there is a clear error and never a
//! key on disk in clear.
//!
//! Records are written durably (temp file, fsync, rename, fsync of the directory): once
//! [`Vault::put`] returns, the record survives a crash or a power cut, and a record is never
//! torn. Temp files a crash left behind are removed when the vault is opened.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

use crate::{Error, Result};

/// First bytes of every vault record.
pub const MAGIC: &[u8; 4] = b"BPVR";
/// Envelope version written by this code.
pub const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const EXTENSION: &str = "bpv";
/// The largest record read: a staged bundle is at most the bundle format's 512 MiB of entries,
/// sealed, plus a small header.
pub const MAX_RECORD_BYTES: u64 = 600 * 1024 * 1024;

/// Keyring service name.
pub const KEYRING_SERVICE: &str = "bestpick";
/// Keyring user name of the staging key.
pub const KEYRING_USER: &str = "staging-key";

/// Where the staging key comes from. Tests use [`MemoryKeyStore`]; the app uses [`OsKeyring`].
pub trait KeyStore: Send + Sync {
    /// The 256-bit staging key, created and stored on first use.
    fn staging_key(&self) -> Result<[u8; 32]>;
}

/// The OS keyring: Secret Service on Linux, Keychain on macOS, Credential Manager on Windows.
#[derive(Debug, Clone)]
pub struct OsKeyring {
    service: String,
    user: String,
}

impl Default for OsKeyring {
    fn default() -> OsKeyring {
        OsKeyring::new(KEYRING_SERVICE, KEYRING_USER)
    }
}

impl OsKeyring {
    /// An entry under `service`/`user` (tests use their own names).
    pub fn new(service: &str, user: &str) -> OsKeyring {
        OsKeyring {
            service: service.to_owned(),
            user: user.to_owned(),
        }
    }

    /// Removes the stored key (tests; a forgotten key makes every vault record unreadable).
    pub fn delete_key(&self) -> Result<()> {
        let entry = self.entry()?;
        match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(keyring_error(&e)),
        }
    }

    #[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
    fn entry(&self) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, &self.user).map_err(|e| keyring_error(&e))
    }

    // keyring 3 silently falls back to an in-memory mock without a platform store: refuse.
    #[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
    fn entry(&self) -> Result<keyring::Entry> {
        Err(Error::Keyring(
            "no supported keyring on this platform".into(),
        ))
    }
}

/// Maps keyring errors to fixed descriptions (never echoing stored bytes).
fn keyring_error(e: &keyring::Error) -> Error {
    let what = match e {
        keyring::Error::NoStorageAccess(_) => "the keyring is locked or refused access",
        keyring::Error::PlatformFailure(_) => "no keyring service is reachable",
        keyring::Error::NoEntry => "no key stored",
        keyring::Error::BadEncoding(_) => "the stored key is not valid text",
        keyring::Error::TooLong(..) | keyring::Error::Invalid(..) => "invalid keyring entry",
        keyring::Error::Ambiguous(_) => "several keyring entries match",
        _ => "keyring error",
    };
    Error::Keyring(what.into())
}

fn parse_key(hex_key: &str) -> Option<[u8; 32]> {
    hex::decode(hex_key.trim()).ok()?.try_into().ok()
}

/// Serializes "read or create the staging key" across bestpick processes of this user (the
/// CLI and the app may start at once): without it two first runs could each store their own
/// key and one would lose what it staged. The keyring has no compare-and-swap, so the lock is
/// an advisory file lock held only while the key is read or created; when the lock file
/// cannot be opened the key is still read or created, just without the guard.
struct KeyLock(Option<std::fs::File>);

impl KeyLock {
    fn take(service: &str, user: &str) -> KeyLock {
        let dir = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|d| d.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        let name: String = format!("bestpick-keyring-{service}-{user}.lock")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(name))
            .ok()
            .filter(|f| f.lock().is_ok());
        KeyLock(file)
    }
}

impl Drop for KeyLock {
    fn drop(&mut self) {
        if let Some(f) = &self.0 {
            let _ = f.unlock();
        }
    }
}

impl KeyStore for OsKeyring {
    fn staging_key(&self) -> Result<[u8; 32]> {
        let entry = self.entry()?;
        let _lock = KeyLock::take(&self.service, &self.user);
        match entry.get_password() {
            Ok(stored) => parse_key(&stored)
                .ok_or_else(|| Error::Keyring("the stored staging key is malformed".into())),
            Err(keyring::Error::NoEntry) => {
                let key = fresh_key()?;
                entry
                    .set_password(&hex::encode(key))
                    .map_err(|e| keyring_error(&e))?;
                // Read back: some stores accept a write they cannot keep.
                let stored = entry.get_password().map_err(|e| keyring_error(&e))?;
                if parse_key(&stored) != Some(key) {
                    return Err(Error::Keyring(
                        "the keyring did not keep the staging key".into(),
                    ));
                }
                Ok(key)
            }
            Err(e) => Err(keyring_error(&e)),
        }
    }
}

fn fresh_key() -> Result<[u8; 32]> {
    let bytes = bestpick_bundle::random_bytes(32)?;
    let mut key = [0u8; 32];
    key.copy_from_slice(&bytes);
    Ok(key)
}

/// An in-memory key store for tests: keeps its key for its own lifetime only, and can be
/// set to fail like a locked keyring.
#[derive(Debug, Default)]
pub struct MemoryKeyStore {
    key: Mutex<Option<[u8; 32]>>,
    locked: bool,
}

impl MemoryKeyStore {
    /// A store that behaves like a locked keyring.
    pub fn locked() -> MemoryKeyStore {
        MemoryKeyStore {
            key: Mutex::new(None),
            locked: true,
        }
    }
}

impl KeyStore for MemoryKeyStore {
    fn staging_key(&self) -> Result<[u8; 32]> {
        if self.locked {
            return Err(Error::Keyring(
                "the keyring is locked or refused access".into(),
            ));
        }
        let mut guard = self
            .key
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match *guard {
            Some(k) => Ok(k),
            None => {
                let k = fresh_key()?;
                *guard = Some(k);
                Ok(k)
            }
        }
    }
}

/// True for record ids made of `[a-z0-9-]`, 1 to 100 characters.
fn valid_record_id(id: &str) -> bool {
    (1..=100).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn aad(record: &str) -> Vec<u8> {
    let mut aad = MAGIC.to_vec();
    aad.push(VERSION);
    aad.extend_from_slice(record.as_bytes());
    aad
}

/// Encrypts one record into an envelope.
pub fn seal_record(key: &[u8; 32], record: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| Error::Encrypt)?;
    let nonce_bytes = bestpick_bundle::random_bytes(NONCE_LEN)?;
    let nonce = Nonce::try_from(nonce_bytes.as_slice()).map_err(|_| Error::Encrypt)?;
    let ciphertext = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: &aad(record),
            },
        )
        .map_err(|_| Error::Encrypt)?;
    let mut out = Vec::with_capacity(MAGIC.len() + 1 + NONCE_LEN + ciphertext.len());
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Decrypts an envelope made by [`seal_record`] for the same record id.
pub fn open_record(key: &[u8; 32], record: &str, envelope: &[u8]) -> Result<Vec<u8>> {
    let invalid = || Error::InvalidEnvelope {
        record: record.to_owned(),
    };
    let header = MAGIC.len() + 1;
    if envelope.len() < header + NONCE_LEN + TAG_LEN || !envelope.starts_with(MAGIC) {
        return Err(invalid());
    }
    if envelope[MAGIC.len()] != VERSION {
        return Err(invalid());
    }
    let nonce = Nonce::try_from(&envelope[header..header + NONCE_LEN]).map_err(|_| invalid())?;
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| invalid())?;
    cipher
        .decrypt(
            &nonce,
            Payload {
                msg: &envelope[header + NONCE_LEN..],
                aad: &aad(record),
            },
        )
        .map_err(|_| Error::VaultDecrypt {
            record: record.to_owned(),
        })
}

/// A directory of encrypted records.
pub struct Vault {
    dir: PathBuf,
    key: [u8; 32],
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Opens (creating) the vault in `dir`, fetching the key from `keys`.
    pub fn open(dir: &Path, keys: &dyn KeyStore) -> Result<Vault> {
        let key = keys.staging_key()?;
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(Error::io(dir))?;
        }
        crate::fsutil::remove_stale_temps(dir);
        Ok(Vault {
            dir: dir.to_owned(),
            key,
        })
    }

    /// The vault directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, record: &str) -> Result<PathBuf> {
        if !valid_record_id(record) {
            return Err(Error::InvalidRecordId(record.to_string()));
        }
        Ok(self.dir.join(format!("{record}.{EXTENSION}")))
    }

    /// Writes (replaces) a record atomically and durably: when this returns, the record is on
    /// disk (file and directory entry fsynced).
    pub fn put(&self, record: &str, plaintext: &[u8]) -> Result<()> {
        let path = self.path(record)?;
        let envelope = seal_record(&self.key, record, plaintext)?;
        crate::fsutil::write_durable(&path, &envelope)
    }

    /// Reads a record; `None` when absent. A record file that is not a regular file or is
    /// larger than [`MAX_RECORD_BYTES`] is an error, and is not read.
    pub fn get(&self, record: &str) -> Result<Option<Vec<u8>>> {
        let path = self.path(record)?;
        match crate::fsutil::read_capped(&path, MAX_RECORD_BYTES) {
            Ok(envelope) => open_record(&self.key, record, &envelope).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Io { path, source: e }),
        }
    }

    /// Deletes a record (absent is fine), durably.
    pub fn remove(&self, record: &str) -> Result<()> {
        let path = self.path(record)?;
        crate::fsutil::remove_durable(&path)
    }

    /// Record ids starting with `prefix`, sorted.
    pub fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(Error::io(&self.dir))? {
            let entry = entry.map_err(Error::io(&self.dir))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(id) = name.strip_suffix(&format!(".{EXTENSION}"))
                && id.starts_with(prefix)
                && valid_record_id(id)
            {
                ids.push(id.to_owned());
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Seconds since the record file was last written (for purges that must work even when
    /// a record cannot be decrypted).
    pub fn age_secs(&self, record: &str) -> Result<u64> {
        let path = self.path(record)?;
        let modified = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .map_err(Error::io(&path))?;
        Ok(modified.elapsed().map(|d| d.as_secs()).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trip_and_failures() {
        let key = [7u8; 32];
        let a = seal_record(&key, "staged-1", b"bundle bytes").unwrap();
        let b = seal_record(&key, "staged-1", b"bundle bytes").unwrap();
        assert_ne!(a, b, "fresh nonce per message");
        assert!(a.starts_with(MAGIC) && a[4] == VERSION, "versioned header");
        assert_eq!(
            open_record(&key, "staged-1", &a).unwrap(),
            b"bundle bytes",
            "round trip"
        );

        let cases: Vec<(&str, [u8; 32], &str, Vec<u8>)> = vec![
            ("wrong key", [8; 32], "staged-1", a.clone()),
            ("other record id (AAD)", key, "staged-2", a.clone()),
            ("flipped ciphertext", key, "staged-1", {
                let mut t = a.clone();
                let n = t.len();
                t[n - 1] ^= 1;
                t
            }),
            ("unknown version", key, "staged-1", {
                let mut t = a.clone();
                t[4] = 9;
                t
            }),
            ("bad magic", key, "staged-1", {
                let mut t = a.clone();
                t[0] = b'X';
                t
            }),
            ("truncated", key, "staged-1", a[..20].to_vec()),
        ];
        for (case, k, record, envelope) in cases {
            let err = open_record(&k, record, &envelope).unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(!text.contains("bundle bytes"), "case {case}: opaque error");
            assert!(
                matches!(
                    err,
                    Error::VaultDecrypt { .. } | Error::InvalidEnvelope { .. }
                ),
                "case {case}: {err}"
            );
        }
    }

    #[test]
    fn vault_records_are_encrypted_files() {
        let dir = tempfile::tempdir().unwrap();
        let keys = MemoryKeyStore::default();
        let vault = Vault::open(&dir.path().join("v"), &keys).unwrap();
        vault.put("receipt-abc", b"token-secret-value").unwrap();
        vault.put("staged-abc", b"x").unwrap();
        assert_eq!(
            vault.get("receipt-abc").unwrap().unwrap(),
            b"token-secret-value"
        );
        assert_eq!(vault.get("missing").unwrap(), None, "absent record");
        assert_eq!(
            vault.list("staged-").unwrap(),
            vec!["staged-abc"],
            "list by prefix"
        );
        let raw = std::fs::read(dir.path().join("v/receipt-abc.bpv")).unwrap();
        assert!(
            !raw.windows(12).any(|w| w == b"token-secret"),
            "no plaintext on disk"
        );
        assert!(
            vault.put("../evil", b"x").is_err(),
            "record ids are checked"
        );
        vault.remove("staged-abc").unwrap();
        vault.remove("staged-abc").unwrap();
        assert!(vault.list("staged-").unwrap().is_empty(), "removed");

        // The same key store opens the same records; a locked one gives a clear error.
        let again = Vault::open(&dir.path().join("v"), &keys).unwrap();
        assert!(again.get("receipt-abc").unwrap().is_some(), "reopened");
        let err = Vault::open(&dir.path().join("v"), &MemoryKeyStore::locked()).unwrap_err();
        assert!(err.to_string().contains("keyring"), "locked keyring: {err}");
        assert!(
            err.to_string().contains("never stored on disk"),
            "says why: {err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn crash_leftovers_are_removed_and_special_files_refused() {
        let dir = tempfile::tempdir().unwrap();
        let keys = MemoryKeyStore::default();
        let v = dir.path().join("v");
        let vault = Vault::open(&v, &keys).unwrap();
        vault.put("receipt-abc", b"token").unwrap();
        // Temp files of writers that died (this build's names and older builds' names), and
        // one a live writer holds locked.
        let stale = [".receipt-abc.bpv.4194305-0.tmp", "receipt-old.tmp"];
        for name in stale {
            std::fs::write(v.join(name), b"half").unwrap();
        }
        let live = std::fs::File::create(v.join(".staged-x.bpv.1-1.tmp")).unwrap();
        live.lock().unwrap();
        // A FIFO where a record should be must not block a read.
        let fifo = v.join("staged-fifo.bpv");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );

        let vault = Vault::open(&v, &keys).unwrap();
        for name in stale {
            assert!(!v.join(name).exists(), "case {name}: stale temp removed");
        }
        assert!(
            v.join(".staged-x.bpv.1-1.tmp").exists(),
            "a live temp is kept"
        );
        assert_eq!(
            vault.get("receipt-abc").unwrap().unwrap(),
            b"token",
            "record kept"
        );
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(
                vault
                    .get("staged-fifo")
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
            );
        });
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("reading a FIFO record blocked");
        assert!(
            got.as_ref().is_err_and(|e| e.contains("FIFO")),
            "refused with a reason: {got:?}"
        );
        drop(live);
    }
}
