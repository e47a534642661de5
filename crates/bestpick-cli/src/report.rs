//! `bestpick report DIR [--json | --html FILE]`: how often the suggestions were your picks.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bestpick_engine::vocabulary::Catalog;
use bestpick_engine::{Session, report};

#[derive(clap::Args)]
pub struct Args {
    /// An analyzed shoot folder.
    dir: PathBuf,
    /// Print the report as JSON.
    #[arg(long, conflicts_with = "html")]
    json: bool,
    /// Write the report as one self-contained HTML page with thumbnails.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

/// Long side of the HTML report's thumbnails.
const THUMBNAIL_SIDE: u32 = 360;

pub fn run(args: Args, catalog_path: &Path) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::open(catalog_path)
        .with_context(|| format!("cannot open the catalog {}", catalog_path.display()))?;
    let root = args
        .dir
        .canonicalize()
        .with_context(|| format!("cannot find {}", args.dir.display()))?;
    let shoot = catalog.find_shoot(&root)?.with_context(|| {
        format!(
            "{} was never analyzed; run `bestpick analyze` on it first",
            args.dir.display()
        )
    })?;
    let session = Session::stored(&catalog, shoot, &root)?;
    let report = report::shoot_report(&catalog, &session)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else if let Some(file) = args.html {
        let html = report.to_html(&mut |id| report::photo_thumbnail(&session, id, THUMBNAIL_SIDE));
        std::fs::write(&file, html).with_context(|| format!("cannot write {}", file.display()))?;
        eprintln!("bestpick: wrote {}", file.display());
    } else {
        writeln!(out, "{} (profile {})", report.root, report.profile)?;
        for line in report.summary_lines() {
            writeln!(out, "- {line}")?;
        }
        for o in &report.overruled {
            let chosen: Vec<&str> = o.chosen.iter().map(|c| c.rel_path.as_str()).collect();
            writeln!(
                out,
                "  group {}: suggested {}, you chose {} ({})",
                o.group,
                o.suggested.rel_path,
                if chosen.is_empty() {
                    "nothing".to_string()
                } else {
                    chosen.join(", ")
                },
                o.cause.words()
            )?;
        }
        for p in &report.kept_rejects {
            writeln!(out, "  kept {} ({})", p.rel_path, p.reasons.join("; "))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
