//! The ledger kept in the catalog database (tables `consents` and `contributions`), and the
//! one-time import of a JSON ledger file written by earlier builds.
//!
//! The catalog counts time in milliseconds, the ledger records in seconds; the conversion is
//! exact both ways for every time a ledger record can hold.

use std::path::{Path, PathBuf};

use bestpick_catalog::{Catalog, Consent, Contribution, MergedRecords};

use super::{ConsentRecord, ContributionRecord, ContributionState, JsonLedger, Ledger};
use crate::{Error, Result};

impl Ledger for Catalog {
    fn record_consent(&mut self, consent: &ConsentRecord) -> Result<()> {
        Ok(Catalog::record_consent(
            self,
            &to_catalog_consent(consent)?,
        )?)
    }

    fn consents(&self) -> Result<Vec<ConsentRecord>> {
        Catalog::consents(self)?
            .iter()
            .map(from_catalog_consent)
            .collect()
    }

    fn withdraw_consents(&mut self, at: i64) -> Result<()> {
        Catalog::withdraw_consents(self, to_ms(at)?)?;
        Ok(())
    }

    fn upsert_contribution(&mut self, record: &ContributionRecord) -> Result<()> {
        Ok(Catalog::upsert_contribution(
            self,
            &to_catalog_contribution(record)?,
        )?)
    }

    fn contributions(&self) -> Result<Vec<ContributionRecord>> {
        Ok(Catalog::contributions(self)?
            .into_iter()
            .map(from_catalog_contribution)
            .collect())
    }

    fn current_consent(&self) -> Result<Option<ConsentRecord>> {
        Catalog::current_consent(self)?
            .as_ref()
            .map(from_catalog_consent)
            .transpose()
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
    let consents = json
        .consents()?
        .iter()
        .map(to_catalog_consent)
        .collect::<Result<Vec<_>>>()?;
    let contributions = json
        .contributions()?
        .iter()
        .map(to_catalog_contribution)
        .collect::<Result<Vec<_>>>()?;
    let merged = catalog.merge_contribution_records(&consents, &contributions)?;
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

fn to_ms(secs: i64) -> Result<i64> {
    secs.checked_mul(1000)
        .ok_or_else(|| Error::Ledger(format!("time {secs} s is out of range")))
}

fn to_secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

fn to_catalog_consent(c: &ConsentRecord) -> Result<Consent> {
    Ok(Consent {
        terms_version: c.terms_version,
        accepted_at_ms: to_ms(c.accepted_at)?,
        minor_with_parental_permission: c.minor_with_parental_permission,
        buckets_json: serde_json::to_string(&c.buckets).map_err(Error::json("consent buckets"))?,
        withdrawn_at_ms: c.withdrawn_at.map(to_ms).transpose()?,
    })
}

fn from_catalog_consent(c: &Consent) -> Result<ConsentRecord> {
    Ok(ConsentRecord {
        terms_version: c.terms_version,
        accepted_at: to_secs(c.accepted_at_ms),
        minor_with_parental_permission: c.minor_with_parental_permission,
        buckets: serde_json::from_str(&c.buckets_json)
            .map_err(Error::json("consent buckets in the catalog"))?,
        withdrawn_at: c.withdrawn_at_ms.map(to_secs),
    })
}

fn to_catalog_contribution(r: &ContributionRecord) -> Result<Contribution> {
    Ok(Contribution {
        anonymous_id: r.anonymous_id.clone(),
        collector: r.collector.clone(),
        bundle_id: r.bundle_id.clone(),
        image_count: r.image_count,
        created_at_ms: to_ms(r.created_at)?,
        sent_at_ms: r.sent_at.map(to_ms).transpose()?,
        state: match r.state {
            ContributionState::Staged => bestpick_catalog::ContributionState::Staged,
            ContributionState::Received => bestpick_catalog::ContributionState::Received,
            ContributionState::Deleted => bestpick_catalog::ContributionState::Deleted,
            ContributionState::Discarded => bestpick_catalog::ContributionState::Discarded,
        },
        datasets: r.datasets.clone(),
        last_error: r.last_error.clone(),
    })
}

fn from_catalog_contribution(c: Contribution) -> ContributionRecord {
    ContributionRecord {
        anonymous_id: c.anonymous_id,
        collector: c.collector,
        bundle_id: c.bundle_id,
        image_count: c.image_count,
        created_at: to_secs(c.created_at_ms),
        sent_at: c.sent_at_ms.map(to_secs),
        state: match c.state {
            bestpick_catalog::ContributionState::Staged => ContributionState::Staged,
            bestpick_catalog::ContributionState::Received => ContributionState::Received,
            bestpick_catalog::ContributionState::Deleted => ContributionState::Deleted,
            bestpick_catalog::ContributionState::Discarded => ContributionState::Discarded,
        },
        datasets: c.datasets,
        last_error: c.last_error,
    }
}

#[cfg(test)]
mod tests {
    use bestpick_bundle::{AgeDecade, Buckets, Gender, SkinType};

    use super::super::{LedgerData, MemoryLedger};
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

    /// The same steps the contribution flow takes, on any ledger; returns what it holds after
    /// each step.
    fn script(ledger: &mut dyn Ledger) -> Vec<(Option<ConsentRecord>, LedgerData)> {
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
            .record_consent(&ConsentRecord {
                minor_with_parental_permission: true,
                buckets: Buckets {
                    age_decade: AgeDecade::new(10),
                    gender: Some(Gender::NonBinary),
                    skin_type: Some(SkinType::IV),
                },
                ..consent(1_700_000_000)
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
            .upsert_contribution(&ContributionRecord {
                bundle_id: Some("bundle-a".into()),
                sent_at: Some(1_700_000_100),
                datasets: vec!["2025-q1".into()],
                ..contribution("a", ContributionState::Received)
            })
            .unwrap();
        ledger
            .upsert_contribution(&ContributionRecord {
                last_error: Some("not sent within 30 days; deleted locally".into()),
                ..contribution("b", ContributionState::Discarded)
            })
            .unwrap();
        snapshots.push(snap(ledger));
        ledger.withdraw_consents(1_700_000_200).unwrap();
        snapshots.push(snap(ledger));
        ledger.record_consent(&consent(1_700_000_300)).unwrap();
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
            expected[5].0.as_ref().map(|c| c.accepted_at),
            Some(1_700_000_300),
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

    #[test]
    fn times_convert_exactly_or_fail() {
        let cases = [
            ("epoch", 0, true),
            ("now-ish", 1_700_000_000, true),
            ("before 1970", -86_400, true),
            ("largest representable", i64::MAX / 1000, true),
            ("too large", i64::MAX / 1000 + 1, false),
            ("too small", i64::MIN / 1000 - 1, false),
        ];
        for (name, at, ok) in cases {
            let mut catalog = Catalog::open_in_memory().unwrap();
            let record = ContributionRecord {
                sent_at: Some(at),
                ..contribution("t", ContributionState::Received)
            };
            let result = Ledger::upsert_contribution(&mut catalog, &record);
            assert_eq!(result.is_ok(), ok, "case {name}: {result:?}");
            if ok {
                let back = Ledger::contributions(&catalog).unwrap();
                assert_eq!(back, vec![record], "case {name}: round trip");
            } else {
                assert!(
                    matches!(result, Err(Error::Ledger(_))),
                    "case {name}: {result:?}"
                );
            }
        }
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
                ConsentRecord {
                    withdrawn_at: Some(50),
                    ..consent(10)
                },
                consent(100),
            ],
            contributions: vec![
                ContributionRecord {
                    bundle_id: Some("bundle-a".into()),
                    sent_at: Some(20),
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
            Some(consent(100)),
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
