//! An opened shoot and what opening one takes: the parameters, the photos with their analyses
//! (or the reason they have none), how it went, thumbnails' places, what the catalog keeps per
//! file. Opening itself is in `opening.rs`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bestpick_catalog::{Catalog, PhotoId, ShootId};
use bestpick_core::scan::Skipped;
use bestpick_core::{
    ANALYSIS_VERSION, Analysis, AnalyzeParams, FileKind, GroupSummary, Judging, PhotoError,
    PhotoErrorKind, PhotoFile, Strictness, Suggestion,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Options for [`crate::open_shoot`].
#[derive(Debug, Clone)]
pub struct OpenParams {
    /// Analysis options (threads, decoder limits).
    pub analyze: AnalyzeParams,
    /// Results stored per catalog transaction (also flushed at least every half second).
    pub batch: usize,
    /// Keep a JPEG thumbnail of every photo in this cache folder (see [`thumbnail_path`]).
    pub thumbnails: Option<ThumbnailParams>,
}

impl Default for OpenParams {
    fn default() -> Self {
        OpenParams {
            analyze: AnalyzeParams::default(),
            batch: 32,
            thumbnails: None,
        }
    }
}

/// Where and how large thumbnails are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbnailParams {
    /// Cache folder; thumbnails go to `<dir>/<shoot id>/<photo id>.jpg`.
    pub dir: PathBuf,
    /// Longer side in pixels.
    pub side: u32,
}

/// The thumbnail file of a photo.
pub fn thumbnail_path(dir: &Path, shoot: ShootId, photo: PhotoId) -> PathBuf {
    dir.join(shoot.0.to_string())
        .join(format!("{}.jpg", photo.0))
}

/// The folder holding a shoot's thumbnails (removed when the shoot is forgotten).
pub fn thumbnail_dir(dir: &Path, shoot: ShootId) -> PathBuf {
    dir.join(shoot.0.to_string())
}

/// One photo of an opened shoot.
#[derive(Debug, Clone)]
pub struct PhotoEntry {
    /// Catalog id.
    pub id: PhotoId,
    /// The file(s).
    pub file: PhotoFile,
    /// The analysis, unless it failed (or the job was cancelled before it).
    pub analysis: Option<Analysis>,
    /// Why the photo could not be analyzed.
    pub error: Option<PhotoError>,
    /// A problem that did not stop the analysis (damaged EXIF).
    pub warning: Option<PhotoError>,
}

/// How the opening went.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShootStatus {
    /// Photos analyzed by this run (failures not counted).
    pub analyzed_now: usize,
    /// Photos whose analysis came from the catalog (a failure remembered there counts in
    /// `failed` only).
    pub from_cache: usize,
    /// Photos that could not be analyzed.
    pub failed: usize,
    /// Photos left for a later run because the job was cancelled.
    pub pending: usize,
    /// Whether the job was cancelled.
    pub cancelled: bool,
    /// Wall-clock seconds of the whole opening.
    pub seconds: f64,
}

/// An opened shoot.
#[derive(Debug, Clone)]
pub struct Session {
    /// Catalog id of the shoot.
    pub shoot: ShootId,
    /// The shoot folder (canonical).
    pub root: PathBuf,
    /// Photos, sorted by relative path.
    pub photos: Vec<PhotoEntry>,
    /// Files that are not photos.
    pub skipped: Vec<Skipped>,
    /// Folder entries that could not be listed.
    pub scan_errors: Vec<PhotoError>,
    /// How it went.
    pub status: ShootStatus,
}

/// What the catalog keeps per file: the analysis, or the reason it failed (an unchanged file
/// is never analyzed twice, not even to fail again).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum StoredOutcome {
    Analyzed {
        analysis: Box<Analysis>,
        warning: Option<PhotoErrorKind>,
    },
    Failed {
        error: PhotoErrorKind,
    },
}

impl StoredOutcome {
    /// The catalog's form: MessagePack, fields by name (about half the JSON this catalog
    /// stored before, and faster to read back: re-opening a large shoot reads every row),
    /// through [`Packed`].
    pub(crate) fn to_blob(&self) -> Option<Vec<u8>> {
        let packed = match self {
            StoredOutcome::Analyzed { analysis, warning } => {
                Packed::Analyzed(analysis, warning.as_ref())
            }
            StoredOutcome::Failed { error } => Packed::Failed(error),
        };
        rmp_serde::to_vec_named(&packed).ok()
    }

    /// Reads a stored outcome in either form: JSON (catalogs written before, always an object,
    /// so it starts with `{`) or MessagePack (a map, never starting with that byte). `None`
    /// when it cannot be read: the photo is analyzed again.
    pub(crate) fn from_blob(blob: &[u8]) -> Option<StoredOutcome> {
        if blob.first() == Some(&b'{') {
            return serde_json::from_slice(blob).ok();
        }
        Some(match rmp_serde::from_slice::<Unpacked>(blob).ok()? {
            Unpacked::Analyzed(analysis, warning) => StoredOutcome::Analyzed { analysis, warning },
            Unpacked::Failed(error) => StoredOutcome::Failed { error },
        })
    }
}

/// [`StoredOutcome`] as MessagePack stores it: tagged from outside, which reads straight
/// through (an internally tagged enum is first read whole into a buffer of generic values,
/// which took most of a large shoot's re-opening).
#[derive(Serialize)]
enum Packed<'a> {
    Analyzed(&'a Analysis, Option<&'a PhotoErrorKind>),
    Failed(&'a PhotoErrorKind),
}

/// [`Packed`] read back.
#[derive(Deserialize)]
enum Unpacked {
    Analyzed(Box<Analysis>, Option<PhotoErrorKind>),
    Failed(PhotoErrorKind),
}

impl Session {
    /// Groups and ranks the analyzed photos.
    pub fn cull(&self, strictness: Strictness) -> (Vec<Option<Suggestion>>, Vec<GroupSummary>) {
        self.cull_with(strictness, Judging::default())
    }

    /// Groups and ranks the analyzed photos under a profile's weights and learned taste.
    pub fn cull_with(
        &self,
        strictness: Strictness,
        judging: Judging<'_>,
    ) -> (Vec<Option<Suggestion>>, Vec<GroupSummary>) {
        let analyses: Vec<Option<&Analysis>> =
            self.photos.iter().map(|p| p.analysis.as_ref()).collect();
        let names: Vec<&str> = self
            .photos
            .iter()
            .map(|p| p.file.rel_path.as_str())
            .collect();
        bestpick_core::cull_with(&analyses, &names, strictness, judging)
    }

    /// The shoot `shoot` (folder `root`) as the catalog knows it, without reading a photo:
    /// the photos still on disk, with their stored analyses. What a decision needs to see the
    /// groups the photographer saw.
    pub fn stored(catalog: &Catalog, shoot: ShootId, root: &Path) -> Result<Session> {
        let mut cached = catalog.cached_analyses(shoot, ANALYSIS_VERSION)?;
        let mut rows = catalog.photos(shoot)?;
        rows.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
        let photos = rows
            .into_iter()
            .filter_map(|row| {
                let path = root.join(&row.rel_path);
                if !path.exists() {
                    return None;
                }
                let analysis = cached
                    .remove(&row.id)
                    .and_then(|blob| StoredOutcome::from_blob(&blob))
                    .and_then(|c| match c {
                        StoredOutcome::Analyzed { analysis, .. } => Some(*analysis),
                        StoredOutcome::Failed { .. } => None,
                    });
                Some(PhotoEntry {
                    id: row.id,
                    file: PhotoFile {
                        kind: FileKind::from_path(&path).unwrap_or(FileKind::Other),
                        path,
                        rel_path: row.rel_path,
                        size: row.size,
                        mtime_ns: row.mtime_ns,
                        companions: Vec::new(),
                    },
                    analysis,
                    error: None,
                    warning: None,
                })
            })
            .collect();
        Ok(Session {
            shoot,
            root: root.to_path_buf(),
            photos,
            skipped: Vec::new(),
            scan_errors: Vec::new(),
            status: ShootStatus::default(),
        })
    }

    /// Every problem: listing errors, photos that failed, then warnings.
    pub fn problems(&self) -> Vec<&PhotoError> {
        let mut out: Vec<&PhotoError> = self.scan_errors.iter().collect();
        out.extend(self.photos.iter().filter_map(|p| p.error.as_ref()));
        out.extend(self.photos.iter().filter_map(|p| p.warning.as_ref()));
        out
    }

    /// True when some photo could not be analyzed or listed.
    pub fn has_failures(&self) -> bool {
        !self.scan_errors.is_empty() || self.photos.iter().any(|p| p.error.is_some())
    }
}

/// Finds the catalog photo of `path` (a photo, or the RAW of a RAW+JPEG pair): its shoot, id and
/// the shoot folder.
pub fn find_photo(catalog: &Catalog, path: &Path) -> Result<(ShootId, PhotoId, PathBuf)> {
    let abs = path.canonicalize().map_err(|source| Error::Path {
        path: path.to_path_buf(),
        source,
    })?;
    let shoots = catalog.shoots()?;
    let shoot = shoots
        .iter()
        .filter(|s| abs.starts_with(&s.root))
        .max_by_key(|s| s.root.as_os_str().len())
        .ok_or_else(|| Error::NotInCatalog {
            path: path.to_path_buf(),
        })?;
    let rel = bestpick_core::scan::rel_path(&abs, &shoot.root);
    if let Some(id) = catalog.photo_by_path(shoot.id, &rel)? {
        return Ok((shoot.id, id, shoot.root.clone()));
    }
    // The other file of a RAW+JPEG pair: same folder and name, another extension.
    let stem_of = |p: &str| -> String {
        let path = Path::new(p);
        let dir = path
            .parent()
            .map(|d| d.to_string_lossy().to_string())
            .unwrap_or_default();
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        format!("{dir}/{stem}")
    };
    let want = stem_of(&rel);
    let by_stem: HashMap<String, PhotoId> = catalog
        .photos(shoot.id)?
        .into_iter()
        .map(|r| (stem_of(&r.rel_path), r.id))
        .collect();
    by_stem
        .get(&want)
        .map(|&id| (shoot.id, id, shoot.root.clone()))
        .ok_or_else(|| Error::NotInCatalog {
            path: path.to_path_buf(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An analysis stored as MessagePack reads back identical, and one stored as JSON (every
    /// catalog written before) still reads.
    #[test]
    fn stored_analyses_read_back_in_both_forms() {
        let photo = bestpick_core::PhotoFile {
            path: std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../assets/sample/facerec_obama__00_original.jpg"),
            rel_path: "facerec_obama__00_original.jpg".into(),
            size: 0,
            mtime_ns: 0,
            kind: FileKind::Jpeg,
            companions: Vec::new(),
        };
        let analyzed = bestpick_core::analyze::measure_photo(&photo, &Default::default())
            .expect("the sample photo analyzes");
        let outcome = StoredOutcome::Analyzed {
            analysis: Box::new(analyzed.analysis),
            warning: None,
        };
        let json = serde_json::to_vec(&outcome).expect("JSON");
        let blob = outcome.to_blob().expect("MessagePack");
        assert!(
            blob.len() * 3 < json.len() * 2,
            "{} vs {} bytes",
            blob.len(),
            json.len()
        );
        for form in [&blob, &json] {
            let back = StoredOutcome::from_blob(form).expect("reads back");
            // Compared through JSON: every field, floats exactly.
            assert_eq!(serde_json::to_vec(&back).expect("JSON"), json);
        }
        assert!(StoredOutcome::from_blob(b"\x81garbage").is_none());
        let failed = StoredOutcome::Failed {
            error: PhotoErrorKind::Empty,
        };
        let back = StoredOutcome::from_blob(&failed.to_blob().expect("blob"));
        assert!(matches!(
            back,
            Some(StoredOutcome::Failed {
                error: PhotoErrorKind::Empty
            })
        ));
    }

    /// A failure the catalog kept before the I/O error's kind was stored still reads back
    /// (an unreadable entry would be analyzed again for nothing), and one stored now keeps it.
    #[test]
    fn stored_failures_load_in_the_old_and_the_new_form() {
        let old = br#"{"outcome":"failed","error":{"kind":"unreadable","detail":"Permission denied (os error 13)"}}"#;
        match serde_json::from_slice::<StoredOutcome>(old) {
            Ok(StoredOutcome::Failed { error }) => {
                assert_eq!(
                    error.to_string(),
                    "cannot read the file: Permission denied (os error 13)"
                );
                assert_eq!(error.io_kind(), Some(std::io::ErrorKind::Other));
            }
            other => panic!("old form: {other:?}"),
        }
        let now = StoredOutcome::Failed {
            error: PhotoErrorKind::Unreadable(
                std::io::Error::from(std::io::ErrorKind::PermissionDenied).into(),
            ),
        };
        let blob = serde_json::to_vec(&now).expect("serialize");
        match serde_json::from_slice::<StoredOutcome>(&blob) {
            Ok(StoredOutcome::Failed { error }) => {
                assert_eq!(error.io_kind(), Some(std::io::ErrorKind::PermissionDenied));
            }
            other => panic!("new form: {other:?}"),
        }
    }
}
