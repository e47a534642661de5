//! `bestpick export DIR (--xmp [--darktable-names] | --copy-picks OUT | --move-picks OUT)`:
//! prints the engine's export plan, then executes it (unless `--dry-run`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use bestpick_engine::export::{ExportPlan, ExportRequest, execute_export, plan_export};
use bestpick_engine::vocabulary::{Catalog, Flag, PickMode, SidecarAction, SidecarNaming};

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
    let request = if args.xmp {
        ExportRequest::Xmp {
            naming: if args.darktable_names {
                SidecarNaming::Darktable
            } else {
                SidecarNaming::Adobe
            },
        }
    } else {
        match (&args.copy_picks, &args.move_picks) {
            (Some(dest), _) => ExportRequest::Picks {
                dest: dest.clone(),
                mode: PickMode::Copy,
            },
            (_, Some(dest)) => ExportRequest::Picks {
                dest: dest.clone(),
                mode: PickMode::Move,
            },
            _ => bail!("nothing to export"),
        }
    };
    let plan = plan_export(&catalog, shoot, &root, &request)
        .with_context(|| format!("cannot plan the export of {}", root.display()))?;
    match &plan {
        ExportPlan::Xmp(sidecars) => {
            for p in sidecars {
                let verb = match &p.action {
                    SidecarAction::Create => "create".to_string(),
                    SidecarAction::Merge => "update".to_string(),
                    SidecarAction::Conflict { other_image } => {
                        format!("conflict with {}", other_image.display())
                    }
                };
                let flag = match p.values.flag {
                    Flag::Pick => "pick, ",
                    Flag::Reject => "rejected, ",
                    Flag::None => "",
                };
                eprintln!(
                    "  {verb:7} {}  {flag}rating {}{}",
                    p.sidecar.display(),
                    p.values.rating,
                    p.values
                        .label
                        .map(|l| format!(", label {l:?}"))
                        .unwrap_or_default()
                );
            }
            eprintln!(
                "{} for the photos with a decision",
                crate::counted(sidecars.len(), "sidecar", "sidecars")
            );
        }
        ExportPlan::Picks { transfers, .. } => {
            if transfers.is_empty() {
                eprintln!(
                    "no picked photos in {}: pick some first (`bestpick decide PATH --pick`)",
                    root.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            for t in transfers {
                eprintln!(
                    "  {:?} {} -> {}",
                    t.mode,
                    t.source.display(),
                    t.dest.display()
                );
            }
            eprintln!(
                "{} of the picked photos",
                crate::counted(transfers.len(), "file", "files")
            );
        }
    }
    if args.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    let report = execute_export(&plan);
    for f in &report.failed {
        eprintln!("bestpick: {}: {}", f.source.display(), f.error);
    }
    eprintln!(
        "wrote {}, {} failed",
        crate::counted(report.done.len(), "file", "files"),
        report.failed.len()
    );
    Ok(if report.is_complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_SOME_FAILED)
    })
}
