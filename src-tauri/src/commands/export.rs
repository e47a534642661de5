//! The export panel: plan (shown before anything is written), then run.

use bestpick_engine::export::{ExportRequest, execute_export, plan_export as plan};
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
    let (id, root) = (shoot.session.shoot, &shoot.session.root);
    state.with_catalog(|c| {
        Ok(ExportPlanDto::from(&plan(
            c,
            id,
            root,
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
    let (id, root) = (shoot.session.shoot, &shoot.session.root);
    let planned = state.with_catalog(|c| Ok(plan(c, id, root, &ExportRequest::from(&request))?))?;
    Ok(ExportReportDto::from(&execute_export(&planned)))
}
