//! The analysis job: every photo read once and measured, in parallel (rayon), with progress,
//! cancellation and per-photo errors that never stop the batch.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::decode::{self, BlockSource, DecodeOptions, Decoded};
use crate::error::{Error, PhotoError, PhotoErrorKind};
use crate::exif::ExifInfo;
use crate::guard::{self, Step};
use crate::scan::{FileKind, PhotoFile};
use crate::signals::{self, Signals};

/// Bumped whenever analysis results change meaning: cached analyses of another version are
/// recomputed. 3: faces that fill the frame are found, eyes narrowed alike are not a wink.
/// 4: the mouth's corners and lips are recorded (a laugh is told from a blink).
/// 5: noise floors are measured on the frame's flattest blocks counting clipped ones (a blown
/// sky no longer leaves texture to be read as noise): noise and sharpness change.
/// 6: noise is the median over the flat blocks, not the mean (a few textured blocks among
/// them no longer read as noise).
pub const ANALYSIS_VERSION: u32 = 6;

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

    /// Called once per item, when item `index` of the job is finished (its result, and its
    /// thumbnail if asked for, are ready). The engine's opening of a shoot calls it earlier,
    /// as soon as a photo's thumbnail is written (see [`analyze_files_showing`]).
    fn item_done(&self, _index: usize) {}
}

/// A sink that ignores progress.
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn progress(&self, _: Progress) {}
}

/// Analyzes the file at `path` on its own, with the default limits, no faces and no thumbnail
/// (the one-off entry point: contribution scores, tools). Of the analysis entry points,
/// [`analyze_photo`] is the one with every option, [`measure_photo`] the measures alone, and
/// [`analyze_files`] many photos in parallel.
pub fn analyze_path(path: &Path) -> Result<Analysis, Error> {
    let file = PhotoFile::from_path(path, path.parent().unwrap_or(Path::new("")))
        .map_err(|e| PhotoError::new(path, PhotoErrorKind::Unreadable(e.into())))?;
    measure_photo(&file, &DecodeOptions::default())
        .map(|a| a.analysis)
        .map_err(Error::Photo)
}

/// Reads and measures one scanned photo with decoder options `opts`: the measures alone (no
/// faces, no thumbnail), as the benchmark's bare pass runs them.
pub fn measure_photo(file: &PhotoFile, opts: &DecodeOptions) -> Result<Analyzed, PhotoError> {
    analyze_photo(
        file,
        &AnalyzeParams {
            decode: *opts,
            ..Default::default()
        },
    )
}

/// Analyzes one scanned photo as `params` say: measures, faces, and a thumbnail from the same
/// decode.
///
/// Each stage (read, decode, measures, thumbnail, faces) runs isolated ([`guard::stage`]): a
/// panic in reading, decoding or measuring is the photo's error naming the stage; one in the
/// thumbnail or faces leaves the photo analyzed without them, with a warning naming the stage.
/// Between stages, and inside the decoders, a cancelled job stops the photo's work
/// ([`PhotoErrorKind::Cancelled`]).
pub fn analyze_photo(file: &PhotoFile, params: &AnalyzeParams) -> Result<Analyzed, PhotoError> {
    analyze_one(file, params, None)
}

/// [`analyze_photo`], handing the thumbnail to `on_thumbnail` as soon as it is rendered (then
/// it is not in the result): a front end can show it while the faces are still being looked
/// for, or while the face models are still loading.
fn analyze_one(
    file: &PhotoFile,
    params: &AnalyzeParams,
    on_thumbnail: Option<&dyn Fn(image::RgbImage)>,
) -> Result<Analyzed, PhotoError> {
    let path = &file.path;
    let fail = |kind: PhotoErrorKind| PhotoError::new(path, kind);
    let stop_if_cancelled = || {
        if guard::cancelled() {
            Err(fail(PhotoErrorKind::Cancelled))
        } else {
            Ok(())
        }
    };
    let mut opts = params.decode;
    // A JPEG's face regions are read again from its bytes when faces are found; a RAW's
    // preview is not passed on, so its decode keeps the coefficients faces need. (The models
    // themselves are asked for only after the thumbnail: the first photos of a run are decoded,
    // measured and shown while they load.)
    opts.low = file.kind == FileKind::Raw && params.faces && crate::faces::available().is_ok();
    let data = guard::stage(Step::Read, path, || read(file, &opts))
        .and_then(|r| r)
        .map_err(fail)?;
    stop_if_cancelled()?;
    let mut decoded = guard::stage(Step::Decode, path, || {
        decode::decode(&data, file.kind, &opts)
    })
    .and_then(|r| r)
    .map_err(fail)?;
    stop_if_cancelled()?;
    let mut analyzed =
        guard::stage(Step::Measure, path, || finish(file, &decoded)).map_err(fail)?;
    // Bytes of what was decoded (a RAW's preview is not the file's bytes).
    let bytes = (file.kind != FileKind::Raw).then_some(data.as_slice());
    let mut stage_warning = None;
    if let Some(side) = params.thumbnail_side {
        stop_if_cancelled()?;
        let rendered = guard::stage(Step::Thumbnail, path, || {
            crate::thumbnail::thumbnail(&decoded, bytes, side, &opts)
        });
        match (rendered, on_thumbnail) {
            (Ok(Some(thumbnail)), Some(hand_on)) => hand_on(thumbnail),
            (Ok(thumbnail), _) => analyzed.thumbnail = thumbnail,
            (Err(kind), _) => stage_warning = Some(kind),
        }
    }
    let models = if params.faces {
        crate::faces::models().ok()
    } else {
        None
    };
    if let Some(models) = models {
        stop_if_cancelled()?;
        // A misfire has no faces worth the time.
        if analyzed.analysis.signals.misfire.is_some() {
            analyzed.analysis.faces = Some(Vec::new());
        } else {
            // The thumbnail is made: the faces may have the full pixels, without a copy.
            let pixels = decoded.pixels.take();
            match guard::stage(Step::Faces, path, || {
                crate::faces::analyze(models, &decoded, pixels, bytes, &opts)
            }) {
                Ok(Ok(faces)) => analyzed.analysis.faces = Some(faces),
                Ok(Err(why)) => {
                    stage_warning = Some(PhotoErrorKind::StageFailed {
                        stage: Step::Faces.name().to_string(),
                        detail: why,
                    });
                }
                Err(kind) => stage_warning = Some(kind),
            }
        }
    }
    if let Some(kind) = stage_warning {
        analyzed.warning = Some(PhotoError::warning(path, kind));
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
    let data = read(file, opts).map_err(|k| PhotoError::new(&file.path, k))?;
    let decoded =
        decode::decode(&data, file.kind, opts).map_err(|k| PhotoError::new(&file.path, k))?;
    let bytes = (file.kind != FileKind::Raw).then_some(data.as_slice());
    let thumbnail = guard::stage(Step::Thumbnail, &file.path, || {
        crate::thumbnail::thumbnail(&decoded, bytes, side, opts)
    })
    .map_err(|k| PhotoError::new(&file.path, k))?;
    give_back(data);
    thumbnail.ok_or_else(|| {
        PhotoError::new(
            &file.path,
            PhotoErrorKind::Corrupt("cannot render a thumbnail".into()),
        )
    })
}

/// Reads and decodes one photo, for front ends that want the decoded blocks too (thumbnails).
pub fn decode_file(file: &PhotoFile, opts: &DecodeOptions) -> Result<Decoded, PhotoError> {
    let data = read(file, opts).map_err(|k| PhotoError::new(&file.path, k))?;
    let decoded =
        decode::decode(&data, file.kind, opts).map_err(|k| PhotoError::new(&file.path, k));
    give_back(data);
    decoded
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

/// Reads a whole file (up to `opts.max_file_bytes`, regular files only) into this thread's
/// reusable buffer; give it back with [`give_back`].
fn read(file: &PhotoFile, opts: &DecodeOptions) -> Result<Vec<u8>, PhotoErrorKind> {
    let mut data = FILE_BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()));
    guard::read_file(&file.path, opts.max_file_bytes, &mut data)?;
    Ok(data)
}

/// Keeps a file buffer for the next read on this thread, unless it is larger than the block
/// data buffers kept (see [`decode::SPARE_KEEP_BYTES`]).
fn give_back(data: Vec<u8>) {
    if data.capacity() <= decode::SPARE_KEEP_BYTES {
        FILE_BUFFER.with(|b| *b.borrow_mut() = data);
    }
}

/// Analyzes `files` in parallel. `on_result(index, result)` is called from worker threads as
/// each photo finishes (so results can be stored while the job runs). Once `cancel` is set,
/// photos not started are skipped and photos in progress stop at their next check (inside the
/// decoders, or between stages); neither gets a result. Every other photo gets one: a panic
/// anywhere in its work is its error. Returns the number of photos finished.
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
    analyze_each(files, params, cancel, progress, None, &on_result)
}

/// [`analyze_files`] with thumbnails (`params.thumbnail_side`) handed to
/// `on_thumbnail(index, thumbnail)` as soon as each is rendered, before the photo's faces are
/// looked for (the results then carry none). The first thumbnails of a run so wait for
/// neither the face models to load nor the detector. `on_thumbnail` is called from worker
/// threads, before `on_result` for the same photo; a panic in it costs only that thumbnail.
pub fn analyze_files_showing<T, F>(
    files: &[PhotoFile],
    params: &AnalyzeParams,
    cancel: &CancelFlag,
    progress: &dyn ProgressSink,
    on_thumbnail: T,
    on_result: F,
) -> usize
where
    T: Fn(usize, image::RgbImage) + Sync,
    F: Fn(usize, Result<Analyzed, PhotoError>) + Sync,
{
    analyze_each(
        files,
        params,
        cancel,
        progress,
        Some(&on_thumbnail),
        &on_result,
    )
}

type ThumbnailSink<'a> = &'a (dyn Fn(usize, image::RgbImage) + Sync);

fn analyze_each(
    files: &[PhotoFile],
    params: &AnalyzeParams,
    cancel: &CancelFlag,
    progress: &dyn ProgressSink,
    on_thumbnail: Option<ThumbnailSink<'_>>,
    on_result: &(dyn Fn(usize, Result<Analyzed, PhotoError>) + Sync),
) -> usize {
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
            let hand_on = on_thumbnail.map(|sink| {
                move |thumbnail| {
                    // The caller's callback must not take the photo down with it.
                    let _ = catch_unwind(AssertUnwindSafe(|| sink(i, thumbnail)));
                }
            });
            let hand_on = hand_on.as_ref().map(|f| f as &dyn Fn(image::RgbImage));
            let result = guard::with_cancel(cancel, || {
                catch_unwind(AssertUnwindSafe(|| analyze_one(file, params, hand_on)))
                    .unwrap_or_else(|panic| {
                        Err(PhotoError::new(
                            &file.path,
                            PhotoErrorKind::StageFailed {
                                stage: "analysis".into(),
                                detail: guard::panic_message(panic.as_ref()),
                            },
                        ))
                    })
            });
            if matches!(&result, Err(e) if e.kind == PhotoErrorKind::Cancelled) {
                return;
            }
            // The caller's callback must not take the rest of the job down with it either.
            let _ = catch_unwind(AssertUnwindSafe(|| on_result(i, result)));
            let d = done.fetch_add(1, Ordering::SeqCst) + 1;
            progress.item_done(i);
            progress.progress(Progress {
                stage: Stage::Analyzing,
                done: d,
                total,
            });
        });
    };
    in_pool(params.threads, work);
    done.load(Ordering::SeqCst)
}

/// Runs `work` (which uses rayon) on a pool of `threads` workers, or on rayon's global pool
/// (one per core) when `None` or when a pool cannot be made.
pub fn in_pool<R: Send>(threads: Option<usize>, work: impl FnOnce() -> R + Send) -> R {
    match threads.map(|t| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t.max(1))
            .build()
    }) {
        Some(Ok(pool)) => pool.install(work),
        _ => work(),
    }
}
