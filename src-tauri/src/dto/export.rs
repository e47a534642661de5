//! Wire types of an export: the request (XMP sidecars, or copying/moving the picks), its plan
//! file by file, and what it did.

use std::path::PathBuf;

use bestpick_engine::export::{ExportPlan, ExportRequest};
use bestpick_engine::vocabulary::{ExportReport, PickMode, SidecarAction, SidecarNaming};
use bestpick_engine::words::counted;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::wire::path_string;

/// What to export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ExportRequestDto {
    /// XMP sidecars.
    Xmp {
        /// darktable names instead of Adobe's.
        darktable: bool,
    },
    /// Copy or move the picks.
    Picks {
        /// Destination folder.
        dest: String,
        /// Move instead of copy.
        r#move: bool,
    },
}

impl From<&ExportRequestDto> for ExportRequest {
    fn from(r: &ExportRequestDto) -> Self {
        match r {
            ExportRequestDto::Xmp { darktable } => ExportRequest::Xmp {
                naming: if *darktable {
                    SidecarNaming::Darktable
                } else {
                    SidecarNaming::Adobe
                },
            },
            ExportRequestDto::Picks { dest, r#move } => ExportRequest::Picks {
                dest: PathBuf::from(dest),
                mode: if *r#move {
                    PickMode::Move
                } else {
                    PickMode::Copy
                },
            },
        }
    }
}

/// One file an export will write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PlannedFileDto {
    /// `create`, `update`, `conflict`, `copy`, `move`.
    pub action: String,
    /// Source image(s).
    pub sources: Vec<String>,
    /// File written.
    pub dest: String,
    /// What goes in it (rating, label) or why it differs (renamed, conflict).
    pub note: String,
}

/// An export plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportPlanDto {
    /// Files to write.
    pub files: Vec<PlannedFileDto>,
    /// Summary in words.
    pub summary: String,
}

impl From<&ExportPlan> for ExportPlanDto {
    fn from(plan: &ExportPlan) -> Self {
        match plan {
            ExportPlan::Xmp(sidecars) => {
                let files: Vec<PlannedFileDto> = sidecars
                    .iter()
                    .map(|s| {
                        let (action, extra) = match &s.action {
                            SidecarAction::Create => ("create", String::new()),
                            SidecarAction::Merge => ("update", String::new()),
                            SidecarAction::Conflict { other_image } => (
                                "conflict",
                                format!("; clashes with {}", path_string(other_image)),
                            ),
                        };
                        let label = s
                            .values
                            .label
                            .map(|l| format!(", label {l}"))
                            .unwrap_or_default();
                        PlannedFileDto {
                            action: action.into(),
                            sources: s.images.iter().map(|i| path_string(i)).collect(),
                            dest: path_string(&s.sidecar),
                            note: format!("rating {}{label}{extra}", s.values.rating),
                        }
                    })
                    .collect();
                let summary = format!("{} to write", counted(files.len(), "sidecar", "sidecars"));
                ExportPlanDto { files, summary }
            }
            ExportPlan::Picks { dest, transfers } => {
                let files: Vec<PlannedFileDto> = transfers
                    .iter()
                    .map(|t| PlannedFileDto {
                        action: if t.mode == PickMode::Move {
                            "move"
                        } else {
                            "copy"
                        }
                        .into(),
                        sources: vec![path_string(&t.source)],
                        dest: path_string(&t.dest),
                        note: if t.renamed {
                            "renamed: the name is taken".into()
                        } else {
                            String::new()
                        },
                    })
                    .collect();
                let summary = format!(
                    "{} into {}",
                    counted(files.len(), "file", "files"),
                    path_string(dest)
                );
                ExportPlanDto { files, summary }
            }
        }
    }
}

/// What an export did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportReportDto {
    /// Files written.
    pub written: Vec<String>,
    /// `path: reason` of files that failed.
    pub failed: Vec<String>,
}

impl From<&ExportReport> for ExportReportDto {
    fn from(r: &ExportReport) -> Self {
        ExportReportDto {
            written: r.done.iter().map(|d| path_string(&d.dest)).collect(),
            failed: r
                .failed
                .iter()
                .map(|f| format!("{}: {}", path_string(&f.source), f.error))
                .collect(),
        }
    }
}
