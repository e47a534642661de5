//! Runs the face analysis on image files and prints what it found and how long each stage
//! took (single thread). Build in release for meaningful times:
//!
//! ```text
//! cargo run --release -p bestpick-faces --example faces -- [--repeat N] [--tiles off|auto|always] IMAGE...
//! ```
//!
//! With `--repeat N` each image is analysed N times and the fastest run is reported.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line example"
)]

use std::time::Instant;

use bestpick_faces::{FaceModels, FaceOptions, RgbSource, Tiling, analyze_faces_with_stats};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let models = FaceModels::locate()?;
    eprintln!(
        "models loaded from {} in {:.0} ms",
        models.dir().display(),
        start.elapsed().as_secs_f64() * 1e3
    );
    let mut opts = FaceOptions::default();
    let mut repeat = 1usize;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--repeat" => repeat = args.next().and_then(|n| n.parse().ok()).unwrap_or(1).max(1),
            "--tiles" => {
                opts.tiling = match args.next().as_deref() {
                    Some("off") => Tiling::Off,
                    Some("always") => Tiling::Always,
                    _ => Tiling::Auto,
                }
            }
            _ => paths.push(arg),
        }
    }
    for path in paths {
        let img = image::open(&path)?.to_rgb8();
        let src = RgbSource::new(img, 750);
        let mut best = None;
        for _ in 0..repeat {
            let run = analyze_faces_with_stats(&models, &src, &opts)?;
            let time = run.1.detect_time + run.1.faces_time;
            if best
                .as_ref()
                .is_none_or(|(_, s): &(_, bestpick_faces::FaceStats)| {
                    time < s.detect_time + s.faces_time
                })
            {
                best = Some(run);
            }
        }
        let Some((faces, stats)) = best else { continue };
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        println!(
            "{path}: {} faces; detect {:.1} ms ({} tiles), faces {:.1} ms ({} candidates, {} \
             rejected, {} iris runs); networks {:.1} ms, render {:.1} ms",
            faces.len(),
            ms(stats.detect_time),
            stats.tiles,
            ms(stats.faces_time),
            stats.candidates,
            stats.rejected,
            stats.iris_runs,
            ms(stats.model_time),
            ms(stats.render_time)
        );
        for f in &faces {
            println!(
                "  box [{:.0} {:.0} {:.0} {:.0}] score {:.2} eyes {:?} openness {:?} sharpness \
                 {:.3} looking {} pose [{:.0} {:.0}]",
                f.bbox[0],
                f.bbox[1],
                f.bbox[2],
                f.bbox[3],
                f.score,
                f.eyes,
                f.openness.map(|o| o.map(|v| (v * 1000.0).round() / 1000.0)),
                f.sharpness,
                f.looking_at_camera,
                f.pose[0],
                f.pose[1]
            );
        }
    }
    Ok(())
}
