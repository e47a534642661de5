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
    let luma = orient::apply(o, &resample::<DESCRIPTOR_SIDE>(dc, w, h), side, side);
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
                let small = orient::apply(o, &resample::<4>(plane, w, h), 4, 4);
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

/// Area-average resampling of a `w`×`h` grid onto `SIDE`×`SIDE`.
///
/// Each cell's sum is one chain of dependent additions (row by row, left to right). The cells
/// of a row of output are summed side by side, one value of each in turn, so that their chains
/// overlap instead of waiting on each other; every cell still adds its values in that order.
fn resample<const SIDE: usize>(src: &[f32], w: usize, h: usize) -> Vec<f32> {
    let span = |o: usize, n: usize| {
        let first = o * n / SIDE;
        (first, ((o + 1) * n / SIDE).max(first + 1).min(n))
    };
    let cols: [(usize, usize); SIDE] = std::array::from_fn(|ox| span(ox, w));
    // Values every cell of a row has: summed side by side; the rest cell by cell.
    let shared = cols.iter().map(|&(x0, x1)| x1 - x0).min().unwrap_or(0);
    let mut out = Vec::with_capacity(SIDE * SIDE);
    for oy in 0..SIDE {
        let (y0, y1) = span(oy, h);
        let mut sums = [0f32; SIDE];
        for y in y0..y1 {
            let row = &src[y * w..(y + 1) * w];
            let cells: [&[f32]; SIDE] = std::array::from_fn(|c| &row[cols[c].0..cols[c].1]);
            for i in 0..shared {
                for (s, cell) in sums.iter_mut().zip(&cells) {
                    *s += cell[i];
                }
            }
            for (s, cell) in sums.iter_mut().zip(&cells) {
                for &v in &cell[shared..] {
                    *s += v;
                }
            }
        }
        let rows = y1 - y0;
        for (&s, &(x0, x1)) in sums.iter().zip(&cols) {
            // The number of values as an f32 counter holds it (one by one it stops at 2^24).
            let c = (rows * (x1 - x0)).min(1 << 24) as f32;
            out.push(if c > 0.0 { s / c } else { 0.0 });
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Cell by cell, each value in turn: what `resample` must equal bit for bit.
    fn resample_one_by_one(src: &[f32], w: usize, h: usize, side: usize) -> Vec<f32> {
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

    #[test]
    fn resampling_side_by_side_adds_in_the_same_order() {
        let mut seed = 0x9E37_79B9_u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        for (w, h) in [
            (750, 500),
            (751, 499),
            (17, 3),
            (3, 17),
            (1, 1),
            (16, 16),
            (0, 5),
            (5, 0),
        ] {
            // Values of very different sizes, so that a change of order changes the rounding.
            let src: Vec<f32> = (0..w * h)
                .map(|_| {
                    (next() % 100_000) as f32 * 0.013 * if next() % 7 == 0 { 1e4 } else { 1.0 }
                })
                .collect();
            for (side, a) in [
                (4, resample::<4>(&src, w, h)),
                (16, resample::<16>(&src, w, h)),
            ] {
                let b = resample_one_by_one(&src, w, h, side);
                let same = a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits());
                assert!(same, "{w}x{h} onto {side}: {a:?} != {b:?}");
            }
        }
    }
}
