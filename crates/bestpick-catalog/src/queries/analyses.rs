//! `analyses`: cached analysis blobs, valid while version, size and mtime match.

use std::collections::HashMap;

use rusqlite::{Connection, params};

use super::to_sql_int;
use crate::error::{Result, SqlContext};
use crate::types::{PhotoId, ShootId, StoredAnalysis};

/// Insert or replace the analysis of one photo.
pub(crate) fn upsert(conn: &Connection, row: &StoredAnalysis, now_ms: i64) -> Result<()> {
    let size = to_sql_int("analysis file size", row.size)?;
    conn.prepare_cached(
        "INSERT INTO analyses (photo_id, version, size, mtime_ns, data, analyzed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (photo_id) DO UPDATE SET
             version = excluded.version, size = excluded.size, mtime_ns = excluded.mtime_ns,
             data = excluded.data, analyzed_at = excluded.analyzed_at",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            row.photo.0,
            i64::from(row.version),
            size,
            row.mtime_ns,
            row.data,
            now_ms
        ])
    })
    .map(drop)
    .ctx("storing an analysis")
}

/// Analyses of `shoot` computed by code `version` from the photo's current file state.
pub(crate) fn valid_for_shoot(
    conn: &Connection,
    shoot: ShootId,
    version: u32,
) -> Result<HashMap<PhotoId, Vec<u8>>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT a.photo_id, a.data FROM analyses a JOIN photos p ON p.id = a.photo_id
             WHERE p.shoot_id = ?1 AND a.version = ?2
               AND a.size = p.size AND a.mtime_ns = p.mtime_ns",
        )
        .ctx("reading cached analyses")?;
    let rows = stmt
        .query_map(params![shoot.0, i64::from(version)], |row| {
            Ok((PhotoId(row.get(0)?), row.get::<_, Vec<u8>>(1)?))
        })
        .ctx("reading cached analyses")?;
    rows.collect::<rusqlite::Result<_>>()
        .ctx("reading cached analyses")
}
