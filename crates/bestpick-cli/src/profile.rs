//! `bestpick profile list | show NAME | new NAME --from PRESET | export NAME FILE |
//! import FILE | reset NAME | delete NAME`: culling profiles and what they learned.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bestpick_engine::profiles;
use bestpick_engine::vocabulary::Catalog;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// The presets and your own profiles, with how many groups each learned from.
    List,
    /// A profile's weights and grouping, and what it learned from your picks, in words.
    Show {
        name: String,
        /// Print JSON (the profile, the learned taste and its words).
        #[arg(long)]
        json: bool,
    },
    /// Make your own profile from a preset (or another profile).
    New {
        name: String,
        #[arg(long, value_name = "PROFILE", default_value = profiles::DEFAULT_PROFILE)]
        from: String,
    },
    /// Write a profile and what it learned to a TOML file.
    Export { name: String, file: PathBuf },
    /// Read a profile file (with what it learned) under the name it carries.
    Import {
        file: PathBuf,
        /// Overwrite a profile of the same name and what it learned.
        #[arg(long)]
        replace: bool,
    },
    /// Forget everything a profile learned (its weights stay).
    Reset { name: String },
    /// Delete your profile and what it learned (a preset returns to its built-in form).
    Delete { name: String },
}

pub fn run(args: Args, catalog_path: &Path) -> anyhow::Result<ExitCode> {
    let mut catalog = Catalog::open(catalog_path)
        .with_context(|| format!("cannot open the catalog {}", catalog_path.display()))?;
    let mut out = std::io::stdout().lock();
    match args.command {
        Command::List => {
            for p in profiles::list_profiles(&catalog)? {
                let learned = match p.learned_groups {
                    0 => String::new(),
                    n => format!(" (learned from {})", crate::counted(n, "group", "groups")),
                };
                let kind = if p.preset { "preset" } else { "yours " };
                writeln!(out, "{:<12} {kind}  {}{learned}", p.name, p.description)?;
            }
        }
        Command::Show { name, json } => {
            let shown = profiles::show_profile(&catalog, &name)?;
            if json {
                serde_json::to_writer_pretty(&mut out, &shown)?;
                writeln!(out)?;
            } else {
                write!(out, "{}", shown.toml)?;
                writeln!(out)?;
                writeln!(out, "# What it learned from your picks")?;
                for line in &shown.learned {
                    writeln!(out, "- {line}")?;
                }
            }
        }
        Command::New { name, from } => {
            profiles::new_profile(&mut catalog, &name, &from)?;
            eprintln!("bestpick: made the profile {name} from {from}");
        }
        Command::Export { name, file } => {
            profiles::export_profile(&catalog, &name, &file)?;
            eprintln!("bestpick: wrote {name} to {}", file.display());
        }
        Command::Import { file, replace } => {
            let p = profiles::import_profile(&mut catalog, &file, replace)?;
            eprintln!("bestpick: imported the profile {}", p.name);
        }
        Command::Reset { name } => {
            let n = profiles::reset_profile(&mut catalog, &name)?;
            eprintln!(
                "bestpick: {name} forgot what it learned from {}",
                crate::counted(n, "group", "groups")
            );
        }
        Command::Delete { name } => {
            profiles::delete_profile(&mut catalog, &name)?;
            eprintln!("bestpick: deleted {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
