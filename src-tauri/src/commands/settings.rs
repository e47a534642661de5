//! Settings (catalog location, threads, grouping, sidecar names, collector) and forgetting a
//! shoot.

use tauri::State;

use crate::dto::{SettingsDto, SettingsUpdate};
use crate::error::Result;
use crate::state::{AppState, lock};

/// The settings, with the paths in use.
#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> Result<SettingsDto> {
    Ok(crate::commands::app::settings_dto(&state))
}

/// Saves the settings. A new catalog location closes the open shoot and takes effect at once.
#[tauri::command]
pub fn save_settings(state: State<'_, AppState>, update: SettingsUpdate) -> Result<SettingsDto> {
    let before = state.catalog_path();
    let saved = {
        let mut s = lock(&state.settings);
        update.apply(&mut s);
        s.save(&state.paths.settings_file())
    };
    if state.catalog_path() != before {
        state.reset_catalog();
    }
    saved?;
    get_settings(state)
}

/// Forgets a shoot: its catalog rows and every file derived from it (thumbnails). The photos
/// and exported sidecars stay. Closes it when it is the open shoot.
#[tauri::command]
pub fn forget_shoot(state: State<'_, AppState>, shoot: i64) -> Result<bool> {
    if state.shoot().is_ok_and(|s| s.session.shoot.0 == shoot) {
        state.set_shoot(None);
    }
    let thumbs = state.paths.thumbnail_dir.clone();
    state.with_catalog(|c| {
        Ok(bestpick_engine::forget_shoot(
            c,
            bestpick_engine::vocabulary::ShootId(shoot),
            Some(&thumbs),
        )?)
    })
}
