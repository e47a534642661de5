//! Export plans for a shoot's decisions: XMP sidecars, or copying/moving the picks. A plan is
//! made first (what will be written where, nothing touched) so a front end can show it, then
//! executed; executing re-checks nothing the plan did not, and reports per file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bestpick_catalog::export::{PickMode, PlannedTransfer, execute_picks, plan_picks};
use bestpick_catalog::xmp::{PlannedSidecar, SidecarNaming, plan_xmp, write_xmp};
use bestpick_catalog::{Catalog, Decision, ExportReport, Flag, PhotoId, ShootId};
use bestpick_core::{FileKind, PhotoFile};

use crate::Session;
use crate::error::Result;

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportRequest {
    /// A sidecar for every photo with a decision (and for the RAW of a RAW+JPEG pair).
    Xmp {
        /// Adobe (`IMG_1.xmp`) or darktable (`IMG_1.JPG.xmp`) names.
        naming: SidecarNaming,
    },
    /// The picked photos, with their companions, into `dest`.
    Picks {
        /// Destination folder (created when executing).
        dest: PathBuf,
        /// Copy or move.
        mode: PickMode,
    },
}

/// A plan, ready to show and to execute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportPlan {
    /// Sidecars to create or merge.
    Xmp(Vec<PlannedSidecar>),
    /// Files to copy or move.
    Picks {
        /// Destination folder.
        dest: PathBuf,
        /// The transfers.
        transfers: Vec<PlannedTransfer>,
    },
}

impl ExportPlan {
    /// Number of files the plan writes.
    pub fn len(&self) -> usize {
        match self {
            ExportPlan::Xmp(p) => p.len(),
            ExportPlan::Picks { transfers, .. } => transfers.len(),
        }
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The photos among `files` (of shoot `shoot`) with their decisions, by path.
fn decided(
    catalog: &Catalog,
    shoot: ShootId,
    files: impl IntoIterator<Item = PhotoFile>,
) -> Result<Vec<(PhotoFile, Decision)>> {
    let decisions: HashMap<PhotoId, Decision> = catalog.decisions(shoot)?;
    let by_path: HashMap<String, PhotoId> = catalog
        .photos(shoot)?
        .into_iter()
        .map(|r| (r.rel_path, r.id))
        .collect();
    let mut out: Vec<(PhotoFile, Decision)> = files
        .into_iter()
        .filter_map(|f| {
            let d = by_path
                .get(&f.rel_path)
                .and_then(|id| decisions.get(id))
                .copied()?;
            Some((f, d))
        })
        .collect();
    out.sort_by(|a, b| a.0.rel_path.cmp(&b.0.rel_path));
    Ok(out)
}

/// Plans `request` for the shoot `shoot` rooted at `root`, as the folder is now (it is
/// scanned). Writes nothing.
pub fn plan_export(
    catalog: &Catalog,
    shoot: ShootId,
    root: &Path,
    request: &ExportRequest,
) -> Result<ExportPlan> {
    let scan = bestpick_core::scan(root)?;
    Ok(plan_for(&decided(catalog, shoot, scan.photos)?, request))
}

/// Plans `request` for an open shoot, without scanning its folder again: its photos that
/// still exist. Writes nothing.
pub fn plan_session_export(
    catalog: &Catalog,
    session: &Session,
    request: &ExportRequest,
) -> Result<ExportPlan> {
    let files = session
        .photos
        .iter()
        .filter(|p| p.file.path.exists())
        .map(|p| p.file.clone());
    Ok(plan_for(&decided(catalog, session.shoot, files)?, request))
}

/// The plan of `request` for the `decided` photos.
fn plan_for(decided: &[(PhotoFile, Decision)], request: &ExportRequest) -> ExportPlan {
    match request {
        ExportRequest::Xmp { naming } => {
            let mut items = Vec::new();
            for (file, decision) in decided.iter().filter(|(_, d)| !is_blank(d)) {
                items.push((file.path.clone(), *decision));
                if let Some(raw) = file
                    .companions
                    .iter()
                    .find(|c| FileKind::from_path(c) == Some(FileKind::Raw))
                {
                    items.push((raw.clone(), *decision));
                }
            }
            ExportPlan::Xmp(plan_xmp(&items, *naming))
        }
        ExportRequest::Picks { dest, mode } => {
            let picks: Vec<Vec<PathBuf>> = decided
                .iter()
                .filter(|(_, d)| d.flag == Flag::Pick)
                .map(|(f, _)| {
                    std::iter::once(f.path.clone())
                        .chain(f.companions.iter().cloned())
                        .collect()
                })
                .collect();
            ExportPlan::Picks {
                dest: dest.clone(),
                transfers: plan_picks(&picks, dest, *mode),
            }
        }
    }
}

/// A decision that says nothing (never decided, or everything reset).
fn is_blank(d: &Decision) -> bool {
    d.flag == Flag::None && d.stars == 0 && d.label.is_none()
}

/// Executes a plan. One failure never stops the batch.
pub fn execute_export(plan: &ExportPlan) -> ExportReport {
    match plan {
        ExportPlan::Xmp(p) => write_xmp(p),
        // Destination folders are created per file, and a failure is that file's error.
        ExportPlan::Picks { transfers, .. } => execute_picks(transfers),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bestpick_catalog::{DecisionChange, FileKey};

    #[test]
    fn plans_cover_decided_photos_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        for name in ["a.jpg", "b.jpg", "c.jpg"] {
            std::fs::write(root.join(name), b"jpeg bytes").expect("write");
        }
        let mut catalog = Catalog::open_in_memory().expect("catalog");
        let shoot = catalog.shoot(&root).expect("shoot");
        let keys: Vec<FileKey> = ["a.jpg", "b.jpg", "c.jpg"]
            .iter()
            .map(|n| FileKey {
                rel_path: (*n).into(),
                size: 10,
                mtime_ns: 0,
            })
            .collect();
        let ids = catalog.sync_photos(shoot, &keys).expect("sync");
        catalog
            .decide(shoot, &[ids[0]], DecisionChange::Flag(Flag::Pick))
            .expect("pick a");
        catalog
            .decide(shoot, &[ids[1]], DecisionChange::Stars(3))
            .expect("stars b");

        let xmp = plan_export(
            &catalog,
            shoot,
            &root,
            &ExportRequest::Xmp {
                naming: SidecarNaming::Adobe,
            },
        )
        .expect("plan xmp");
        let ExportPlan::Xmp(sidecars) = &xmp else {
            panic!("xmp plan expected")
        };
        let names: Vec<String> = sidecars
            .iter()
            .map(|s| {
                s.sidecar
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(
            names,
            ["a.xmp", "b.xmp"],
            "sidecars for the two decided photos"
        );
        assert!(!root.join("a.xmp").exists(), "planning writes nothing");
        let report = execute_export(&xmp);
        assert!(report.is_complete(), "xmp written: {:?}", report.failed);
        assert!(
            root.join("a.xmp").is_file() && root.join("b.xmp").is_file(),
            "sidecars exist"
        );

        let out = root.join("picks");
        let picks = plan_export(
            &catalog,
            shoot,
            &root,
            &ExportRequest::Picks {
                dest: out.clone(),
                mode: PickMode::Copy,
            },
        )
        .expect("plan picks");
        assert_eq!(picks.len(), 2, "the pick and its new sidecar");
        let report = execute_export(&picks);
        assert!(report.is_complete(), "copied: {:?}", report.failed);
        assert!(out.join("a.jpg").is_file(), "pick copied");
        assert!(!out.join("b.jpg").exists(), "unpicked photo not copied");
    }

    #[test]
    fn an_open_shoot_plans_as_its_folder_does_without_a_scan() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("canonical");
        for name in ["a.jpg", "b.jpg", "c.jpg"] {
            std::fs::write(root.join(name), b"jpeg bytes").expect("write");
        }
        let mut catalog = Catalog::open_in_memory().expect("catalog");
        let listing = crate::list_shoot(&mut catalog, &root, None).expect("list");
        let session = crate::opening::open_listed_quietly(&mut catalog, listing);
        let ids: Vec<PhotoId> = session.photos.iter().map(|p| p.id).collect();
        for id in &ids[..2] {
            catalog
                .decide(session.shoot, &[*id], DecisionChange::Flag(Flag::Pick))
                .expect("pick");
        }
        std::fs::remove_file(root.join("b.jpg")).expect("remove b");
        let request = ExportRequest::Xmp {
            naming: SidecarNaming::Adobe,
        };
        let scanned = plan_export(&catalog, session.shoot, &root, &request).expect("scanned");
        let open = plan_session_export(&catalog, &session, &request).expect("open");
        assert_eq!(open, scanned, "the same plan, a vanished photo left out");
        assert_eq!(open.len(), 1, "only a.jpg is still there");
    }
}
