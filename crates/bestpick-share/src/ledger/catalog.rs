//! The ledger kept in the catalog database (tables `consents` and `contributions`), and the
//! one-time import of a JSON ledger file written by earlier builds.
//!
//! The records are the catalog's own, so the catalog's methods answer as they are.

use std::path::{Path, PathBuf};

use bestpick_catalog::{
    Catalog, Consent, Contribution, MergedRecords, NetworkRequest, RequestId, RequestOutcome,
};

use super::{JsonLedger, Ledger, RequestLog};
use crate::{Error, Result};

impl RequestLog for Catalog {
    fn begin_request(&mut self, request: &NetworkRequest) -> Result<RequestId> {
        Ok(Catalog::begin_request(self, request)?)
    }

    fn finish_request(&mut self, id: RequestId, outcome: &RequestOutcome) -> Result<()> {
        Ok(Catalog::finish_request(self, id, outcome)?)
    }

    fn network_requests(&self) -> Result<Vec<NetworkRequest>> {
        Ok(Catalog::network_requests(self)?)
    }
}

impl Ledger for Catalog {
    fn record_consent(&mut self, consent: &Consent) -> Result<()> {
        Ok(Catalog::record_consent(self, consent)?)
    }

    fn consents(&self) -> Result<Vec<Consent>> {
        Ok(Catalog::consents(self)?)
    }

    fn withdraw_consents(&mut self, at_ms: i64) -> Result<()> {
        Catalog::withdraw_consents(self, at_ms)?;
        Ok(())
    }

    fn upsert_contribution(&mut self, record: &Contribution) -> Result<()> {
        Ok(Catalog::upsert_contribution(self, record)?)
    }

    fn contributions(&self) -> Result<Vec<Contribution>> {
        Ok(Catalog::contributions(self)?)
    }

    fn current_consent(&self) -> Result<Option<Consent>> {
        Ok(Catalog::current_consent(self)?)
    }
}

/// Moves the records of a JSON ledger file (`contributions/ledger.json`, written by builds
/// that did not keep the ledger in the catalog) into `catalog`, so a contributor who already
/// consented keeps their consents and contributions.
///
/// Returns `None` when there is no such file. Otherwise the records are merged in one
/// transaction (records the catalog already has win, so a repeated import adds nothing) and
/// the file is then renamed to `<name>.imported`, which makes this a one-time step. A file
/// that cannot be read or parsed is left where it is and the catalog is not changed.
pub fn import_json_ledger(catalog: &mut Catalog, path: &Path) -> Result<Option<MergedRecords>> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::Io {
                path: path.to_owned(),
                source: e,
            });
        }
    }
    let json = JsonLedger::open(path)?;
    let merged = catalog.merge_contribution_records(&json.consents()?, &json.contributions()?)?;
    let done = imported_path(path);
    std::fs::rename(path, &done).map_err(Error::io(path))?;
    Ok(Some(merged))
}

/// Where [`import_json_ledger`] moves an imported file: `ledger.json` → `ledger.json.imported`.
pub fn imported_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".imported");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use bestpick_bundle::{AgeDecade, Buckets, Gender, SkinType};

    use super::super::{ContributionState, LedgerData, MemoryLedger, buckets_json};
    use super::*;
    use crate::ledger::fixtures::{consent, contribution};

    /// The same steps the contribution flow takes, on any ledger; returns what it holds after
    /// each step.
    fn script(ledger: &mut dyn Ledger) -> Vec<(Option<Consent>, LedgerData)> {
        let mut snapshots = Vec::new();
        let snap = |l: &dyn Ledger| {
            (
                l.current_consent().unwrap(),
                LedgerData {
                    consents: l.consents().unwrap(),
                    contributions: l.contributions().unwrap(),
                },
            )
        };
        snapshots.push(snap(ledger));
        ledger
            .record_consent(&Consent {
                minor_with_parental_permission: true,
                buckets_json: buckets_json(&Buckets {
                    age_decade: AgeDecade::new(10),
                    gender: Some(Gender::NonBinary),
                    skin_type: Some(SkinType::IV),
                })
                .unwrap(),
                ..consent(1_700_000_000_000)
            })
            .unwrap();
        snapshots.push(snap(ledger));
        ledger
            .upsert_contribution(&contribution("a", ContributionState::Staged))
            .unwrap();
        ledger
            .upsert_contribution(&contribution("b", ContributionState::Staged))
            .unwrap();
        snapshots.push(snap(ledger));
        ledger
            .upsert_contribution(&Contribution {
                bundle_id: Some("bundle-a".into()),
                sent_at_ms: Some(1_700_000_100_000),
                datasets: vec!["2025-q1".into()],
                ..contribution("a", ContributionState::Received)
            })
            .unwrap();
        ledger
            .upsert_contribution(&Contribution {
                last_error: Some("not sent within 30 days; deleted locally".into()),
                ..contribution("b", ContributionState::Discarded)
            })
            .unwrap();
        snapshots.push(snap(ledger));
        ledger.withdraw_consents(1_700_000_200_000).unwrap();
        snapshots.push(snap(ledger));
        ledger.record_consent(&consent(1_700_000_300_000)).unwrap();
        ledger
            .upsert_contribution(&contribution("a", ContributionState::Deleted))
            .unwrap();
        snapshots.push(snap(ledger));
        snapshots
    }

    #[test]
    fn catalog_ledger_behaves_like_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let expected = script(&mut MemoryLedger::default());
        assert_eq!(expected[0].0, None, "off by default");
        assert_eq!(expected[4].0, None, "withdrawn");
        assert_eq!(
            expected[5].0.as_ref().map(|c| c.accepted_at_ms),
            Some(1_700_000_300_000),
            "consent again"
        );

        let mut json = JsonLedger::open(&dir.path().join("ledger.json")).unwrap();
        let mut file_catalog = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
        let cases: [(&str, &mut dyn Ledger); 3] = [
            ("json file", &mut json),
            ("catalog in memory", &mut Catalog::open_in_memory().unwrap()),
            ("catalog file", &mut file_catalog),
        ];
        for (name, ledger) in cases {
            let got = script(ledger);
            for (step, (got, expected)) in got.iter().zip(&expected).enumerate() {
                assert_eq!(got, expected, "case {name}, step {step}");
            }
        }
        drop(file_catalog);
        let reopened = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
        let last = &expected[expected.len() - 1];
        assert_eq!(
            (
                Ledger::current_consent(&reopened).unwrap(),
                Ledger::consents(&reopened).unwrap(),
                Ledger::contributions(&reopened).unwrap()
            ),
            (
                last.0.clone(),
                last.1.consents.clone(),
                last.1.contributions.clone()
            ),
            "kept on disk"
        );
    }

    fn write_json_ledger(path: &Path, data: &LedgerData) {
        std::fs::write(path, serde_json::to_vec_pretty(data).unwrap()).unwrap();
    }

    #[test]
    fn a_json_ledger_is_imported_once() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("contributions/ledger.json");
        std::fs::create_dir_all(json.parent().unwrap()).unwrap();
        let mut catalog = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();

        assert_eq!(
            import_json_ledger(&mut catalog, &json).unwrap(),
            None,
            "no file: nothing to do"
        );

        let data = LedgerData {
            consents: vec![
                Consent {
                    withdrawn_at_ms: Some(50_000),
                    ..consent(10_000)
                },
                consent(100_000),
            ],
            contributions: vec![
                Contribution {
                    bundle_id: Some("bundle-a".into()),
                    sent_at_ms: Some(20_000),
                    ..contribution("a", ContributionState::Received)
                },
                contribution("b", ContributionState::Staged),
            ],
        };
        write_json_ledger(&json, &data);
        let merged = import_json_ledger(&mut catalog, &json).unwrap();
        assert_eq!(
            merged,
            Some(MergedRecords {
                consents: 2,
                contributions: 2
            }),
            "every record imported"
        );
        assert!(!json.exists(), "the file is moved aside");
        assert!(imported_path(&json).exists(), "to ledger.json.imported");
        assert_eq!(
            Ledger::consents(&catalog).unwrap(),
            data.consents,
            "consents"
        );
        assert_eq!(
            Ledger::contributions(&catalog).unwrap(),
            data.contributions,
            "contributions"
        );
        assert_eq!(
            Ledger::current_consent(&catalog).unwrap(),
            Some(consent(100_000)),
            "the contributor is still opted in"
        );
        assert_eq!(
            import_json_ledger(&mut catalog, &json).unwrap(),
            None,
            "one time only"
        );

        // The same file again (a crash between the commit and the rename): nothing doubles,
        // and what the catalog learnt since wins.
        Ledger::upsert_contribution(
            &mut catalog,
            &contribution("b", ContributionState::Discarded),
        )
        .unwrap();
        write_json_ledger(&json, &data);
        assert_eq!(
            import_json_ledger(&mut catalog, &json).unwrap(),
            Some(MergedRecords::default()),
            "nothing new"
        );
        assert_eq!(Ledger::consents(&catalog).unwrap().len(), 2, "no doubles");
        assert_eq!(
            Ledger::contributions(&catalog).unwrap()[1].state,
            ContributionState::Discarded,
            "catalog wins"
        );
    }

    #[test]
    fn an_unreadable_json_ledger_is_left_alone() {
        let cases = [
            ("not JSON", "consents: yes".to_owned()),
            ("truncated", "{\"consents\": [".to_owned()),
            (
                "time out of range",
                format!(
                    "{{\"consents\": [{{\"terms_version\": 1, \"accepted_at\": {}, \
                     \"minor_with_parental_permission\": false, \"buckets\": {{}}, \
                     \"withdrawn_at\": null}}], \"contributions\": []}}",
                    i64::MAX
                ),
            ),
        ];
        for (name, text) in cases {
            let dir = tempfile::tempdir().unwrap();
            let json = dir.path().join("ledger.json");
            std::fs::write(&json, &text).unwrap();
            let mut catalog = Catalog::open_in_memory().unwrap();
            assert!(
                import_json_ledger(&mut catalog, &json).is_err(),
                "case {name}: error"
            );
            assert_eq!(
                std::fs::read_to_string(&json).unwrap(),
                text,
                "case {name}: file untouched"
            );
            assert_eq!(
                (
                    Ledger::consents(&catalog).unwrap().len(),
                    Ledger::contributions(&catalog).unwrap().len()
                ),
                (0, 0),
                "case {name}: catalog unchanged"
            );
        }
    }

    #[test]
    fn imported_path_appends_a_suffix() {
        let cases = [
            (
                "/x/contributions/ledger.json",
                "/x/contributions/ledger.json.imported",
            ),
            ("ledger", "ledger.imported"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                imported_path(Path::new(input)),
                PathBuf::from(expected),
                "case {input}"
            );
        }
    }
}
