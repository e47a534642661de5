//! Sending a staged bundle: upload with retries, keep the receipt before marking it sent, and
//! the ledger records behind it.
//!
//! When the collector answers that the bundle's key was rotated out (409 `key_retired`, or
//! `unknown_key`), the bundle is sealed again from the archive staged with it to the key the
//! collector serves now, staged again (durably, before it leaves) and sent once more under the
//! same idempotency key. On any failure it stays staged.

use super::staging::Staged;
use super::*;

impl Contributor<'_> {
    pub(super) fn record(&self, anonymous_id: &str) -> Result<Option<Contribution>> {
        Ok(self
            .ledger
            .contributions()?
            .into_iter()
            .find(|c| c.anonymous_id == anonymous_id))
    }

    pub(super) fn update(
        &mut self,
        anonymous_id: &str,
        change: impl FnOnce(&mut Contribution),
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
        let key = match collector.public_key(&mut *self.ledger) {
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
            let staged = match decode_staged(&bytes) {
                Ok(decoded) => decoded,
                Err(e) => {
                    report
                        .failed
                        .push((anon_of_record, format!("{e}; not sent")));
                    continue;
                }
            };
            let anon = staged.header.anonymous_id.clone();
            // Staged for one collector, it is never sent to another: a collector at another
            // address is the same one only if it serves the same key. One at the same address
            // may have rotated its key: the bundle is sent as it is, and it may be sealed again
            // (below) only there.
            let same_collector = staged.header.collector == collector.url();
            if !same_collector && staged.header.key_fingerprint != key.fingerprint() {
                let reason = "sealed for another collector key; discard it (delete) and preview \
                              again"
                    .to_owned();
                report.failed.push((anon, reason));
                continue;
            }
            // Sealed to an older key, it is sent as it is: the collector may still take it (it
            // keeps old keys for a grace period), and if not it says so, and it is sealed again.
            let header = &staged.header;
            let result = match self.upload_staged(collector, header, staged.sealed, progress) {
                Err(e) if e.is_stale_key() && same_collector => {
                    match self.reseal(collector, &record, &staged) {
                        Ok((resealed, sealed)) => {
                            progress(
                                &anon,
                                UploadEvent::Resealed {
                                    key_id: resealed.key_fingerprint.clone(),
                                },
                            );
                            self.upload_staged(collector, &resealed, &sealed, progress)
                        }
                        Err(e) => Err(e),
                    }
                }
                other => other,
            };
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
                    let now = self.now_ms()?;
                    let bundle_id = receipt.bundle_id.clone();
                    self.update(&anon, |r| {
                        r.bundle_id = Some(bundle_id);
                        r.sent_at_ms = Some(now);
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

    /// Uploads one staged bundle's sealed bytes.
    fn upload_staged(
        &mut self,
        collector: &CollectorClient,
        header: &StagedHeader,
        sealed: &[u8],
        progress: &mut dyn FnMut(&str, UploadEvent),
    ) -> Result<crate::upload::UploadReceipt> {
        let anon = header.anonymous_id.as_str();
        let receipt_hash = sha256_hex(header.receipt_token.as_bytes());
        collector.upload(
            &mut *self.ledger,
            anon,
            sealed,
            &header.idempotency_key,
            &receipt_hash,
            &mut |e| progress(anon, e),
        )
    }

    /// Seals the archive staged in `staged` (the vault record `record`) again, to the key the
    /// collector serves now, and stages the result in its place before it is sent: a crash
    /// after this sends the same bytes again, which the collector recognises by the
    /// idempotency key. Returns the new header and sealed bytes.
    fn reseal(
        &mut self,
        collector: &CollectorClient,
        record: &str,
        staged: &Staged<'_>,
    ) -> Result<(StagedHeader, Vec<u8>)> {
        let archive = staged.archive.ok_or_else(|| {
            Error::CannotReseal(
                "it was staged by an older version that kept no copy to seal again; discard it \
                 (delete) and preview again"
                    .into(),
            )
        })?;
        let key = collector.public_key(&mut *self.ledger)?;
        if key.fingerprint() == staged.header.key_fingerprint {
            return Err(Error::CannotReseal(format!(
                "it still serves that key ({}); send again later",
                key.fingerprint()
            )));
        }
        // What is sealed again is checked again, as when it was built (fail closed).
        let manifest = Bundle::check_archive(archive, &bestpick_bundle::Limits::default())?;
        if manifest.anonymous_id != staged.header.anonymous_id {
            return Err(Error::MalformedStaged);
        }
        let sealed = bestpick_bundle::seal(&key, archive)?;
        let header = StagedHeader {
            key_fingerprint: key.fingerprint(),
            ..staged.header.clone()
        };
        self.vault
            .put(record, &encode_staged(&header, &sealed, Some(archive))?)?;
        crate::fsutil::crash_point("send: sealed again, not uploaded");
        Ok((header, sealed))
    }

    pub(super) fn receipt(&self, anonymous_id: &str) -> Result<Option<Receipt>> {
        match self.vault.get(&format!("{RECEIPT_PREFIX}{anonymous_id}"))? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(Error::json("receipt")),
            None => Ok(None),
        }
    }
}
