//! Opening a shoot (a background job streaming progress), regrouping, the loupe's detail and
//! preview bytes.

use std::path::PathBuf;

use bestpick_core::Strictness;
use bestpick_core::decode::DecodeOptions;
use bestpick_engine::view::{photo_detail as detail_of, shoot_view};
use tauri::ipc::Channel;
use tauri::{Manager, State};

use crate::dto::{PhotoDetailDto, ProgressEvent, ShootViewDto};
use crate::error::{Error, Result};
use crate::state::{AppState, lock};

/// Starts opening the shoot in `path`; progress, thumbnails and the grid arrive on `on_event`.
/// Returns the job id (for [`cancel_job`]). Opening another folder cancels this job.
#[tauri::command]
pub fn open_shoot<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    path: String,
    on_event: Channel<ProgressEvent>,
) -> u32 {
    let (job, cancel) = app.state::<AppState>().jobs.start_opening();
    tauri::async_runtime::spawn_blocking(move || {
        crate::open_job::run(
            &app.state::<AppState>(),
            job,
            &PathBuf::from(path),
            &cancel,
            &on_event,
        );
    });
    job
}

/// Asks a job to stop (work already done is kept). False when no such job runs.
#[tauri::command]
pub fn cancel_job(state: State<'_, AppState>, job: u32) -> bool {
    state.jobs.cancel(job)
}

/// Regroups the open shoot at `strictness` (0 loose ..= 100 strict) and remembers it.
#[tauri::command]
pub async fn regroup(state: State<'_, AppState>, strictness: u8) -> Result<ShootViewDto> {
    let shoot = state.shoot()?;
    lock(&state.settings).strictness = strictness.min(100);
    let decisions = state.with_catalog(|c| Ok(c.decisions(shoot.session.shoot)?))?;
    let view = shoot_view(
        &shoot.session,
        Strictness(strictness.min(100)),
        &decisions,
        &shoot.eyes_closed,
    );
    Ok(ShootViewDto::from(&view))
}

/// Everything the loupe shows about one photo.
#[tauri::command]
pub async fn photo_detail(state: State<'_, AppState>, photo: i64) -> Result<PhotoDetailDto> {
    let shoot = state.shoot()?;
    let detail = detail_of(&shoot.session, bestpick_catalog::PhotoId(photo))
        .ok_or(Error::UnknownPhoto(photo))?;
    Ok(PhotoDetailDto::from(&detail))
}

/// JPEG bytes of a photo's loupe preview (served by the `bp://` scheme, not a command).
pub fn preview_bytes(state: &AppState, photo: i64) -> Result<Vec<u8>> {
    let shoot = state.shoot()?;
    let entry = shoot.photo(photo)?;
    let orientation = entry.analysis.as_ref().map_or(1, |a| a.exif.orientation);
    let preview = bestpick_engine::preview::preview(
        &entry.file.path,
        entry.file.kind,
        orientation,
        &DecodeOptions::default(),
    )?;
    Ok(preview.bytes)
}
