//! Grouping bursts and near-duplicates: frames taken close together in time that look alike
//! go together. One knob, strict ↔ loose, sets how alike and how close. Deterministic: the same
//! input always gives the same groups.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::overlap::{KnownSteps, SAME_VIEW_SIMILARITY, Shift, is_panorama_by, panorama_step};
use crate::signals::{similarity, similarity_beside_cover};

/// How eager grouping is: 0 = loose (group more), 100 = strict (group only near-identical
/// frames shot in quick succession). 50 is the default. Made only by [`Strictness::new`]
/// (also when read from a file), the one place a level is held to 0..=100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "u8", into = "u8")]
pub struct Strictness(u8);

impl Default for Strictness {
    fn default() -> Self {
        Strictness::NORMAL
    }
}

impl From<u8> for Strictness {
    fn from(level: u8) -> Self {
        Strictness::new(level)
    }
}

impl From<Strictness> for u8 {
    fn from(s: Strictness) -> u8 {
        s.0
    }
}

impl Strictness {
    /// The strictest level.
    pub const MAX: u8 = 100;
    /// The named presets.
    pub const STRICT: Strictness = Strictness::new(80);
    /// The default.
    pub const NORMAL: Strictness = Strictness::new(50);
    /// Groups more.
    pub const LOOSE: Strictness = Strictness::new(20);

    /// Level `level`, held to 0..=[`Strictness::MAX`].
    pub const fn new(level: u8) -> Strictness {
        Strictness(if level > Strictness::MAX {
            Strictness::MAX
        } else {
            level
        })
    }

    /// The level, 0..=100.
    pub const fn get(self) -> u8 {
        self.0
    }

    fn level(self) -> f32 {
        f32::from(self.0) / 100.0
    }

    /// Minimum similarity of consecutive frames of one burst.
    pub fn burst_similarity(self) -> f32 {
        0.50 + 0.45 * self.level()
    }

    /// Minimum similarity of two frames that are near-duplicates of each other: a little above
    /// [`Self::burst_similarity`], at most 0.99.
    fn near_duplicate_similarity(self) -> f32 {
        (self.burst_similarity() + 0.08).min(0.99)
    }

    /// Longest gap between two frames of one continuous sequence, in milliseconds: 0.4 s at
    /// the strict end (bursts of 3 frames a second or faster), 0.675 s by default, 1.5 s at the
    /// loose end.
    pub fn sequence_gap_ms(self) -> i64 {
        let loose = 1.0 - self.level();
        (400.0 + 1100.0 * loose * loose) as i64
    }

    /// Inside a continuous sequence, frames less alike than this across a point (see
    /// [`group`]) are a change of scene, not a moving subject: about 0.25 by default; at the
    /// loosest end a sequence is never cut.
    pub fn scene_cut_similarity(self) -> f32 {
        -0.2 + 0.9 * self.level()
    }

    /// Largest time gap between consecutive frames of one burst, in milliseconds.
    pub fn burst_gap_ms(self) -> i64 {
        let loose = 1.0 - self.level();
        (1000.0 + 29_000.0 * loose * loose) as i64
    }
}

/// One photo as grouping sees it.
#[derive(Debug, Clone, Copy)]
pub struct GroupItem<'a> {
    /// Capture time in milliseconds, when known.
    pub time_ms: Option<i64>,
    /// Tie-breaker and order for photos without a time (the relative path).
    pub name: &'a str,
    /// Visual descriptor (see [`crate::signals::Signals::descriptor`]).
    pub descriptor: &'a [i8],
    /// The camera (make and model) when the file names it: frames of two cameras are never
    /// one continuous sequence.
    pub camera: Option<&'a str>,
}

/// A group of photos, indices into the input, in shooting order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Group number, 1-based, in shooting order.
    pub id: usize,
    /// Member indices into the grouped items.
    pub members: Vec<usize>,
}

/// How many earlier frames a frame is compared with to find near-duplicates that are not
/// adjacent (someone stepped into the frame between two takes).
const LOOKBACK: usize = 6;

/// A pause in a sequence: a gap this many times the frame interval around it ends the
/// sequence (a burst at 15 frames a second and another 2.4 s later are two sequences).
const PAUSE_RATIO: i64 = 3;

/// Below this strictness level two bursts (sequences of two or more frames) that look alike
/// may merge across a pause; above it a pause always separates them.
const MERGE_BURSTS_BELOW_LEVEL: f32 = 0.35;

/// Without capture times a frame joins the previous frame's group only if it also looks like
/// that group's first frame (a slow pan of single shots must not chain a whole shoot), unless
/// it is nearer to identical with the previous frame than a near-duplicate by this share of
/// the way to 1 (0.90 by default): the frames of a burst whose times were stripped, the camera
/// drifting or panning through it. Measured on real bursts (7.5–15 frames a second, times
/// stripped): neighbouring frames 0.88–1.00 alike, a panning burst's last frame 0.41 alike
/// its first; neighbours from different bursts −0.4–0.2, or 0.995 when they are the same
/// scene 2.4 s apart (without times nothing tells those apart).
const UNTIMED_CHAIN_SHARE: f32 = 0.5;

/// An untimed frame beside an untimed burst whose neighbour's structure is this share flat in
/// it has something smooth in front of part of it: the share above which ranking calls a frame
/// obstructed (`rank::obstruction`), here without its test of how far the cells changed.
/// Measured on real bursts with a blurred hand over 40 % of the first or last frame: 0.25–0.38
/// of the neighbour's structured cells, the rest 0.82–0.99 alike (see [`COVER_MIN_ALIKE`]).
const COVER_MIN_SHARE: f32 = 0.06;

/// Beside the cover, such a frame is at least this alike its neighbour, however loose the
/// grouping (a near-duplicate's similarity at the default strictness, higher when stricter).
/// Between 99 unrelated photos (both ways): at the default, one pair in 9 702 that does not
/// already look alike is this covered and this alike on the rest; without this floor, 10 at the
/// loose end (against 44 pairs alike anyway there), 0 with it.
const COVER_MIN_ALIKE: f32 = 0.8;

/// How many frames on each side of a possible scene cut inside a sequence are compared: one or
/// two damaged frames (black frames, a hand over the lens) are bridged by their neighbours.
const CUT_SPAN: usize = 3;

/// Groups `items`. Frames are put in shooting order (time, then name; frames without a time
/// follow in name order). Frames of one continuous sequence (the same camera, each gap no
/// longer than [`Strictness::sequence_gap_ms`] and not a pause against the frame interval
/// around it) are one group whatever moves in them, unless the scene itself changes
/// ([`Strictness::scene_cut_similarity`]). A sequence or a single frame joins the group of an
/// earlier frame when it is close in time and looks alike (checked against that group's first
/// frame too so a slow pan does not chain a whole shoot together); two bursts separated by a
/// pause stay apart however alike they look, except at the loose end of the scale. Frames
/// without a time that sit alone between two near-identical frames of one group (a damaged
/// frame of a burst whose times were stripped) join it, as do those beside such a burst that
/// are its frame with something smooth over part of it (a hand over the first or last frame).
pub fn group(items: &[GroupItem<'_>], strictness: Strictness) -> Vec<Group> {
    group_with_steps(items, strictness).0
}

/// [`group`], with the panorama steps it searched between neighbouring frames (indices into
/// `items`), for ranking to reuse.
pub fn group_with_steps(
    items: &[GroupItem<'_>],
    strictness: Strictness,
) -> (Vec<Group>, KnownSteps) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| {
        let (ta, tb) = (items[a].time_ms, items[b].time_ms);
        match (ta, tb) {
            (Some(x), Some(y)) => x.cmp(&y).then_with(|| items[a].name.cmp(items[b].name)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => items[a].name.cmp(items[b].name),
        }
    });
    let ordered: Vec<&GroupItem<'_>> = order.iter().map(|&i| &items[i]).collect();
    let runs = sequences(&ordered, strictness);
    let mut group_of = join_runs(&ordered, &runs, strictness);
    absorb_untimed_strays(&ordered, &mut group_of, strictness);
    let steps = join_panoramas(&ordered, &order, &mut group_of);

    // Number the groups in shooting order of their first frame.
    let mut number: Vec<Option<usize>> = vec![None; ordered.len()];
    let mut groups: Vec<Group> = Vec::new();
    for (pos, &g) in group_of.iter().enumerate() {
        let id = *number[g].get_or_insert_with(|| {
            groups.push(Group {
                id: groups.len() + 1,
                members: Vec::new(),
            });
            groups.len() - 1
        });
        groups[id].members.push(order[pos]);
    }
    (groups, steps)
}

/// Splits the ordered frames into runs: continuous sequences (positions `start..end`) cut at
/// pauses, camera changes and scene changes; frames without a time are runs of one.
fn sequences(frames: &[&GroupItem<'_>], strictness: Strictness) -> Vec<std::ops::Range<usize>> {
    let gap = |pos: usize| -> Option<i64> {
        let (a, b) = (frames.get(pos.checked_sub(1)?)?, frames.get(pos)?);
        match (a.time_ms, b.time_ms) {
            (Some(x), Some(y)) if a.camera == b.camera => Some(y - x),
            _ => None,
        }
    };
    let max_gap = strictness.sequence_gap_ms();
    let cut = strictness.scene_cut_similarity();
    let mut runs = Vec::new();
    let mut start = 0;
    for pos in 1..frames.len() {
        let continuous = gap(pos).is_some_and(|dt| {
            // The frame interval around this gap: the shorter neighbouring gap. Times stored to
            // the second (no sub-seconds) make whole seconds the finest interval there is.
            let around = [pos.checked_sub(1).and_then(&gap), gap(pos + 1)]
                .into_iter()
                .flatten()
                .min();
            let whole_seconds = [pos - 1, pos]
                .iter()
                .all(|&p| frames[p].time_ms.is_some_and(|t| t % 1000 == 0));
            let resolution = if whole_seconds { 1000 } else { 1 };
            let interval = around.map_or(i64::MAX / PAUSE_RATIO, |i| i.max(resolution));
            dt <= max_gap.max(resolution) && dt <= PAUSE_RATIO * interval
        });
        if !continuous || is_scene_cut(frames, start, pos, cut) {
            runs.push(start..pos);
            start = pos;
        }
    }
    if !frames.is_empty() {
        runs.push(start..frames.len());
    }
    runs
}

/// Whether the sequence starting at `start` changes scene between `pos - 1` and `pos`: no
/// frame among the last [`CUT_SPAN`] before looks like any of the next [`CUT_SPAN`] after.
fn is_scene_cut(frames: &[&GroupItem<'_>], start: usize, pos: usize, floor: f32) -> bool {
    let before = pos.saturating_sub(CUT_SPAN).max(start)..pos;
    let after = pos..(pos + CUT_SPAN).min(frames.len());
    // Frames after the cut must be of the same sequence (a time and the same camera); a
    // frame without one ends the comparison.
    let after_end = after
        .clone()
        .take_while(|&p| frames[p].time_ms.is_some() && frames[p].camera == frames[pos].camera)
        .last()
        .map_or(pos + 1, |p| p + 1);
    !before.clone().any(|a| {
        (pos..after_end).any(|b| similarity(frames[a].descriptor, frames[b].descriptor) >= floor)
    })
}

/// The group of each position: each run joins the group of an earlier frame when its first
/// frame is close in time and alike, else starts a group.
fn join_runs(
    frames: &[&GroupItem<'_>],
    runs: &[std::ops::Range<usize>],
    strictness: Strictness,
) -> Vec<usize> {
    let t_burst = strictness.burst_similarity();
    let t_anchor = t_burst - 0.15;
    let t_dup = strictness.near_duplicate_similarity();
    let t_chain = t_dup + (1.0 - t_dup) * UNTIMED_CHAIN_SHARE;
    let gap = strictness.burst_gap_ms();
    let bursts_may_merge = strictness.level() < MERGE_BURSTS_BELOW_LEVEL;
    let mut group_of: Vec<usize> = vec![0; frames.len()];
    // Each group's first position and whether it holds a sequence of two or more frames.
    let mut anchors: Vec<usize> = Vec::new();
    let mut is_burst: Vec<bool> = Vec::new();
    for run in runs {
        let pos = run.start;
        let cur = frames[pos];
        let run_is_burst = run.len() > 1;
        let mut joined = None;
        for back in 1..=LOOKBACK.min(pos) {
            let prev_pos = pos - back;
            let prev = frames[prev_pos];
            let g = group_of[prev_pos];
            let dt = match (cur.time_ms, prev.time_ms) {
                (Some(a), Some(b)) => Some((a - b).abs()),
                _ => None,
            };
            // The previous frame shot moments before needs only burst similarity; anything
            // further away must be a near-duplicate.
            let need = match dt {
                Some(d) if d > gap * 4 => break, // earlier frames are further away still
                Some(_) if run_is_burst && is_burst[g] && !bursts_may_merge => continue,
                Some(d) if back == 1 && d <= gap => t_burst,
                Some(_) => t_dup,
                None if cur.time_ms.is_none() && prev.time_ms.is_none() => {
                    if back == 1 {
                        t_burst
                    } else {
                        t_dup
                    }
                }
                None => continue,
            };
            let anchor = frames[anchors[g]];
            let alike = similarity(cur.descriptor, prev.descriptor);
            // Two untimed neighbours this alike are frames of one burst whose times were
            // stripped, however far the camera has drifted from the group's first frame.
            let drifting_burst =
                cur.time_ms.is_none() && prev.time_ms.is_none() && back == 1 && alike >= t_chain;
            if alike >= need
                && (drifting_burst || similarity(cur.descriptor, anchor.descriptor) >= t_anchor)
            {
                joined = Some(g);
                break;
            }
        }
        let g = joined.unwrap_or_else(|| {
            anchors.push(pos);
            is_burst.push(false);
            anchors.len() - 1
        });
        is_burst[g] |= run_is_burst;
        for p in run.clone() {
            group_of[p] = g;
        }
    }
    group_of
}

/// The frames of one panorama are at most this far apart in time (a hand-held sweep, or a
/// tripod head turned by hand).
const PANORAMA_MAX_GAP_MS: i64 = 10_000;

/// Frames that sweep across a scene in overlapping steps (see [`crate::overlap`]) are one
/// panorama: their groups become one, so its frames stay whole even though each looks unlike
/// the last. Only frames of one camera, close in time (or all without a time) chain.
/// Returns the steps searched, by the frames' indices in `order`.
fn join_panoramas(
    frames: &[&GroupItem<'_>],
    order: &[usize],
    group_of: &mut [usize],
) -> KnownSteps {
    let close = |a: &GroupItem<'_>, b: &GroupItem<'_>| {
        a.camera == b.camera
            && match (a.time_ms, b.time_ms) {
                (Some(x), Some(y)) => (y - x).abs() <= PANORAMA_MAX_GAP_MS,
                (None, None) => true,
                _ => false,
            }
    };
    // Each frame with the next, close in time: the panorama step (searched on every core: it is
    // most of grouping a large shoot), and whether they are linked by it or by being the same
    // view repeated. Every linked pair's step is needed below, and each searched once.
    let searched: Vec<Option<Option<Shift>>> = frames
        .par_windows(2)
        .map(|p| close(p[0], p[1]).then(|| panorama_step(p[0].descriptor, p[1].descriptor)))
        .collect();
    let linked: Vec<bool> = frames
        .windows(2)
        .zip(&searched)
        .map(|(p, step)| match step {
            None => false,
            Some(step) => {
                step.is_some()
                    || similarity(p[0].descriptor, p[1].descriptor) >= SAME_VIEW_SIMILARITY
            }
        })
        .collect();
    // Groups merged into others: each group's parent, a group being its own root. Relabelling
    // every frame at each panorama would take quadratic time on a large shoot.
    let mut parent: Vec<usize> = (0..group_of.len()).collect();
    let mut start = 0;
    while start < frames.len() {
        let mut end = start + 1;
        while end < frames.len() && linked[end - 1] {
            end += 1;
        }
        let descs: Vec<&[i8]> = frames[start..end].iter().map(|f| f.descriptor).collect();
        let step =
            |k: usize| searched[start + k].unwrap_or_else(|| panorama_step(descs[k], descs[k + 1]));
        if end - start >= 2 && is_panorama_by(&descs, step) {
            let target = root(&mut parent, group_of[start]);
            for &g in &group_of[start..end] {
                let r = root(&mut parent, g);
                parent[r] = target;
            }
        }
        start = end;
    }
    for g in group_of.iter_mut() {
        *g = root(&mut parent, *g);
    }
    let mut known = KnownSteps::default();
    for (pos, step) in searched.into_iter().enumerate() {
        if let Some(step) = step {
            known.insert(order[pos], order[pos + 1], step);
        }
    }
    known
}

/// The group `g` was merged into, following `parent` (and shortening the path for later).
fn root(parent: &mut [usize], g: usize) -> usize {
    let mut r = g;
    while parent[r] != r {
        r = parent[r];
    }
    let mut cur = g;
    while parent[cur] != r {
        let next = parent[cur];
        parent[cur] = r;
        cur = next;
    }
    r
}

/// A frame without a time, alone in its group, between two frames of another group that are
/// near-duplicates of each other, joins that group: the damaged frame of a burst whose capture
/// times were stripped. Otherwise, beside an untimed frame of a group of two or more, it joins
/// that group when it is that frame with something smooth in front of part of it: at least
/// [`COVER_MIN_SHARE`] of the neighbour's structure flat in it, and the rest a near-duplicate
/// (see [`similarity_beside_cover`]); a hand over the lens as the burst starts or ends. Beside
/// two such groups, it joins the one it is more alike.
fn absorb_untimed_strays(
    frames: &[&GroupItem<'_>],
    group_of: &mut [usize],
    strictness: Strictness,
) {
    let t_burst = strictness.burst_similarity();
    let t_cover = strictness.near_duplicate_similarity().max(COVER_MIN_ALIKE);
    // Group sizes, kept up to date as strays join: counting a group's members for every frame
    // would take quadratic time on a large shoot.
    let mut size = vec![0usize; group_of.len()];
    for &g in group_of.iter() {
        size[g] += 1;
    }
    let untimed = |p: usize| frames[p].time_ms.is_none();
    for pos in 0..frames.len() {
        if !untimed(pos) || size[group_of[pos]] != 1 {
            continue;
        }
        let (before, after) = (
            pos.checked_sub(1),
            Some(pos + 1).filter(|&a| a < frames.len()),
        );
        let between = match (before, after) {
            (Some(b), Some(a)) => {
                untimed(b)
                    && untimed(a)
                    && group_of[b] == group_of[a]
                    && similarity(frames[b].descriptor, frames[a].descriptor) >= t_burst
            }
            _ => false,
        };
        // How alike the rest is when `pos` is neighbour `nb` with a cover over part of it.
        let covered_copy_of = |nb: usize| -> Option<f32> {
            if !untimed(nb) || size[group_of[nb]] < 2 {
                return None;
            }
            similarity_beside_cover(frames[pos].descriptor, frames[nb].descriptor)
                .filter(|&(share, alike)| share >= COVER_MIN_SHARE && alike >= t_cover)
                .map(|(_, alike)| alike)
        };
        let joins = if between {
            before
        } else {
            let b = before.and_then(|b| Some((b, covered_copy_of(b)?)));
            let a = after.and_then(|a| Some((a, covered_copy_of(a)?)));
            match (b, a) {
                (Some((b, sb)), Some((a, sa))) => Some(if sa > sb { a } else { b }),
                (b, a) => b.or(a).map(|(nb, _)| nb),
            }
        };
        if let Some(nb) = joins {
            size[group_of[pos]] -= 1;
            group_of[pos] = group_of[nb];
            size[group_of[pos]] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(seed: u32) -> Vec<i8> {
        // A smooth pseudo-random layout per seed.
        let mut v: Vec<i8> = (0..256u32)
            .map(|i| {
                let x = (i % 16) as f32;
                let y = (i / 16) as f32;
                let s = seed as f32;
                ((x * (0.3 + s * 0.17)).sin() * 40.0 + (y * (0.2 + s * 0.11)).cos() * 40.0) as i8
            })
            .collect();
        v.extend(std::iter::repeat_n(0i8, 32));
        v
    }

    #[test]
    fn bursts_split_on_time_and_look() {
        let a = desc(1);
        let b = desc(7);
        let items = [
            GroupItem {
                time_ms: Some(0),
                name: "1",
                descriptor: &a,
                camera: None,
            },
            GroupItem {
                time_ms: Some(100),
                name: "2",
                descriptor: &a,
                camera: None,
            },
            GroupItem {
                time_ms: Some(200),
                name: "3",
                descriptor: &b,
                camera: None,
            }, // new scene
            GroupItem {
                time_ms: Some(300),
                name: "4",
                descriptor: &b,
                camera: None,
            },
            GroupItem {
                time_ms: Some(600_000),
                name: "5",
                descriptor: &b,
                camera: None,
            }, // ten minutes later
            GroupItem {
                time_ms: None,
                name: "6",
                descriptor: &a,
                camera: None,
            },
            GroupItem {
                time_ms: None,
                name: "7",
                descriptor: &a,
                camera: None,
            },
        ];
        let groups = group(&items, Strictness::NORMAL);
        let members: Vec<Vec<usize>> = groups.iter().map(|g| g.members.clone()).collect();
        assert_eq!(members, vec![vec![0, 1], vec![2, 3], vec![4], vec![5, 6]]);
        assert_eq!(
            groups.iter().map(|g| g.id).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
    }

    #[test]
    fn grouping_is_deterministic_whatever_the_input_order() {
        let a = desc(1);
        let items: Vec<GroupItem<'_>> = (0..5)
            .map(|i| GroupItem {
                time_ms: Some(i * 100),
                name: "x",
                descriptor: &a,
                camera: None,
            })
            .collect();
        let mut rev = items.clone();
        rev.reverse();
        let g1 = group(&items, Strictness::NORMAL);
        let g2 = group(&rev, Strictness::NORMAL);
        assert_eq!(g1.len(), 1);
        assert_eq!(g2.len(), 1);
    }

    /// `a` blended into `b` by `w` (0 = a, 1 = b).
    fn blend(a: &[i8], b: &[i8], w: f32) -> Vec<i8> {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| (f32::from(x) * (1.0 - w) + f32::from(y) * w) as i8)
            .collect()
    }

    fn timed<'a>(descriptors: &'a [Vec<i8>], times: &[i64]) -> Vec<GroupItem<'a>> {
        descriptors
            .iter()
            .zip(times)
            .map(|(d, &t)| GroupItem {
                time_ms: Some(t),
                name: "",
                descriptor: d,
                camera: Some("X-T5"),
            })
            .collect()
    }

    fn sizes(groups: &[Group]) -> Vec<usize> {
        groups.iter().map(|g| g.members.len()).collect()
    }

    #[test]
    fn a_continuous_sequence_stays_whole_when_the_subject_moves_or_frames_are_damaged() {
        // Eight frames a second: the scene drifts from one layout to a quite different one
        // (children jumping, the camera following), two frames in the middle are black.
        let (a, b) = (desc(1), desc(3));
        assert!(similarity(&a, &b) < 0.3, "the ends must not look alike");
        let mut frames: Vec<Vec<i8>> = (0..12).map(|i| blend(&a, &b, i as f32 / 11.0)).collect();
        frames[5] = vec![0; a.len()];
        frames[6] = vec![0; a.len()];
        let times: Vec<i64> = (0..12).map(|i| i * 125).collect();
        for s in [Strictness::NORMAL, Strictness::LOOSE] {
            assert_eq!(sizes(&group(&timed(&frames, &times), s)), vec![12], "{s:?}");
        }
    }

    #[test]
    fn bursts_a_few_seconds_apart_stay_apart_however_alike() {
        // Two bursts of the same man at 15 frames a second, 2.4 s apart.
        let a = desc(1);
        let frames = vec![a.clone(); 10];
        let times: Vec<i64> = (0..5)
            .map(|i| i * 67)
            .chain((0..5).map(|i| 268 + 2400 + i * 67))
            .collect();
        assert_eq!(
            sizes(&group(&timed(&frames, &times), Strictness::NORMAL)),
            vec![5, 5]
        );
        assert_eq!(
            sizes(&group(&timed(&frames, &times), Strictness::STRICT)),
            vec![5, 5]
        );
        // Loose groups more: alike bursts close in time merge.
        assert_eq!(
            sizes(&group(&timed(&frames, &times), Strictness::LOOSE)),
            vec![10]
        );
        // Single frames a few seconds apart that look alike are still near-duplicates.
        let singles = timed(&frames[..3], &[0, 3000, 6000]);
        assert_eq!(sizes(&group(&singles, Strictness::NORMAL)), vec![3]);
    }

    #[test]
    fn strict_cuts_a_sequence_where_the_scene_changes_and_loose_does_not() {
        let (a, b) = (desc(1), desc(7));
        let mid = blend(&a, &b, 0.75);
        let sim = similarity(&a, &mid);
        assert!(
            sim > Strictness::NORMAL.scene_cut_similarity()
                && sim < Strictness::STRICT.scene_cut_similarity(),
            "similarity {sim}"
        );
        let frames = vec![a.clone(), a.clone(), a, mid.clone(), mid.clone(), mid];
        let times: Vec<i64> = (0..6).map(|i| i * 100).collect();
        assert_eq!(
            sizes(&group(&timed(&frames, &times), Strictness::STRICT)),
            vec![3, 3]
        );
        assert_eq!(
            sizes(&group(&timed(&frames, &times), Strictness::NORMAL)),
            vec![6]
        );
    }

    #[test]
    fn times_to_the_second_still_make_one_sequence() {
        // No sub-seconds: five frames a second share a timestamp.
        let a = desc(2);
        let frames = vec![a; 8];
        let times = [0, 0, 0, 0, 1000, 1000, 1000, 2000];
        assert_eq!(
            sizes(&group(&timed(&frames, &times), Strictness::NORMAL)),
            vec![8]
        );
    }

    #[test]
    fn two_cameras_are_two_sequences() {
        let (a, b) = (desc(1), desc(7));
        let items: Vec<GroupItem<'_>> = (0..6)
            .map(|i| GroupItem {
                time_ms: Some(i * 50),
                name: "",
                descriptor: if i % 2 == 0 { &a } else { &b },
                camera: Some(if i % 2 == 0 { "A" } else { "B" }),
            })
            .collect();
        let groups = group(&items, Strictness::NORMAL);
        let members: Vec<Vec<usize>> = groups.iter().map(|g| g.members.clone()).collect();
        assert_eq!(members, vec![vec![0, 2, 4], vec![1, 3, 5]]);
    }

    fn untimed<'a>(descriptors: &'a [Vec<i8>], names: &'a [String]) -> Vec<GroupItem<'a>> {
        descriptors
            .iter()
            .zip(names)
            .map(|(d, n)| GroupItem {
                time_ms: None,
                name: n,
                descriptor: d,
                camera: None,
            })
            .collect()
    }

    #[test]
    fn an_untimed_burst_stays_whole_while_the_camera_drifts_and_a_slow_pan_of_shots_does_not_chain()
    {
        // A burst whose times were stripped, the camera panning through it: each frame nearly
        // identical to the last, the last unlike the first.
        let (a, b) = (desc(1), desc(3));
        let burst: Vec<Vec<i8>> = (0..16).map(|i| blend(&a, &b, i as f32 / 15.0)).collect();
        let names: Vec<String> = (0..16).map(|i| format!("IMG_{i:04}.JPG")).collect();
        assert!(similarity(&burst[0], &burst[15]) < 0.3);
        assert!(burst.windows(2).all(|w| similarity(&w[0], &w[1]) >= 0.95));
        assert_eq!(
            sizes(&group(&untimed(&burst, &names), Strictness::NORMAL)),
            vec![16]
        );
        // Single shots across the same view, each only alike its neighbour: the first frame
        // still bounds the group.
        let shots: Vec<Vec<i8>> = (0..4).map(|i| blend(&a, &b, i as f32 / 3.0)).collect();
        let alike: Vec<f32> = shots.windows(2).map(|w| similarity(&w[0], &w[1])).collect();
        let t = Strictness::NORMAL.burst_similarity();
        assert!(alike.iter().all(|&s| s >= t && s < 0.9), "{alike:?}");
        assert!(group(&untimed(&shots, &names[..4]), Strictness::NORMAL).len() > 1);
    }

    /// `d` with a smooth patch over its lower-left third, as a hand in front of the lens.
    fn hand_over(d: &[i8]) -> Vec<i8> {
        let mut out = d.to_vec();
        for y in 6..16 {
            for x in 0..9 {
                out[y * 16 + x] = 60;
            }
        }
        out
    }

    #[test]
    fn a_hand_over_the_first_or_last_frame_of_an_untimed_burst_keeps_it_in_the_burst() {
        let (a, b) = (desc(1), desc(2));
        let burst: Vec<Vec<i8>> = (0..5).map(|i| blend(&a, &b, i as f32 * 0.02)).collect();
        let names: Vec<String> = (0..6).map(|i| format!("IMG_{i:04}.JPG")).collect();
        let t = Strictness::NORMAL;
        for at in [0, 4] {
            let mut frames = burst.clone();
            frames[at] = hand_over(&burst[at]);
            // Covered, it does not look like the frame it was.
            assert!(similarity(&frames[at], &burst[at]) < t.burst_similarity());
            let groups = group(&untimed(&frames, &names[..5]), t);
            assert_eq!(sizes(&groups), vec![5], "hand over frame {at}");
        }
        // The same patch over another scene after the burst: not a frame of it.
        let mut frames = burst.clone();
        frames.push(hand_over(&desc(7)));
        assert_eq!(sizes(&group(&untimed(&frames, &names), t)), vec![5, 1]);
        // Nor is a frame of another scene alone after the burst.
        frames[5] = desc(7);
        assert_eq!(sizes(&group(&untimed(&frames, &names), t)), vec![5, 1]);
    }

    #[test]
    fn a_hand_between_two_untimed_bursts_goes_with_the_one_it_is_more_alike() {
        // Two bursts of one view that differ where the hand is (someone moved there between
        // them), the second a little changed elsewhere too; the hand is over the second's
        // view.
        let a = desc(1);
        let other = desc(5);
        let mut b = a.clone();
        for y in 6..16 {
            for x in 0..9 {
                b[y * 16 + x] = other[y * 16 + x];
            }
        }
        let b = blend(&b, &desc(3), 0.1);
        let t = Strictness::NORMAL;
        assert!(similarity(&a, &b) < t.burst_similarity());
        let frames = vec![
            a.clone(),
            a.clone(),
            a,
            hand_over(&b),
            b.clone(),
            b.clone(),
            b,
        ];
        let names: Vec<String> = (0..7).map(|i| format!("IMG_{i:04}.JPG")).collect();
        let groups = group(&untimed(&frames, &names), t);
        let members: Vec<Vec<usize>> = groups.iter().map(|g| g.members.clone()).collect();
        assert_eq!(members, vec![vec![0, 1, 2], vec![3, 4, 5, 6]]);
    }

    #[test]
    fn a_damaged_frame_of_an_untimed_burst_stays_in_it() {
        let a = desc(1);
        let dark = vec![0i8; a.len()];
        let names = ["1", "2", "3", "4", "5"];
        let descs = [&a, &a, &dark, &a, &a];
        let items: Vec<GroupItem<'_>> = names
            .iter()
            .zip(descs)
            .map(|(n, d)| GroupItem {
                time_ms: None,
                name: n,
                descriptor: d,
                camera: None,
            })
            .collect();
        assert_eq!(sizes(&group(&items, Strictness::NORMAL)), vec![5]);
    }
}
