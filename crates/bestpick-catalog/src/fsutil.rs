//! Careful file handling: bounded reads that never block on special files, temp file + fsync +
//! rename, no-clobber publishing, verified and resumable copies, and cleanup of the temp files a
//! crash leaves behind.
//!
//! Temp files are named `.<name>.bestpick-<tag>-<pid>-<n>` next to their destination and are
//! held under an exclusive advisory lock (`File::try_lock`) while being written. The kernel drops
//! the lock when the writer dies, so a temp file whose lock can be taken is a crash leftover and
//! is removed by [`remove_stale_temps`].

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Tag of the temp file of an atomic replace ([`write_atomic`]).
pub(crate) const TMP_TAG: &str = "tmp";
/// Tag of the temp file of a copy ([`copy_verified`]).
pub(crate) const PART_TAG: &str = "part";

/// How many symbolic links [`resolve_links`] follows before giving up (Linux's `MAXSYMLINKS`).
const MAX_LINK_HOPS: usize = 40;

fn write_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

fn read_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Read {
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

/// Test-only crash injection. With `BESTPICK_TEST_CRASH_AT=N` set, the N-th crash point this
/// process passes aborts it on the spot, as a `kill -9` at that moment would: no destructors,
/// no cleanup, locks dropped by the kernel.
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

/// What a non-regular file is, for error messages.
fn kind_of(file_type: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Open `path` for reading only if it is a regular file (symbolic links followed), without ever
/// blocking: a FIFO, a device or a socket is refused with [`Error::NotAFile`] before it is
/// opened, and the opened handle is checked again so a file swapped in between is refused too.
/// `Ok(None)` when there is no such file.
pub(crate) fn open_regular(path: &Path) -> Result<Option<(File, fs::Metadata)>> {
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(read_err(path)(source)),
    };
    let not_a_file = |meta: &fs::Metadata| Error::NotAFile {
        path: path.to_path_buf(),
        kind: kind_of(meta.file_type()),
    };
    if !meta.is_file() {
        return Err(not_a_file(&meta));
    }
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // Opening a FIFO for reading blocks until a writer appears; O_NONBLOCK makes the open
        // return at once should one have replaced the file since the check above.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(read_err(path)(source)),
    };
    let meta = file.metadata().map_err(read_err(path))?;
    if !meta.is_file() {
        return Err(not_a_file(&meta));
    }
    Ok(Some((file, meta)))
}

/// Read the regular file `path` whole if it has at most `limit` bytes; `Ok(None)` when it does
/// not exist. A larger file is refused with [`Error::TooLarge`] without being read, as is a file
/// that grows past `limit` while being read; special files are refused as in [`open_regular`].
pub(crate) fn read_capped(path: &Path, limit: u64) -> Result<Option<Vec<u8>>> {
    let Some((file, meta)) = open_regular(path)? else {
        return Ok(None);
    };
    let too_large = |size: u64| Error::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
    };
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(read_err(path))?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > limit {
        return Err(too_large(read));
    }
    Ok(Some(bytes))
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

/// Whether `name` is one of our temp-file names with `tag` (see [`temp_path`]).
fn is_temp_name(name: &str, tag: &str) -> bool {
    let marker = format!(".bestpick-{tag}-");
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    let Some(at) = rest.rfind(&marker) else {
        return false;
    };
    let numbers = &rest[at + marker.len()..];
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    at > 0
        && numbers
            .split_once('-')
            .is_some_and(|(pid, n)| digits(pid) && digits(n))
}

/// Create the temp file `tmp` and lock it, so [`remove_stale_temps`] leaves it alone while
/// this process writes it.
fn create_locked(tmp: &Path) -> Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .map_err(write_err(tmp))?;
    // A file system without locks (some network mounts) still gets the file written; only the
    // protection against a concurrent cleanup is lost.
    let _ = file.try_lock();
    Ok(file)
}

/// Remove the temp files with `tag` that a crashed bestpick left in `dir`: ours by name, a
/// regular file, and not locked by a live writer. Best effort: what cannot be inspected or
/// removed stays. Returns how many were removed.
pub(crate) fn remove_stale_temps(dir: &Path, tag: &str) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_str().is_some_and(|n| is_temp_name(n, tag)) {
            continue;
        }
        let path = entry.path();
        // Never follow a link or open anything but a regular file of ours.
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let Ok(Some((file, _))) = open_regular(&path) else {
            continue;
        };
        // Locked: a live writer still owns it. Unsupported: cannot tell, so leave it.
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

/// Where writing to `path` really goes: `path` itself, or the file its chain of symbolic links
/// ends at (which need not exist yet).
pub(crate) fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINK_HOPS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&current).map_err(read_err(&current))?;
                current = parent_dir(&current).join(target);
            }
            _ => return Ok(current),
        }
    }
    Err(Error::Write {
        path: path.to_path_buf(),
        source: io::Error::other("too many levels of symbolic links"),
    })
}

/// Replace `dest` with `bytes` atomically: readers see the old or the new file, never a torn
/// one, also after a crash. Keeps the permissions of an existing `dest`. A symbolic link is
/// written through: its target gets the new content and the link stays a link.
pub(crate) fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<()> {
    let target = resolve_links(dest)?;
    let tmp = temp_path(&target, TMP_TAG);
    let result = (|| {
        let mut file = create_locked(&tmp)?;
        file.write_all(bytes).map_err(write_err(&tmp))?;
        crash_point("write_atomic: temp written, not synced");
        if let Ok(meta) = fs::metadata(&target) {
            file.set_permissions(meta.permissions())
                .map_err(write_err(&tmp))?;
        }
        file.sync_all().map_err(write_err(&tmp))?;
        crash_point("write_atomic: temp synced, not renamed");
        fs::rename(&tmp, &target).map_err(write_err(&target))?;
        crash_point("write_atomic: renamed, directory not synced");
        sync_dir(parent_dir(&target))
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
            crash_point("publish: linked, temp not removed");
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

/// Whether `a` and `b` name the same directory entry (same directory, same name up to case, as
/// on case-insensitive file systems), as opposed to two names of one file.
pub(crate) fn same_entry(a: &Path, b: &Path) -> bool {
    let names_match = match (a.file_name(), b.file_name()) {
        (Some(x), Some(y)) => {
            x.to_string_lossy().to_lowercase() == y.to_string_lossy().to_lowercase()
        }
        _ => false,
    };
    names_match && same_file(parent_dir(a), parent_dir(b))
}

/// Whether `a` and `b` are the same file or directory (symbolic links followed).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (fs::metadata(a), fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (fs::canonicalize(a), fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// Whether `dest` is a regular file (not a link) with exactly the bytes of `source`: a copy
/// that an interrupted run already finished. Anything unreadable counts as different.
pub(crate) fn same_content(source: &Path, dest: &Path) -> bool {
    let Ok(dest_meta) = fs::symlink_metadata(dest) else {
        return false;
    };
    if !dest_meta.is_file() {
        return false;
    }
    let (Ok(Some((mut a, a_meta))), Ok(Some((mut b, b_meta)))) =
        (open_regular(source), open_regular(dest))
    else {
        return false;
    };
    if a_meta.len() != b_meta.len() {
        return false;
    }
    if same_file(source, dest) {
        return true;
    }
    let mut buf_a = vec![0u8; 1 << 16];
    let mut buf_b = vec![0u8; 1 << 16];
    loop {
        let n = match read_full(&mut a, &mut buf_a) {
            Ok(n) => n,
            Err(_) => return false,
        };
        match read_full(&mut b, &mut buf_b[..n.max(1)]) {
            Ok(m) if m == n => {}
            _ => return false,
        }
        if n == 0 {
            return true;
        }
        if buf_a[..n] != buf_b[..n] {
            return false;
        }
    }
}

/// Fill `buf` as far as the file allows; the count is short only at the end of the file.
fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Flush an existing file and the directory entry naming it to disk (a finished copy found
/// from an interrupted run, before its source may go).
fn make_durable(path: &Path) -> Result<()> {
    // fsync needs write access on Windows; POSIX allows it on a read-only handle, which also
    // works on a read-only file.
    let file = if cfg!(unix) {
        File::open(path)
    } else {
        OpenOptions::new().write(true).open(path)
    };
    file.and_then(|f| f.sync_all()).map_err(write_err(path))?;
    sync_dir(parent_dir(path))
}

/// How a transfer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transfer {
    /// The bytes were copied or the file moved now.
    Done,
    /// The destination already held exactly these bytes (an interrupted run got that far).
    AlreadyThere,
}

/// Copy `source` to the new file `dest`: through a temp file, fsynced, size-checked, keeping the
/// source's modification time, never replacing an existing `dest`. A `dest` that already holds
/// exactly the bytes of `source` (a copy an interrupted run finished) counts as done.
pub(crate) fn copy_verified(source: &Path, dest: &Path) -> Result<Transfer> {
    if same_entry(source, dest) {
        return Err(Error::DestinationExists {
            path: dest.to_path_buf(),
        });
    }
    let (mut input, meta) = open_regular(source)?.ok_or_else(|| Error::Read {
        path: source.to_path_buf(),
        source: io::ErrorKind::NotFound.into(),
    })?;
    let expected = meta.len();
    if fs::symlink_metadata(dest).is_ok() {
        if same_content(source, dest) {
            make_durable(dest)?;
            return Ok(Transfer::AlreadyThere);
        }
        return Err(Error::DestinationExists {
            path: dest.to_path_buf(),
        });
    }

    let tmp = temp_path(dest, PART_TAG);
    let result = (|| {
        let mut output = create_locked(&tmp)?;
        let copied = copy_stream(&mut input, &mut output, source, &tmp)?;
        if let Ok(modified) = meta.modified() {
            output.set_modified(modified).map_err(write_err(&tmp))?;
        }
        output.sync_all().map_err(write_err(&tmp))?;
        crash_point("copy: temp synced, not published");
        let actual = output.metadata().map_err(write_err(&tmp))?.len();
        if copied != expected || actual != expected {
            return Err(Error::SizeMismatch {
                source_path: source.to_path_buf(),
                dest: dest.to_path_buf(),
                expected,
                actual: if actual != expected { actual } else { copied },
            });
        }
        // The lock goes with the handle once the file has its final name.
        publish_no_clobber(&tmp, dest)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map(|()| Transfer::Done)
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
            Err(source_err) => return Err(read_err(source)(source_err)),
        };
        output.write_all(&buf[..n]).map_err(write_err(dest))?;
        total += n as u64;
        crash_point("copy: part of the bytes written");
    }
}

/// Remove the source of a move whose destination is durable.
fn remove_source(source: &Path) -> Result<()> {
    crash_point("move: destination durable, source not removed");
    fs::remove_file(source).map_err(write_err(source))?;
    sync_dir(parent_dir(source))
}

/// Move `source` to the new name `dest`, never replacing an existing `dest`.
///
/// On one file system this is a rename (done as hard link + unlink, which cannot clobber);
/// across file systems, or where hard links are unsupported, it is a verified copy followed by
/// removing the source. The source goes only once the destination is on disk. A `dest` that
/// already holds exactly the bytes of `source` (an interrupted move) only needs the source
/// removed.
pub(crate) fn move_no_clobber(source: &Path, dest: &Path) -> Result<Transfer> {
    if same_entry(source, dest) {
        return Err(Error::DestinationExists {
            path: dest.to_path_buf(),
        });
    }
    if fs::symlink_metadata(dest).is_ok() {
        if fs::symlink_metadata(source).is_ok_and(|m| m.is_file()) && same_content(source, dest) {
            make_durable(dest)?;
            remove_source(source)?;
            return Ok(Transfer::AlreadyThere);
        }
        return Err(Error::DestinationExists {
            path: dest.to_path_buf(),
        });
    }
    match fs::hard_link(source, dest) {
        Ok(()) => {
            crash_point("move: linked, directory not synced");
            sync_dir(parent_dir(dest))?;
            remove_source(source)?;
            Ok(Transfer::Done)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::DestinationExists {
            path: dest.to_path_buf(),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(read_err(source)(e)),
        Err(_) => {
            copy_verified(source, dest)?;
            remove_source(source)?;
            Ok(Transfer::Done)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_recognised() {
        let cases = [
            (".IMG_1.xmp.bestpick-tmp-123-0", "tmp", true),
            (".IMG 1 (2).JPG.bestpick-part-9-17", "part", true),
            (".IMG_1.xmp.bestpick-tmp-123-0", "part", false),
            ("IMG_1.xmp.bestpick-tmp-123-0", "tmp", false),
            (".IMG_1.xmp.bestpick-tmp-123-", "tmp", false),
            (".IMG_1.xmp.bestpick-tmp-12a-0", "tmp", false),
            (".IMG_1.xmp.bestpick-tmp-123-0.jpg", "tmp", false),
            ("..bestpick-tmp-1-2", "tmp", false),
            (".bestpick-tmp-1-2", "tmp", false),
        ];
        for (name, tag, expected) in cases {
            assert_eq!(is_temp_name(name, tag), expected, "case {name} / {tag}");
        }
    }
}
