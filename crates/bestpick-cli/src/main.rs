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
mod import;
mod man;
mod profile;
mod progress;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

/// mimalloc keeps freed memory for reuse within each thread. With the system allocator, the
/// ~20 MB of block data per 24 MP photo is mapped and unmapped for every photo, and the page
/// faults and address-space locks that costs serialize the worker threads (measured: 10 images/s
/// on 2 threads instead of 24). It is built without transparent huge pages (see the workspace
/// Cargo.toml).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Gives the memory mimalloc holds freed back to the system now. It otherwise keeps freed
/// memory about a second for reuse, and the decode waiting for a large photo's share of the
/// memory budget would allocate beside it (`on_large_release`).
fn give_back_freed_memory() {
    // SAFETY: `mi_collect` only walks the allocator's own structures; mimalloc allows it on any
    // thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

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
    /// Copy new photos from a card into dated folders, renamed and verified (optional backup).
    Import(import::Args),
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
    bestpick_engine::vocabulary::on_large_release(give_back_freed_memory);
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
            eprintln!("bestpick: error: {}", describe_error(&e));
            ExitCode::from(EXIT_FATAL)
        }
    }
}

/// The error and its causes, each said once.
///
/// The libraries' errors say their cause in their own message (`cannot find X: No such file or
/// directory`), so that one line is complete wherever it is shown (a photo's reason, the app),
/// and also return it from `source()`; anyhow's `{:#}` appends every source, which printed each
/// such cause twice. A cause the message so far already ends with is left out.
fn describe_error(e: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if message.is_empty() {
            message = text;
        } else if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
    }
    message
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
        Command::Import(args) => import::run(args, &catalog_path()?),
        Command::Decide(args) => decide::run(args, &catalog_path()?),
        Command::Export(args) => export::run(args, &catalog_path()?),
        Command::Profile(args) => profile::run(args, &catalog_path()?),
        Command::Report(args) => report::run(args, &catalog_path()?),
        Command::Bench(args) => bench::run(args),
        Command::Contribute(args) => contribute::run(args, &catalog_path()?),
        Command::Man(args) => man::run(args),
    }
}

pub(crate) use bestpick_engine::words::counted;

#[cfg(test)]
mod tests {
    use super::describe_error;

    /// An error with an optional message of its own over an I/O cause; `says_cause` puts the
    /// cause in its message too, as the libraries' errors do.
    #[derive(Debug)]
    struct Wrapped {
        message: &'static str,
        says_cause: bool,
        source: std::io::Error,
    }

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            if self.says_cause {
                write!(f, "{}: {}", self.message, self.source)
            } else {
                write!(f, "{}", self.message)
            }
        }
    }

    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.source)
        }
    }

    fn io() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory")
    }

    #[test]
    fn each_cause_is_said_once() {
        let cases = [
            (
                "a cause in the message",
                anyhow::Error::new(Wrapped {
                    message: "cannot find /x",
                    says_cause: true,
                    source: io(),
                }),
                "cannot find /x: No such file or directory",
            ),
            (
                "a cause only in the chain",
                anyhow::Error::new(Wrapped {
                    message: "cannot open the catalog",
                    says_cause: false,
                    source: io(),
                }),
                "cannot open the catalog: No such file or directory",
            ),
            (
                "context over a cause in the message",
                anyhow::Error::new(Wrapped {
                    message: "cannot find /x",
                    says_cause: true,
                    source: io(),
                })
                .context("cannot analyze /x"),
                "cannot analyze /x: cannot find /x: No such file or directory",
            ),
        ];
        for (name, error, want) in cases {
            assert_eq!(describe_error(&error), want, "case {name}");
        }
    }
}
