//! The analysis job: every photo read once and measured, in parallel (rayon), with progress,
//! cancellation and per-photo errors that never stop the batch.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::decode::{self, BlockSource, DecodeOptions, Decoded};
use crate::error::{Error, PhotoError, PhotoErrorKind};
use crate::exif::ExifInfo;
use crate::scan::{FileKind, PhotoFile};
use crate::signals::{self, Signals};

/// Bumped whenever analysis results change meaning: cached analyses of another version are
/// recomputed.
pub const ANALYSIS_VERSION: u32 = 2;

/// Everything measured on one photo. Pure data, stored in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// [`ANALYSIS_VERSION`] it was made with.
    pub version: u32,
    /// Container of the analyzed file.
    pub kind: FileKind,
    /// Where the block data came from.
    pub source: BlockSource,
    /// EXIF facts.
    pub exif: ExifInfo,
    /// Measurements.
    pub signals: Signals,
    /// Faces, largest first; `None` when face analysis was not run.
    pub faces: Option<Vec<crate::faces::Face>>,
}

/// One finished photo of a job.
#[derive(Debug, Clone)]
pub struct Analyzed {
    /// The analysis.
    pub analysis: Analysis,
    /// A non-fatal problem (damaged EXIF...).
    pub warning: Option<PhotoError>,
    /// An upright thumbnail, when the job asked for one.
    pub thumbnail: Option<image::RgbImage>,
}

/// Options of an analysis job.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeParams {
    /// Decoder limits.
    pub decode: DecodeOptions,
    /// Worker threads; `None` = one per core.
    pub threads: Option<usize>,
    /// Also render a thumbnail with this longer side (from the same decode).
    pub thumbnail_side: Option<u32>,
    /// Find faces and judge eyes and face focus (needs the face models).
    pub faces: bool,
}

/// A flag shared between a job and whoever may cancel it.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// A new, unset flag.
    pub fn new() -> Self {
        CancelFlag::default()
    }

    /// Asks the job to stop; photos already analyzed are kept.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// True once cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Stages of a job, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Listing files.
    Scanning,
    /// Reading and measuring photos.
    Analyzing,
    /// Grouping and ranking.
    Ranking,
    /// Finished.
    Done,
}

/// A progress update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Current stage.
    pub stage: Stage,
    /// Items done in this stage.
    pub done: usize,
    /// Items in this stage (0 when unknown).
    pub total: usize,
}

/// Receives progress from any thread. Implementations throttle as they see fit.
pub trait ProgressSink: Sync {
    /// Called after each item and at stage changes.
    fn progress(&self, p: Progress);

    /// Called when item `index` of the job is finished (its result, and thumbnail if asked
    /// for, are ready).
    fn item_done(&self, _index: usize) {}
}

/// A sink that ignores progress.
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn progress(&self, _: Progress) {}
}

/// Analyzes one file by itself (reads it, decodes, measures).
pub fn analyze_file(path: &Path) -> Result<Analysis, Error> {
    let file = PhotoFile::from_path(path, path.parent().unwrap_or(Path::new("")))
        .map_err(|e| PhotoError::new(path, PhotoErrorKind::Unreadable(e.to_string())))?;
    analyze_one(&file, &DecodeOptions::default())
        .map(|a| a.analysis)
        .map_err(Error::Photo)
}

/// Reads and measures one photo (no faces, no thumbnail).
pub fn analyze_one(file: &PhotoFile, opts: &DecodeOptions) -> Result<Analyzed, PhotoError> {
    analyze_with(
        file,
        &AnalyzeParams {
            decode: *opts,
            ..Default::default()
        },
    )
}

/// Reads and measures one photo as `params` say: faces, and a thumbnail from the same decode.
pub fn analyze_with(file: &PhotoFile, params: &AnalyzeParams) -> Result<Analyzed, PhotoError> {
    let models = if params.faces {
        crate::faces::models().ok()
    } else {
        None
    };
    let mut opts = params.decode;
    // A JPEG's face regions are read again from its bytes when faces are found; a RAW's
    // preview is not passed on, so its decode keeps the coefficients faces need.
    opts.low = models.is_some() && file.kind == FileKind::Raw;
    let data = read(file)?;
    let decoded =
        decode::decode(&data, file.kind, &opts).map_err(|k| PhotoError::new(&file.path, k))?;
    let mut analyzed = finish(file, &decoded);
    // Bytes of what was decoded (a RAW's preview is not the file's bytes).
    let bytes = (file.kind != FileKind::Raw).then_some(data.as_slice());
    if let Some(models) = models {
        // A misfire has no faces worth the time.
        analyzed.analysis.faces = if analyzed.analysis.signals.misfire.is_some() {
            Some(Vec::new())
        } else {
            crate::faces::analyze(models, &decoded, bytes).ok()
        };
    }
    if let Some(side) = params.thumbnail_side {
        analyzed.thumbnail = crate::thumbnail::thumbnail(&decoded, bytes, side);
    }
    decode::recycle(decoded);
    give_back(data);
    Ok(analyzed)
}

/// Renders the upright thumbnail of one photo (a decode of its own).
pub fn thumbnail_file(
    file: &PhotoFile,
    opts: &DecodeOptions,
    side: u32,
) -> Result<image::RgbImage, PhotoError> {
    let data = read(file)?;
    let decoded =
        decode::decode(&data, file.kind, opts).map_err(|k| PhotoError::new(&file.path, k))?;
    let bytes = (file.kind != FileKind::Raw).then_some(data.as_slice());
    crate::thumbnail::thumbnail(&decoded, bytes, side).ok_or_else(|| {
        PhotoError::new(
            &file.path,
            PhotoErrorKind::Corrupt("cannot render a thumbnail".into()),
        )
    })
}

/// Reads and decodes one photo, for front ends that want the decoded blocks too (thumbnails).
pub fn decode_file(file: &PhotoFile, opts: &DecodeOptions) -> Result<Decoded, PhotoError> {
    let data = read(file)?;
    decode::decode(&data, file.kind, opts).map_err(|k| PhotoError::new(&file.path, k))
}

/// Measures an already decoded photo.
pub fn finish(file: &PhotoFile, decoded: &Decoded) -> Analyzed {
    let warning = decoded
        .exif
        .problem
        .as_ref()
        .map(|p| PhotoError::warning(&file.path, PhotoErrorKind::BadExif(p.clone())));
    Analyzed {
        analysis: Analysis {
            version: ANALYSIS_VERSION,
            kind: file.kind,
            source: decoded.source,
            exif: decoded.exif.info.clone(),
            signals: signals::measure(decoded),
            faces: None,
        },
        warning,
        thumbnail: None,
    }
}

thread_local! {
    /// The last file buffer of this thread, reused for the next file (see `decode::recycle`).
    static FILE_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads a whole file into this thread's reusable buffer; give it back with [`give_back`].
fn read(file: &PhotoFile) -> Result<Vec<u8>, PhotoError> {
    use std::io::Read;
    let unreadable =
        |e: std::io::Error| PhotoError::new(&file.path, PhotoErrorKind::Unreadable(e.to_string()));
    let mut data = FILE_BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()));
    data.clear();
    let mut f = std::fs::File::open(&file.path).map_err(unreadable)?;
    if let Ok(meta) = f.metadata() {
        data.reserve(usize::try_from(meta.len()).unwrap_or(0));
    }
    f.read_to_end(&mut data).map_err(unreadable)?;
    if data.is_empty() {
        return Err(PhotoError::new(&file.path, PhotoErrorKind::Empty));
    }
    Ok(data)
}

fn give_back(data: Vec<u8>) {
    FILE_BUFFER.with(|b| *b.borrow_mut() = data);
}

/// Analyzes `files` in parallel. `on_result(index, result)` is called from worker threads as
/// each photo finishes (so results can be stored while the job runs); photos not started when
/// `cancel` is set are skipped. Returns the number of photos finished.
pub fn analyze_files<F>(
    files: &[PhotoFile],
    params: &AnalyzeParams,
    cancel: &CancelFlag,
    progress: &dyn ProgressSink,
    on_result: F,
) -> usize
where
    F: Fn(usize, Result<Analyzed, PhotoError>) + Sync,
{
    let done = AtomicUsize::new(0);
    let total = files.len();
    progress.progress(Progress {
        stage: Stage::Analyzing,
        done: 0,
        total,
    });
    let work = || {
        files.par_iter().enumerate().for_each(|(i, file)| {
            if cancel.is_cancelled() {
                return;
            }
            on_result(i, analyze_with(file, params));
            let d = done.fetch_add(1, Ordering::SeqCst) + 1;
            progress.item_done(i);
            progress.progress(Progress {
                stage: Stage::Analyzing,
                done: d,
                total,
            });
        });
    };
    match params.threads {
        Some(t) => match rayon::ThreadPoolBuilder::new()
            .num_threads(t.max(1))
            .build()
        {
            Ok(pool) => pool.install(work),
            Err(_) => work(),
        },
        None => work(),
    }
    done.load(Ordering::SeqCst)
}
