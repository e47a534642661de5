//! Wire types of the opt-in contribution: the page's state, one bundle, the consent the wizard
//! collects, and the reports of adding, previewing and sending.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::wire::{n, path_string, word};

/// The contribution page's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ContributionStatusDto {
    /// Consent given and not withdrawn: terms version.
    pub consent_version: Option<u32>,
    /// When consent was given (Unix s).
    pub consent_at: Option<f64>,
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
    /// Built at (Unix s).
    pub created_at: f64,
    /// Sent at (Unix s).
    pub sent_at: Option<f64>,
    /// `staged`, `received`, `deleted`, `discarded`.
    pub state: String,
    /// Datasets that used it.
    pub datasets: Vec<String>,
    /// Last problem.
    pub last_error: Option<String>,
}

impl From<&bestpick_share::ledger::ContributionRecord> for ContributionDto {
    fn from(r: &bestpick_share::ledger::ContributionRecord) -> Self {
        ContributionDto {
            anonymous_id: r.anonymous_id.clone(),
            bundle_id: r.bundle_id.clone(),
            images: r.image_count,
            created_at: r.created_at as f64,
            sent_at: r.sent_at.map(|t| t as f64),
            state: word(&r.state),
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
            selected: n(r.selected),
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
            sealed_bytes: n(r.sealed_bytes),
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
                .map(|(anon, id, count)| format!("{anon} → {id} ({count} photos)"))
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
