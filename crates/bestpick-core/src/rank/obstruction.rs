//! Something in front of the lens: a large smooth object (a hand, a shoulder, a lens cap)
//! where the rest of the group has structure.

use super::{Parts, Reason};
use crate::signals::{DESCRIPTOR_SIDE, FLAT_CELL, Signals, cell_contrast};

/// Obstructions: a descriptor cell (1/16 of the frame's side) is covered when it differs from
/// the group's median layout by at least `OBSTRUCTION_DIFF` levels and is flat in this frame
/// (no neighbour more than `OBSTRUCTION_FLAT` levels away) where the median has structure.
const OBSTRUCTION_DIFF: i32 = 20;
const OBSTRUCTION_FLAT: i32 = FLAT_CELL;
/// A frame whose covered cells are this share of the median's structured cells has something
/// in front of the lens. Measured on real bursts with a blurred hand pasted over 40–46 % of one
/// frame: 0.09–0.32; on every other frame of those bursts, of the damaged bursts (blur, noise,
/// exposure, compression) and of reframed near-duplicates at 24 MP: at most 0.036.
const OBSTRUCTION_SHARE: f32 = 0.06;
/// An obstructed frame sinks below any clear frame and is a reject candidate.
const OBSTRUCTION_PENALTY: f32 = 4.0;
/// In a frame that blew at least this share more of its highlights than the group's median
/// frame, cells within [`OBSTRUCTION_FLAT`] of its brightest cell are its blown areas, not
/// something in front of the lens: flat where the group has structure, they read as covered
/// (4 of 34 copies 2.5 stops brighter than their burst, 46–72 % blown, were "something in front
/// of the lens"). They are not told apart by where the group is bright: a 2.5-stop step blows
/// cells down to the group's 28th percentile of levels. A frame that blew no more than its
/// burst gets no such allowance (a flat, bright hand over a burst whose sky is blown anyway).
const BLOWN_SHARE: f32 = 0.02;
/// Fewer frames give no "usual" layout to compare with.
const OBSTRUCTION_MIN_FRAMES: usize = 3;

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
    let mut clipped: Vec<f32> = signals.iter().map(|s| s.clipped_highlights).collect();
    clipped.sort_unstable_by(f32::total_cmp);
    let usual_clipped = clipped[clipped.len() / 2];
    for ((layout, s), p) in layouts.iter().zip(signals).zip(parts.iter_mut()) {
        let blown = layout
            .iter()
            .copied()
            .max()
            .filter(|_| s.clipped_highlights >= usual_clipped + BLOWN_SHARE)
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
    fn highlights_blown_beyond_the_burst_are_no_obstruction_but_a_flat_bright_patch_is() {
        // The group: a bright, structured top third (a sky with clouds) over a darker,
        // structured rest; 5 % of every frame is blown (the sun on the clouds).
        let side = DESCRIPTOR_SIDE;
        let scene: Vec<i8> = (0..side * side)
            .map(|c| {
                let odd = (c + c / side) % 2 == 1;
                match (c < side * side / 3, odd) {
                    (true, true) => 80,
                    (true, false) => 50,
                    (false, true) => -20,
                    (false, false) => -60,
                }
            })
            .collect();
        let mut frames = vec![signals(0.4); 7];
        for f in &mut frames {
            f.descriptor = scene.clone();
            f.clipped_highlights = 0.05;
        }
        // Frame 1 is brighter: its sky blew flat white (40 % of the frame). Frame 2 blew no
        // more than the others and has a flat patch as bright over its bottom third (a
        // flash-lit hand); frame 3 has its sky flat white but blew no more either.
        for i in [1, 3] {
            for c in 0..side * side / 3 {
                frames[i].descriptor[c] = 100;
            }
        }
        frames[1].clipped_highlights = 0.4;
        for c in side * side * 2 / 3..side * side {
            frames[2].descriptor[c] = 100;
        }
        let sigs: Vec<&Signals> = frames.iter().collect();
        let mut parts = vec![Parts::default(); 7];
        judge_obstructions(&sigs, &mut parts);
        assert_eq!(
            parts[1].obstruction, 0.0,
            "a sky blown by a brighter exposure"
        );
        assert_eq!(parts[2].obstruction, OBSTRUCTION_PENALTY, "a bright patch");
        assert_eq!(
            parts[3].obstruction, OBSTRUCTION_PENALTY,
            "nothing more blown"
        );
        for i in [0, 4, 5, 6] {
            assert_eq!(parts[i].obstruction, 0.0, "frame {i}");
        }
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
