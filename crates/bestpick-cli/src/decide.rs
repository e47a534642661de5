//! `bestpick decide PATH... --pick|--reject|--unflag|--stars N|--label COLOR`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bestpick_engine::profiles;
use bestpick_engine::vocabulary::{Catalog, ColorLabel, DecisionChange, Flag, PhotoId, ShootId};

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("change").required(true).args(["pick", "reject", "unflag", "stars", "label"])))]
pub struct Args {
    /// Photos (or the RAW of a RAW+JPEG pair) in analyzed shoots.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Mark as picked.
    #[arg(long)]
    pick: bool,
    /// Mark as rejected (nothing is deleted).
    #[arg(long)]
    reject: bool,
    /// Clear the pick/reject flag.
    #[arg(long)]
    unflag: bool,
    /// Star rating, 0 to 5.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=5))]
    stars: Option<u8>,
    /// Colour label: red, yellow, green, blue, purple, or none.
    #[arg(long, value_name = "COLOR")]
    label: Option<String>,
}

pub fn run(args: Args, catalog_path: &Path) -> anyhow::Result<ExitCode> {
    let change = if args.pick {
        DecisionChange::Flag(Flag::Pick)
    } else if args.reject {
        DecisionChange::Flag(Flag::Reject)
    } else if args.unflag {
        DecisionChange::Flag(Flag::None)
    } else if let Some(n) = args.stars {
        DecisionChange::Stars(n)
    } else {
        let label = args.label.as_deref().unwrap_or("none");
        if label.eq_ignore_ascii_case("none") {
            DecisionChange::Label(None)
        } else {
            let color: ColorLabel = label.parse().map_err(|_| {
                anyhow::anyhow!(
                    "unknown colour label {label:?}: use red, yellow, green, blue, purple or none"
                )
            })?;
            DecisionChange::Label(Some(color))
        }
    };
    let mut catalog = Catalog::open(catalog_path)
        .with_context(|| format!("cannot open the catalog {}", catalog_path.display()))?;
    let mut by_shoot: BTreeMap<ShootId, (PathBuf, Vec<PhotoId>)> = BTreeMap::new();
    let mut failed = 0;
    for path in &args.paths {
        match bestpick_engine::find_photo(&catalog, path) {
            Ok((shoot, photo, root)) => by_shoot
                .entry(shoot)
                .or_insert((root, Vec::new()))
                .1
                .push(photo),
            Err(e) => {
                eprintln!("bestpick: {e}");
                failed += 1;
            }
        }
    }
    let mut done = 0;
    let mut learned = 0;
    for (shoot, (root, photos)) in by_shoot {
        catalog.decide(shoot, &photos, change)?;
        done += photos.len();
        // A pick or a rejection says what the photographer prefers in that group: the shoot's
        // profile learns from it (on this machine only).
        if matches!(change, DecisionChange::Flag(_)) {
            let session = bestpick_engine::Session::stored(&catalog, shoot, &root)?;
            learned += profiles::learn_from_decisions(&mut catalog, &session, &photos)?;
        }
    }
    eprintln!(
        "bestpick: recorded for {}",
        crate::counted(done, "photo", "photos")
    );
    if learned > 0 {
        eprintln!(
            "bestpick: the shoot's profile learned from {} (see `bestpick profile show`)",
            crate::counted(learned, "group", "groups")
        );
    }
    Ok(if failed > 0 {
        ExitCode::from(crate::EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}
