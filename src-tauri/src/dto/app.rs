//! Wire types of the window itself: what it needs to start (recent shoots, settings), the
//! settings page, and the error every command may answer with.

use std::path::PathBuf;

use bestpick_engine::AppSettings;
use bestpick_engine::vocabulary::{ShootInfo, Strictness};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::wire::{count, path_string};

/// An error as the UI sees it: `kind` to branch on, `message` to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDto {
    /// `notFound`, `noShoot`, `busy`, `invalid`, `catalog`, `io`, `contribution`, `internal`.
    pub kind: String,
    /// What happened and what to do next.
    pub message: String,
}

/// A shoot in the recent list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ShootInfoDto {
    /// Shoot id.
    pub id: i64,
    /// Folder.
    pub root: String,
    /// Last opened, ms since the epoch.
    pub last_opened_ms: f64,
    /// Photos.
    pub photos: u32,
    /// Picks.
    pub picks: u32,
    /// Rejects.
    pub rejects: u32,
    /// The folder still exists.
    pub exists: bool,
}

impl From<&ShootInfo> for ShootInfoDto {
    fn from(s: &ShootInfo) -> Self {
        ShootInfoDto {
            id: s.id.0,
            root: path_string(&s.root),
            last_opened_ms: s.last_opened_at_ms as f64,
            photos: u32::try_from(s.photo_count).unwrap_or(u32::MAX),
            picks: u32::try_from(s.picks).unwrap_or(u32::MAX),
            rejects: u32::try_from(s.rejects).unwrap_or(u32::MAX),
            exists: s.root.is_dir(),
        }
    }
}

/// What the window needs to start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StartupDto {
    /// What to open first: the folder argument, else the most recent shoot, else the sample.
    pub open: Option<String>,
    /// Why that one (`argument`, `recent`, `sample`, `none`).
    pub reason: String,
    /// The bundled sample shoot, if found.
    pub sample: Option<String>,
    /// Recent shoots.
    pub recent: Vec<ShootInfoDto>,
    /// Settings.
    pub settings: SettingsDto,
}

/// App settings as the settings page edits them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsDto {
    /// Catalog file in use.
    pub catalog_path: String,
    /// The default catalog is used.
    pub catalog_is_default: bool,
    /// Analysis threads (null = automatic).
    pub threads: Option<u32>,
    /// Threads used when automatic.
    pub auto_threads: u32,
    /// Grouping strictness 0..=100.
    pub strictness: u8,
    /// darktable sidecar names.
    pub darktable_names: bool,
    /// Collector URL for contributions.
    pub collector_url: Option<String>,
    /// After a decision on one photo, move to the next.
    pub auto_advance: bool,
    /// Thumbnail cache folder.
    pub thumbnail_dir: String,
}

impl SettingsDto {
    /// The settings as shown, with the paths actually in use.
    pub fn new(
        s: &AppSettings,
        catalog: &std::path::Path,
        default_catalog: bool,
        thumbnails: &std::path::Path,
    ) -> Self {
        SettingsDto {
            catalog_path: path_string(catalog),
            catalog_is_default: default_catalog,
            threads: s.threads.map(count),
            auto_threads: count(
                AppSettings {
                    threads: None,
                    ..s.clone()
                }
                .analysis_threads(),
            ),
            strictness: s.strictness.get(),
            darktable_names: s.darktable_names,
            collector_url: s.collector_url.clone(),
            auto_advance: s.auto_advance,
            thumbnail_dir: path_string(thumbnails),
        }
    }
}

/// Settings the UI may change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsUpdate {
    /// Catalog file (null = default). Takes effect at once; the open shoot is closed.
    pub catalog_path: Option<String>,
    /// Threads (null = automatic).
    pub threads: Option<u32>,
    /// Strictness.
    pub strictness: u8,
    /// darktable names.
    pub darktable_names: bool,
    /// Collector URL.
    pub collector_url: Option<String>,
    /// Auto-advance after a decision.
    pub auto_advance: bool,
}

impl SettingsUpdate {
    /// Applies the update to `s`.
    pub fn apply(self, s: &mut AppSettings) {
        s.catalog_path = self
            .catalog_path
            .filter(|p| !p.trim().is_empty())
            .map(PathBuf::from);
        s.threads = self.threads.filter(|&t| t > 0).map(|t| t as usize);
        s.strictness = Strictness::new(self.strictness);
        s.darktable_names = self.darktable_names;
        s.collector_url = self.collector_url.filter(|u| !u.trim().is_empty());
        s.auto_advance = self.auto_advance;
    }
}
