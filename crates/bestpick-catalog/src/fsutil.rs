//! Careful file writing: temp file + fsync + rename, no-clobber publishing, verified copies.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

fn write_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A hidden temp-file name next to `dest`, unique within this process.
fn temp_path(dest: &Path, tag: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parent_dir(dest).join(format!(".{name}.bestpick-{tag}-{}-{n}", std::process::id()))
}

/// Make a rename or link in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    // Opening a directory read-only and fsyncing it is how POSIX makes entries durable; other
    // platforms cannot open directories, and their rename is durable enough on its own.
    if cfg!(unix) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(write_err(dir))?;
    }
    Ok(())
}

/// Replace `dest` with `bytes` atomically: readers see the old or the new file, never a torn
/// one, also after a crash. Keeps the permissions of an existing `dest`.
pub(crate) fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path(dest, "tmp");
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(write_err(&tmp))?;
        file.write_all(bytes).map_err(write_err(&tmp))?;
        if let Ok(meta) = fs::metadata(dest) {
            file.set_permissions(meta.permissions())
                .map_err(write_err(&tmp))?;
        }
        file.sync_all().map_err(write_err(&tmp))?;
        drop(file);
        fs::rename(&tmp, dest).map_err(write_err(dest))?;
        sync_dir(parent_dir(dest))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Give the finished file `tmp` the name `dest` without ever replacing an existing `dest`.
///
/// A hard link fails atomically with `AlreadyExists` when `dest` exists; file systems without
/// hard links (FAT/exFAT memory cards) fall back to an existence check and a rename, which has a
/// small race window against other programs writing the same name at the same moment.
fn publish_no_clobber(tmp: &Path, dest: &Path) -> Result<()> {
    match fs::hard_link(tmp, dest) {
        Ok(()) => {
            fs::remove_file(tmp).map_err(write_err(tmp))?;
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(Error::DestinationExists {
                path: dest.to_path_buf(),
            });
        }
        Err(_) => {
            if fs::symlink_metadata(dest).is_ok() {
                return Err(Error::DestinationExists {
                    path: dest.to_path_buf(),
                });
            }
            fs::rename(tmp, dest).map_err(write_err(dest))?;
        }
    }
    sync_dir(parent_dir(dest))
}

/// Copy `source` to the new file `dest`: through a temp file, fsynced, size-checked, keeping the
/// source's modification time, never replacing an existing `dest`.
pub(crate) fn copy_verified(source: &Path, dest: &Path) -> Result<()> {
    let read_err = |source_err| Error::Read {
        path: source.to_path_buf(),
        source: source_err,
    };
    let mut input = File::open(source).map_err(read_err)?;
    let meta = input.metadata().map_err(read_err)?;
    let expected = meta.len();
    if fs::symlink_metadata(dest).is_ok() {
        return Err(Error::DestinationExists {
            path: dest.to_path_buf(),
        });
    }

    let tmp = temp_path(dest, "part");
    let result = (|| {
        let mut output = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(write_err(&tmp))?;
        let copied = copy_stream(&mut input, &mut output, source, &tmp)?;
        if let Ok(modified) = meta.modified() {
            output.set_modified(modified).map_err(write_err(&tmp))?;
        }
        output.sync_all().map_err(write_err(&tmp))?;
        let actual = output.metadata().map_err(write_err(&tmp))?.len();
        drop(output);
        if copied != expected || actual != expected {
            return Err(Error::SizeMismatch {
                source_path: source.to_path_buf(),
                dest: dest.to_path_buf(),
                expected,
                actual: if actual != expected { actual } else { copied },
            });
        }
        publish_no_clobber(&tmp, dest)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Copy all bytes, telling read failures (source) from write failures (destination).
fn copy_stream(input: &mut File, output: &mut File, source: &Path, dest: &Path) -> Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source_err) => {
                return Err(Error::Read {
                    path: source.to_path_buf(),
                    source: source_err,
                });
            }
        };
        output.write_all(&buf[..n]).map_err(write_err(dest))?;
        total += n as u64;
    }
}

/// Move `source` to the new name `dest`, never replacing an existing `dest`.
///
/// On one file system this is a rename (done as hard link + unlink, which cannot clobber);
/// across file systems, or where hard links are unsupported, it is a verified copy followed by
/// removing the source.
pub(crate) fn move_no_clobber(source: &Path, dest: &Path) -> Result<()> {
    match fs::hard_link(source, dest) {
        Ok(()) => {
            sync_dir(parent_dir(dest))?;
            fs::remove_file(source).map_err(write_err(source))?;
            sync_dir(parent_dir(source))
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::DestinationExists {
            path: dest.to_path_buf(),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::Read {
            path: source.to_path_buf(),
            source: e,
        }),
        Err(_) => {
            copy_verified(source, dest)?;
            fs::remove_file(source).map_err(write_err(source))?;
            sync_dir(parent_dir(source))
        }
    }
}
