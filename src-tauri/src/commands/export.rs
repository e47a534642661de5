//! The export panel: plan (shown before anything is written), then run.

use bestpick_engine::export::{ExportRequest, execute_export, plan_session_export as plan};
use tauri::State;

use crate::dto::{ExportPlanDto, ExportReportDto, ExportRequestDto};
use crate::error::Result;
use crate::state::AppState;

/// What `request` would write, writing nothing.
#[tauri::command]
pub async fn plan_export(
    state: State<'_, AppState>,
    request: ExportRequestDto,
) -> Result<ExportPlanDto> {
    let shoot = state.shoot()?;
    state.with_catalog(|c| {
        Ok(ExportPlanDto::from(&plan(
            c,
            &shoot.session,
            &ExportRequest::from(&request),
        )?))
    })
}

/// Plans `request` again (the shoot may have changed since it was shown) and executes it.
#[tauri::command]
pub async fn run_export(
    state: State<'_, AppState>,
    request: ExportRequestDto,
) -> Result<ExportReportDto> {
    let shoot = state.shoot()?;
    let planned =
        state.with_catalog(|c| Ok(plan(c, &shoot.session, &ExportRequest::from(&request))?))?;
    Ok(ExportReportDto::from(&execute_export(&planned)))
}
