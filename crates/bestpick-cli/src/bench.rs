//! `bestpick bench DIR`: images/second of the full analysis, and of libjpeg-turbo decoding the
//! same files at 1/8 scale in grey (the floor any JPEG reader shares: Huffman decoding), with
//! the same threads, plus peak memory. Files are read from disk inside both timed loops.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use bestpick_engine::vocabulary::{DecodeOptions, FileKind, PhotoFile};
use rayon::prelude::*;

mod compare;
mod scale;

#[derive(clap::Args)]
pub struct Args {
    /// Folder of JPEG files (e.g. made with make_camera_set.py).
    dir: PathBuf,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Passes over the folder; the best pass is reported.
    #[arg(long, default_value_t = 2)]
    passes: usize,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
    /// Skip the run with face analysis.
    #[arg(long)]
    no_faces: bool,
    /// Instead: make a shoot of N small photos in DIR (kept for the next run) and time
    /// analyzing, re-opening, grouping and ranking it, with peak memory and the catalog's size
    /// per photo.
    #[arg(long, value_name = "N")]
    scale: Option<usize>,
    /// Also time `bestpick analyze --no-faces DIR` end to end (this program, a new catalog
    /// each pass) against czkawka_cli's similar-images scan of the same folder with its cache
    /// off, alternating, one of each per pass: the czkawka_cli on PATH, or the one given.
    #[arg(long, value_name = "CZKAWKA_CLI", num_args = 0..=1, default_missing_value = "czkawka_cli")]
    czkawka: Option<PathBuf>,
}

#[derive(serde::Serialize)]
struct Figures {
    files: usize,
    megapixels: f64,
    threads: usize,
    analysis_images_per_s: f64,
    analysis_with_faces_images_per_s: Option<f64>,
    faces_found: Option<usize>,
    reference_images_per_s: f64,
    ratio: f64,
    peak_rss_mb: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_to_end: Option<compare::EndToEnd>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(n) = args.scale {
        return run_scale(&args, n);
    }
    let root = args
        .dir
        .canonicalize()
        .with_context(|| format!("cannot find {}", args.dir.display()))?;
    let scan = bestpick_engine::vocabulary::scan(&root)?;
    let files: Vec<PhotoFile> = scan
        .photos
        .into_iter()
        .filter(|p| p.kind == FileKind::Jpeg)
        .collect();
    if files.is_empty() {
        bail!("no JPEG files in {}", root.display());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()?;
    let threads = pool.current_num_threads();
    let opts = DecodeOptions::default();
    let mut megapixels = 0.0;
    let (mut best_analysis, mut best_reference, mut best_faces) = (f64::MAX, f64::MAX, f64::MAX);
    let with_faces = !args.no_faces && crate::analyze::faces_wanted(true);
    let mut faces_found = 0;
    for _ in 0..args.passes.max(1) {
        // Reference: libjpeg-turbo at 1/8 scale, grey.
        let t = Instant::now();
        let failures: usize = pool.install(|| {
            files
                .par_iter()
                .map(|f| usize::from(reference_decode(&f.path).is_err()))
                .sum()
        });
        best_reference = best_reference.min(t.elapsed().as_secs_f64());
        if failures > 0 {
            eprintln!(
                "bestpick: {} failed in the reference decoder",
                crate::counted(failures, "file", "files")
            );
        }
        // Full analysis (decode + every signal), no catalog.
        let t = Instant::now();
        let mp: f64 = pool.install(|| {
            files
                .par_iter()
                .map(
                    |f| match bestpick_engine::vocabulary::measure_photo(f, &opts) {
                        Ok(a) => {
                            f64::from(a.analysis.signals.width)
                                * f64::from(a.analysis.signals.height)
                                / 1e6
                        }
                        Err(e) => {
                            eprintln!("bestpick: {e}");
                            0.0
                        }
                    },
                )
                .sum()
        });
        best_analysis = best_analysis.min(t.elapsed().as_secs_f64());
        megapixels = mp / files.len() as f64;
        if with_faces {
            // The same with faces, eyes and face focus.
            let params = bestpick_engine::vocabulary::AnalyzeParams {
                decode: opts,
                faces: true,
                ..Default::default()
            };
            let t = Instant::now();
            faces_found = pool.install(|| {
                files
                    .par_iter()
                    .map(
                        |f| match bestpick_engine::vocabulary::analyze_photo(f, &params) {
                            Ok(a) => a.analysis.faces.map_or(0, |v| v.len()),
                            Err(_) => 0,
                        },
                    )
                    .sum()
            });
            best_faces = best_faces.min(t.elapsed().as_secs_f64());
        }
    }
    let end_to_end = match &args.czkawka {
        Some(czkawka) => Some(compare::run(&root, czkawka, args.passes.max(1))?),
        None => None,
    };
    let n = files.len() as f64;
    let fig = Figures {
        files: files.len(),
        megapixels: (megapixels * 10.0).round() / 10.0,
        threads,
        analysis_images_per_s: round2(n / best_analysis),
        analysis_with_faces_images_per_s: with_faces.then(|| round2(n / best_faces)),
        faces_found: with_faces.then_some(faces_found),
        reference_images_per_s: round2(n / best_reference),
        ratio: round2(best_reference / best_analysis),
        peak_rss_mb: peak_rss_mb(),
        end_to_end,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&fig)?);
    } else {
        println!(
            "{} JPEG files, {:.1} MP average, {} threads, best of {} passes",
            fig.files,
            fig.megapixels,
            fig.threads,
            args.passes.max(1)
        );
        println!(
            "  full analysis:                      {:7.2} images/s",
            fig.analysis_images_per_s
        );
        if let (Some(r), Some(found)) = (fig.analysis_with_faces_images_per_s, fig.faces_found) {
            println!(
                "  full analysis with faces:           {r:7.2} images/s ({found} faces found)"
            );
        }
        println!(
            "  libjpeg-turbo 1/8 grey decode only: {:7.2} images/s",
            fig.reference_images_per_s
        );
        println!("  analysis / decode-only:             {:7.2}", fig.ratio);
        if let Some(mb) = fig.peak_rss_mb {
            println!("  peak memory (RSS):                  {mb:7.0} MB");
        }
        if let Some(e) = &fig.end_to_end {
            compare::print(e);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_scale(args: &Args, n: usize) -> anyhow::Result<ExitCode> {
    let faces = !args.no_faces && crate::analyze::faces_wanted(true);
    let fig = scale::run(&args.dir, n, faces, args.threads)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&fig)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mb = |v: Option<f64>| v.map_or_else(|| "?".to_owned(), |mb| format!("{mb:.0} MB"));
    println!(
        "{} ({}){}",
        crate::counted(fig.photos, "photo", "photos"),
        crate::counted(fig.groups, "group", "groups"),
        fig.made_s
            .map_or_else(String::new, |s| format!(", made in {s:.1} s"))
    );
    println!(
        "  analyze into a new catalog: {:8.2} s, peak memory {}",
        fig.analyze_s,
        mb(fig.analyze_peak_rss_mb)
    );
    println!(
        "  re-open the analyzed shoot: {:8.2} s, peak memory {}",
        fig.reopen_s,
        mb(fig.reopen_peak_rss_mb)
    );
    println!(
        "  group and rank every photo: {:8.2} s",
        fig.group_and_rank_s
    );
    println!(
        "  catalog size per photo:     {:8.0} bytes",
        fig.catalog_bytes_per_photo
    );
    Ok(ExitCode::SUCCESS)
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// libjpeg-turbo (through the turbojpeg crate) at 1/8 scale into grey pixels.
fn reference_decode(path: &Path) -> anyhow::Result<()> {
    let data = std::fs::read(path)?;
    let mut d = turbojpeg::Decompressor::new()?;
    d.set_scaling_factor(turbojpeg::ScalingFactor::ONE_EIGHTH)?;
    let header = d
        .read_header(&data)?
        .scaled(turbojpeg::ScalingFactor::ONE_EIGHTH);
    let mut image = turbojpeg::Image {
        pixels: vec![0u8; header.width * header.height],
        width: header.width,
        pitch: header.width,
        height: header.height,
        format: turbojpeg::PixelFormat::GRAY,
    };
    d.decompress(&data, image.as_deref_mut())?;
    std::hint::black_box(&image.pixels);
    Ok(())
}

/// Peak resident memory of this process (Linux: VmHWM).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some((kb / 1024.0).round())
}

#[cfg(test)]
mod tests {
    #[test]
    fn peak_rss_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(super::peak_rss_mb().is_some_and(|mb| mb > 0.0));
        }
    }
}
