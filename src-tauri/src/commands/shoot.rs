//! Opening a shoot (a background job streaming progress), regrouping, the view as culled now
//! (profile and grouping), the loupe's detail and preview bytes.

use std::path::PathBuf;

use bestpick_engine::Session;
use bestpick_engine::profiles::{Culling, remember_for_shoot};
use bestpick_engine::view::{photo_detail as detail_of, shoot_view_with};
use bestpick_engine::vocabulary::{Catalog, PhotoId, Strictness};
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

/// The shoot in `session` as culled now (its profile with what it learned, its grouping),
/// with the decisions. Ranks from stored signals: no file is read.
pub fn culled_view(catalog: &Catalog, session: &Session) -> Result<ShootViewDto> {
    let culling = Culling::of_shoot(catalog, session.shoot)?;
    let decisions = catalog.decisions(session.shoot)?;
    let view = shoot_view_with(session, culling.strictness, culling.judging(), &decisions);
    Ok(ShootViewDto::culled(&view, &culling))
}

/// Regroups the open shoot at `strictness` (0 loose ..= 100 strict) and remembers it, for the
/// shoot (as `bestpick analyze --grouping` does) and in the settings as the app's last
/// grouping.
#[tauri::command]
pub async fn regroup(state: State<'_, AppState>, strictness: u8) -> Result<ShootViewDto> {
    let shoot = state.shoot()?;
    let strictness = Strictness::new(strictness);
    {
        let mut settings = lock(&state.settings);
        settings.strictness = strictness;
        settings.save(&state.paths.settings_file())?;
    }
    state.with_catalog(|c| {
        let name = Culling::of_shoot(c, shoot.session.shoot)?.name;
        remember_for_shoot(c, shoot.session.shoot, &name, strictness)?;
        culled_view(c, &shoot.session)
    })
}

/// The open shoot as culled now: after a decision taught its profile something, the
/// suggestions may have moved.
#[tauri::command]
pub async fn current_view(state: State<'_, AppState>) -> Result<ShootViewDto> {
    let shoot = state.shoot()?;
    state.with_catalog(|c| culled_view(c, &shoot.session))
}

/// Everything the loupe shows about one photo.
#[tauri::command]
pub async fn photo_detail(state: State<'_, AppState>, photo: i64) -> Result<PhotoDetailDto> {
    let shoot = state.shoot()?;
    let detail = detail_of(&shoot.session, PhotoId(photo)).ok_or(Error::UnknownPhoto(photo))?;
    Ok(PhotoDetailDto::from(&detail))
}

/// JPEG bytes of a photo's loupe preview (served by the `bp://` scheme, not a command).
pub fn preview_bytes(state: &AppState, photo: i64) -> Result<Vec<u8>> {
    let shoot = state.shoot()?;
    let entry = shoot.photo(photo)?;
    Ok(bestpick_engine::preview::photo_preview(entry)?.bytes)
}
