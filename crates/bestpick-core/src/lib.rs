//! bestpick-core: scan a shoot, read each photo once, measure what a culler judges (focus,
//! motion blur, exposure, noise, misfires), group bursts and near-duplicates, and pick the best
//! frame of each group with reasons in plain words.
//!
//! This crate has no UI, database or network dependency: front ends (the CLI, the desktop app)
//! configure a job, run it, and store its results where they like.
//!
//! Data flow: [`scan::scan`] → [`analyze::analyze_files`] (per photo: [`decode`] then
//! [`signals::measure`]) → [`cull::cull`] ([`group`] then [`rank`]).
#![warn(missing_docs)]

pub mod analyze;
pub mod cull;
pub mod decode;
mod error;
pub mod exif;
pub mod faces;
pub mod group;
pub mod guard;
pub mod overlap;
pub mod profile;
pub mod rank;
pub mod raw;
pub mod scan;
pub mod signals;
pub mod thumbnail;

pub use analyze::{
    ANALYSIS_VERSION, Analysis, AnalyzeParams, Analyzed, CancelFlag, NoProgress, Progress,
    ProgressSink, Stage, analyze_files, analyze_files_showing, analyze_path,
};
pub use cull::{GroupSummary, Suggestion, cull, cull_with};
pub use error::{Error, IoFailure, PhotoError, PhotoErrorKind, Result};
pub use group::Strictness;
pub use profile::Profile;
pub use rank::{FaceVerdict, JudgedFace, Judging, Reason, SetKind, Taste};
pub use scan::{FileKind, PhotoFile, ScanReport, scan};
pub use signals::Signals;
