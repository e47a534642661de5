//! `bestpick contribute …`: the opt-in dataset contribution, as a thin front end over
//! `bestpick-share` (consent → add → preview → send → status / withdraw / delete /
//! export-ledger). Every step runs without prompts for scripts and tests: `consent --yes`
//! accepts the current terms, the optional buckets are flags.
//!
//! The ledger (consents and contributions) is the catalog given by `--catalog`; the vault and
//! the preview copies live in `contributions/` beside it.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use bestpick_bundle::{AgeDecade, Buckets, Gender, SkinType};
use bestpick_share::flow::{Age, ConsentRequest};
use bestpick_share::ledger::{self, Contribution, ContributionState, NetworkRequest};
use bestpick_share::place::{self, Place};
use bestpick_share::upload::{CollectorClient, UploadEvent};
use bestpick_share::{Contributor, terms};

/// `bestpick contribute`: share photos and their scores to improve the models (opt-in).
#[derive(clap::Args, Debug)]
pub struct ContributeArgs {
    /// Collector URL (HTTPS; plain HTTP only to loopback addresses).
    #[arg(long, global = true, value_name = "URL")]
    pub collector: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: ContributeCommand,
}

/// The contribution steps.
#[derive(clap::Subcommand, Debug)]
pub enum ContributeCommand {
    /// Show the terms and opt in (contribution is off until you do).
    Consent(ConsentArgs),
    /// Choose photos to contribute (RAW, HEIC and sidecars are refused).
    Add {
        /// Photos (JPEG, PNG, TIFF, WebP), or folders: the photos in them and their
        /// subfolders (hidden files and other kinds are skipped).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Build the bundle and show exactly what will leave: each image as it will be sent,
    /// and the manifest.
    Preview {
        /// Folder for the preview copies (default: next to the catalog).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Send the previewed bundles.
    Send,
    /// List every bundle: sent when, how many photos, received / deleted / used in datasets.
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Stop all future contribution and ask the collector to delete every bundle.
    Withdraw,
    /// Delete one bundle (its collector id or anonymous id, or a prefix of 6+ characters).
    Delete {
        /// Bundle to delete.
        bundle: String,
    },
    /// Every request bestpick made to a collector: when, where, what for, bytes each way and
    /// how it ended (the network log in the catalog).
    Log {
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Write your own contribution records (consents and bundles) as JSON.
    ExportLedger {
        /// Output file (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// `contribute consent` options.
#[derive(clap::Args, Debug)]
pub struct ConsentArgs {
    /// Accept the current terms without a prompt (you confirm you are 18 or older unless
    /// `--minor` is given).
    #[arg(long)]
    pub yes: bool,
    /// Only print the terms.
    #[arg(long, conflicts_with = "yes")]
    pub show: bool,
    /// You are 13 to 17 years old (needs `--parent-permission`).
    #[arg(long)]
    pub minor: bool,
    /// A parent or guardian gave you permission to contribute.
    #[arg(long, requires = "minor")]
    pub parent_permission: bool,
    /// Optional: your age as a decade bucket, e.g. 30-39.
    #[arg(long, value_name = "DECADE")]
    pub age_decade: Option<AgeDecade>,
    /// Optional: female, male, non-binary or other.
    #[arg(long)]
    pub gender: Option<Gender>,
    /// Optional: Fitzpatrick skin type I to VI.
    #[arg(long, value_name = "TYPE")]
    pub skin_type: Option<SkinType>,
}

/// Runs one `contribute` command against the catalog at `catalog_path`.
pub fn run(args: ContributeArgs, catalog_path: &Path) -> anyhow::Result<ExitCode> {
    if let ContributeCommand::Consent(c) = &args.command
        && c.show
    {
        println!("{}", terms::current());
        return Ok(ExitCode::SUCCESS);
    }
    let place = Place::beside(catalog_path);
    let opened = place
        .open_ledger()
        .with_context(|| format!("cannot open the catalog {}", catalog_path.display()))?;
    let mut catalog = opened.catalog;
    if let Some(merged) = opened.merged {
        eprintln!(
            "moved {} and {} from {} into the catalog (the file is now {})",
            crate::counted(merged.consents, "consent", "consents"),
            crate::counted(merged.contributions, "contribution", "contributions"),
            place.old_ledger().display(),
            ledger::imported_path(&place.old_ledger()).display()
        );
    }
    if let ContributeCommand::Log { json } = &args.command {
        // The log needs neither the vault nor its key: no keyring prompt to read it.
        return network_log(&catalog.network_requests()?, *json);
    }
    let vault = place.open_vault()?;
    let mut contributor = Contributor::new(vault, &mut catalog)?;
    let collector = || -> anyhow::Result<CollectorClient> {
        let url = args
            .collector
            .as_deref()
            .context("no collector configured: pass --collector URL")?;
        Ok(place::collector(Some(url))?)
    };
    let optional_collector = || -> anyhow::Result<Option<CollectorClient>> {
        Ok(place::optional_collector(args.collector.as_deref())?)
    };

    match &args.command {
        ContributeCommand::Consent(c) => consent(&mut contributor, c),
        ContributeCommand::Add { paths } => {
            let report = contributor.add(paths)?;
            for path in &report.added {
                println!("added {}", path.display());
            }
            for (path, reason) in &report.refused {
                eprintln!("refused {}: {reason}", path.display());
            }
            for (dir, count) in &report.skipped {
                eprintln!(
                    "skipped {} in {}: hidden, or not JPEG, PNG, TIFF or WebP \
                     (RAW, HEIC and sidecars are never sent)",
                    crate::counted(*count, "file", "files"),
                    dir.display()
                );
            }
            println!(
                "{} selected; run `bestpick contribute preview` next",
                crate::counted(report.selected, "photo", "photos")
            );
            Ok(if report.added.is_empty() && !report.refused.is_empty() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        ContributeCommand::Preview { out } => {
            let out = out.clone().unwrap_or_else(|| place.preview_dir());
            let client = collector()?;
            let report = contributor.preview(&client, &mut scores_for, &out)?;
            println!(
                "bundle {} — this is exactly what will leave:",
                report.anonymous_id
            );
            for image in &report.images {
                println!(
                    "  {}  {}x{}  from {}",
                    image.preview_path.display(),
                    image.width,
                    image.height,
                    image.source.display()
                );
            }
            for (path, reason) in &report.refused {
                eprintln!("  not included: {}: {reason}", path.display());
            }
            println!("manifest ({}):", report.dir.join("manifest.json").display());
            println!("{}", report.manifest_json);
            println!(
                "sealed for {} ({} bytes); run `bestpick contribute send` to send it",
                client.url(),
                report.sealed_bytes
            );
            Ok(ExitCode::SUCCESS)
        }
        ContributeCommand::Send => {
            let client = collector()?;
            let report =
                contributor.send(&client, &mut |bundle, event| print_progress(bundle, &event))?;
            for (anon, bundle_id, count) in &report.sent {
                println!(
                    "sent {anon}: {}, collector id {bundle_id}",
                    crate::counted(*count, "photo", "photos")
                );
            }
            for (anon, reason) in &report.failed {
                eprintln!("not sent {anon}: {reason}");
            }
            if report.sent.is_empty() && report.failed.is_empty() {
                println!("nothing staged: run `bestpick contribute preview` first");
            }
            Ok(if report.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        ContributeCommand::Status { json } => {
            let client = optional_collector()?;
            let report = contributor.status(client.as_ref())?;
            let consent = contributor.consent()?;
            if *json {
                let value = serde_json::json!({
                    "consent": consent.as_ref().map(ledger::json::consent).transpose()?,
                    "contributions": report
                        .contributions
                        .iter()
                        .map(ledger::json::contribution)
                        .collect::<Result<Vec<_>, _>>()?,
                    "problems": report.problems,
                });
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                match &consent {
                    Some(c) => {
                        println!(
                            "consent: terms v{} given on {}",
                            c.terms_version,
                            date(c.accepted_at_ms)
                        )
                    }
                    None => println!("consent: none (contribution is off)"),
                }
                for record in &report.contributions {
                    println!("{}", describe(record));
                }
                for problem in &report.problems {
                    eprintln!("could not refresh {problem}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ContributeCommand::Withdraw => {
            let client = optional_collector()?;
            let report = contributor.withdraw(client.as_ref())?;
            println!("consent withdrawn: nothing more will be contributed");
            for id in &report.deleted {
                println!("deleted at the collector: {id}");
            }
            for id in &report.discarded {
                println!("discarded before sending: {id}");
            }
            for (id, reason) in &report.failed {
                eprintln!("could not delete {id} yet: {reason} (run withdraw again)");
            }
            Ok(if report.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        ContributeCommand::Delete { bundle } => {
            let client = optional_collector()?;
            let record = contributor.delete(client.as_ref(), bundle)?;
            println!("{}", describe(&record));
            Ok(ExitCode::SUCCESS)
        }
        // Answered above without the vault; the same answer through the contributor.
        ContributeCommand::Log { json } => network_log(&contributor.network_log()?, *json),
        ContributeCommand::ExportLedger { out } => {
            let data = contributor.export_ledger()?;
            let json = serde_json::to_string_pretty(&data)?;
            match out {
                Some(path) => std::fs::write(path, json)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => println!("{json}"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What `contribute log` prints when the log is empty.
pub const NEVER_CONNECTED: &str = "bestpick has never connected to anything";

/// `contribute log [--json]`.
fn network_log(requests: &[NetworkRequest], json: bool) -> anyhow::Result<ExitCode> {
    let summary = summarize(requests);
    if json {
        let value = serde_json::json!({
            "summary": summary,
            "requests": requests.iter().map(|r| {
                let o = r.outcome.as_ref();
                serde_json::json!({
                    "started_at_ms": r.started_at_ms,
                    "finished_at_ms": o.map(|o| o.finished_at_ms),
                    "collector": r.collector,
                    "method": r.method,
                    "purpose": r.purpose,
                    "attempt": r.attempt,
                    "bytes_sent": r.bytes_sent,
                    "bytes_received": o.map(|o| o.bytes_received),
                    "status": o.and_then(|o| o.status),
                    "error": o.and_then(|o| o.error.clone()),
                })
            }).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    for r in requests {
        let attempt = if r.attempt > 1 {
            format!(" (attempt {})", r.attempt)
        } else {
            String::new()
        };
        let ended = match &r.outcome {
            None => "no end recorded (bestpick stopped during it)".to_owned(),
            Some(o) => {
                let result = match (&o.error, o.status) {
                    (Some(e), _) => format!("failed: {e}"),
                    (None, Some(status)) => format!("answered {status}"),
                    (None, None) => "done".to_owned(),
                };
                format!(
                    "sent {}, received {}, {result}",
                    size(r.bytes_sent),
                    size(o.bytes_received)
                )
            }
        };
        println!(
            "{}  {} {}  {}{attempt}: {ended}",
            date_time(r.started_at_ms),
            r.method,
            r.collector,
            r.purpose
        );
    }
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

/// One line over the whole log.
fn summarize(requests: &[NetworkRequest]) -> String {
    if requests.is_empty() {
        return NEVER_CONNECTED.to_owned();
    }
    let mut collectors: Vec<&str> = requests.iter().map(|r| r.collector.as_str()).collect();
    collectors.sort_unstable();
    collectors.dedup();
    let sent: u64 = requests.iter().map(|r| r.bytes_sent).sum();
    let received: u64 = requests
        .iter()
        .filter_map(|r| r.outcome.as_ref())
        .map(|o| o.bytes_received)
        .sum();
    format!(
        "{}, only to {}: {} sent, {} received",
        crate::counted(requests.len(), "request", "requests"),
        collectors.join(", "),
        size(sent),
        size(received)
    )
}

/// A byte count as people read it.
fn size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KiB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MiB", bytes as f64 / 1_048_576.0),
    }
}

fn consent(contributor: &mut Contributor<'_>, c: &ConsentArgs) -> anyhow::Result<ExitCode> {
    let buckets = Buckets {
        age_decade: c.age_decade,
        gender: c.gender,
        skin_type: c.skin_type,
    };
    let age = if c.yes {
        if c.minor {
            Age::Teen {
                parent_permission: c.parent_permission,
            }
        } else {
            Age::Adult
        }
    } else {
        println!("{}", terms::current());
        if !std::io::stdin().is_terminal() {
            bail!("not accepted: pass --yes to accept the terms without a prompt");
        }
        if !ask("Do you accept these terms?")? {
            println!("not accepted: contribution stays off");
            return Ok(ExitCode::SUCCESS);
        }
        if ask("Are you 18 or older?")? {
            Age::Adult
        } else if ask("Are you 13 or older?")? {
            Age::Teen {
                parent_permission: ask("Did a parent or guardian give permission?")?,
            }
        } else {
            Age::Under13
        }
    };
    let record = contributor.give_consent(&ConsentRequest {
        terms_version: terms::CURRENT_VERSION,
        age,
        buckets,
    })?;
    println!(
        "consent recorded: terms v{}{}",
        record.terms_version,
        if record.minor_with_parental_permission {
            " (with a parent's permission)"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn ask(question: &str) -> anyhow::Result<bool> {
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn print_progress(bundle: &str, event: &UploadEvent) {
    match event {
        UploadEvent::Attempt { attempt, bytes } => {
            eprintln!(
                "uploading {bundle}: attempt {attempt}, {} KiB",
                bytes.div_ceil(1024)
            );
        }
        UploadEvent::Retrying {
            attempt,
            wait,
            reason,
        } => {
            eprintln!(
                "  attempt {attempt} failed ({reason}); retrying in {:.1} s",
                wait.as_secs_f32()
            );
        }
        UploadEvent::Resealed { key_id } => eprintln!(
            "  the collector has a new key: sealed again to key {key_id} from the staged copy, sending again"
        ),
        UploadEvent::Done { bundle_id } => eprintln!("  confirmed as {bundle_id}"),
        _ => {}
    }
}

fn describe(r: &Contribution) -> String {
    let state = match r.state {
        ContributionState::Staged => "staged (not sent yet)".to_owned(),
        ContributionState::Received if r.datasets.is_empty() => "received".to_owned(),
        ContributionState::Received => {
            format!("received, used in datasets {}", r.datasets.join(", "))
        }
        ContributionState::Deleted => "deleted".to_owned(),
        ContributionState::Discarded => "discarded (never sent)".to_owned(),
    };
    let sent = r.sent_at_ms.map_or_else(|| "-".to_owned(), date);
    let mut line = format!(
        "{}  {}  {}  sent {}  {}",
        r.bundle_id.as_deref().unwrap_or("-"),
        r.anonymous_id,
        crate::counted(r.image_count, "photo", "photos"),
        sent,
        state
    );
    if let Some(e) = &r.last_error {
        line.push_str(&format!("  ({e})"));
    }
    line
}

/// A Unix time in milliseconds as a UTC date and time, `YYYY-MM-DD HH:MM:SS UTC`.
fn date_time(ms: i64) -> String {
    match time::UtcDateTime::from_unix_timestamp(ms.div_euclid(1000)) {
        Ok(t) => format!(
            "{} {:02}:{:02}:{:02} UTC",
            date(ms),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => date(ms),
    }
}

/// A Unix time in milliseconds as a UTC date, `YYYY-MM-DD`; the bare number beyond the years
/// ±9999.
fn date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    match time::UtcDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
        Err(_) => format!("Unix time {secs}"),
    }
}

/// The engine's scores for one photo: its analysis signals as JSON.
fn scores_for(path: &Path) -> Result<serde_json::Value, String> {
    bestpick_engine::contribution_scores(path, None)
}

#[cfg(test)]
mod tests {
    use super::date;

    #[test]
    fn dates_are_utc_days() {
        let cases = [
            (0, "1970-01-01"),
            (86_399, "1970-01-01"),
            (1_709_251_199, "2024-02-29"),
            (1_709_251_200, "2024-03-01"),
            (2_147_483_648, "2038-01-19"),
            (4_107_542_400, "2100-03-01"),
            (-1, "1969-12-31"),
            (-14_182_940, "1969-07-20"),
            (253_402_300_799, "9999-12-31"),
            (253_402_300_800, "Unix time 253402300800"),
        ];
        for (secs, want) in cases {
            assert_eq!(date(secs * 1000), want, "case {secs}");
            assert_eq!(date(secs * 1000 + 999), want, "case {secs} and a bit");
        }
    }
}
