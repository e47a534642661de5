//! Glue between the contribution commands and `bestpick-share`, set up as the CLI sets it up so
//! both see the same contributions: the ledger (consents, bundles) is the catalog, the vault
//! and preview copies sit in `contributions/` next to it, the vault key is in the OS keyring.
//! Also the scores sent with each photo. No crypto here: the share crate does all of it.

use std::path::{Path, PathBuf};

use bestpick_catalog::Catalog;
use bestpick_share::ledger::{self, Ledger};
use bestpick_share::terms;
use bestpick_share::upload::{CollectorClient, RetryPolicy};
use bestpick_share::vault::{OsKeyring, Vault};
use bestpick_share::{Contributor, Error as ShareError};

use crate::dto::{ContributionDto, ContributionStatusDto};
use crate::error::{Error, Result};
use crate::state::{AppState, lock};

/// The contribution folder of a catalog: `<catalog dir>/contributions`.
pub fn base_dir(catalog: &Path) -> PathBuf {
    catalog
        .parent()
        .unwrap_or(Path::new("."))
        .join("contributions")
}

/// A catalog handle of its own for the ledger (uploads may take a while; the window's handle
/// stays free for decisions), with a JSON ledger of older builds moved in once.
pub fn ledger(state: &AppState) -> Result<Catalog> {
    let path = state.catalog_path();
    let mut catalog = Catalog::open(&path)?;
    ledger::import_json_ledger(&mut catalog, &base_dir(&path).join("ledger.json"))?;
    Ok(catalog)
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
    let mut catalog = ledger(state)?;
    let vault = Vault::open(
        &base_dir(&state.catalog_path()).join("vault"),
        &OsKeyring::default(),
    )?;
    let mut contributor = Contributor::new(vault, &mut catalog)?;
    f(&mut contributor)
}

/// The configured collector; an error that says where to set it when there is none.
pub fn collector(state: &AppState) -> Result<CollectorClient> {
    let url = lock(&state.settings).collector_url.clone();
    let url = url.ok_or_else(|| Error::Share(ShareError::NoCollector))?;
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

/// Consent, selection and every bundle, refreshed from the collector when one is configured.
/// Without a keyring (the vault cannot open) or a collector the ledger still answers, and the
/// problem is listed.
pub fn status(state: &AppState) -> Result<ContributionStatusDto> {
    let collector_url = lock(&state.settings).collector_url.clone();
    let refreshed = optional_collector(state)
        .and_then(|c| with_contributor(state, |k| Ok((k.status(c.as_ref())?, k.selection()?))));
    let catalog = ledger(state)?;
    let (records, selection, problems) = match refreshed {
        Ok((report, selection)) => (report.contributions, selection, report.problems),
        Err(e) => (
            Ledger::contributions(&catalog)?,
            Vec::new(),
            vec![e.to_string()],
        ),
    };
    let consent = Ledger::current_consent(&catalog)?;
    Ok(ContributionStatusDto {
        consent_version: consent.as_ref().map(|c| c.terms_version),
        consent_at: consent.as_ref().map(|c| c.accepted_at as f64),
        terms_version: terms::CURRENT_VERSION,
        selection: selection
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect(),
        collector: collector_url,
        contributions: records.iter().map(ContributionDto::from).collect(),
        problems,
    })
}
