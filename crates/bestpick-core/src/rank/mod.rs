//! Picking the best frame of each group, relative to the group, and saying why in plain words.
//!
//! Each photo collects penalties, in units of roughly "stops" of damage, measured against its
//! group: detail lost against the sharpest well-exposed frame, exposure away from the group,
//! more clipping, more noise, heavy compression, misfires. The lowest total wins. Reasons are a
//! [`Reason`] enum rendered to words in one place, so every front end says the same thing.
//!
//! One file per judgement, each a function that adds its penalty and its reason to a frame's
//! `Parts`:
//! - `exposure`: exposure, clipping, noise, compression, misfires (against the group's
//!   typical frame);
//! - `obstruction`: something in front of the lens;
//! - `sets`: what a set (an exposure bracket) excuses;
//! - `detail`: focus and motion blur (against the sharpest undamaged frame);
//! - `faces`: eyes and face sharpness (against the same person elsewhere in the burst).
//!
//! `rank_group` runs them in that order and orders the frames; the faces are read before the
//! detail is judged (softer faces tell it the subject lost its detail) and weighed after it.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::faces::Face;
use crate::group::Group;
use crate::overlap::KnownSteps;
use crate::signals::Signals;

mod detail;
mod exposure;
mod faces;
mod obstruction;
mod reason;
mod sets;
mod taste;

pub use faces::{FaceVerdict, JudgedFace, someone_blinked};
pub use reason::Reason;
pub use sets::{SetKind, set_of, set_of_known};
pub use taste::{Choice, Preference, TRAITS, Taste, TasteFrame, Trait, describe};

use crate::profile::Weights;

/// What ranking weighs besides the photos: a profile's weights and what it learned.
#[derive(Debug, Clone, Copy, Default)]
pub struct Judging<'a> {
    /// Multipliers on the penalties (all 1: the engine's own balance).
    pub weights: Weights,
    /// The photographer's learned taste, when there is one.
    pub taste: Option<&'a Taste>,
}

/// What ranking needs of one photo.
#[derive(Debug, Clone, Copy)]
pub struct RankInput<'a> {
    /// The photo's signals.
    pub signals: &'a Signals,
    /// Its faces, when faces were analyzed.
    pub faces: Option<&'a [Face]>,
    /// The exposure compensation the camera recorded (EXIF), in EV.
    pub exposure_bias: Option<f64>,
}

/// The outcome for one photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    /// 0..=100, higher is better; comparable within a group.
    pub score: f32,
    /// 1 = best of its group.
    pub rank: usize,
    /// True for the suggested pick of the group.
    pub best: bool,
    /// Flagged as a reject candidate (never deleted; the photographer decides).
    pub reject_candidate: bool,
    /// Why, most important first.
    pub reasons: Vec<Reason>,
    /// Each salient face as judged against the same person elsewhere in the group (empty when
    /// faces were not analyzed or there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub judged_faces: Vec<JudgedFace>,
    /// The frame as taste sees it (traits against the group, penalty): what a decision on
    /// this group records for learning.
    #[serde(skip)]
    pub taste: TasteFrame,
}

/// Frames at or above this penalty are flagged as reject candidates.
const REJECT_PENALTY: f32 = 3.0;
/// Taste may pick among frames within this penalty of the group's best (and without faults).
const TASTE_MARGIN: f32 = 1.5;

/// One frame's penalties, in units of about one "clearly worse" step each, and the reasons
/// behind them with their weight (reasons are told heaviest first).
#[derive(Debug, Clone, Default)]
struct Parts {
    blur: f32,
    exposure: f32,
    clipping: f32,
    noise: f32,
    compression: f32,
    misfire: f32,
    obstruction: f32,
    eyes: f32,
    faces: f32,
    reasons: Vec<(f32, Reason)>,
}

impl Parts {
    /// Damage other than detail and faces: what can fake detail, or makes a frame unusable.
    fn others(&self) -> f32 {
        self.exposure
            + self.clipping
            + self.noise
            + self.compression
            + self.misfire
            + self.obstruction
    }

    fn total(&self) -> f32 {
        self.blur + self.others() + self.eyes + self.faces
    }

    fn reason(&mut self, weight: f32, reason: Reason) {
        self.reasons.push((weight, reason));
    }

    /// Applies a profile's weights.
    fn weigh(&mut self, w: &Weights) {
        self.blur *= w.detail;
        self.exposure *= w.exposure;
        self.clipping *= w.clipping;
        self.noise *= w.noise;
        self.eyes *= w.eyes;
        self.faces *= w.faces;
    }

    /// A fault taste never overrules: one with a badge ([`Reason::fault_tag`]: blur, a blink,
    /// a misfire, an obstruction).
    fn faulty(&self) -> bool {
        self.misfire > 0.0
            || self.obstruction > 0.0
            || self.reasons.iter().any(|(_, r)| r.fault_tag().is_some())
    }
}

/// Ranks every group. Returns one [`Ranked`] per input photo, in input order.
pub fn rank(inputs: &[RankInput<'_>], groups: &[Group]) -> Vec<Ranked> {
    rank_with_sets(inputs, groups, Judging::default()).0
}

/// One group judged: its set and each member's ranking (with the member's index).
type JudgedGroup = (Option<SetKind>, Vec<(usize, Ranked)>);

/// As [`rank`] under `judging`, with the set each group is (see [`set_of`]), in the order of
/// `groups`: each is found once and serves both the ranking and the caller.
pub fn rank_with_sets(
    inputs: &[RankInput<'_>],
    groups: &[Group],
    judging: Judging<'_>,
) -> (Vec<Ranked>, Vec<Option<SetKind>>) {
    rank_with_known_sets(inputs, groups, judging, &KnownSteps::default())
}

/// [`rank_with_sets`], reusing the panorama steps grouping found between `inputs` (see
/// [`crate::group::group_with_steps`]).
pub fn rank_with_known_sets(
    inputs: &[RankInput<'_>],
    groups: &[Group],
    judging: Judging<'_>,
    known: &KnownSteps,
) -> (Vec<Ranked>, Vec<Option<SetKind>>) {
    // Groups are judged apart from each other: in parallel (a whole season's shoot is tens of
    // thousands of groups).
    let judged: Vec<JudgedGroup> = groups
        .par_iter()
        .map(|g| {
            let set = set_of_known(inputs, &g.members, known);
            (set, rank_group(inputs, &g.members, set, judging))
        })
        .collect();
    let mut out: Vec<Option<Ranked>> = vec![None; inputs.len()];
    let mut sets = Vec::with_capacity(groups.len());
    for (set, ranked) in judged {
        for (idx, r) in ranked {
            out[idx] = Some(r);
        }
        sets.push(set);
    }
    let ranked = out
        .into_iter()
        .map(|r| {
            r.unwrap_or(Ranked {
                score: 0.0,
                rank: 1,
                best: true,
                reject_candidate: false,
                reasons: Vec::new(),
                judged_faces: Vec::new(),
                taste: TasteFrame::default(),
            })
        })
        .collect();
    (ranked, sets)
}

fn median(mut v: Vec<f32>) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f32::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Judges the frames `members` (indices into `inputs`, in shooting order, the set `set`)
/// against each other and orders them: one [`Ranked`] per member, with the member's index.
fn rank_group(
    inputs: &[RankInput<'_>],
    members: &[usize],
    set: Option<SetKind>,
    judging: Judging<'_>,
) -> Vec<(usize, Ranked)> {
    let n = members.len();
    let sigs: Vec<&Signals> = members.iter().map(|&m| inputs[m].signals).collect();
    let mut parts: Vec<Parts> = vec![Parts::default(); n];

    let refs = exposure::References::of(&sigs);
    for (s, p) in sigs.iter().zip(&mut parts) {
        exposure::judge_exposure(s, &refs, n, p);
        exposure::judge_clipping(s, &refs, n, p);
        exposure::judge_noise(s, &refs, n, p);
        exposure::judge_compression(s, &refs, p);
        exposure::judge_misfire(s, p);
    }
    obstruction::judge_obstructions(&sigs, &mut parts);
    let biases: Vec<Option<f64>> = members.iter().map(|&m| inputs[m].exposure_bias).collect();
    match set {
        Some(SetKind::Bracket) => sets::excuse_bracket_exposure(&biases, &mut parts),
        Some(SetKind::Panorama) => sets::excuse_view_differences(&mut parts),
        Some(SetKind::FocusStack) | None => {}
    }
    // The frames of a panorama or a focus stack differ in detail on purpose: each is judged
    // on its own.
    let alone = n == 1 || matches!(set, Some(SetKind::Panorama | SetKind::FocusStack));

    let detail_refs = detail::References::of(&sigs, &parts);
    // Face references (a face's sharpest reading, its open eyes) come from frames without
    // other damage and no noisier than the group's reference: noise fakes face detail and
    // opens eyes.
    let clean: Vec<bool> = (0..n)
        .map(|i| {
            detail_refs.clean.contains(&i)
                && sigs[i].noise <= exposure::NOISE_COMPARABLE * refs.noise
        })
        .collect();
    // Frames smeared by motion: the eyelids of their softened faces are smeared too.
    let smeared: Vec<bool> = sigs
        .iter()
        .map(|s| !alone && detail::smeared_by_motion(s, &detail_refs, refs.noise))
        .collect();
    let judged = faces::judge_faces(inputs, members, &clean, &smeared);

    for (i, (s, p)) in sigs.iter().zip(&mut parts).enumerate() {
        if alone {
            detail::judge_single(s, p);
        } else {
            // Softer faces are a subject that lost its detail, whatever the sharpest region
            // kept (a shake spares the edges along it); so are faces the other frames show and
            // this one lost (smeared past finding).
            let subject = if judged[i].as_ref().is_some_and(faces::FrameFaces::soft)
                || faces::lost_faces(&judged, i)
            {
                detail::Subject::Soft
            } else {
                detail::Subject::SharpestRegion
            };
            detail::judge_detail(s, &detail_refs, refs.noise, subject, p);
        }
    }
    if set == Some(SetKind::Bracket) {
        sets::excuse_bracket_detail(&mut parts);
    }
    faces::weigh_faces(&judged, n, &mut parts);
    for p in &mut parts {
        p.weigh(&judging.weights);
    }
    let traits: Vec<[f32; TRAITS]> = (0..n)
        .map(|i| {
            taste::traits(
                sigs[i],
                i,
                n,
                refs.ev,
                detail_refs.best_detail,
                refs.noise,
                refs.highlights,
                judged[i].as_ref().map(|f| f.faces.as_slice()),
            )
        })
        .collect();

    let mut ranked = explain(inputs, members, set, &detail_refs, judged, parts, &traits);
    if let Some(taste) = judging.taste.filter(|t| !t.is_untrained())
        && !matches!(set, Some(SetKind::Panorama | SetKind::FocusStack))
    {
        apply_taste(taste, &mut ranked);
    }
    ranked
}

/// Reorders the acceptable frames of a ranked group (in place, `ranked` in rank order) by the
/// photographer's taste; when that changes the pick, the new pick says why.
fn apply_taste(taste: &Taste, ranked: &mut [(usize, Ranked)]) {
    let slots: Vec<usize> = (0..ranked.len())
        .filter(|&k| ranked[k].1.taste.acceptable)
        .collect();
    if slots.len() < 2 || slots[0] != 0 {
        return;
    }
    let mut by_taste: Vec<(usize, Ranked)> = slots.iter().map(|&k| ranked[k].clone()).collect();
    by_taste.sort_by(|a, b| {
        taste
            .utility(&b.1.taste)
            .total_cmp(&taste.utility(&a.1.taste))
    });
    let before = ranked[0].1.taste;
    for (&k, item) in slots.iter().zip(by_taste) {
        ranked[k] = item;
    }
    for (pos, (_, r)) in ranked.iter_mut().enumerate() {
        r.rank = pos + 1;
        r.best = pos == 0;
    }
    let pick = &mut ranked[0].1;
    if pick.taste != before
        && let Some((what, more)) = taste.deciding_trait(&pick.taste, &before)
    {
        pick.reasons.insert(0, Reason::AsYouPrefer { what, more });
    }
}

/// Orders the frames (lowest penalty first; ties by more detail, then shooting order), names
/// the pick's lead reason and turns penalties into scores.
fn explain(
    inputs: &[RankInput<'_>],
    members: &[usize],
    set: Option<SetKind>,
    detail_refs: &detail::References,
    judged: Vec<Option<faces::FrameFaces>>,
    mut parts: Vec<Parts>,
    traits: &[[f32; TRAITS]],
) -> Vec<(usize, Ranked)> {
    let n = members.len();
    let sig = |i: usize| inputs[members[i]].signals;
    // The frames of a panorama or a focus stack are all needed: they keep shooting order
    // unless damaged.
    let whole_set = matches!(set, Some(SetKind::Panorama | SetKind::FocusStack));
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let by_detail = if whole_set {
            std::cmp::Ordering::Equal
        } else {
            detail::detail(sig(b)).total_cmp(&detail::detail(sig(a)))
        };
        parts[a]
            .total()
            .total_cmp(&parts[b].total())
            .then(by_detail)
            .then_with(|| a.cmp(&b))
    });
    // "Sharpest" means most real detail: among the frames whose detail is not inflated by
    // clipping, noise or compression (the same frames that set the reference).
    let sharpest = (n > 1).then_some(detail_refs.reference);
    let mut judged: Vec<Option<faces::FrameFaces>> = judged;
    let mut result = Vec::with_capacity(n);
    let best_total = order.first().map_or(0.0, |&i| parts[i].total());
    for (pos, &i) in order.iter().enumerate() {
        let p = &mut parts[i];
        let total = p.total();
        let reject_candidate = total >= REJECT_PENALTY || p.misfire > 0.0 || p.obstruction > 0.0;
        let taste = TasteFrame {
            traits: traits[i],
            penalty: total,
            acceptable: !reject_candidate && !p.faulty() && total <= best_total + TASTE_MARGIN,
        };
        let mut reasons: Vec<(f32, Reason)> = std::mem::take(&mut p.reasons);
        let frame_faces = judged[i].take();
        if let Some(kind) = set.filter(|_| whole_set) {
            reasons.push((
                200.0,
                Reason::InSet {
                    set: kind,
                    at: i + 1,
                    of: n,
                },
            ));
        } else if pos == 0 && n > 1 {
            if frame_faces
                .as_ref()
                .is_some_and(faces::FrameFaces::all_sharp_and_open)
            {
                reasons.push((100.0, Reason::FacesSharp));
            }
            let lead = if set == Some(SetKind::Bracket) {
                let biases: Vec<Option<f64>> =
                    members.iter().map(|&m| inputs[m].exposure_bias).collect();
                Reason::BestOfBracket {
                    of: n,
                    metered: sets::is_metered(&biases, i),
                }
            } else if Some(i) == sharpest {
                // Sharpest by less than the reading's jitter is not sharpest: as sharp as any.
                let lead = detail_refs.lead(|k| detail::detail(sig(k)));
                if lead.is_some_and(|l| l < detail::ALIKE_STOPS) {
                    Reason::AsSharpAsAny { of: n }
                } else {
                    Reason::SharpestOf { of: n }
                }
            } else {
                Reason::BestOf { of: n }
            };
            reasons.push((200.0, lead));
        }
        reasons.sort_by(|a, b| b.0.total_cmp(&a.0));
        result.push((
            members[i],
            Ranked {
                score: ((100.0 * (-total / 4.0).exp()) * 10.0).round() / 10.0,
                rank: pos + 1,
                best: pos == 0,
                reject_candidate,
                reasons: reasons.into_iter().map(|(_, r)| r).collect(),
                judged_faces: frame_faces.map(|f| f.faces).unwrap_or_default(),
                taste,
            },
        ));
    }
    result
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::{Group, Judging, RankInput, Ranked, Taste, Weights, rank_with_sets};
    use crate::signals::Signals;

    /// `sigs` ranked as one group without faces, under `taste`.
    pub(crate) fn rank_one_group(sigs: &[Signals], taste: Option<&Taste>) -> Vec<Ranked> {
        let inputs: Vec<RankInput<'_>> = sigs
            .iter()
            .map(|s| RankInput {
                signals: s,
                faces: None,
                exposure_bias: None,
            })
            .collect();
        let group = Group {
            id: 1,
            members: (0..sigs.len()).collect(),
        };
        let judging = Judging {
            weights: Weights::default(),
            taste,
        };
        rank_with_sets(&inputs, &[group], judging).0
    }

    /// A plain frame with `detail` as its sharpness.
    pub(crate) fn signals(detail: f32) -> Signals {
        Signals {
            width: 1000,
            height: 800,
            sharpness: detail,
            peak_sharpness: detail,
            coarse_sharpness: 1.0,
            focus_point: [0.5, 0.5],
            detail_direction: [0.45, 0.45, 0.1],
            mean_luma: 120.0,
            median_luma: 120.0,
            exposure_ev: 0.0,
            clipped_highlights: 0.0,
            clipped_shadows: 0.0,
            noise: 2.0,
            jpeg_quality: Some(92),
            misfire: None,
            histogram: Vec::new(),
            focus_map: Vec::new(),
            focus_map_size: [0, 0],
            descriptor: Vec::new(),
        }
    }
}

#[cfg(test)]
mod taste_tests {
    use super::test_support::signals;
    use super::*;

    fn ranked(sigs: &[Signals], taste: Option<&Taste>) -> Vec<Ranked> {
        super::test_support::rank_one_group(sigs, taste)
    }

    /// A taste that wants the last frame of every burst, very much.
    fn last_frame_taste() -> Taste {
        let mut prefer = [0.0; TRAITS];
        prefer[6] = 50.0;
        Taste {
            prefer,
            groups: 20,
            ..Taste::default()
        }
    }

    #[test]
    fn taste_picks_among_sound_frames_and_says_why() {
        let sigs = vec![signals(0.30), signals(0.31), signals(0.30)];
        let engine = ranked(&sigs, None);
        assert!(engine[1].best, "the engine alone: the sharpest");
        let taste = last_frame_taste();
        let tasted = ranked(&sigs, Some(&taste));
        assert!(tasted[2].best, "the photographer's kind of frame");
        assert_eq!(
            tasted[2].reasons.first(),
            Some(&Reason::AsYouPrefer {
                what: Trait::Time,
                more: true
            })
        );
        let untrained = Taste::default();
        assert_eq!(
            ranked(&sigs, Some(&untrained)),
            engine,
            "nothing learned: no change"
        );
    }

    #[test]
    fn taste_never_picks_a_blurred_frame() {
        // The last frame lost two stops of detail: out of focus, whatever the taste.
        let sigs = vec![signals(0.30), signals(0.31), signals(0.075)];
        let taste = last_frame_taste();
        let tasted = ranked(&sigs, Some(&taste));
        assert!(!tasted[2].best, "{:?}", tasted[2]);
        assert!(!tasted[2].taste.acceptable);
        assert!(
            tasted[2]
                .reasons
                .iter()
                .any(|r| matches!(r, Reason::OutOfFocus { .. } | Reason::MotionBlur { .. })),
            "{:?}",
            tasted[2].reasons
        );
    }
}

#[cfg(test)]
mod lead_tests {
    use super::test_support::signals;
    use super::*;

    fn pick_words(sigs: &[Signals]) -> String {
        let ranked = super::test_support::rank_one_group(sigs, None);
        let pick = ranked.iter().find(|r| r.best).expect("a pick");
        pick.reasons[0].to_string()
    }

    #[test]
    fn the_sharpest_by_a_hair_is_as_sharp_as_any() {
        // A burst of a still subject: the readings differ by 3 % (0.04 stops), which is the
        // reading's jitter, not a sharper frame.
        let alike = vec![
            signals(0.300),
            signals(0.309),
            signals(0.302),
            signals(0.301),
        ];
        assert_eq!(pick_words(&alike), "as sharp as any of 4");
        // One frame clearly ahead (a quarter more detail, 0.32 stops): the sharpest.
        let ahead = vec![
            signals(0.300),
            signals(0.375),
            signals(0.302),
            signals(0.301),
        ];
        assert_eq!(pick_words(&ahead), "sharpest of 4");
        // Two frames: the lead over the other decides the same way.
        assert_eq!(pick_words(&[signals(0.3), signals(0.2)]), "sharpest of 2");
        assert_eq!(
            pick_words(&[signals(0.3), signals(0.295)]),
            "as sharp as any of 2"
        );
    }
}
