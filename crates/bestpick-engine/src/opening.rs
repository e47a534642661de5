//! Opening a shoot: reuse cached analyses, analyze what is new or changed on a worker thread
//! (thumbnails too), store results in batches as they finish, so a crash or Ctrl-C loses
//! nothing finished.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bestpick_catalog::{Catalog, ShootId, StoredAnalysis};
use bestpick_core::{
    ANALYSIS_VERSION, AnalyzeParams, Analyzed, CancelFlag, PhotoError, PhotoErrorKind, PhotoFile,
    Progress, ProgressSink, Stage,
};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::listing::Listing;
use crate::session::{OpenParams, PhotoEntry, Session, ShootStatus, StoredOutcome, thumbnail_path};

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

/// Opens the shoot in `root`: scans it, reuses cached analyses, analyzes the rest (results are
/// committed to the catalog in batches while the job runs), and returns every photo.
pub fn open_shoot(
    catalog: &mut Catalog,
    root: &Path,
    params: &OpenParams,
    cancel: &CancelFlag,
    progress: &dyn ProgressSink,
) -> Result<Session> {
    progress.progress(Progress {
        stage: Stage::Scanning,
        done: 0,
        total: 0,
    });
    let listing = crate::list_shoot(catalog, root, None)?;
    open_listed(catalog, listing, params, cancel, progress)
}

/// Tests: [`open_listed`] with the default parameters, no cancelling and no progress.
#[cfg(test)]
pub(crate) fn open_listed_quietly(catalog: &mut Catalog, listing: Listing) -> Session {
    open_listed(
        catalog,
        listing,
        &OpenParams::default(),
        &CancelFlag::default(),
        &bestpick_core::NoProgress,
    )
    .expect("open the listed shoot")
}

/// [`open_shoot`] for a shoot already listed (and shown) with [`crate::list_shoot`]: the
/// folder is not scanned again, and the photos keep the ids and order of the listing.
pub fn open_listed(
    catalog: &mut Catalog,
    listing: Listing,
    params: &OpenParams,
    cancel: &CancelFlag,
    progress: &dyn ProgressSink,
) -> Result<Session> {
    let Listing {
        shoot,
        root,
        scan,
        started,
        photos: listed,
        thumbnail_dir,
    } = listing;
    // Which photos had a thumbnail when listed, if the listing looked in the same folder.
    let listed_thumbnails: Option<Vec<bool>> = params
        .thumbnails
        .as_ref()
        .filter(|t| thumbnail_dir.as_deref() == Some(t.dir.as_path()))
        .map(|_| listed.iter().map(|p| p.thumbnail).collect());
    let entries = scan
        .photos
        .into_iter()
        .zip(listed)
        .map(|(file, listed)| PhotoEntry {
            id: listed.id,
            file,
            analysis: None,
            error: None,
            warning: None,
        })
        .collect();
    let mut opening = Opening::from_cache(catalog, shoot, root, entries, params.analyze.faces)?;
    let missing = match &params.thumbnails {
        Some(t) => opening.missing_thumbnails(&t.dir, listed_thumbnails.as_deref()),
        None => Vec::new(),
    };
    if (!opening.todo.is_empty() || !missing.is_empty()) && !cancel.is_cancelled() {
        opening.analyze(catalog, missing, params, cancel, progress)?;
    }
    let Opening {
        photos,
        root,
        mut status,
        ..
    } = opening;
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

/// A shoot being opened: its photos, which of them still need analyzing, and the counts.
struct Opening {
    shoot: ShootId,
    root: PathBuf,
    photos: Vec<PhotoEntry>,
    /// Indices into `photos` to analyze.
    todo: Vec<usize>,
    status: ShootStatus,
}

impl Opening {
    /// The photos with their cached analyses (or cached failures) filled in; the others, and
    /// those analyzed without faces when faces are wanted now, are to do.
    fn from_cache(
        catalog: &Catalog,
        shoot: ShootId,
        root: PathBuf,
        mut photos: Vec<PhotoEntry>,
        faces: bool,
    ) -> Result<Opening> {
        let cached = catalog.cached_analyses(shoot, ANALYSIS_VERSION)?;
        // Read back on every core: a large shoot's re-opening is mostly this.
        let outcomes: Vec<Option<StoredOutcome>> = photos
            .par_iter()
            .map(|entry| {
                cached
                    .get(&entry.id)
                    .and_then(|b| StoredOutcome::from_blob(b))
            })
            .collect();
        drop(cached);
        let mut status = ShootStatus::default();
        let mut todo = Vec::new();
        for (i, (entry, outcome)) in photos.iter_mut().zip(outcomes).enumerate() {
            match outcome {
                // Analyzed without faces, now wanted with them: analyze again.
                Some(StoredOutcome::Analyzed { analysis, .. })
                    if faces && analysis.faces.is_none() =>
                {
                    todo.push(i)
                }
                Some(StoredOutcome::Analyzed { analysis, warning }) => {
                    entry.analysis = Some(*analysis);
                    entry.warning = warning.map(|k| PhotoError::warning(&entry.file.path, k));
                    status.from_cache += 1;
                }
                // A remembered failure counts in `status.failed` only, not as an analysis reused.
                Some(StoredOutcome::Failed { error }) => {
                    entry.error = Some(PhotoError::new(&entry.file.path, error));
                }
                None => todo.push(i),
            }
        }
        Ok(Opening {
            shoot,
            root,
            photos,
            todo,
            status,
        })
    }

    /// Photos analyzed earlier (perhaps by the CLI) whose thumbnail is not in `dir`; `listed`
    /// says which had one when the shoot was listed (else each is looked for).
    fn missing_thumbnails(
        &self,
        dir: &Path,
        listed: Option<&[bool]>,
    ) -> Vec<(usize, PhotoFile, PathBuf)> {
        self.photos
            .iter()
            .enumerate()
            .filter(|(i, p)| {
                p.analysis.is_some() && listed.is_none_or(|l| l.get(*i).copied() != Some(true))
            })
            .map(|(i, p)| (i, thumbnail_path(dir, self.shoot, p.id), p))
            .filter(|(_, path, _)| listed.is_some() || !path.exists())
            .map(|(i, path, p)| (i, p.file.clone(), path))
            .collect()
    }

    /// Analyzes the photos to do and renders the `missing` thumbnails on a worker thread,
    /// storing results in batches as they arrive, until done or cancelled.
    fn analyze(
        &mut self,
        catalog: &mut Catalog,
        missing: Vec<(usize, PhotoFile, PathBuf)>,
        params: &OpenParams,
        cancel: &CancelFlag,
        progress: &dyn ProgressSink,
    ) -> Result<()> {
        let (shoot, thumbs) = (self.shoot, params.thumbnails.as_ref());
        let mut analyze = params.analyze.clone();
        analyze.thumbnail_side = thumbs.map(|t| t.side);
        let job = Job {
            files: self
                .todo
                .iter()
                .map(|&i| self.photos[i].file.clone())
                .collect(),
            thumbnails: thumbs.map(|t| {
                self.todo
                    .iter()
                    .map(|&i| thumbnail_path(&t.dir, shoot, self.photos[i].id))
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
                path: self.root.clone(),
                source,
            })?;
        let mut store = Batches::new(params.batch);
        // Photos to do whose thumbnail was shown already: they are done once, not twice.
        let mut shown = vec![false; self.todo.len()];
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
                Some(Message::Shown(i)) => {
                    shown[i] = true;
                    progress.item_done(self.todo[i]);
                }
                Some(Message::Analyzed(i, result)) => {
                    self.record(i, *result, &mut store);
                    if !shown[i] {
                        progress.item_done(self.todo[i]);
                    }
                }
                None => {}
            }
            store.flush_when_due(catalog);
            if cancel.is_cancelled() {
                // Photos in progress stop at their next check; one stuck in a decoder that
                // cannot be interrupted (libheif) is not waited for: its result would be
                // dropped anyway, and the photo is analyzed on the next run.
                for message in rx.try_iter() {
                    if let Message::Analyzed(i, result) = message {
                        self.record(i, *result, &mut store);
                    }
                }
                break;
            }
        }
        store.finish(catalog)?;
        if finished {
            // The worker is done (its channel closed): joining does not wait. A panic that got
            // past every per-photo guard leaves its photos listed with the reason, never
            // silently pending.
            if let Err(panic) = worker.join()
                && !cancel.is_cancelled()
            {
                self.fail_pending(&bestpick_core::guard::panic_message(panic.as_ref()));
            }
        }
        Ok(())
    }

    /// Puts the result for `todo[i]` in its entry, and in the next batch to store.
    fn record(
        &mut self,
        i: usize,
        result: std::result::Result<Analyzed, PhotoError>,
        store: &mut Batches,
    ) {
        let entry = &mut self.photos[self.todo[i]];
        if let Some(stored) = record(entry, result, &mut self.status) {
            store.batch.push(stored);
        }
    }

    /// Gives each photo still pending the reason the analysis stopped.
    fn fail_pending(&mut self, why: &str) {
        for &i in &self.todo {
            let entry = &mut self.photos[i];
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

/// Results waiting to be stored: written in one catalog transaction per `size` results, or at
/// least every half second. The first failure to store is kept, and nothing more is written.
struct Batches {
    batch: Vec<StoredAnalysis>,
    size: usize,
    last_flush: Instant,
    outcome: Result<()>,
}

impl Batches {
    fn new(size: usize) -> Batches {
        Batches {
            batch: Vec::with_capacity(size),
            size,
            last_flush: Instant::now(),
            outcome: Ok(()),
        }
    }

    fn flush_when_due(&mut self, catalog: &mut Catalog) {
        if self.batch.len() >= self.size || self.last_flush.elapsed() > Duration::from_millis(500) {
            self.flush(catalog);
        }
    }

    fn flush(&mut self, catalog: &mut Catalog) {
        if self.outcome.is_ok() && !self.batch.is_empty() {
            self.outcome = catalog.store_analyses(&self.batch).map_err(Error::from);
            self.batch.clear();
            self.last_flush = Instant::now();
        }
    }

    /// Stores what is left; the first failure to store, if any.
    fn finish(mut self, catalog: &mut Catalog) -> Result<()> {
        self.flush(catalog);
        self.outcome
    }
}

/// What the analysis worker tells the thread that stores results.
enum Message {
    /// Stage progress.
    Progress(Progress),
    /// Photo `todo[i]` is finished.
    Analyzed(usize, Box<std::result::Result<Analyzed, PhotoError>>),
    /// The thumbnail of photo `i` (of the whole shoot) was rendered.
    Thumbnail(usize),
    /// The thumbnail of photo `todo[i]` was written, before its analysis finished.
    Shown(usize),
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
            let thumbnails = self.thumbnails.as_deref();
            // Each thumbnail is written and shown as soon as it is rendered, before the faces.
            let show = |i: usize, img: image::RgbImage| {
                if let Some(path) = thumbnails.and_then(|paths| paths.get(i)) {
                    // A thumbnail that cannot be written is only a missing thumbnail.
                    let _ = save_thumbnail(&img, path);
                    let _ = tx.send(Message::Shown(i));
                }
            };
            let store = |i, r| {
                let _ = tx.send(Message::Analyzed(i, Box::new(r)));
            };
            bestpick_core::analyze_files_showing(
                &self.files,
                &self.analyze,
                &self.cancel,
                &sink,
                show,
                store,
            );
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
            let c = StoredOutcome::Analyzed {
                analysis: Box::new(a.analysis.clone()),
                warning: a.warning.map(|w| w.kind),
            };
            entry.analysis = Some(a.analysis);
            status.analyzed_now += 1;
            c
        }
        Err(e) => {
            let c = StoredOutcome::Failed {
                error: e.kind.clone(),
            };
            entry.error = Some(e);
            c
        }
    };
    let data = cached.to_blob()?;
    Some(StoredAnalysis {
        photo: entry.id,
        version: ANALYSIS_VERSION,
        size: entry.file.size,
        mtime_ns: entry.file.mtime_ns,
        data,
    })
}
