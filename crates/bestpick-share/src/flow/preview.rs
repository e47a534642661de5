//! Preview: anonymize the selection, build and seal the bundle, stage it, and show exactly what
//! will leave.

use super::*;

impl Contributor<'_> {
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
            return Err(Error::NothingSelected);
        }
        let key = collector.public_key(&mut *self.ledger)?;
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
            return Err(Error::NothingSendable(reasons));
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let anonymous_id = bestpick_bundle::random_hex(16)?;
        let manifest = Manifest {
            schema_version: SCHEMA_VERSION,
            anonymous_id: anonymous_id.clone(),
            images: entries,
            buckets: ledger::buckets(&consent)?,
        };
        let bundle = Bundle { manifest, images };
        let archive = bundle.to_archive().map_err(|e| match e {
            bestpick_bundle::Error::InvalidManifest(m) => Error::ScoresRefused(m),
            other => Error::Bundle(other),
        })?;
        let manifest_json = String::from_utf8(bundle.manifest.to_json()?)
            .map_err(|_| Error::ScoresRefused("the manifest is not UTF-8".into()))?;
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
            archive_len: None,
        };
        // The archive is staged too (in the encrypted vault), so that a bundle sealed to a key
        // the collector rotated out can be sealed again to its new key (see send.rs).
        self.vault.put(
            &format!("{STAGED_PREFIX}{anonymous_id}"),
            &encode_staged(&header, &sealed, Some(&archive))?,
        )?;
        crate::fsutil::crash_point("preview: staged, not in the ledger");
        self.ledger.upsert_contribution(&Contribution {
            anonymous_id: anonymous_id.clone(),
            collector: collector.url().to_owned(),
            bundle_id: None,
            image_count,
            created_at_ms: secs_to_ms(header.created_at)?,
            sent_at_ms: None,
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
}

/// Defence in depth: no original file name (or stem) may appear in the manifest.
pub(super) fn check_no_names(manifest_json: &str, sources: &[PathBuf]) -> Result<()> {
    let haystack = manifest_json.to_lowercase();
    for source in sources {
        for part in [source.file_name(), source.file_stem()]
            .into_iter()
            .flatten()
        {
            let needle = part.to_string_lossy().to_lowercase();
            if needle.len() >= 4 && haystack.contains(&needle) {
                return Err(Error::NameInManifest(source.clone()));
            }
        }
    }
    Ok(())
}
