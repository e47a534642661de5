//! The scores a contribution sends with each photo: the engine's analysis signals as JSON,
//! from an open shoot when the photo is part of it, otherwise analyzed now. The CLI and the
//! app both pass this to the contribution client (`bestpick-share`), which never analyzes.

use std::path::Path;

use crate::Session;

/// The signals of the photo at `path` as JSON, taken from `open` when it holds the photo's
/// analysis, otherwise from a fresh analysis. The error is worded for the contributor.
pub fn contribution_scores(
    path: &Path,
    open: Option<&Session>,
) -> std::result::Result<serde_json::Value, String> {
    let known = open.and_then(|s| {
        s.photos
            .iter()
            .find(|p| p.file.path == path)
            .and_then(|p| p.analysis.as_ref())
    });
    let signals = match known {
        Some(analysis) => serde_json::to_value(&analysis.signals),
        None => {
            let analysis = bestpick_core::analyze_path(path).map_err(|e| e.to_string())?;
            serde_json::to_value(&analysis.signals)
        }
    };
    signals.map_err(|e| e.to_string())
}
