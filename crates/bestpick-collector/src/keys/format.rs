//! The key file's text format, shared with [`super::KEY_ENV`]. Several keys, oldest first:
//!
//! ```text
//! # comments and blank lines are ignored
//! bestpick-collector-keys 1
//! 3f9c…64 hex digits…e1 id=5d1c0e7a9b2f4c61 created=1764892800
//! 8a07…64 hex digits…4d id=0c2b7f19e3a84d55 created=1767571200
//! ```
//!
//! - The first line that is not a comment may name the format (`bestpick-collector-keys 1`);
//!   without it the text is read as format 1. A higher number is refused, so an older build
//!   never misreads a file a newer one wrote.
//! - Each other line (or comma-separated entry, handy in a one-line environment variable) is
//!   one key: its secret in 64 hex digits, then `name=value` attributes. `created` (Unix
//!   seconds) is when the key was added; `id` is the public key's id, written for people (a
//!   wrong one is refused). Unknown attributes are ignored, for later versions.
//! - The last key is the newest: the one `GET /v1/key` serves.
//! - A file of exactly 32 bytes is the one raw key of builds before this format.
//!
//! No error message ever shows a secret, nor the text around it.

use bestpick_bundle::{KeyId, PublicKey, SecretKey};

/// The format line.
pub const FORMAT_LINE: &str = "bestpick-collector-keys 1";
const FORMAT_WORD: &str = "bestpick-collector-keys";
const FORMAT_VERSION: u32 = 1;

/// One of the collector's keys.
pub struct CollectorKey {
    /// The private key.
    pub secret: SecretKey,
    /// Its public key.
    pub public: PublicKey,
    /// The id bundles sealed to it carry.
    pub id: KeyId,
    /// When it was added (Unix seconds); unknown for keys from before key files held several.
    pub created: Option<i64>,
}

impl CollectorKey {
    /// A key with its derived parts.
    pub fn new(secret: SecretKey, created: Option<i64>) -> CollectorKey {
        let public = secret.public_key();
        CollectorKey {
            id: public.key_id(),
            secret,
            public,
            created,
        }
    }
}

impl std::fmt::Debug for CollectorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CollectorKey({}, created {:?})", self.id, self.created)
    }
}

/// The collector's keys, oldest first, never empty.
#[derive(Debug)]
pub struct KeySet {
    keys: Vec<CollectorKey>,
}

/// Why a key text was refused. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// No key in it.
    #[error("holds no key")]
    Empty,
    /// Written by a newer build.
    #[error("is in key format {0}, newer than this build reads (format 1): update it")]
    NewerFormat(String),
    /// An entry is not a key.
    #[error("entry {0} is not a collector key (64 hex digits expected)")]
    NotAKey(usize),
    /// An attribute has a bad value.
    #[error("entry {entry}: attribute {name} has an invalid value")]
    BadAttribute {
        /// 1-based entry number.
        entry: usize,
        /// The attribute.
        name: String,
    },
    /// The `id` written beside a key is not its id.
    #[error("entry {0}: its id= does not match its key")]
    IdMismatch(usize),
    /// The same key twice.
    #[error("entry {0}: the same key appears twice")]
    Duplicate(usize),
}

impl KeySet {
    /// A set of one key.
    pub fn one(key: CollectorKey) -> KeySet {
        KeySet { keys: vec![key] }
    }

    /// Parses a key file's bytes: the text format, or the 32 raw bytes of older builds.
    pub fn parse(bytes: &[u8]) -> Result<KeySet, FormatError> {
        if bytes.len() == bestpick_bundle::SECRET_KEY_LEN {
            let secret = SecretKey::from_bytes(bytes).map_err(|_| FormatError::NotAKey(1))?;
            return Ok(KeySet::one(CollectorKey::new(secret, None)));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| FormatError::NotAKey(1))?;
        KeySet::parse_text(text)
    }

    /// Parses the text format only (the environment variable's value: never raw bytes).
    pub fn parse_text(text: &str) -> Result<KeySet, FormatError> {
        let mut keys: Vec<CollectorKey> = Vec::new();
        let mut first = true;
        let entries = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .flat_map(|l| l.split(','))
            .map(str::trim)
            .filter(|e| !e.is_empty() && !e.starts_with('#'));
        for entry in entries {
            let mut words = entry.split_whitespace();
            let head = words.next().unwrap_or_default();
            if head == FORMAT_WORD {
                let version = words.next().unwrap_or_default();
                if !first {
                    return Err(FormatError::NotAKey(keys.len() + 1)); // only first, once
                }
                if version.parse::<u32>().ok() != Some(FORMAT_VERSION) {
                    return Err(FormatError::NewerFormat(version.chars().take(8).collect()));
                }
                first = false;
                continue;
            }
            first = false;
            let n = keys.len() + 1;
            let secret = parse_secret(head).ok_or(FormatError::NotAKey(n))?;
            let mut key = CollectorKey::new(secret, None);
            for word in words {
                let Some((name, value)) = word.split_once('=') else {
                    continue; // a bare word: nothing this version knows
                };
                let bad = || FormatError::BadAttribute {
                    entry: n,
                    name: name.chars().take(32).collect(),
                };
                match name {
                    "created" => key.created = Some(value.parse().map_err(|_| bad())?),
                    "id" if KeyId::from_hex(value).map_err(|_| bad())? != key.id => {
                        return Err(FormatError::IdMismatch(n));
                    }
                    _ => {} // later versions' attributes
                }
            }
            if keys.iter().any(|k| k.id == key.id) {
                return Err(FormatError::Duplicate(n));
            }
            keys.push(key);
        }
        if keys.is_empty() {
            return Err(FormatError::Empty);
        }
        Ok(KeySet { keys })
    }

    /// The text of a key file holding these keys (secrets included: write it 0600).
    pub fn to_text(&self) -> String {
        let mut out = String::from(
            "# bestpick-collector private keys, oldest first; the last one is served.\n\
             # Add one with `bestpick-collector keys rotate`; keep old ones to open old bundles.\n",
        );
        out.push_str(FORMAT_LINE);
        out.push('\n');
        for key in &self.keys {
            out.push_str(&hex::encode(key.secret.to_bytes()));
            out.push_str(&format!(" id={}", key.id));
            if let Some(created) = key.created {
                out.push_str(&format!(" created={created}"));
            }
            out.push('\n');
        }
        out
    }

    /// The newest key, taking it out of the set.
    pub fn into_newest(mut self) -> CollectorKey {
        self.keys.pop().expect("a key set is never empty")
    }

    /// Adds `key` as the newest.
    pub fn push(&mut self, key: CollectorKey) {
        self.keys.push(key);
    }

    /// The keys, oldest first.
    pub fn keys(&self) -> &[CollectorKey] {
        &self.keys
    }

    /// The newest key: the one served.
    pub fn newest(&self) -> &CollectorKey {
        self.keys.last().expect("a key set is never empty")
    }

    /// The index of the key with id `id`.
    pub fn position(&self, id: KeyId) -> Option<usize> {
        self.keys.iter().position(|k| k.id == id)
    }

    /// The secrets, newest first (the order to try them on bundles without a key id), each
    /// with its index in [`KeySet::keys`].
    pub fn newest_first(&self) -> (Vec<&SecretKey>, Vec<usize>) {
        let indices: Vec<usize> = (0..self.keys.len()).rev().collect();
        let secrets = indices.iter().map(|&i| &self.keys[i].secret).collect();
        (secrets, indices)
    }

    /// Whether new bundles sealed to key `index` are refused at `now`: every key but the
    /// newest is, once the key after it is `grace_secs` old (at once when its age is unknown).
    pub fn is_retired(&self, index: usize, now: i64, grace_secs: i64) -> bool {
        match self.keys.get(index + 1) {
            None => false,
            Some(next) => next
                .created
                .is_none_or(|created| now >= created.saturating_add(grace_secs)),
        }
    }
}

fn parse_secret(word: &str) -> Option<SecretKey> {
    if word.len() != 64 {
        return None;
    }
    let bytes = hex::decode(word).ok()?;
    SecretKey::from_bytes(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bestpick_bundle::generate_keypair;

    fn hex_of(sk: &SecretKey) -> String {
        hex::encode(sk.to_bytes())
    }

    #[test]
    fn round_trip_keeps_order_and_times() {
        let mut set = KeySet::one(CollectorKey::new(generate_keypair().0, None));
        set.push(CollectorKey::new(generate_keypair().0, Some(1_764_892_800)));
        let text = set.to_text();
        assert!(text.contains(FORMAT_LINE), "{text}");
        let again = KeySet::parse(text.as_bytes()).unwrap();
        let ids = |s: &KeySet| {
            s.keys()
                .iter()
                .map(|k| (k.id, k.created))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&again), ids(&set), "same keys, same order, same times");
        assert_eq!(again.newest().id, set.keys()[1].id, "the last is newest");
    }

    #[test]
    fn older_and_simpler_forms_load() {
        let (a, pk_a) = generate_keypair();
        let (b, pk_b) = generate_keypair();
        let raw = KeySet::parse(&a.to_bytes()).unwrap();
        assert_eq!(raw.newest().public, pk_a, "32 raw bytes: the old key file");
        assert!(
            KeySet::parse_text("0123456789abcdef0123456789abcdef").is_err(),
            "32 characters of text are not a raw key"
        );
        let cases = [
            ("bare hex", format!("{}\n", hex_of(&a)), vec![&pk_a]),
            (
                "two, comma-separated",
                format!(
                    "{} created=5, {} created=9 later=yes",
                    hex_of(&a),
                    hex_of(&b)
                ),
                vec![&pk_a, &pk_b],
            ),
            (
                "comments, blank lines, unknown words",
                format!("# c\n\n{FORMAT_LINE}\n{} flag x=y\n", hex_of(&b)),
                vec![&pk_b],
            ),
        ];
        for (case, text, want) in cases {
            let set = KeySet::parse(text.as_bytes()).unwrap();
            let got: Vec<&PublicKey> = set.keys().iter().map(|k| &k.public).collect();
            assert_eq!(got, want, "case {case}");
        }
    }

    #[test]
    fn bad_texts_are_refused_without_showing_secrets() {
        let (a, _) = generate_keypair();
        let (b, _) = generate_keypair();
        let secret = hex_of(&a);
        let cases = [
            ("empty", String::new(), FormatError::Empty),
            ("comments only", "# x\n".into(), FormatError::Empty),
            (
                "newer format",
                format!("bestpick-collector-keys 2\n{secret}\n"),
                FormatError::NewerFormat("2".into()),
            ),
            ("short", secret[..62].to_owned(), FormatError::NotAKey(1)),
            (
                "format line after a key",
                format!("{secret}\n{FORMAT_LINE}\n"),
                FormatError::NotAKey(2),
            ),
            (
                "second bad",
                format!("{secret}\n{}zz\n", &hex_of(&b)[..62]),
                FormatError::NotAKey(2),
            ),
            (
                "bad created",
                format!("{secret} created=soon"),
                FormatError::BadAttribute {
                    entry: 1,
                    name: "created".into(),
                },
            ),
            (
                "wrong id",
                format!("{secret} id={}", b.key_id()),
                FormatError::IdMismatch(1),
            ),
            (
                "twice",
                format!("{secret}\n{secret}\n"),
                FormatError::Duplicate(2),
            ),
        ];
        for (case, text, want) in cases {
            let err = KeySet::parse(text.as_bytes()).unwrap_err();
            assert_eq!(err, want, "case {case}");
            assert!(
                !err.to_string().contains(&secret[..16]),
                "case {case}: {err}"
            );
        }
    }

    #[test]
    fn older_keys_retire_after_the_grace() {
        let mut set = KeySet::one(CollectorKey::new(generate_keypair().0, None));
        set.push(CollectorKey::new(generate_keypair().0, Some(1000)));
        set.push(CollectorKey::new(generate_keypair().0, None));
        let cases = [
            // (key index, now, grace, retired)
            (0, 1000, 600, false),
            (0, 1599, 600, false),
            (0, 1600, 600, true),
            (0, 1000, 0, true),
            (1, 0, 600, true), // its successor's age is unknown
            (2, 9999, 0, false),
        ];
        for (index, now, grace, want) in cases {
            assert_eq!(
                set.is_retired(index, now, grace),
                want,
                "case key {index} at {now} with grace {grace}"
            );
        }
        let (secrets, indices) = set.newest_first();
        assert_eq!(indices, vec![2, 1, 0], "newest first");
        assert_eq!(secrets[0].key_id(), set.newest().id);
    }
}
