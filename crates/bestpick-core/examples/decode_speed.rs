//! Single-thread speed of the JPEG coefficient reader and of the measures taken on its output,
//! files held in memory, so that changes to either can be compared without disk, threads or
//! the rest of the analysis in the way. Reports the best of several passes for each part.
//!
//! With `--faces`, the face analysis (which reads face regions' low-frequency coefficients again
//! from the file's bytes) is timed as a third part.
//!
//! `cargo run --release -p bestpick-core --example decode_speed -- DIR [PASSES] [--faces]`

use std::time::{Duration, Instant};

use bestpick_core::FileKind;
use bestpick_core::decode::{self, DecodeOptions};
use bestpick_core::signals;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (flags, args): (Vec<String>, Vec<String>) =
        std::env::args().skip(1).partition(|a| a.starts_with("--"));
    let faces = flags.iter().any(|f| f == "--faces");
    let mut args = args.into_iter();
    let dir = args
        .next()
        .ok_or("usage: decode_speed DIR [PASSES] [--faces]")?;
    let passes: usize = args.next().map(|p| p.parse()).transpose()?.unwrap_or(5);
    let models = if faces {
        Some(bestpick_core::faces::models()?)
    } else {
        None
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext.eq_ignore_ascii_case("jpg") || ext.eq_ignore_ascii_case("jpeg") {
            files.push(std::fs::read(&path)?);
        }
    }
    if files.is_empty() {
        return Err(format!("no JPEG files in {dir}").into());
    }
    let opts = DecodeOptions::default();
    let (mut best_decode, mut best_measure, mut best_faces) =
        (Duration::MAX, Duration::MAX, Duration::MAX);
    let mut found = 0;
    for _ in 0..passes {
        let (mut dec, mut mea, mut fac) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
        found = 0;
        for data in &files {
            let start = Instant::now();
            let d = decode::decode(data, FileKind::Jpeg, &opts).map_err(|e| e.to_string())?;
            let decoded = Instant::now();
            std::hint::black_box(signals::measure(&d));
            mea += decoded.elapsed();
            dec += decoded - start;
            if let Some(models) = models {
                let start = Instant::now();
                found += bestpick_core::faces::analyze(models, &d, None, Some(data), &opts)?.len();
                fac += start.elapsed();
            }
            decode::recycle(d);
        }
        best_decode = best_decode.min(dec);
        best_measure = best_measure.min(mea);
        best_faces = best_faces.min(fac);
    }
    let per_file = |d: Duration| d.as_secs_f64() * 1000.0 / files.len() as f64;
    println!(
        "{} files, best of {passes}: decode {:.2} ms, measure {:.2} ms per file",
        files.len(),
        per_file(best_decode),
        per_file(best_measure)
    );
    if faces {
        println!(
            "faces {:.2} ms per file ({found} faces)",
            per_file(best_faces)
        );
    }
    Ok(())
}
