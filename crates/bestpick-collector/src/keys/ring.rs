//! The keys a running collector holds, kept up to date with its key file: several instances
//! share one file (on a secret volume, say) and `keys rotate` replaces it, so each instance
//! looks at the file's stamp at most every [`KEY_CHECK_EVERY`], reloads it when it changed, and
//! looks once more when a bundle names a key id it does not hold. A file that turns unreadable
//! or invalid keeps the keys loaded (and says so on stderr): a running service never loses a
//! key to a bad edit.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use super::format::KeySet;
use super::source::{FileStamp, read_set};

/// How often a running collector looks at its key file, at most.
pub const KEY_CHECK_EVERY: Duration = Duration::from_secs(2);

/// The collector's keys, reloaded from their file when it changes.
#[derive(Debug)]
pub struct KeyRing {
    file: Option<PathBuf>,
    current: RwLock<Arc<KeySet>>,
    watch: Mutex<Watch>,
    check_every: Duration,
}

#[derive(Debug)]
struct Watch {
    /// Stamp of the file version loaded (or last refused).
    stamp: Option<FileStamp>,
    /// When the file was last looked at.
    checked: Instant,
}

impl KeyRing {
    /// Keys that never change (from the environment, or tests).
    pub fn fixed(set: KeySet) -> KeyRing {
        KeyRing::new(None, set, None)
    }

    /// Keys read from `path` (whose version was `stamp`), reloaded when it changes.
    pub fn watching(path: PathBuf, set: KeySet, stamp: FileStamp) -> KeyRing {
        KeyRing::new(Some(path), set, Some(stamp))
    }

    fn new(file: Option<PathBuf>, set: KeySet, stamp: Option<FileStamp>) -> KeyRing {
        KeyRing {
            file,
            current: RwLock::new(Arc::new(set)),
            watch: Mutex::new(Watch {
                stamp,
                checked: Instant::now(),
            }),
            check_every: KEY_CHECK_EVERY,
        }
    }

    /// The same ring, looking at its file at most every `every` (tests use zero).
    pub fn with_check_every(mut self, every: Duration) -> KeyRing {
        self.check_every = every;
        self
    }

    /// The keys now, after looking at the file if [`KEY_CHECK_EVERY`] passed since the last
    /// look. May touch the file system: call it off the async workers.
    pub fn keys(&self) -> Arc<KeySet> {
        if self.file.is_some() {
            let due = self
                .watch
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .checked
                .elapsed()
                >= self.check_every;
            if due {
                self.refresh();
            }
        }
        self.loaded()
    }

    /// The keys loaded, without looking at the file.
    pub fn loaded(&self) -> Arc<KeySet> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Looks at the file now and reloads it if it changed; true when new keys were loaded.
    pub fn refresh(&self) -> bool {
        let Some(path) = &self.file else {
            return false;
        };
        // Held while reloading: one reload at a time, the others wait and see it done.
        let mut watch = self.watch.lock().unwrap_or_else(PoisonError::into_inner);
        watch.checked = Instant::now();
        let Ok(meta) = std::fs::metadata(path) else {
            if watch.stamp.take().is_some() {
                eprintln!(
                    "collector: key file {} is gone; keeping the keys loaded",
                    path.display()
                );
            }
            return false;
        };
        if watch.stamp == Some(FileStamp::of(&meta)) {
            return false;
        }
        match read_set(path) {
            Ok(Some((set, stamp))) => {
                watch.stamp = Some(stamp);
                let (count, newest) = (set.keys().len(), set.newest().id);
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(set);
                eprintln!("collector: key file reloaded: {count} key(s), serving key {newest}");
                true
            }
            Ok(None) => false,
            Err(e) => {
                watch.stamp = Some(FileStamp::of(&meta));
                eprintln!("collector: {e:#}; keeping the keys loaded");
                false
            }
        }
    }
}
