//! The open-shoot job: list the photos (the grid appears at once), then open the shoot through
//! the engine (cached analyses reused, the rest analyzed in parallel, thumbnails written as
//! each photo finishes), streaming [`ProgressEvent`]s through a channel. Runs on a blocking
//! thread with its own catalog handle, so decisions made meanwhile are not held up.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use bestpick_engine::profiles::{Culling, remember_for_shoot};
use bestpick_engine::vocabulary::{
    AnalyzeParams, CancelFlag, Catalog, Progress, ProgressSink, Stage, faces_available,
};
use bestpick_engine::{OpenParams, ThumbnailParams};
use tauri::ipc::Channel;

use crate::commands::shoot::culled_view;
use crate::dto::{ErrorDto, ProgressEvent};
use crate::error::Result;
use crate::state::{AppState, OpenShoot, lock};

/// Longer side of grid thumbnails, in pixels (sharp on 2× screens at the largest cell size).
pub const THUMBNAIL_SIDE: u32 = 400;

/// Progress events go out at most this often (stage changes and thumbnails always).
const THROTTLE: Duration = Duration::from_millis(100);

/// Sends engine progress to the window.
struct ChannelSink<'a> {
    channel: &'a Channel<ProgressEvent>,
    ids: Vec<i64>,
    last: Mutex<(Instant, Option<Stage>)>,
}

impl ProgressSink for ChannelSink<'_> {
    fn progress(&self, p: Progress) {
        let mut last = lock(&self.last);
        let stage_changed = last.1 != Some(p.stage);
        if stage_changed || last.0.elapsed() >= THROTTLE || (p.total > 0 && p.done == p.total) {
            *last = (Instant::now(), Some(p.stage));
            let to_u32 = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
            // A closed window drops the channel; the job still finishes and stores its work.
            let _ = self.channel.send(ProgressEvent::Progress {
                stage: p.stage.into(),
                done: to_u32(p.done),
                total: to_u32(p.total),
            });
        }
    }

    fn item_done(&self, index: usize) {
        if let Some(&photo) = self.ids.get(index) {
            let _ = self.channel.send(ProgressEvent::ThumbReady { photo });
        }
    }
}

/// Runs the job; every outcome, failure included, ends with one `Done` or `Failed` event.
pub fn run(
    state: &AppState,
    job: u32,
    root: &std::path::Path,
    cancel: &CancelFlag,
    channel: &Channel<ProgressEvent>,
) {
    let outcome = open(state, job, root, cancel, channel);
    if let Err(e) = outcome {
        let _ = channel.send(ProgressEvent::Failed {
            error: ErrorDto::from(&e),
        });
    }
    state.jobs.finish(job);
}

fn open(
    state: &AppState,
    job: u32,
    root: &std::path::Path,
    cancel: &CancelFlag,
    channel: &Channel<ProgressEvent>,
) -> Result<()> {
    let mut catalog = Catalog::open(&state.catalog_path())?;
    let thumbs = state.paths.thumbnail_dir.clone();
    let listing = bestpick_engine::list_shoot(&mut catalog, root, Some(&thumbs))?;
    let _ = channel.send(ProgressEvent::from(&listing));
    let sink = ChannelSink {
        channel,
        ids: listing.photos.iter().map(|p| p.id.0).collect(),
        last: Mutex::new((Instant::now(), None)),
    };
    let params = OpenParams {
        analyze: AnalyzeParams {
            threads: Some(state.threads()),
            // Faces, eyes and face focus whenever the models are there (they ship in assets/).
            faces: faces_available().is_ok(),
            ..Default::default()
        },
        thumbnails: Some(ThumbnailParams {
            dir: thumbs,
            side: THUMBNAIL_SIDE,
        }),
        ..Default::default()
    };
    // Opened from the listing: the folder is scanned once.
    let session = bestpick_engine::open_listed(&mut catalog, listing, &params, cancel, &sink)?;
    // The shoot's profile and grouping as last chosen (here or by `bestpick analyze`),
    // remembered so that learning from decisions sees the groups shown.
    let culling = Culling::of_shoot(&catalog, session.shoot)?;
    remember_for_shoot(
        &mut catalog,
        session.shoot,
        &culling.name,
        culling.strictness,
    )?;
    let view = culled_view(&catalog, &session)?;
    // A newer opening replaced this one: its result must not overwrite the newer shoot.
    if state.jobs.is_current_opening(job) {
        state.set_shoot(Some(OpenShoot { session }));
        let _ = channel.send(ProgressEvent::Done { view });
    }
    Ok(())
}
