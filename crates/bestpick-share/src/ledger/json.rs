//! The JSON form of the ledger: the file earlier builds kept beside the catalog
//! (`contributions/ledger.json`, still read by [`super::import_json_ledger`]), and what
//! `export-ledger` and `status --json` print. Times are Unix seconds there and the consent's
//! buckets an object; the records ([`Consent`], [`Contribution`]) count milliseconds and keep
//! the buckets as JSON text, so the form is written out here, once, with the conversions both
//! ways. Its state names are the catalog's (`staged`, `received`, …).

use std::path::{Path, PathBuf};

use bestpick_bundle::Buckets;
use serde::{Serialize, Serializer};

use super::{
    Consent, Contribution, ContributionState, Ledger, LedgerData, NetworkRequest, RequestId,
    RequestLog, RequestOutcome, buckets, buckets_json, ms_to_secs, secs_to_ms,
};
use crate::{Error, Result};

/// A consent in the JSON form.
#[derive(Debug, Serialize, serde::Deserialize)]
struct ConsentForm {
    terms_version: u32,
    accepted_at: i64,
    minor_with_parental_permission: bool,
    buckets: Buckets,
    withdrawn_at: Option<i64>,
}

/// A contribution in the JSON form.
#[derive(Debug, Serialize, serde::Deserialize)]
struct ContributionForm {
    anonymous_id: String,
    collector: String,
    bundle_id: Option<String>,
    image_count: u32,
    created_at: i64,
    sent_at: Option<i64>,
    state: ContributionState,
    datasets: Vec<String>,
    last_error: Option<String>,
}

/// Both lists in the JSON form.
#[derive(Debug, Default, Serialize, serde::Deserialize)]
struct LedgerForm {
    consents: Vec<ConsentForm>,
    contributions: Vec<ContributionForm>,
}

impl ConsentForm {
    fn of(c: &Consent) -> Result<ConsentForm> {
        Ok(ConsentForm {
            terms_version: c.terms_version,
            accepted_at: ms_to_secs(c.accepted_at_ms),
            minor_with_parental_permission: c.minor_with_parental_permission,
            buckets: buckets(c)?,
            withdrawn_at: c.withdrawn_at_ms.map(ms_to_secs),
        })
    }

    fn record(self) -> Result<Consent> {
        Ok(Consent {
            terms_version: self.terms_version,
            accepted_at_ms: secs_to_ms(self.accepted_at)?,
            minor_with_parental_permission: self.minor_with_parental_permission,
            buckets_json: buckets_json(&self.buckets)?,
            withdrawn_at_ms: self.withdrawn_at.map(secs_to_ms).transpose()?,
        })
    }
}

impl ContributionForm {
    fn of(c: &Contribution) -> ContributionForm {
        ContributionForm {
            anonymous_id: c.anonymous_id.clone(),
            collector: c.collector.clone(),
            bundle_id: c.bundle_id.clone(),
            image_count: c.image_count,
            created_at: ms_to_secs(c.created_at_ms),
            sent_at: c.sent_at_ms.map(ms_to_secs),
            state: c.state,
            datasets: c.datasets.clone(),
            last_error: c.last_error.clone(),
        }
    }

    fn record(self) -> Result<Contribution> {
        Ok(Contribution {
            anonymous_id: self.anonymous_id,
            collector: self.collector,
            bundle_id: self.bundle_id,
            image_count: self.image_count,
            created_at_ms: secs_to_ms(self.created_at)?,
            sent_at_ms: self.sent_at.map(secs_to_ms).transpose()?,
            state: self.state,
            datasets: self.datasets,
            last_error: self.last_error,
        })
    }
}

impl LedgerForm {
    fn of(data: &LedgerData) -> Result<LedgerForm> {
        Ok(LedgerForm {
            consents: data
                .consents
                .iter()
                .map(ConsentForm::of)
                .collect::<Result<_>>()?,
            contributions: data
                .contributions
                .iter()
                .map(ContributionForm::of)
                .collect(),
        })
    }

    fn records(self) -> Result<LedgerData> {
        Ok(LedgerData {
            consents: self
                .consents
                .into_iter()
                .map(ConsentForm::record)
                .collect::<Result<_>>()?,
            contributions: self
                .contributions
                .into_iter()
                .map(ContributionForm::record)
                .collect::<Result<_>>()?,
        })
    }
}

/// Serialized in the JSON form (times in seconds, buckets as an object).
impl Serialize for LedgerData {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        LedgerForm::of(self)
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

/// A consent in the JSON form.
pub fn consent(c: &Consent) -> Result<serde_json::Value> {
    serde_json::to_value(ConsentForm::of(c)?).map_err(Error::json("consent"))
}

/// A contribution in the JSON form.
pub fn contribution(c: &Contribution) -> Result<serde_json::Value> {
    serde_json::to_value(ContributionForm::of(c)).map_err(Error::json("contribution"))
}

/// A ledger in one JSON file, rewritten atomically on every change.
///
/// Earlier builds kept the ledger this way in `contributions/ledger.json` beside the catalog;
/// front ends now use the catalog and move such a file in with
/// [`super::import_json_ledger`].
#[derive(Debug)]
pub struct JsonLedger {
    path: PathBuf,
    data: LedgerData,
}

/// The largest JSON ledger file read (a contributor's records are a few KB).
const MAX_JSON_LEDGER_BYTES: u64 = 64 * 1024 * 1024;

impl JsonLedger {
    /// Opens `path`, starting empty when it does not exist. A time out of range is
    /// [`Error::Ledger`].
    pub fn open(path: &Path) -> Result<JsonLedger> {
        let form: LedgerForm = match crate::fsutil::read_capped(path, MAX_JSON_LEDGER_BYTES) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(Error::json(format!("ledger {}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => LedgerForm::default(),
            Err(e) => {
                return Err(Error::Io {
                    path: path.to_owned(),
                    source: e,
                });
            }
        };
        Ok(JsonLedger {
            path: path.to_owned(),
            data: form.records()?,
        })
    }

    fn save(&self) -> Result<()> {
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(Error::io(parent))?;
        }
        let bytes = serde_json::to_vec_pretty(&LedgerForm::of(&self.data)?)
            .map_err(Error::json("ledger"))?;
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, bytes).map_err(Error::io(&tmp))?;
        std::fs::rename(&tmp, &self.path).map_err(Error::io(&self.path))
    }
}

/// The JSON file of earlier builds never kept a network log: a contributor over it makes no
/// request (the collector client refuses to send what it cannot log).
impl RequestLog for JsonLedger {
    fn begin_request(&mut self, _request: &NetworkRequest) -> Result<RequestId> {
        Err(Error::Ledger(
            "the JSON ledger keeps no network log; open the catalog".into(),
        ))
    }
    fn finish_request(&mut self, _id: RequestId, _outcome: &RequestOutcome) -> Result<()> {
        Err(Error::Ledger(
            "the JSON ledger keeps no network log; open the catalog".into(),
        ))
    }
    fn network_requests(&self) -> Result<Vec<NetworkRequest>> {
        Ok(Vec::new())
    }
}

impl Ledger for JsonLedger {
    fn record_consent(&mut self, consent: &Consent) -> Result<()> {
        self.data.consents.push(consent.clone());
        self.save()
    }
    fn consents(&self) -> Result<Vec<Consent>> {
        Ok(self.data.consents.clone())
    }
    fn withdraw_consents(&mut self, at_ms: i64) -> Result<()> {
        self.data.withdraw(at_ms);
        self.save()
    }
    fn upsert_contribution(&mut self, record: &Contribution) -> Result<()> {
        self.data.upsert(record);
        self.save()
    }
    fn contributions(&self) -> Result<Vec<Contribution>> {
        Ok(self.data.contributions.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::fixtures::{consent, contribution};

    #[test]
    fn json_ledger_persists_and_upserts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        {
            let mut l = JsonLedger::open(&path).unwrap();
            assert_eq!(l.current_consent().unwrap(), None, "off by default");
            l.record_consent(&consent(1_000)).unwrap();
            l.upsert_contribution(&contribution("a", ContributionState::Staged))
                .unwrap();
            l.upsert_contribution(&contribution("a", ContributionState::Received))
                .unwrap();
            l.upsert_contribution(&contribution("b", ContributionState::Staged))
                .unwrap();
        }
        let mut l = JsonLedger::open(&path).unwrap();
        assert_eq!(
            l.current_consent().unwrap().unwrap().accepted_at_ms,
            1_000,
            "consent kept"
        );
        let c = l.contributions().unwrap();
        assert_eq!(c.len(), 2, "upsert by anonymous id");
        assert_eq!(c[0].state, ContributionState::Received, "replaced in place");
        l.withdraw_consents(5_000).unwrap();
        assert_eq!(l.current_consent().unwrap(), None, "withdrawn");
        assert_eq!(
            l.consents().unwrap()[0].withdrawn_at_ms,
            Some(5_000),
            "withdrawal time kept"
        );
    }

    /// The file of an earlier build, as it wrote it: seconds, buckets as an object, and its
    /// state names (kebab-case then: the same words as the catalog's).
    #[test]
    fn a_file_of_an_earlier_build_reads() {
        let states = ["staged", "received", "deleted", "discarded"];
        let contributions: Vec<String> = states
            .iter()
            .enumerate()
            .map(|(i, state)| {
                format!(
                    r#"{{"anonymous_id": "id{i}", "collector": "http://127.0.0.1:9",
                    "bundle_id": null, "image_count": 2, "created_at": 1700000100,
                    "sent_at": 1700000200, "state": "{state}", "datasets": ["d"],
                    "last_error": null}}"#
                )
            })
            .collect();
        let text = format!(
            r#"{{"consents": [{{"terms_version": 1, "accepted_at": 1700000000,
            "minor_with_parental_permission": true, "buckets": {{"age_decade": "30-39"}},
            "withdrawn_at": 1700000050}}], "contributions": [{}]}}"#,
            contributions.join(", ")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.json");
        std::fs::write(&path, text).unwrap();
        let l = JsonLedger::open(&path).unwrap();
        let consents = l.consents().unwrap();
        assert_eq!(
            (
                consents[0].accepted_at_ms,
                consents[0].withdrawn_at_ms,
                consents[0].minor_with_parental_permission
            ),
            (1_700_000_000_000, Some(1_700_000_050_000), true),
            "consent times in ms"
        );
        assert_eq!(
            buckets(&consents[0]).unwrap().age_decade.map(|d| d.start()),
            Some(30),
            "buckets kept"
        );
        let got: Vec<ContributionState> =
            l.contributions().unwrap().iter().map(|c| c.state).collect();
        assert_eq!(got, ContributionState::ALL, "every state name reads");
        for c in l.contributions().unwrap() {
            assert_eq!(
                (c.created_at_ms, c.sent_at_ms),
                (1_700_000_100_000, Some(1_700_000_200_000)),
                "case {}: times in ms",
                c.anonymous_id
            );
        }
    }

    /// Times in a JSON file convert exactly both ways, or the file is refused with
    /// [`Error::Ledger`].
    #[test]
    fn file_times_convert_exactly_or_fail() {
        for (name, at, ok) in crate::ledger::fixtures::TIME_CASES {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("ledger.json");
            let text = format!(
                r#"{{"consents": [], "contributions": [{{"anonymous_id": "t",
                "collector": "http://127.0.0.1:1", "bundle_id": null, "image_count": 3,
                "created_at": 10, "sent_at": {at}, "state": "received", "datasets": [],
                "last_error": null}}]}}"#
            );
            std::fs::write(&path, text).unwrap();
            let result = JsonLedger::open(&path);
            assert_eq!(result.is_ok(), ok, "case {name}: {result:?}");
            let mut l = match result {
                Ok(l) => l,
                Err(e) => {
                    assert!(matches!(e, Error::Ledger(_)), "case {name}: {e:?}");
                    continue;
                }
            };
            let record = l.contributions().unwrap()[0].clone();
            assert_eq!(record.sent_at_ms, Some(at * 1000), "case {name}: in ms");
            l.upsert_contribution(&record).unwrap();
            let written: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            assert_eq!(
                written["contributions"][0]["sent_at"], at,
                "case {name}: written back in seconds"
            );
            assert_eq!(
                JsonLedger::open(&path).unwrap().contributions().unwrap(),
                vec![record],
                "case {name}: round trip"
            );
        }
    }
}
