//! Sets of frames that belong together and differ on purpose, and what being one excuses.

use serde::{Deserialize, Serialize};

use super::{Parts, RankInput, Reason};
use crate::overlap::{KnownSteps, is_focus_stack, is_panorama_by};
use crate::signals::Signals;

/// A set of frames that belong together and differ on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetKind {
    /// An exposure bracket: one moment at several exposure compensations (AEB), to merge or to
    /// choose from; its exposure differences are the point, not faults.
    Bracket,
    /// A panorama: overlapping views swept across a scene, to stitch; each frame shows
    /// something the others do not, so none is compared with the others for exposure or detail.
    Panorama,
    /// A focus stack: one still scene with the plane of focus stepping through it, to merge;
    /// each frame is sharp somewhere else, so none is compared with the others for detail.
    FocusStack,
}

impl SetKind {
    /// Every kind of set.
    pub const ALL: [SetKind; 3] = [SetKind::Bracket, SetKind::Panorama, SetKind::FocusStack];

    /// The kind as one snake_case word, as it is serialized: `bracket`, `panorama`,
    /// `focus_stack`.
    pub fn as_str(self) -> &'static str {
        match self {
            SetKind::Bracket => "bracket",
            SetKind::Panorama => "panorama",
            SetKind::FocusStack => "focus_stack",
        }
    }

    /// The set's name in words.
    pub fn words(self) -> &'static str {
        match self {
            SetKind::Bracket => "exposure bracket",
            SetKind::Panorama => "panorama",
            SetKind::FocusStack => "focus stack",
        }
    }
}

/// A bracket has at most this many frames (cameras bracket 2 to 9).
const BRACKET_MAX_FRAMES: usize = 9;
/// The recorded exposure compensations of a bracket span at least this many EV.
const BRACKET_MIN_SPAN_EV: f64 = 0.9;

/// What kind of set the group `members` (in shooting order) is, if any: an exposure bracket
/// (see `is_bracket`), a panorama ([`is_panorama`]) or a focus stack ([`is_focus_stack`]).
pub fn set_of(inputs: &[RankInput<'_>], members: &[usize]) -> Option<SetKind> {
    set_of_known(inputs, members, &KnownSteps::default())
}

/// [`set_of`], reusing the panorama steps grouping found between `inputs`.
pub fn set_of_known(
    inputs: &[RankInput<'_>],
    members: &[usize],
    known: &KnownSteps,
) -> Option<SetKind> {
    if members.len() < 2 {
        return None;
    }
    let biases: Vec<Option<f64>> = members.iter().map(|&m| inputs[m].exposure_bias).collect();
    let signals: Vec<&Signals> = members.iter().map(|&m| inputs[m].signals).collect();
    let descriptors: Vec<&[i8]> = signals.iter().map(|s| s.descriptor.as_slice()).collect();
    if is_bracket(&biases) {
        Some(SetKind::Bracket)
    } else if is_panorama_by(&descriptors, |k| {
        known.step(
            (members[k], descriptors[k]),
            (members[k + 1], descriptors[k + 1]),
        )
    }) {
        Some(SetKind::Panorama)
    } else if is_focus_stack(&signals) {
        Some(SetKind::FocusStack)
    } else {
        None
    }
}

/// An exposure bracket: at least two thirds of the frames (and at least two) record an
/// exposure compensation and those span [`BRACKET_MIN_SPAN_EV`] or more, in at most
/// [`BRACKET_MAX_FRAMES`] frames.
fn is_bracket(biases: &[Option<f64>]) -> bool {
    if biases.len() > BRACKET_MAX_FRAMES {
        return false;
    }
    let recorded: Vec<f64> = biases
        .iter()
        .flatten()
        .copied()
        .filter(|b| b.is_finite())
        .collect();
    let (lo, hi) = recorded
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &b| (lo.min(b), hi.max(b)));
    recorded.len() >= 2 && 3 * recorded.len() >= 2 * biases.len() && hi - lo >= BRACKET_MIN_SPAN_EV
}

/// In a bracket, each EV of compensation away from the metered frame costs this much: enough
/// to order the frames, less than a clear blur or a blink.
const BRACKET_STEP_PENALTY: f32 = 0.2;

/// In a bracket, lost detail weighs this share of its usual penalty.
const BRACKET_BLUR_WEIGHT: f32 = 0.3;

/// The smallest |compensation| recorded in the bracket: the metered frame's.
fn metered_bias(biases: &[Option<f64>]) -> f64 {
    biases
        .iter()
        .flatten()
        .map(|b| b.abs())
        .fold(f64::MAX, f64::min)
}

/// Whether frame `i` of the bracket is the metered exposure (compensation closest to 0).
pub(super) fn is_metered(biases: &[Option<f64>], i: usize) -> bool {
    let metered = metered_bias(biases);
    biases
        .get(i)
        .copied()
        .flatten()
        .is_some_and(|b| b.abs() <= metered + 1e-6)
}

/// Clears the clipping and noise penalties of a frame and the reasons that compare its
/// exposure, clipping and noise with the rest of its set.
fn excuse_exposure_differences(p: &mut Parts) {
    p.clipping = 0.0;
    p.noise = 0.0;
    p.reasons.retain(|(_, r)| {
        !matches!(
            r,
            Reason::Darker { .. }
                | Reason::Brighter { .. }
                | Reason::HighlightsClipped { .. }
                | Reason::ShadowsClipped { .. }
                | Reason::Noisier { .. }
        )
    });
}

/// The exposure differences are the point of a bracket: no exposure, clipping or noise
/// faults (brighter frames read noisier in levels while their signal-to-noise is better); the
/// metered frame leads, by [`BRACKET_STEP_PENALTY`] per EV, a margin that blur or a blink
/// still outweighs. `biases` are the frames' recorded compensations.
pub(super) fn excuse_bracket_exposure(biases: &[Option<f64>], parts: &mut [Parts]) {
    let metered = metered_bias(biases);
    for (bias, p) in biases.iter().zip(parts.iter_mut()) {
        excuse_exposure_differences(p);
        p.exposure = bias.map_or(BRACKET_STEP_PENALTY, |b| {
            ((b.abs() - metered) as f32).max(0.0) * BRACKET_STEP_PENALTY
        });
    }
}

/// Each frame of a panorama shows another part of the scene: its exposure, clipping, noise
/// and layout are the scene's, not faults against the others.
pub(super) fn excuse_view_differences(parts: &mut [Parts]) {
    for p in parts {
        excuse_exposure_differences(p);
        p.exposure = 0.0;
        p.obstruction = 0.0;
        p.reasons.retain(|(_, r)| *r != Reason::Obstructed);
    }
}

/// Detail reads differently at each exposure of a bracket (clipped highlights, crushed
/// shadows): only a clear loss counts, and lightly.
pub(super) fn excuse_bracket_detail(parts: &mut [Parts]) {
    for p in parts {
        p.blur *= BRACKET_BLUR_WEIGHT;
        p.reasons.retain(|(_, r)| *r != Reason::SlightlySoft);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::test_support::signals;

    #[test]
    fn set_names_match_serde() {
        for set in SetKind::ALL {
            assert_eq!(
                serde_json::to_string(&set).ok(),
                Some(format!("\"{}\"", set.as_str())),
                "case {set:?}"
            );
        }
    }

    #[test]
    fn a_bracket_needs_recorded_compensations_spanning_most_of_a_stop() {
        let s = signals(0.4);
        let input = |b: Option<f64>| RankInput {
            signals: &s,
            faces: None,
            exposure_bias: b,
        };
        let bracket = [input(Some(-2.0)), input(Some(0.0)), input(Some(2.0))];
        assert_eq!(set_of(&bracket, &[0, 1, 2]), Some(SetKind::Bracket));
        let steady = [input(Some(0.0)), input(Some(0.3)), input(Some(0.0))];
        assert_eq!(set_of(&steady, &[0, 1, 2]), None, "0.3 EV is not a bracket");
        let unrecorded = [input(Some(-2.0)), input(None), input(None)];
        assert_eq!(set_of(&unrecorded, &[0, 1, 2]), None);
        let long: Vec<RankInput<'_>> = (0..12).map(|k| input(Some(k as f64))).collect();
        let all: Vec<usize> = (0..12).collect();
        assert_eq!(set_of(&long, &all), None, "no camera brackets 12 frames");
    }

    #[test]
    fn a_bracket_excuses_its_exposure_steps_and_the_metered_frame_leads() {
        let biases = [Some(-2.0), Some(0.0), Some(2.0)];
        let mut parts = vec![Parts::default(); 3];
        for p in &mut parts {
            p.exposure = 1.5;
            p.noise = 0.7;
            p.reason(1.5, Reason::Darker { stops: 2.0 });
        }
        excuse_bracket_exposure(&biases, &mut parts);
        assert!(parts.iter().all(|p| p.reasons.is_empty() && p.noise == 0.0));
        assert_eq!(parts[1].exposure, 0.0);
        assert!(parts[0].exposure > 0.0 && parts[0].exposure < 1.0);
        assert!(is_metered(&biases, 1) && !is_metered(&biases, 2));
    }
}
