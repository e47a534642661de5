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

/// A layout cell whose four neighbours are all within this many levels of it is flat: no
/// structure at 1/16 of the frame's side, as over a hand or a shoulder out of focus in front of
/// the lens.
pub const FLAT_CELL: i32 = 8;

/// The largest difference between a layout cell (`DESCRIPTOR_SIDE` wide) and its four
/// neighbours.
pub fn cell_contrast(layout: &[i32], x: usize, y: usize) -> i32 {
    let side = DESCRIPTOR_SIDE;
    let v = layout[y * side + x];
    let mut most = 0;
    if x > 0 {
        most = most.max((layout[y * side + x - 1] - v).abs());
    }
    if x + 1 < side {
        most = most.max((layout[y * side + x + 1] - v).abs());
    }
    if y > 0 {
        most = most.max((layout[(y - 1) * side + x] - v).abs());
    }
    if y + 1 < side {
        most = most.max((layout[(y + 1) * side + x] - v).abs());
    }
    most
}

/// Fewer layout cells left beside a cover than this (a quarter of the frame) say nothing of
/// what the frame shows.
const UNCOVERED_MIN_CELLS: usize = 64;

/// How far frame `a` is `b` with something smooth in front of part of it: the share of `b`'s
/// structured layout cells that are flat in `a` (see [`FLAT_CELL`]), and the similarity of the
/// two on the rest, less a colour difference as in [`similarity`]; the cells beside the covered
/// ones (the cover's soft edge) and the colour of any 4×4 block it touches are left out too.
/// Unlike [`similarity`] the layouts are correlated about their means on the cells left: the
/// cover moved the frame's normalisation. `None` when nothing is covered, too little is left,
/// or the descriptors are missing.
pub fn similarity_beside_cover(a: &[i8], b: &[i8]) -> Option<(f32, f32)> {
    const SIDE: usize = DESCRIPTOR_SIDE;
    const N: usize = SIDE * SIDE;
    if a.len() < N + 32 || b.len() < N + 32 {
        return None;
    }
    // Fixed-size and allocation-free: grouping calls this for frames that stand alone beside a
    // burst, which on a large untimed shoot is a good share of them.
    let la: [i32; N] = std::array::from_fn(|c| i32::from(a[c]));
    let lb: [i32; N] = std::array::from_fn(|c| i32::from(b[c]));
    let mut covered = [false; N];
    let (mut structured, mut hit) = (0usize, 0usize);
    for y in 0..SIDE {
        for x in 0..SIDE {
            if cell_contrast(&lb, x, y) > FLAT_CELL {
                structured += 1;
                let flat = cell_contrast(&la, x, y) <= FLAT_CELL;
                covered[y * SIDE + x] = flat;
                hit += usize::from(flat);
            }
        }
    }
    if hit == 0 {
        return None;
    }
    // The covered cells grown by one, their four neighbours included.
    let near: [bool; N] = std::array::from_fn(|c| {
        let (x, y) = (c % SIDE, c / SIDE);
        covered[c]
            || (x > 0 && covered[c - 1])
            || (x + 1 < SIDE && covered[c + 1])
            || (y > 0 && covered[c - SIDE])
            || (y + 1 < SIDE && covered[c + SIDE])
    });
    let (mut n, mut sa, mut sb, mut sab, mut saa, mut sbb) = (0usize, 0i64, 0i64, 0i64, 0i64, 0i64);
    for c in (0..N).filter(|&c| !near[c]) {
        let (x, y) = (i64::from(la[c]), i64::from(lb[c]));
        n += 1;
        sa += x;
        sb += y;
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    if n < UNCOVERED_MIN_CELLS {
        return None;
    }
    // Centred sums, exact in integers: n·Σxy − Σx·Σy and the like.
    let count = n as i64;
    let (cab, caa, cbb) = (
        (count * sab - sa * sb) as f64,
        (count * saa - sa * sa) as f64,
        (count * sbb - sb * sb) as f64,
    );
    let corr = if caa > 0.0 && cbb > 0.0 {
        (cab / (caa.sqrt() * cbb.sqrt())) as f32
    } else {
        0.0
    };
    // Chroma blocks (4×4 on the layout's 16×16) the cover and its edge do not touch.
    let block = SIDE / 4;
    let (mut diff, mut clear) = (0f32, 0usize);
    for k in 0..16 {
        let (bx, by) = (k % 4 * block, k / 4 * block);
        if (by..by + block).any(|y| near[y * SIDE + bx..y * SIDE + bx + block].contains(&true)) {
            continue;
        }
        clear += 1;
        for i in [N + k, N + 16 + k] {
            diff += (f32::from(a[i]) - f32::from(b[i])).abs();
        }
    }
    let color = if clear == 0 {
        0.0
    } else {
        diff / (2 * clear) as f32
    };
    Some((
        hit as f32 / structured as f32,
        corr - (color / 100.0).min(0.5),
    ))
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

    /// A layout with structure everywhere (no cell within [`FLAT_CELL`] of all its neighbours).
    fn ridged(phase: u32) -> Vec<i8> {
        let mut d: Vec<i8> = (0..256u32)
            .map(|i| {
                let (x, y) = (i % 16, i / 16);
                (((x * 7 + y * 3 + phase) % 5) as i8 - 2) * 25
            })
            .collect();
        d.extend(std::iter::repeat_n(0i8, 32));
        d
    }

    #[test]
    fn a_frame_with_a_smooth_patch_over_part_of_it_is_its_neighbour_beside_the_patch() {
        let scene = ridged(0);
        let layout = |d: &[i8]| -> Vec<i32> { d[..256].iter().map(|&v| i32::from(v)).collect() };
        let l = layout(&scene);
        assert!((0..256).all(|c| cell_contrast(&l, c % 16, c / 16) > FLAT_CELL));
        // Nothing flat: nothing covered.
        assert_eq!(similarity_beside_cover(&scene, &scene), None);
        // A flat patch over the left 6 columns, rows 4 to 15: flat but for its edge on the
        // scene (column 5, row 4), 5 × 11 of the 256 structured cells.
        let mut hand = scene.clone();
        for y in 4..16 {
            for x in 0..6 {
                hand[y * 16 + x] = 90;
            }
        }
        assert!(similarity(&hand, &scene) < 0.8);
        let (share, alike) = similarity_beside_cover(&hand, &scene).expect("covered");
        assert!((share - 55.0 / 256.0).abs() < 1e-6, "{share}");
        // Alike beside it but for the patch's one corner cell that touches no flat cell.
        assert!(alike > 0.95, "{alike}");
        // The same patch over another scene: covered as much, unlike beside it.
        let (share, other) = similarity_beside_cover(&hand, &ridged(2)).expect("covered");
        assert!(share > 0.2 && other < 0.5, "{share} {other}");
        // A patch over nearly all of it leaves too little to tell.
        let mut most = scene.clone();
        most[..16 * 13].fill(90);
        assert_eq!(similarity_beside_cover(&most, &scene), None);
        // Its colour counts only where the patch is not.
        let mut tinted = hand.clone();
        tinted[256 + 12] = 120; // the bottom-left 4x4 block's blue, under the patch
        assert_eq!(
            similarity_beside_cover(&tinted, &scene),
            similarity_beside_cover(&hand, &scene)
        );
        tinted[256 + 3] = 40; // the top-right block's, clear of it
        let (_, tinted_alike) = similarity_beside_cover(&tinted, &scene).expect("covered");
        assert!(tinted_alike < alike - 0.01, "{tinted_alike}");
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
