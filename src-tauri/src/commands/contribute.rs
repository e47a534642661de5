//! Dataset contribution (opt-in, off by default): the wizard's steps consent → choose →
//! preview → send, and the "My contributions" page (status, delete, withdraw). Nothing leaves
//! the machine except in `contribution_send`, after a preview.

use std::path::PathBuf;

use bestpick_bundle::Buckets;
use bestpick_share::flow::{Age, ConsentRequest};
use bestpick_share::terms;
use tauri::State;

use crate::contribution::{
    collector, optional_collector, preview_dir, scores_for, with_contributor,
};
use crate::dto::{
    AddReportDto, ConsentDto, ContributionDto, ContributionStatusDto, NetworkRequestDto,
    PreviewReportDto, SendReportDto,
};
use crate::error::{Error, Result};
use crate::state::AppState;

/// The current terms, in full.
#[tauri::command]
pub fn contribution_terms() -> String {
    terms::current().to_owned()
}

/// Consent, selection and every bundle. Works without a keyring or a collector (read from
/// the ledger; the problem is listed).
#[tauri::command]
pub async fn contribution_status(state: State<'_, AppState>) -> Result<ContributionStatusDto> {
    crate::contribution::status(&state)
}

/// Records consent to the terms shown.
#[tauri::command]
pub async fn contribution_consent(state: State<'_, AppState>, consent: ConsentDto) -> Result<u32> {
    let request = ConsentRequest {
        terms_version: consent.terms_version,
        age: age(&consent)?,
        buckets: buckets(&consent)?,
    };
    with_contributor(&state, |k| Ok(k.give_consent(&request)?.terms_version))
}

/// Adds photos to the selection (RAW, HEIC and sidecars are refused, with the reason).
#[tauri::command]
pub async fn contribution_add(
    state: State<'_, AppState>,
    paths: Vec<String>,
) -> Result<AddReportDto> {
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    with_contributor(&state, |k| Ok(AddReportDto::from(&k.add(&paths)?)))
}

/// Empties the selection.
#[tauri::command]
pub async fn contribution_clear(state: State<'_, AppState>) -> Result<()> {
    with_contributor(&state, |k| Ok(k.clear_selection()?))
}

/// Builds, seals and stages the bundle; returns exactly what will leave. Sends nothing.
#[tauri::command]
pub async fn contribution_preview(state: State<'_, AppState>) -> Result<PreviewReportDto> {
    let client = collector(&state)?;
    let out = preview_dir(&state);
    let st: &AppState = &state;
    with_contributor(st, |k| {
        Ok(PreviewReportDto::from(&k.preview(
            &client,
            &mut |p| scores_for(st, p),
            &out,
        )?))
    })
}

/// Sends the staged bundles.
#[tauri::command]
pub async fn contribution_send(state: State<'_, AppState>) -> Result<SendReportDto> {
    let client = collector(&state)?;
    with_contributor(&state, |k| {
        Ok(SendReportDto::from(&k.send(&client, &mut |_, _| {})?))
    })
}

/// Deletes one bundle at the collector (or discards it when it was never sent).
#[tauri::command]
pub async fn contribution_delete(
    state: State<'_, AppState>,
    bundle: String,
) -> Result<ContributionDto> {
    let client = optional_collector(&state)?;
    with_contributor(&state, |k| {
        Ok(ContributionDto::from(&k.delete(client.as_ref(), &bundle)?))
    })
}

/// Withdraws consent and asks the collector to delete every bundle; returns what is still
/// pending (`id: reason`).
#[tauri::command]
pub async fn contribution_withdraw(state: State<'_, AppState>) -> Result<Vec<String>> {
    let client = optional_collector(&state)?;
    with_contributor(&state, |k| {
        Ok(k.withdraw(client.as_ref())?
            .failed
            .iter()
            .map(|(id, why)| format!("{id}: {why}"))
            .collect())
    })
}

/// The network log: every request made to a collector (the Network page). Empty when
/// bestpick never connected to anything.
#[tauri::command]
pub async fn network_log(state: State<'_, AppState>) -> Result<Vec<NetworkRequestDto>> {
    crate::contribution::network_log(&state)
}

fn age(c: &ConsentDto) -> Result<Age> {
    match c.age.as_str() {
        "adult" => Ok(Age::Adult),
        "teen" => Ok(Age::Teen {
            parent_permission: c.parent_permission,
        }),
        "under13" => Ok(Age::Under13),
        other => Err(Error::Invalid(format!("unknown age group {other:?}"))),
    }
}

fn buckets(c: &ConsentDto) -> Result<Buckets> {
    fn parse<T: std::str::FromStr>(v: &Option<String>, what: &str) -> Result<Option<T>> {
        v.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<T>()
                    .map_err(|_| Error::Invalid(format!("unknown {what} {s:?}")))
            })
            .transpose()
    }
    Ok(Buckets {
        age_decade: parse(&c.age_decade, "age decade")?,
        gender: parse(&c.gender, "gender")?,
        skin_type: parse(&c.skin_type, "skin type")?,
    })
}
