//! `shoots`: one row per folder the photographer opened.

use std::path::PathBuf;

use rusqlite::{Connection, OptionalExtension, params};

use super::from_sql_int;
use crate::error::{Result, SqlContext};
use crate::types::{ShootId, ShootInfo};

/// Get or create the shoot for `root` and mark it as opened now.
///
/// `last_opened_at` is kept strictly increasing across shoots, so "recent first" follows the
/// order in which shoots were opened even when two opens fall in the same millisecond.
pub(crate) fn open(conn: &Connection, root: &str, now_ms: i64) -> Result<ShootId> {
    let stamp: i64 = conn
        .prepare_cached("SELECT MAX(?1, COALESCE(MAX(last_opened_at), 0) + 1) FROM shoots")
        .and_then(|mut stmt| stmt.query_row([now_ms], |row| row.get(0)))
        .ctx("stamping a shoot as opened")?;
    conn.prepare_cached(
        "INSERT INTO shoots (root, created_at, last_opened_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (root) DO UPDATE SET last_opened_at = excluded.last_opened_at
         RETURNING id",
    )
    .and_then(|mut stmt| stmt.query_row(params![root, now_ms, stamp], |row| row.get(0)))
    .map(ShootId)
    .ctx("opening a shoot")
}

/// The shoot whose root is exactly `root`.
pub(crate) fn find(conn: &Connection, root: &str) -> Result<Option<ShootId>> {
    conn.prepare_cached("SELECT id FROM shoots WHERE root = ?1")
        .and_then(|mut stmt| stmt.query_row([root], |row| row.get(0)).optional())
        .map(|id| id.map(ShootId))
        .ctx("looking up a shoot by root")
}

/// Whether a shoot with this id exists.
pub(crate) fn exists(conn: &Connection, shoot: ShootId) -> Result<bool> {
    conn.prepare_cached("SELECT 1 FROM shoots WHERE id = ?1")
        .and_then(|mut stmt| stmt.exists([shoot.0]))
        .ctx("checking that a shoot exists")
}

/// All shoots, most recently opened first, with photo and flag counts.
pub(crate) fn list(conn: &Connection) -> Result<Vec<ShootInfo>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT s.id, s.root, s.created_at, s.last_opened_at,
                    (SELECT COUNT(*) FROM photos p WHERE p.shoot_id = s.id),
                    (SELECT COUNT(*) FROM photos p JOIN decisions d ON d.photo_id = p.id
                      WHERE p.shoot_id = s.id AND d.flag = 'pick'),
                    (SELECT COUNT(*) FROM photos p JOIN decisions d ON d.photo_id = p.id
                      WHERE p.shoot_id = s.id AND d.flag = 'reject')
             FROM shoots s
             ORDER BY s.last_opened_at DESC, s.id DESC",
        )
        .ctx("listing shoots")?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, i64>(4)?,
                row.get::<_, i64>(5)?,
                row.get::<_, i64>(6)?,
            ))
        })
        .ctx("listing shoots")?;
    let mut shoots = Vec::new();
    for row in rows {
        let (id, root, created, opened, photos, picks, rejects) = row.ctx("listing shoots")?;
        shoots.push(ShootInfo {
            id: ShootId(id),
            root: PathBuf::from(root),
            created_at_ms: created,
            last_opened_at_ms: opened,
            photo_count: from_sql_int("shoot photo count", photos)?,
            picks: from_sql_int("shoot pick count", picks)?,
            rejects: from_sql_int("shoot reject count", rejects)?,
        });
    }
    Ok(shoots)
}

/// Delete a shoot; its photos, analyses, decisions and history go with it (`ON DELETE CASCADE`).
/// Returns whether a row was deleted.
pub(crate) fn delete(conn: &Connection, shoot: ShootId) -> Result<bool> {
    conn.prepare_cached("DELETE FROM shoots WHERE id = ?1")
        .and_then(|mut stmt| stmt.execute([shoot.0]))
        .map(|n| n > 0)
        .ctx("deleting a shoot")
}
