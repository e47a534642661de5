//! Starting up: what to open first, the recent shoots; the folder and file dialogs.

use tauri::State;
use tauri_plugin_dialog::{DialogExt, FileDialogBuilder, FilePath};

use crate::dto::{SettingsDto, ShootInfoDto, StartupDto};
use crate::error::Result;
use crate::state::AppState;

/// What to open first (the folder argument, else the most recent shoot that still exists,
/// else the bundled sample), the recent shoots and the settings.
#[tauri::command]
pub async fn startup(state: State<'_, AppState>) -> Result<StartupDto> {
    let recent = recent_shoots(state.clone()).await?;
    let sample = state
        .paths
        .sample
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned());
    let (open, reason) = match (&state.launch, recent.iter().find(|s| s.exists), &sample) {
        (Some(folder), _, _) => (Some(folder.to_string_lossy().into_owned()), "argument"),
        (None, Some(last), _) => (Some(last.root.clone()), "recent"),
        (None, None, Some(sample)) => (Some(sample.clone()), "sample"),
        (None, None, None) => (None, "none"),
    };
    let settings = settings_dto(&state);
    Ok(StartupDto {
        open,
        reason: reason.into(),
        sample,
        recent,
        settings,
    })
}

/// Shoots opened before, most recent first.
#[tauri::command]
pub async fn recent_shoots(state: State<'_, AppState>) -> Result<Vec<ShootInfoDto>> {
    state.with_catalog(|c| Ok(c.shoots()?.iter().map(ShootInfoDto::from).collect()))
}

/// The native folder dialog; `None` when cancelled.
#[tauri::command]
pub async fn pick_folder<R: tauri::Runtime>(app: tauri::AppHandle<R>) -> Result<Option<String>> {
    let picked = app
        .dialog()
        .file()
        .set_title("Open a shoot folder")
        .blocking_pick_folder();
    Ok(chosen_path(picked))
}

/// The native open-file dialog for files ending in `extension`; `None` when cancelled.
#[tauri::command]
pub async fn pick_open_file<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    title: String,
    extension: String,
) -> Result<Option<String>> {
    Ok(chosen_path(
        file_dialog(&app, title, &extension).blocking_pick_file(),
    ))
}

/// The native save-file dialog, proposing `file_name`; `None` when cancelled.
#[tauri::command]
pub async fn pick_save_file<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    title: String,
    file_name: String,
    extension: String,
) -> Result<Option<String>> {
    Ok(chosen_path(
        file_dialog(&app, title, &extension)
            .set_file_name(file_name)
            .blocking_save_file(),
    ))
}

/// A file dialog titled `title` showing files ending in `extension`.
fn file_dialog<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
    title: String,
    extension: &str,
) -> FileDialogBuilder<R> {
    app.dialog()
        .file()
        .set_title(title)
        .add_filter(extension.to_uppercase(), &[extension])
}

/// The path a dialog returned, as text; `None` when cancelled (or not a local path).
fn chosen_path(picked: Option<FilePath>) -> Option<String> {
    picked
        .and_then(|p| p.into_path().ok())
        .map(|p| p.to_string_lossy().into_owned())
}

/// Settings as shown (re-exported for `startup`).
pub fn settings_dto(state: &AppState) -> SettingsDto {
    let s = crate::state::lock(&state.settings).clone();
    SettingsDto::new(
        &s,
        &state.catalog_path(),
        s.catalog_path.is_none(),
        &state.paths.thumbnail_dir,
    )
}
