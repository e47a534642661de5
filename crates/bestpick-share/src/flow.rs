//! The contribution flow shared by the CLI and the app:
//! consent → add → preview (build, seal, stage) → send → status / delete / withdraw / export.
//!
//! [`Contributor`] and its crash recovery live here; each step is its own file: `consent.rs`,
//! `selection.rs` (add), `preview.rs`, `send.rs`, `lifecycle.rs` (status, delete, withdraw,
//! export), `staging.rs` (the staged file format and the 30-day purge) and `reports.rs` (what
//! the steps take and give).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bestpick_bundle::{Buckets, Bundle, ImageEntry, Manifest, SCHEMA_VERSION, sha256_hex};
use serde::{Deserialize, Serialize};

use crate::anonymize::{self, Limits};
use crate::ledger::{
    self, Consent, Contribution, ContributionState, Ledger, LedgerData, NetworkRequest, secs_to_ms,
};
use crate::names::KeyedNamer;
use crate::upload::{CollectorClient, UploadEvent, check_bundle_id};
use crate::vault::Vault;
use crate::{Error, Result, terms};

/// Staged bundles are deleted after this long in any case.
pub const STAGING_MAX_AGE_SECS: i64 = 30 * 24 * 3600;

const SELECTION: &str = "selection";
const STAGED_PREFIX: &str = "staged-";
const RECEIPT_PREFIX: &str = "receipt-";

mod consent;
mod lifecycle;
mod preview;
mod reports;
mod selection;
mod send;
mod staging;

pub use reports::{
    AddReport, Age, ConsentRequest, PreviewImage, PreviewReport, SendReport, StatusReport,
    WithdrawReport,
};
use staging::{Receipt, StagedHeader, decode_staged, encode_staged, read_head};

pub use bestpick_bundle::unix_now;

/// The contribution flow over a vault and a ledger.
pub struct Contributor<'a> {
    vault: Vault,
    ledger: &'a mut dyn Ledger,
    clock: fn() -> i64,
    limits: Limits,
}

impl<'a> Contributor<'a> {
    /// A contributor over `vault` and `ledger`; purges stale staged bundles right away.
    pub fn new(vault: Vault, ledger: &'a mut dyn Ledger) -> Result<Contributor<'a>> {
        Contributor::with_clock(vault, ledger, unix_now)
    }

    /// Same, with a clock (tests).
    pub fn with_clock(
        vault: Vault,
        ledger: &'a mut dyn Ledger,
        clock: fn() -> i64,
    ) -> Result<Contributor<'a>> {
        let mut c = Contributor {
            vault,
            ledger,
            clock,
            limits: Limits::default(),
        };
        c.recover()?;
        c.purge_staged()?;
        Ok(c)
    }

    /// Finishes what a crash interrupted, so that no receipt is ever orphaned and the ledger
    /// matches the vault. A receipt is kept before its bundle is marked sent and the staged copy
    /// removed (see [`Contributor::send`]); a crash between those steps leaves a receipt with a
    /// staged copy and/or a ledger record still saying "staged". A crash while staging (see
    /// [`Contributor::preview`]) can leave a staged bundle the ledger does not know.
    fn recover(&mut self) -> Result<()> {
        let known: Vec<String> = self
            .ledger
            .contributions()?
            .into_iter()
            .map(|c| c.anonymous_id)
            .collect();
        for record in self.vault.list(RECEIPT_PREFIX)? {
            let anon = record.trim_start_matches(RECEIPT_PREFIX).to_owned();
            // An unreadable receipt (another key) is left alone: status shows the problem.
            let Ok(Some(receipt)) = self.receipt(&anon) else {
                continue;
            };
            if check_bundle_id(&receipt.bundle_id).is_err() {
                continue;
            }
            let now = self.now_ms()?;
            match self.record(&anon)? {
                Some(r) if r.bundle_id.is_none() => self.update(&anon, |r| {
                    r.bundle_id = Some(receipt.bundle_id.clone());
                    r.sent_at_ms = Some(r.sent_at_ms.unwrap_or(now));
                    r.state = ContributionState::Received;
                    r.last_error = None;
                })?,
                Some(_) => {}
                None => self.ledger.upsert_contribution(&Contribution {
                    anonymous_id: anon.clone(),
                    collector: receipt.collector.clone(),
                    bundle_id: Some(receipt.bundle_id.clone()),
                    image_count: receipt.image_count,
                    created_at_ms: secs_to_ms(receipt.created_at)?,
                    sent_at_ms: Some(now),
                    state: ContributionState::Received,
                    datasets: vec![],
                    last_error: None,
                })?,
            }
            // Sent and recorded: the staged copy is no longer needed.
            self.vault.remove(&format!("{STAGED_PREFIX}{anon}"))?;
        }
        let mut adopted = false;
        for record in self.vault.list(STAGED_PREFIX)? {
            let anon = record.trim_start_matches(STAGED_PREFIX);
            if known.iter().any(|k| k == anon) {
                continue;
            }
            let Ok(Some(bytes)) = self.vault.get(&record) else {
                continue;
            };
            let Ok(staging::Staged { header, .. }) = decode_staged(&bytes) else {
                continue;
            };
            if header.anonymous_id != anon {
                continue;
            }
            self.ledger.upsert_contribution(&Contribution {
                anonymous_id: header.anonymous_id.clone(),
                collector: header.collector.clone(),
                bundle_id: None,
                image_count: header.image_count,
                created_at_ms: secs_to_ms(header.created_at)?,
                sent_at_ms: None,
                state: ContributionState::Staged,
                datasets: vec![],
                last_error: None,
            })?;
            adopted = true;
        }
        if adopted {
            // The crash came between staging and clearing the selection it was built from
            // (nothing else can change the selection before this runs).
            self.clear_selection()?;
        }
        Ok(())
    }

    /// The clock, in Unix seconds: the time of the vault's staged bundles and receipts.
    fn now(&self) -> i64 {
        (self.clock)()
    }

    /// The clock as the ledger keeps time, in Unix milliseconds.
    fn now_ms(&self) -> Result<i64> {
        secs_to_ms(self.now())
    }
}

#[cfg(all(test, unix))]
mod crash_tests;

#[cfg(test)]
mod key_tests;
#[cfg(test)]
pub(crate) mod tests;
