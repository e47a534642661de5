//! `photos`: the files of a shoot, keyed by path relative to the shoot root.

use rusqlite::{Connection, OptionalExtension, params};

use super::{from_sql_int, to_sql_int};
use crate::error::{Result, SqlContext};
use crate::types::{FileKey, PhotoId, ShootId, StoredPhoto};

/// Insert the file or update its size and mtime; returns its id.
pub(crate) fn upsert(conn: &Connection, shoot: ShootId, file: &FileKey) -> Result<PhotoId> {
    let size = to_sql_int("file size", file.size)?;
    conn.prepare_cached(
        "INSERT INTO photos (shoot_id, rel_path, size, mtime_ns) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (shoot_id, rel_path)
         DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns
         RETURNING id",
    )
    .and_then(|mut stmt| {
        stmt.query_row(
            params![shoot.0, file.rel_path, size, file.mtime_ns],
            |row| row.get(0),
        )
    })
    .map(PhotoId)
    .ctx("syncing a photo")
}

/// Every photo of a shoot, ordered by path.
pub(crate) fn list(conn: &Connection, shoot: ShootId) -> Result<Vec<StoredPhoto>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, rel_path, size, mtime_ns FROM photos WHERE shoot_id = ?1
             ORDER BY rel_path, id",
        )
        .ctx("listing photos")?;
    let rows = stmt
        .query_map([shoot.0], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })
        .ctx("listing photos")?;
    let mut photos = Vec::new();
    for row in rows {
        let (id, rel_path, size, mtime_ns) = row.ctx("listing photos")?;
        photos.push(StoredPhoto {
            id: PhotoId(id),
            rel_path,
            size: from_sql_int("photos.size", size)?,
            mtime_ns,
        });
    }
    Ok(photos)
}

/// The photo at `rel_path` in `shoot`.
pub(crate) fn by_path(
    conn: &Connection,
    shoot: ShootId,
    rel_path: &str,
) -> Result<Option<PhotoId>> {
    conn.prepare_cached("SELECT id FROM photos WHERE shoot_id = ?1 AND rel_path = ?2")
        .and_then(|mut stmt| {
            stmt.query_row(params![shoot.0, rel_path], |row| row.get(0))
                .optional()
        })
        .map(|id| id.map(PhotoId))
        .ctx("looking up a photo by path")
}

/// The shoot a photo belongs to, if the photo exists.
pub(crate) fn shoot_of(conn: &Connection, photo: PhotoId) -> Result<Option<ShootId>> {
    conn.prepare_cached("SELECT shoot_id FROM photos WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([photo.0], |row| row.get(0)).optional())
        .map(|id| id.map(ShootId))
        .ctx("looking up a photo's shoot")
}
