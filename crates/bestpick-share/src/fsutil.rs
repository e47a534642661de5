//! Careful local files: reads that never block on a FIFO or a device and never take more than a
//! cap, and durable replacement (temp file, fsync, rename, fsync of the directory).
//!
//! Temp files are named `.<name>.<pid>-<n>.tmp` next to their destination and locked while
//! written; the kernel drops the lock when the writer dies, so an unlocked one is a crash
//! leftover ([`remove_stale_temps`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// Test-only crash injection. With `BESTPICK_TEST_CRASH_AT=N` set, the N-th crash point this
/// process passes aborts it on the spot, as a `kill -9` at that moment would.
#[cfg(test)]
pub(crate) fn crash_point(what: &str) {
    static PASSED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let Some(at) = std::env::var("BESTPICK_TEST_CRASH_AT")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    else {
        return;
    };
    if PASSED.fetch_add(1, Ordering::SeqCst) + 1 == at {
        eprintln!("crash point {at}: {what}");
        std::process::abort();
    }
}

#[cfg(not(test))]
#[inline(always)]
pub(crate) fn crash_point(_what: &str) {}

/// Why a path is not read: what it is instead of a regular file.
fn not_a_file(file_type: fs::FileType) -> io::Error {
    let kind = {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if file_type.is_fifo() {
                "a FIFO (named pipe)"
            } else if file_type.is_char_device() || file_type.is_block_device() {
                "a device"
            } else if file_type.is_socket() {
                "a socket"
            } else if file_type.is_dir() {
                "a directory"
            } else {
                "not a regular file"
            }
        }
        #[cfg(not(unix))]
        {
            if file_type.is_dir() {
                "a directory"
            } else {
                "not a regular file"
            }
        }
    };
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{kind}, not a regular file; not read"),
    )
}

/// Open `path` for reading only if it is a regular file (links followed), never blocking: a
/// FIFO, device or socket is refused before it is opened, and the handle (opened `O_NONBLOCK`)
/// is checked again in case the file was swapped in between.
pub(crate) fn open_regular(path: &Path) -> io::Result<(File, fs::Metadata)> {
    let meta = fs::metadata(path)?;
    if !meta.is_file() {
        return Err(not_a_file(meta.file_type()));
    }
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_a_file(meta.file_type()));
    }
    Ok((file, meta))
}

/// Read the regular file `path` whole if it has at most `limit` bytes (see [`open_regular`]).
pub(crate) fn read_capped(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let (file, meta) = open_regular(path)?;
    let too_large = |size: u64| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{size} bytes, more than the {limit} allowed; not read"),
        )
    };
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > limit {
        return Err(too_large(read));
    }
    Ok(bytes)
}

/// Make the entries of `dir` (a rename, a removal) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    // POSIX makes directory entries durable by fsyncing the directory; other platforms cannot
    // open one, and their rename is durable enough on its own.
    if cfg!(unix) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(Error::io(dir))?;
    }
    Ok(())
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

fn temp_path(dest: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parent_dir(dest).join(format!(".{name}.{}-{n}.tmp", std::process::id()))
}

/// Replace `dest` with `bytes` durably: a temp file, written and fsynced, renamed over `dest`,
/// and the directory fsynced, so that once this returns the new content survives a crash or a
/// power cut, and at no moment is `dest` torn (it is the old file or the new one).
pub(crate) fn write_durable(dest: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path(dest);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(Error::io(&tmp))?;
        // Without locks (some network file systems) the file is still written; only the
        // protection against a concurrent cleanup is lost.
        let _ = file.try_lock();
        file.write_all(bytes).map_err(Error::io(&tmp))?;
        crash_point("write_durable: temp written, not synced");
        file.sync_all().map_err(Error::io(&tmp))?;
        crash_point("write_durable: temp synced, not renamed");
        fs::rename(&tmp, dest).map_err(Error::io(dest))?;
        crash_point("write_durable: renamed, directory not synced");
        sync_dir(parent_dir(dest))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Remove `path` (absent is fine) and make the removal durable.
pub(crate) fn remove_durable(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(path)(e)),
    }
    crash_point("remove_durable: removed, directory not synced");
    sync_dir(parent_dir(path))
}

/// Remove the `*.tmp` files a crashed writer left in `dir`, a directory only this crate writes
/// to: regular files, not locked by a live writer. Best effort; returns how many went.
pub(crate) fn remove_stale_temps(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "tmp") {
            continue;
        }
        if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let Ok((file, _)) = open_regular(&path) else {
            continue;
        };
        if file.try_lock().is_err() {
            continue;
        }
        if fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        let _ = sync_dir(dir);
    }
    removed
}
