//! What keeps one photo's work bounded: a memory budget shared by the decodes in flight,
//! cancellation that reaches into the decoders, files read with a size cap (and never from a
//! FIFO or a device), and stages isolated so that a panic is one photo's error.
//!
//! - **Memory.** Every decoder works out what it will allocate from the headers, before
//!   allocating, and reserves it with [`reserve`]. The reservations of all decodes running at
//!   once share one budget (`DecodeOptions::max_alloc`): a decode that needs more than the
//!   whole budget is refused with the figures; one that fits the budget but not what is left
//!   waits for the others to finish. So a folder of decompression bombs costs at most the
//!   budget, however many threads read it, while a single 100 MP photo still gets through.
//!   A program whose allocator keeps freed memory for a while (mimalloc holds it for about a
//!   second) registers [`on_large_release`], so that a large decode's memory is given back to
//!   the system before the decode waiting for it starts.
//! - **Cancellation.** [`with_cancel`] makes a job's [`CancelFlag`] visible to everything the
//!   photo's work calls on this thread; decoders look at [`cancelled`] once per row of blocks
//!   (or per read, for the decoders of other crates) and give up with [`Cancelled`].
//! - **Stages.** [`stage`] runs one stage of a photo's work under `catch_unwind`, so a panic in
//!   any of them (decode, measures, faces, thumbnail) becomes that photo's error naming the
//!   stage.

use std::cell::{Cell, RefCell};
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use crate::analyze::CancelFlag;
use crate::error::{IoFailure, PhotoErrorKind};

thread_local! {
    /// The flag of the job whose photo this thread is working on.
    static CANCEL: RefCell<Option<CancelFlag>> = const { RefCell::new(None) };
    /// Reservations this thread holds: a second one (a re-read while the first decode is
    /// alive) never waits, so two threads cannot wait on each other's memory.
    static HELD: Cell<usize> = const { Cell::new(0) };
}

/// The photo's work was cancelled before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// Runs `f` with `flag` as the cancellation flag seen by [`cancelled`] on this thread.
pub fn with_cancel<R>(flag: &CancelFlag, f: impl FnOnce() -> R) -> R {
    let previous = CANCEL.with(|c| c.replace(Some(flag.clone())));
    struct Restore(Option<CancelFlag>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CANCEL.with(|c| *c.borrow_mut() = previous);
        }
    }
    let _restore = Restore(previous);
    f()
}

/// True when the job this thread works for was cancelled.
pub fn cancelled() -> bool {
    CANCEL.with(|c| c.borrow().as_ref().is_some_and(CancelFlag::is_cancelled))
}

/// Memory reserved by decodes in flight, in bytes.
struct Pool {
    used: Mutex<u64>,
    freed: Condvar,
}

static POOL: Pool = Pool {
    used: Mutex::new(0),
    freed: Condvar::new(),
};

/// Memory one decode reserved from the shared budget; given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    bytes: u64,
}

impl Reservation {
    /// Bytes reserved.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// Reservations at least this large call the [`on_large_release`] hook when they end. Smaller
/// decodes keep their buffers for the next photo on their thread (up to
/// [`SPARE_KEEP_BYTES`](crate::decode::SPARE_KEEP_BYTES)); larger ones free them, and only
/// those can pile up in an allocator.
pub const LARGE_RELEASE_BYTES: u64 = 64 << 20;

static RELEASE_HOOK: OnceLock<fn()> = OnceLock::new();

/// Registers `hook`, called when a reservation of at least [`LARGE_RELEASE_BYTES`] ends, after
/// the decode's buffers were freed and before its bytes go back to the budget (so before a
/// decode waiting for them is let in). It should make the allocator give freed memory back to
/// the system now: the budget bounds the memory decodes hold, and without this an allocator
/// that keeps freed memory for a while would let the process hold both the freed buffers and
/// the next decode's (measured on a folder of decompression bombs on 2 threads with mimalloc:
/// 540–650 MB peak instead of 440–480 MB). Only the first registration counts; returns
/// false for later ones.
pub fn on_large_release(hook: fn()) -> bool {
    RELEASE_HOOK.set(hook).is_ok()
}

impl Drop for Reservation {
    fn drop(&mut self) {
        // A decode's buffers are dropped before its reservation: `Decoded::budget` and
        // `JpegBlocks::budget` are their structs' last fields.
        if self.bytes >= LARGE_RELEASE_BYTES
            && let Some(hook) = RELEASE_HOOK.get()
        {
            hook();
        }
        let mut used = POOL.used.lock().unwrap_or_else(PoisonError::into_inner);
        *used = used.saturating_sub(self.bytes);
        drop(used);
        HELD.with(|h| h.set(h.get().saturating_sub(1)));
        POOL.freed.notify_all();
    }
}

/// Why memory could not be reserved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BudgetError {
    /// More than the whole budget: the photo can never be decoded with it.
    TooLarge {
        /// Bytes the decode needs.
        needed: u64,
        /// The budget.
        budget: u64,
    },
    /// Cancelled while waiting for memory.
    Cancelled,
    /// A second reservation of this thread that does not fit now (it does not wait).
    Busy {
        /// Bytes asked for.
        needed: u64,
    },
}

impl BudgetError {
    /// The photo's error kind.
    pub fn into_kind(self, what: &str) -> PhotoErrorKind {
        match self {
            BudgetError::TooLarge { needed, budget } => PhotoErrorKind::TooLarge(format!(
                "{what} would need {} of memory, more than the {} budget for decoding",
                megabytes(needed),
                megabytes(budget)
            )),
            BudgetError::Cancelled => PhotoErrorKind::Cancelled,
            BudgetError::Busy { needed } => PhotoErrorKind::TooLarge(format!(
                "{what} would need {} more memory, not available now",
                megabytes(needed)
            )),
        }
    }
}

impl std::fmt::Display for BudgetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.clone().into_kind("decoding this image") {
            PhotoErrorKind::TooLarge(m) => f.write_str(&m),
            other => write!(f, "{other}"),
        }
    }
}

/// `bytes` in MB for messages.
pub fn megabytes(bytes: u64) -> String {
    format!("{} MB", bytes.div_ceil(1_000_000))
}

/// Reserves `bytes` from the shared `budget` before they are allocated. Waits (cancellably)
/// while other decodes hold too much; refuses at once what exceeds the whole budget. A
/// reservation is granted when it fits beside the others or when nothing else is reserved.
pub fn reserve(bytes: u64, budget: u64) -> Result<Reservation, BudgetError> {
    if bytes > budget {
        return Err(BudgetError::TooLarge {
            needed: bytes,
            budget,
        });
    }
    let nested = HELD.with(Cell::get) > 0;
    let mut used = POOL.used.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        if *used == 0 || used.saturating_add(bytes) <= budget {
            *used += bytes;
            HELD.with(|h| h.set(h.get() + 1));
            return Ok(Reservation { bytes });
        }
        if nested {
            return Err(BudgetError::Busy { needed: bytes });
        }
        if cancelled() {
            return Err(BudgetError::Cancelled);
        }
        used = POOL
            .freed
            .wait_timeout(used, Duration::from_millis(50))
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
}

/// Memory reserved by all decodes in flight right now (for tests and diagnostics).
pub fn reserved() -> u64 {
    *POOL.used.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Bytes read per `read` call, between two looks at the cancellation flag.
const READ_CHUNK: usize = 1 << 20;

/// Reads the whole file at `path` into `buf` (cleared first), refusing what is not a regular
/// file (a FIFO would block the read forever, a device would never end) and what is larger
/// than `max_bytes`, without reading it. The type is checked on the opened handle, so a file
/// swapped for a FIFO after the folder was listed is refused too; the open itself does not
/// block on a FIFO.
pub fn read_file(path: &Path, max_bytes: u64, buf: &mut Vec<u8>) -> Result<(), PhotoErrorKind> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO for reading does not wait for a writer (regular files
    // ignore the flag).
    let unreadable = |e: std::io::Error| PhotoErrorKind::Unreadable(e.into());
    buf.clear();
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    if !meta.is_file() {
        return Err(PhotoErrorKind::Unreadable(IoFailure::new(
            std::io::ErrorKind::Other,
            format!("not a regular file ({})", file_type_name(&meta.file_type())),
        )));
    }
    if meta.len() > max_bytes {
        return Err(PhotoErrorKind::TooLarge(format!(
            "the file is {}, larger than the {} limit for one photo",
            megabytes(meta.len()),
            megabytes(max_bytes)
        )));
    }
    buf.reserve(usize::try_from(meta.len()).unwrap_or(0));
    // The size can change while reading: never take more than the cap. Read straight into
    // the buffer, a chunk at a time, looking at the cancellation flag between chunks.
    let mut limited = (&mut file).take(max_bytes + 1);
    loop {
        if cancelled() {
            return Err(PhotoErrorKind::Cancelled);
        }
        match (&mut limited).take(READ_CHUNK as u64).read_to_end(buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(unreadable(e)),
        }
    }
    if buf.len() as u64 > max_bytes {
        return Err(PhotoErrorKind::TooLarge(format!(
            "the file grew beyond the {} limit for one photo while it was read",
            megabytes(max_bytes)
        )));
    }
    if buf.is_empty() {
        return Err(PhotoErrorKind::Empty);
    }
    Ok(())
}

/// A file type in words.
pub fn file_type_name(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_dir() {
        "a folder"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "a regular file"
    }
}

/// One stage of a photo's work, for errors and fault injection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Reading the file.
    Read,
    /// Decoding it.
    Decode,
    /// The measures (focus, exposure, noise...).
    Measure,
    /// Faces and eyes.
    Faces,
    /// The thumbnail.
    Thumbnail,
}

impl Step {
    /// The stage in words.
    pub fn name(self) -> &'static str {
        match self {
            Step::Read => "reading",
            Step::Decode => "decoding",
            Step::Measure => "measuring",
            Step::Faces => "face analysis",
            Step::Thumbnail => "thumbnail",
        }
    }
}

/// Runs one stage of a photo's work: a panic in it becomes [`PhotoErrorKind::StageFailed`]
/// naming the stage.
pub fn stage<R>(step: Step, path: &Path, f: impl FnOnce() -> R) -> Result<R, PhotoErrorKind> {
    catch_unwind(AssertUnwindSafe(|| {
        fault::hit(step, path);
        f()
    }))
    .map_err(|panic| PhotoErrorKind::StageFailed {
        stage: step.name().to_string(),
        detail: panic_message(panic.as_ref()),
    })
}

/// The message of a caught panic.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Test-only fault injection: makes a chosen stage panic, or stall like a decoder that cannot
/// be interrupted, for photos whose path contains a marker, to prove that every stage is
/// isolated and that a cancelled job does not wait for a stuck photo. Inert unless a test arms
/// it (one relaxed atomic load per stage otherwise).
#[doc(hidden)]
pub mod fault {
    use std::path::Path;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::Step;

    /// What an armed stage does.
    #[derive(Debug, Clone, Copy)]
    enum Fault {
        Panic,
        Stall(Duration),
    }

    static ARMED: AtomicBool = AtomicBool::new(false);
    static FAULTS: Mutex<Vec<(Step, String, Fault)>> = Mutex::new(Vec::new());

    fn arm(step: Step, marker: &str, fault: Fault) {
        FAULTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((step, marker.to_string(), fault));
        ARMED.store(true, Ordering::SeqCst);
    }

    /// From now on, stage `step` panics for every photo whose path contains `marker`.
    pub fn inject(step: Step, marker: &str) {
        arm(step, marker, Fault::Panic);
    }

    /// From now on, stage `step` sleeps for `time` (deaf to cancellation) for every photo
    /// whose path contains `marker`.
    pub fn stall(step: Step, marker: &str, time: Duration) {
        arm(step, marker, Fault::Stall(time));
    }

    pub(super) fn hit(step: Step, path: &Path) {
        if !ARMED.load(Ordering::Relaxed) {
            return;
        }
        let path = path.to_string_lossy();
        let fault = FAULTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|(s, m, _)| *s == step && path.contains(m.as_str()))
            .map(|(_, _, f)| *f);
        match fault {
            Some(Fault::Panic) => panic!("injected fault in the {} stage", step.name()),
            Some(Fault::Stall(time)) => std::thread::sleep(time),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_reservation_calls_the_release_hook_before_its_bytes_are_free() {
        thread_local! {
            /// This thread's reservations when the hook last ran on it (the hook is
            /// process-wide: other tests' large reservations call it on their own threads).
            static SEEN: Cell<Option<usize>> = const { Cell::new(None) };
        }
        fn hook() {
            SEEN.with(|s| s.set(Some(HELD.with(Cell::get))));
        }
        assert!(on_large_release(hook), "the first hook is kept");
        assert!(!on_large_release(|| {}), "later ones are not");
        const BUDGET: u64 = 1 << 40;
        drop(reserve(LARGE_RELEASE_BYTES - 1, BUDGET).expect("small"));
        assert_eq!(SEEN.with(Cell::get), None, "a small one keeps its buffers");
        drop(reserve(LARGE_RELEASE_BYTES, BUDGET).expect("large"));
        assert_eq!(
            SEEN.with(Cell::get),
            Some(1),
            "the hook runs while the reservation is still held"
        );
    }

    #[test]
    fn reservations_wait_for_each_other_within_the_budget() {
        const BUDGET: u64 = 1 << 40;
        let a = reserve(BUDGET / 2, BUDGET).expect("first half");
        assert!(reserved() >= BUDGET / 2);
        // A second reservation on this thread never waits: it does not fit now.
        assert_eq!(
            reserve(BUDGET / 2 + BUDGET / 4, BUDGET).expect_err("nested"),
            BudgetError::Busy {
                needed: BUDGET / 2 + BUDGET / 4
            }
        );
        // Another thread waits until the first is given back.
        let waiter = std::thread::spawn(move || {
            let r = reserve(BUDGET / 2 + BUDGET / 4, BUDGET).expect("after the first");
            r.bytes()
        });
        std::thread::sleep(Duration::from_millis(150));
        assert!(
            !waiter.is_finished(),
            "it must wait while the budget is taken"
        );
        drop(a);
        assert_eq!(waiter.join().expect("waiter"), BUDGET / 2 + BUDGET / 4);
        assert_eq!(
            reserve(BUDGET + 1, BUDGET).expect_err("over"),
            BudgetError::TooLarge {
                needed: BUDGET + 1,
                budget: BUDGET
            }
        );
    }

    #[test]
    fn a_wait_for_memory_ends_when_the_job_is_cancelled() {
        const BUDGET: u64 = 1 << 41;
        let held = reserve(BUDGET, BUDGET).expect("all of it");
        let flag = CancelFlag::new();
        let f = flag.clone();
        let waiter = std::thread::spawn(move || with_cancel(&f, || reserve(1 << 30, BUDGET)));
        std::thread::sleep(Duration::from_millis(100));
        flag.cancel();
        let started = std::time::Instant::now();
        assert_eq!(
            waiter.join().expect("waiter").expect_err("cancelled"),
            BudgetError::Cancelled
        );
        assert!(started.elapsed() < Duration::from_millis(500));
        drop(held);
    }

    #[test]
    fn fifos_devices_and_oversized_files_are_refused_without_reading() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("pipe.jpg");
        let c = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).expect("path");
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a file system entry.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
        let mut buf = Vec::new();
        let started = std::time::Instant::now();
        assert_eq!(
            read_file(&fifo, 1 << 20, &mut buf).expect_err("fifo"),
            PhotoErrorKind::Unreadable(IoFailure::new(
                std::io::ErrorKind::Other,
                "not a regular file (a FIFO)"
            ))
        );
        assert_eq!(
            read_file(Path::new("/dev/zero"), 1 << 20, &mut buf).expect_err("device"),
            PhotoErrorKind::Unreadable(IoFailure::new(
                std::io::ErrorKind::Other,
                "not a regular file (a character device)"
            ))
        );
        let link = dir.path().join("zero.jpg");
        std::os::unix::fs::symlink("/dev/zero", &link).expect("symlink");
        assert!(read_file(&link, 1 << 20, &mut buf).is_err());
        assert!(started.elapsed() < Duration::from_secs(2));
        let big = dir.path().join("big.jpg");
        std::fs::write(&big, vec![0xFFu8; 4096]).expect("write");
        match read_file(&big, 1000, &mut buf).expect_err("too big") {
            PhotoErrorKind::TooLarge(m) => assert!(m.contains("larger than"), "{m}"),
            other => panic!("{other:?}"),
        }
        read_file(&big, 4096, &mut buf).expect("at the cap");
        assert_eq!(buf.len(), 4096);
    }
}
