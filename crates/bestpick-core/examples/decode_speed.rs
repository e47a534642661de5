//! Single-thread speed of the JPEG coefficient reader and of the measures taken on its output,
//! files held in memory, so that changes to either can be compared without disk, threads or
//! the rest of the analysis in the way. Reports the best of several passes for each part.
//!
//! `cargo run --release -p bestpick-core --example decode_speed -- DIR [PASSES]`

use std::time::{Duration, Instant};

use bestpick_core::FileKind;
use bestpick_core::decode::{self, DecodeOptions};
use bestpick_core::signals;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: decode_speed DIR [PASSES]")?;
    let passes: usize = args.next().map(|p| p.parse()).transpose()?.unwrap_or(5);
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
    let (mut best_decode, mut best_measure) = (Duration::MAX, Duration::MAX);
    for _ in 0..passes {
        let (mut dec, mut mea) = (Duration::ZERO, Duration::ZERO);
        for data in &files {
            let start = Instant::now();
            let d = decode::decode(data, FileKind::Jpeg, &opts).map_err(|e| e.to_string())?;
            let decoded = Instant::now();
            std::hint::black_box(signals::measure(&d));
            mea += decoded.elapsed();
            dec += decoded - start;
            decode::recycle(d);
        }
        best_decode = best_decode.min(dec);
        best_measure = best_measure.min(mea);
    }
    let per_file = |d: Duration| d.as_secs_f64() * 1000.0 / files.len() as f64;
    println!(
        "{} files, best of {passes}: decode {:.2} ms, measure {:.2} ms per file",
        files.len(),
        per_file(best_decode),
        per_file(best_measure)
    );
    Ok(())
}
