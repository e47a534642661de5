//! Face sharpness that compares across the frames of a burst and does not reward noise.
//!
//! Measured on the face patch, which is rendered at a fixed resolution relative to the face
//! (so the same face is measured on the same scale in every frame), in grey, on its edges:
//!
//! 1. smooth the region at two scales (Gaussian σ₁ = 1 and σ₂ = 2.5 patch pixels) and take
//!    the gradient magnitude of each;
//! 2. measure each band's noise floor in the band itself: the median gradient energy (edges
//!    cover far less than half of a face, and the median holds whatever resampling did to the
//!    noise's spectrum);
//! 3. keep the edge centres: local maxima of the coarse gradient across the edge, clearly above
//!    that floor and among the region's stronger edges;
//! 4. at each edge centre, the ratio of fine to coarse gradient tells the edge's width: a step
//!    edge blurred by σ_b gives √(σ_b² + σ₂²) / √(σ_b² + σ₁²), 2.5 when crisp and falling
//!    towards 1 as σ_b grows, whatever the edge's contrast;
//! 5. the score is the contrast-weighted mean of that ratio over the face box, edges around
//!    the eyes counting three times, mapped to 0 (very blurred) … 1 (crisp at the patch's
//!    scale).
//!
//! Edges next to clipped (blown or crushed) pixels are skipped: clipping turns smooth shading
//! into false crisp edges.
//!
//! Noise barely moves it: the edges used are far above the noise, and each band's noise floor
//! is taken out in quadrature before the ratio. Exposure and contrast cancel in the ratio.

use image::RgbImage;

/// A grey f32 image.
pub(crate) struct Gray {
    pub w: usize,
    pub h: usize,
    pub px: Vec<f32>,
}

impl Gray {
    pub fn from_rgb(img: &RgbImage) -> Gray {
        let px = img
            .as_raw()
            .chunks_exact(3)
            .map(|p| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32)
            .collect();
        Gray {
            w: img.width() as usize,
            h: img.height() as usize,
            px,
        }
    }
}

/// Axis-aligned region in patch pixels: x0, y0, x1, y1 (exclusive), clamped by the caller.
pub(crate) type Region = [usize; 4];

/// Clamps a float square (centre, half side) to `g` less a small margin; `None` when too
/// small to measure.
pub(crate) fn region(g: &Gray, center: [f32; 2], half: f32) -> Option<Region> {
    let m = 2.0;
    let x0 = (center[0] - half).max(m) as usize;
    let y0 = (center[1] - half).max(m) as usize;
    let x1 = ((center[0] + half).min(g.w as f32 - m)).max(0.0) as usize;
    let y1 = ((center[1] + half).min(g.h as f32 - m)).max(0.0) as usize;
    (x1 >= x0 + 8 && y1 >= y0 + 8).then_some([x0, y0, x1, y1])
}

/// Smoothing scales (patch pixels) of the fine and coarse gradients.
const SIGMA_FINE: f32 = 1.0;
const SIGMA_COARSE: f32 = 2.5;
/// The noise floors are taken out this many times over: a noisy frame must not gain from
/// noise that survives a plain correction (on clean faces the floor is tiny next to the
/// edges used, so this costs them almost nothing).
const NOISE_MARGIN: f32 = 2.0;
/// Grey values outside this range count as clipped.
const CLIP_LOW: f32 = 3.0;
const CLIP_HIGH: f32 = 251.0;
/// Extra weight of edges in the eye regions: focus on the eyes is what photographers check.
const EYE_EXTRA_WEIGHT: f32 = 2.0;
/// Which block-energy quantile counts as flat.
const FLAT_QUANTILE: f32 = 0.1;
/// Edge centres must have a coarse gradient at least this many noise standard deviations
/// (of the coarse gradient) strong.
const EDGE_NOISE_FACTOR: f32 = 5.0;
/// ...and at least this fraction of the region's strongest edges (98th percentile), so
/// that faint texture does not dilute the measure.
const EDGE_RELATIVE: f32 = 0.15;

/// Sharpness of region `r` of `g` (see the module docs), 0..1; edges inside any of `eyes`
/// (regions in the same coordinates) count `1 + EYE_EXTRA_WEIGHT` times.
pub(crate) fn sharpness(g: &Gray, r: Region, eyes: &[Region]) -> f32 {
    let fine = GaussDeriv::new(SIGMA_FINE);
    let coarse = GaussDeriv::new(SIGMA_COARSE);
    let (w, h) = (r[2] - r[0], r[3] - r[1]);
    let (fx, fy) = fine.gradients(g, r);
    let (cx, cy) = coarse.gradients(g, r);
    let energy = |gx: &[f32], gy: &[f32]| -> Vec<f32> {
        gx.iter().zip(gy).map(|(x, y)| x * x + y * y).collect()
    };
    let e_fine = energy(&fx, &fy);
    let e_coarse = energy(&cx, &cy);
    // Noise floor of each band, measured in the band itself (so it holds whatever the
    // resampling did to the noise): the mean energy of the flattest 8×8 blocks (cheeks,
    // forehead), where there is nothing but noise and a little shading.
    let noise_fine = NOISE_MARGIN * flat_floor(&e_fine, w, h);
    let noise_coarse = NOISE_MARGIN * flat_floor(&e_coarse, w, h);
    let mag_c: Vec<f32> = e_coarse.iter().map(|e| e.sqrt()).collect();
    let p98 = quantile(&mag_c, 0.98);
    let floor = (EDGE_NOISE_FACTOR * noise_coarse.sqrt())
        .max(EDGE_RELATIVE * p98)
        .max(0.5);
    let (mut num, mut den) = (0.0f64, 0.0f64);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let i = y * w + x;
            let m = mag_c[i];
            if m < floor {
                continue;
            }
            // Non-maximum suppression across the edge (gradient direction, 4 sectors).
            let (gx, gy) = (cx[i], cy[i]);
            let (dx, dy): (isize, isize) = {
                let (ax, ay) = (gx.abs(), gy.abs());
                if ay < 0.414 * ax {
                    (1, 0)
                } else if ax < 0.414 * ay {
                    (0, 1)
                } else if (gx > 0.0) == (gy > 0.0) {
                    (1, 1)
                } else {
                    (1, -1)
                }
            };
            let j1 = (i as isize + dy * w as isize + dx) as usize;
            let j2 = (i as isize - dy * w as isize - dx) as usize;
            if m < mag_c[j1] || m <= mag_c[j2] {
                continue;
            }
            let (px, py) = (r[0] + x, r[1] + y);
            if clipped(g, px, py) {
                continue;
            }
            let f2 = (e_fine[i] - noise_fine).max(0.0);
            let c2 = (m * m - noise_coarse).max(1e-6);
            let ratio = (f2 / c2).sqrt();
            let in_eye = eyes
                .iter()
                .any(|e| px >= e[0] && px < e[2] && py >= e[1] && py < e[3]);
            let weight = if in_eye {
                m * (1.0 + EYE_EXTRA_WEIGHT)
            } else {
                m
            };
            num += (ratio * weight) as f64;
            den += weight as f64;
        }
    }
    if den <= 0.0 {
        return 0.0;
    }
    let ratio = (num / den) as f32;
    let crisp = SIGMA_COARSE / SIGMA_FINE;
    ((ratio - 1.0) / (crisp - 1.0)).clamp(0.0, 1.0)
}

/// Whether the 5×5 neighbourhood of (x, y) touches a clipped (blown or crushed) value: clipping
/// cuts smooth gradients into false crisp edges, so an overexposed frame would look sharper.
fn clipped(g: &Gray, x: usize, y: usize) -> bool {
    let (x0, x1) = (x.saturating_sub(2), (x + 3).min(g.w));
    let (y0, y1) = (y.saturating_sub(2), (y + 3).min(g.h));
    (y0..y1).any(|yy| {
        g.px[yy * g.w + x0..yy * g.w + x1]
            .iter()
            .any(|&v| !(CLIP_LOW..=CLIP_HIGH).contains(&v))
    })
}

/// Mean energy of the flattest blocks: the 10th percentile of the 8×8 block means.
fn flat_floor(energy: &[f32], w: usize, h: usize) -> f32 {
    let b = 8;
    let mut means = Vec::with_capacity((w / b) * (h / b));
    for by in 0..h / b {
        for bx in 0..w / b {
            let mut s = 0.0;
            for y in by * b..(by + 1) * b {
                s += energy[y * w + bx * b..y * w + (bx + 1) * b]
                    .iter()
                    .sum::<f32>();
            }
            means.push(s / (b * b) as f32);
        }
    }
    quantile(&means, FLAT_QUANTILE)
}

/// The `q` quantile of `values` (0 when empty).
fn quantile(values: &[f32], q: f32) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    let idx = ((v.len() as f32 * q) as usize).min(v.len() - 1);
    *v.select_nth_unstable_by(idx, f32::total_cmp).1
}

/// Sampled Gaussian smoothing followed by central differences.
struct GaussDeriv {
    kernel: Vec<f32>,
    radius: usize,
}

impl GaussDeriv {
    fn new(sigma: f32) -> GaussDeriv {
        let radius = (3.0 * sigma).ceil() as usize;
        let mut kernel: Vec<f32> = (0..=2 * radius)
            .map(|i| {
                let d = i as f32 - radius as f32;
                (-d * d / (2.0 * sigma * sigma)).exp()
            })
            .collect();
        let total: f32 = kernel.iter().sum();
        kernel.iter_mut().for_each(|k| *k /= total);
        GaussDeriv { kernel, radius }
    }

    /// x and y gradients of the smoothed image over region `r` (row-major, region size),
    /// reading outside the region (clamped to the image) as needed.
    fn gradients(&self, g: &Gray, r: Region) -> (Vec<f32>, Vec<f32>) {
        let (w, h) = (r[2] - r[0], r[3] - r[1]);
        let rad = self.radius;
        // Smoothed buffer: the region plus 1 pixel for the central differences; its input:
        // plus the kernel radius, read once with clamping so the filter loops need none.
        let (sw, sh) = (w + 2, h + 2);
        let margin = 1 + rad;
        let (pw, ph) = (w + 2 * margin, h + 2 * margin);
        let mut padded = vec![0.0f32; pw * ph];
        for (y, row) in padded.chunks_exact_mut(pw).enumerate() {
            let gy = (r[1] as isize + y as isize - margin as isize).clamp(0, g.h as isize - 1);
            let src = &g.px[gy as usize * g.w..(gy as usize + 1) * g.w];
            for (x, v) in row.iter_mut().enumerate() {
                let gx = (r[0] as isize + x as isize - margin as isize).clamp(0, g.w as isize - 1);
                *v = src[gx as usize];
            }
        }
        let k = &self.kernel;
        // Horizontal pass: sw columns, all ph rows.
        let mut tmp = vec![0.0f32; sw * ph];
        for y in 0..ph {
            let src = &padded[y * pw..(y + 1) * pw];
            for x in 0..sw {
                tmp[y * sw + x] = k.iter().zip(&src[x..x + k.len()]).map(|(a, b)| a * b).sum();
            }
        }
        // Vertical pass: sw × sh.
        let mut smooth = vec![0.0f32; sw * sh];
        for (t, kv) in k.iter().enumerate() {
            for y in 0..sh {
                let src = &tmp[(y + t) * sw..(y + t + 1) * sw];
                let dst = &mut smooth[y * sw..(y + 1) * sw];
                for (d, s) in dst.iter_mut().zip(src) {
                    *d += kv * s;
                }
            }
        }
        let mut gx = vec![0.0f32; w * h];
        let mut gy = vec![0.0f32; w * h];
        for y in 0..h {
            for x in 0..w {
                let (sx, sy) = (x + 1, y + 1);
                gx[y * w + x] = (smooth[sy * sw + sx + 1] - smooth[sy * sw + sx - 1]) / 2.0;
                gy[y * w + x] = (smooth[(sy + 1) * sw + sx] - smooth[(sy - 1) * sw + sx]) / 2.0;
            }
        }
        (gx, gy)
    }
}
