//! The collector's HPKE private keys, kept away from the bundles they open: in a file outside
//! the data folder (`--key-file`) or in the environment ([`KEY_ENV`]). After a rotation the
//! file holds several keys, oldest first: the newest is served by `GET /v1/key`, the older ones
//! still open (and export) the bundles sealed to them.
//!
//! - `source.rs`: where the keys come from, and the checks on it;
//! - `format.rs`: the key file's text format;
//! - `ring.rs`: a running collector's keys, reloaded when the file changes;
//! - `rotate.rs`: `keys rotate`, adding a key to the file atomically.

mod format;
mod ring;
mod rotate;
mod source;

pub use format::{CollectorKey, FORMAT_LINE, FormatError, KeySet};
pub use ring::{KEY_CHECK_EVERY, KeyRing};
pub use rotate::rotate;
pub use source::{
    FileStamp, KEY_ENV, KeySource, LEGACY_KEY_FILE, from_env, load, load_detached, load_or_create,
    load_set_or_create, read_set,
};
