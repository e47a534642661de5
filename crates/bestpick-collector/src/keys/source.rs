//! Where the keys come from: a file outside the data folder (`--key-file`, created with a new
//! key on first start, refused when group or others may read it) or the environment
//! ([`KEY_ENV`], for a secret manager). Whoever copies the data folder must not get the keys
//! with it, so a key inside it is refused.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, bail};
use bestpick_bundle::{PublicKey, SecretKey};

use super::format::{CollectorKey, KeySet};
use super::ring::KeyRing;

/// The environment variable that may hold the private keys: 64 hex digits, or several keys in
/// the key file's format (see [`KeySet::parse_text`](super::KeySet::parse_text)).
pub const KEY_ENV: &str = "BESTPICK_COLLECTOR_KEY";

/// Where versions before key files kept the key: inside the data folder. Refused now.
pub const LEGACY_KEY_FILE: &str = "collector.key";

/// Where the private keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A file outside the data folder, created (0600) with a new key when absent.
    File(PathBuf),
    /// The environment variable [`KEY_ENV`].
    Env,
}

impl KeySource {
    /// `--key-file` when given, else the environment variable when set; else an error that
    /// says how to give one.
    pub fn choose(key_file: Option<PathBuf>) -> anyhow::Result<KeySource> {
        match key_file {
            Some(path) => Ok(KeySource::File(path)),
            None if std::env::var_os(KEY_ENV).is_some() => Ok(KeySource::Env),
            None => bail!(
                "no private key: pass --key-file PATH (a file outside the data folder, created \
                 with a new key on first start) or set {KEY_ENV}"
            ),
        }
    }
}

/// What identifies one version of a key file: a rotation replaces the file (a new inode), and
/// an edit changes its time or length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl FileStamp {
    /// The stamp of `meta`.
    pub fn of(meta: &std::fs::Metadata) -> FileStamp {
        #[cfg(unix)]
        let inode = {
            use std::os::unix::fs::MetadataExt;
            meta.ino()
        };
        #[cfg(not(unix))]
        let inode = 0;
        FileStamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode,
        }
    }
}

/// The keys from `source`, for the collector whose data folder is `data`. Refuses a key kept
/// inside `data`, and a key file that group or others may read.
pub fn load(source: &KeySource, data: &Path) -> anyhow::Result<KeyRing> {
    let legacy = data.join(LEGACY_KEY_FILE);
    if legacy.exists() {
        bail!(
            "a private key lies beside the bundles ({}): whoever copies the data folder gets \
             it too. Move it out of the data folder (another volume, or a secret manager) and \
             pass --key-file PATH or set {KEY_ENV}",
            legacy.display()
        );
    }
    if let KeySource::File(path) = source
        && inside(path, data)?
    {
        bail!(
            "--key-file {} is inside the data folder {}: keep the private key away from the \
             bundles it opens",
            path.display(),
            data.display()
        );
    }
    load_detached(source)
}

/// The keys from `source`, for a collector without a data folder (the deployment store:
/// bundles in a bucket), which only the file-mode check applies to. A key file is watched:
/// see [`KeyRing`].
pub fn load_detached(source: &KeySource) -> anyhow::Result<KeyRing> {
    match source {
        KeySource::File(path) => {
            let (set, stamp) = load_set_or_create(path)?;
            Ok(KeyRing::watching(path.clone(), set, stamp))
        }
        KeySource::Env => Ok(KeyRing::fixed(from_env()?)),
    }
}

/// The newest key pair from the file `path`, creating it (0600, in a folder made 0700) with a
/// new key when absent. An existing file that group or others may read is refused.
pub fn load_or_create(path: &Path) -> anyhow::Result<(SecretKey, PublicKey)> {
    let (set, _) = load_set_or_create(path)?;
    let newest = set.into_newest();
    Ok((newest.secret, newest.public))
}

/// All keys of the file `path`, created with one new key when absent.
pub fn load_set_or_create(path: &Path) -> anyhow::Result<(KeySet, FileStamp)> {
    match read_set(path)? {
        Some(loaded) => Ok(loaded),
        None => create(path),
    }
}

/// The keys in the file `path` and the stamp of what was read; `None` when there is no file.
/// A file that group or others may read is refused.
pub fn read_set(path: &Path) -> anyhow::Result<Option<(KeySet, FileStamp)>> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let (set, meta) = read_open(path, &mut file)?;
    Ok(Some((set, FileStamp::of(&meta))))
}

/// The keys in the key file `path`, open as `file` (refused when group or others may read
/// it), and its metadata.
pub(super) fn read_open(
    path: &Path,
    file: &mut std::fs::File,
) -> anyhow::Result<(KeySet, std::fs::Metadata)> {
    let meta = file
        .metadata()
        .with_context(|| format!("reading {}", path.display()))?;
    refuse_shared(path, &meta)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    let set = KeySet::parse(&bytes).with_context(|| format!("key file {}", path.display()))?;
    Ok((set, meta))
}

fn create(path: &Path) -> anyhow::Result<(KeySet, FileStamp)> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let (secret, _) = bestpick_bundle::generate_keypair();
    let set = KeySet::one(CollectorKey::new(secret, Some(bestpick_bundle::unix_now())));
    let mut file = private_options()
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(set.to_text().as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("reading {}", path.display()))?;
    Ok((set, FileStamp::of(&meta)))
}

/// Options that create a new file only the owner may read (0600), never opening one that
/// exists.
pub(super) fn private_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Refuses a key file (of metadata `meta`) that group or others may read or write.
fn refuse_shared(path: &Path, meta: &std::fs::Metadata) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            bail!(
                "{} may be read by group or others (mode {:o}): a private key must be the \
                 owner's alone; run chmod 600 {}",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = (path, meta);
    Ok(())
}

/// Whether `path` is inside the folder `dir` (both as they resolve on disk).
fn inside(path: &Path, dir: &Path) -> anyhow::Result<bool> {
    let Ok(dir) = dir.canonicalize() else {
        return Ok(false); // no data folder yet: nothing can be inside it
    };
    let parent = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(p) => p.to_path_buf(),
        None => PathBuf::from("."),
    };
    Ok(parent.canonicalize().is_ok_and(|p| p.starts_with(&dir)))
}

/// The keys in [`KEY_ENV`]. Its value never appears in an error.
pub fn from_env() -> anyhow::Result<KeySet> {
    let text =
        std::env::var(KEY_ENV).map_err(|_| anyhow::anyhow!("{KEY_ENV} is not set, or not text"))?;
    KeySet::parse_text(&text).map_err(|e| anyhow::anyhow!("{KEY_ENV}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_created_once_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join("collector.key");
        let (_, pk1) = load_or_create(&path).unwrap();
        let (_, pk2) = load_or_create(&path).unwrap();
        assert_eq!(pk1, pk2, "same key on second start");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600, "secret key file mode");
            assert_eq!(mode(&dir.path().join("keys")), 0o700, "its folder");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_may_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("collector.key");
        load_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = load_or_create(&path).unwrap_err().to_string();
        assert!(
            err.contains("group or others") && err.contains("mode 640"),
            "{err}"
        );
    }

    #[test]
    fn a_key_inside_the_data_folder_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let within = KeySource::File(data.join("sub").join("k.key"));
        std::fs::create_dir(data.join("sub")).unwrap();
        let err = load(&within, &data).unwrap_err().to_string();
        assert!(err.contains("inside the data folder"), "{err}");
        assert!(!data.join("sub/k.key").exists(), "nothing written");

        let outside = KeySource::File(root.path().join("k.key"));
        assert!(
            load(&outside, &data).is_ok(),
            "a key beside the folder is fine"
        );

        std::fs::write(data.join(LEGACY_KEY_FILE), [7u8; 32]).unwrap();
        let err = load(&outside, &data).unwrap_err().to_string();
        assert!(err.contains("beside the bundles"), "{err}");
    }

    #[test]
    fn no_source_says_how_to_give_one() {
        if std::env::var_os(KEY_ENV).is_some() {
            return; // the variable is set for this process: choose() takes it
        }
        let err = KeySource::choose(None).unwrap_err().to_string();
        assert!(err.contains("--key-file") && err.contains(KEY_ENV), "{err}");
        assert_eq!(
            KeySource::choose(Some("k".into())).unwrap(),
            KeySource::File("k".into())
        );
    }
}
