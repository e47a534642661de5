//! The Report panel: the trust report of the open shoot (how often the pick was the
//! suggestion, the overruled groups by cause, kept reject candidates), and the same as one
//! self-contained HTML page.

use std::path::PathBuf;

use bestpick_engine::report::{photo_thumbnail, shoot_report};
use tauri::State;

use crate::dto::TrustReportDto;
use crate::error::Result;
use crate::state::AppState;

/// Longer side of the thumbnails in the HTML page, in pixels.
const HTML_THUMBNAIL_SIDE: u32 = 320;

/// The trust report of the open shoot, as culled now.
#[tauri::command]
pub async fn trust_report(state: State<'_, AppState>) -> Result<TrustReportDto> {
    let shoot = state.shoot()?;
    state.with_catalog(|c| Ok(TrustReportDto::from(&shoot_report(c, &shoot.session)?)))
}

/// Writes the trust report with thumbnails to `file` (HTML); returns the path written.
#[tauri::command]
pub async fn save_report_html(state: State<'_, AppState>, file: String) -> Result<String> {
    let shoot = state.shoot()?;
    let report = state.with_catalog(|c| Ok(shoot_report(c, &shoot.session)?))?;
    let html = report.to_html(&mut |id| photo_thumbnail(&shoot.session, id, HTML_THUMBNAIL_SIDE));
    let path = PathBuf::from(file);
    std::fs::write(&path, html).map_err(|source| bestpick_engine::Error::Path {
        path: path.clone(),
        source,
    })?;
    Ok(path.to_string_lossy().into_owned())
}
