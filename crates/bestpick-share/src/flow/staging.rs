//! Staged bundles and receipts in the vault: the staged file format, reading a file's head, and
//! purging what was not sent within 30 days.
//!
//! A staged record is `header length (u32, big endian) | JSON header | sealed bundle | archive`.
//! The archive (the bundle before sealing, the vault encrypts it like the rest) lets a bundle
//! sealed to a collector key that was rotated out be sealed again to the new key instead of
//! discarded; `archive_len` in the header gives its length. Records staged by builds before
//! key rotation have no archive (and no `archive_len`): all after the header is sealed.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StagedHeader {
    pub(super) anonymous_id: String,
    pub(super) collector: String,
    pub(super) key_fingerprint: String,
    pub(super) created_at: i64,
    pub(super) image_count: u32,
    pub(super) idempotency_key: String,
    pub(super) receipt_token: String,
    /// Length of the archive after the sealed bytes; absent in records of older builds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) archive_len: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Receipt {
    pub(super) bundle_id: String,
    pub(super) collector: String,
    pub(super) receipt_token: String,
    /// Images in the bundle (0 in receipts of older builds), so the ledger record can be
    /// rebuilt from the receipt alone.
    #[serde(default)]
    pub(super) image_count: u32,
    /// When the bundle was staged (0 in receipts of older builds).
    #[serde(default)]
    pub(super) created_at: i64,
}

/// A staged record's parts, borrowed from its bytes.
pub(super) struct Staged<'a> {
    pub(super) header: StagedHeader,
    pub(super) sealed: &'a [u8],
    /// The archive that was sealed, to seal it again; `None` in records of older builds.
    pub(super) archive: Option<&'a [u8]>,
}

/// A staged record of `header` (its `archive_len` is set here), `sealed` and `archive`.
pub(super) fn encode_staged(
    header: &StagedHeader,
    sealed: &[u8],
    archive: Option<&[u8]>,
) -> Result<Vec<u8>> {
    let header = StagedHeader {
        archive_len: archive.map(|a| a.len() as u64),
        ..header.clone()
    };
    let json = serde_json::to_vec(&header).map_err(Error::json("staged bundle header"))?;
    let len = u32::try_from(json.len()).map_err(|_| Error::MalformedStaged)?;
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(&json);
    out.extend_from_slice(sealed);
    out.extend_from_slice(archive.unwrap_or_default());
    Ok(out)
}

pub(super) fn decode_staged(bytes: &[u8]) -> Result<Staged<'_>> {
    let bad = || Error::MalformedStaged;
    let len_bytes: [u8; 4] = bytes
        .get(..4)
        .ok_or_else(bad)?
        .try_into()
        .map_err(|_| bad())?;
    let len = usize::try_from(u32::from_be_bytes(len_bytes)).map_err(|_| bad())?;
    let json = bytes.get(4..4 + len).ok_or_else(bad)?;
    let header: StagedHeader =
        serde_json::from_slice(json).map_err(Error::json("staged bundle header"))?;
    let rest = &bytes[4 + len..];
    let (sealed, archive) = match header.archive_len {
        None => (rest, None),
        Some(n) => {
            let n = usize::try_from(n).map_err(|_| bad())?;
            let split = rest.len().checked_sub(n).ok_or_else(bad)?;
            (&rest[..split], Some(&rest[split..]))
        }
    };
    Ok(Staged {
        header,
        sealed,
        archive,
    })
}

pub(super) fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(64);
    let (file, _) = crate::fsutil::open_regular(path)?;
    file.take(64).read_to_end(&mut head)?;
    Ok(head)
}

impl Contributor<'_> {
    /// Deletes staged bundles older than 30 days (also ones that no longer decrypt).
    pub fn purge_staged(&mut self) -> Result<usize> {
        let now = self.now();
        let mut purged = Vec::new();
        for record in self.vault.list(STAGED_PREFIX)? {
            let expired = match self.vault.get(&record) {
                Ok(Some(bytes)) => decode_staged(&bytes)
                    .map(|s| now - s.header.created_at > STAGING_MAX_AGE_SECS)
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
