//! `profiles` and `preferences`: the photographer's own culling profiles and what each learned.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Result, SqlContext};
use crate::types::ShootId;

/// Every stored profile as `(name, toml)`, by name.
pub(crate) fn all(conn: &Connection) -> Result<Vec<(String, String)>> {
    conn.prepare_cached("SELECT name, toml FROM profiles ORDER BY name")
        .and_then(|mut stmt| {
            stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect()
        })
        .ctx("listing profiles")
}

/// The TOML of profile `name`.
pub(crate) fn get(conn: &Connection, name: &str) -> Result<Option<String>> {
    conn.prepare_cached("SELECT toml FROM profiles WHERE name = ?1")
        .and_then(|mut stmt| stmt.query_row([name], |row| row.get(0)).optional())
        .ctx("reading a profile")
}

/// Store profile `name`, replacing it.
pub(crate) fn put(conn: &Connection, name: &str, toml: &str, at_ms: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO profiles (name, toml, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET toml = excluded.toml, updated_at = excluded.updated_at",
    )
    .and_then(|mut stmt| stmt.execute(params![name, toml, at_ms]))
    .map(drop)
    .ctx("writing a profile")
}

/// Delete profile `name`; whether it existed.
pub(crate) fn delete(conn: &Connection, name: &str) -> Result<bool> {
    conn.prepare_cached("DELETE FROM profiles WHERE name = ?1")
        .and_then(|mut stmt| stmt.execute([name]))
        .map(|n| n > 0)
        .ctx("deleting a profile")
}

/// Store what a decision on one group says, replacing an earlier decision on that group.
pub(crate) fn put_preference(
    conn: &Connection,
    profile: &str,
    shoot: ShootId,
    group_key: &str,
    data_json: &str,
    at_ms: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO preferences (profile, shoot_id, group_key, data_json, decided_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (profile, shoot_id, group_key)
         DO UPDATE SET data_json = excluded.data_json, decided_at = excluded.decided_at",
    )
    .and_then(|mut stmt| stmt.execute(params![profile, shoot.0, group_key, data_json, at_ms]))
    .map(drop)
    .ctx("writing a preference")
}

/// Forget the decision on one group (it was undone).
pub(crate) fn delete_preference(
    conn: &Connection,
    profile: &str,
    shoot: ShootId,
    group_key: &str,
) -> Result<()> {
    conn.prepare_cached(
        "DELETE FROM preferences WHERE profile = ?1 AND shoot_id = ?2 AND group_key = ?3",
    )
    .and_then(|mut stmt| stmt.execute(params![profile, shoot.0, group_key]))
    .map(drop)
    .ctx("deleting a preference")
}

/// Every preference of `profile` (JSON), oldest first.
pub(crate) fn preferences(conn: &Connection, profile: &str) -> Result<Vec<String>> {
    conn.prepare_cached(
        "SELECT data_json FROM preferences WHERE profile = ?1 ORDER BY decided_at, rowid",
    )
    .and_then(|mut stmt| stmt.query_map([profile], |row| row.get(0))?.collect())
    .ctx("reading preferences")
}

/// Forget every preference of `profile`; how many there were.
pub(crate) fn forget_preferences(conn: &Connection, profile: &str) -> Result<usize> {
    conn.prepare_cached("DELETE FROM preferences WHERE profile = ?1")
        .and_then(|mut stmt| stmt.execute([profile]))
        .ctx("forgetting preferences")
}

/// The preferences `profile` holds for groups of `shoot`, as `(group_key, json)`.
pub(crate) fn shoot_preferences(
    conn: &Connection,
    profile: &str,
    shoot: ShootId,
) -> Result<Vec<(String, String)>> {
    conn.prepare_cached(
        "SELECT group_key, data_json FROM preferences WHERE profile = ?1 AND shoot_id = ?2",
    )
    .and_then(|mut stmt| {
        stmt.query_map(params![profile, shoot.0], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?
        .collect()
    })
    .ctx("reading a shoot's preferences")
}
