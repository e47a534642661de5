//! `bestpick`: cull a shoot from the command line — analyze, group and pick, record decisions,
//! export them as XMP sidecars or copy the picks out, and benchmark the engine.
//!
//! A thin front end: the work is done by `bestpick-engine` (over core and catalog). Exit codes:
//! 0 all fine, 1 some photos failed, 2 usage or fatal error.

mod analyze;
mod bench;
mod contribute;
mod decide;
mod export;
mod man;
mod profile;
mod progress;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// mimalloc keeps freed memory for reuse within each thread. With the system allocator, the
/// ~20 MB of block data per 24 MP photo is mapped and unmapped for every photo, and the page
/// faults and address-space locks that costs serialize the worker threads (measured: 10 images/s
/// on 2 threads instead of 24). It is built without transparent huge pages (see the workspace
/// Cargo.toml).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};

/// `--version`: the package version and the git commit it was built from ("unknown" when
/// built outside a git checkout; see build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("BESTPICK_GIT_COMMIT"),
    ")"
);

#[derive(Parser)]
#[command(
    name = "bestpick",
    version = VERSION,
    about = "Cull a photo shoot fast: find the best frame of every burst, locally."
)]
struct Cli {
    /// Catalog file (default: the per-user data folder).
    #[arg(long, global = true, value_name = "PATH")]
    catalog: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyze a shoot (reusing earlier results), group bursts and pick the best of each.
    Analyze(analyze::Args),
    /// Record decisions on photos: pick, reject, unflag, stars, colour label.
    Decide(decide::Args),
    /// Export decisions: XMP sidecars, or copy/move the picks to a folder.
    Export(export::Args),
    /// Culling profiles: list, show what one learned, make, export, import, reset, delete.
    Profile(profile::Args),
    /// How often the suggestions were your picks: agreement, overruled groups by cause, kept
    /// reject candidates (text, JSON or a self-contained HTML page).
    Report(report::Args),
    /// Measure analysis speed and memory on a folder of JPEGs.
    Bench(bench::Args),
    /// Opt-in dataset contribution: consent, choose photos, preview, send, see and withdraw.
    Contribute(contribute::ContributeArgs),
    /// Write the man pages (bestpick.1 and one per command) into a folder.
    #[command(hide = true)]
    Man(man::Args),
}

/// Exit code when some photos could not be analyzed.
pub const EXIT_SOME_FAILED: u8 = 1;
/// Exit code for usage errors and fatal errors.
pub const EXIT_FATAL: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            return if usage {
                ExitCode::from(EXIT_FATAL)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bestpick: error: {e:#}");
            ExitCode::from(EXIT_FATAL)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Looked up only by the commands that use a catalog: `man` runs while packaging, where
    // there may be no per-user data folder.
    let catalog_path = || match &cli.catalog {
        Some(p) => Ok(p.clone()),
        None => bestpick_engine::vocabulary::Catalog::default_path()
            .context("cannot find a per-user data folder; pass --catalog PATH"),
    };
    match cli.command {
        Command::Analyze(args) => analyze::run(args, &catalog_path()?),
        Command::Decide(args) => decide::run(args, &catalog_path()?),
        Command::Export(args) => export::run(args, &catalog_path()?),
        Command::Profile(args) => profile::run(args, &catalog_path()?),
        Command::Report(args) => report::run(args, &catalog_path()?),
        Command::Bench(args) => bench::run(args),
        Command::Contribute(args) => contribute::run(args, &catalog_path()?),
        Command::Man(args) => man::run(args),
    }
}
