//! Opt-in dataset contribution: consent, anonymize, bundle, encrypted staging vault, upload,
//! receipts.
//!
//! The flow ([`Contributor`]) is: consent to the versioned [`terms`] → choose photos →
//! [`anonymize`] each one (decode, orient, re-encode, verify, fail closed) → build a bundle
//! with keyed names and a single-use anonymous id → seal it with HPKE to the collector's key →
//! stage it in the [`vault`] (AES-256-GCM, key in the OS keyring) → preview → [`upload`] with
//! retries and an idempotency key → keep the receipt token (encrypted) → status / delete /
//! withdraw / export the ledger. A front end opens all of it through [`place::Place`].
//!
//! This crate must not depend on Tauri, the CLI or the collector. Scores come from the
//! caller (the engine's signals as JSON); the consent/contribution ledger is a trait
//! ([`ledger::Ledger`]) implemented here for `bestpick_catalog::Catalog`, whose tables
//! `consents` and `contributions` keep it (the catalog must not depend on this crate).
#![warn(missing_docs)]

pub mod anonymize;
mod error;
#[cfg(test)]
mod fake_collector;
pub mod flow;
mod fsutil;
pub mod ledger;
pub mod names;
pub mod place;
pub mod terms;
pub mod upload;
pub mod vault;

pub use error::{Error, RefuseReason, Result};
pub use flow::{Contributor, PreviewReport, SendReport};
