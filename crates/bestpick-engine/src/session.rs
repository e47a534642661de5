//! Opening a shoot: scan, reuse cached analyses, analyze what is new or changed, store results
//! in batches as they finish.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bestpick_catalog::{Catalog, PhotoId, ShootId, StoredAnalysis};
use bestpick_core::scan::Skipped;
use bestpick_core::{
    ANALYSIS_VERSION, Analysis, AnalyzeParams, Analyzed, CancelFlag, FileKind, GroupSummary,
    Judging, PhotoError, PhotoErrorKind, PhotoFile, Progress, ProgressSink, Stage, Strictness,
    Suggestion,
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
                    .and_then(|blob| serde_json::from_slice::<Cached>(&blob).ok())
                    .and_then(|c| match c {
                        Cached::Analyzed { analysis, .. } => Some(*analysis),
                        Cached::Failed { .. } => None,
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
    // Photos from the catalog whose thumbnail is missing (analyzed earlier, perhaps by the CLI).
    let missing: Vec<(usize, PhotoFile, PathBuf)> = match &thumbs {
        Some(t) => photos
            .iter()
            .enumerate()
            .filter(|(_, p)| p.analysis.is_some())
            .map(|(i, p)| (i, p.file.clone(), thumbnail_path(&t.dir, shoot, p.id)))
            .filter(|(_, _, path)| !path.exists())
            .collect(),
        None => Vec::new(),
    };
    if (!todo.is_empty() || !missing.is_empty()) && !cancel.is_cancelled() {
        let job = Job {
            files: todo.iter().map(|&i| photos[i].file.clone()).collect(),
            thumbnails: thumbs.as_ref().map(|t| {
                todo.iter()
                    .map(|&i| thumbnail_path(&t.dir, shoot, photos[i].id))
                    .collect()
            }),
            missing,
            analyze,
            cancel: cancel.clone(),
        };
        let (tx, rx) = mpsc::channel::<Message>();
        let worker = std::thread::Builder::new()
            .name("bestpick-analysis".into())
            .spawn(move || job.run(&tx))
            .map_err(|source| Error::Path {
                path: root.clone(),
                source,
            })?;
        let mut batch: Vec<StoredAnalysis> = Vec::with_capacity(params.batch);
        let mut last_flush = Instant::now();
        let mut outcome = Ok(());
        let mut finished = false;
        loop {
            let message = match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(m) => Some(m),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    finished = true;
                    break;
                }
            };
            match message {
                Some(Message::Progress(p)) => progress.progress(p),
                Some(Message::Thumbnail(i)) => progress.item_done(i),
                Some(Message::Analyzed(i, result)) => {
                    let entry = &mut photos[todo[i]];
                    if let Some(stored) = record(entry, *result, &mut status) {
                        batch.push(stored);
                    }
                    progress.item_done(todo[i]);
                }
                None => {}
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
            if cancel.is_cancelled() {
                // Photos in progress stop at their next check; one stuck in a decoder that
                // cannot be interrupted (libheif) is not waited for: its result would be
                // dropped anyway, and the photo is analyzed on the next run.
                for message in rx.try_iter() {
                    if let Message::Analyzed(i, result) = message
                        && let Some(stored) = record(&mut photos[todo[i]], *result, &mut status)
                    {
                        batch.push(stored);
                    }
                }
                break;
            }
        }
        if outcome.is_ok() && !batch.is_empty() {
            outcome = catalog.store_analyses(&batch).map_err(Error::from);
        }
        outcome?;
        if finished {
            // The worker is done (its channel closed): joining does not wait. A panic that got
            // past every per-photo guard leaves its photos listed with the reason, never
            // silently pending.
            if let Err(panic) = worker.join()
                && !cancel.is_cancelled()
            {
                let why = bestpick_core::guard::panic_message(panic.as_ref());
                for &i in &todo {
                    let entry = &mut photos[i];
                    if entry.analysis.is_none() && entry.error.is_none() {
                        entry.error = Some(PhotoError::new(
                            &entry.file.path,
                            PhotoErrorKind::StageFailed {
                                stage: "analysis".into(),
                                detail: format!("the analysis stopped before this photo: {why}"),
                            },
                        ));
                    }
                }
            }
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

/// What the analysis worker tells the thread that stores results.
enum Message {
    /// Stage progress.
    Progress(Progress),
    /// Photo `todo[i]` is finished.
    Analyzed(usize, Box<std::result::Result<Analyzed, PhotoError>>),
    /// The thumbnail of photo `i` (of the whole shoot) was rendered.
    Thumbnail(usize),
}

/// Progress of the worker, sent to the storing thread.
struct ToStore(mpsc::Sender<Message>);

impl ProgressSink for ToStore {
    fn progress(&self, p: Progress) {
        // The receiver is gone only when the job was given up; nothing is left to tell.
        let _ = self.0.send(Message::Progress(p));
    }
}

/// The work of one opening that runs apart from the catalog: analyzing the new photos and
/// rendering missing thumbnails. It owns everything it needs, so the opening can return as
/// soon as it is cancelled without waiting for a photo stuck in a decoder.
struct Job {
    files: Vec<PhotoFile>,
    /// Where each file's thumbnail goes, when thumbnails are kept.
    thumbnails: Option<Vec<PathBuf>>,
    /// Analyzed photos without a thumbnail: (index in the shoot, file, thumbnail path).
    missing: Vec<(usize, PhotoFile, PathBuf)>,
    analyze: AnalyzeParams,
    cancel: CancelFlag,
}

impl Job {
    fn run(self, tx: &mpsc::Sender<Message>) {
        let sink = ToStore(tx.clone());
        if !self.files.is_empty() {
            bestpick_core::analyze_files(&self.files, &self.analyze, &self.cancel, &sink, {
                let tx = tx.clone();
                let thumbnails = self.thumbnails.as_deref();
                move |i, mut r| {
                    if let (Ok(a), Some(paths)) = (&mut r, thumbnails)
                        && let Some(img) = a.thumbnail.take()
                    {
                        // A thumbnail that cannot be written is only a missing thumbnail.
                        let _ = save_thumbnail(&img, &paths[i]);
                    }
                    let _ = tx.send(Message::Analyzed(i, Box::new(r)));
                }
            });
        }
        let (Some(side), false) = (self.analyze.thumbnail_side, self.missing.is_empty()) else {
            return;
        };
        let render = |(i, file, path): &(usize, PhotoFile, PathBuf)| {
            if self.cancel.is_cancelled() {
                return;
            }
            let rendered = bestpick_core::guard::with_cancel(&self.cancel, || {
                bestpick_core::analyze::thumbnail_file(file, &self.analyze.decode, side)
            });
            if let Ok(img) = rendered {
                let _ = save_thumbnail(&img, path);
            }
            let _ = tx.send(Message::Thumbnail(*i));
        };
        bestpick_core::analyze::in_pool(self.analyze.threads, || {
            self.missing.par_iter().for_each(render);
        });
    }
}

/// Takes one photo's result into its entry and the status; returns what the catalog keeps.
fn record(
    entry: &mut PhotoEntry,
    result: std::result::Result<Analyzed, PhotoError>,
    status: &mut ShootStatus,
) -> Option<StoredAnalysis> {
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
    let data = serde_json::to_vec(&cached).ok()?;
    Some(StoredAnalysis {
        photo: entry.id,
        version: ANALYSIS_VERSION,
        size: entry.file.size,
        mtime_ns: entry.file.mtime_ns,
        data,
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
