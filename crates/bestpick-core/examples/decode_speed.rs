//! Single-thread speed of the coefficient reader alone, files held in memory, so that changes
//! to the entropy decoder can be compared without disk, threads or the rest of the analysis in
//! the way. Reports the best of several passes.
//!
//! `cargo run --release -p bestpick-core --example decode_speed -- DIR [PASSES]`

use std::time::Instant;

use bestpick_core::decode::jpeg::{JpegBlocks, JpegOptions, read_blocks_reusing};

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
    let opts = JpegOptions::default();
    let mut spare = JpegBlocks::default();
    let mut best = f64::INFINITY;
    for _ in 0..passes {
        let start = Instant::now();
        for data in &files {
            spare = read_blocks_reusing(data, &opts, spare)?;
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "{} files, best of {passes}: {:.2} ms per file",
        files.len(),
        best * 1000.0 / files.len() as f64
    );
    Ok(())
}
