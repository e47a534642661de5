//! Opening a shoot: scan, reuse cached analyses, analyze what is new or changed, store results
//! in batches as they finish.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bestpick_catalog::{Catalog, PhotoId, ShootId, StoredAnalysis};
use bestpick_core::scan::Skipped;
use bestpick_core::{
    ANALYSIS_VERSION, Analysis, AnalyzeParams, Analyzed, CancelFlag, GroupSummary, PhotoError,
    PhotoErrorKind, PhotoFile, Progress, ProgressSink, Stage, Strictness, Suggestion,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Options for [`open_shoot`].
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

fn save_thumbnail(img: &image::RgbImage, path: &Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    // Written under a temporary name and renamed, so a reader never sees half a file.
    let tmp = path.with_extension("jpg.tmp");
    let file = std::fs::File::create(&tmp)?;
    let mut out = std::io::BufWriter::new(file);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(img)
        .map_err(std::io::Error::other)?;
    drop(out);
    std::fs::rename(&tmp, path)
}

/// Forwards stage progress; per-item events are sent by the session once results are stored.
struct Forward<'a>(&'a dyn ProgressSink);

impl ProgressSink for Forward<'_> {
    fn progress(&self, p: Progress) {
        self.0.progress(p);
    }
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
    /// Photos whose analysis came from the catalog.
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
enum Cached {
    Analyzed {
        analysis: Box<Analysis>,
        warning: Option<PhotoErrorKind>,
    },
    Failed {
        error: PhotoErrorKind,
    },
}

impl Session {
    /// Groups and ranks the analyzed photos.
    pub fn cull(&self, strictness: Strictness) -> (Vec<Option<Suggestion>>, Vec<GroupSummary>) {
        let analyses: Vec<Option<&Analysis>> =
            self.photos.iter().map(|p| p.analysis.as_ref()).collect();
        let names: Vec<&str> = self
            .photos
            .iter()
            .map(|p| p.file.rel_path.as_str())
            .collect();
        bestpick_core::cull(&analyses, &names, strictness)
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

/// Opens the shoot in `root`: scans it, reuses cached analyses, analyzes the rest (results are
/// committed to the catalog in batches while the job runs), and returns every photo.
pub fn open_shoot(
    catalog: &mut Catalog,
    root: &Path,
    params: &OpenParams,
    cancel: &CancelFlag,
    progress: &dyn ProgressSink,
) -> Result<Session> {
    let started = Instant::now();
    progress.progress(Progress {
        stage: Stage::Scanning,
        done: 0,
        total: 0,
    });
    let (root, shoot, scan, ids) = crate::listing::scan_and_sync(catalog, root)?;
    let cached = catalog.cached_analyses(shoot, ANALYSIS_VERSION)?;
    let mut photos: Vec<PhotoEntry> = scan
        .photos
        .into_iter()
        .zip(ids)
        .map(|(file, id)| PhotoEntry {
            id,
            file,
            analysis: None,
            error: None,
            warning: None,
        })
        .collect();
    let mut status = ShootStatus::default();
    let mut todo = Vec::new();
    for (i, entry) in photos.iter_mut().enumerate() {
        match cached
            .get(&entry.id)
            .and_then(|blob| serde_json::from_slice::<Cached>(blob).ok())
        {
            // Analyzed without faces, now wanted with them: analyze again.
            Some(Cached::Analyzed { analysis, .. })
                if params.analyze.faces && analysis.faces.is_none() =>
            {
                todo.push(i)
            }
            Some(Cached::Analyzed { analysis, warning }) => {
                entry.analysis = Some(*analysis);
                entry.warning = warning.map(|k| PhotoError::warning(&entry.file.path, k));
                status.from_cache += 1;
            }
            Some(Cached::Failed { error }) => {
                entry.error = Some(PhotoError::new(&entry.file.path, error));
                status.from_cache += 1;
            }
            None => todo.push(i),
        }
    }

    let thumbs = params.thumbnails.clone();
    let mut analyze = params.analyze.clone();
    analyze.thumbnail_side = thumbs.as_ref().map(|t| t.side);
    if !todo.is_empty() && !cancel.is_cancelled() {
        let files: Vec<PhotoFile> = todo.iter().map(|&i| photos[i].file.clone()).collect();
        let ids: Vec<PhotoId> = todo.iter().map(|&i| photos[i].id).collect();
        let (tx, rx) = mpsc::channel::<(usize, std::result::Result<Analyzed, PhotoError>)>();
        let store_result: Result<()> = std::thread::scope(|scope| {
            let forward = Forward(progress);
            let (files, ids, thumbs, analyze) = (&files, &ids, &thumbs, &analyze);
            let worker = scope.spawn(move || {
                let tx = tx;
                bestpick_core::analyze_files(files, analyze, cancel, &forward, |i, mut r| {
                    if let (Ok(a), Some(t)) = (&mut r, thumbs)
                        && let Some(img) = a.thumbnail.take()
                    {
                        // A thumbnail that cannot be written is only a missing thumbnail.
                        let _ = save_thumbnail(&img, &thumbnail_path(&t.dir, shoot, ids[i]));
                    }
                    // The receiver lives until the job ends; a send error means it is gone.
                    let _ = tx.send((i, r));
                })
            });
            let mut batch: Vec<StoredAnalysis> = Vec::with_capacity(params.batch);
            let mut last_flush = Instant::now();
            let mut outcome = Ok(());
            loop {
                match rx.recv_timeout(Duration::from_millis(250)) {
                    Ok((i, result)) => {
                        let entry = &mut photos[todo[i]];
                        let cached = match result {
                            Ok(a) => {
                                entry.warning = a.warning.clone();
                                let c = Cached::Analyzed {
                                    analysis: Box::new(a.analysis.clone()),
                                    warning: a.warning.map(|w| w.kind),
                                };
                                entry.analysis = Some(a.analysis);
                                status.analyzed_now += 1;
                                c
                            }
                            Err(e) => {
                                let c = Cached::Failed {
                                    error: e.kind.clone(),
                                };
                                entry.error = Some(e);
                                c
                            }
                        };
                        if let Ok(data) = serde_json::to_vec(&cached) {
                            batch.push(StoredAnalysis {
                                photo: entry.id,
                                version: ANALYSIS_VERSION,
                                size: entry.file.size,
                                mtime_ns: entry.file.mtime_ns,
                                data,
                            });
                        }
                        progress.item_done(todo[i]);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
                if outcome.is_ok()
                    && !batch.is_empty()
                    && (batch.len() >= params.batch
                        || last_flush.elapsed() > Duration::from_millis(500))
                {
                    outcome = catalog.store_analyses(&batch).map_err(Error::from);
                    batch.clear();
                    last_flush = Instant::now();
                }
            }
            if outcome.is_ok() && !batch.is_empty() {
                outcome = catalog.store_analyses(&batch).map_err(Error::from);
            }
            // A panic in the worker would already have been caught per photo by core.
            let _ = worker.join();
            outcome
        });
        store_result?;
    }
    // Photos analyzed earlier (perhaps by the CLI) may have no thumbnail yet.
    if let Some(t) = &thumbs
        && !cancel.is_cancelled()
    {
        let missing: Vec<usize> = (0..photos.len())
            .filter(|&i| {
                photos[i].analysis.is_some()
                    && !thumbnail_path(&t.dir, shoot, photos[i].id).exists()
            })
            .collect();
        let render = |&i: &usize| {
            if cancel.is_cancelled() {
                return;
            }
            let p = &photos[i];
            if let Ok(img) =
                bestpick_core::analyze::thumbnail_file(&p.file, &params.analyze.decode, t.side)
            {
                let _ = save_thumbnail(&img, &thumbnail_path(&t.dir, shoot, p.id));
            }
            progress.item_done(i);
        };
        match params.analyze.threads {
            Some(n) => match rayon::ThreadPoolBuilder::new()
                .num_threads(n.max(1))
                .build()
            {
                Ok(pool) => pool.install(|| missing.par_iter().for_each(render)),
                Err(_) => missing.iter().for_each(render),
            },
            None => missing.par_iter().for_each(render),
        }
    }
    status.failed = photos.iter().filter(|p| p.error.is_some()).count();
    status.pending = photos
        .iter()
        .filter(|p| p.analysis.is_none() && p.error.is_none())
        .count();
    status.cancelled = cancel.is_cancelled() && status.pending > 0;
    status.seconds = started.elapsed().as_secs_f64();
    progress.progress(Progress {
        stage: Stage::Done,
        done: photos.len(),
        total: photos.len(),
    });
    Ok(Session {
        shoot,
        root,
        photos,
        skipped: scan.skipped,
        scan_errors: scan.errors,
        status,
    })
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
