//! Glue between the contribution commands and `bestpick-share`, opened where the CLI opens it
//! (`bestpick_share::place`), so both see the same contributions; the scores sent with each
//! photo come from the engine. No crypto here: the share crate does all of it.

use std::path::{Path, PathBuf};

use bestpick_share::Contributor;
use bestpick_share::ledger::Ledger;
use bestpick_share::place::{self, Place};
use bestpick_share::terms;
use bestpick_share::upload::CollectorClient;

use crate::dto::{ContributionStatusDto, NetworkRequestDto};
use crate::error::Result;
use crate::state::{AppState, lock};

/// The contribution state beside the catalog in use.
fn place(state: &AppState) -> Place {
    Place::beside(&state.catalog_path())
}

/// Folder for preview copies (exactly what will be sent).
pub fn preview_dir(state: &AppState) -> PathBuf {
    place(state).preview_dir()
}

/// Runs `f` with a contributor over the vault (key in the OS keyring) and the ledger.
pub fn with_contributor<T>(
    state: &AppState,
    f: impl FnOnce(&mut Contributor<'_>) -> Result<T>,
) -> Result<T> {
    place(state).with_contributor(f)
}

/// The configured collector; an error that says where to set it when there is none.
pub fn collector(state: &AppState) -> Result<CollectorClient> {
    let url = lock(&state.settings).collector_url.clone();
    Ok(place::collector(url.as_deref())?)
}

/// The collector when one is configured (status, delete and withdraw work without one).
pub fn optional_collector(state: &AppState) -> Result<Option<CollectorClient>> {
    let url = lock(&state.settings).collector_url.clone();
    Ok(place::optional_collector(url.as_deref())?)
}

/// The scores sent with a photo: its analysis signals as JSON, from the open shoot when the
/// photo is part of it, otherwise analyzed now.
pub fn scores_for(state: &AppState, path: &Path) -> std::result::Result<serde_json::Value, String> {
    let shoot = state.shoot().ok();
    bestpick_engine::contribution_scores(path, shoot.as_ref().map(|s| &s.session))
}

/// Consent, selection and every bundle, refreshed from the collector when one is configured.
/// Without a keyring (the vault cannot open) or a collector the ledger still answers, and the
/// problem is listed.
pub fn status(state: &AppState) -> Result<ContributionStatusDto> {
    let collector_url = lock(&state.settings).collector_url.clone();
    let refreshed = optional_collector(state)
        .and_then(|c| with_contributor(state, |k| Ok((k.status(c.as_ref())?, k.selection()?))));
    let catalog = place(state).open_ledger()?.catalog;
    let (records, selection, problems) = match refreshed {
        Ok((report, selection)) => (report.contributions, selection, report.problems),
        Err(e) => (
            Ledger::contributions(&catalog)?,
            Vec::new(),
            vec![e.to_string()],
        ),
    };
    let consent = Ledger::current_consent(&catalog)?;
    Ok(ContributionStatusDto::new(
        consent.as_ref(),
        terms::CURRENT_VERSION,
        &selection,
        collector_url,
        &records,
        problems,
    ))
}

/// The network log, oldest first: every request the contribution client made. Read from the
/// catalog alone (no vault, no keyring, no connection).
pub fn network_log(state: &AppState) -> Result<Vec<NetworkRequestDto>> {
    let catalog = place(state).open_ledger()?.catalog;
    Ok(catalog
        .network_requests()?
        .iter()
        .map(NetworkRequestDto::from)
        .collect())
}
