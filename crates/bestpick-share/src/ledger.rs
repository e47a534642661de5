//! The contributor's own records: consents and contributions.
//!
//! The records are the catalog's ([`Consent`], [`Contribution`], [`ContributionState`]; times
//! in Unix milliseconds), kept in its tables `consents` and `contributions`: this module has
//! the [`Ledger`] trait, which `bestpick_catalog::Catalog` implements (see
//! [`import_json_ledger`] for bringing in a file written by earlier builds), [`MemoryLedger`]
//! for tests, and in [`json`] the JSON form of the records (the file earlier builds kept beside
//! the catalog, still read by the import, and what `export-ledger` writes).
//! Nothing here is secret (no tokens: receipts live encrypted in the vault), and nothing is
//! ever sent.
//!
//! The ledger also keeps the network log ([`RequestLog`]): every request the collector client
//! made, written at its one chokepoint before the request leaves and completed when it ends.

mod catalog;
pub mod json;

pub use bestpick_catalog::{
    Consent, Contribution, ContributionState, NetworkRequest, RequestId, RequestOutcome,
};
pub use catalog::{import_json_ledger, imported_path};
pub use json::JsonLedger;

use bestpick_bundle::Buckets;

use crate::{Error, Result};

/// The network log: every request the collector client makes is written here before it
/// leaves ([`RequestLog::begin_request`]) and completed when it ends, failed or not. The
/// client makes no request it could not log.
pub trait RequestLog {
    /// Logs a request about to be made; returns its id for [`RequestLog::finish_request`].
    fn begin_request(&mut self, request: &NetworkRequest) -> Result<RequestId>;
    /// Records how request `id` ended.
    fn finish_request(&mut self, id: RequestId, outcome: &RequestOutcome) -> Result<()>;
    /// Every request, oldest first.
    fn network_requests(&self) -> Result<Vec<NetworkRequest>>;
}

/// Storage of consents and contributions (and the network log). The catalog implements it
/// over its tables.
///
/// Times are Unix milliseconds. Records come back in the order they were first stored.
pub trait Ledger: RequestLog {
    /// Appends a consent.
    fn record_consent(&mut self, consent: &Consent) -> Result<()>;
    /// Every consent, oldest first.
    fn consents(&self) -> Result<Vec<Consent>>;
    /// Marks every consent not yet withdrawn as withdrawn at `at_ms`.
    fn withdraw_consents(&mut self, at_ms: i64) -> Result<()>;
    /// Inserts or replaces the record with the same `anonymous_id`.
    fn upsert_contribution(&mut self, record: &Contribution) -> Result<()>;
    /// Every contribution, oldest first.
    fn contributions(&self) -> Result<Vec<Contribution>>;

    /// The newest consent that is not withdrawn.
    fn current_consent(&self) -> Result<Option<Consent>> {
        Ok(self
            .consents()?
            .into_iter()
            .rev()
            .find(|c| c.withdrawn_at_ms.is_none()))
    }
}

/// The buckets given with `consent` (the record keeps them as JSON).
pub fn buckets(consent: &Consent) -> Result<Buckets> {
    serde_json::from_str(&consent.buckets_json).map_err(Error::json("consent buckets"))
}

/// `buckets` as a consent record keeps them.
pub fn buckets_json(buckets: &Buckets) -> Result<String> {
    serde_json::to_string(buckets).map_err(Error::json("consent buckets"))
}

/// A time in Unix seconds (the contribution clock's, the vault's, a JSON ledger's) as the
/// ledger keeps it, in milliseconds; an error when it is out of range.
pub fn secs_to_ms(secs: i64) -> Result<i64> {
    secs.checked_mul(1000)
        .ok_or_else(|| Error::Ledger(format!("time {secs} s is out of range")))
}

/// A ledger time (Unix ms) in whole Unix seconds, rounded down.
pub fn ms_to_secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// Both lists: what [`JsonLedger`] stores and `export-ledger` writes (in the JSON form of
/// [`json`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerData {
    /// Consents.
    pub consents: Vec<Consent>,
    /// Contributions.
    pub contributions: Vec<Contribution>,
}

impl LedgerData {
    fn upsert(&mut self, record: &Contribution) {
        match self
            .contributions
            .iter_mut()
            .find(|c| c.anonymous_id == record.anonymous_id)
        {
            Some(existing) => *existing = record.clone(),
            None => self.contributions.push(record.clone()),
        }
    }

    fn withdraw(&mut self, at_ms: i64) {
        for c in &mut self.consents {
            c.withdrawn_at_ms.get_or_insert(at_ms);
        }
    }
}

/// A ledger held in memory (tests).
#[derive(Debug, Default)]
pub struct MemoryLedger {
    data: LedgerData,
    requests: Vec<NetworkRequest>,
}

impl RequestLog for MemoryLedger {
    fn begin_request(&mut self, request: &NetworkRequest) -> Result<RequestId> {
        self.requests.push(request.clone());
        let id = i64::try_from(self.requests.len())
            .map_err(|_| Error::Ledger("too many requests".into()))?;
        Ok(RequestId(id))
    }
    fn finish_request(&mut self, id: RequestId, outcome: &RequestOutcome) -> Result<()> {
        let entry = usize::try_from(id.0 - 1)
            .ok()
            .and_then(|i| self.requests.get_mut(i))
            .ok_or_else(|| Error::Ledger(format!("no logged request {}", id.0)))?;
        entry.outcome = Some(outcome.clone());
        Ok(())
    }
    fn network_requests(&self) -> Result<Vec<NetworkRequest>> {
        Ok(self.requests.clone())
    }
}

impl Ledger for MemoryLedger {
    fn record_consent(&mut self, consent: &Consent) -> Result<()> {
        self.data.consents.push(consent.clone());
        Ok(())
    }
    fn consents(&self) -> Result<Vec<Consent>> {
        Ok(self.data.consents.clone())
    }
    fn withdraw_consents(&mut self, at_ms: i64) -> Result<()> {
        self.data.withdraw(at_ms);
        Ok(())
    }
    fn upsert_contribution(&mut self, record: &Contribution) -> Result<()> {
        self.data.upsert(record);
        Ok(())
    }
    fn contributions(&self) -> Result<Vec<Contribution>> {
        Ok(self.data.contributions.clone())
    }
}

/// Records the ledger's tests share (catalog and JSON ledger alike).
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// Times in seconds that convert to milliseconds exactly (`true`) or not at all.
    pub(crate) const TIME_CASES: [(&str, i64, bool); 6] = [
        ("epoch", 0, true),
        ("now-ish", 1_700_000_000, true),
        ("before 1970", -86_400, true),
        ("largest representable", i64::MAX / 1000, true),
        ("too large", i64::MAX / 1000 + 1, false),
        ("too small", i64::MIN / 1000 - 1, false),
    ];

    pub(crate) fn consent(at_ms: i64) -> Consent {
        Consent {
            terms_version: 1,
            accepted_at_ms: at_ms,
            minor_with_parental_permission: false,
            buckets_json: buckets_json(&Buckets::default()).unwrap(),
            withdrawn_at_ms: None,
        }
    }

    pub(crate) fn contribution(id: &str, state: ContributionState) -> Contribution {
        Contribution {
            anonymous_id: id.into(),
            collector: "http://127.0.0.1:1".into(),
            bundle_id: None,
            image_count: 3,
            created_at_ms: 10_000,
            sent_at_ms: None,
            state,
            datasets: vec![],
            last_error: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_convert_exactly_or_fail() {
        for (name, secs, ok) in fixtures::TIME_CASES {
            let result = secs_to_ms(secs);
            assert_eq!(result.is_ok(), ok, "case {name}: {result:?}");
            match result {
                Ok(ms) => assert_eq!(ms_to_secs(ms), secs, "case {name}: round trip"),
                Err(e) => assert!(matches!(e, Error::Ledger(_)), "case {name}: {e:?}"),
            }
        }
    }

    #[test]
    fn buckets_round_trip_through_the_record() {
        use bestpick_bundle::{AgeDecade, Gender, SkinType};
        let cases = [
            ("blank", Buckets::default()),
            (
                "all given",
                Buckets {
                    age_decade: AgeDecade::new(30),
                    gender: Some(Gender::NonBinary),
                    skin_type: Some(SkinType::IV),
                },
            ),
        ];
        for (name, given) in cases {
            let consent = Consent {
                terms_version: 1,
                accepted_at_ms: 0,
                minor_with_parental_permission: false,
                buckets_json: buckets_json(&given).unwrap(),
                withdrawn_at_ms: None,
            };
            assert_eq!(buckets(&consent).unwrap(), given, "case {name}");
        }
        let broken = Consent {
            terms_version: 1,
            accepted_at_ms: 0,
            minor_with_parental_permission: false,
            buckets_json: "not json".into(),
            withdrawn_at_ms: None,
        };
        assert!(
            matches!(buckets(&broken), Err(Error::Json { .. })),
            "unreadable buckets are an error"
        );
    }
}
