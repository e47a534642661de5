//! [`Catalog`]: the connection, its settings, migrations and the public operations.
//!
//! Every write runs in one `BEGIN IMMEDIATE` transaction that is committed before the method
//! returns. Immediate transactions take the write lock up front, so two handles on one file
//! (the CLI and the app) wait for each other through `busy_timeout` instead of failing with
//! `SQLITE_BUSY` when a read transaction tries to become a write transaction.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, ErrorCode, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

use crate::error::{Error, Result, SqlContext};
use crate::queries::decision_log::{LogEntry, LoggedDecision};
use crate::queries::{
    analyses, consents, contributions, decision_log, decisions, network_requests, photos, profiles,
    settings, shoots,
};
use crate::types::{
    ActionId, Consent, Contribution, Decision, DecisionChange, FileKey, MergedRecords,
    NetworkRequest, PhotoId, RequestId, RequestOutcome, ShootId, ShootInfo, StoredAnalysis,
    StoredPhoto,
};

/// The schema, one entry per file in `migrations/`. Append only: never edit a shipped entry.
const MIGRATION_LIST: &[M<'static>] = &[
    M::up(include_str!("../migrations/0001_init.sql")),
    M::up(include_str!("../migrations/0002_contributions.sql")),
    M::up(include_str!("../migrations/0003_profiles.sql")),
    M::up(include_str!("../migrations/0004_network_requests.sql")),
];

/// The migrations, applied in order and tracked in `PRAGMA user_version`.
pub const MIGRATIONS: Migrations<'static> = Migrations::from_slice(MIGRATION_LIST);

/// Newest schema version this build knows (`user_version` after all migrations).
const SCHEMA_VERSION: i64 = MIGRATION_LIST.len() as i64;

/// How long a handle waits for another handle's write transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// File name of the catalog inside the per-user data directory.
const CATALOG_FILE: &str = "catalog.sqlite";

/// Milliseconds since the Unix epoch (0 if the clock is before 1970).
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The bestpick catalog: shoots, photos, cached analyses, decisions and their history, and the
/// contributor's consents and contributions.
///
/// Open one per thread; several handles (also in several processes) may share a file.
#[derive(Debug)]
pub struct Catalog {
    conn: Connection,
    /// `None` for in-memory catalogs.
    path: Option<PathBuf>,
}

impl Catalog {
    /// Open (or create) the catalog at `path`, creating its parent directories and migrating it
    /// to the current schema.
    ///
    /// Fails with [`Error::NotACatalog`] if the file is not an SQLite database and with
    /// [`Error::CatalogTooNew`] if a newer bestpick wrote it.
    pub fn open(path: &Path) -> Result<Catalog> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| open_error(path, source))?;
        Self::init(conn, Some(path.to_path_buf()))
    }

    /// A private catalog in memory (tests, dry runs).
    pub fn open_in_memory() -> Result<Catalog> {
        let conn = Connection::open_in_memory()
            .map_err(|source| open_error(Path::new(":memory:"), source))?;
        Self::init(conn, None)
    }

    /// Where the catalog lives by default: `catalog.sqlite` in the per-user data directory
    /// (`~/.local/share/bestpick/` on Linux, `~/Library/Application Support/app.bestpick.bestpick/`
    /// on macOS, `%APPDATA%\bestpick\bestpick\data\` on Windows).
    pub fn default_path() -> Result<PathBuf> {
        directories::ProjectDirs::from("app", "bestpick", "bestpick")
            .map(|dirs| dirs.data_dir().join(CATALOG_FILE))
            .ok_or(Error::NoDataDir)
    }

    /// The catalog file, or `None` for an in-memory catalog.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<Catalog> {
        let shown = path.clone().unwrap_or_else(|| PathBuf::from(":memory:"));
        configure(&conn).map_err(|source| open_error(&shown, source))?;
        conn.set_transaction_behavior(TransactionBehavior::Immediate);

        let found: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|source| open_error(&shown, source))?;
        if found > SCHEMA_VERSION {
            return Err(Error::CatalogTooNew {
                path: shown,
                found,
                known: SCHEMA_VERSION,
            });
        }
        if found < SCHEMA_VERSION
            && let Err(source) = MIGRATIONS.to_latest(&mut conn)
        {
            // Two handles opening a fresh file race to migrate it; the loser's CREATE TABLE
            // fails after the winner committed. That is fine as long as the schema is current.
            let now: i64 = conn
                .pragma_query_value(None, "user_version", |row| row.get(0))
                .map_err(|source| open_error(&shown, source))?;
            if now != SCHEMA_VERSION {
                return Err(Error::Migrate {
                    path: shown,
                    source,
                });
            }
        }
        Ok(Catalog { conn, path })
    }

    // ---- shoots ----

    /// Get or create the shoot rooted at `root` (stored as given: the caller canonicalizes) and
    /// mark it as the most recently opened.
    pub fn shoot(&mut self, root: &Path) -> Result<ShootId> {
        let root = path_str(root)?;
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        let id = shoots::open(&tx, root, now_ms())?;
        tx.commit().ctx("committing a shoot")?;
        Ok(id)
    }

    /// The shoot rooted exactly at `root`, if any.
    pub fn find_shoot(&self, root: &Path) -> Result<Option<ShootId>> {
        shoots::find(&self.conn, path_str(root)?)
    }

    /// All shoots, most recently opened first.
    pub fn shoots(&self) -> Result<Vec<ShootInfo>> {
        shoots::list(&self.conn)
    }

    /// Delete a shoot with all its photos, analyses, decisions and history, in one transaction.
    pub fn forget_shoot(&mut self, shoot: ShootId) -> Result<()> {
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        if !shoots::delete(&tx, shoot)? {
            return Err(Error::UnknownShoot(shoot));
        }
        tx.commit().ctx("committing the removal of a shoot")
    }

    // ---- photos ----

    /// Record the files found in a shoot: new paths are inserted, known paths get their size and
    /// mtime updated. Returns the ids in input order. Decisions are untouched, and photos missing
    /// from `files` are kept (with their decisions).
    pub fn sync_photos(&mut self, shoot: ShootId, files: &[FileKey]) -> Result<Vec<PhotoId>> {
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        if !shoots::exists(&tx, shoot)? {
            return Err(Error::UnknownShoot(shoot));
        }
        // Only new and changed files are written: re-opening an unchanged shoot of 100 000
        // photos rewrote every row (a fifth of a second, and the whole table into the WAL).
        let known: HashMap<String, StoredPhoto> = photos::list(&tx, shoot)?
            .into_iter()
            .map(|p| (p.rel_path.clone(), p))
            .collect();
        let ids = files
            .iter()
            .map(|file| match known.get(&file.rel_path) {
                Some(p) if p.size == file.size && p.mtime_ns == file.mtime_ns => Ok(p.id),
                _ => photos::upsert(&tx, shoot, file),
            })
            .collect::<Result<Vec<_>>>()?;
        tx.commit().ctx("committing synced photos")?;
        Ok(ids)
    }

    /// Every photo of a shoot, ordered by path.
    pub fn photos(&self, shoot: ShootId) -> Result<Vec<StoredPhoto>> {
        photos::list(&self.conn, shoot)
    }

    /// The photo at `rel_path` in `shoot`.
    pub fn photo_by_path(&self, shoot: ShootId, rel_path: &str) -> Result<Option<PhotoId>> {
        photos::by_path(&self.conn, shoot, rel_path)
    }

    // ---- analyses ----

    /// Cached analyses of a shoot that are still valid: computed by analysis code `version` from
    /// a file whose size and mtime equal the photo's current ones.
    pub fn cached_analyses(
        &self,
        shoot: ShootId,
        version: u32,
    ) -> Result<HashMap<PhotoId, Vec<u8>>> {
        analyses::valid_for_shoot(&self.conn, shoot, version)
    }

    /// Store a batch of analyses in one transaction (all or nothing).
    pub fn store_analyses(&mut self, rows: &[StoredAnalysis]) -> Result<()> {
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        let now = now_ms();
        for row in rows {
            if photos::shoot_of(&tx, row.photo)?.is_none() {
                return Err(Error::UnknownPhoto(row.photo));
            }
            analyses::upsert(&tx, row, now)?;
        }
        tx.commit().ctx("committing analyses")
    }

    // ---- decisions ----

    /// Apply one change to a selection of photos of `shoot`, as one undoable action. The change
    /// is committed (and synced to disk) before this returns.
    ///
    /// Doing something new drops the redo history of the shoot.
    pub fn decide(
        &mut self,
        shoot: ShootId,
        photos: &[PhotoId],
        change: DecisionChange,
    ) -> Result<ActionId> {
        change.validate()?;
        let photos = dedup(photos);
        if photos.is_empty() {
            return Err(Error::EmptySelection);
        }
        let now = now_ms();
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        if !shoots::exists(&tx, shoot)? {
            return Err(Error::UnknownShoot(shoot));
        }
        for &photo in &photos {
            match photos::shoot_of(&tx, photo)? {
                None => return Err(Error::UnknownPhoto(photo)),
                Some(owner) if owner != shoot => {
                    return Err(Error::PhotoNotInShoot { photo, shoot });
                }
                Some(_) => {}
            }
        }
        decision_log::drop_undone(&tx, shoot)?;
        let action = decision_log::next_action_id(&tx)?;
        for &photo in &photos {
            let before = decisions::get(&tx, photo)?;
            let mut after = before.unwrap_or_default();
            change.apply(&mut after);
            after.updated_at_ms = now;
            decisions::put(&tx, photo, &after)?;
            let entry = LogEntry {
                photo,
                before: before.as_ref().map(LoggedDecision::of),
                after: LoggedDecision::of(&after),
            };
            decision_log::insert(&tx, shoot, action, &entry, now)?;
        }
        tx.commit().ctx("committing a decision")?;
        Ok(action)
    }

    /// Revert the newest action of `shoot` that is not undone yet. Returns the photos it touched,
    /// or `None` when there is nothing to undo.
    pub fn undo(&mut self, shoot: ShootId) -> Result<Option<Vec<PhotoId>>> {
        let now = now_ms();
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        let Some(action) = decision_log::newest_done(&tx, shoot)? else {
            return Ok(None);
        };
        let entries = decision_log::entries(&tx, action)?;
        for entry in entries.iter().rev() {
            match entry.before {
                Some(before) => decisions::put(&tx, entry.photo, &before.at(now))?,
                None => decisions::delete(&tx, entry.photo)?,
            }
        }
        decision_log::set_undone(&tx, action, true)?;
        tx.commit().ctx("committing an undo")?;
        Ok(Some(entries.iter().map(|e| e.photo).collect()))
    }

    /// Re-apply the most recently undone action of `shoot`. Returns the photos it touched, or
    /// `None` when there is nothing to redo.
    pub fn redo(&mut self, shoot: ShootId) -> Result<Option<Vec<PhotoId>>> {
        let now = now_ms();
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        let Some(action) = decision_log::oldest_undone(&tx, shoot)? else {
            return Ok(None);
        };
        let entries = decision_log::entries(&tx, action)?;
        for entry in &entries {
            decisions::put(&tx, entry.photo, &entry.after.at(now))?;
        }
        decision_log::set_undone(&tx, action, false)?;
        tx.commit().ctx("committing a redo")?;
        Ok(Some(entries.iter().map(|e| e.photo).collect()))
    }

    /// The decisions of a shoot. Photos never decided on are absent (their decision is
    /// [`Decision::default`]).
    pub fn decisions(&self, shoot: ShootId) -> Result<HashMap<PhotoId, Decision>> {
        decisions::for_shoot(&self.conn, shoot)
    }

    // ---- settings ----

    /// The setting stored under `key`.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        settings::get(&self.conn, key)
    }

    /// Store a setting.
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        settings::set(&tx, key, value)?;
        tx.commit().ctx("committing a setting")
    }

    // ---- culling profiles and what they learned (issue 12) ----

    /// The photographer's own profiles as `(name, toml)`, by name (the presets are built into
    /// the program, not stored).
    pub fn profiles(&self) -> Result<Vec<(String, String)>> {
        profiles::all(&self.conn)
    }

    /// The TOML of the stored profile `name`.
    pub fn profile(&self, name: &str) -> Result<Option<String>> {
        profiles::get(&self.conn, name)
    }

    /// Store profile `name` (its TOML), replacing it.
    pub fn save_profile(&mut self, name: &str, toml: &str) -> Result<()> {
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        profiles::put(&tx, name, toml, now_ms())?;
        tx.commit().ctx("committing a profile")
    }

    /// Delete profile `name` and everything it learned; whether it was stored.
    pub fn delete_profile(&mut self, name: &str) -> Result<bool> {
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        let existed = profiles::delete(&tx, name)?;
        profiles::forget_preferences(&tx, name)?;
        tx.commit().ctx("committing a profile deletion")?;
        Ok(existed)
    }

    /// Record what a decision on one group of `shoot` says for `profile` (JSON written and read
    /// by the caller), replacing an earlier decision on the same group.
    pub fn record_preference(
        &mut self,
        profile: &str,
        shoot: ShootId,
        group_key: &str,
        data_json: &str,
    ) -> Result<()> {
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        profiles::put_preference(&tx, profile, shoot, group_key, data_json, now_ms())?;
        tx.commit().ctx("committing a preference")
    }

    /// Forget the decision on one group (it was undone or cleared).
    pub fn remove_preference(
        &mut self,
        profile: &str,
        shoot: ShootId,
        group_key: &str,
    ) -> Result<()> {
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        profiles::delete_preference(&tx, profile, shoot, group_key)?;
        tx.commit().ctx("committing a preference removal")
    }

    /// What `profile` learned: one JSON record per decided group, oldest first.
    pub fn preferences(&self, profile: &str) -> Result<Vec<String>> {
        profiles::preferences(&self.conn, profile)
    }

    /// The decided groups of `shoot` that `profile` learned from, as `(group_key, json)`.
    pub fn shoot_preferences(
        &self,
        profile: &str,
        shoot: ShootId,
    ) -> Result<Vec<(String, String)>> {
        profiles::shoot_preferences(&self.conn, profile, shoot)
    }

    /// Forget everything `profile` learned; how many decided groups that was.
    pub fn forget_preferences(&mut self, profile: &str) -> Result<usize> {
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        let n = profiles::forget_preferences(&tx, profile)?;
        tx.commit().ctx("committing a profile reset")?;
        Ok(n)
    }

    // ---- consents and contributions (the contributor's own records, issue 5) ----

    /// Append a consent to the contribution terms.
    pub fn record_consent(&mut self, consent: &Consent) -> Result<()> {
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        consents::insert(&tx, consent)?;
        tx.commit().ctx("committing a consent")
    }

    /// Every consent, oldest first.
    pub fn consents(&self) -> Result<Vec<Consent>> {
        consents::list(&self.conn)
    }

    /// The newest consent that is not withdrawn.
    pub fn current_consent(&self) -> Result<Option<Consent>> {
        consents::current(&self.conn)
    }

    /// Mark every consent not withdrawn yet as withdrawn at `at_ms` (Unix ms). Returns how many
    /// were.
    pub fn withdraw_consents(&mut self, at_ms: i64) -> Result<usize> {
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        let withdrawn = consents::withdraw_all(&tx, at_ms)?;
        tx.commit().ctx("committing a withdrawal")?;
        Ok(withdrawn)
    }

    /// Insert a contribution, or replace the one with the same anonymous id (it keeps its place
    /// in [`Catalog::contributions`]).
    pub fn upsert_contribution(&mut self, record: &Contribution) -> Result<()> {
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        contributions::upsert(&tx, record)?;
        tx.commit().ctx("committing a contribution")
    }

    /// Every contribution, oldest first.
    pub fn contributions(&self) -> Result<Vec<Contribution>> {
        contributions::list(&self.conn)
    }

    /// Log a request the contribution client is about to make (its outcome still unknown).
    pub fn begin_request(&mut self, request: &NetworkRequest) -> Result<RequestId> {
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        let id = network_requests::insert(&tx, request)?;
        tx.commit().ctx("committing a network log entry")?;
        Ok(id)
    }

    /// Record how the logged request `id` ended.
    pub fn finish_request(&mut self, id: RequestId, outcome: &RequestOutcome) -> Result<()> {
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        network_requests::finish(&tx, id, outcome)?;
        tx.commit().ctx("committing a network log entry")
    }

    /// The network log, oldest first.
    pub fn network_requests(&self) -> Result<Vec<NetworkRequest>> {
        network_requests::list(&self.conn)
    }

    /// Add records kept elsewhere (an older ledger file) in one transaction, in the order given.
    ///
    /// Records the catalog already has win: a consent with the same terms version and
    /// acceptance time, or a contribution with the same anonymous id, is skipped. Merging the
    /// same records twice therefore adds nothing the second time.
    pub fn merge_contribution_records(
        &mut self,
        consents: &[Consent],
        contributions: &[Contribution],
    ) -> Result<MergedRecords> {
        let tx = self.conn.transaction().ctx("starting a transaction")?;
        let mut merged = MergedRecords::default();
        for consent in consents {
            merged.consents += usize::from(consents::insert_if_new(&tx, consent)?);
        }
        for record in contributions {
            merged.contributions += usize::from(contributions::insert_if_new(&tx, record)?);
        }
        tx.commit().ctx("committing merged contribution records")?;
        Ok(merged)
    }

    /// Run `PRAGMA integrity_check` and return its messages (`["ok"]` for a healthy file).
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .ctx("checking integrity")?;
        let rows = stmt
            .query_map([], |row| row.get::<_, String>(0))
            .ctx("checking integrity")?;
        rows.collect::<rusqlite::Result<_>>()
            .ctx("checking integrity")
    }
}

/// Per-connection settings. `busy_timeout` comes first so that switching to WAL waits for a lock
/// held by another handle instead of failing.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // WAL lets readers (the app's grid) run while a writer (the CLI's analysis) commits.
    // In-memory databases answer "memory" and stay that way, which is fine.
    let _mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // FULL: in WAL mode this syncs the log on every commit, so a decision survives power loss,
    // not only a crash of the process.
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// Classify an error seen while opening: a file that is not a database gets its own variant.
fn open_error(path: &Path, source: rusqlite::Error) -> Error {
    let path = path.to_path_buf();
    if source.sqlite_error_code() == Some(ErrorCode::NotADatabase) {
        Error::NotACatalog { path, source }
    } else {
        Error::Open { path, source }
    }
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str().ok_or_else(|| Error::NonUtf8Path {
        path: path.to_path_buf(),
    })
}

/// `photos` without repeats, first occurrence first.
fn dedup(photos: &[PhotoId]) -> Vec<PhotoId> {
    let mut seen = HashSet::new();
    photos.iter().copied().filter(|p| seen.insert(*p)).collect()
}

#[cfg(test)]
mod tests;
