//! The contribution flow shared by the CLI and the app:
//! consent → add → preview (build, seal, stage) → send → status / delete / withdraw / export.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bestpick_bundle::{Buckets, Bundle, ImageEntry, Manifest, SCHEMA_VERSION, sha256_hex};
use serde::{Deserialize, Serialize};

use crate::anonymize::{self, Limits};
use crate::ledger::{ConsentRecord, ContributionRecord, ContributionState, Ledger, LedgerData};
use crate::names::KeyedNamer;
use crate::upload::{CollectorClient, UploadEvent, check_bundle_id};
use crate::vault::Vault;
use crate::{Error, Result, terms};

/// Staged bundles are deleted after this long in any case.
pub const STAGING_MAX_AGE_SECS: i64 = 30 * 24 * 3600;

const SELECTION: &str = "selection";
const STAGED_PREFIX: &str = "staged-";
const RECEIPT_PREFIX: &str = "receipt-";

/// How old the contributor says they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Age {
    /// 18 or older.
    Adult,
    /// 13 to 17; contribution needs a parent's or guardian's permission.
    Teen {
        /// The contributor confirms a parent or guardian gave permission.
        parent_permission: bool,
    },
    /// Under 13: contribution is not possible.
    Under13,
}

/// What the contributor agrees to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRequest {
    /// The terms version shown and accepted (must be [`terms::CURRENT_VERSION`]).
    pub terms_version: u32,
    /// Age group.
    pub age: Age,
    /// Optional buckets sent with every bundle; each may stay blank.
    pub buckets: Buckets,
}

/// One image of a preview: exactly what will leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewImage {
    /// The original photo (local only; never sent).
    pub source: PathBuf,
    /// Keyed name inside the bundle.
    pub name: String,
    /// Size after orientation.
    pub width: u32,
    /// Size after orientation.
    pub height: u32,
    /// Where the preview copy was written.
    pub preview_path: PathBuf,
}

/// What `preview` built and staged.
#[derive(Debug, Clone)]
pub struct PreviewReport {
    /// The bundle's anonymous id.
    pub anonymous_id: String,
    /// Folder holding the preview copies and `manifest.json`.
    pub dir: PathBuf,
    /// Images in the bundle.
    pub images: Vec<PreviewImage>,
    /// Photos left out, with the reason.
    pub refused: Vec<(PathBuf, String)>,
    /// The manifest exactly as it will be sent.
    pub manifest_json: String,
    /// Size of the sealed bundle.
    pub sealed_bytes: usize,
}

/// What `send` did.
#[derive(Debug, Clone, Default)]
pub struct SendReport {
    /// `(anonymous id, collector bundle id, image count)` of confirmed bundles.
    pub sent: Vec<(String, String, u32)>,
    /// `(anonymous id, reason)` of bundles that stay staged.
    pub failed: Vec<(String, String)>,
}

/// What `withdraw` did.
#[derive(Debug, Clone, Default)]
pub struct WithdrawReport {
    /// Bundles deleted at the collector.
    pub deleted: Vec<String>,
    /// Staged bundles discarded locally (never sent).
    pub discarded: Vec<String>,
    /// `(bundle, reason)` deletions that failed; run withdraw again to retry them.
    pub failed: Vec<(String, String)>,
}

/// Result of `add`.
#[derive(Debug, Clone, Default)]
pub struct AddReport {
    /// Photos now selected (newly added).
    pub added: Vec<PathBuf>,
    /// Photos refused, with the reason.
    pub refused: Vec<(PathBuf, String)>,
    /// Size of the whole selection.
    pub selected: usize,
}

/// Status of every contribution, refreshed from the collector where possible.
#[derive(Debug, Clone, Default)]
pub struct StatusReport {
    /// Every bundle, oldest first.
    pub contributions: Vec<ContributionRecord>,
    /// Problems refreshing (collector unreachable, …); local records are still shown.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StagedHeader {
    anonymous_id: String,
    collector: String,
    key_fingerprint: String,
    created_at: i64,
    image_count: u32,
    idempotency_key: String,
    receipt_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Receipt {
    bundle_id: String,
    collector: String,
    receipt_token: String,
    /// Images in the bundle (0 in receipts of older builds), so the ledger record can be
    /// rebuilt from the receipt alone.
    #[serde(default)]
    image_count: u32,
    /// When the bundle was staged (0 in receipts of older builds).
    #[serde(default)]
    created_at: i64,
}

fn encode_staged(header: &StagedHeader, sealed: &[u8]) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(header).map_err(Error::json("staged bundle header"))?;
    let len = u32::try_from(json.len()).map_err(|_| Error::Flow("header too large".into()))?;
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(&json);
    out.extend_from_slice(sealed);
    Ok(out)
}

fn decode_staged(bytes: &[u8]) -> Result<(StagedHeader, &[u8])> {
    let bad = || Error::Flow("staged bundle record is malformed".into());
    let len_bytes: [u8; 4] = bytes
        .get(..4)
        .ok_or_else(bad)?
        .try_into()
        .map_err(|_| bad())?;
    let len = usize::try_from(u32::from_be_bytes(len_bytes)).map_err(|_| bad())?;
    let json = bytes.get(4..4 + len).ok_or_else(bad)?;
    let header = serde_json::from_slice(json).map_err(Error::json("staged bundle header"))?;
    Ok((header, &bytes[4 + len..]))
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

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
            let now = self.now();
            match self.record(&anon)? {
                Some(r) if r.bundle_id.is_none() => self.update(&anon, |r| {
                    r.bundle_id = Some(receipt.bundle_id.clone());
                    r.sent_at = Some(r.sent_at.unwrap_or(now));
                    r.state = ContributionState::Received;
                    r.last_error = None;
                })?,
                Some(_) => {}
                None => self.ledger.upsert_contribution(&ContributionRecord {
                    anonymous_id: anon.clone(),
                    collector: receipt.collector.clone(),
                    bundle_id: Some(receipt.bundle_id.clone()),
                    image_count: receipt.image_count,
                    created_at: receipt.created_at,
                    sent_at: Some(now),
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
            let Ok((header, _)) = decode_staged(&bytes) else {
                continue;
            };
            if header.anonymous_id != anon {
                continue;
            }
            self.ledger.upsert_contribution(&ContributionRecord {
                anonymous_id: header.anonymous_id.clone(),
                collector: header.collector.clone(),
                bundle_id: None,
                image_count: header.image_count,
                created_at: header.created_at,
                sent_at: None,
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

    fn now(&self) -> i64 {
        (self.clock)()
    }

    /// The consent in force, or why there is none.
    pub fn require_consent(&self) -> Result<ConsentRecord> {
        let consent = self.ledger.current_consent()?.ok_or(Error::NoConsent)?;
        if consent.terms_version != terms::CURRENT_VERSION {
            return Err(Error::TermsChanged {
                accepted: consent.terms_version,
                current: terms::CURRENT_VERSION,
            });
        }
        Ok(consent)
    }

    /// The consent in force, if any (for status displays).
    pub fn consent(&self) -> Result<Option<ConsentRecord>> {
        self.ledger.current_consent()
    }

    /// Records consent to the current terms.
    pub fn give_consent(&mut self, request: &ConsentRequest) -> Result<ConsentRecord> {
        if request.terms_version != terms::CURRENT_VERSION {
            return Err(Error::ConsentInvalid(format!(
                "the current terms are v{}; v{} cannot be accepted",
                terms::CURRENT_VERSION,
                request.terms_version
            )));
        }
        let minor = match request.age {
            Age::Adult => false,
            Age::Teen {
                parent_permission: true,
            } => true,
            Age::Teen {
                parent_permission: false,
            } => {
                return Err(Error::ConsentInvalid(
                    "contributors under 18 need a parent's or guardian's permission".into(),
                ));
            }
            Age::Under13 => {
                return Err(Error::ConsentInvalid(
                    "contributors must be 13 or older".into(),
                ));
            }
        };
        if let Some(decade) = request.buckets.age_decade {
            let consistent = if minor {
                decade.start() == 10
            } else {
                decade.start() >= 10
            };
            if !consistent {
                return Err(Error::ConsentInvalid(format!(
                    "age decade {decade} does not match the age group given"
                )));
            }
        }
        let record = ConsentRecord {
            terms_version: request.terms_version,
            accepted_at: self.now(),
            minor_with_parental_permission: minor,
            buckets: request.buckets.clone(),
            withdrawn_at: None,
        };
        self.ledger.record_consent(&record)?;
        Ok(record)
    }

    /// The selected photos.
    pub fn selection(&self) -> Result<Vec<PathBuf>> {
        match self.vault.get(SELECTION)? {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(Error::json("selection")),
            None => Ok(Vec::new()),
        }
    }

    fn save_selection(&self, paths: &[PathBuf]) -> Result<()> {
        if paths.is_empty() {
            return self.vault.remove(SELECTION);
        }
        let bytes = serde_json::to_vec(paths).map_err(Error::json("selection"))?;
        self.vault.put(SELECTION, &bytes)
    }

    /// Adds photos to the selection. RAW, HEIF, sidecars and unreadable files are refused
    /// with their reason; the full anonymize check runs at preview.
    pub fn add(&mut self, paths: &[PathBuf]) -> Result<AddReport> {
        self.require_consent()?;
        let mut selection = self.selection()?;
        let mut report = AddReport::default();
        for path in paths {
            let canonical = match path.canonicalize() {
                Ok(p) => p,
                Err(e) => {
                    report.refused.push((path.clone(), e.to_string()));
                    continue;
                }
            };
            // Only regular files are opened (a FIFO would block the read), and only their head.
            let head = match read_head(&canonical) {
                Ok(head) => head,
                Err(e) => {
                    report.refused.push((path.clone(), e.to_string()));
                    continue;
                }
            };
            if let Err(reason) = anonymize::check_kind(&canonical, &head) {
                report.refused.push((path.clone(), reason.to_string()));
                continue;
            }
            if !selection.contains(&canonical) {
                selection.push(canonical.clone());
                report.added.push(canonical);
            }
        }
        self.save_selection(&selection)?;
        report.selected = selection.len();
        Ok(report)
    }

    /// Empties the selection.
    pub fn clear_selection(&mut self) -> Result<()> {
        self.save_selection(&[])
    }

    /// Builds the bundle from the selection: anonymize each photo (fail closed), compute its
    /// scores, name it with a keyed hash, write the manifest, seal to the collector's key and
    /// stage it. Writes the images exactly as they will be sent and the manifest to
    /// `out_dir/<anonymous id>/` so the contributor sees what will leave.
    pub fn preview(
        &mut self,
        collector: &CollectorClient,
        scorer: &mut dyn FnMut(&Path) -> std::result::Result<serde_json::Value, String>,
        out_dir: &Path,
    ) -> Result<PreviewReport> {
        let consent = self.require_consent()?;
        let selection = self.selection()?;
        if selection.is_empty() {
            return Err(Error::Flow(
                "nothing selected: `contribute add PATH...` first".into(),
            ));
        }
        let key = collector.public_key()?;
        let namer = KeyedNamer::new()?;
        let mut refused = Vec::new();
        let mut images = BTreeMap::new();
        let mut entries = Vec::new();
        let mut sources = Vec::new();
        for path in &selection {
            let anonymized = match anonymize::anonymize_file(path, &self.limits) {
                Ok(a) => a,
                Err(Error::Refused { reason, .. }) => {
                    refused.push((path.clone(), reason.to_string()));
                    continue;
                }
                Err(Error::Io { source, .. }) => {
                    refused.push((path.clone(), source.to_string()));
                    continue;
                }
                Err(e) => return Err(e),
            };
            let scores = match scorer(path) {
                Ok(s) => s,
                Err(message) => {
                    refused.push((path.clone(), format!("analysis failed: {message}")));
                    continue;
                }
            };
            let name = format!("{}.jpg", namer.name(&path.to_string_lossy()));
            entries.push(ImageEntry {
                name: name.clone(),
                scores,
            });
            sources.push((
                name.clone(),
                path.clone(),
                anonymized.width,
                anonymized.height,
            ));
            images.insert(name, anonymized.jpeg);
        }
        drop(namer);
        if images.is_empty() {
            let reasons: Vec<String> = refused
                .iter()
                .map(|(p, r)| format!("{}: {r}", p.display()))
                .collect();
            return Err(Error::Flow(format!(
                "no photo can be sent: {}",
                reasons.join("; ")
            )));
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let anonymous_id = bestpick_bundle::random_hex(16)?;
        let manifest = Manifest {
            schema_version: SCHEMA_VERSION,
            anonymous_id: anonymous_id.clone(),
            images: entries,
            buckets: consent.buckets.clone(),
        };
        let bundle = Bundle { manifest, images };
        let archive = bundle.to_archive().map_err(|e| match e {
            bestpick_bundle::Error::InvalidManifest(m) => {
                Error::Flow(format!("the analysis scores cannot be sent: {m}"))
            }
            other => Error::Bundle(other),
        })?;
        let manifest_json = String::from_utf8(bundle.manifest.to_json()?)
            .map_err(|_| Error::Flow("manifest is not UTF-8".into()))?;
        check_no_names(&manifest_json, &selection)?;
        let sealed = bestpick_bundle::seal(&key, &archive)?;

        // What will leave, in clear, for the contributor to look at.
        let dir = out_dir.join(&anonymous_id);
        let images_dir = dir.join("images");
        std::fs::create_dir_all(&images_dir).map_err(Error::io(&images_dir))?;
        let manifest_path = dir.join("manifest.json");
        std::fs::write(&manifest_path, &manifest_json).map_err(Error::io(&manifest_path))?;
        let mut previews = Vec::new();
        for (name, source, width, height) in sources {
            let preview_path = images_dir.join(&name);
            std::fs::write(&preview_path, &bundle.images[&name])
                .map_err(Error::io(&preview_path))?;
            previews.push(PreviewImage {
                source,
                name,
                width,
                height,
                preview_path,
            });
        }

        let image_count = u32::try_from(previews.len()).unwrap_or(u32::MAX);
        let header = StagedHeader {
            anonymous_id: anonymous_id.clone(),
            collector: collector.url().to_owned(),
            key_fingerprint: key.fingerprint(),
            created_at: self.now(),
            image_count,
            idempotency_key: bestpick_bundle::random_hex(24)?,
            receipt_token: bestpick_bundle::random_hex(32)?,
        };
        self.vault.put(
            &format!("{STAGED_PREFIX}{anonymous_id}"),
            &encode_staged(&header, &sealed)?,
        )?;
        crate::fsutil::crash_point("preview: staged, not in the ledger");
        self.ledger.upsert_contribution(&ContributionRecord {
            anonymous_id: anonymous_id.clone(),
            collector: collector.url().to_owned(),
            bundle_id: None,
            image_count,
            created_at: header.created_at,
            sent_at: None,
            state: ContributionState::Staged,
            datasets: vec![],
            last_error: None,
        })?;
        self.clear_selection()?;
        Ok(PreviewReport {
            anonymous_id,
            dir,
            images: previews,
            refused,
            manifest_json,
            sealed_bytes: sealed.len(),
        })
    }

    fn record(&self, anonymous_id: &str) -> Result<Option<ContributionRecord>> {
        Ok(self
            .ledger
            .contributions()?
            .into_iter()
            .find(|c| c.anonymous_id == anonymous_id))
    }

    fn update(
        &mut self,
        anonymous_id: &str,
        change: impl FnOnce(&mut ContributionRecord),
    ) -> Result<()> {
        if let Some(mut record) = self.record(anonymous_id)? {
            change(&mut record);
            self.ledger.upsert_contribution(&record)?;
        }
        Ok(())
    }

    /// Uploads every staged bundle. A failed upload leaves its bundle staged and says so.
    pub fn send(
        &mut self,
        collector: &CollectorClient,
        progress: &mut dyn FnMut(&str, UploadEvent),
    ) -> Result<SendReport> {
        self.require_consent()?;
        self.recover()?;
        self.purge_staged()?;
        let staged = self.vault.list(STAGED_PREFIX)?;
        let mut report = SendReport::default();
        if staged.is_empty() {
            return Ok(report);
        }
        let key = match collector.public_key() {
            Ok(k) => k,
            Err(e) => {
                let reason = format!("{e}; the bundle stays staged");
                for record in &staged {
                    let anon = record.trim_start_matches(STAGED_PREFIX).to_owned();
                    self.update(&anon, |r| r.last_error = Some(reason.clone()))?;
                    report.failed.push((anon, reason.clone()));
                }
                return Ok(report);
            }
        };
        for record in staged {
            let anon_of_record = record.trim_start_matches(STAGED_PREFIX).to_owned();
            let bytes = match self.vault.get(&record) {
                Ok(Some(bytes)) => bytes,
                Ok(None) => continue,
                Err(e) => {
                    report
                        .failed
                        .push((anon_of_record, format!("{e}; not sent")));
                    continue;
                }
            };
            let (header, sealed) = match decode_staged(&bytes) {
                Ok(decoded) => decoded,
                Err(e) => {
                    report
                        .failed
                        .push((anon_of_record, format!("{e}; not sent")));
                    continue;
                }
            };
            let anon = header.anonymous_id.clone();
            if header.key_fingerprint != key.fingerprint() {
                let reason = "sealed for another collector key; discard it (delete) and preview \
                              again"
                    .to_owned();
                report.failed.push((anon, reason));
                continue;
            }
            let receipt_hash = sha256_hex(header.receipt_token.as_bytes());
            let result =
                collector.upload(sealed, &header.idempotency_key, &receipt_hash, &mut |e| {
                    progress(&anon, e)
                });
            match result {
                Ok(receipt) => {
                    crate::fsutil::crash_point("send: uploaded, receipt not kept");
                    // In this order, each step durable before the next: the receipt, then the
                    // ledger, then removing the staged copy. A crash anywhere leaves the staged
                    // copy (sent again under the same idempotency key, the collector answers
                    // with the same id) or the receipt, which `recover` completes.
                    let stored = Receipt {
                        bundle_id: receipt.bundle_id.clone(),
                        collector: collector.url().to_owned(),
                        receipt_token: header.receipt_token.clone(),
                        image_count: header.image_count,
                        created_at: header.created_at,
                    };
                    let bytes = serde_json::to_vec(&stored).map_err(Error::json("receipt"))?;
                    self.vault.put(&format!("{RECEIPT_PREFIX}{anon}"), &bytes)?;
                    crate::fsutil::crash_point("send: receipt kept, ledger not updated");
                    let now = self.now();
                    let bundle_id = receipt.bundle_id.clone();
                    self.update(&anon, |r| {
                        r.bundle_id = Some(bundle_id);
                        r.sent_at = Some(now);
                        r.state = ContributionState::Received;
                        r.last_error = None;
                    })?;
                    crate::fsutil::crash_point("send: ledger updated, staged copy not removed");
                    // Confirmed and recorded: the staged copy is no longer needed.
                    self.vault.remove(&record)?;
                    report
                        .sent
                        .push((anon, receipt.bundle_id, header.image_count));
                }
                Err(e) => {
                    let reason = format!("{e}; the bundle stays staged");
                    self.update(&anon, |r| r.last_error = Some(reason.clone()))?;
                    report.failed.push((anon, reason));
                }
            }
        }
        Ok(report)
    }

    fn receipt(&self, anonymous_id: &str) -> Result<Option<Receipt>> {
        match self.vault.get(&format!("{RECEIPT_PREFIX}{anonymous_id}"))? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(Error::json("receipt")),
            None => Ok(None),
        }
    }

    /// Every contribution; sent ones are refreshed from `collector` when given.
    pub fn status(&mut self, collector: Option<&CollectorClient>) -> Result<StatusReport> {
        let mut report = StatusReport::default();
        if let Some(collector) = collector {
            for record in self.ledger.contributions()? {
                let (Some(bundle_id), ContributionState::Received) =
                    (record.bundle_id.clone(), record.state)
                else {
                    continue;
                };
                let Some(receipt) = self.receipt(&record.anonymous_id)? else {
                    report
                        .problems
                        .push(format!("{bundle_id}: no receipt kept"));
                    continue;
                };
                match collector.status(&bundle_id, &receipt.receipt_token) {
                    Ok(remote) => {
                        let state = if remote.state == "deleted" {
                            ContributionState::Deleted
                        } else {
                            ContributionState::Received
                        };
                        self.update(&record.anonymous_id, |r| {
                            r.state = state;
                            r.datasets = remote.datasets;
                            r.last_error = None;
                        })?;
                    }
                    Err(e) => report.problems.push(format!("{bundle_id}: {e}")),
                }
            }
        }
        report.contributions = self.ledger.contributions()?;
        Ok(report)
    }

    /// Finds a contribution by collector bundle id, anonymous id, or a unique prefix of
    /// either (at least 6 characters).
    pub fn find(&self, reference: &str) -> Result<ContributionRecord> {
        let reference = reference.trim().to_ascii_lowercase();
        let all = self.ledger.contributions()?;
        let matches: Vec<&ContributionRecord> = all
            .iter()
            .filter(|c| {
                let ids = [Some(c.anonymous_id.as_str()), c.bundle_id.as_deref()];
                ids.into_iter().flatten().any(|id| {
                    id == reference || (reference.len() >= 6 && id.starts_with(&reference))
                })
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::Flow(format!(
                "no contribution matches {reference:?}"
            ))),
            _ => Err(Error::Flow(format!(
                "{reference:?} matches several contributions"
            ))),
        }
    }

    /// Deletes one bundle: at the collector when it was sent, locally when only staged.
    pub fn delete(
        &mut self,
        collector: Option<&CollectorClient>,
        reference: &str,
    ) -> Result<ContributionRecord> {
        let record = self.find(reference)?;
        let anon = record.anonymous_id.clone();
        match record.state {
            ContributionState::Staged => {
                self.vault.remove(&format!("{STAGED_PREFIX}{anon}"))?;
                self.update(&anon, |r| r.state = ContributionState::Discarded)?;
            }
            ContributionState::Received => {
                let receipt = self
                    .receipt(&anon)?
                    .ok_or_else(|| Error::Flow("no receipt kept for this bundle".into()))?;
                let client;
                let collector = match collector {
                    Some(c) => c,
                    None => {
                        client = CollectorClient::new(&receipt.collector, Default::default())?;
                        &client
                    }
                };
                collector.delete(&receipt.bundle_id, &receipt.receipt_token)?;
                self.update(&anon, |r| {
                    r.state = ContributionState::Deleted;
                    r.datasets.clear();
                    r.last_error = None;
                })?;
            }
            ContributionState::Deleted | ContributionState::Discarded => {}
        }
        self.record(&anon)?
            .ok_or_else(|| Error::Flow("contribution vanished".into()))
    }

    /// Withdraws consent (stopping all future contribution), discards the selection and
    /// every staged bundle, and asks the collector to delete every bundle sent.
    pub fn withdraw(&mut self, collector: Option<&CollectorClient>) -> Result<WithdrawReport> {
        self.ledger.withdraw_consents(self.now())?;
        self.clear_selection()?;
        let mut report = WithdrawReport::default();
        for record in self.ledger.contributions()? {
            match record.state {
                ContributionState::Staged => {
                    self.delete(collector, &record.anonymous_id)?;
                    report.discarded.push(record.anonymous_id);
                }
                ContributionState::Received => {
                    let label = record
                        .bundle_id
                        .clone()
                        .unwrap_or(record.anonymous_id.clone());
                    match self.delete(collector, &record.anonymous_id) {
                        Ok(_) => report.deleted.push(label),
                        Err(e) => {
                            let reason = e.to_string();
                            self.update(&record.anonymous_id, |r| {
                                r.last_error = Some(format!("withdrawal pending: {reason}"));
                            })?;
                            report.failed.push((label, reason));
                        }
                    }
                }
                ContributionState::Deleted | ContributionState::Discarded => {}
            }
        }
        // Staged records without a ledger entry (should not happen) go too.
        for record in self.vault.list(STAGED_PREFIX)? {
            self.vault.remove(&record)?;
        }
        Ok(report)
    }

    /// The contributor's own records (consents and contributions) for `export-ledger`.
    /// Receipt tokens stay in the vault.
    pub fn export_ledger(&self) -> Result<LedgerData> {
        Ok(LedgerData {
            consents: self.ledger.consents()?,
            contributions: self.ledger.contributions()?,
        })
    }

    /// Deletes staged bundles older than 30 days (also ones that no longer decrypt).
    pub fn purge_staged(&mut self) -> Result<usize> {
        let now = self.now();
        let mut purged = Vec::new();
        for record in self.vault.list(STAGED_PREFIX)? {
            let expired = match self.vault.get(&record) {
                Ok(Some(bytes)) => decode_staged(&bytes)
                    .map(|(h, _)| now - h.created_at > STAGING_MAX_AGE_SECS)
                    .unwrap_or(true),
                Ok(None) => false,
                Err(_) => {
                    let age = self.vault.age_secs(&record)?;
                    i64::try_from(age).unwrap_or(i64::MAX) > STAGING_MAX_AGE_SECS
                }
            };
            if expired {
                self.vault.remove(&record)?;
                purged.push(record.trim_start_matches(STAGED_PREFIX).to_owned());
            }
        }
        for anon in &purged {
            self.update(anon, |r| {
                r.state = ContributionState::Discarded;
                r.last_error = Some("not sent within 30 days; deleted locally".into());
            })?;
        }
        Ok(purged.len())
    }
}

fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(64);
    let (file, _) = crate::fsutil::open_regular(path)?;
    file.take(64).read_to_end(&mut head)?;
    Ok(head)
}

/// Defence in depth: no original file name (or stem) may appear in the manifest.
fn check_no_names(manifest_json: &str, sources: &[PathBuf]) -> Result<()> {
    let haystack = manifest_json.to_lowercase();
    for source in sources {
        for part in [source.file_name(), source.file_stem()]
            .into_iter()
            .flatten()
        {
            let needle = part.to_string_lossy().to_lowercase();
            if needle.len() >= 4 && haystack.contains(&needle) {
                return Err(Error::Flow(format!(
                    "the manifest would contain the file name of {}; nothing was staged",
                    source.display()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod crash_tests;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ledger::MemoryLedger;
    use crate::vault::MemoryKeyStore;
    use bestpick_bundle::AgeDecade;

    fn request(age: Age, decade: Option<u8>) -> ConsentRequest {
        ConsentRequest {
            terms_version: terms::CURRENT_VERSION,
            age,
            buckets: Buckets {
                age_decade: decade.and_then(AgeDecade::new),
                ..Buckets::default()
            },
        }
    }

    #[test]
    fn consent_rules() {
        let dir = tempfile::tempdir().unwrap();
        let keys = MemoryKeyStore::default();
        let mut ledger = MemoryLedger::default();
        let mut c = Contributor::new(Vault::open(dir.path(), &keys).unwrap(), &mut ledger).unwrap();
        assert!(
            matches!(c.require_consent(), Err(Error::NoConsent)),
            "off by default"
        );
        let cases = [
            ("adult", request(Age::Adult, Some(30)), true),
            ("adult, blank buckets", request(Age::Adult, None), true),
            (
                "teen with permission",
                request(
                    Age::Teen {
                        parent_permission: true,
                    },
                    Some(10),
                ),
                true,
            ),
            (
                "teen without permission",
                request(
                    Age::Teen {
                        parent_permission: false,
                    },
                    None,
                ),
                false,
            ),
            (
                "teen claiming 30-39",
                request(
                    Age::Teen {
                        parent_permission: true,
                    },
                    Some(30),
                ),
                false,
            ),
            ("under 13", request(Age::Under13, None), false),
            (
                "old terms",
                ConsentRequest {
                    terms_version: 0,
                    ..request(Age::Adult, None)
                },
                false,
            ),
        ];
        for (case, req, ok) in cases {
            assert_eq!(c.give_consent(&req).is_ok(), ok, "case {case}");
        }
        assert!(c.require_consent().is_ok(), "consent in force");
        c.withdraw(None).unwrap();
        assert!(
            matches!(c.require_consent(), Err(Error::NoConsent)),
            "withdrawn"
        );
    }

    #[test]
    fn consent_is_kept_in_the_catalog() {
        let dir = tempfile::tempdir().unwrap();
        let keys = MemoryKeyStore::default();
        let path = dir.path().join("catalog.sqlite");
        {
            let mut catalog = bestpick_catalog::Catalog::open(&path).unwrap();
            let mut c = Contributor::new(
                Vault::open(&dir.path().join("v"), &keys).unwrap(),
                &mut catalog,
            )
            .unwrap();
            c.give_consent(&request(Age::Adult, Some(30))).unwrap();
        }
        let mut catalog = bestpick_catalog::Catalog::open(&path).unwrap();
        assert_eq!(
            catalog.current_consent().unwrap().map(|c| c.terms_version),
            Some(terms::CURRENT_VERSION),
            "the catalog holds the consent"
        );
        let mut c = Contributor::new(
            Vault::open(&dir.path().join("v"), &keys).unwrap(),
            &mut catalog,
        )
        .unwrap();
        let consent = c.require_consent().unwrap();
        assert_eq!(
            consent.buckets.age_decade.map(AgeDecade::start),
            Some(30),
            "buckets kept"
        );
        c.withdraw(None).unwrap();
        assert!(
            matches!(c.require_consent(), Err(Error::NoConsent)),
            "withdrawn"
        );
        drop(c);
        assert!(
            catalog.consents().unwrap()[0].withdrawn_at_ms.is_some(),
            "withdrawal recorded in the catalog"
        );
    }

    fn old_clock() -> i64 {
        1_000_000
    }

    fn later_clock() -> i64 {
        1_000_000 + STAGING_MAX_AGE_SECS + 1
    }

    #[test]
    fn staged_bundles_expire_after_30_days() {
        let dir = tempfile::tempdir().unwrap();
        let keys = MemoryKeyStore::default();
        let mut ledger = MemoryLedger::default();
        let anon = "a".repeat(32);
        {
            let vault = Vault::open(dir.path(), &keys).unwrap();
            let header = StagedHeader {
                anonymous_id: anon.clone(),
                collector: "http://127.0.0.1:9".into(),
                key_fingerprint: "f".into(),
                created_at: old_clock(),
                image_count: 1,
                idempotency_key: "k".repeat(48),
                receipt_token: "t".repeat(64),
            };
            vault
                .put(
                    &format!("{STAGED_PREFIX}{anon}"),
                    &encode_staged(&header, b"x").unwrap(),
                )
                .unwrap();
            ledger
                .upsert_contribution(&ContributionRecord {
                    anonymous_id: anon.clone(),
                    collector: header.collector.clone(),
                    bundle_id: None,
                    image_count: 1,
                    created_at: old_clock(),
                    sent_at: None,
                    state: ContributionState::Staged,
                    datasets: vec![],
                    last_error: None,
                })
                .unwrap();
        }
        {
            let vault = Vault::open(dir.path(), &keys).unwrap();
            let c = Contributor::with_clock(vault, &mut ledger, old_clock).unwrap();
            assert_eq!(c.vault.list(STAGED_PREFIX).unwrap().len(), 1, "fresh: kept");
        }
        let vault = Vault::open(dir.path(), &keys).unwrap();
        let c = Contributor::with_clock(vault, &mut ledger, later_clock).unwrap();
        assert!(
            c.vault.list(STAGED_PREFIX).unwrap().is_empty(),
            "30 days: deleted"
        );
        let record = c.find(&anon[..8]).unwrap();
        assert_eq!(
            record.state,
            ContributionState::Discarded,
            "ledger says discarded"
        );
        assert!(record.last_error.unwrap().contains("30 days"), "and why");
    }

    /// Ids a hostile or broken collector might answer with; none is one of its ids.
    pub(crate) fn hostile_ids() -> Vec<String> {
        let good = "0123456789abcdef0123456789abcdef";
        vec![
            "../../x".into(),
            "a/b".into(),
            "%2e%2e".into(),
            "..".into(),
            String::new(),
            "a".repeat(10_000),
            format!("{good}?x=1"),
            format!("{good}#frag"),
            format!("{}?", &good[..31]),
            format!("{}/", &good[..31]),
            good.to_ascii_uppercase(),
            good[..31].to_owned(),
            format!("{good}0"),
            format!("{}\u{e9}", &good[..31]),
            format!("{} ", &good[..31]),
            format!("{}\n", &good[..31]),
        ]
    }

    #[test]
    fn a_hostile_bundle_id_is_refused_and_the_bundle_stays_staged() {
        let fake = crate::fake_collector::FakeCollector::start();
        let retry = crate::upload::RetryPolicy {
            attempts: 1,
            base_delay: std::time::Duration::from_millis(1),
            max_delay: std::time::Duration::from_millis(1),
            timeout: std::time::Duration::from_secs(30),
        };
        let client = CollectorClient::new(&fake.url, retry).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let keys = MemoryKeyStore::default();
        let mut ledger = MemoryLedger::default();
        let vault = Vault::open(&dir.path().join("v"), &keys).unwrap();
        let mut c = Contributor::new(vault, &mut ledger).unwrap();
        c.give_consent(&request(Age::Adult, None)).unwrap();
        let photo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/piexif_r_canon.jpg");
        c.add(&[photo]).unwrap();
        let preview = c
            .preview(
                &client,
                &mut |_| Ok(serde_json::json!({ "sharpness": 0.5 })),
                &dir.path().join("preview"),
            )
            .unwrap();
        let anon = preview.anonymous_id;

        for id in hostile_ids() {
            let case: String = id.chars().take(40).collect();
            fake.state().answer_id = Some(id.clone());
            let report = c.send(&client, &mut |_, _| {}).unwrap();
            assert!(report.sent.is_empty(), "case {case:?}: not sent");
            let [(failed, reason)] = &report.failed[..] else {
                panic!("case {case:?}: one failure: {:?}", report.failed);
            };
            assert_eq!(*failed, anon, "case {case:?}: the bundle");
            assert!(
                reason.contains("invalid bundle id") && reason.contains("stays staged"),
                "case {case:?}: clear reason: {reason}"
            );
            assert!(
                reason.len() < 300,
                "case {case:?}: the id is shortened: {reason}"
            );
            assert_eq!(
                c.vault.list(STAGED_PREFIX).unwrap(),
                [format!("{STAGED_PREFIX}{anon}")],
                "case {case:?}: still staged"
            );
            assert!(
                c.vault.list(RECEIPT_PREFIX).unwrap().is_empty(),
                "case {case:?}: no receipt stored"
            );
            let record = c.find(&anon).unwrap();
            assert_eq!(
                (record.state, record.bundle_id),
                (ContributionState::Staged, None),
                "case {case:?}: the ledger still says staged"
            );
        }
        let requests = fake.state().requests.clone();
        assert!(
            requests
                .iter()
                .all(|(m, p)| (m == "GET" && p == "/v1/key") || (m == "POST" && p == "/v1/bundles")),
            "no id was ever put in a URL: {requests:?}"
        );

        // The same bundle goes once the collector answers with one of its ids.
        fake.state().answer_id = None;
        let report = c.send(&client, &mut |_, _| {}).unwrap();
        assert_eq!(report.sent.len(), 1, "sent: {:?}", report.failed);
        assert!(
            c.vault.list(STAGED_PREFIX).unwrap().is_empty(),
            "no longer staged"
        );
        let status = c.status(Some(&client)).unwrap();
        assert!(status.problems.is_empty(), "{:?}", status.problems);
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("photo.jpg");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let photo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/piexif_r_canon.jpg");
        let vault_dir = dir.path().join("v");
        let (tx, rx) = std::sync::mpsc::channel();
        let paths = vec![fifo.clone(), photo, dir.path().to_path_buf()];
        std::thread::spawn(move || {
            let keys = MemoryKeyStore::default();
            let mut ledger = MemoryLedger::default();
            let mut c =
                Contributor::new(Vault::open(&vault_dir, &keys).unwrap(), &mut ledger).unwrap();
            c.give_consent(&request(Age::Adult, None)).unwrap();
            let added = c.add(&paths).unwrap();
            let anonymized = anonymize::anonymize_file(&paths[0], &Limits::default());
            let _ = tx.send((added, anonymized.map(|_| ()).map_err(|e| e.to_string())));
        });
        let (added, anonymized) = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("a FIFO blocked the contribution");
        assert_eq!(added.added.len(), 1, "the photo is added");
        let reasons: Vec<&str> = added.refused.iter().map(|(_, r)| r.as_str()).collect();
        assert!(
            reasons.len() == 2 && reasons[0].contains("FIFO") && reasons[1].contains("directory"),
            "FIFO and directory refused with their reason: {reasons:?}"
        );
        assert!(
            anonymized.as_ref().is_err_and(|e| e.contains("FIFO")),
            "anonymize refuses it too: {anonymized:?}"
        );
    }

    #[test]
    fn manifest_never_names_sources() {
        let sources = [PathBuf::from("/home/ann/IMG_0001.JPG")];
        assert!(
            check_no_names("{\"x\": \"img_0001\"}", &sources).is_err(),
            "stem found"
        );
        assert!(
            check_no_names("{\"x\": 1}", &sources).is_ok(),
            "clean manifest"
        );
    }
}
