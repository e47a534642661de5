//! `network_requests`: the network log, every request the contribution client made, oldest
//! first. A row is inserted before the request leaves and completed when it ends.

use rusqlite::{Connection, Row, params};

use super::{from_sql_int, to_sql_int};
use crate::error::{Error, Result, SqlContext};
use crate::types::{NetworkRequest, RequestId, RequestOutcome};

const COLUMNS: &str = "started_at, collector, method, purpose, attempt, bytes_sent, finished_at, \
                       bytes_received, status, error";

/// Raw column values, converted outside the rusqlite closure so a bad value becomes
/// [`Error::CorruptValue`] rather than a generic SQLite error.
struct RawRequest {
    started_at_ms: i64,
    collector: String,
    method: String,
    purpose: String,
    attempt: i64,
    bytes_sent: i64,
    finished_at_ms: Option<i64>,
    bytes_received: Option<i64>,
    status: Option<i64>,
    error: Option<String>,
}

fn raw(row: &Row<'_>) -> rusqlite::Result<RawRequest> {
    Ok(RawRequest {
        started_at_ms: row.get(0)?,
        collector: row.get(1)?,
        method: row.get(2)?,
        purpose: row.get(3)?,
        attempt: row.get(4)?,
        bytes_sent: row.get(5)?,
        finished_at_ms: row.get(6)?,
        bytes_received: row.get(7)?,
        status: row.get(8)?,
        error: row.get(9)?,
    })
}

fn decode(raw: RawRequest) -> Result<NetworkRequest> {
    let attempt = u32::try_from(raw.attempt).map_err(|_| Error::CorruptValue {
        context: "network_requests.attempt",
        value: raw.attempt.to_string(),
    })?;
    let status = raw
        .status
        .map(|s| {
            u16::try_from(s).map_err(|_| Error::CorruptValue {
                context: "network_requests.status",
                value: s.to_string(),
            })
        })
        .transpose()?;
    let outcome = match raw.finished_at_ms {
        None => None,
        Some(finished_at_ms) => Some(RequestOutcome {
            finished_at_ms,
            bytes_received: from_sql_int(
                "network_requests.bytes_received",
                raw.bytes_received.unwrap_or(0),
            )?,
            status,
            error: raw.error,
        }),
    };
    Ok(NetworkRequest {
        started_at_ms: raw.started_at_ms,
        collector: raw.collector,
        method: raw.method,
        purpose: raw.purpose,
        attempt,
        bytes_sent: from_sql_int("network_requests.bytes_sent", raw.bytes_sent)?,
        outcome,
    })
}

/// Log `request` (its outcome too, when it has one). Returns the row's id.
pub(crate) fn insert(conn: &Connection, request: &NetworkRequest) -> Result<RequestId> {
    let bytes_sent = to_sql_int("bytes sent", request.bytes_sent)?;
    let outcome = request.outcome.as_ref();
    let bytes_received = outcome
        .map(|o| to_sql_int("bytes received", o.bytes_received))
        .transpose()?;
    conn.prepare_cached(&format!(
        "INSERT INTO network_requests ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))
    .and_then(|mut stmt| {
        stmt.execute(params![
            request.started_at_ms,
            request.collector,
            request.method,
            request.purpose,
            request.attempt,
            bytes_sent,
            outcome.map(|o| o.finished_at_ms),
            bytes_received,
            outcome.and_then(|o| o.status),
            outcome.and_then(|o| o.error.as_deref()),
        ])
    })
    .ctx("logging a network request")?;
    Ok(RequestId(conn.last_insert_rowid()))
}

/// Record how request `id` ended.
pub(crate) fn finish(conn: &Connection, id: RequestId, outcome: &RequestOutcome) -> Result<()> {
    let bytes_received = to_sql_int("bytes received", outcome.bytes_received)?;
    conn.prepare_cached(
        "UPDATE network_requests
         SET finished_at = ?2, bytes_received = ?3, status = ?4, error = ?5 WHERE id = ?1",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            id.0,
            outcome.finished_at_ms,
            bytes_received,
            outcome.status,
            outcome.error
        ])
    })
    .map(drop)
    .ctx("logging the end of a network request")
}

/// The whole log, oldest first.
pub(crate) fn list(conn: &Connection) -> Result<Vec<NetworkRequest>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM network_requests ORDER BY id"
        ))
        .ctx("reading the network log")?;
    let rows = stmt.query_map([], raw).ctx("reading the network log")?;
    let mut records = Vec::new();
    for row in rows {
        records.push(decode(row.ctx("reading the network log")?)?);
    }
    Ok(records)
}
