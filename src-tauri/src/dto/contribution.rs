//! Wire types of the opt-in contribution: the page's state, one bundle, the consent the wizard
//! collects, the reports of adding, previewing and sending, and the network log.
//!
//! Times are Unix milliseconds, as the catalog keeps them (and as the other wire types send
//! them): `…Ms` fields, plain numbers (exact far beyond any date a ledger holds).

use std::path::PathBuf;

use bestpick_engine::words::counted;
use bestpick_share::ledger::{Consent, Contribution, NetworkRequest};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::wire::{count, path_string};

/// The contribution page's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ContributionStatusDto {
    /// Consent given and not withdrawn: terms version.
    pub consent_version: Option<u32>,
    /// When consent was given (Unix ms).
    pub consent_at_ms: Option<f64>,
    /// Current terms version.
    pub terms_version: u32,
    /// Photos selected for the next bundle.
    pub selection: Vec<String>,
    /// Collector URL configured.
    pub collector: Option<String>,
    /// Every bundle.
    pub contributions: Vec<ContributionDto>,
    /// Problems refreshing or opening the vault.
    pub problems: Vec<String>,
}

impl ContributionStatusDto {
    /// The page's state: the consent in force, the terms version now, the selection, the
    /// collector configured, every bundle and the problems met reading them.
    pub fn new(
        consent: Option<&Consent>,
        terms_version: u32,
        selection: &[PathBuf],
        collector: Option<String>,
        contributions: &[Contribution],
        problems: Vec<String>,
    ) -> Self {
        ContributionStatusDto {
            consent_version: consent.map(|c| c.terms_version),
            consent_at_ms: consent.map(|c| wire_ms(c.accepted_at_ms)),
            terms_version,
            selection: selection.iter().map(|p| path_string(p)).collect(),
            collector,
            contributions: contributions.iter().map(ContributionDto::from).collect(),
            problems,
        }
    }
}

/// One bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ContributionDto {
    /// Anonymous id.
    pub anonymous_id: String,
    /// Collector id once received.
    pub bundle_id: Option<String>,
    /// Photos.
    pub images: u32,
    /// Built at (Unix ms).
    pub created_at_ms: f64,
    /// Sent at (Unix ms).
    pub sent_at_ms: Option<f64>,
    /// `staged`, `received`, `deleted`, `discarded`.
    pub state: String,
    /// Datasets that used it.
    pub datasets: Vec<String>,
    /// Last problem.
    pub last_error: Option<String>,
}

impl From<&Contribution> for ContributionDto {
    fn from(r: &Contribution) -> Self {
        ContributionDto {
            anonymous_id: r.anonymous_id.clone(),
            bundle_id: r.bundle_id.clone(),
            images: r.image_count,
            created_at_ms: wire_ms(r.created_at_ms),
            sent_at_ms: r.sent_at_ms.map(wire_ms),
            state: r.state.as_str().into(),
            datasets: r.datasets.clone(),
            last_error: r.last_error.clone(),
        }
    }
}

/// Consent as the wizard collects it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConsentDto {
    /// Terms version shown.
    pub terms_version: u32,
    /// `adult`, `teen`, `under13`.
    pub age: String,
    /// For teens: a parent or guardian agreed.
    pub parent_permission: bool,
    /// Optional age decade ("30-39").
    pub age_decade: Option<String>,
    /// Optional gender.
    pub gender: Option<String>,
    /// Optional skin type (I..VI).
    pub skin_type: Option<String>,
}

/// Result of adding photos to the selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AddReportDto {
    /// Added.
    pub added: Vec<String>,
    /// `path: reason` refused.
    pub refused: Vec<String>,
    /// Selection size.
    pub selected: u32,
}

impl From<&bestpick_share::flow::AddReport> for AddReportDto {
    fn from(r: &bestpick_share::flow::AddReport) -> Self {
        AddReportDto {
            added: r.added.iter().map(|p| path_string(p)).collect(),
            refused: refused(&r.refused),
            selected: count(r.selected),
        }
    }
}

/// One image of a preview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreviewImageDto {
    /// Original (never sent).
    pub source: String,
    /// Name in the bundle.
    pub name: String,
    /// Width as sent.
    pub width: u32,
    /// Height as sent.
    pub height: u32,
    /// The anonymized copy, exactly as it will be sent.
    pub preview_path: String,
}

/// What will leave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreviewReportDto {
    /// Bundle id.
    pub anonymous_id: String,
    /// Images.
    pub images: Vec<PreviewImageDto>,
    /// `path: reason` left out.
    pub refused: Vec<String>,
    /// The manifest exactly as sent.
    pub manifest_json: String,
    /// Sealed size.
    pub sealed_bytes: u32,
}

impl From<&bestpick_share::PreviewReport> for PreviewReportDto {
    fn from(r: &bestpick_share::PreviewReport) -> Self {
        PreviewReportDto {
            anonymous_id: r.anonymous_id.clone(),
            images: r
                .images
                .iter()
                .map(|i| PreviewImageDto {
                    source: path_string(&i.source),
                    name: i.name.clone(),
                    width: i.width,
                    height: i.height,
                    preview_path: path_string(&i.preview_path),
                })
                .collect(),
            refused: refused(&r.refused),
            manifest_json: r.manifest_json.clone(),
            sealed_bytes: count(r.sealed_bytes),
        }
    }
}

/// What sending did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SendReportDto {
    /// `anonymous id → collector id (n photos)`.
    pub sent: Vec<String>,
    /// `anonymous id: reason`.
    pub failed: Vec<String>,
}

impl From<&bestpick_share::SendReport> for SendReportDto {
    fn from(r: &bestpick_share::SendReport) -> Self {
        SendReportDto {
            sent: r
                .sent
                .iter()
                .map(|(anon, id, count)| {
                    format!("{anon} → {id} ({})", counted(*count, "photo", "photos"))
                })
                .collect(),
            failed: r
                .failed
                .iter()
                .map(|(anon, why)| format!("{anon}: {why}"))
                .collect(),
        }
    }
}

fn refused(list: &[(PathBuf, String)]) -> Vec<String> {
    list.iter()
        .map(|(p, why)| format!("{}: {why}", path_string(p)))
        .collect()
}

/// One request the contribution client made (the network log).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NetworkRequestDto {
    /// When it started (Unix ms).
    pub started_at_ms: f64,
    /// When it ended (Unix ms); null when no end was recorded (the app stopped during it).
    pub finished_at_ms: Option<f64>,
    /// The collector's origin.
    pub collector: String,
    /// HTTP method.
    pub method: String,
    /// What for ("fetch the collector key", "upload bundle …").
    pub purpose: String,
    /// 1 for the first try.
    pub attempt: u32,
    /// Body bytes sent.
    pub bytes_sent: f64,
    /// Body bytes received (null: no end recorded).
    pub bytes_received: Option<f64>,
    /// HTTP status when the collector answered.
    pub status: Option<u16>,
    /// Why it failed.
    pub error: Option<String>,
}

impl From<&NetworkRequest> for NetworkRequestDto {
    fn from(r: &NetworkRequest) -> Self {
        let o = r.outcome.as_ref();
        NetworkRequestDto {
            started_at_ms: wire_ms(r.started_at_ms),
            finished_at_ms: o.map(|o| wire_ms(o.finished_at_ms)),
            collector: r.collector.clone(),
            method: r.method.clone(),
            purpose: r.purpose.clone(),
            attempt: r.attempt,
            bytes_sent: r.bytes_sent as f64,
            bytes_received: o.map(|o| o.bytes_received as f64),
            status: o.and_then(|o| o.status),
            error: o.and_then(|o| o.error.clone()),
        }
    }
}

/// A ledger time (Unix ms) for the wire: the same milliseconds as a JavaScript number (exact
/// up to 2^53 ms, some 285 000 years).
fn wire_ms(ms: i64) -> f64 {
    ms as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use bestpick_share::ledger::ContributionState;

    #[test]
    fn records_reach_the_wire_in_milliseconds_with_their_state_word() {
        let record = |state| Contribution {
            anonymous_id: "anon".into(),
            collector: "http://127.0.0.1:9".into(),
            bundle_id: Some("bundle".into()),
            image_count: 2,
            created_at_ms: 1_700_000_100_000,
            sent_at_ms: Some(1_700_000_200_000),
            state,
            datasets: vec!["d".into()],
            last_error: None,
        };
        let cases = [
            (ContributionState::Staged, "staged"),
            (ContributionState::Received, "received"),
            (ContributionState::Deleted, "deleted"),
            (ContributionState::Discarded, "discarded"),
        ];
        for (state, word) in cases {
            let dto = ContributionDto::from(&record(state));
            assert_eq!(dto.state, word, "{state:?}");
            assert_eq!(
                (dto.created_at_ms, dto.sent_at_ms),
                (1_700_000_100_000.0, Some(1_700_000_200_000.0)),
                "{state:?}: Unix ms, as the ledger keeps them"
            );
        }
        let consent = Consent {
            terms_version: 1,
            accepted_at_ms: 1_700_000_000_000,
            minor_with_parental_permission: false,
            buckets_json: "{}".into(),
            withdrawn_at_ms: None,
        };
        let status = ContributionStatusDto::new(
            Some(&consent),
            1,
            &[PathBuf::from("/a.jpg")],
            None,
            &[record(ContributionState::Received)],
            Vec::new(),
        );
        assert_eq!(
            (status.consent_version, status.consent_at_ms),
            (Some(1), Some(1_700_000_000_000.0)),
            "consent in ms"
        );
        assert_eq!(status.selection, ["/a.jpg"], "selection as paths");
        assert_eq!(status.contributions.len(), 1, "every bundle");
    }

    #[test]
    fn network_requests_reach_the_wire_as_logged() {
        use bestpick_share::ledger::RequestOutcome;
        let request = NetworkRequest {
            started_at_ms: 1_700_000_000_123,
            collector: "https://collector.example.org".into(),
            method: "POST".into(),
            purpose: "upload bundle anon".into(),
            attempt: 2,
            bytes_sent: 5_000_000,
            outcome: None,
        };
        let cases = [
            ("no end recorded", None, (None, None, None, None)),
            (
                "answered",
                Some(RequestOutcome {
                    finished_at_ms: 1_700_000_001_000,
                    bytes_received: 64,
                    status: Some(201),
                    error: None,
                }),
                (Some(1_700_000_001_000.0), Some(64.0), Some(201), None),
            ),
            (
                "failed",
                Some(RequestOutcome {
                    finished_at_ms: 1_700_000_000_500,
                    bytes_received: 0,
                    status: None,
                    error: Some("connection refused".into()),
                }),
                (
                    Some(1_700_000_000_500.0),
                    Some(0.0),
                    None,
                    Some("connection refused".to_owned()),
                ),
            ),
        ];
        for (name, outcome, expected) in cases {
            let dto = NetworkRequestDto::from(&NetworkRequest {
                outcome,
                ..request.clone()
            });
            assert_eq!(
                (
                    dto.started_at_ms,
                    dto.attempt,
                    dto.bytes_sent,
                    dto.method.as_str()
                ),
                (1_700_000_000_123.0, 2, 5_000_000.0, "POST"),
                "case {name}"
            );
            assert_eq!(
                (
                    dto.finished_at_ms,
                    dto.bytes_received,
                    dto.status,
                    dto.error
                ),
                expected,
                "case {name}"
            );
        }
    }
}
