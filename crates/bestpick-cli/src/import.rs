//! `bestpick import SOURCE DEST`: copy new photos from a card into dated folders, renamed and
//! verified; optionally a backup copy, and analysis of the destination as the copies land.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bestpick_engine::vocabulary::{AnalyzeParams, Catalog};
use bestpick_engine::{ImportParams, ImportProgress, ImportReport, ImportSink, OpenParams};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::progress::cancel_on_ctrl_c;
use crate::{EXIT_FATAL, EXIT_SOME_FAILED};

#[derive(clap::Args)]
pub struct Args {
    /// The card or folder to import from (e.g. /media/card/DCIM). Never modified.
    source: PathBuf,
    /// Where the photos go, in one folder per capture date (YYYY-MM-DD).
    dest: PathBuf,
    /// How copies are named: {date} (YYYY-MM-DD), {time} (HHMMSS), {seq} (0001, numbered across
    /// this destination's imports), {camera} (EXIF model), {name} (original name without
    /// extension). The extension is kept; a RAW+JPEG pair and its sidecars share the new name.
    #[arg(long, value_name = "PATTERN", default_value = bestpick_engine::import::DEFAULT_PATTERN)]
    rename: String,
    /// Write and verify a second copy here too (same folders and names).
    #[arg(long, value_name = "DEST2")]
    backup: Option<PathBuf>,
    /// Analyze DEST's shoot while the copies land (the catalog is then ready to cull).
    #[arg(long)]
    analyze: bool,
    /// Print a JSON report on stdout instead of the summary.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, catalog_path: &Path) -> anyhow::Result<ExitCode> {
    let pattern = bestpick_engine::RenamePattern::parse(&args.rename)?;
    let params = ImportParams {
        source: args.source.clone(),
        dest: args.dest.clone(),
        backup: args.backup.clone(),
        pattern,
    };
    let cancel = cancel_on_ctrl_c();
    let bar = CopyBar::new();
    let report = if args.analyze {
        let mut catalog = Catalog::open(catalog_path)
            .with_context(|| format!("cannot open the catalog {}", catalog_path.display()))?;
        let open = OpenParams {
            analyze: AnalyzeParams {
                faces: crate::analyze::faces_wanted(true),
                ..Default::default()
            },
            ..Default::default()
        };
        let (report, session) =
            bestpick_engine::import_analyzing(&mut catalog, &params, &open, &cancel, &bar)
                .with_context(|| format!("cannot import {}", args.source.display()))?;
        bar.bar.finish_and_clear();
        eprintln!(
            "bestpick: {} of {} analyzed ({} failed); see `bestpick analyze {}`",
            crate::counted(
                session
                    .photos
                    .iter()
                    .filter(|p| p.analysis.is_some())
                    .count(),
                "photo",
                "photos"
            ),
            session.root.display(),
            session.status.failed,
            session.root.display()
        );
        report
    } else {
        let report = bestpick_engine::import(&params, &cancel, &bar)
            .with_context(|| format!("cannot import {}", args.source.display()))?;
        bar.bar.finish_and_clear();
        report
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &JsonReport::new(&report))?;
        writeln!(out)?;
    } else {
        print_summary(&mut out, &report, args.backup.as_deref())?;
    }
    if report.cancelled {
        eprintln!("bestpick: import cancelled; run the same command again to copy the rest");
        return Ok(ExitCode::from(EXIT_FATAL));
    }
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_SOME_FAILED)
    })
}

/// Bytes copied, with speed and the files count.
struct CopyBar {
    bar: ProgressBar,
}

impl CopyBar {
    fn new() -> Self {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg:12} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        CopyBar { bar }
    }
}

impl ImportSink for CopyBar {
    fn progress(&self, p: ImportProgress) {
        if self.bar.length() != Some(p.bytes_total) {
            self.bar.set_length(p.bytes_total);
        }
        self.bar
            .set_message(format!("{}/{} files", p.files_done, p.files_total));
        self.bar.set_position(p.bytes_done);
    }
}

fn rates(r: &ImportReport) -> (f64, f64) {
    if r.seconds <= 0.0 {
        return (0.0, 0.0);
    }
    (
        r.copied.len() as f64 / r.seconds,
        r.bytes_copied as f64 / 1e6 / r.seconds,
    )
}

#[derive(Serialize)]
struct JsonReport<'a> {
    summary: JsonSummary,
    #[serde(flatten)]
    report: &'a ImportReport,
}

#[derive(Serialize)]
struct JsonSummary {
    copied: usize,
    already_imported: usize,
    not_photos: usize,
    failed: usize,
    failed_verification: usize,
    megabytes: f64,
    files_per_second: f64,
    megabytes_per_second: f64,
}

impl<'a> JsonReport<'a> {
    fn new(report: &'a ImportReport) -> Self {
        let (files_per_second, mb_s) = rates(report);
        let round = |x: f64| (x * 100.0).round() / 100.0;
        JsonReport {
            summary: JsonSummary {
                copied: report.copied.len(),
                already_imported: report.already_imported(),
                not_photos: report.skipped.len() - report.already_imported(),
                failed: report.failed.len(),
                failed_verification: report.failed.iter().filter(|f| f.verification).count(),
                megabytes: round(report.bytes_copied as f64 / 1e6),
                files_per_second: round(files_per_second),
                megabytes_per_second: round(mb_s),
            },
            report,
        }
    }
}

fn print_summary(
    out: &mut impl Write,
    r: &ImportReport,
    backup: Option<&Path>,
) -> std::io::Result<()> {
    let (files_s, mb_s) = rates(r);
    writeln!(out, "{} → {}", r.source.display(), r.dest.display())?;
    let adopted = r.copied.iter().filter(|c| c.adopted).count();
    writeln!(
        out,
        "{} copied and verified, {:.1} MB in {:.1} s ({mb_s:.1} MB/s, {files_s:.1} files/s){}{}",
        crate::counted(r.copied.len(), "file", "files"),
        r.bytes_copied as f64 / 1e6,
        r.seconds,
        match backup {
            Some(b) => format!("; backup copy in {}", b.display()),
            None => String::new(),
        },
        if adopted > 0 {
            format!("; {adopted} found in place from an interrupted import")
        } else {
            String::new()
        }
    )?;
    let already = r.already_imported();
    let others = r.skipped.len() - already;
    writeln!(
        out,
        "{already} skipped as already imported, {others} not photos, {} failed",
        r.failed.len()
    )?;
    if r.cleaned_partial > 0 {
        writeln!(
            out,
            "{} unfinished copies of an interrupted import removed",
            r.cleaned_partial
        )?;
    }
    let changed: Vec<_> = r.copied.iter().filter(|c| c.changed_since_import).collect();
    if !changed.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Changed on the card since an earlier import, copied beside the first copy ({}):",
            changed.len()
        )?;
        for c in changed {
            writeln!(out, "  {} → {}", c.source.display(), c.dest.display())?;
        }
    }
    if !r.failed.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Not imported ({}; run the same command again to retry):",
            r.failed.len()
        )?;
        for f in &r.failed {
            let what = if f.verification {
                "failed verification"
            } else {
                "failed"
            };
            writeln!(out, "  {}: {what}: {}", f.source.display(), f.reason)?;
        }
    }
    Ok(())
}
