//! The contributor's own records: consents and contributions.
//!
//! They live in the catalog database (tables `consents` and `contributions`): this module
//! defines the records and the [`Ledger`] trait, which `bestpick_catalog::Catalog` implements
//! (see [`import_json_ledger`] for bringing in a file written by earlier builds). It also has
//! [`JsonLedger`] (one JSON file: the format earlier builds kept beside the catalog, still read
//! by the import) and [`MemoryLedger`] for tests.
//! Nothing here is secret (no tokens: receipts live encrypted in the vault), and nothing is
//! ever sent.

mod catalog;

pub use catalog::{import_json_ledger, imported_path};

use std::path::{Path, PathBuf};

use bestpick_bundle::Buckets;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// One consent given (and possibly withdrawn later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    /// Terms version accepted.
    pub terms_version: u32,
    /// When (Unix seconds).
    pub accepted_at: i64,
    /// The contributor said they are 13–17 and a parent or guardian gave permission.
    pub minor_with_parental_permission: bool,
    /// Optional buckets given with this consent.
    pub buckets: Buckets,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<i64>,
}

/// Where a contribution stands, as far as the contributor knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContributionState {
    /// Built and staged locally, not yet confirmed by the collector.
    Staged,
    /// Confirmed by the collector.
    Received,
    /// Deleted at the collector on the contributor's request.
    Deleted,
    /// Never sent and removed locally (withdrawal, or 30 days in staging).
    Discarded,
}

/// One bundle the contributor built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributionRecord {
    /// The bundle's single-use anonymous id (key of the record).
    pub anonymous_id: String,
    /// Collector URL it was built for.
    pub collector: String,
    /// Collector-assigned id once received.
    pub bundle_id: Option<String>,
    /// Photos in the bundle.
    pub image_count: u32,
    /// When it was built (Unix seconds).
    pub created_at: i64,
    /// When the collector confirmed it.
    pub sent_at: Option<i64>,
    /// State.
    pub state: ContributionState,
    /// Datasets that used it, as last reported by the collector.
    pub datasets: Vec<String>,
    /// Last problem (failed upload, unreachable collector), for status.
    pub last_error: Option<String>,
}

/// Storage of consents and contributions. The catalog implements it over its tables.
///
/// Times are Unix seconds. Records come back in the order they were first stored.
pub trait Ledger {
    /// Appends a consent.
    fn record_consent(&mut self, consent: &ConsentRecord) -> Result<()>;
    /// Every consent, oldest first.
    fn consents(&self) -> Result<Vec<ConsentRecord>>;
    /// Marks every consent not yet withdrawn as withdrawn at `at`.
    fn withdraw_consents(&mut self, at: i64) -> Result<()>;
    /// Inserts or replaces the record with the same `anonymous_id`.
    fn upsert_contribution(&mut self, record: &ContributionRecord) -> Result<()>;
    /// Every contribution, oldest first.
    fn contributions(&self) -> Result<Vec<ContributionRecord>>;

    /// The newest consent that is not withdrawn.
    fn current_consent(&self) -> Result<Option<ConsentRecord>> {
        Ok(self
            .consents()?
            .into_iter()
            .rev()
            .find(|c| c.withdrawn_at.is_none()))
    }
}

/// Both lists, as stored by [`JsonLedger`] and exported by `export-ledger`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerData {
    /// Consents.
    pub consents: Vec<ConsentRecord>,
    /// Contributions.
    pub contributions: Vec<ContributionRecord>,
}

impl LedgerData {
    fn upsert(&mut self, record: &ContributionRecord) {
        match self
            .contributions
            .iter_mut()
            .find(|c| c.anonymous_id == record.anonymous_id)
        {
            Some(existing) => *existing = record.clone(),
            None => self.contributions.push(record.clone()),
        }
    }

    fn withdraw(&mut self, at: i64) {
        for c in &mut self.consents {
            c.withdrawn_at.get_or_insert(at);
        }
    }
}

/// A ledger held in memory (tests).
#[derive(Debug, Default)]
pub struct MemoryLedger {
    data: LedgerData,
}

impl Ledger for MemoryLedger {
    fn record_consent(&mut self, consent: &ConsentRecord) -> Result<()> {
        self.data.consents.push(consent.clone());
        Ok(())
    }
    fn consents(&self) -> Result<Vec<ConsentRecord>> {
        Ok(self.data.consents.clone())
    }
    fn withdraw_consents(&mut self, at: i64) -> Result<()> {
        self.data.withdraw(at);
        Ok(())
    }
    fn upsert_contribution(&mut self, record: &ContributionRecord) -> Result<()> {
        self.data.upsert(record);
        Ok(())
    }
    fn contributions(&self) -> Result<Vec<ContributionRecord>> {
        Ok(self.data.contributions.clone())
    }
}

/// A ledger in one JSON file, rewritten atomically on every change.
///
/// Earlier builds kept the ledger this way in `contributions/ledger.json` beside the catalog;
/// front ends now use the catalog and move such a file in with [`import_json_ledger`].
#[derive(Debug)]
pub struct JsonLedger {
    path: PathBuf,
    data: LedgerData,
}

/// The largest JSON ledger file read (a contributor's records are a few KB).
const MAX_JSON_LEDGER_BYTES: u64 = 64 * 1024 * 1024;

impl JsonLedger {
    /// Opens `path`, starting empty when it does not exist.
    pub fn open(path: &Path) -> Result<JsonLedger> {
        let data = match crate::fsutil::read_capped(path, MAX_JSON_LEDGER_BYTES) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(Error::json(format!("ledger {}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => LedgerData::default(),
            Err(e) => {
                return Err(Error::Io {
                    path: path.to_owned(),
                    source: e,
                });
            }
        };
        Ok(JsonLedger {
            path: path.to_owned(),
            data,
        })
    }

    fn save(&self) -> Result<()> {
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(Error::io(parent))?;
        }
        let bytes = serde_json::to_vec_pretty(&self.data).map_err(Error::json("ledger"))?;
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, bytes).map_err(Error::io(&tmp))?;
        std::fs::rename(&tmp, &self.path).map_err(Error::io(&self.path))
    }
}

impl Ledger for JsonLedger {
    fn record_consent(&mut self, consent: &ConsentRecord) -> Result<()> {
        self.data.consents.push(consent.clone());
        self.save()
    }
    fn consents(&self) -> Result<Vec<ConsentRecord>> {
        Ok(self.data.consents.clone())
    }
    fn withdraw_consents(&mut self, at: i64) -> Result<()> {
        self.data.withdraw(at);
        self.save()
    }
    fn upsert_contribution(&mut self, record: &ContributionRecord) -> Result<()> {
        self.data.upsert(record);
        self.save()
    }
    fn contributions(&self) -> Result<Vec<ContributionRecord>> {
        Ok(self.data.contributions.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consent(at: i64) -> ConsentRecord {
        ConsentRecord {
            terms_version: 1,
            accepted_at: at,
            minor_with_parental_permission: false,
            buckets: Buckets::default(),
            withdrawn_at: None,
        }
    }

    fn contribution(id: &str, state: ContributionState) -> ContributionRecord {
        ContributionRecord {
            anonymous_id: id.into(),
            collector: "http://127.0.0.1:1".into(),
            bundle_id: None,
            image_count: 3,
            created_at: 10,
            sent_at: None,
            state,
            datasets: vec![],
            last_error: None,
        }
    }

    #[test]
    fn json_ledger_persists_and_upserts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        {
            let mut l = JsonLedger::open(&path).unwrap();
            assert_eq!(l.current_consent().unwrap(), None, "off by default");
            l.record_consent(&consent(1)).unwrap();
            l.upsert_contribution(&contribution("a", ContributionState::Staged))
                .unwrap();
            l.upsert_contribution(&contribution("a", ContributionState::Received))
                .unwrap();
            l.upsert_contribution(&contribution("b", ContributionState::Staged))
                .unwrap();
        }
        let mut l = JsonLedger::open(&path).unwrap();
        assert_eq!(
            l.current_consent().unwrap().unwrap().accepted_at,
            1,
            "consent kept"
        );
        let c = l.contributions().unwrap();
        assert_eq!(c.len(), 2, "upsert by anonymous id");
        assert_eq!(c[0].state, ContributionState::Received, "replaced in place");
        l.withdraw_consents(5).unwrap();
        assert_eq!(l.current_consent().unwrap(), None, "withdrawn");
        assert_eq!(
            l.consents().unwrap()[0].withdrawn_at,
            Some(5),
            "withdrawal time kept"
        );
    }
}
