//! `contributions`: the bundles the contributor built, oldest first, keyed by anonymous id.

use rusqlite::{Connection, Row, params};

use crate::error::{Error, Result, SqlContext};
use crate::types::{Contribution, ContributionState};

const COLUMNS: &str = "anonymous_id, collector, bundle_id, image_count, created_at, sent_at, \
                       state, datasets_json, last_error";

/// Raw column values, converted outside the rusqlite closure so a bad value becomes
/// [`Error::CorruptValue`] rather than a generic SQLite error.
struct RawContribution {
    anonymous_id: String,
    collector: String,
    bundle_id: Option<String>,
    image_count: i64,
    created_at_ms: i64,
    sent_at_ms: Option<i64>,
    state: String,
    datasets_json: String,
    last_error: Option<String>,
}

fn raw(row: &Row<'_>) -> rusqlite::Result<RawContribution> {
    Ok(RawContribution {
        anonymous_id: row.get(0)?,
        collector: row.get(1)?,
        bundle_id: row.get(2)?,
        image_count: row.get(3)?,
        created_at_ms: row.get(4)?,
        sent_at_ms: row.get(5)?,
        state: row.get(6)?,
        datasets_json: row.get(7)?,
        last_error: row.get(8)?,
    })
}

fn decode(raw: RawContribution) -> Result<Contribution> {
    let image_count = u32::try_from(raw.image_count).map_err(|_| Error::CorruptValue {
        context: "contributions.image_count",
        value: raw.image_count.to_string(),
    })?;
    let state = ContributionState::ALL
        .into_iter()
        .find(|s| s.as_str() == raw.state)
        .ok_or_else(|| Error::CorruptValue {
            context: "contributions.state",
            value: raw.state.clone(),
        })?;
    let datasets = serde_json::from_str(&raw.datasets_json).map_err(|_| Error::CorruptValue {
        context: "contributions.datasets_json",
        value: raw.datasets_json.clone(),
    })?;
    Ok(Contribution {
        anonymous_id: raw.anonymous_id,
        collector: raw.collector,
        bundle_id: raw.bundle_id,
        image_count,
        created_at_ms: raw.created_at_ms,
        sent_at_ms: raw.sent_at_ms,
        state,
        datasets,
        last_error: raw.last_error,
    })
}

/// Run `sql` with the record's columns bound in [`COLUMNS`] order. Returns the rows changed.
fn execute(conn: &Connection, sql: &str, record: &Contribution) -> rusqlite::Result<usize> {
    let datasets_json =
        serde_json::to_string(&record.datasets).expect("a list of strings always serializes");
    conn.prepare_cached(sql).and_then(|mut stmt| {
        stmt.execute(params![
            record.anonymous_id,
            record.collector,
            record.bundle_id,
            record.image_count,
            record.created_at_ms,
            record.sent_at_ms,
            record.state.as_str(),
            datasets_json,
            record.last_error
        ])
    })
}

/// Insert `record`, or replace every field of the row with the same anonymous id (which keeps
/// its place in the order).
pub(crate) fn upsert(conn: &Connection, record: &Contribution) -> Result<()> {
    let sql = format!(
        "INSERT INTO contributions ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (anonymous_id) DO UPDATE SET
             collector = excluded.collector, bundle_id = excluded.bundle_id,
             image_count = excluded.image_count, created_at = excluded.created_at,
             sent_at = excluded.sent_at, state = excluded.state,
             datasets_json = excluded.datasets_json, last_error = excluded.last_error"
    );
    execute(conn, &sql, record)
        .map(drop)
        .ctx("recording a contribution")
}

/// Insert `record` unless a row with its anonymous id exists (that row is left as it is).
/// Returns whether it was added.
pub(crate) fn insert_if_new(conn: &Connection, record: &Contribution) -> Result<bool> {
    let sql = format!(
        "INSERT INTO contributions ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (anonymous_id) DO NOTHING"
    );
    execute(conn, &sql, record)
        .map(|added| added > 0)
        .ctx("merging a contribution")
}

/// Every contribution, oldest first.
pub(crate) fn list(conn: &Connection) -> Result<Vec<Contribution>> {
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM contributions ORDER BY id"))
        .ctx("reading contributions")?;
    let rows = stmt.query_map([], raw).ctx("reading contributions")?;
    let mut records = Vec::new();
    for row in rows {
        records.push(decode(row.ctx("reading contributions")?)?);
    }
    Ok(records)
}
