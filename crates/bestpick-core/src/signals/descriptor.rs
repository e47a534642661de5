//! The small visual descriptor grouping compares photos by: the luma layout on a 16×16 grid
//! and the mean chroma on a 4×4 grid, upright; and the similarity of two descriptors.

use super::DESCRIPTOR_SIDE;
use crate::decode::orient;

/// Luma layout on a 16×16 grid (zero mean, unit variance, so exposure changes do not matter),
/// then mean chroma on a 4×4 grid; upright.
pub(super) fn descriptor(
    dc: &[f32],
    (w, h): (usize, usize),
    chroma: Option<(&[f32], &[f32])>,
    o: u16,
) -> Vec<i8> {
    let side = DESCRIPTOR_SIDE;
    let luma = orient::apply(o, &resample(dc, w, h, side), side, side);
    let mean = luma.iter().sum::<f32>() / luma.len() as f32;
    let var = luma.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / luma.len() as f32;
    let sd = var.sqrt().max(1.0);
    let mut out: Vec<i8> = luma
        .iter()
        .map(|v| ((v - mean) / sd * 32.0).round().clamp(-127.0, 127.0) as i8)
        .collect();
    match chroma {
        Some((cb, cr)) => {
            for plane in [cb, cr] {
                let small = orient::apply(o, &resample(plane, w, h, 4), 4, 4);
                out.extend(
                    small
                        .iter()
                        .map(|v| (v - 128.0).round().clamp(-127.0, 127.0) as i8),
                );
            }
        }
        None => out.extend(std::iter::repeat_n(0i8, 32)),
    }
    out
}

/// Area-average resampling of a `w`×`h` grid onto `side`×`side`.
fn resample(src: &[f32], w: usize, h: usize, side: usize) -> Vec<f32> {
    let mut out = vec![0f32; side * side];
    for oy in 0..side {
        let (y0, y1) = (
            oy * h / side,
            ((oy + 1) * h / side).max(oy * h / side + 1).min(h),
        );
        for ox in 0..side {
            let (x0, x1) = (
                ox * w / side,
                ((ox + 1) * w / side).max(ox * w / side + 1).min(w),
            );
            let (mut s, mut c) = (0f32, 0f32);
            for y in y0..y1 {
                for x in x0..x1 {
                    s += src[y * w + x];
                    c += 1.0;
                }
            }
            out[oy * side + ox] = if c > 0.0 { s / c } else { 0.0 };
        }
    }
    out
}

/// Similarity of two descriptors in -1..=1: correlation of the luma layouts, lowered by a
/// colour difference.
pub fn similarity(a: &[i8], b: &[i8]) -> f32 {
    let n = DESCRIPTOR_SIDE * DESCRIPTOR_SIDE;
    if a.len() < n || b.len() < n {
        return 0.0;
    }
    let (mut ab, mut aa, mut bb) = (0f32, 0f32, 0f32);
    for (&x, &y) in a[..n].iter().zip(&b[..n]) {
        let (x, y) = (f32::from(x), f32::from(y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    let corr = if aa > 0.0 && bb > 0.0 {
        ab / (aa.sqrt() * bb.sqrt())
    } else {
        0.0
    };
    let color: f32 = a[n..]
        .iter()
        .zip(&b[n..])
        .map(|(&x, &y)| (f32::from(x) - f32::from(y)).abs())
        .sum::<f32>()
        / (a.len() - n).max(1) as f32;
    // A mean chroma difference of 20 levels (a clear colour change) costs 0.2.
    corr - (color / 100.0).min(0.5)
}
