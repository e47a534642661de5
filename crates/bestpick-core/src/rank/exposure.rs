//! Exposure, clipping, noise, compression and misfires, each judged against the group's
//! typical frame (the median: in a burst most frames share exposure and noise; blurred frames
//! read as less noisy and less clipped, so the minimum would be a biased reference). A photo
//! alone is judged on its own.

use super::{Parts, Reason, detail::detail, median};
use crate::signals::{LEVEL_GAMMA, Signals};

/// One stop of exposure error costs this much (beyond [`EXPOSURE_TOLERANCE`]).
const EXPOSURE_WEIGHT: f32 = 0.8;
/// Exposure differences up to this many stops cost nothing (metering jitter).
const EXPOSURE_TOLERANCE: f32 = 0.25;
/// From this many stops away from the group, the difference is worded.
const EXPOSURE_WORDED: f32 = 0.3;
/// Block-mean levels read as exposed (neither blown nor black) when the levels of a brighter
/// frame and the group's typical frame at the same quantile are compared (see
/// [`matched_shift`]).
const MATCHED_LEVELS: (f32, f32) = (8.0, 240.0);
/// At least this many of the quantiles 5 %, 10 % … 95 % must be exposed in both frames.
const MATCHED_MIN_QUANTILES: usize = 3;
/// A photo alone darker than this mean level (and without highlights) is underexposed.
const UNDEREXPOSED_LUMA: f32 = 35.0;
/// A photo alone brighter than this mean level is overexposed.
const OVEREXPOSED_LUMA: f32 = 215.0;

/// Per unit fraction of the frame clipped beyond the group's typical frame.
const HIGHLIGHT_WEIGHT: f32 = 6.0;
const SHADOW_WEIGHT: f32 = 4.0;
/// Extra clipped share that costs nothing (highlights, shadows).
const HIGHLIGHT_TOLERANCE: f32 = 0.005;
const SHADOW_TOLERANCE: f32 = 0.01;
/// Clipped shares worth wording (highlights, shadows), when also beyond the tolerance.
const HIGHLIGHT_WORDED: f32 = 0.01;
const SHADOW_WORDED: f32 = 0.02;

/// One doubling of noise (beyond [`NOISE_TOLERANCE_STOPS`]) costs this much.
const NOISE_WEIGHT: f32 = 0.7;
const NOISE_TOLERANCE_STOPS: f32 = 0.4;
/// From this many doublings over the group, "noisier than the group" is worded.
const NOISE_WORDED_STOPS: f32 = 0.6;
/// A photo alone with more noise than this (levels) is noisy.
const NOISY_ALONE: f32 = 6.0;
/// Frames whose noise is within this factor of the group's reference are equally clean.
pub(super) const NOISE_COMPARABLE: f32 = 1.5;
/// Frames that kept at least this share of the group's best fine detail, and were not heavily
/// compressed, set the noise reference: blur and compression take the noise away with the
/// detail, and a frame drowned in noise keeps none.
const NOISE_REFERENCE_DETAIL: f32 = 0.6;
/// Frames clipped (highlights or shadows) over this share of the frame beyond the group's
/// median do not set the detail bar of the noise reference: blown highlights and crushed
/// shadows make hard false edges, read as detail (a portrait brightened 2.5 stops read twice
/// its original's detail and set the bar alone).
const NOISE_REFERENCE_CLIPPED: f32 = 0.05;
/// Nor do frames exposed this many stops away from the group's median: their detail is read on
/// other blocks (a darker copy brings a blown sky's edges back into the reading; one read 2.6
/// times its original's detail).
const NOISE_REFERENCE_EV: f32 = 0.5;

/// One halving of JPEG quality below the reference costs this much: below
/// [`COMPRESSION_FROM`], or below the group's best quality when that is lower (a shoot saved at
/// quality 60 throughout has nothing to choose between on compression).
const COMPRESSION_WEIGHT: f32 = 0.7;
const COMPRESSION_FROM: u8 = 75;
/// "Heavy JPEG compression" is worded from this many halvings below the reference (quality 60
/// against 75): a few points of quality between frames are not worth a word.
const COMPRESSION_WORDED: f32 = 0.3;

/// Penalty of a misfire: it should sink to the bottom of any group.
const MISFIRE_PENALTY: f32 = 8.0;

/// The group's typical frame.
pub(super) struct References {
    /// Median exposure (EV).
    pub(super) ev: f32,
    /// Luma histogram of the frame with the median exposure (the lower of the two middle ones
    /// in an even group; see [`matched_shift`]) and that frame's EV.
    typical_histogram: Vec<u16>,
    typical_ev: f32,
    /// See [`noise_reference`].
    pub(super) noise: f32,
    /// Median clipped shares of the frames as clean as the cleanest.
    pub(super) highlights: f32,
    shadows: f32,
    /// The quality compression is judged against: [`COMPRESSION_FROM`], or the group's best
    /// JPEG quality when lower.
    pub(super) quality: u8,
}

impl References {
    pub(super) fn of(sigs: &[&Signals]) -> Self {
        let noise = noise_reference(sigs);
        // Clipping against the frames as clean as the cleanest: noise dithers a clipped sky
        // below white, so a noisy copy reads as less clipped than its clean original.
        let comparable: Vec<&&Signals> = sigs
            .iter()
            .filter(|s| s.noise <= NOISE_COMPARABLE * noise)
            .collect();
        let mut by_ev: Vec<&&Signals> = sigs.iter().collect();
        by_ev.sort_by(|a, b| a.exposure_ev.total_cmp(&b.exposure_ev));
        let typical = by_ev.get(by_ev.len().saturating_sub(1) / 2);
        Self {
            ev: median(sigs.iter().map(|s| s.exposure_ev).collect()),
            typical_histogram: typical.map(|s| s.histogram.clone()).unwrap_or_default(),
            typical_ev: typical.map_or(0.0, |s| s.exposure_ev),
            noise,
            highlights: median(comparable.iter().map(|s| s.clipped_highlights).collect()),
            shadows: median(comparable.iter().map(|s| s.clipped_shadows).collect()),
            quality: quality_reference(sigs),
        }
    }
}

/// The group's noise reference: the median noise of the frames that kept their detail (see
/// [`NOISE_REFERENCE_DETAIL`], against the best detail of the frames exposed like the group's
/// typical frame, [`NOISE_REFERENCE_CLIPPED`] and [`NOISE_REFERENCE_EV`]), at least 1 (a level
/// no eye sees). Not the median of all: two blurred or two noisy copies must not set the bar.
fn noise_reference(signals: &[&Signals]) -> f32 {
    let highlights = median(signals.iter().map(|s| s.clipped_highlights).collect());
    let shadows = median(signals.iter().map(|s| s.clipped_shadows).collect());
    let ev = median(signals.iter().map(|s| s.exposure_ev).collect());
    let best = signals
        .iter()
        .filter(|s| {
            s.clipped_highlights <= highlights + NOISE_REFERENCE_CLIPPED
                && s.clipped_shadows <= shadows + NOISE_REFERENCE_CLIPPED
                && (s.exposure_ev - ev).abs() <= NOISE_REFERENCE_EV
        })
        .map(|s| detail(s))
        .fold(0.0f32, f32::max);
    let kept: Vec<f32> = signals
        .iter()
        .filter(|s| detail(s) >= NOISE_REFERENCE_DETAIL * best)
        .filter(|s| s.jpeg_quality.is_none_or(|q| q >= 50))
        .map(|s| s.noise)
        .collect();
    let all = || signals.iter().map(|s| s.noise).collect();
    median(if kept.is_empty() { all() } else { kept }).max(1.0)
}

/// The group's compression reference: its best JPEG quality, at most [`COMPRESSION_FROM`]
/// (frames of unknown quality, not JPEGs, count as uncompressed). A photo alone is held to
/// [`COMPRESSION_FROM`].
fn quality_reference(signals: &[&Signals]) -> u8 {
    if signals.len() < 2 {
        return COMPRESSION_FROM;
    }
    signals
        .iter()
        .map(|s| s.jpeg_quality.unwrap_or(COMPRESSION_FROM))
        .max()
        .map_or(COMPRESSION_FROM, |q| q.min(COMPRESSION_FROM))
}

/// Exposure away from the group's median (in a group of `n`), or too dark or bright alone.
///
/// A brighter frame that blew more highlights than the group is compared level by level as
/// well (see [`matched_shift`]): its mean cannot rise past white, so its reading alone said
/// 0.4–2.1 stops for copies 2.5 stops brighter, and sank them less than a slightly soft frame.
/// Like the mean, the level-by-level reading takes a bright object that came into the frame
/// for a brighter exposure (a white wall over a fifth of it: 0.2–0.9 stops, the mean 0.1–2).
pub(super) fn judge_exposure(s: &Signals, refs: &References, n: usize, p: &mut Parts) {
    if n > 1 {
        let mut d = s.exposure_ev - refs.ev;
        if d > 0.0
            && s.clipped_highlights - refs.highlights >= HIGHLIGHT_TOLERANCE
            && let Some(matched) = matched_shift(&s.histogram, &refs.typical_histogram)
        {
            // From the typical frame to the group's median (they differ in an even group).
            d = d.max(matched + refs.typical_ev - refs.ev);
        }
        p.exposure = (d.abs() - EXPOSURE_TOLERANCE).max(0.0) * EXPOSURE_WEIGHT;
        if d.abs() >= EXPOSURE_WORDED {
            let r = if d < 0.0 {
                Reason::Darker { stops: -d }
            } else {
                Reason::Brighter { stops: d }
            };
            p.reason(p.exposure + 0.01, r);
        }
    } else if s.mean_luma < UNDEREXPOSED_LUMA && s.clipped_highlights < HIGHLIGHT_WORDED {
        p.exposure = 1.0;
        p.reason(1.0, Reason::Underexposed);
    } else if s.mean_luma > OVEREXPOSED_LUMA {
        p.exposure = 1.0;
        p.reason(1.0, Reason::Overexposed);
    }
}

/// The level at quantile `q` of a histogram of block means (64 bins of 4 levels), within its
/// bin by linear interpolation.
fn quantile_level(hist: &[u16], q: f32) -> Option<f32> {
    let total: f32 = hist.iter().map(|&c| f32::from(c)).sum();
    if total <= 0.0 {
        return None;
    }
    let bin_levels = 256.0 / hist.len() as f32;
    let target = q * total;
    let mut below = 0.0;
    for (i, &c) in hist.iter().enumerate() {
        let c = f32::from(c);
        if c > 0.0 && below + c >= target {
            return Some((i as f32 + (target - below) / c) * bin_levels);
        }
        below += c;
    }
    None
}

/// How many stops brighter the frame with histogram `frame` is than the one with `typical`,
/// read where both are exposed: the median, over the quantiles 5 %, 10 % … 95 % whose levels
/// are within [`MATCHED_LEVELS`] in both, of the linear ratio of the two levels. A brighter
/// exposure scales every linear level alike until white stops it; the levels it has not
/// blown tell the scale where the mean, held at white over the blown part, cannot.
fn matched_shift(frame: &[u16], typical: &[u16]) -> Option<f32> {
    const GAMMA: f32 = LEVEL_GAMMA as f32;
    let (lo, hi) = MATCHED_LEVELS;
    let shifts: Vec<f32> = (1..20)
        .filter_map(|k| {
            let q = k as f32 * 0.05;
            let (a, b) = (quantile_level(frame, q)?, quantile_level(typical, q)?);
            (a > lo && a < hi && b > lo && b < hi).then(|| GAMMA * (a / b).log2())
        })
        .collect();
    if shifts.len() < MATCHED_MIN_QUANTILES {
        return None;
    }
    Some(median(shifts))
}

/// More blown highlights or crushed shadows than the group's typical frame.
pub(super) fn judge_clipping(s: &Signals, refs: &References, n: usize, p: &mut Parts) {
    let (hl_ref, sh_ref) = if n > 1 {
        (refs.highlights, refs.shadows)
    } else {
        (0.0, 0.0)
    };
    let hl_extra = s.clipped_highlights - hl_ref;
    let sh_extra = s.clipped_shadows - sh_ref;
    p.clipping = (hl_extra - HIGHLIGHT_TOLERANCE).max(0.0) * HIGHLIGHT_WEIGHT
        + (sh_extra - SHADOW_TOLERANCE).max(0.0) * SHADOW_WEIGHT;
    if s.clipped_highlights >= HIGHLIGHT_WORDED && hl_extra >= HIGHLIGHT_TOLERANCE {
        p.reason(
            hl_extra * HIGHLIGHT_WEIGHT,
            Reason::HighlightsClipped {
                percent: s.clipped_highlights,
            },
        );
    }
    if s.clipped_shadows >= SHADOW_WORDED && sh_extra >= SHADOW_TOLERANCE {
        p.reason(
            sh_extra * SHADOW_WEIGHT,
            Reason::ShadowsClipped {
                percent: s.clipped_shadows,
            },
        );
    }
}

/// Noisier than the group's reference, or noisy alone.
pub(super) fn judge_noise(s: &Signals, refs: &References, n: usize, p: &mut Parts) {
    if n > 1 {
        let noise_stops = (s.noise / refs.noise).log2();
        p.noise = (noise_stops - NOISE_TOLERANCE_STOPS).max(0.0) * NOISE_WEIGHT;
        if noise_stops >= NOISE_WORDED_STOPS {
            p.reason(
                p.noise,
                Reason::Noisier {
                    times: s.noise / refs.noise,
                },
            );
        }
    } else if s.noise > NOISY_ALONE {
        p.noise = 0.5;
        p.reason(0.5, Reason::Noisy);
    }
}

/// Heavier JPEG compression than the group's reference (see [`References::quality`]; a photo
/// alone against [`COMPRESSION_FROM`]).
pub(super) fn judge_compression(s: &Signals, refs: &References, p: &mut Parts) {
    if let Some(q) = s.jpeg_quality.filter(|&q| q < refs.quality) {
        let halvings = (f32::from(refs.quality) / f32::from(q.max(1))).log2();
        p.compression = halvings * COMPRESSION_WEIGHT;
        if halvings >= COMPRESSION_WORDED {
            p.reason(p.compression, Reason::Compressed { quality: q });
        }
    }
}

/// Not a real photo: black, blown out, no detail at all.
pub(super) fn judge_misfire(s: &Signals, p: &mut Parts) {
    if let Some(m) = s.misfire {
        p.misfire = MISFIRE_PENALTY;
        p.reason(MISFIRE_PENALTY + 1.0, Reason::Misfire { what: m });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::test_support::signals;
    use crate::signals::Misfire;

    fn judged(
        frames: &[Signals],
        f: impl Fn(&Signals, &References, usize, &mut Parts),
    ) -> Vec<Parts> {
        let sigs: Vec<&Signals> = frames.iter().collect();
        let refs = References::of(&sigs);
        sigs.iter()
            .map(|s| {
                let mut p = Parts::default();
                f(s, &refs, sigs.len(), &mut p);
                p
            })
            .collect()
    }

    #[test]
    fn exposure_is_judged_against_the_group_median() {
        let mut frames = vec![signals(0.5); 4];
        frames[1].exposure_ev = 0.2;
        frames[3].exposure_ev = -1.5;
        let parts = judged(&frames, judge_exposure);
        assert_eq!(parts[1].exposure, 0.0, "metering jitter costs nothing");
        assert!(parts[3].exposure > 0.8, "{:?}", parts[3]);
        assert!(matches!(parts[3].reasons[..], [(_, Reason::Darker { stops })] if stops > 1.4));
    }

    /// Block-mean levels of a scene spread from dark to white, as the 64-bin histogram
    /// `signals` keeps, after an exposure change of `ev` stops in linear light (white stops it),
    /// with the mean EV and blown share it reads.
    fn exposed(ev: f32) -> (Vec<u16>, f32, f32) {
        let mut bins = [0u32; 64];
        let (mut lin_sum, mut blown) = (0f64, 0u32);
        let n = 2000;
        for i in 0..n {
            // Levels 10..=250, a third of them in the bright part (a sky).
            let level = if i % 3 == 0 {
                200.0 + 50.0 * (i as f32 / n as f32)
            } else {
                10.0 + 180.0 * (i as f32 / n as f32)
            };
            let lin = (level / 255.0).powf(LEVEL_GAMMA as f32) * 2f32.powf(ev);
            let out = (lin.min(1.0).powf(1.0 / LEVEL_GAMMA as f32) * 255.0).min(255.0);
            if out >= 250.0 {
                blown += 1;
            }
            lin_sum += f64::from((out / 255.0).powf(LEVEL_GAMMA as f32));
            bins[(out as usize / 4).min(63)] += 1;
        }
        let max = bins.iter().copied().max().unwrap_or(1);
        let hist = bins.iter().map(|&b| (b * 1000 / max) as u16).collect();
        let mean_ev = ((lin_sum / f64::from(n)) / 0.18).log2() as f32;
        (hist, mean_ev, blown as f32 / n as f32)
    }

    #[test]
    fn a_brighter_frame_that_blew_its_highlights_is_read_where_it_is_still_exposed() {
        let mut frames = vec![signals(0.5); 5];
        for (f, ev) in frames.iter_mut().zip([0.0, 0.0, 0.0, 0.8, 2.5]) {
            let (hist, mean_ev, blown) = exposed(ev);
            f.histogram = hist;
            f.exposure_ev = mean_ev;
            f.clipped_highlights = blown;
        }
        let mean_says = frames[4].exposure_ev - frames[0].exposure_ev;
        assert!(mean_says < 1.8, "the mean alone reads {mean_says} stops");
        let parts = judged(&frames, judge_exposure);
        let brighter = |p: &Parts| match p.reasons[..] {
            [(_, Reason::Brighter { stops })] => stops,
            _ => panic!("{p:?}"),
        };
        let (l1, l3) = (brighter(&parts[3]), brighter(&parts[4]));
        assert!((0.6..=1.0).contains(&l1), "0.8 stops read {l1}");
        assert!((2.2..=2.8).contains(&l3), "2.5 stops read {l3}");
        // A frame that blew a little more (the edge of something white) while its levels stayed
        // where they were keeps its mean's reading.
        let mut white_shirt = frames[0].clone();
        white_shirt.clipped_highlights += 0.05;
        white_shirt.exposure_ev += 0.1;
        let mut group = frames[..2].to_vec();
        group.push(white_shirt);
        let parts = judged(&group, judge_exposure);
        assert_eq!(parts[2].exposure, 0.0, "{:?}", parts[2]);
        assert_eq!(matched_shift(&frames[0].histogram, &[]), None);
    }

    #[test]
    fn a_photo_alone_is_judged_on_its_own_exposure() {
        let mut dark = signals(0.5);
        dark.mean_luma = 20.0;
        let parts = judged(&[dark], judge_exposure);
        assert!(matches!(parts[0].reasons[..], [(_, Reason::Underexposed)]));
    }

    #[test]
    fn extra_clipping_is_judged_against_the_clean_frames() {
        let mut frames = vec![signals(0.5); 3];
        for f in &mut frames {
            f.clipped_highlights = 0.02;
        }
        frames[1].clipped_highlights = 0.10;
        let parts = judged(&frames, judge_clipping);
        assert_eq!(parts[0].clipping, 0.0);
        assert!(parts[1].clipping > 0.4, "{:?}", parts[1]);
        assert!(matches!(
            parts[1].reasons[..],
            [(_, Reason::HighlightsClipped { .. })]
        ));
    }

    #[test]
    fn a_noisier_frame_is_worded_against_the_frames_that_kept_their_detail() {
        let mut frames = vec![signals(0.5); 6];
        // Three blurred frames read as clean; they must not set the bar.
        for f in &mut frames[3..] {
            f.sharpness = 0.1;
            f.peak_sharpness = 0.1;
            f.noise = 1.0;
        }
        frames[1].noise = 6.0;
        let parts = judged(&frames, judge_noise);
        assert!(
            matches!(parts[1].reasons[..], [(_, Reason::Noisier { times })] if (times - 3.0).abs() < 0.01),
            "{:?}",
            parts[1]
        );
        assert!(parts[0].reasons.is_empty());
    }

    #[test]
    fn a_blown_frame_does_not_set_the_noise_references_detail_bar() {
        // Blown highlights read as hard edges: the over-exposed copy reads twice the detail of
        // the rest. It must not be the only frame that "kept its detail" and so the noise
        // reference: against it the noisy copy would be as clean as the group.
        let mut frames = vec![signals(0.2); 5];
        frames[0].noise = 1.3;
        frames[1] = signals(0.45);
        frames[1].clipped_highlights = 0.18;
        frames[1].noise = 3.8;
        frames[2] = signals(0.18);
        frames[2].noise = 4.7;
        frames[3].noise = 0.7;
        frames[4].noise = 1.3;
        let parts = judged(&frames, judge_noise);
        assert!(
            matches!(parts[2].reasons[..], [(_, Reason::Noisier { times })] if times > 3.0),
            "{:?}",
            parts[2]
        );
        assert!(parts[0].reasons.is_empty(), "{:?}", parts[0]);
    }

    #[test]
    fn darker_copies_do_not_set_the_noise_references_detail_bar() {
        // A darker copy brings a blown sky's edges back into the detail reading: it reads more
        // detail than its original. Alone above the bar, the darker copies would set the noise
        // reference and call the original noisier than its own copies.
        let mut frames = vec![signals(0.2); 5];
        frames[0].noise = 2.0;
        for (k, ev) in [(1, -1.0), (2, -3.0)] {
            frames[k] = signals(0.5);
            frames[k].exposure_ev = ev;
            frames[k].noise = if k == 1 { 1.6 } else { 1.0 };
        }
        frames[3] = signals(0.19);
        frames[3].noise = 5.0;
        frames[4].noise = 2.0;
        let parts = judged(&frames, judge_noise);
        assert!(parts[0].reasons.is_empty(), "{:?}", parts[0]);
        assert!(
            matches!(parts[3].reasons[..], [(_, Reason::Noisier { .. })]),
            "{:?}",
            parts[3]
        );
    }

    #[test]
    fn heavy_compression_and_misfires_are_faults() {
        let mut s = signals(0.5);
        s.jpeg_quality = Some(30);
        s.misfire = Some(Misfire::Black);
        let refs = References::of(&[&s]);
        let mut p = Parts::default();
        judge_compression(&s, &refs, &mut p);
        judge_misfire(&s, &mut p);
        assert!(p.compression > 0.9 && p.misfire == MISFIRE_PENALTY, "{p:?}");
        assert_eq!(p.reasons.len(), 2);
    }

    fn compression(qualities: &[u8]) -> Vec<Parts> {
        let frames: Vec<Signals> = qualities
            .iter()
            .map(|&q| {
                let mut s = signals(0.5);
                s.jpeg_quality = Some(q);
                s
            })
            .collect();
        judged(&frames, |s, refs, _, p| judge_compression(s, refs, p))
    }

    #[test]
    fn compression_is_judged_against_the_group() {
        // A re-saved copy among the camera's originals: the fault it always was.
        let parts = compression(&[92, 35, 92]);
        assert!(parts[1].compression > 0.7, "{:?}", parts[1]);
        assert!(matches!(
            parts[1].reasons[..],
            [(_, Reason::Compressed { quality: 35 })]
        ));
        assert_eq!(parts[0].compression, 0.0);
        // A shoot saved at quality 60 throughout: nothing to choose between, nothing to say.
        let parts = compression(&[60, 60, 60]);
        assert!(
            parts
                .iter()
                .all(|p| p.compression == 0.0 && p.reasons.is_empty()),
            "{parts:?}"
        );
        // A few points of quality between frames cost a little and are not worded.
        let parts = compression(&[61, 58, 61]);
        assert!(
            parts[1].compression > 0.0 && parts[1].reasons.is_empty(),
            "{:?}",
            parts[1]
        );
        // Heavier than the group's own compression is still worded.
        let parts = compression(&[60, 30, 60]);
        assert!(matches!(
            parts[1].reasons[..],
            [(_, Reason::Compressed { quality: 30 })]
        ));
        // Alone, a photo is held to the usual bar.
        let parts = compression(&[60]);
        assert!(matches!(
            parts[0].reasons[..],
            [(_, Reason::Compressed { quality: 60 })]
        ));
    }
}
