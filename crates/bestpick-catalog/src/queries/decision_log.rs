//! `decision_log`: undo/redo history of user actions.
//!
//! One action is one `action_id` with one row per photo it touched, holding the photo's decision
//! before and after as JSON. Undone actions (`undone = 1`) are the redo stack; they are always
//! the newest actions of their shoot and are dropped when a new action is recorded.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, SqlContext};
use crate::types::{ActionId, ColorLabel, Decision, Flag, PhotoId, ShootId};

/// The part of a decision the history restores. Kept separate from [`Decision`] so the stored
/// JSON does not change shape when the public type grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LoggedDecision {
    pub(crate) flag: Flag,
    pub(crate) stars: u8,
    pub(crate) label: Option<ColorLabel>,
}

impl LoggedDecision {
    pub(crate) fn of(decision: &Decision) -> Self {
        LoggedDecision {
            flag: decision.flag,
            stars: decision.stars,
            label: decision.label,
        }
    }

    /// The decision this entry restores, stamped `updated_at_ms`.
    pub(crate) fn at(self, updated_at_ms: i64) -> Decision {
        Decision {
            flag: self.flag,
            stars: self.stars,
            label: self.label,
            updated_at_ms,
        }
    }
}

/// One photo's change within an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LogEntry {
    pub(crate) photo: PhotoId,
    /// `None`: the photo had no decision row before the action.
    pub(crate) before: Option<LoggedDecision>,
    pub(crate) after: LoggedDecision,
}

/// A fresh action id, larger than every id in the log.
pub(crate) fn next_action_id(conn: &Connection) -> Result<ActionId> {
    conn.prepare_cached("SELECT COALESCE(MAX(action_id), 0) + 1 FROM decision_log")
        .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
        .map(ActionId)
        .ctx("allocating an action id")
}

/// Forget the redo stack of a shoot (a new action makes it unreachable).
pub(crate) fn drop_undone(conn: &Connection, shoot: ShootId) -> Result<()> {
    conn.prepare_cached("DELETE FROM decision_log WHERE shoot_id = ?1 AND undone = 1")
        .and_then(|mut stmt| stmt.execute([shoot.0]))
        .map(drop)
        .ctx("dropping the redo history")
}

/// Record one photo's change within `action`.
pub(crate) fn insert(
    conn: &Connection,
    shoot: ShootId,
    action: ActionId,
    entry: &LogEntry,
    now_ms: i64,
) -> Result<()> {
    let before = to_json(&entry.before, action)?;
    let after = to_json(&entry.after, action)?;
    conn.prepare_cached(
        "INSERT INTO decision_log (shoot_id, action_id, photo_id, before_json, after_json, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            shoot.0,
            action.0,
            entry.photo.0,
            before,
            after,
            now_ms
        ])
    })
    .map(drop)
    .ctx("recording a decision in the history")
}

/// The newest action of `shoot` that is not undone.
pub(crate) fn newest_done(conn: &Connection, shoot: ShootId) -> Result<Option<ActionId>> {
    conn.prepare_cached(
        "SELECT MAX(action_id) FROM decision_log WHERE shoot_id = ?1 AND undone = 0",
    )
    .and_then(|mut stmt| stmt.query_row([shoot.0], |row| row.get::<_, Option<i64>>(0)))
    .map(|id| id.map(ActionId))
    .ctx("finding the action to undo")
}

/// The oldest undone action of `shoot` (the next one to redo).
pub(crate) fn oldest_undone(conn: &Connection, shoot: ShootId) -> Result<Option<ActionId>> {
    conn.prepare_cached(
        "SELECT MIN(action_id) FROM decision_log WHERE shoot_id = ?1 AND undone = 1",
    )
    .and_then(|mut stmt| stmt.query_row([shoot.0], |row| row.get::<_, Option<i64>>(0)))
    .map(|id| id.map(ActionId))
    .ctx("finding the action to redo")
}

/// The entries of one action, in the order they were recorded.
pub(crate) fn entries(conn: &Connection, action: ActionId) -> Result<Vec<LogEntry>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT photo_id, before_json, after_json FROM decision_log
             WHERE action_id = ?1 ORDER BY id",
        )
        .ctx("reading the history")?;
    let rows = stmt
        .query_map([action.0], |row| {
            Ok((
                PhotoId(row.get(0)?),
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })
        .ctx("reading the history")?;
    let mut entries = Vec::new();
    for row in rows {
        let (photo, before, after) = row.ctx("reading the history")?;
        let corrupt = |source| Error::CorruptLog { action, source };
        entries.push(LogEntry {
            photo,
            before: serde_json::from_str(&before).map_err(corrupt)?,
            after: serde_json::from_str(&after).map_err(corrupt)?,
        });
    }
    Ok(entries)
}

/// Move an action onto (`undone = true`) or off the redo stack.
pub(crate) fn set_undone(conn: &Connection, action: ActionId, undone: bool) -> Result<()> {
    conn.prepare_cached("UPDATE decision_log SET undone = ?2 WHERE action_id = ?1")
        .and_then(|mut stmt| stmt.execute(params![action.0, undone]))
        .map(drop)
        .ctx("updating the history")
}

fn to_json<T: Serialize>(value: &T, action: ActionId) -> Result<String> {
    serde_json::to_string(value).map_err(|source| Error::CorruptLog { action, source })
}
