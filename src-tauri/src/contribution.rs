//! Glue between the contribution commands and `bestpick-share`: where its files live (next to
//! the catalog, as the CLI keeps them, so both see the same contributions), opening the vault
//! with the OS keyring, and the scores sent with each photo. No crypto here: the share crate
//! does all of it.

use std::path::{Path, PathBuf};

use bestpick_share::ledger::JsonLedger;
use bestpick_share::upload::{CollectorClient, RetryPolicy};
use bestpick_share::vault::{OsKeyring, Vault};
use bestpick_share::{Contributor, Error as ShareError};

use crate::error::{Error, Result};
use crate::state::{AppState, lock};

/// The contribution folder of a catalog: `<catalog dir>/contributions`.
pub fn base_dir(catalog: &Path) -> PathBuf {
    catalog
        .parent()
        .unwrap_or(Path::new("."))
        .join("contributions")
}

/// The ledger file (consents and bundles; nothing secret in it).
pub fn ledger_path(state: &AppState) -> PathBuf {
    base_dir(&state.catalog_path()).join("ledger.json")
}

/// Folder for preview copies (exactly what will be sent).
pub fn preview_dir(state: &AppState) -> PathBuf {
    base_dir(&state.catalog_path()).join("preview")
}

/// Runs `f` with a contributor over the vault (key in the OS keyring) and the ledger.
pub fn with_contributor<T>(
    state: &AppState,
    f: impl FnOnce(&mut Contributor<'_>) -> Result<T>,
) -> Result<T> {
    let base = base_dir(&state.catalog_path());
    let vault = Vault::open(&base.join("vault"), &OsKeyring::default())?;
    let mut ledger = JsonLedger::open(&base.join("ledger.json"))?;
    let mut contributor = Contributor::new(vault, &mut ledger)?;
    f(&mut contributor)
}

/// The configured collector; an error that says where to set it when there is none.
pub fn collector(state: &AppState) -> Result<CollectorClient> {
    let url = lock(&state.settings).collector_url.clone();
    let url = url.ok_or_else(|| {
        Error::Share(ShareError::Flow(
            "no collector is configured: set its address in Settings".into(),
        ))
    })?;
    Ok(CollectorClient::new(&url, RetryPolicy::default())?)
}

/// The collector when one is configured (status, delete and withdraw work without one).
pub fn optional_collector(state: &AppState) -> Result<Option<CollectorClient>> {
    match lock(&state.settings).collector_url.clone() {
        Some(url) => Ok(Some(CollectorClient::new(&url, RetryPolicy::default())?)),
        None => Ok(None),
    }
}

/// The scores sent with a photo: its analysis signals as JSON, from the open shoot when the
/// photo is part of it, otherwise analyzed now.
pub fn scores_for(state: &AppState, path: &Path) -> std::result::Result<serde_json::Value, String> {
    let known = state.shoot().ok().and_then(|s| {
        s.session
            .photos
            .iter()
            .find(|p| p.file.path == path)
            .and_then(|p| p.analysis.as_ref())
            .map(|a| serde_json::to_value(&a.signals))
    });
    match known {
        Some(v) => v.map_err(|e| e.to_string()),
        None => {
            let analysis = bestpick_core::analyze_file(path).map_err(|e| e.to_string())?;
            serde_json::to_value(&analysis.signals).map_err(|e| e.to_string())
        }
    }
}
