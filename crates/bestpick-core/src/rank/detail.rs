//! Focus and motion blur: detail lost against the sharpest frame among those without other
//! damage (over-exposure and noise can fake detail; such frames must not set the bar).

use super::{Parts, REJECT_PENALTY, Reason};
use crate::signals::Signals;

/// One stop of lost detail (beyond [`BLUR_TOLERANCE_STOPS`]) costs this much.
const BLUR_WEIGHT: f32 = 0.6;
const BLUR_TOLERANCE_STOPS: f32 = 0.3;
/// From this many stops of lost detail a frame is worded out of focus or motion-blurred;
/// from [`SLIGHTLY_SOFT_STOPS`] "slightly softer".
const BLURRED_STOPS: f32 = 1.0;
const SLIGHTLY_SOFT_STOPS: f32 = 0.5;
/// From this many stops of lost detail (a sixteenth of the group's best left, the subject
/// too) a frame is unusable beside its sharp neighbours: a reject candidate, below every
/// frame that kept its detail — when the blur also shows at 1/8 scale (see
/// [`UNUSABLE_COARSE_STOPS`]). Below it, blur costs [`BLUR_WEIGHT`] a stop.
const UNUSABLE_STOPS: f32 = 4.0;
/// The detail at 1/8 scale a frame must have lost (stops) for [`UNUSABLE_STOPS`] to make it a
/// reject candidate: blur that shows when the whole photo is seen, not only at 100 %. The
/// finest detail is gone after a blur of a pixel or so, and then reads 3–4 stops down however
/// little more the picture lost (a 1.2-pixel blur: 0.7–3.8 stops fine, 0.05–0.25 at 1/8
/// scale; a 5-pixel blur: 3–7 fine, 0.8–1.5 at 1/8 scale, on 34 photos).
const UNUSABLE_COARSE_STOPS: f32 = 0.4;
/// A frame that lost this many stops of its detail at 1/8 scale is unusable whatever its fine
/// detail reads (a blur of many pixels on a photo with little fine detail to lose: 3.5 stops
/// fine, 0.9–1.0 at 1/8 scale), unless its sharpest region kept its detail (a shallower depth
/// of field). Frames of the real development bursts differ by at most 0.15 stops there.
const UNUSABLE_COARSE_ALONE_STOPS: f32 = 0.8;
/// Frames whose other damage is within this of the least damaged frame set the detail bar.
const CLEAN_MARGIN: f32 = 0.5;
/// Added to sharpness values before ratios, so that near-zero values do not explode.
const SHARP_EPS: f32 = 0.003;
const COARSE_EPS: f32 = 0.02;
/// Above this factor over the group's noise reference, fine detail is trusted less (see
/// [`judge_detail`]).
const NOISE_TRUSTED: f32 = 1.5;
/// Below this JPEG quality, fine detail is trusted less.
const QUALITY_TRUSTED: u8 = 50;
/// Motion blur: the weaker axis kept less than this share of the stronger axis's detail
/// (relative to the reference frame).
const MOTION_AXIS_RATIO: f32 = 0.55;
/// Motion at about 45 degrees: the diagonal kept this many times its share.
const MOTION_DIAGONAL_GAIN: f32 = 1.6;
/// An even blur (defocus) takes the diagonal detail first, its frequencies being the highest:
/// a frame that kept less than this share of its diagonal detail (relative to the reference)
/// is out of focus, whatever the little left along the axes does. A smear along an axis keeps
/// the detail across it, diagonals with it: 0.14–0.67 of their share in 68 motion-blurred
/// copies of 34 photos, against 0.01–0.05 for all but one of 34 copies blurred 5 pixels, whose
/// axes kept an uneven remnant in a third of them and read as motion blur.
const DEFOCUS_DIAGONAL_KEPT: f32 = 0.1;
/// A frame whose sharpest region (the subject: what the photographer focused on) kept its
/// detail within this many stops of the group's best is not out of focus, whatever its
/// background does (a shallower depth of field, a longer pan): at most "slightly softer".
const SUBJECT_KEPT_STOPS: f32 = 0.35;
/// ...and weighs this share of its blur penalty.
const SOFT_BACKGROUND_WEIGHT: f32 = 0.5;
/// The sharpest frame leads the next sharpest by less than this many stops: the frames are
/// alike in detail ("as sharp as any", not "sharpest"). About the reading's jitter between
/// consecutive frames of a still subject (0.00–0.07 stops in the real development bursts); a
/// visible difference in sharpness is several times it.
pub(super) const ALIKE_STOPS: f32 = 0.1;
/// A photo alone is blurry with less peak and coarse detail than these.
const BLURRY_PEAK: f32 = 0.01;
const BLURRY_COARSE: f32 = 0.15;

/// Frame detail used for comparison: the geometric mean of whole-frame and peak sharpness.
pub(super) fn detail(s: &Signals) -> f32 {
    (s.sharpness.max(0.0) * s.peak_sharpness.max(0.0)).sqrt()
}

/// The group's detail bar.
pub(super) struct References {
    /// Frames without other damage (see [`CLEAN_MARGIN`]), by position in the group.
    pub(super) clean: Vec<usize>,
    /// The sharpest clean frame.
    pub(super) reference: usize,
    pub(super) best_detail: f32,
    best_coarse: f32,
    /// The sharpest region's detail at its best among the clean frames.
    best_peak: f32,
    /// The reference frame's detail by direction.
    direction: [f32; 3],
}

impl References {
    /// The bar from the frames `sigs` after the other judgements (`parts`).
    pub(super) fn of(sigs: &[&Signals], parts: &[Parts]) -> Self {
        let min_other = parts.iter().map(Parts::others).fold(f32::MAX, f32::min);
        let clean: Vec<usize> = (0..sigs.len())
            .filter(|&i| parts[i].others() <= min_other + CLEAN_MARGIN)
            .collect();
        let reference = clean
            .iter()
            .copied()
            .max_by(|&a, &b| detail(sigs[a]).total_cmp(&detail(sigs[b])))
            .unwrap_or(0);
        Self {
            best_detail: clean
                .iter()
                .map(|&i| detail(sigs[i]))
                .fold(0.0f32, f32::max),
            best_coarse: clean
                .iter()
                .map(|&i| sigs[i].coarse_sharpness)
                .fold(0.0f32, f32::max),
            best_peak: clean
                .iter()
                .map(|&i| sigs[i].peak_sharpness)
                .fold(0.0f32, f32::max),
            direction: sigs.get(reference).map_or([0.0; 3], |s| s.detail_direction),
            clean,
            reference,
        }
    }
}

impl References {
    /// How far the sharpest clean frame leads the next sharpest clean frame, in stops of
    /// detail (`detail_of` gives a frame's [`detail`] by position); `None` when it is the only
    /// clean frame.
    pub(super) fn lead(&self, detail_of: impl Fn(usize) -> f32) -> Option<f32> {
        let next = self
            .clean
            .iter()
            .filter(|&&i| i != self.reference)
            .map(|&i| detail_of(i))
            .reduce(f32::max)?;
        Some(((detail_of(self.reference) + SHARP_EPS) / (next + SHARP_EPS)).log2())
    }
}

/// A photo alone: blurry when it has neither peak nor coarse detail.
pub(super) fn judge_single(s: &Signals, p: &mut Parts) {
    if s.misfire.is_none() && s.peak_sharpness < BLURRY_PEAK && s.coarse_sharpness < BLURRY_COARSE {
        p.blur = 1.0;
        p.reason(1.0, Reason::Blurry);
    }
}

/// What is known of a frame's subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Subject {
    /// Nothing but the frame: the sharpest region stands for the subject.
    SharpestRegion,
    /// The subject (its faces) lost detail against its sharpest frame.
    Soft,
}

/// Detail lost against the group's bar, in stops, and whether it looks like motion or defocus;
/// with the subject as sharp as the group's best (the sharpest region within
/// [`SUBJECT_KEPT_STOPS`], unless `subject` is known [`Subject::Soft`]), only "slightly softer".
/// `noise_ref` is the group's noise reference.
pub(super) fn judge_detail(
    s: &Signals,
    refs: &References,
    noise_ref: f32,
    subject: Subject,
    p: &mut Parts,
) {
    let trust = trust(s, noise_ref);
    let deficit = deficit(s, refs, trust);
    p.blur = (deficit - BLUR_TOLERANCE_STOPS).max(0.0) * BLUR_WEIGHT;
    let subject_lost = ((refs.best_peak + SHARP_EPS) / (s.peak_sharpness + SHARP_EPS)).log2();
    let subject_sharp =
        subject == Subject::SharpestRegion && trust > 0.5 && subject_lost < SUBJECT_KEPT_STOPS;
    if subject_sharp && deficit >= SLIGHTLY_SOFT_STOPS {
        p.blur *= SOFT_BACKGROUND_WEIGHT;
        p.reason(p.blur, Reason::SlightlySoft);
    } else if deficit >= BLURRED_STOPS {
        let coarse_lost = coarse_lost(s, refs);
        if (deficit >= UNUSABLE_STOPS && coarse_lost >= UNUSABLE_COARSE_STOPS)
            || coarse_lost >= UNUSABLE_COARSE_ALONE_STOPS
        {
            p.blur = p.blur.max(REJECT_PENALTY);
        }
        let r = if looks_like_motion(s, refs, trust) {
            Reason::MotionBlur { stops: deficit }
        } else {
            Reason::OutOfFocus { stops: deficit }
        };
        p.reason(p.blur, r);
    } else if deficit >= SLIGHTLY_SOFT_STOPS {
        p.reason(p.blur, Reason::SlightlySoft);
    }
}

/// Whether the frame lost its detail the way motion blur does (see [`looks_like_motion`]):
/// the eyelids of a face softened with it are smeared too. `noise_ref` is the group's noise
/// reference.
pub(super) fn smeared_by_motion(s: &Signals, refs: &References, noise_ref: f32) -> bool {
    looks_like_motion(s, refs, trust(s, noise_ref))
}

/// How far fine detail can be trusted, 0..=1: little when noise or compression dominates the
/// frame (the noise floor removed with the noise takes the detail with it; quantization zeroes
/// it).
fn trust(s: &Signals, noise_ref: f32) -> f32 {
    let noise_ratio = s.noise / noise_ref;
    let mut trust = if noise_ratio > NOISE_TRUSTED {
        (NOISE_TRUSTED / noise_ratio).powi(2)
    } else {
        1.0
    };
    if let Some(q) = s.jpeg_quality.filter(|&q| q < QUALITY_TRUSTED) {
        trust *= (f32::from(q) / f32::from(QUALITY_TRUSTED)).powi(2);
    }
    trust
}

/// Stops of detail lost: fine detail, and detail lost in the worst direction, weighted by
/// [`trust`]; detail at 1/8 scale (where noise averages out) fills in where fine detail is not
/// trusted.
fn deficit(s: &Signals, refs: &References, trust: f32) -> f32 {
    let fine = ((refs.best_detail + SHARP_EPS) / (detail(s) + SHARP_EPS))
        .log2()
        .max(0.0);
    // One stop at 1/8 scale is much more blur than one stop of fine detail.
    let coarse = coarse_lost(s, refs).max(0.0) * 3.0;
    // Detail lost in the worst direction: motion blur spares edges along the motion, so the
    // frame-wide measure understates it; the direction that lost its share says how much.
    let directional = (0..2)
        .map(|k| (refs.direction[k].max(1e-3) / s.detail_direction[k].max(1e-3)).log2())
        .fold(0.0f32, f32::max)
        .min(4.0);
    trust * (fine + 0.5 * directional) + (1.0 - trust) * coarse + trust * 0.5 * coarse
}

/// Stops of detail lost at 1/8 scale against the group's best (negative when more).
fn coarse_lost(s: &Signals, refs: &References) -> f32 {
    ((refs.best_coarse + COARSE_EPS) / (s.coarse_sharpness + COARSE_EPS)).log2()
}

/// Motion: detail along x and along y lost unequally, or the diagonal kept more than the axes
/// (motion at about 45 degrees). Defocus loses all directions alike.
fn looks_like_motion(s: &Signals, refs: &References, trust: f32) -> bool {
    let kept = |k: usize| s.detail_direction[k] / refs.direction[k].max(1e-3);
    let (rh, rv, rd) = (kept(0), kept(1), kept(2));
    let uneven =
        rh.min(rv) / rh.max(rv).max(1e-3) < MOTION_AXIS_RATIO && rd >= DEFOCUS_DIAGONAL_KEPT;
    let diagonal = trust > 0.5 && rd > MOTION_DIAGONAL_GAIN;
    uneven || diagonal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::test_support::signals;

    fn judged(frames: &[Signals]) -> Vec<Parts> {
        let sigs: Vec<&Signals> = frames.iter().collect();
        let mut parts = vec![Parts::default(); frames.len()];
        let refs = References::of(&sigs, &parts);
        for (s, p) in sigs.iter().zip(&mut parts) {
            judge_detail(s, &refs, 2.0, Subject::SharpestRegion, p);
        }
        parts
    }

    #[test]
    fn even_loss_is_out_of_focus_and_one_sided_loss_is_motion() {
        let mut frames = vec![signals(0.4); 3];
        frames[1].sharpness = 0.1;
        frames[1].peak_sharpness = 0.1;
        frames[1].coarse_sharpness = 0.6;
        frames[2] = frames[1].clone();
        frames[2].detail_direction = [0.6, 0.15, 0.1];
        let parts = judged(&frames);
        assert!(parts[0].reasons.is_empty());
        assert!(
            matches!(parts[1].reasons[..], [(_, Reason::OutOfFocus { stops })] if stops >= 2.0),
            "{:?}",
            parts[1]
        );
        assert!(
            matches!(parts[2].reasons[..], [(_, Reason::MotionBlur { .. })]),
            "{:?}",
            parts[2]
        );
    }

    #[test]
    fn an_even_blur_that_left_an_uneven_remnant_is_out_of_focus() {
        // Five pixels of defocus: the diagonal detail gone, and what little is left along the
        // axes happens to lean one way. A smear along an axis leaves the diagonals a share.
        let mut frames = vec![signals(0.4); 3];
        for f in &mut frames[1..] {
            f.sharpness = 0.4 / 100.0;
            f.peak_sharpness = 0.4 / 100.0;
            f.coarse_sharpness = 0.4;
        }
        frames[1].detail_direction = [0.73, 0.265, 0.005];
        frames[2].detail_direction = [0.75, 0.2, 0.05];
        let parts = judged(&frames);
        assert!(
            matches!(parts[1].reasons[..], [(_, Reason::OutOfFocus { .. })]),
            "{:?}",
            parts[1]
        );
        assert!(
            matches!(parts[2].reasons[..], [(_, Reason::MotionBlur { .. })]),
            "{:?}",
            parts[2]
        );
    }

    #[test]
    fn a_frame_with_a_sixteenth_of_the_detail_is_a_reject() {
        // 3 stops lost: blurred, ranked by how much; 4 stops and more, the blur showing at 1/8
        // scale too: unusable.
        let mut frames = vec![signals(0.4); 4];
        frames[1] = signals(0.4 / 8.0);
        frames[2] = signals(0.4 / 20.0);
        frames[1].coarse_sharpness = 0.9;
        frames[2].coarse_sharpness = 0.6;
        // The finest detail gone but the picture whole at 1/8 scale (a blur of about a pixel):
        // soft, not unusable.
        frames[3] = signals(0.4 / 20.0);
        frames[3].coarse_sharpness = 0.9;
        // Little fine detail lost, but half the detail at 1/8 scale: unusable.
        frames.push(signals(0.4 / 6.0));
        frames[4].coarse_sharpness = 0.45;
        let parts = judged(&frames);
        assert!(parts[4].blur >= REJECT_PENALTY, "{:?}", parts[4]);
        assert!(
            matches!(parts[3].reasons[..], [(_, Reason::OutOfFocus { stops })] if stops >= 4.0),
            "{:?}",
            parts[3]
        );
        assert!(parts[3].blur < REJECT_PENALTY, "{:?}", parts[3]);
        assert!(
            matches!(parts[1].reasons[..], [(_, Reason::OutOfFocus { stops })] if stops < 4.0),
            "{:?}",
            parts[1]
        );
        assert!(parts[1].blur < REJECT_PENALTY, "{:?}", parts[1]);
        assert!(
            matches!(parts[2].reasons[..], [(_, Reason::OutOfFocus { stops })] if stops >= 4.0),
            "{:?}",
            parts[2]
        );
        assert!(parts[2].blur >= REJECT_PENALTY, "{:?}", parts[2]);
    }

    #[test]
    fn a_shake_that_spared_the_sharpest_region_is_motion_blur_when_the_faces_softened() {
        // A sideways shake: 1.5 stops of the frame's detail gone, the vertical edges with it,
        // while the sharpest region's measure kept within 0.3 stops (the edges along the
        // shake survive).
        let mut frames = vec![signals(0.4); 3];
        frames[1].sharpness = 0.4 / 2.8;
        frames[1].peak_sharpness = 0.4 / 1.23;
        frames[1].detail_direction = [0.2, 0.72, 0.08];
        let sigs: Vec<&Signals> = frames.iter().collect();
        let parts = vec![Parts::default(); 3];
        let refs = References::of(&sigs, &parts);
        let mut by_region = Parts::default();
        judge_detail(
            &frames[1],
            &refs,
            2.0,
            Subject::SharpestRegion,
            &mut by_region,
        );
        let mut by_faces = Parts::default();
        judge_detail(&frames[1], &refs, 2.0, Subject::Soft, &mut by_faces);
        // Alone, the frame reads as a sharp subject over a softer background...
        assert!(
            matches!(by_region.reasons[..], [(_, Reason::SlightlySoft)]),
            "{by_region:?}"
        );
        // ...but its faces say the subject is not sharp: the shake is named, and costs more.
        assert!(
            matches!(by_faces.reasons[..], [(_, Reason::MotionBlur { stops })] if stops >= 1.0),
            "{by_faces:?}"
        );
        assert!(by_faces.blur > by_region.blur, "{by_faces:?} {by_region:?}");
    }

    #[test]
    fn a_noisy_frame_does_not_set_the_bar_through_fake_detail() {
        let mut frames = vec![signals(0.3); 2];
        frames[1].sharpness = 0.5;
        frames[1].peak_sharpness = 0.5;
        frames[1].noise = 12.0;
        let sigs: Vec<&Signals> = frames.iter().collect();
        let mut parts = vec![Parts::default(); 2];
        parts[1].noise = 1.5;
        let refs = References::of(&sigs, &parts);
        assert_eq!(refs.clean, vec![0]);
        assert_eq!(refs.reference, 0);
    }

    #[test]
    fn a_photo_alone_is_blurry_without_peak_or_coarse_detail() {
        let mut s = signals(0.005);
        s.coarse_sharpness = 0.1;
        let mut p = Parts::default();
        judge_single(&s, &mut p);
        assert!(matches!(p.reasons[..], [(_, Reason::Blurry)]));
    }
}
