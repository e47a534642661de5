//! `keys rotate`: adds a new key to a key file, atomically. The new file is written beside the
//! old one (0600), synced, and renamed over it, so an instance reading it sees the old keys or
//! all the new ones, never half a file; the old keys stay in it to open old bundles. Two
//! rotations at once are serialised by a lock on the file, so neither loses the other's key.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};

use super::format::{CollectorKey, KeySet};
use super::source::{private_options, read_open};

/// Adds a new key, created at `now`, as the newest in the key file `path`, and returns the
/// keys now in it. The file must exist (`serve` creates it on first start): a mistyped path
/// must not quietly start a key file no instance reads.
pub fn rotate(path: &Path, now: i64) -> anyhow::Result<KeySet> {
    let mut file = lock_current(path)?;
    let (mut set, _) = read_open(path, &mut file)?;
    let (secret, _) = bestpick_bundle::generate_keypair();
    set.push(CollectorKey::new(secret, Some(now)));
    replace(path, set.to_text().as_bytes())?;
    // The lock goes with `file`, after the rename: a rotation waiting for it then finds a
    // new file at `path` and starts again on that one.
    drop(file);
    Ok(set)
}

/// Opens `path` and takes its exclusive lock, making sure the file locked is still the one at
/// `path` (a rotation that held the lock may have replaced it meanwhile).
fn lock_current(path: &Path) -> anyhow::Result<std::fs::File> {
    loop {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "no key file at {}: `bestpick-collector serve --key-file {}` creates it on \
                 first start",
                path.display(),
                path.display()
            ),
            Err(e) => return Err(e).with_context(|| format!("opening {}", path.display())),
        };
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
        if same_file(&file, path)? {
            return Ok(file);
        }
    }
}

#[cfg(unix)]
fn same_file(file: &std::fs::File, path: &Path) -> anyhow::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let held = file
        .metadata()
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(std::fs::metadata(path).is_ok_and(|now| now.ino() == held.ino() && now.dev() == held.dev()))
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::File, _: &Path) -> anyhow::Result<bool> {
    Ok(true)
}

/// Writes `content` to a new 0600 file beside `path`, syncs it, renames it over `path` and
/// syncs the folder.
fn replace(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let suffix = bestpick_bundle::random_hex(6).context("no randomness")?;
    let temp = dir.join(format!(".{name}.{suffix}.new"));
    let written = (|| {
        let mut file = private_options().open(&temp)?;
        file.write_all(content)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        Ok::<(), std::io::Error>(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::source::{load_or_create, read_set};
    use super::*;

    #[test]
    fn rotation_adds_a_newest_key_and_keeps_the_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("collector.keys");
        let (_, first) = load_or_create(&path).unwrap();
        let set = rotate(&path, 1_000).unwrap();
        let ids: Vec<_> = set.keys().iter().map(|k| k.id).collect();
        assert_eq!(ids.len(), 2, "two keys");
        assert_eq!(ids[0], first.key_id(), "the old key stays, first");
        assert_eq!(set.newest().created, Some(1_000), "the new one is dated");
        let (reread, _) = read_set(&path).unwrap().unwrap();
        let reread_ids: Vec<_> = reread.keys().iter().map(|k| k.id).collect();
        assert_eq!(reread_ids, ids, "as written");
        let (_, newest) = load_or_create(&path).unwrap();
        assert_eq!(newest.key_id(), ids[1], "the newest is the one used");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "still private");
        }
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec!["collector.keys"], "no temporary file left");
    }

    #[test]
    fn an_old_one_key_file_is_rotated_into_the_new_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.key");
        let (old, old_pk) = bestpick_bundle::generate_keypair();
        std::fs::write(&path, old.to_bytes()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let set = rotate(&path, 5).unwrap();
        assert_eq!(set.keys()[0].public, old_pk, "the raw key kept");
        assert_eq!(set.keys()[0].created, None, "its age unknown");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(super::super::FORMAT_LINE), "{text}");
    }

    #[test]
    fn concurrent_rotations_lose_no_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        load_or_create(&path).unwrap();
        let path = path.as_path();
        let added: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..6)
                .map(|i| s.spawn(move || rotate(path, i).unwrap().newest().id))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let (set, _) = read_set(path).unwrap().unwrap();
        assert_eq!(set.keys().len(), 7, "the first key and six added");
        for id in added {
            assert!(set.position(id).is_some(), "key {id} kept");
        }
    }

    #[test]
    fn a_missing_or_shared_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("typo.keys");
        let err = format!("{:#}", rotate(&missing, 1).unwrap_err());
        assert!(
            err.contains("no key file") && err.contains("serve"),
            "{err}"
        );
        assert!(!missing.exists(), "not created");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.path().join("shared.keys");
            load_or_create(&path).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = format!("{:#}", rotate(&path, 1).unwrap_err());
            assert!(err.contains("group or others"), "{err}");
        }
    }
}
