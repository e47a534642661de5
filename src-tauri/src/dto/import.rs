//! Wire types of an import from a card: the request, its progress and what it did.

use bestpick_engine::{ImportProgress, ImportReport};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::wire::{count, path_string};

/// What to import, from where to where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportRequestDto {
    /// The card or folder (never modified).
    pub source: String,
    /// The destination (dated folders go under it).
    pub dest: String,
    /// The renaming pattern.
    pub pattern: String,
    /// A second destination, if any.
    pub backup: Option<String>,
}

/// Progress in files and bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportProgressDto {
    /// The import's job id (for `cancel_job`).
    pub job: u32,
    /// Files in place and recorded so far (the destination shoot can show them).
    pub landed: u32,
    /// Files handled.
    pub files_done: u32,
    /// Files to handle.
    pub files_total: u32,
    /// Bytes read.
    pub bytes_done: f64,
    /// Bytes to read.
    pub bytes_total: f64,
}

impl ImportProgressDto {
    /// The progress of import job `job`, with `landed` files in place.
    pub fn new(job: u32, landed: usize, p: ImportProgress) -> Self {
        ImportProgressDto {
            job,
            landed: count(landed),
            files_done: count(p.files_done),
            files_total: count(p.files_total),
            bytes_done: p.bytes_done as f64,
            bytes_total: p.bytes_total as f64,
        }
    }
}

/// A file not imported, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportFailureDto {
    /// The source file.
    pub path: String,
    /// Why (names the file).
    pub reason: String,
    /// Whether the copy failed verification.
    pub verification: bool,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportReportDto {
    /// The destination (to open as a shoot).
    pub dest: String,
    /// Files copied and verified.
    pub copied: u32,
    /// Files an earlier import copied.
    pub already_imported: u32,
    /// Files that are not photos.
    pub not_photos: u32,
    /// Files not imported.
    pub failed: Vec<ImportFailureDto>,
    /// Megabytes copied.
    pub megabytes: f64,
    /// Seconds taken.
    pub seconds: f64,
    /// Whether the import was stopped before the end.
    pub cancelled: bool,
}

impl From<&ImportReport> for ImportReportDto {
    fn from(r: &ImportReport) -> Self {
        let already = r.already_imported();
        ImportReportDto {
            dest: path_string(&r.dest),
            copied: count(r.copied.len()),
            already_imported: count(already),
            not_photos: count(r.skipped.len() - already),
            failed: r
                .failed
                .iter()
                .map(|f| ImportFailureDto {
                    path: path_string(&f.source),
                    reason: f.reason.clone(),
                    verification: f.verification,
                })
                .collect(),
            megabytes: r.bytes_copied as f64 / 1e6,
            seconds: r.seconds,
            cancelled: r.cancelled,
        }
    }
}
