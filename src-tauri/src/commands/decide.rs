//! Decisions: pick, reject, stars, labels on a selection of the open shoot; undo and redo.
//! Every change of a flag teaches the shoot's profile what the photographer prefers (on this
//! machine only); the window then asks for the view again, as the suggestions may move.

use bestpick_engine::profiles::learn_from_decisions;
use bestpick_engine::vocabulary::{Catalog, PhotoId, ShootId};
use tauri::State;

use crate::dto::{ChangeDto, DecisionDto};
use crate::error::Result;
use crate::state::{AppState, OpenShoot};

/// The current decisions of `photos`.
fn decisions_of(c: &Catalog, shoot: ShootId, photos: &[PhotoId]) -> Result<Vec<DecisionDto>> {
    let all = c.decisions(shoot)?;
    Ok(photos
        .iter()
        .map(|p| DecisionDto::new(p.0, &all.get(p).copied().unwrap_or_default()))
        .collect())
}

/// Learns from the decisions of `photos` (their groups), then returns them.
fn learned(c: &mut Catalog, shoot: &OpenShoot, photos: &[PhotoId]) -> Result<Vec<DecisionDto>> {
    learn_from_decisions(c, &shoot.session, photos)?;
    decisions_of(c, shoot.session.shoot, photos)
}

/// Applies `change` to `photos` as one undoable action; returns their new decisions.
#[tauri::command]
pub fn decide(
    state: State<'_, AppState>,
    photos: Vec<i64>,
    change: ChangeDto,
) -> Result<Vec<DecisionDto>> {
    let shoot = state.shoot()?;
    let ids: Vec<PhotoId> = photos.into_iter().map(PhotoId).collect();
    state.with_catalog(|c| {
        c.decide(shoot.session.shoot, &ids, change.into())?;
        match change {
            ChangeDto::Flag(_) => learned(c, &shoot, &ids),
            ChangeDto::Stars(_) | ChangeDto::Label(_) => decisions_of(c, shoot.session.shoot, &ids),
        }
    })
}

/// Reverts the newest action; returns the decisions it changed (empty: nothing to undo).
#[tauri::command]
pub fn undo(state: State<'_, AppState>) -> Result<Vec<DecisionDto>> {
    let shoot = state.shoot()?;
    state.with_catalog(|c| match c.undo(shoot.session.shoot)? {
        Some(ids) => learned(c, &shoot, &ids),
        None => Ok(Vec::new()),
    })
}

/// Re-applies the newest undone action; returns the decisions it changed.
#[tauri::command]
pub fn redo(state: State<'_, AppState>) -> Result<Vec<DecisionDto>> {
    let shoot = state.shoot()?;
    state.with_catalog(|c| match c.redo(shoot.session.shoot)? {
        Some(ids) => learned(c, &shoot, &ids),
        None => Ok(Vec::new()),
    })
}
