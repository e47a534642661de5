//! Culling profiles: the picker (list, choose one for the open shoot, which re-ranks it from
//! stored signals) and the profile page (show what one learned, new, reset, export, import,
//! delete). The files come from the dialogs in `commands::app`.

use std::path::PathBuf;

use bestpick_engine::profiles::{self, Culling, DEFAULT_PROFILE, remember_for_shoot};
use bestpick_engine::vocabulary::Catalog;
use tauri::State;

use crate::commands::shoot::culled_view;
use crate::dto::{ProfileInfoDto, ProfileShownDto, ShootViewDto};
use crate::error::Result;
use crate::state::AppState;

/// The presets, then the photographer's own profiles.
#[tauri::command]
pub async fn list_profiles(state: State<'_, AppState>) -> Result<Vec<ProfileInfoDto>> {
    state.with_catalog(|c| {
        Ok(profiles::list_profiles(c)?
            .iter()
            .map(ProfileInfoDto::from)
            .collect())
    })
}

/// Culls the open shoot with profile `name` (and its grouping) and remembers the choice for
/// the shoot, as `bestpick analyze --profile` does.
#[tauri::command]
pub async fn choose_profile(state: State<'_, AppState>, name: String) -> Result<ShootViewDto> {
    let shoot = state.shoot()?;
    state.with_catalog(|c| {
        let profile = profiles::load_profile(c, &name)?;
        remember_for_shoot(c, shoot.session.shoot, &name, profile.strictness())?;
        culled_view(c, &shoot.session)
    })
}

/// Profile `name`: weights, grouping and what it learned in words.
#[tauri::command]
pub async fn show_profile(state: State<'_, AppState>, name: String) -> Result<ProfileShownDto> {
    state.with_catalog(|c| shown(c, &name))
}

/// Makes the photographer's own profile `name` from profile `from` (its weights and grouping,
/// not what it learned).
#[tauri::command]
pub async fn new_profile(
    state: State<'_, AppState>,
    name: String,
    from: String,
) -> Result<ProfileShownDto> {
    state.with_catalog(|c| {
        profiles::new_profile(c, name.trim(), &from)?;
        shown(c, name.trim())
    })
}

/// Forgets what profile `name` learned; returns how many decided groups that was.
#[tauri::command]
pub async fn reset_profile(state: State<'_, AppState>, name: String) -> Result<u32> {
    state.with_catalog(|c| Ok(crate::dto::count(profiles::reset_profile(c, &name)?)))
}

/// Deletes the photographer's profile `name` (a preset returns to its built-in form). The open
/// shoot, when it used it, goes back to the default profile.
#[tauri::command]
pub async fn delete_profile(state: State<'_, AppState>, name: String) -> Result<()> {
    let shoot = state.shoot().ok();
    state.with_catalog(|c| {
        profiles::delete_profile(c, &name)?;
        if let Some(shoot) = shoot {
            let culling = Culling::of_shoot(c, shoot.session.shoot)?;
            if profiles::shoot_profile(c, shoot.session.shoot)? == name {
                remember_for_shoot(c, shoot.session.shoot, DEFAULT_PROFILE, culling.strictness)?;
            }
        }
        Ok(())
    })
}

/// Writes profile `name` with what it learned to `file` (TOML).
#[tauri::command]
pub async fn export_profile(state: State<'_, AppState>, name: String, file: String) -> Result<()> {
    state.with_catalog(|c| Ok(profiles::export_profile(c, &name, &PathBuf::from(file))?))
}

/// Reads a profile file (with what it learned) under the name it carries; `replace`
/// overwrites a profile of that name.
#[tauri::command]
pub async fn import_profile(
    state: State<'_, AppState>,
    file: String,
    replace: bool,
) -> Result<ProfileShownDto> {
    state.with_catalog(|c| {
        let profile = profiles::import_profile(c, &PathBuf::from(file), replace)?;
        shown(c, &profile.name)
    })
}

/// Profile `name` as the profile page shows it.
fn shown(c: &Catalog, name: &str) -> Result<ProfileShownDto> {
    Ok(ProfileShownDto::from(&profiles::show_profile(c, name)?))
}
