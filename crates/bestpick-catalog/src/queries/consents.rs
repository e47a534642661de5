//! `consents`: the contribution terms the contributor accepted, oldest first.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::{Error, Result, SqlContext};
use crate::types::Consent;

const COLUMNS: &str =
    "terms_version, accepted_at, minor_with_parental_permission, buckets_json, withdrawn_at";

/// Raw column values, converted outside the rusqlite closure so a bad value becomes
/// [`Error::CorruptValue`] rather than a generic SQLite error.
type RawConsent = (i64, i64, i64, String, Option<i64>);

fn raw(row: &Row<'_>) -> rusqlite::Result<RawConsent> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn decode(
    (terms_version, accepted_at_ms, minor, buckets_json, withdrawn_at_ms): RawConsent,
) -> Result<Consent> {
    let terms_version = u32::try_from(terms_version).map_err(|_| Error::CorruptValue {
        context: "consents.terms_version",
        value: terms_version.to_string(),
    })?;
    let minor_with_parental_permission = match minor {
        0 => false,
        1 => true,
        other => {
            return Err(Error::CorruptValue {
                context: "consents.minor_with_parental_permission",
                value: other.to_string(),
            });
        }
    };
    Ok(Consent {
        terms_version,
        accepted_at_ms,
        minor_with_parental_permission,
        buckets_json,
        withdrawn_at_ms,
    })
}

/// Run `sql` with the consent's columns bound in [`COLUMNS`] order. Returns the rows changed.
fn execute(conn: &Connection, sql: &str, consent: &Consent) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql).and_then(|mut stmt| {
        stmt.execute(params![
            consent.terms_version,
            consent.accepted_at_ms,
            consent.minor_with_parental_permission,
            consent.buckets_json,
            consent.withdrawn_at_ms
        ])
    })
}

/// Append a consent.
pub(crate) fn insert(conn: &Connection, consent: &Consent) -> Result<()> {
    let sql = format!("INSERT INTO consents ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)");
    execute(conn, &sql, consent)
        .map(drop)
        .ctx("recording a consent")
}

/// Append a consent unless one with the same terms version and acceptance time is there
/// already (that one is left as it is). Returns whether it was added.
pub(crate) fn insert_if_new(conn: &Connection, consent: &Consent) -> Result<bool> {
    let sql = format!(
        "INSERT INTO consents ({COLUMNS})
         SELECT ?1, ?2, ?3, ?4, ?5
         WHERE NOT EXISTS (SELECT 1 FROM consents WHERE terms_version = ?1 AND accepted_at = ?2)"
    );
    execute(conn, &sql, consent)
        .map(|added| added > 0)
        .ctx("merging a consent")
}

/// Every consent, oldest first.
pub(crate) fn list(conn: &Connection) -> Result<Vec<Consent>> {
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM consents ORDER BY id"))
        .ctx("reading consents")?;
    let rows = stmt.query_map([], raw).ctx("reading consents")?;
    let mut consents = Vec::new();
    for row in rows {
        consents.push(decode(row.ctx("reading consents")?)?);
    }
    Ok(consents)
}

/// The newest consent not withdrawn.
pub(crate) fn current(conn: &Connection) -> Result<Option<Consent>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM consents WHERE withdrawn_at IS NULL ORDER BY id DESC LIMIT 1"
    ))
    .and_then(|mut stmt| stmt.query_row([], raw).optional())
    .ctx("reading the current consent")?
    .map(decode)
    .transpose()
}

/// Mark every consent not withdrawn yet as withdrawn at `at_ms`. Returns how many were.
pub(crate) fn withdraw_all(conn: &Connection, at_ms: i64) -> Result<usize> {
    conn.prepare_cached("UPDATE consents SET withdrawn_at = ?1 WHERE withdrawn_at IS NULL")
        .and_then(|mut stmt| stmt.execute([at_ms]))
        .ctx("withdrawing consents")
}
