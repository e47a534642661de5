//! Something in front of the lens: a large smooth object (a hand, a shoulder, a lens cap)
//! where the rest of the group has structure.

use super::{Parts, Reason};
use crate::signals::{DESCRIPTOR_SIDE, Signals};

/// Obstructions: a descriptor cell (1/16 of the frame's side) is covered when it differs from
/// the group's median layout by at least `OBSTRUCTION_DIFF` levels and is flat in this frame
/// (no neighbour more than `OBSTRUCTION_FLAT` levels away) where the median has structure.
const OBSTRUCTION_DIFF: i32 = 20;
const OBSTRUCTION_FLAT: i32 = 8;
/// A frame whose covered cells are this share of the median's structured cells has something
/// in front of the lens. Measured on real bursts with a blurred hand pasted over 40–46 % of one
/// frame: 0.09–0.32; on every other frame of those bursts, of the damaged bursts (blur, noise,
/// exposure, compression) and of reframed near-duplicates at 24 MP: at most 0.036.
const OBSTRUCTION_SHARE: f32 = 0.06;
/// An obstructed frame sinks below any clear frame and is a reject candidate.
const OBSTRUCTION_PENALTY: f32 = 4.0;
/// In a frame that blew at least this share of its highlights, cells within
/// [`OBSTRUCTION_FLAT`] of its brightest cell are its blown areas, not something in front of
/// the lens: flat where the group has structure, they read as covered (4 of 34 copies 2.5 stops
/// brighter than their burst, 46–72 % blown, were "something in front of the lens").
const BLOWN_SHARE: f32 = 0.02;
/// Fewer frames give no "usual" layout to compare with.
const OBSTRUCTION_MIN_FRAMES: usize = 3;

/// The largest difference between a descriptor cell and its four neighbours.
fn cell_contrast(layout: &[i32], x: usize, y: usize) -> i32 {
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

/// The share of the group's structured layout that a large smooth object covers in a frame
/// (see [`OBSTRUCTION_SHARE`]); 0 when the descriptors are missing. Cells at or above
/// `blown` are blown highlights, not covered (see [`BLOWN_SHARE`]).
fn covered_share(layout: &[i32], median: &[i32], blown: Option<i32>) -> f32 {
    let side = DESCRIPTOR_SIDE;
    let blown = blown.unwrap_or(i32::MAX);
    let (mut structured, mut covered) = (0u32, 0u32);
    for y in 0..side {
        for x in 0..side {
            if cell_contrast(median, x, y) <= OBSTRUCTION_FLAT {
                continue;
            }
            structured += 1;
            let c = y * side + x;
            if (layout[c] - median[c]).abs() >= OBSTRUCTION_DIFF
                && cell_contrast(layout, x, y) <= OBSTRUCTION_FLAT
                && layout[c] < blown
            {
                covered += 1;
            }
        }
    }
    if structured == 0 {
        0.0
    } else {
        covered as f32 / structured as f32
    }
}

/// Flags frames with something in front of the lens against the group's median layout.
pub(super) fn judge_obstructions(signals: &[&Signals], parts: &mut [Parts]) {
    let cells = DESCRIPTOR_SIDE * DESCRIPTOR_SIDE;
    if signals.len() < OBSTRUCTION_MIN_FRAMES || signals.iter().any(|s| s.descriptor.len() < cells)
    {
        return;
    }
    let layouts: Vec<Vec<i32>> = signals
        .iter()
        .map(|s| {
            s.descriptor[..cells]
                .iter()
                .map(|&v| i32::from(v))
                .collect()
        })
        .collect();
    let median: Vec<i32> = (0..cells)
        .map(|c| {
            let mut v: Vec<i32> = layouts.iter().map(|l| l[c]).collect();
            v.sort_unstable();
            v[v.len() / 2]
        })
        .collect();
    for ((layout, s), p) in layouts.iter().zip(signals).zip(parts.iter_mut()) {
        let blown = layout
            .iter()
            .copied()
            .max()
            .filter(|_| s.clipped_highlights >= BLOWN_SHARE)
            .map(|top| top - OBSTRUCTION_FLAT);
        if p.misfire == 0.0 && covered_share(layout, &median, blown) >= OBSTRUCTION_SHARE {
            p.obstruction = OBSTRUCTION_PENALTY;
            p.reasons
                .push((OBSTRUCTION_PENALTY + 1.0, Reason::Obstructed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::test_support::signals;

    /// A checkerboard-like layout: structure everywhere.
    fn textured() -> Vec<i8> {
        (0..DESCRIPTOR_SIDE * DESCRIPTOR_SIDE)
            .map(|c| {
                if (c + c / DESCRIPTOR_SIDE).is_multiple_of(2) {
                    -40
                } else {
                    40
                }
            })
            .collect()
    }

    #[test]
    fn a_smooth_patch_over_the_groups_structure_is_an_obstruction() {
        let mut frames = vec![signals(0.4); 4];
        for f in &mut frames {
            f.descriptor = textured();
        }
        // A flat dark object over the left third of frame 2.
        for y in 0..DESCRIPTOR_SIDE {
            for x in 0..DESCRIPTOR_SIDE / 3 {
                frames[2].descriptor[y * DESCRIPTOR_SIDE + x] = -100;
            }
        }
        let sigs: Vec<&Signals> = frames.iter().collect();
        let mut parts = vec![Parts::default(); 4];
        judge_obstructions(&sigs, &mut parts);
        assert_eq!(parts[2].obstruction, OBSTRUCTION_PENALTY);
        assert!(matches!(parts[2].reasons[..], [(_, Reason::Obstructed)]));
        for i in [0, 1, 3] {
            assert_eq!(parts[i].obstruction, 0.0, "frame {i}");
        }
    }

    #[test]
    fn blown_highlights_are_no_obstruction_but_a_dark_object_beside_them_is() {
        let mut frames = vec![signals(0.4); 5];
        for f in &mut frames {
            f.descriptor = textured();
        }
        // Frame 1 blew its top third flat white (the frame's brightest level); frame 2 blew it
        // too and has a flat dark object over its bottom third.
        let side = DESCRIPTOR_SIDE;
        for i in [1, 2] {
            frames[i].clipped_highlights = 0.3;
            for c in 0..side * side / 3 {
                frames[i].descriptor[c] = 90;
            }
        }
        for c in side * side * 2 / 3..side * side {
            frames[2].descriptor[c] = -100;
        }
        let sigs: Vec<&Signals> = frames.iter().collect();
        let mut parts = vec![Parts::default(); 5];
        judge_obstructions(&sigs, &mut parts);
        assert_eq!(parts[1].obstruction, 0.0);
        assert_eq!(parts[2].obstruction, OBSTRUCTION_PENALTY);
        // Without the clipping the same flat white third is something in front of the lens.
        frames[1].clipped_highlights = 0.0;
        let sigs: Vec<&Signals> = frames.iter().collect();
        let mut parts = vec![Parts::default(); 5];
        judge_obstructions(&sigs, &mut parts);
        assert_eq!(parts[1].obstruction, OBSTRUCTION_PENALTY);
    }

    #[test]
    fn two_frames_give_no_usual_layout() {
        let mut frames = vec![signals(0.4); 2];
        frames[0].descriptor = textured();
        frames[1].descriptor = vec![-100; DESCRIPTOR_SIDE * DESCRIPTOR_SIDE];
        let sigs: Vec<&Signals> = frames.iter().collect();
        let mut parts = vec![Parts::default(); 2];
        judge_obstructions(&sigs, &mut parts);
        assert!(parts.iter().all(|p| p.obstruction == 0.0));
    }
}
