//! The desktop app's own settings: a small JSON file in the per-user config folder. They say
//! where the catalog is, so they cannot live in it.

use std::path::{Path, PathBuf};

use bestpick_core::Strictness;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Settings of the desktop app. Missing fields take their defaults, so older files still load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AppSettings {
    /// Catalog file; `None` = the default per-user catalog (shared with the CLI).
    pub catalog_path: Option<PathBuf>,
    /// Analysis threads; `None` = one per core, less one for the interface.
    pub threads: Option<usize>,
    /// Grouping strictness 0 (loose) ..= 100 (strict): the last one chosen (a shoot remembers
    /// its own in the catalog).
    pub strictness: Strictness,
    /// Name sidecars the darktable way (`IMG_1.JPG.xmp`) rather than Adobe's (`IMG_1.xmp`).
    pub darktable_names: bool,
    /// Collector for dataset contribution; `None` = contribution has nowhere to go.
    pub collector_url: Option<String>,
    /// After a decision on one photo, the cursor moves to the next (as in Photo Mechanic).
    pub auto_advance: bool,
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            catalog_path: None,
            threads: None,
            strictness: Strictness::NORMAL,
            darktable_names: false,
            collector_url: None,
            auto_advance: true,
        }
    }
}

impl AppSettings {
    /// Reads the settings at `path`; a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<AppSettings> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Path {
                path: path.to_path_buf(),
                source: std::io::Error::other(e),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AppSettings::default()),
            Err(source) => Err(Error::Path {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Writes the settings to `path` (through a temporary file, so a crash leaves the old ones).
    pub fn save(&self, path: &Path) -> Result<()> {
        let io = |source| Error::Path {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let json = serde_json::to_vec_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, json).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Threads for analysis: the setting, or one per core less one (at least one) so the
    /// window stays responsive.
    pub fn analysis_threads(&self) -> usize {
        self.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("conf").join("settings.json");
        assert_eq!(
            AppSettings::load(&path).expect("missing file"),
            AppSettings::default(),
            "missing file gives defaults"
        );
        let s = AppSettings {
            threads: Some(3),
            strictness: Strictness::STRICT,
            darktable_names: true,
            ..Default::default()
        };
        s.save(&path).expect("save");
        assert_eq!(AppSettings::load(&path).expect("load"), s, "round trip");
        std::fs::write(&path, br#"{"threads": 2}"#).expect("write partial");
        let partial = AppSettings::load(&path).expect("partial");
        assert_eq!(
            (partial.threads, partial.strictness, partial.auto_advance),
            (Some(2), Strictness::NORMAL, true),
            "missing fields take defaults (an older file auto-advances)"
        );
        std::fs::write(&path, b"{not json").expect("write junk");
        assert!(AppSettings::load(&path).is_err(), "junk is an error");
        assert!(s.analysis_threads() == 3, "explicit threads");
        assert!(
            AppSettings::default().analysis_threads() >= 1,
            "at least one thread"
        );
    }
}
