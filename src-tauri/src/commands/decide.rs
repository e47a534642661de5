//! Decisions: pick, reject, stars, labels on a selection of the open shoot; undo and redo.

use bestpick_catalog::{Catalog, PhotoId, ShootId};
use tauri::State;

use crate::dto::{ChangeDto, DecisionDto};
use crate::error::Result;
use crate::state::AppState;

/// The current decisions of `photos`.
fn decisions_of(c: &Catalog, shoot: ShootId, photos: &[PhotoId]) -> Result<Vec<DecisionDto>> {
    let all = c.decisions(shoot)?;
    Ok(photos
        .iter()
        .map(|p| DecisionDto::new(p.0, &all.get(p).copied().unwrap_or_default()))
        .collect())
}

/// Applies `change` to `photos` as one undoable action; returns their new decisions.
#[tauri::command]
pub fn decide(
    state: State<'_, AppState>,
    photos: Vec<i64>,
    change: ChangeDto,
) -> Result<Vec<DecisionDto>> {
    let shoot = state.shoot()?.session.shoot;
    let ids: Vec<PhotoId> = photos.into_iter().map(PhotoId).collect();
    state.with_catalog(|c| {
        c.decide(shoot, &ids, change.into())?;
        decisions_of(c, shoot, &ids)
    })
}

/// Reverts the newest action; returns the decisions it changed (empty: nothing to undo).
#[tauri::command]
pub fn undo(state: State<'_, AppState>) -> Result<Vec<DecisionDto>> {
    let shoot = state.shoot()?.session.shoot;
    state.with_catalog(|c| match c.undo(shoot)? {
        Some(ids) => decisions_of(c, shoot, &ids),
        None => Ok(Vec::new()),
    })
}

/// Re-applies the newest undone action; returns the decisions it changed.
#[tauri::command]
pub fn redo(state: State<'_, AppState>) -> Result<Vec<DecisionDto>> {
    let shoot = state.shoot()?.session.shoot;
    state.with_catalog(|c| match c.redo(shoot)? {
        Some(ids) => decisions_of(c, shoot, &ids),
        None => Ok(Vec::new()),
    })
}
