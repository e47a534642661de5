//! `bestpick export DIR (--xmp [--darktable-names] | --copy-picks OUT | --move-picks OUT)`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use bestpick_catalog::export::{PickMode, execute_picks, plan_picks};
use bestpick_catalog::xmp::{SidecarAction, SidecarNaming, plan_xmp, write_xmp};
use bestpick_catalog::{Catalog, Decision, Flag};

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["xmp", "copy_picks", "move_picks"])))]
pub struct Args {
    /// The shoot folder (analyzed before).
    dir: PathBuf,
    /// Write XMP sidecars (rating, colour label) for every photo with a decision.
    #[arg(long)]
    xmp: bool,
    /// Name sidecars the darktable way (`IMG_1.JPG.xmp`) instead of Adobe's (`IMG_1.xmp`).
    #[arg(long, requires = "xmp")]
    darktable_names: bool,
    /// Copy the picked photos (with their RAW and sidecars) into this folder.
    #[arg(long, value_name = "OUT")]
    copy_picks: Option<PathBuf>,
    /// Move the picked photos (with their RAW and sidecars) into this folder.
    #[arg(long, value_name = "OUT")]
    move_picks: Option<PathBuf>,
    /// Show what would be written, write nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(args: Args, catalog_path: &Path) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::open(catalog_path)
        .with_context(|| format!("cannot open the catalog {}", catalog_path.display()))?;
    let root = args
        .dir
        .canonicalize()
        .with_context(|| format!("cannot find {}", args.dir.display()))?;
    let Some(shoot) = catalog.find_shoot(&root)? else {
        bail!(
            "{} has not been analyzed yet; run `bestpick analyze {}` first",
            root.display(),
            args.dir.display()
        );
    };
    let decisions = catalog.decisions(shoot)?;
    let rows = catalog.photos(shoot)?;
    let scan = bestpick_core::scan(&root)?;
    let files: HashMap<&str, &bestpick_core::PhotoFile> = scan
        .photos
        .iter()
        .map(|p| (p.rel_path.as_str(), p))
        .collect();
    // Photos that still exist, with their decision.
    let mut decided: Vec<(&bestpick_core::PhotoFile, Decision)> = Vec::new();
    for row in &rows {
        if let (Some(d), Some(f)) = (decisions.get(&row.id), files.get(row.rel_path.as_str())) {
            decided.push((f, *d));
        }
    }
    decided.sort_by(|a, b| a.0.rel_path.cmp(&b.0.rel_path));
    let report = if args.xmp {
        let naming = if args.darktable_names {
            SidecarNaming::Darktable
        } else {
            SidecarNaming::Adobe
        };
        let mut items = Vec::new();
        for (f, d) in &decided {
            if *d == Decision::default() {
                continue;
            }
            items.push((f.path.clone(), *d));
            if let Some(raw) = f.companions.iter().find(|c| {
                bestpick_core::FileKind::from_path(c) == Some(bestpick_core::FileKind::Raw)
            }) {
                items.push((raw.clone(), *d));
            }
        }
        let plan = plan_xmp(&items, naming);
        for p in &plan {
            let verb = match &p.action {
                SidecarAction::Create => "create".to_string(),
                SidecarAction::Merge => "update".to_string(),
                SidecarAction::Conflict { other_image } => {
                    format!("conflict with {}", other_image.display())
                }
            };
            eprintln!(
                "  {verb:7} {}  rating {}{}",
                p.sidecar.display(),
                p.values.rating,
                p.values
                    .label
                    .map(|l| format!(", label {l:?}"))
                    .unwrap_or_default()
            );
        }
        eprintln!(
            "{} sidecar(s) for {} photo(s) with a decision",
            plan.len(),
            decided
                .iter()
                .filter(|(_, d)| *d != Decision::default())
                .count()
        );
        if args.dry_run {
            return Ok(ExitCode::SUCCESS);
        }
        write_xmp(&plan)
    } else {
        let (out, mode) = match (&args.copy_picks, &args.move_picks) {
            (Some(o), _) => (o, PickMode::Copy),
            (_, Some(o)) => (o, PickMode::Move),
            _ => bail!("nothing to export"),
        };
        let picks: Vec<Vec<PathBuf>> = decided
            .iter()
            .filter(|(_, d)| d.flag == Flag::Pick)
            .map(|(f, _)| {
                std::iter::once(f.path.clone())
                    .chain(f.companions.iter().cloned())
                    .collect()
            })
            .collect();
        if picks.is_empty() {
            eprintln!(
                "no picked photos in {}: pick some first (`bestpick decide PATH --pick`)",
                root.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        let plan = plan_picks(&picks, out, mode);
        for t in &plan {
            eprintln!(
                "  {:?} {} -> {}",
                t.mode,
                t.source.display(),
                t.dest.display()
            );
        }
        eprintln!("{} file(s) of {} picked photo(s)", plan.len(), picks.len());
        if args.dry_run {
            return Ok(ExitCode::SUCCESS);
        }
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        execute_picks(&plan)
    };
    for f in &report.failed {
        eprintln!("bestpick: {}: {}", f.source.display(), f.error);
    }
    eprintln!(
        "wrote {} file(s), {} failed",
        report.done.len(),
        report.failed.len()
    );
    Ok(if report.is_complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_SOME_FAILED)
    })
}
