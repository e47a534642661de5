//! `settings`: a small key/value store for front-end preferences.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Result, SqlContext};

/// The value stored under `key`.
pub(crate) fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")
        .and_then(|mut stmt| stmt.query_row([key], |row| row.get(0)).optional())
        .ctx("reading a setting")
}

/// Store `value` under `key`, replacing any previous value.
pub(crate) fn set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .and_then(|mut stmt| stmt.execute(params![key, value]))
    .map(drop)
    .ctx("writing a setting")
}
