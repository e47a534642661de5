//! `export`: writes the decrypted images and manifests of every live bundle for researchers,
//! and records which dataset used which bundle (contributors then see it in their status).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use bestpick_bundle::{Bundle, Limits};

use crate::keys::KeySet;
use crate::store::Store;

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// Bundles written.
    pub bundles: usize,
    /// Images written.
    pub images: usize,
}

/// True for dataset names made of `[A-Za-z0-9._-]`, 1 to 64 characters, not starting with '.'.
pub fn valid_dataset_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// Exports every live bundle to `out/<bundle id>/{manifest.json, images/*.jpg}`.
///
/// Deleted bundles never appear. Each bundle is checked again (decrypt, manifest, metadata
/// verifier) before anything is written; a bundle that fails is skipped and reported. Every
/// key in `keys` is used: bundles sealed to keys since rotated out open too.
pub fn export(
    store: &dyn Store,
    keys: &KeySet,
    dataset: &str,
    out: &Path,
    actor: &str,
    now: i64,
) -> anyhow::Result<ExportReport> {
    if !valid_dataset_name(dataset) {
        bail!("dataset name must be 1-64 characters of A-Z a-z 0-9 . _ -");
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let out = out
        .canonicalize()
        .with_context(|| format!("resolving {}", out.display()))?;
    // Logged before any data leaves: an export that fails half-way is on record too.
    store.log_access(now, actor, &format!("export started dataset={dataset}"))?;
    let mut report = ExportReport {
        bundles: 0,
        images: 0,
    };
    let (secrets, _) = keys.newest_first();
    for id in store.live_bundles()? {
        let sealed = store.sealed(&id)?;
        let bundle = match bestpick_bundle::open_any(&secrets, &sealed)
            .and_then(|(archive, _)| Bundle::from_archive(&archive, &Limits::default()))
        {
            Ok(b) => b,
            Err(e) => {
                eprintln!("bundle {id}: skipped: {e}");
                continue;
            }
        };
        let dir = out.join(&id);
        let images_dir = dir.join("images");
        std::fs::create_dir_all(&images_dir)
            .with_context(|| format!("creating {}", images_dir.display()))?;
        let mut files: Vec<PathBuf> = Vec::new();
        let manifest_path = dir.join("manifest.json");
        std::fs::write(&manifest_path, bundle.manifest.to_json()?)
            .with_context(|| format!("writing {}", manifest_path.display()))?;
        files.push(manifest_path);
        for (name, bytes) in &bundle.images {
            let path = images_dir.join(name);
            std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
            files.push(path);
        }
        store.record_export(dataset, &id, &files, now)?;
        report.bundles += 1;
        report.images += bundle.images.len();
    }
    store.log_access(
        now,
        actor,
        &format!(
            "export dataset={dataset} bundles={} images={}",
            report.bundles, report.images
        ),
    )?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_names() {
        let cases = [
            ("faces-2026", true),
            ("v1.2_train", true),
            ("", false),
            ("../x", false),
            (".hidden", false),
            ("a b", false),
            ("x/y", false),
        ];
        for (name, want) in cases {
            assert_eq!(valid_dataset_name(name), want, "case {name:?}");
        }
    }
}
