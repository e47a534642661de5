//! `bestpick bench --scale N DIR`: a wedding season's worth of photos. Makes a shoot of `N`
//! small JPEGs in `DIR` (once; later runs reuse them), then times what grows with the number
//! of photos rather than their size: analyzing the shoot into a fresh catalog, re-opening the
//! analyzed shoot, and grouping and ranking it; with the peak memory of each stage and the
//! catalog's size per photo. Analysis speed per photo comes from the real 24 MP files of
//! `bestpick bench DIR`, not from these.
//!
//! The photos are 256×192 scenes (a gradient and a few blocks of colour) shot as moments of
//! one to six frames 125 ms apart, the frames of a moment shifted a little and noisy, moments
//! 20 s to 2 min apart, with EXIF capture times: grouping has real work to do.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bestpick_engine::vocabulary::{AnalyzeParams, Catalog, Strictness};
use bestpick_engine::{OpenParams, Session};
use rayon::prelude::*;

use crate::progress::Bar;

const WIDTH: usize = 256;
const HEIGHT: usize = 192;
/// Files per folder, as cameras split a card (100CANON, 101CANON, ...).
const PER_FOLDER: usize = 1000;
/// Frames of a burst are this far apart.
const FRAME_GAP_MS: i64 = 125;

/// What one scale run measured.
#[derive(serde::Serialize)]
pub struct ScaleFigures {
    pub photos: usize,
    pub made_s: Option<f64>,
    pub analyze_s: f64,
    pub analyze_peak_rss_mb: Option<f64>,
    pub reopen_s: f64,
    pub reopen_peak_rss_mb: Option<f64>,
    pub group_and_rank_s: f64,
    pub groups: usize,
    pub catalog_bytes_per_photo: f64,
}

/// Runs the scale benchmark on `n` photos in `dir`.
pub fn run(
    dir: &Path,
    n: usize,
    faces: bool,
    threads: Option<usize>,
) -> anyhow::Result<ScaleFigures> {
    if n == 0 {
        bail!("--scale needs at least one photo");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let made_s = make_shoot(dir, n)?;
    let root = dir
        .canonicalize()
        .with_context(|| format!("cannot find {}", dir.display()))?;
    let work = tempdir()?;
    let result = measure(&root, &work, n, faces, threads);
    let _ = std::fs::remove_dir_all(&work);
    let mut fig = result?;
    fig.made_s = made_s;
    Ok(fig)
}

fn measure(
    root: &Path,
    work: &Path,
    n: usize,
    faces: bool,
    threads: Option<usize>,
) -> anyhow::Result<ScaleFigures> {
    let catalog_path = work.join("catalog.db");
    let params = OpenParams {
        analyze: AnalyzeParams {
            threads,
            faces,
            ..Default::default()
        },
        ..Default::default()
    };
    // Opens the shoot with a new connection to the catalog: seconds, peak memory, session.
    let open = || -> anyhow::Result<(f64, Option<f64>, Session)> {
        reset_peak_rss();
        let t = Instant::now();
        let mut catalog = Catalog::open(&catalog_path)?;
        let bar = Bar::new();
        let session =
            bestpick_engine::open_shoot(&mut catalog, root, &params, &Default::default(), &bar)?;
        bar.finish();
        let seconds = t.elapsed().as_secs_f64();
        check_all_analyzed(&session, n)?;
        Ok((seconds, super::peak_rss_mb(), session))
    };
    let (analyze_s, analyze_peak_rss_mb, _) = open()?;
    // Re-opening, as `bestpick analyze` and the app do: the folder is scanned, every analysis
    // comes from the catalog.
    let (reopen_s, reopen_peak_rss_mb, session) = open()?;

    // Grouping and ranking the whole shoot: the best of three.
    let mut best = Duration::MAX;
    let mut groups = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let (_, summary) = session.cull(Strictness::NORMAL);
        best = best.min(t.elapsed());
        groups = summary.len();
    }
    let bytes: u64 = ["catalog.db", "catalog.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(work.join(f)).ok())
        .map(|m| m.len())
        .sum();
    Ok(ScaleFigures {
        photos: n,
        made_s: None,
        analyze_s: round2(analyze_s),
        analyze_peak_rss_mb,
        reopen_s: round2(reopen_s),
        reopen_peak_rss_mb,
        group_and_rank_s: round2(best.as_secs_f64()),
        groups,
        catalog_bytes_per_photo: (bytes as f64 / n as f64).round(),
    })
}

fn check_all_analyzed(session: &Session, n: usize) -> anyhow::Result<()> {
    let analyzed = session
        .photos
        .iter()
        .filter(|p| p.analysis.is_some())
        .count();
    if analyzed != n {
        bail!("{analyzed} of {n} photos analyzed");
    }
    Ok(())
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Linux: the peak resident memory counts from here (writing 5 to clear_refs resets VmHWM).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn tempdir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("bestpick-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// Where photo `i` of the shoot lives.
fn photo_path(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("{}BENCH", 100 + i / PER_FOLDER))
        .join(format!("IMG_{:06}.JPG", i + 1))
}

/// Makes the shoot's missing photos; the seconds it took when any were missing.
fn make_shoot(dir: &Path, n: usize) -> anyhow::Result<Option<f64>> {
    let missing: Vec<usize> = (0..n).filter(|&i| !photo_path(dir, i).exists()).collect();
    if missing.is_empty() {
        return Ok(None);
    }
    eprintln!(
        "bestpick: making {} photos in {} (kept for the next run)",
        missing.len(),
        dir.display()
    );
    let plan = plan(n);
    let t = Instant::now();
    missing
        .par_iter()
        .try_for_each(|&i| -> anyhow::Result<()> {
            let path = photo_path(dir, i);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let bytes = photo(&plan[i])?;
            // Under a temporary name, so an interrupted run never leaves half a photo.
            let tmp = path.with_extension("part");
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))
        })?;
    Ok(Some(round2(t.elapsed().as_secs_f64())))
}

/// One photo of the plan: its moment (scene), its frame in the moment and its capture time.
struct Frame {
    scene: u64,
    frame: u32,
    time_ms: i64,
}

/// The shoot's moments and frames, the same for every run.
fn plan(n: usize) -> Vec<Frame> {
    let mut rng = Rng(0x5EED_0BE5_791C);
    let mut out = Vec::with_capacity(n);
    // 2026-06-13 14:00:00 UTC.
    let mut time_ms: i64 = 1_781_359_200_000;
    let mut scene = 0u64;
    while out.len() < n {
        // Four moments in ten are single frames; the rest bursts of two to six.
        let frames = if rng.below(10) < 4 {
            1
        } else {
            2 + rng.below(5) as u32
        };
        for frame in 0..frames {
            if out.len() == n {
                break;
            }
            out.push(Frame {
                scene,
                frame,
                time_ms: time_ms + i64::from(frame) * FRAME_GAP_MS,
            });
        }
        scene += 1;
        time_ms += 20_000 + rng.below(100_000) as i64;
    }
    out
}

/// The JPEG bytes of one frame, with its capture time in EXIF.
fn photo(f: &Frame) -> anyhow::Result<Vec<u8>> {
    let mut rng = Rng(f.scene.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let (top, bottom) = (rng.colour(), rng.colour());
    let mut pixels = vec![0u8; WIDTH * HEIGHT * 3];
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            for c in 0..3 {
                let t = y as f32 / HEIGHT as f32;
                pixels[(y * WIDTH + x) * 3 + c] =
                    (f32::from(top[c]) * (1.0 - t) + f32::from(bottom[c]) * t) as u8;
            }
        }
    }
    // A few blocks of colour; they move a little from frame to frame.
    let shift = f.frame as usize * 2;
    for _ in 0..4 {
        let (w, h) = (16 + rng.below(96) as usize, 16 + rng.below(72) as usize);
        let (x0, y0) = (
            rng.below((WIDTH - w) as u64) as usize,
            rng.below((HEIGHT - h) as u64) as usize,
        );
        let c = rng.colour();
        for y in y0..(y0 + h).min(HEIGHT) {
            for x in (x0 + shift).min(WIDTH)..(x0 + w + shift).min(WIDTH) {
                pixels[(y * WIDTH + x) * 3..][..3].copy_from_slice(&c);
            }
        }
    }
    // Sensor noise, different in every frame.
    let mut noise = Rng(f.time_ms as u64 | 1);
    for v in &mut pixels {
        let n = noise.below(7) as i16 - 3;
        *v = (i16::from(*v) + n).clamp(0, 255) as u8;
    }
    let image = turbojpeg::Image {
        pixels: pixels.as_slice(),
        width: WIDTH,
        pitch: WIDTH * 3,
        height: HEIGHT,
        format: turbojpeg::PixelFormat::RGB,
    };
    let mut compressor = turbojpeg::Compressor::new()?;
    compressor.set_quality(85)?;
    let jpeg = compressor.compress_to_vec(image)?;
    // The EXIF segment goes right after the start-of-image marker.
    let mut out = Vec::with_capacity(jpeg.len() + 128);
    out.extend_from_slice(jpeg.get(..2).context("empty JPEG")?);
    out.extend_from_slice(&exif_capture_time(f.time_ms)?);
    out.extend_from_slice(&jpeg[2..]);
    Ok(out)
}

/// An APP1 EXIF segment with DateTimeOriginal and SubSecTimeOriginal for `time_ms` (UTC).
fn exif_capture_time(time_ms: i64) -> anyhow::Result<Vec<u8>> {
    let t = time::OffsetDateTime::from_unix_timestamp(time_ms.div_euclid(1000))?;
    let date_time = format!(
        "{:04}:{:02}:{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let subsec = format!("{:03}", time_ms.rem_euclid(1000));
    let mut tiff: Vec<u8> = Vec::with_capacity(96);
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    let entry = |tiff: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&count.to_le_bytes());
        tiff.extend_from_slice(&value);
    };
    // IFD0 at 8: the Exif IFD pointer; the Exif IFD at 26: two entries, the date at 56.
    tiff.extend_from_slice(&1u16.to_le_bytes());
    entry(&mut tiff, 0x8769, 4, 1, 26u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut tiff, 0x9003, 2, 20, 56u32.to_le_bytes());
    let mut inline = [0u8; 4];
    inline[..3].copy_from_slice(subsec.as_bytes());
    entry(&mut tiff, 0x9291, 2, 4, inline);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(date_time.as_bytes());
    tiff.push(0);
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&u16::try_from(2 + 6 + tiff.len())?.to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    Ok(app1)
}

/// A small deterministic generator (xorshift64*): the same shoot on every machine.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }

    fn colour(&mut self) -> [u8; 3] {
        [0; 3].map(|_: u8| self.below(256) as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_photos_carry_their_capture_time_and_bursts_share_a_scene() {
        let plan = plan(40);
        assert_eq!(plan.len(), 40);
        assert!(plan.windows(2).all(|w| w[1].time_ms > w[0].time_ms));
        let burst = plan.windows(2).find(|w| w[1].frame == 1).expect("a burst");
        assert_eq!(burst[0].scene, burst[1].scene);
        assert_eq!(burst[1].time_ms - burst[0].time_ms, FRAME_GAP_MS);
        let dir = std::env::temp_dir().join(format!("bestpick-scale-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder");
        std::fs::write(dir.join("a.jpg"), photo(&plan[1]).expect("a photo")).expect("written");
        let scan = bestpick_engine::vocabulary::scan(&dir).expect("scanned");
        let analyzed =
            bestpick_engine::vocabulary::measure_photo(&scan.photos[0], &Default::default());
        std::fs::remove_dir_all(&dir).expect("removed");
        let analyzed = analyzed.expect("analyzed");
        assert_eq!(analyzed.analysis.signals.width as usize, WIDTH);
        let time = analyzed.analysis.exif.capture_time.expect("a capture time");
        assert_eq!(time.timestamp_ms, plan[1].time_ms);
    }
}
