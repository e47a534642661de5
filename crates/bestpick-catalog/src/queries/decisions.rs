//! `decisions`: the photographer's flag, stars and label per photo.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::{Error, Result, SqlContext};
use crate::types::{ColorLabel, Decision, Flag, PhotoId, ShootId};

/// Raw column values, converted outside the rusqlite closure so a bad value becomes
/// [`Error::CorruptValue`] rather than a generic SQLite error.
type RawDecision = (String, i64, Option<String>, i64);

fn raw(row: &Row<'_>, first: usize) -> rusqlite::Result<RawDecision> {
    Ok((
        row.get(first)?,
        row.get(first + 1)?,
        row.get(first + 2)?,
        row.get(first + 3)?,
    ))
}

fn decode((flag, stars, label, updated_at_ms): RawDecision) -> Result<Decision> {
    let flag = flag.parse::<Flag>().map_err(|_| Error::CorruptValue {
        context: "decisions.flag",
        value: flag.clone(),
    })?;
    let stars = u8::try_from(stars)
        .ok()
        .filter(|s| *s <= 5)
        .ok_or_else(|| Error::CorruptValue {
            context: "decisions.stars",
            value: stars.to_string(),
        })?;
    let label = label
        .map(|l| {
            l.parse::<ColorLabel>().map_err(|_| Error::CorruptValue {
                context: "decisions.label",
                value: l.clone(),
            })
        })
        .transpose()?;
    Ok(Decision {
        flag,
        stars,
        label,
        updated_at_ms,
    })
}

/// The decision row of one photo, if any.
pub(crate) fn get(conn: &Connection, photo: PhotoId) -> Result<Option<Decision>> {
    let raw = conn
        .prepare_cached("SELECT flag, stars, label, updated_at FROM decisions WHERE photo_id = ?1")
        .and_then(|mut stmt| stmt.query_row([photo.0], |row| raw(row, 0)).optional())
        .ctx("reading a decision")?;
    raw.map(decode).transpose()
}

/// Write the decision of one photo (insert or replace).
pub(crate) fn put(conn: &Connection, photo: PhotoId, decision: &Decision) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO decisions (photo_id, flag, stars, label, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (photo_id) DO UPDATE SET
             flag = excluded.flag, stars = excluded.stars, label = excluded.label,
             updated_at = excluded.updated_at",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            photo.0,
            decision.flag.as_str(),
            decision.stars,
            decision.label.map(ColorLabel::as_str),
            decision.updated_at_ms
        ])
    })
    .map(drop)
    .ctx("writing a decision")
}

/// Remove the decision row of one photo (back to "never decided").
pub(crate) fn delete(conn: &Connection, photo: PhotoId) -> Result<()> {
    conn.prepare_cached("DELETE FROM decisions WHERE photo_id = ?1")
        .and_then(|mut stmt| stmt.execute([photo.0]))
        .map(drop)
        .ctx("clearing a decision")
}

/// Every decision row of a shoot.
pub(crate) fn for_shoot(conn: &Connection, shoot: ShootId) -> Result<HashMap<PhotoId, Decision>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT d.photo_id, d.flag, d.stars, d.label, d.updated_at
             FROM decisions d JOIN photos p ON p.id = d.photo_id
             WHERE p.shoot_id = ?1",
        )
        .ctx("reading decisions")?;
    let rows = stmt
        .query_map([shoot.0], |row| Ok((PhotoId(row.get(0)?), raw(row, 1)?)))
        .ctx("reading decisions")?;
    let mut decisions = HashMap::new();
    for row in rows {
        let (photo, raw) = row.ctx("reading decisions")?;
        decisions.insert(photo, decode(raw)?);
    }
    Ok(decisions)
}
