//! The one piece of shared state (`.manage()`d): where things live, the settings, the catalog
//! handle, the open shoot and the running jobs with their cancel flags.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use bestpick_engine::vocabulary::{CancelFlag, Catalog};
use bestpick_engine::{AppSettings, Session};

use crate::error::{Error, Result};

/// Folders the app uses.
#[derive(Debug, Clone)]
pub struct AppPaths {
    /// `settings.json` lives here.
    pub config_dir: PathBuf,
    /// Thumbnail cache (`<dir>/<shoot>/<photo>.jpg`).
    pub thumbnail_dir: PathBuf,
    /// The catalog used unless the settings name another (shared with the CLI).
    pub default_catalog: PathBuf,
    /// The bundled sample shoot, when it can be found.
    pub sample: Option<PathBuf>,
}

impl AppPaths {
    /// Everything under one folder (tests, the end-to-end suite via `BESTPICK_HOME`).
    pub fn under(home: &Path, sample: Option<PathBuf>) -> AppPaths {
        AppPaths {
            config_dir: home.join("config"),
            thumbnail_dir: home.join("cache").join("thumbnails"),
            default_catalog: home.join("data").join("catalog.sqlite"),
            sample,
        }
    }

    /// The settings file.
    pub fn settings_file(&self) -> PathBuf {
        self.config_dir.join("settings.json")
    }
}

/// A shoot opened in the window.
#[derive(Debug)]
pub struct OpenShoot {
    /// The session (analyses in memory; regrouping is a function of it).
    pub session: Session,
}

impl OpenShoot {
    /// The entry of photo `id`.
    pub fn photo(&self, id: i64) -> Result<&bestpick_engine::PhotoEntry> {
        self.session
            .photos
            .iter()
            .find(|p| p.id.0 == id)
            .ok_or(Error::UnknownPhoto(id))
    }
}

/// Running jobs and their cancel flags.
#[derive(Debug, Default)]
pub struct Jobs {
    next: AtomicU32,
    flags: Mutex<HashMap<u32, CancelFlag>>,
    /// The job opening a shoot, if any: opening another folder cancels it.
    opening: Mutex<Option<u32>>,
}

impl Jobs {
    /// Registers a job.
    pub fn start(&self) -> (u32, CancelFlag) {
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let flag = CancelFlag::new();
        lock(&self.flags).insert(id, flag.clone());
        (id, flag)
    }

    /// Registers an open-shoot job, cancelling the one before it.
    pub fn start_opening(&self) -> (u32, CancelFlag) {
        let (id, flag) = self.start();
        if let Some(previous) = lock(&self.opening).replace(id) {
            self.cancel(previous);
        }
        (id, flag)
    }

    /// True while `id` is the latest open-shoot job.
    pub fn is_current_opening(&self, id: u32) -> bool {
        *lock(&self.opening) == Some(id)
    }

    /// Asks job `id` to stop. False when no such job runs.
    pub fn cancel(&self, id: u32) -> bool {
        lock(&self.flags).get(&id).map(CancelFlag::cancel).is_some()
    }

    /// Forgets a finished job.
    pub fn finish(&self, id: u32) {
        lock(&self.flags).remove(&id);
    }

    /// Number of running jobs.
    pub fn running(&self) -> usize {
        lock(&self.flags).len()
    }
}

/// Locks a mutex; a panic while it was held leaves data that is still consistent here (every
/// critical section is a single assignment or catalog call), so poisoning is ignored.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The app's state.
#[derive(Debug)]
pub struct AppState {
    /// Folders.
    pub paths: AppPaths,
    /// The folder given on the command line.
    pub launch: Option<PathBuf>,
    /// Settings (saved to `paths.settings_file()`).
    pub settings: Mutex<AppSettings>,
    catalog: Mutex<Option<Catalog>>,
    shoot: RwLock<Option<Arc<OpenShoot>>>,
    /// Jobs.
    pub jobs: Jobs,
}

impl AppState {
    /// State over `paths`, with the settings read from disk (defaults when unreadable).
    pub fn new(paths: AppPaths, launch: Option<PathBuf>) -> AppState {
        let settings = AppSettings::load(&paths.settings_file()).unwrap_or_default();
        AppState {
            paths,
            launch,
            settings: Mutex::new(settings),
            catalog: Mutex::new(None),
            shoot: RwLock::new(None),
            jobs: Jobs::default(),
        }
    }

    /// The catalog file in use.
    pub fn catalog_path(&self) -> PathBuf {
        lock(&self.settings)
            .catalog_path
            .clone()
            .unwrap_or_else(|| self.paths.default_catalog.clone())
    }

    /// Runs `f` on the catalog, opening it on first use.
    pub fn with_catalog<T>(&self, f: impl FnOnce(&mut Catalog) -> Result<T>) -> Result<T> {
        let mut guard = lock(&self.catalog);
        if guard.is_none() {
            *guard = Some(Catalog::open(&self.catalog_path())?);
        }
        match guard.as_mut() {
            Some(catalog) => f(catalog),
            None => Err(Error::Internal("the catalog could not be kept open".into())),
        }
    }

    /// Closes the catalog (it is reopened, perhaps elsewhere, on next use) and the shoot.
    pub fn reset_catalog(&self) {
        *lock(&self.catalog) = None;
        self.set_shoot(None);
    }

    /// The open shoot.
    pub fn shoot(&self) -> Result<Arc<OpenShoot>> {
        self.shoot
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .ok_or(Error::NoShoot)
    }

    /// Replaces the open shoot.
    pub fn set_shoot(&self, shoot: Option<OpenShoot>) {
        *self
            .shoot
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = shoot.map(Arc::new);
    }

    /// Analysis threads from the settings.
    pub fn threads(&self) -> usize {
        lock(&self.settings).analysis_threads()
    }
}
