//! How the frames of a set relate: the shift between two frames' layouts (a panorama's
//! overlapping frames) and a focus plane sweeping through a still scene (a focus stack).
//! Both read only the small per-frame grids in [`Signals`] (the 16×16 luma layout of the
//! descriptor, the focus map), so sets are found without decoding anything again.

use std::collections::HashMap;

use crate::signals::{DESCRIPTOR_SIDE, Signals, similarity};

/// A panorama step shifts the view by at least this many layout cells (a quarter of the
/// frame): less is a recomposed take of the same view.
const PANORAMA_MIN_SHIFT: i32 = 4;
/// A step of one frame alone (a two-frame panorama) must shift at least this many cells:
/// more than a recomposition, with about half the frame shared.
const PANORAMA_PAIR_MIN_SHIFT: i32 = 6;
/// Consecutive frames must share at least this many layout cells along the shift (a quarter
/// of the frame).
const PANORAMA_MIN_OVERLAP: i32 = 4;
/// Across the other axis, a panorama's frames drift at most this many cells (a hand-held
/// sweep is not perfectly level).
const PANORAMA_MAX_DRIFT: i32 = 2;
/// The shared part must correlate at least this well when it is half the frame or more...
const PANORAMA_MIN_CORRELATION: f32 = 0.8;
/// ...and better still when it is less: for each cell of overlap below half the frame, this
/// much more (a narrow strip of two smooth, unrelated frames can agree by chance).
const PANORAMA_NARROW_PENALTY: f32 = 0.0375;
/// ...with this many times less disagreement (one minus the correlation) than the frames laid
/// over each other unshifted or shifted less than [`PANORAMA_MIN_SHIFT`]. Smooth scenes (a
/// sunset, fog) correlate well at short shifts too, so the bar is a ratio, not a margin; a
/// scene as smooth as a clear sky has no shift to find.
const PANORAMA_RESIDUAL_RATIO: f32 = 2.5;
/// The coarse search (whole cells) may fall this far short of the correlation a shift needs
/// before the fine search (half cells) is tried.
const PANORAMA_COARSE_SLACK: f32 = 0.08;
/// The shared part's colours differ by at most this many levels of Cb and Cr on average.
const PANORAMA_MAX_COLOUR_DIFFERENCE: f32 = 6.0;
/// A two-frame panorama's one step shares at least this many cells and agrees at least this
/// well: with one step there is no second one to confirm the direction.
const PANORAMA_PAIR_MAX_SHIFT: i32 = 10;
const PANORAMA_PAIR_MIN_CORRELATION: f32 = 0.95;

/// Two layouts this alike are the same view repeated (two frames at one panorama position).
pub const SAME_VIEW_SIMILARITY: f32 = 0.9;

/// The shift from one frame's view to the next, in layout cells (1/16 of the frame's side):
/// positive x = the view moved right (the scene moved left in the frame).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shift {
    /// Cells along x.
    pub x: i32,
    /// Cells along y.
    pub y: i32,
    /// How well the shared part agrees (correlation of the layouts).
    pub correlation: f32,
}

impl Shift {
    /// The shift along the panorama's axis.
    fn along(self) -> i32 {
        if self.x.abs() >= self.y.abs() {
            self.x
        } else {
            self.y
        }
    }

    fn horizontal(self) -> bool {
        self.x.abs() >= self.y.abs()
    }
}

/// Pearson correlation of layout `a` with `b` shifted by (`dx2`, `dy2`) half cells over the
/// cells they share (`b` read between its cells by linear interpolation); `None` when they
/// share fewer than two rows or columns' worth.
pub fn shifted_correlation(a: &[i8], b: &[i8], dx2: i32, dy2: i32) -> Option<f32> {
    let side = DESCRIPTOR_SIDE as i32;
    // Cell x of `a` reads `b` between columns x + ox and x + ox + fx (fx = 1 for a half cell).
    let (fx, fy) = (dx2.rem_euclid(2), dy2.rem_euclid(2));
    let (ox, oy) = ((-dx2).div_euclid(2), (-dy2).div_euclid(2));
    let (x_lo, x_hi) = ((-ox).max(0), (side - ox - fx).min(side));
    let (y_lo, y_hi) = ((-oy).max(0), (side - oy - fy).min(side));
    if x_hi <= x_lo || y_hi <= y_lo || (x_hi - x_lo) * (y_hi - y_lo) < 2 * side {
        return None;
    }
    let at = |x: i32, y: i32| f32::from(b[(y * side + x) as usize]);
    let (mut n, mut sa, mut sb, mut saa, mut sbb, mut sab) = (0f32, 0f32, 0f32, 0f32, 0f32, 0f32);
    for y in y_lo..y_hi {
        let (y0, y1) = (y + oy, y + oy + fy);
        for x in x_lo..x_hi {
            let (x0, x1) = (x + ox, x + ox + fx);
            let va = f32::from(a[(y * side + x) as usize]);
            let vb = if fx == 0 && fy == 0 {
                at(x0, y0)
            } else {
                (at(x0, y0) + at(x1, y0) + at(x0, y1) + at(x1, y1)) / 4.0
            };
            n += 1.0;
            sa += va;
            sb += vb;
            saa += va * va;
            sbb += vb * vb;
            sab += va * vb;
        }
    }
    let cov = sab / n - (sa / n) * (sb / n);
    let (va, vb) = (saa / n - (sa / n).powi(2), sbb / n - (sb / n).powi(2));
    (va > 1.0 && vb > 1.0).then(|| cov / (va * vb).sqrt())
}

/// Mean colour difference (levels of Cb and Cr, on the descriptor's 4×4 colour grid) over the
/// part two frames share at `shift`; `None` without colour grids.
pub fn shared_colour_difference(a: &[i8], b: &[i8], shift: Shift) -> Option<f32> {
    let cells = DESCRIPTOR_SIDE * DESCRIPTOR_SIDE;
    let grid = 4i32;
    if a.len() < cells + 32 || b.len() < cells + 32 {
        return None;
    }
    let per = DESCRIPTOR_SIDE as f32 / grid as f32;
    let (dx, dy) = (
        (shift.x as f32 / per).round() as i32,
        (shift.y as f32 / per).round() as i32,
    );
    let (mut sum, mut n) = (0f32, 0f32);
    for plane in 0..2 {
        let base = cells + plane * 16;
        for y in 0..grid {
            for x in 0..grid {
                let (bx, by) = (x - dx, y - dy);
                if bx < 0 || by < 0 || bx >= grid || by >= grid {
                    continue;
                }
                let va = f32::from(a[base + (y * grid + x) as usize]);
                let vb = f32::from(b[base + (by * grid + bx) as usize]);
                sum += (va - vb).abs();
                n += 1.0;
            }
        }
    }
    (n > 0.0).then(|| sum / n)
}

/// Profiles that agree at least this well pick a shift for the full comparison.
const PANORAMA_PROFILE_CORRELATION: f32 = 0.6;
/// At most this many shifts per axis go on to the full comparison.
const PANORAMA_PROFILE_CANDIDATES: usize = 2;

/// Pearson correlation of two equally long series; 0 when either is flat.
fn correlation(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len()) as f32;
    if n < 2.0 {
        return 0.0;
    }
    let (ma, mb) = (a.iter().sum::<f32>() / n, b.iter().sum::<f32>() / n);
    let (mut ab, mut aa, mut bb) = (0f32, 0f32, 0f32);
    for (x, y) in a.iter().zip(b) {
        ab += (x - ma) * (y - mb);
        aa += (x - ma).powi(2);
        bb += (y - mb).powi(2);
    }
    if aa <= 1e-6 || bb <= 1e-6 {
        0.0
    } else {
        ab / (aa * bb).sqrt()
    }
}

/// The long whole-cell shifts `(horizontal, along)` at which the frames' column profiles
/// (for sideways shifts) or row profiles (up and down) agree best: a cheap first look, since
/// most pairs of frames are no panorama step.
fn profile_candidates(a: &[i8], b: &[i8]) -> Vec<(bool, i32)> {
    let side = DESCRIPTOR_SIDE;
    let profile = |d: &[i8], by_column: bool| -> Vec<f32> {
        (0..side)
            .map(|k| {
                (0..side)
                    .map(|j| {
                        let (x, y) = if by_column { (k, j) } else { (j, k) };
                        f32::from(d[y * side + x])
                    })
                    .sum::<f32>()
                    / side as f32
            })
            .collect()
    };
    let reach = DESCRIPTOR_SIDE as i32 - PANORAMA_MIN_OVERLAP;
    let mut out = Vec::new();
    for horizontal in [true, false] {
        let (pa, pb) = (profile(a, horizontal), profile(b, horizontal));
        let mut scored: Vec<(f32, i32)> = (-reach..=reach)
            .filter(|al| al.abs() >= PANORAMA_MIN_SHIFT)
            .map(|al| {
                // a[k] shows what b[k - al] shows.
                let lo = al.max(0) as usize;
                let hi = (side as i32 + al.min(0)) as usize;
                let xs = &pa[lo..hi];
                let ys = &pb[(lo as i32 - al) as usize..(hi as i32 - al) as usize];
                (correlation(xs, ys), al)
            })
            .filter(|&(c, _)| c >= PANORAMA_PROFILE_CORRELATION)
            .collect();
        scored.sort_by(|x, y| y.0.total_cmp(&x.0));
        out.extend(
            scored
                .into_iter()
                .take(PANORAMA_PROFILE_CANDIDATES)
                .map(|(_, al)| (horizontal, al)),
        );
    }
    out
}

/// The correlation a shift of `along2` half cells needs (see [`PANORAMA_NARROW_PENALTY`]).
fn needed(along2: i32) -> f32 {
    let overlap = DESCRIPTOR_SIDE as f32 - along2.abs() as f32 / 2.0;
    let half = DESCRIPTOR_SIDE as f32 / 2.0;
    PANORAMA_MIN_CORRELATION + PANORAMA_NARROW_PENALTY * (half - overlap).clamp(0.0, half)
}

/// The panorama step from the frame with descriptor `a` to the next, `b`: the shift (searched
/// in half cells) that makes their shared part agree (see the `PANORAMA_*` constants), or
/// `None` when they are not two overlapping views of one scene.
pub fn panorama_step(a: &[i8], b: &[i8]) -> Option<Shift> {
    let cells = DESCRIPTOR_SIDE * DESCRIPTOR_SIDE;
    if a.len() < cells || b.len() < cells {
        return None;
    }
    let (a_full, b_full) = (a, b);
    let (a, b) = (&a[..cells], &b[..cells]);
    let is_long = |along2: i32| along2.abs() >= 2 * PANORAMA_MIN_SHIFT - 1;
    let margin = |c: f32, s: [i32; 2]| c - needed(s[0].abs().max(s[1].abs()));
    // The best long shift (by its margin over what it needs) and the best short one (a
    // recomposed take of the same view) among `shifts` (in half cells, along then drift).
    // The best long shift (by its margin) and the best short one among `shifts` (x, y in half
    // cells).
    let search_oriented = |shifts: &mut dyn Iterator<Item = [i32; 2]>| {
        let mut best: Option<(f32, [i32; 2])> = None;
        let mut best_short = f32::MIN;
        for shift2 in shifts {
            let Some(c) = shifted_correlation(a, b, shift2[0], shift2[1]) else {
                continue;
            };
            if !is_long(shift2[0].abs().max(shift2[1].abs())) {
                best_short = best_short.max(c);
            } else if best.is_none_or(|(bc, bs)| margin(c, shift2) > margin(bc, bs)) {
                best = Some((c, shift2));
            }
        }
        (best, best_short)
    };
    // The same over (along, drift) pairs, in both orientations.
    let search = |shifts: &mut dyn Iterator<Item = [i32; 2]>| {
        let mut both = shifts.flat_map(|[al, dr]| [[al, dr], [dr, al]]);
        search_oriented(&mut both)
    };
    let drift = 2 * PANORAMA_MAX_DRIFT;
    // Coarse: whole cells, at the shifts where the frames' column (or row) profiles agree
    // best: a 2D shift that makes the layouts agree makes their profiles agree too.
    let candidates = profile_candidates(a, b);
    if candidates.is_empty() {
        return None;
    }
    let mut whole = candidates.iter().flat_map(|&(horizontal, along)| {
        (-drift..=drift).step_by(2).map(move |dr| {
            if horizontal {
                [2 * along, dr]
            } else {
                [dr, 2 * along]
            }
        })
    });
    let (coarse, _) = search_oriented(&mut whole);
    let (coarse_corr, coarse_shift) = coarse?;
    if margin(coarse_corr, coarse_shift) < -PANORAMA_COARSE_SLACK {
        return None;
    }
    // Fine: half cells around the coarse best, and every short shift.
    let [cx, cy] = coarse_shift;
    let horizontal = cx.abs() >= cy.abs();
    let (ca, cd) = if horizontal { (cx, cy) } else { (cy, cx) };
    let mut near = (ca - 1..=ca + 1).flat_map(|al| {
        (cd - 1..=cd + 1).map(move |dr| if horizontal { [al, dr] } else { [dr, al] })
    });
    let (fine, _) = search_oriented(&mut near);
    let best = fine
        .filter(|f| margin(f.0, f.1) >= margin(coarse_corr, coarse_shift))
        .or(coarse);
    let (corr, [x2, y2]) = best?;
    if corr < needed(x2.abs().max(y2.abs())) {
        return None;
    }
    let shift = Shift {
        x: (x2 as f32 / 2.0).round() as i32,
        y: (y2 as f32 / 2.0).round() as i32,
        correlation: corr,
    };
    // The shared part has the same colours too (exposure changes move them little).
    if shared_colour_difference(a_full, b_full, shift)
        .is_some_and(|d| d > PANORAMA_MAX_COLOUR_DIFFERENCE)
    {
        return None;
    }
    // Far better than at any short shift: a scene of horizontal bands (sky, land) correlates
    // fairly well at any sideways shift. Whole cells first, then half cells.
    let beats = |short: f32| 1.0 - short >= PANORAMA_RESIDUAL_RATIO * (1.0 - corr);
    let short_reach = 2 * PANORAMA_MIN_SHIFT - 2;
    for step in [2, 1] {
        let mut short = (-short_reach..=short_reach)
            .step_by(step)
            .flat_map(|al| (-drift..=drift).step_by(step).map(move |dr| [al, dr]));
        let (_, best_short) = search(&mut short);
        if !beats(best_short) {
            return None;
        }
    }
    Some(shift)
}

/// Panorama steps between frames already searched (by grouping), so that ranking does not
/// search them again: the [`panorama_step`] from frame `a` to frame `b`, by their indices in
/// the frames grouped. The search is most of grouping and ranking a large shoot.
#[derive(Debug, Default)]
pub struct KnownSteps(HashMap<(usize, usize), Option<Shift>>);

impl KnownSteps {
    /// Remembers the step from frame `a` to frame `b`.
    pub(crate) fn insert(&mut self, a: usize, b: usize, step: Option<Shift>) {
        self.0.insert((a, b), step);
    }

    /// The step from frame `a` (descriptor `da`) to frame `b` (`db`): as found before, else
    /// searched now.
    pub(crate) fn step(&self, (a, da): (usize, &[i8]), (b, db): (usize, &[i8])) -> Option<Shift> {
        match self.0.get(&(a, b)) {
            Some(known) => *known,
            None => panorama_step(da, db),
        }
    }
}

/// Whether the frames (descriptors in shooting order) are one panorama: each next frame either
/// repeats the view (a second frame at one position) or steps on in the same direction along
/// the same axis, with at least two steps, or one step of `PANORAMA_PAIR_MIN_SHIFT` to
/// `PANORAMA_PAIR_MAX_SHIFT` cells agreeing to `PANORAMA_PAIR_MIN_CORRELATION`.
pub fn is_panorama(descriptors: &[&[i8]]) -> bool {
    is_panorama_by(descriptors, |k| {
        panorama_step(descriptors[k], descriptors[k + 1])
    })
}

/// [`is_panorama`] with the steps from `step(k)`: the [`panorama_step`] from frame `k` to
/// frame `k + 1`, perhaps found earlier (see [`KnownSteps`]).
pub(crate) fn is_panorama_by(
    descriptors: &[&[i8]],
    mut step: impl FnMut(usize) -> Option<Shift>,
) -> bool {
    let mut steps: Vec<Shift> = Vec::new();
    for (k, pair) in descriptors.windows(2).enumerate() {
        if let Some(s) = step(k) {
            steps.push(s);
        } else if similarity(pair[0], pair[1]) < SAME_VIEW_SIMILARITY {
            return false;
        }
    }
    let Some(first) = steps.first().copied() else {
        return false;
    };
    let consistent = steps.iter().all(|s| {
        s.horizontal() == first.horizontal() && s.along().signum() == first.along().signum()
    });
    let pair = (PANORAMA_PAIR_MIN_SHIFT..=PANORAMA_PAIR_MAX_SHIFT).contains(&first.along().abs())
        && first.correlation >= PANORAMA_PAIR_MIN_CORRELATION;
    consistent && (steps.len() >= 2 || pair)
}

/// A focus stack has at least this many frames.
const STACK_MIN_FRAMES: usize = 3;
/// The scene holds still: consecutive layouts at least this alike.
const STACK_STILL_SIMILARITY: f32 = 0.9;
/// A frame's sharp zone: focus map cells at least this share of its sharpest cell.
const STACK_SHARP_SHARE: f32 = 0.6;
/// The sharp zone's centre travels at least this far (share of the frame's long side) from
/// the first frame to the last...
const STACK_MIN_TRAVEL: f32 = 0.25;
/// ...steadily: no frame steps back more than this along the way.
const STACK_MAX_STEP_BACK: f32 = 0.06;
/// The first and last frames' sharp zones share at most this share of their union.
const STACK_MAX_END_OVERLAP: f32 = 0.2;

/// A cell of the focus map has texture when its detail reaches this share of the sharpest cell
/// of the sequence somewhere in it.
const STACK_TEXTURED_SHARE: f32 = 0.1;
/// A cell's focus changes when its sharpest frame has at least this many times the detail of its
/// softest (one stop)...
const STACK_CELL_RANGE: f32 = 2.0;
/// ...and focus sweeps a scene when at least this share of its textured cells change: a sweep
/// blurs most of the scene in some frame (in the generated stacks, every textured cell does; in
/// still bursts with exposure steps, at most about 40 %). Without it, a still burst whose few sharpest cells
/// trade places (an exposure step clipping one, noise in another) would pass for a stack.
const STACK_CHANGED_CELLS: f32 = 0.6;
/// Fewer textured cells than this cannot show a sweep (a smooth scene, or one tiny detailed
/// spot that outshines the rest).
const STACK_MIN_TEXTURED_CELLS: usize = 8;

/// Whether the focus of most of the scene changes through the frames (see
/// [`STACK_CHANGED_CELLS`]).
fn focus_changes(frames: &[&Signals]) -> bool {
    let [w, h] = frames[0].focus_map_size.map(usize::from);
    let n = w * h;
    if n == 0 || frames.iter().any(|s| s.focus_map.len() < n) {
        return false;
    }
    let detail = |s: &Signals, c: usize| f32::from(s.focus_map[c]) / 255.0 * s.peak_sharpness;
    let top = frames
        .iter()
        .flat_map(|s| (0..n).map(move |c| detail(s, c)))
        .fold(0.0f32, f32::max);
    if top <= 0.0 {
        return false;
    }
    let floor = STACK_TEXTURED_SHARE * top;
    let (mut textured, mut changed) = (0usize, 0usize);
    for c in 0..n {
        let (lo, hi) = frames.iter().fold((f32::MAX, 0.0f32), |(lo, hi), s| {
            let d = detail(s, c);
            (lo.min(d), hi.max(d))
        });
        if hi < floor {
            continue;
        }
        textured += 1;
        if hi >= STACK_CELL_RANGE * lo.max(floor / STACK_CELL_RANGE) {
            changed += 1;
        }
    }
    textured >= STACK_MIN_TEXTURED_CELLS && changed as f32 >= STACK_CHANGED_CELLS * textured as f32
}

/// The centre (x, y in 0..=1 of the frame) and cells of a frame's sharp zone.
fn sharp_zone(s: &Signals) -> Option<([f32; 2], Vec<bool>)> {
    let [w, h] = s.focus_map_size.map(usize::from);
    if w == 0 || h == 0 || s.focus_map.len() < w * h {
        return None;
    }
    let top = f32::from(*s.focus_map.iter().max()?);
    if top <= 0.0 {
        return None;
    }
    let zone: Vec<bool> = s.focus_map[..w * h]
        .iter()
        .map(|&v| f32::from(v) >= STACK_SHARP_SHARE * top)
        .collect();
    let (mut sx, mut sy, mut n) = (0f32, 0f32, 0f32);
    for (i, _) in zone.iter().enumerate().filter(|(_, z)| **z) {
        sx += (i % w) as f32 + 0.5;
        sy += (i / w) as f32 + 0.5;
        n += 1.0;
    }
    Some(([sx / n / w as f32, sy / n / h as f32], zone))
}

/// Whether the frames (in shooting order) are a focus stack: a still scene (the same framing,
/// consecutive layouts alike) whose plane of focus sweeps through it: the sharp zone moves
/// steadily in one direction, and the first and last frames are sharp in different places.
pub fn is_focus_stack(frames: &[&Signals]) -> bool {
    if frames.len() < STACK_MIN_FRAMES
        || frames
            .windows(2)
            .any(|p| similarity(&p[0].descriptor, &p[1].descriptor) < STACK_STILL_SIMILARITY)
        || frames
            .windows(2)
            .any(|p| p[0].focus_map_size != p[1].focus_map_size)
        || !focus_changes(frames)
    {
        return false;
    }
    let Some(zones) = frames
        .iter()
        .map(|s| sharp_zone(s))
        .collect::<Option<Vec<_>>>()
    else {
        return false;
    };
    let (first, last) = (&zones[0], &zones[zones.len() - 1]);
    let [w, h] = frames[0].focus_map_size.map(f32::from);
    let long = w.max(h);
    // Positions in units of the long side, so the travel reads alike in both orientations.
    let at = |c: [f32; 2]| [c[0] * w / long, c[1] * h / long];
    let (p0, p1) = (at(first.0), at(last.0));
    let axis = [p1[0] - p0[0], p1[1] - p0[1]];
    let travel = axis[0].hypot(axis[1]);
    if travel < STACK_MIN_TRAVEL {
        return false;
    }
    let along = |c: [f32; 2]| {
        let p = at(c);
        ((p[0] - p0[0]) * axis[0] + (p[1] - p0[1]) * axis[1]) / travel
    };
    let steady = zones
        .windows(2)
        .all(|z| along(z[1].0) >= along(z[0].0) - STACK_MAX_STEP_BACK);
    let both = first
        .1
        .iter()
        .zip(&last.1)
        .filter(|(a, b)| **a && **b)
        .count();
    let either = first
        .1
        .iter()
        .zip(&last.1)
        .filter(|(a, b)| **a || **b)
        .count();
    steady && (both as f32) <= STACK_MAX_END_OVERLAP * either.max(1) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A smooth, non-repeating 24×16 scene; a frame is a 16×16 window of it at column `x0`.
    fn window(x0: usize) -> Vec<i8> {
        // A textured scene: each cell a pseudo-random level (a hash of its place).
        let scene = |x: usize, y: usize| {
            let h = (x as u32).wrapping_mul(2_654_435_761) ^ (y as u32).wrapping_mul(40_503);
            ((h.wrapping_mul(2_246_822_519) >> 24) as i32 - 128).clamp(-100, 100) as i8
        };
        let mut d: Vec<i8> = (0..DESCRIPTOR_SIDE * DESCRIPTOR_SIDE)
            .map(|i| scene(x0 + i % DESCRIPTOR_SIDE, i / DESCRIPTOR_SIDE))
            .collect();
        d.extend(std::iter::repeat_n(0i8, 32));
        d
    }

    #[test]
    fn the_shift_between_overlapping_windows_is_found() {
        let (a, b) = (window(0), window(6));
        let xy = |s: Option<Shift>| s.map(|s| (s.x, s.y));
        assert_eq!(xy(panorama_step(&a, &b)), Some((6, 0)));
        assert_eq!(xy(panorama_step(&b, &a)), Some((-6, 0)));
        assert_eq!(panorama_step(&a, &a), None, "the same view is no step");
        assert_eq!(
            panorama_step(&a, &window(2)),
            None,
            "a small shift is a recomposition"
        );
    }

    #[test]
    fn a_sweep_in_one_direction_is_a_panorama() {
        let frames = [window(0), window(4), window(4), window(8)];
        let descs: Vec<&[i8]> = frames.iter().map(Vec::as_slice).collect();
        assert!(is_panorama(&descs));
        let back = [window(0), window(4), window(0)];
        let descs: Vec<&[i8]> = back.iter().map(Vec::as_slice).collect();
        assert!(!is_panorama(&descs), "back and forth is not a sweep");
        let one = [window(0), window(4)];
        let descs: Vec<&[i8]> = one.iter().map(Vec::as_slice).collect();
        assert!(!is_panorama(&descs), "one short step is not enough");
    }
}
