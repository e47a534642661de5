//! What a culler looks at, measured on the 8×8 block data of one photo: focus (whole frame and
//! the sharpest region, not fooled by noise), motion blur versus defocus, exposure and clipping,
//! noise, misfires, and a small visual descriptor for grouping.
//!
//! Focus is judged on each block's DCT spectrum: a sharp edge keeps energy at medium and fine
//! frequencies relative to its coarse energy, a blurred one loses it. Sensor noise adds the same
//! energy to flat and busy blocks alike, so its floor is measured on the flattest blocks and
//! taken off the edge blocks before the ratio is formed — which is why a noisy copy does not look
//! sharper than the clean original here, as it does to a plain Laplacian variance.

use serde::{Deserialize, Serialize};

use crate::decode::{Decoded, NFEAT, feat, orient};

mod descriptor;
use descriptor::descriptor;
pub use descriptor::similarity;
pub(crate) use descriptor::{FLAT_CELL, cell_contrast, similarity_beside_cover};

/// Side of the grid the grouping descriptor is sampled on.
pub const DESCRIPTOR_SIDE: usize = 16;

/// Measurements of one photo. Grid-shaped data (focus map, descriptor) is in displayed
/// orientation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    /// Displayed width in pixels (after EXIF orientation).
    pub width: u32,
    /// Displayed height in pixels.
    pub height: u32,
    /// Detail on the frame's edges, noise removed, relative to their contrast (higher is sharper).
    pub sharpness: f32,
    /// The same measure in the sharpest region of the frame.
    pub peak_sharpness: f32,
    /// Detail at 1/8 scale: still tells very blurred frames apart when fine detail is gone.
    pub coarse_sharpness: f32,
    /// Centre of the sharpest region, as fractions of width and height.
    pub focus_point: [f32; 2],
    /// Share of edge detail by direction: [varies along x, along y, diagonal]. A frame that lost
    /// one direction relative to its burst mates is motion-blurred along it.
    pub detail_direction: [f32; 3],
    /// Mean luma, 0..=255.
    pub mean_luma: f32,
    /// Median luma, 0..=255.
    pub median_luma: f32,
    /// Mean scene brightness in EV relative to middle grey (0 = average exposure).
    pub exposure_ev: f32,
    /// Fraction of pixels at or near white.
    pub clipped_highlights: f32,
    /// Fraction of pixels at or near black.
    pub clipped_shadows: f32,
    /// Noise estimate: standard deviation in 8-bit levels on flat areas.
    pub noise: f32,
    /// Estimated JPEG quality of the file (1..=100) when it is a JPEG.
    pub jpeg_quality: Option<u8>,
    /// Set when the frame looks like a misfire.
    pub misfire: Option<Misfire>,
    /// Luma histogram, 64 bins, scaled so the largest bin is 1000.
    pub histogram: Vec<u16>,
    /// Local sharpness per region (0..=255, 255 = the sharpest region), `focus_map_size` grid.
    pub focus_map: Vec<u8>,
    /// Width and height of `focus_map`.
    pub focus_map_size: [u16; 2],
    /// Visual descriptor for grouping (luma layout, normalized; then colour).
    pub descriptor: Vec<i8>,
}

/// A frame that is not a real photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Misfire {
    /// Nearly black (lens cap, flash missed in the dark, shutter misfire).
    Black,
    /// Nearly white (blown out).
    White,
    /// No detail at all at any scale.
    ExtremeBlur,
}

/// Computes the signals of a decoded photo. Work is done on the stored block grid (no copies);
/// only the small spatial outputs (focus map and point, descriptor) are turned upright.
pub fn measure(d: &Decoded) -> Signals {
    let o = d.orientation();
    let (bw, bh) = (d.luma.width, d.luma.height);
    let (w, h) = if o >= 5 {
        (d.height, d.width)
    } else {
        (d.width, d.height)
    };
    let grid = Grid {
        w: bw,
        h: bh,
        dc: &d.luma.dc,
        feat: &d.luma.feat,
    };
    let sample = sample(&grid);
    let (exposure, mut detail, spread) = scan(&grid, sample.as_ref());
    let coarse = coarse_sharpness(&grid, spread);
    let misfire = misfire(&exposure, &detail, coarse);
    // Upright: a quarter turn swaps what varies along x and along y.
    if o >= 5 {
        detail.direction.swap(0, 1);
    }
    let [fx, fy] = detail.focus_point;
    let focus_point = match o {
        2 => [1.0 - fx, fy],
        3 => [1.0 - fx, 1.0 - fy],
        4 => [fx, 1.0 - fy],
        5 => [fy, fx],
        6 => [1.0 - fy, fx],
        7 => [1.0 - fy, 1.0 - fx],
        8 => [fy, 1.0 - fx],
        _ => [fx, fy],
    };
    let [tw, th] = detail.map_size.map(usize::from);
    let focus_map = orient::apply(o, &detail.map, tw, th);
    let (otw, oth) = orient::size(o, tw, th);
    let chroma = d
        .chroma
        .as_ref()
        .map(|c| (c.cb.as_slice(), c.cr.as_slice()));
    Signals {
        width: w,
        height: h,
        sharpness: detail.sharpness,
        peak_sharpness: detail.peak,
        coarse_sharpness: coarse,
        focus_point,
        detail_direction: detail.direction,
        mean_luma: exposure.mean,
        median_luma: exposure.median,
        exposure_ev: exposure.ev,
        clipped_highlights: exposure.highlights,
        clipped_shadows: exposure.shadows,
        noise: detail.noise,
        jpeg_quality: d.jpeg_quality,
        misfire,
        histogram: exposure.histogram,
        focus_map,
        focus_map_size: [otw as u16, oth as u16],
        descriptor: descriptor(grid.dc, (grid.w, grid.h), chroma, o),
    }
}

struct Grid<'a> {
    w: usize,
    h: usize,
    dc: &'a [f32],
    feat: &'a [[f32; NFEAT]],
}

struct Exposure {
    mean: f32,
    median: f32,
    p02: f32,
    p98: f32,
    ev: f32,
    highlights: f32,
    shadows: f32,
    histogram: Vec<u16>,
}

/// Levels at or above this count as clipped highlights; at or below `SHADOW_CLIP`, shadows.
const HIGHLIGHT_CLIP: f32 = 250.0;
const SHADOW_CLIP: f32 = 5.0;

/// Sum of squared deviations from the block mean over its 64 pixels (Parseval: the AC energy).
#[inline]
fn block_energy(f: &[f32; NFEAT]) -> f32 {
    f[feat::LOW] + f[feat::MID] + f[feat::HIGH] + f[feat::TOP]
}

/// Standard normal CDF tabulated on [-PHI_RANGE, PHI_RANGE] for [`phi_fast`].
struct PhiTable([f32; PHI_STEPS + 2]);

const PHI_RANGE: f32 = 8.0;
const PHI_STEPS: usize = 1024;

impl PhiTable {
    fn new() -> PhiTable {
        let mut t = [0f32; PHI_STEPS + 2];
        for (i, v) in t.iter_mut().enumerate() {
            *v = phi(-PHI_RANGE + i as f32 * (2.0 * PHI_RANGE / PHI_STEPS as f32));
        }
        PhiTable(t)
    }

    /// `phi(x)` by linear interpolation (error < 1e-5): the clip estimate evaluates it on
    /// most blocks of a contrasty frame, where `exp` would cost more than the rest of the pass.
    #[inline]
    fn phi(&self, x: f32) -> f32 {
        // max/min (not clamp) so that NaN lands on 0.
        let pos = ((x + PHI_RANGE) * (PHI_STEPS as f32 / (2.0 * PHI_RANGE)))
            .max(0.0)
            .min(PHI_STEPS as f32);
        let i = pos as usize; // <= PHI_STEPS, and the table has PHI_STEPS + 2 entries
        let frac = pos - i as f32;
        self.0[i] + (self.0[i + 1] - self.0[i]) * frac
    }
}

static PHI_TABLE: std::sync::LazyLock<PhiTable> = std::sync::LazyLock::new(PhiTable::new);

/// Standard normal CDF (Abramowitz-Stegun 7.1.26 through erf), plenty for clip estimates.
fn phi(x: f32) -> f32 {
    let z = x / std::f32::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z.abs());
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152 + t * 1.061_405_4))));
    let erf = 1.0 - poly * (-z * z).exp();
    let erf = if z >= 0.0 { erf } else { -erf };
    0.5 * (1.0 + erf)
}

struct Detail {
    sharpness: f32,
    peak: f32,
    focus_point: [f32; 2],
    direction: [f32; 3],
    noise: f32,
    map: Vec<u8>,
    map_size: [u16; 2],
}

impl Detail {
    /// Too few usable blocks to say anything about detail.
    fn empty() -> Detail {
        Detail {
            sharpness: 0.0,
            peak: 0.0,
            focus_point: [0.5, 0.5],
            direction: [1.0 / 3.0; 3],
            noise: 0.0,
            map: Vec::new(),
            map_size: [0, 0],
        }
    }
}

/// Noise floors are taken off edge blocks with this margin (the flattest blocks of an image
/// are flatter than its average texture, so their energy is a low estimate of the noise).
const NOISE_MARGIN: f32 = 2.0;

/// The `q` quantile (0..=1) of `v`, reordering `v`.
fn quantile(v: &mut [f32], q: f32) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    let k = ((v.len() - 1) as f32 * q).round() as usize;
    let (_, x, _) = v.select_nth_unstable_by(k, f32::total_cmp);
    *x
}

/// Whether a block is far enough from the clip levels to say something about focus: blocks
/// near clipping get hard artificial edges. Its mean must be two spreads away from both.
#[inline]
fn usable(m: f32, f: &[f32; NFEAT]) -> bool {
    usable_with(m, block_energy(f))
}

/// [`usable`] given the block's AC energy.
#[inline]
fn usable_with(m: f32, energy: f32) -> bool {
    let four_var = energy / 16.0; // (2 sd)^2
    let (dh, dl) = (HIGHLIGHT_CLIP - m, m - SHADOW_CLIP);
    dh > 0.0 && dl > 0.0 && dh * dh > four_var && dl * dl > four_var
}

/// Thresholds taken from a sample of the blocks (every third, every seventh on big frames):
/// quantiles of coarse energy over usable blocks, and the noise floors measured on the frame's
/// flattest blocks (see [`FLAT_SHARE`]) — plenty for thresholds, and cheap on 24 MP frames.
struct Sample {
    q50: f32,
    q90: f32,
    /// Noise floors (with margin) of the MID, HIGH, HOR, VER and DIAG energies.
    floor: [f32; 5],
    noise: f32,
}

/// The noise floors are measured on the blocks among the flattest this share of the whole
/// frame, clipped blocks included (a sky blown white is the frame's flattest part even though
/// nothing can be read there): taken among the usable blocks only, a frame that lost its flat
/// areas to clipping would read its texture as noise (measured: a photo brightened 0.8 stops
/// went from 0.4 to 13 levels of "noise", and one with a blown sky read 8.6 times noisier than
/// its darker copy).
const FLAT_SHARE: f32 = 0.3;
/// ...and on at least this share of the usable sampled blocks (and 16): when the frame has
/// fewer flat ones, on that many with the least fine detail.
const MIN_FLAT_SHARE: f32 = 0.01;

fn sample(g: &Grid<'_>) -> Option<Sample> {
    let step = if g.dc.len() > 100_000 { 7 } else { 3 };
    let usable_at = |i: usize| usable(g.dc[i], &g.feat[i]);
    let mut all_lows: Vec<f32> = (0..g.dc.len())
        .step_by(step)
        .map(|i| g.feat[i][feat::LOW])
        .collect();
    let flat_level = quantile(&mut all_lows, FLAT_SHARE);
    let usable_blocks: Vec<usize> = (0..g.dc.len())
        .step_by(step)
        .filter(|&i| usable_at(i))
        .collect();
    let mut lows: Vec<f32> = usable_blocks
        .iter()
        .map(|&i| g.feat[i][feat::LOW])
        .collect();
    if lows.len() < 16 {
        return None;
    }
    let q90 = quantile(&mut lows, 0.9);
    let q50 = quantile(&mut lows, 0.5);
    let n = lows.len();
    let min_flat = ((n as f32 * MIN_FLAT_SHARE) as usize).clamp(16, n);
    let mut flat: Vec<usize> = usable_blocks
        .iter()
        .copied()
        .filter(|&i| g.feat[i][feat::LOW] <= flat_level)
        .collect();
    let fine = |i: usize| g.feat[i][feat::HIGH] + g.feat[i][feat::TOP];
    if flat.len() < min_flat {
        // No flat area left to read (clipped away, or none in the scene): the usable blocks
        // with the least fine detail, which texture inflates least.
        let mut by_fine = usable_blocks;
        by_fine.select_nth_unstable_by(min_flat - 1, |&a, &b| fine(a).total_cmp(&fine(b)));
        by_fine.truncate(min_flat);
        flat = by_fine;
    }
    let mut floor_sum = [0f64; NFEAT];
    for &i in &flat {
        for (acc, &v) in floor_sum.iter_mut().zip(&g.feat[i]) {
            *acc += f64::from(v);
        }
    }
    let mut fine_energies: Vec<f32> = flat.iter().map(|&i| fine(i)).collect();
    let fine_median = quantile(&mut fine_energies, 0.5);
    let flat_n = flat.len() as u32;
    let mean = |slot: usize| (floor_sum[slot] / f64::from(flat_n.max(1))) as f32;
    Some(Sample {
        q50,
        q90,
        floor: [
            mean(feat::MID) * NOISE_MARGIN,
            mean(feat::HIGH) * NOISE_MARGIN,
            mean(feat::HOR) * NOISE_MARGIN,
            mean(feat::VER) * NOISE_MARGIN,
            mean(feat::DIAG) * NOISE_MARGIN,
        ],
        // Per-coefficient energy of rings 6..=14 (43 coefficients): the median over the flat
        // blocks, not the mean. Noise is in every flat block alike, so the two agree on a noisy
        // frame (σ = 28 copies read 20.8 either way); a few blocks of texture among them (the
        // edge of a blown sky, a twig) pull the mean up and leave the median alone (a camera
        // original with a blown sky read 3.0 levels against its darker copy's 0.3, "noisier
        // than the group", and lost the pick to its own brightened copy; it reads 0 now).
        noise: (fine_median / 43.0).sqrt(),
    })
}

/// One pass over every block: exposure (histogram, clipping), the standard deviation of the
/// block means, and — on the busier half of the usable blocks — per-region detail (a grid of
/// about 12 × 8 tiles) and, on the edge blocks (top 10 % by coarse energy), the frame's detail
/// ratio and its directions.
fn scan(g: &Grid<'_>, sample: Option<&Sample>) -> (Exposure, Detail, f32) {
    let n = g.dc.len().max(1) as f32;
    // Two histograms, alternating by column: neighbouring blocks often share a level, and
    // incrementing one counter twice in a row waits on the previous store.
    let mut hist = [[0u32; 256]; 2];
    let table: &PhiTable = &PHI_TABLE;
    let (mut hi, mut lo) = (0f64, 0f64);
    let (mut dc_sum, mut dc_sq) = (0f64, 0f64);

    let tile = (g.w.max(g.h) / 12).max(2);
    let (tw, th) = (g.w.div_ceil(tile), g.h.div_ceil(tile));
    let tile_of_x: Vec<u32> = (0..g.w).map(|x| (x / tile) as u32).collect();
    let mut tiles = vec![(0f32, 0f32, 0u32); tw * th];
    let mut ratios = Vec::with_capacity(g.dc.len() / 20);
    let mut dir = [0f32; 3];
    // Without a sample no block counts as busy.
    let (q50, q90, floor) = match sample {
        Some(s) => (s.q50, s.q90, s.floor),
        None => (f32::INFINITY, f32::INFINITY, [0.0; 5]),
    };

    for y in 0..g.h {
        let row = y * g.w;
        let (mut row_sum, mut row_sq) = (0f32, 0f32);
        let tile_row = (y / tile) * tw;
        for (x, (&mean, f)) in g.dc[row..row + g.w]
            .iter()
            .zip(&g.feat[row..row + g.w])
            .enumerate()
        {
            row_sum += mean;
            row_sq += mean * mean;
            let m = mean.clamp(0.0, 255.0);
            hist[x & 1][m as usize] += 1;
            let energy = block_energy(f);
            // Share of the block's pixels beyond the clip levels, modelling them as normally
            // distributed around the block mean with the block's own spread. Blocks more than
            // five spreads away from both clip levels contribute nothing and are skipped
            // (checked without a square root: (distance)^2 < 25 variance).
            let (dh, dl) = (HIGHLIGHT_CLIP - m, m - SHADOW_CLIP);
            let near = dh.min(dl);
            if near <= 0.0 || near * near * 64.0 < 25.0 * energy {
                let sd = (energy / 64.0).sqrt().max(0.5);
                if dh * dh * 64.0 < 25.0 * energy || dh <= 0.0 {
                    hi += f64::from(1.0 - table.phi(dh / sd));
                }
                if dl * dl * 64.0 < 25.0 * energy || dl <= 0.0 {
                    lo += f64::from(table.phi(-dl / sd));
                }
            }
            // Detail: the busier half of the usable blocks.
            let low = f[feat::LOW];
            if low <= q50 || !usable_with(mean, energy) {
                continue;
            }
            let corrected =
                (f[feat::MID] - floor[0]).max(0.0) + (f[feat::HIGH] - floor[1]).max(0.0);
            let t = &mut tiles[tile_row + tile_of_x[x] as usize];
            t.0 += corrected;
            t.1 += low + 1.0;
            t.2 += 1;
            if low >= q90 {
                ratios.push(corrected / (low + 1.0));
                dir[0] += (f[feat::HOR] - floor[2]).max(0.0);
                dir[1] += (f[feat::VER] - floor[3]).max(0.0);
                dir[2] += (f[feat::DIAG] - floor[4]).max(0.0);
            }
        }
        dc_sum += f64::from(row_sum);
        dc_sq += f64::from(row_sq);
    }

    let mut merged = [0u32; 256];
    for (i, m) in merged.iter_mut().enumerate() {
        *m = hist[0][i] + hist[1][i];
    }
    let exposure = exposure_from(&merged, n, hi, lo);
    let mean = dc_sum / f64::from(n);
    let spread = (dc_sq / f64::from(n) - mean * mean).max(0.0).sqrt() as f32;
    let Some(s) = sample else {
        return (exposure, Detail::empty(), spread);
    };

    let sharpness = quantile(&mut ratios, 0.5);
    let dsum = dir.iter().sum::<f32>();
    let direction = if dsum > 0.0 {
        dir.map(|d| d / dsum)
    } else {
        [1.0 / 3.0; 3]
    };
    let min_blocks = (tile * tile / 8).max(4) as u32;
    let values: Vec<f32> = tiles
        .iter()
        .map(|t| if t.2 >= min_blocks { t.0 / t.1 } else { 0.0 })
        .collect();
    let (best, &peak) = values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap_or((0, &0.0));
    let focus_point = [
        (((best % tw) * tile) as f32 + tile as f32 / 2.0) / g.w as f32,
        (((best / tw) * tile) as f32 + tile as f32 / 2.0) / g.h as f32,
    ];
    let map = values
        .iter()
        .map(|&v| {
            if peak > 0.0 {
                (v / peak * 255.0).round() as u8
            } else {
                0
            }
        })
        .collect();
    let detail = Detail {
        sharpness,
        peak,
        focus_point: focus_point.map(|v| v.clamp(0.0, 1.0)),
        direction,
        noise: s.noise,
        map,
        map_size: [tw as u16, th as u16],
    };
    (exposure, detail, spread)
}

/// The gamma levels are linearized with for the EV reading (and for comparing exposures level
/// by level in ranking).
pub(crate) const LEVEL_GAMMA: f64 = 2.2;

/// Exposure figures from the histogram of block means and the clipped-pixel estimates.
fn exposure_from(hist: &[u32; 256], n: f32, hi: f64, lo: f64) -> Exposure {
    let (mut sum, mut lin) = (0f64, 0f64);
    for (level, &count) in hist.iter().enumerate() {
        let c = f64::from(count);
        sum += c * (level as f64 + 0.5);
        lin += c * ((level as f64 + 0.5) / 255.0).powf(LEVEL_GAMMA);
    }
    let pct = |p: f32| -> f32 {
        let target = (p * n) as u32;
        let mut acc = 0u32;
        for (i, &c) in hist.iter().enumerate() {
            acc += c;
            if acc > target {
                return i as f32;
            }
        }
        255.0
    };
    let max_bin = hist
        .chunks(4)
        .map(|c| c.iter().sum::<u32>())
        .max()
        .unwrap_or(1)
        .max(1);
    let histogram = hist
        .chunks(4)
        .map(|c| (u64::from(c.iter().sum::<u32>()) * 1000 / u64::from(max_bin)) as u16)
        .collect();
    let mean_lin = (lin / f64::from(n)).max(1e-6);
    Exposure {
        mean: (sum / f64::from(n)) as f32,
        median: pct(0.5),
        p02: pct(0.02),
        p98: pct(0.98),
        ev: (mean_lin / 0.18).log2() as f32,
        highlights: (hi / f64::from(n)) as f32,
        shadows: (lo / f64::from(n)) as f32,
        histogram,
    }
}

/// Detail at 1/8 scale: Laplacian energy of the block-mean image relative to its contrast.
/// `spread` is the standard deviation of the block means.
fn coarse_sharpness(g: &Grid<'_>, spread: f32) -> f32 {
    if g.w < 3 || g.h < 3 {
        return 0.0;
    }
    let mut lap = 0f32;
    for y in 1..g.h - 1 {
        let (up, row, down) = (
            &g.dc[(y - 1) * g.w..y * g.w],
            &g.dc[y * g.w..(y + 1) * g.w],
            &g.dc[(y + 1) * g.w..(y + 2) * g.w],
        );
        // Row sums in f32 are exact enough; the total is kept in f32 per row, then added up.
        let mut acc = 0f32;
        for x in 1..g.w - 1 {
            let l = 4.0 * row[x] - row[x - 1] - row[x + 1] - up[x] - down[x];
            acc += l * l;
        }
        lap += acc;
    }
    let n = ((g.w - 2) * (g.h - 2)) as f32;
    (lap / n).sqrt() / (spread + 1.0)
}

fn misfire(e: &Exposure, d: &Detail, coarse: f32) -> Option<Misfire> {
    if e.mean < 12.0 && e.p98 < 40.0 {
        return Some(Misfire::Black);
    }
    if e.mean > 243.0 && e.p02 > 225.0 {
        return Some(Misfire::White);
    }
    if d.peak < 0.002 && coarse < 0.02 {
        return Some(Misfire::ExtremeBlur);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phi_table_follows_phi() {
        let table = PhiTable::new();
        for i in -1000..=1000 {
            let x = i as f32 * 0.01;
            assert!((table.phi(x) - phi(x)).abs() < 1e-4, "x = {x}");
        }
        assert!(table.phi(-100.0) < 1e-6 && table.phi(100.0) > 1.0 - 1e-6);
        assert!(table.phi(f32::NAN).is_finite());
    }

    #[test]
    fn phi_is_a_cdf() {
        assert!((phi(0.0) - 0.5).abs() < 1e-4);
        assert!((phi(1.96) - 0.975).abs() < 1e-3);
        assert!(phi(-5.0) < 1e-4 && phi(5.0) > 0.9999);
    }

    #[test]
    fn identical_descriptors_are_fully_similar() {
        let d: Vec<i8> = (0..288).map(|i| ((i * 37) % 200) as i8).collect();
        assert!((similarity(&d, &d) - 1.0).abs() < 1e-3);
        let flipped: Vec<i8> = d.iter().map(|v| v.saturating_neg()).collect();
        assert!(similarity(&d, &flipped) < 0.0);
    }
}
