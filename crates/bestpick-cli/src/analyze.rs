//! `bestpick analyze DIR`: analyze (or reuse), group, pick; print a summary or a JSON report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bestpick_engine::vocabulary::{
    AnalyzeParams, Catalog, Decision, DecodeOptions, PhotoId, Strictness, Suggestion,
};
use bestpick_engine::{OpenParams, Session, profiles};
use serde::Serialize;

use crate::progress::{Bar, cancel_on_ctrl_c};
use crate::{EXIT_FATAL, EXIT_SOME_FAILED};

#[derive(clap::Args)]
pub struct Args {
    /// The shoot folder (searched recursively).
    dir: PathBuf,
    /// Print a JSON report on stdout instead of the summary.
    #[arg(long)]
    json: bool,
    /// How eagerly similar frames are grouped: strict, normal, loose, or 0 (loose) to 100
    /// (strict). Default: the profile's grouping.
    #[arg(long, value_parser = parse_strictness)]
    grouping: Option<Strictness>,
    /// Culling profile (see `bestpick profile list`). Default: the one last used for this
    /// shoot, else "event". The choice is remembered for the shoot.
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Skip face analysis (faces, closed eyes, face focus).
    #[arg(long)]
    no_faces: bool,
    /// Memory the decodes running at once may use, in MB (default: 208 MiB per core, at least
    /// 416 MiB). A photo needing more than this is refused with the figures.
    #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u64).range(16..=1_000_000))]
    memory_budget: Option<u64>,
}

/// Whether faces can be analyzed; says why not once when the models are missing.
pub fn faces_wanted(wanted: bool) -> bool {
    if !wanted {
        return false;
    }
    match bestpick_engine::vocabulary::faces_available() {
        Ok(()) => true,
        Err(e) => {
            eprintln!("bestpick: warning: face analysis is off: {e}");
            false
        }
    }
}

pub fn parse_strictness(s: &str) -> Result<Strictness, String> {
    match s.to_ascii_lowercase().as_str() {
        "strict" => Ok(Strictness::STRICT),
        "normal" => Ok(Strictness::NORMAL),
        "loose" => Ok(Strictness::LOOSE),
        n => n
            .parse::<u8>()
            .ok()
            .filter(|&v| v <= Strictness::MAX)
            .map(Strictness::new)
            .ok_or_else(|| format!("expected strict, normal, loose or 0-100, got {s:?}")),
    }
}

pub fn run(args: Args, catalog_path: &Path) -> anyhow::Result<ExitCode> {
    let mut catalog = Catalog::open(catalog_path)
        .with_context(|| format!("cannot open the catalog {}", catalog_path.display()))?;
    let cancel = cancel_on_ctrl_c();
    let bar = Bar::new();
    let params = OpenParams {
        analyze: AnalyzeParams {
            threads: args.threads,
            faces: faces_wanted(!args.no_faces),
            decode: DecodeOptions {
                max_alloc: args
                    .memory_budget
                    .map_or_else(bestpick_engine::vocabulary::default_budget, |mb| {
                        mb * 1_000_000
                    }),
                ..DecodeOptions::default()
            },
            ..Default::default()
        },
        ..Default::default()
    };
    let session = bestpick_engine::open_shoot(&mut catalog, &args.dir, &params, &cancel, &bar)
        .with_context(|| format!("cannot analyze {}", args.dir.display()))?;
    bar.finish();
    if params.analyze.faces
        && let Err(e) = bestpick_engine::vocabulary::faces_available()
    {
        // The models are loaded on the first photo that needs them; a broken model file
        // shows up only then.
        eprintln!("bestpick: warning: face analysis is off: {e}");
    }
    let profile_name = match args.profile {
        Some(name) => name,
        None => profiles::shoot_profile(&catalog, session.shoot)?,
    };
    let profile = profiles::load_profile(&catalog, &profile_name)?;
    let grouping = args.grouping.unwrap_or_else(|| profile.strictness());
    profiles::remember_for_shoot(&mut catalog, session.shoot, &profile_name, grouping)?;
    let taste = profiles::taste(&catalog, &profile_name)?;
    let (suggestions, groups) = session.cull_with(grouping, profiles::judging(&profile, &taste));
    let decisions = catalog.decisions(session.shoot)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut report = json_report(&session, &suggestions, &groups, &decisions);
        report.profile = profile_name;
        report.learned_groups = taste.groups;
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_summary(&mut out, &session, &suggestions, &groups, &decisions)?;
        let learned = match taste.groups {
            0 => String::new(),
            n => format!(", learned from {}", crate::counted(n, "group", "groups")),
        };
        writeln!(
            out,
            "profile: {profile_name}{learned} (see `bestpick profile show {profile_name}`)"
        )?;
    }
    if session.status.cancelled {
        eprintln!(
            "bestpick: cancelled with {} not analyzed yet; run the same command again to finish",
            crate::counted(session.status.pending, "photo", "photos")
        );
        return Ok(ExitCode::from(EXIT_FATAL));
    }
    Ok(if session.has_failures() {
        ExitCode::from(EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Serialize)]
struct Report<'a> {
    root: String,
    /// The culling profile ranked with.
    profile: String,
    /// Decided groups the profile learned from (0: the profile's weights alone).
    learned_groups: usize,
    summary: Summary,
    photos: Vec<PhotoOut<'a>>,
    groups: Vec<GroupOut>,
    errors: Vec<ErrorOut>,
    skipped: Vec<ErrorOut>,
}

#[derive(Serialize)]
struct Summary {
    photos: usize,
    analyzed: usize,
    groups: usize,
    from_cache: usize,
    analyzed_now: usize,
    failed: usize,
    cancelled: bool,
    seconds: f64,
}

#[derive(Serialize)]
struct PhotoOut<'a> {
    path: String,
    rel_path: &'a str,
    group: usize,
    /// The set the photo's group is (`"bracket"`), when it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    set: Option<bestpick_engine::vocabulary::SetKind>,
    best: bool,
    rank: usize,
    score: f32,
    reasons: Vec<String>,
    /// The heaviest fault that usually costs a frame its place, in a word or two ("motion
    /// blur", "eyes closed"), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    fault: Option<&'static str>,
    reject_candidate: bool,
    signals: SignalsOut<'a>,
    exif: &'a bestpick_engine::vocabulary::ExifInfo,
    /// Faces (empty when none were found or faces were not analyzed).
    faces: &'a [bestpick_engine::vocabulary::Face],
    /// The salient faces judged against the same person elsewhere in the group: person number,
    /// eyes open / half closed / closed / looking down / uncertain (per face and per eye), the
    /// openness behind it and the face's sharpness against its sharpest frame.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    judged_faces: &'a [bestpick_engine::vocabulary::JudgedFace],
    decision: Decision,
    companions: Vec<String>,
}

/// The scalar signals (grids such as the descriptor and focus map stay in the catalog).
#[derive(Serialize)]
struct SignalsOut<'a> {
    width: u32,
    height: u32,
    sharpness: f32,
    peak_sharpness: f32,
    coarse_sharpness: f32,
    focus_point: [f32; 2],
    detail_direction: [f32; 3],
    mean_luma: f32,
    exposure_ev: f32,
    clipped_highlights: f32,
    clipped_shadows: f32,
    noise: f32,
    jpeg_quality: Option<u8>,
    misfire: &'a Option<bestpick_engine::vocabulary::Misfire>,
    source: bestpick_engine::vocabulary::BlockSource,
}

#[derive(Serialize)]
struct GroupOut {
    id: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    set: Option<bestpick_engine::vocabulary::SetKind>,
    photos: Vec<String>,
    best: String,
}

#[derive(Serialize)]
struct ErrorOut {
    path: String,
    reason: String,
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn json_report<'a>(
    s: &'a Session,
    suggestions: &'a [Option<Suggestion>],
    groups: &[bestpick_engine::vocabulary::GroupSummary],
    decisions: &std::collections::HashMap<PhotoId, Decision>,
) -> Report<'a> {
    let mut photos = Vec::new();
    for (entry, sug) in s.photos.iter().zip(suggestions) {
        let (Some(a), Some(sug)) = (&entry.analysis, sug) else {
            continue;
        };
        let sig = &a.signals;
        photos.push(PhotoOut {
            path: path_str(&entry.file.path),
            rel_path: &entry.file.rel_path,
            group: sug.group,
            set: sug.set,
            best: sug.ranked.best,
            rank: sug.ranked.rank,
            score: sug.ranked.score,
            reasons: sug.reason_words(),
            fault: sug.fault(),
            reject_candidate: sug.ranked.reject_candidate,
            signals: SignalsOut {
                width: sig.width,
                height: sig.height,
                sharpness: sig.sharpness,
                peak_sharpness: sig.peak_sharpness,
                coarse_sharpness: sig.coarse_sharpness,
                focus_point: sig.focus_point,
                detail_direction: sig.detail_direction,
                mean_luma: sig.mean_luma,
                exposure_ev: sig.exposure_ev,
                clipped_highlights: sig.clipped_highlights,
                clipped_shadows: sig.clipped_shadows,
                noise: sig.noise,
                jpeg_quality: sig.jpeg_quality,
                misfire: &sig.misfire,
                source: a.source,
            },
            exif: &a.exif,
            faces: a.faces.as_deref().unwrap_or(&[]),
            judged_faces: &sug.ranked.judged_faces,
            decision: decisions.get(&entry.id).cloned().unwrap_or_default(),
            companions: entry.file.companions.iter().map(|p| path_str(p)).collect(),
        });
    }
    let groups_out = groups
        .iter()
        .map(|g| GroupOut {
            id: g.id,
            set: g.set,
            photos: g
                .members
                .iter()
                .map(|&m| path_str(&s.photos[m].file.path))
                .collect(),
            best: path_str(&s.photos[g.best].file.path),
        })
        .collect();
    let errors = s
        .problems()
        .into_iter()
        .map(|e| ErrorOut {
            path: path_str(&e.path),
            reason: e.reason(),
        })
        .collect();
    let skipped = s
        .skipped
        .iter()
        .map(|k| ErrorOut {
            path: path_str(&k.path),
            reason: k.reason.clone(),
        })
        .collect();
    Report {
        root: path_str(&s.root),
        profile: String::new(),
        learned_groups: 0,
        summary: Summary {
            photos: s.photos.len(),
            analyzed: s.photos.iter().filter(|p| p.analysis.is_some()).count(),
            groups: groups.len(),
            from_cache: s.status.from_cache,
            analyzed_now: s.status.analyzed_now,
            failed: s.status.failed,
            cancelled: s.status.cancelled,
            seconds: (s.status.seconds * 1000.0).round() / 1000.0,
        },
        photos,
        groups: groups_out,
        errors,
        skipped,
    }
}

fn print_summary(
    out: &mut impl Write,
    s: &Session,
    suggestions: &[Option<Suggestion>],
    groups: &[bestpick_engine::vocabulary::GroupSummary],
    decisions: &std::collections::HashMap<PhotoId, Decision>,
) -> std::io::Result<()> {
    let st = &s.status;
    let analyzed = s.photos.iter().filter(|p| p.analysis.is_some()).count();
    let rate = if st.seconds > 0.0 {
        st.analyzed_now as f64 / st.seconds
    } else {
        0.0
    };
    writeln!(out, "{}", s.root.display())?;
    writeln!(
        out,
        "{} in {} — {} analyzed now ({rate:.1}/s), {} from the catalog, {} failed, {:.1} s",
        crate::counted(analyzed, "photo", "photos"),
        crate::counted(groups.len(), "group", "groups"),
        st.analyzed_now,
        st.from_cache,
        st.failed,
        st.seconds
    )?;
    let rejects = suggestions
        .iter()
        .flatten()
        .filter(|s| s.ranked.reject_candidate)
        .count();
    let picked = decisions
        .values()
        .filter(|d| d.flag == bestpick_engine::vocabulary::Flag::Pick)
        .count();
    writeln!(
        out,
        "{}; {} picked by you so far",
        crate::counted(rejects, "reject candidate", "reject candidates"),
        crate::counted(picked, "photo", "photos")
    )?;
    writeln!(out)?;
    for g in groups {
        let best = &s.photos[g.best];
        let sug = suggestions[g.best].as_ref();
        let why = sug.map(|s| s.reason_words().join(", ")).unwrap_or_default();
        let n = g.members.len();
        if n == 1 {
            writeln!(out, "  {:>4}  {}  {}", g.id, best.file.rel_path, why)?;
        } else {
            let rej = g
                .members
                .iter()
                .filter(|&&m| {
                    suggestions[m]
                        .as_ref()
                        .is_some_and(|s| s.ranked.reject_candidate)
                })
                .count();
            writeln!(
                out,
                "  {:>4}  {} photos, pick {}  ({why}){}",
                g.id,
                n,
                best.file.rel_path,
                if rej > 0 {
                    format!("; {rej} to reject")
                } else {
                    String::new()
                }
            )?;
        }
    }
    let problems = s.problems();
    if !problems.is_empty() {
        writeln!(out)?;
        writeln!(out, "Problems ({}):", problems.len())?;
        for e in problems {
            writeln!(out, "  {}: {}", e.path.display(), e.reason())?;
        }
    }
    Ok(())
}
