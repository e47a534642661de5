//! Runs the face analysis on image files and prints what it found and how long each stage
//! took (single thread). Build in release for meaningful times:
//!
//! ```text
//! cargo run --release -p bestpick-faces --example faces -- IMAGE...
//! ```
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line example"
)]

use std::time::Instant;

use bestpick_faces::{FaceModels, FaceOptions, RgbSource, analyze_faces_with_stats};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let models = FaceModels::locate()?;
    eprintln!(
        "models loaded from {} in {:?}",
        models.dir().display(),
        start.elapsed()
    );
    let opts = FaceOptions::default();
    for path in std::env::args().skip(1) {
        let img = image::open(&path)?.to_rgb8();
        let src = RgbSource::new(img, 750);
        let (faces, stats) = analyze_faces_with_stats(&models, &src, &opts)?;
        println!(
            "{path}: {} faces, detect {:.1} ms ({} tiles), faces {:.1} ms ({} candidates, {} rejected, {} iris runs)",
            faces.len(),
            stats.detect_time.as_secs_f64() * 1e3,
            stats.tiles,
            stats.faces_time.as_secs_f64() * 1e3,
            stats.candidates,
            stats.rejected,
            stats.iris_runs
        );
        for f in &faces {
            println!(
                "  box [{:.0} {:.0} {:.0} {:.0}] score {:.2} eyes {:?} openness L {:?} R {:?} sharp {:.3} look {} pose [{:.0} {:.0}]",
                f.bbox[0],
                f.bbox[1],
                f.bbox[2],
                f.bbox[3],
                f.score,
                f.eyes,
                f.openness[0].map(|v| (v * 1000.0).round() / 1000.0),
                f.openness[1].map(|v| (v * 1000.0).round() / 1000.0),
                f.sharpness,
                f.looking_at_camera,
                f.pose[0],
                f.pose[1]
            );
        }
    }
    Ok(())
}
