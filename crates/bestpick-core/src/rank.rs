//! Picking the best frame of each group, relative to the group, and saying why in plain words.
//!
//! Each photo collects penalties, in units of roughly "stops" of damage, measured against its
//! group: detail lost against the sharpest well-exposed frame, exposure away from the group,
//! more clipping, more noise, heavy compression, misfires. The lowest total wins. Reasons are a
//! [`Reason`] enum rendered to words in one place, so every front end says the same thing.

use serde::{Deserialize, Serialize};

use crate::faces::{EyeState, Face};
use crate::group::Group;
use crate::signals::{Misfire, Signals};
use bestpick_faces::EAR_OPEN_MIN;

/// What ranking needs of one photo.
#[derive(Debug, Clone, Copy)]
pub struct RankInput<'a> {
    /// The photo's signals.
    pub signals: &'a Signals,
    /// Its faces, when faces were analyzed.
    pub faces: Option<&'a [Face]>,
}

/// The face facts of one frame, judged against the same faces in the other frames of its group.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct FaceSummary {
    /// Salient faces in the frame.
    faces: u32,
    /// Salient faces with closed eyes (or a blink: openness well below the same face's best
    /// in the group).
    eyes_closed: u32,
    /// Mean face sharpness lost against the same face's sharpest frame, 0..=1.
    sharpness_loss: f32,
}

/// One salient face, in frame-relative units.
struct FaceBrief {
    cx: f32,
    cy: f32,
    w: f32,
    openness: Option<f32>,
    closed: bool,
    sharpness: f32,
}

/// Faces smaller than this share of the largest face in the frame are bystanders.
const SALIENT_SHARE: f32 = 0.35;
/// A face's openness below this share of its own best in the group is a blink.
const BLINK_SHARE: f32 = 0.65;

fn briefs(signals: &Signals, faces: &[Face]) -> Vec<FaceBrief> {
    let long = signals.width.max(signals.height).max(1) as f32;
    let largest = faces.iter().map(|f| f.bbox[2]).fold(0.0f32, f32::max);
    let mut out: Vec<FaceBrief> = faces
        .iter()
        .filter(|f| f.bbox[2] >= (SALIENT_SHARE * largest).max(0.015 * long))
        .map(|f| {
            let open: Vec<f32> = f.openness.iter().flatten().copied().collect();
            FaceBrief {
                cx: (f.bbox[0] + f.bbox[2] / 2.0) / long,
                cy: (f.bbox[1] + f.bbox[3] / 2.0) / long,
                w: f.bbox[2] / long,
                openness: (!open.is_empty()).then(|| open.iter().sum::<f32>() / open.len() as f32),
                closed: matches!(f.eyes, EyeState::Closed | EyeState::OneClosed),
                sharpness: f.sharpness,
            }
        })
        .collect();
    out.truncate(8);
    out
}

/// The same person in two frames of a burst: about the same place and size.
fn same_face(a: &FaceBrief, b: &FaceBrief) -> bool {
    let tol = 0.6 * a.w.max(b.w);
    (a.cx - b.cx).abs() < tol
        && (a.cy - b.cy).abs() < tol
        && (a.w / b.w.max(1e-6)).clamp(0.0, 10.0) > 0.6
        && (b.w / a.w.max(1e-6)) > 0.6
}

/// Face facts per frame. References (a face's usual openness, its best sharpness) come from
/// the `clean` frames only: over-exposure and noise fake face detail, and a blurred face gives
/// an unreliable eyelid reading.
fn face_summaries(
    inputs: &[RankInput<'_>],
    members: &[usize],
    clean: &[bool],
) -> Vec<Option<FaceSummary>> {
    let frames: Vec<Option<Vec<FaceBrief>>> = members
        .iter()
        .map(|&m| inputs[m].faces.map(|f| briefs(inputs[m].signals, f)))
        .collect();
    frames
        .iter()
        .map(|frame| {
            let faces = frame.as_ref()?;
            if faces.is_empty() {
                return Some(FaceSummary::default());
            }
            let (mut closed, mut loss) = (0u32, 0f32);
            for a in faces {
                // The same face in the clean frames of the burst.
                let same: Vec<&FaceBrief> = frames
                    .iter()
                    .zip(clean)
                    .filter(|&(_, &c)| c)
                    .filter_map(|(other, _)| other.as_ref()?.iter().find(|b| same_face(a, b)))
                    .collect();
                let best_sharp = same.iter().map(|b| b.sharpness).fold(0.0f32, f32::max);
                let mut opens: Vec<f32> = same
                    .iter()
                    .filter(|b| b.sharpness >= 0.5 * best_sharp)
                    .filter_map(|b| b.openness)
                    .collect();
                opens.sort_by(f32::total_cmp);
                let usual = if opens.is_empty() {
                    0.0
                } else {
                    opens[opens.len() / 2]
                };
                // A blink: eyes reading well below this face's usual openness in the burst.
                let blink = match a.openness {
                    Some(o) => usual >= EAR_OPEN_MIN && o < BLINK_SHARE * usual,
                    None => false,
                };
                if a.closed || blink {
                    closed += 1;
                }
                if best_sharp > 0.0 {
                    loss += (1.0 - a.sharpness / best_sharp).clamp(0.0, 1.0);
                }
            }
            Some(FaceSummary {
                faces: faces.len() as u32,
                eyes_closed: closed,
                sharpness_loss: loss / faces.len() as f32,
            })
        })
        .collect()
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
}

/// A reason, rendered to words by its `Display`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// The sharpest of a group of `of` frames.
    SharpestOf {
        /// Group size.
        of: usize,
    },
    /// The best balance of the group's frames (when it is not the sharpest).
    BestOf {
        /// Group size.
        of: usize,
    },
    /// Less detail than the best frame, evenly in all directions.
    OutOfFocus {
        /// Detail lost, in stops.
        stops: f32,
    },
    /// Less detail, lost mostly along one direction.
    MotionBlur {
        /// Detail lost, in stops.
        stops: f32,
    },
    /// A little less detail than the best frame.
    SlightlySoft,
    /// Soft judged on its own (single photos).
    Blurry,
    /// Darker than the group.
    Darker {
        /// Stops.
        stops: f32,
    },
    /// Brighter than the group.
    Brighter {
        /// Stops.
        stops: f32,
    },
    /// Dark judged on its own.
    Underexposed,
    /// Bright judged on its own.
    Overexposed,
    /// Blown highlights.
    HighlightsClipped {
        /// Percent of the frame.
        percent: f32,
    },
    /// Crushed shadows.
    ShadowsClipped {
        /// Percent of the frame.
        percent: f32,
    },
    /// More noise than the group.
    Noisier {
        /// Times the group's noise.
        times: f32,
    },
    /// Visible noise judged on its own.
    Noisy,
    /// Heavy JPEG compression.
    Compressed {
        /// Estimated JPEG quality.
        quality: u8,
    },
    /// Not a real photo.
    Misfire {
        /// Which kind.
        what: Misfire,
    },
    /// Someone blinked.
    EyesClosed {
        /// Faces with closed eyes.
        closed: u32,
        /// Salient faces.
        faces: u32,
    },
    /// Faces are sharp (best frame of a group with faces).
    FacesSharp,
    /// The faces are softer than in the best frame.
    FacesSoft,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stops = |s: f32| {
            let r = (s * 2.0).round() / 2.0;
            if (r - 1.0).abs() < 0.01 {
                "1 stop".to_string()
            } else {
                format!("{} stops", trim(r))
            }
        };
        match self {
            Reason::SharpestOf { of } => write!(f, "sharpest of {of}"),
            Reason::BestOf { of } => write!(f, "best balance of focus and exposure of {of}"),
            Reason::OutOfFocus { stops: s } => {
                write!(f, "out of focus ({} less detail than the best)", stops(*s))
            }
            Reason::MotionBlur { stops: s } => {
                write!(f, "motion blur ({} less detail than the best)", stops(*s))
            }
            Reason::SlightlySoft => write!(f, "slightly softer than the best"),
            Reason::Blurry => write!(f, "blurry"),
            Reason::Darker { stops: s } => write!(f, "{} darker than the group", stops(*s)),
            Reason::Brighter { stops: s } => write!(f, "{} brighter than the group", stops(*s)),
            Reason::Underexposed => write!(f, "underexposed"),
            Reason::Overexposed => write!(f, "overexposed"),
            Reason::HighlightsClipped { percent } => {
                write!(f, "highlights clipped {}%", pct(*percent))
            }
            Reason::ShadowsClipped { percent } => write!(f, "shadows clipped {}%", pct(*percent)),
            Reason::Noisier { times } => write!(
                f,
                "noisier than the group ({}× the noise)",
                trim((times * 10.0).round() / 10.0)
            ),
            Reason::Noisy => write!(f, "noisy"),
            Reason::Compressed { quality } => {
                write!(f, "heavy JPEG compression (quality ~{quality})")
            }
            Reason::Misfire { what } => match what {
                Misfire::Black => write!(f, "misfire: black frame"),
                Misfire::White => write!(f, "misfire: blown-out frame"),
                Misfire::ExtremeBlur => write!(f, "misfire: no detail at all"),
            },
            Reason::EyesClosed { closed, faces } => {
                if *faces <= 1 {
                    write!(f, "eyes closed")
                } else {
                    write!(f, "eyes closed ({closed} of {faces} faces)")
                }
            }
            Reason::FacesSharp => write!(f, "faces sharp"),
            Reason::FacesSoft => write!(f, "faces softer than in the best frame"),
        }
    }
}

fn trim(v: f32) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

fn pct(fraction: f32) -> String {
    let p = fraction * 100.0;
    if p < 10.0 {
        trim((p * 10.0).round() / 10.0)
    } else {
        format!("{}", p.round() as i32)
    }
}

/// Weights turning each kind of damage into penalty units of about one "clearly worse" step:
/// one stop of exposure error, one stop of lost detail, a doubling of noise, and so on.
const EXPOSURE_WEIGHT: f32 = 0.8;
const BLUR_WEIGHT: f32 = 0.6;
const NOISE_WEIGHT: f32 = 0.7;
const COMPRESSION_WEIGHT: f32 = 0.7;
/// Per unit fraction of the frame clipped beyond the group's typical frame.
const HIGHLIGHT_WEIGHT: f32 = 6.0;
const SHADOW_WEIGHT: f32 = 4.0;

/// Penalty of a misfire: it should sink to the bottom of any group.
const MISFIRE_PENALTY: f32 = 8.0;
/// A frame with eyes closed loses to any frame with open eyes.
const EYES_CLOSED_PENALTY: f32 = 4.0;
/// Frames at or above this penalty are flagged as reject candidates.
const REJECT_PENALTY: f32 = 3.0;
/// Added to sharpness values before ratios, so that near-zero values do not explode.
const SHARP_EPS: f32 = 0.003;
const COARSE_EPS: f32 = 0.02;

#[derive(Debug, Clone, Default)]
struct Parts {
    blur: f32,
    exposure: f32,
    clipping: f32,
    noise: f32,
    compression: f32,
    misfire: f32,
    eyes: f32,
    faces: f32,
    reasons: Vec<(f32, Reason)>,
}

impl Parts {
    fn others(&self) -> f32 {
        self.exposure + self.clipping + self.noise + self.compression + self.misfire
    }

    fn total(&self) -> f32 {
        self.blur + self.others() + self.eyes + self.faces
    }
}

/// Frame detail used for comparison: the geometric mean of whole-frame and peak sharpness.
fn detail(s: &Signals) -> f32 {
    (s.sharpness.max(0.0) * s.peak_sharpness.max(0.0)).sqrt()
}

/// Ranks every group. Returns one [`Ranked`] per input photo, in input order.
pub fn rank(inputs: &[RankInput<'_>], groups: &[Group]) -> Vec<Ranked> {
    let mut out: Vec<Option<Ranked>> = vec![None; inputs.len()];
    for g in groups {
        for (idx, ranked) in rank_group(inputs, &g.members) {
            out[idx] = Some(ranked);
        }
    }
    out.into_iter()
        .map(|r| {
            r.unwrap_or(Ranked {
                score: 0.0,
                rank: 1,
                best: true,
                reject_candidate: false,
                reasons: Vec::new(),
            })
        })
        .collect()
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

fn rank_group(inputs: &[RankInput<'_>], members: &[usize]) -> Vec<(usize, Ranked)> {
    let n = members.len();
    let sig = |i: usize| inputs[members[i]].signals;
    let mut parts: Vec<Parts> = (0..n).map(|_| Parts::default()).collect();

    // Exposure, clipping, noise, compression, misfires: against the group's typical frame (the
    // median: in a burst most frames share exposure and noise; blurred frames read as less noisy
    // and less clipped, so the minimum would be a biased reference).
    let ev_ref = median((0..n).map(|i| sig(i).exposure_ev).collect());
    let hl_ref = median((0..n).map(|i| sig(i).clipped_highlights).collect());
    let sh_ref = median((0..n).map(|i| sig(i).clipped_shadows).collect());
    let noise_ref = median((0..n).map(|i| sig(i).noise).collect()).max(1.0);
    for (i, p) in parts.iter_mut().enumerate() {
        let s = sig(i);
        if n > 1 {
            let d = s.exposure_ev - ev_ref;
            p.exposure = (d.abs() - 0.25).max(0.0) * EXPOSURE_WEIGHT;
            if d.abs() >= 0.3 {
                let r = if d < 0.0 {
                    Reason::Darker { stops: -d }
                } else {
                    Reason::Brighter { stops: d }
                };
                p.reasons.push((p.exposure + 0.01, r));
            }
        } else if s.mean_luma < 35.0 && s.clipped_highlights < 0.01 {
            p.exposure = 1.0;
            p.reasons.push((1.0, Reason::Underexposed));
        } else if s.mean_luma > 215.0 {
            p.exposure = 1.0;
            p.reasons.push((1.0, Reason::Overexposed));
        }
        let hl_extra = s.clipped_highlights - if n > 1 { hl_ref } else { 0.0 };
        let sh_extra = s.clipped_shadows - if n > 1 { sh_ref } else { 0.0 };
        p.clipping = (hl_extra - 0.005).max(0.0) * HIGHLIGHT_WEIGHT
            + (sh_extra - 0.01).max(0.0) * SHADOW_WEIGHT;
        if s.clipped_highlights >= 0.01 && hl_extra >= 0.005 {
            p.reasons.push((
                hl_extra * HIGHLIGHT_WEIGHT,
                Reason::HighlightsClipped {
                    percent: s.clipped_highlights,
                },
            ));
        }
        if s.clipped_shadows >= 0.02 && sh_extra >= 0.01 {
            p.reasons.push((
                sh_extra * 4.0,
                Reason::ShadowsClipped {
                    percent: s.clipped_shadows,
                },
            ));
        }
        if n > 1 {
            let noise_stops = (s.noise / noise_ref).log2();
            p.noise = (noise_stops - 0.4).max(0.0) * NOISE_WEIGHT;
            if noise_stops >= 0.6 {
                p.reasons.push((
                    p.noise,
                    Reason::Noisier {
                        times: s.noise / noise_ref,
                    },
                ));
            }
        } else if s.noise > 6.0 {
            p.noise = 0.5;
            p.reasons.push((0.5, Reason::Noisy));
        }
        if let Some(q) = s.jpeg_quality.filter(|&q| q < 75) {
            p.compression = (75.0 / f32::from(q.max(1))).log2() * COMPRESSION_WEIGHT;
            p.reasons
                .push((p.compression, Reason::Compressed { quality: q }));
        }
        if let Some(m) = s.misfire {
            p.misfire = MISFIRE_PENALTY;
            p.reasons
                .push((MISFIRE_PENALTY + 1.0, Reason::Misfire { what: m }));
        }
    }

    // Detail: against the sharpest frame among those without other damage (over-exposure and
    // noise can fake detail; such frames must not set the bar).
    let min_other = parts.iter().map(Parts::others).fold(f32::MAX, f32::min);
    let clean: Vec<usize> = (0..n)
        .filter(|&i| parts[i].others() <= min_other + 0.5)
        .collect();
    let best_detail = clean.iter().map(|&i| detail(sig(i))).fold(0.0f32, f32::max);
    let best_coarse = clean
        .iter()
        .map(|&i| sig(i).coarse_sharpness)
        .fold(0.0f32, f32::max);
    let reference = clean
        .iter()
        .copied()
        .max_by(|&a, &b| detail(sig(a)).total_cmp(&detail(sig(b))))
        .unwrap_or(0);
    let ref_dir = sig(reference).detail_direction;
    for (i, p) in parts.iter_mut().enumerate() {
        let s = sig(i);
        if n == 1 {
            if s.misfire.is_none() && s.peak_sharpness < 0.01 && s.coarse_sharpness < 0.15 {
                p.blur = 1.0;
                p.reasons.push((1.0, Reason::Blurry));
            }
            continue;
        }
        // Fine detail says little when noise or compression dominates the frame (the noise
        // floor removed with the noise takes the detail with it; quantization zeroes it): then
        // lean on detail at 1/8 scale, where noise averages out.
        let noise_ratio = s.noise / noise_ref;
        let mut trust = if noise_ratio > 1.5 {
            (1.5 / noise_ratio).powi(2)
        } else {
            1.0
        };
        if let Some(q) = s.jpeg_quality.filter(|&q| q < 50) {
            trust *= (f32::from(q) / 50.0).powi(2);
        }
        let fine = ((best_detail + SHARP_EPS) / (detail(s) + SHARP_EPS))
            .log2()
            .max(0.0);
        // One stop at 1/8 scale is much more blur than one stop of fine detail.
        let coarse = ((best_coarse + COARSE_EPS) / (s.coarse_sharpness + COARSE_EPS))
            .log2()
            .max(0.0)
            * 3.0;
        // Detail lost in the worst direction: motion blur spares edges along the motion, so the
        // frame-wide measure understates it; the direction that lost its share says how much.
        let directional = (0..2)
            .map(|k| (ref_dir[k].max(1e-3) / s.detail_direction[k].max(1e-3)).log2())
            .fold(0.0f32, f32::max)
            .min(4.0);
        let deficit =
            trust * (fine + 0.5 * directional) + (1.0 - trust) * coarse + trust * 0.5 * coarse;
        p.blur = (deficit - 0.3).max(0.0) * BLUR_WEIGHT;
        if deficit >= 1.0 {
            // Motion: detail along x and along y lost unequally, or the diagonal kept more than
            // the axes (motion at about 45 degrees). Defocus loses all directions alike.
            let rh = s.detail_direction[0] / ref_dir[0].max(1e-3);
            let rv = s.detail_direction[1] / ref_dir[1].max(1e-3);
            let rd = s.detail_direction[2] / ref_dir[2].max(1e-3);
            let uneven = rh.min(rv) / rh.max(rv).max(1e-3) < 0.55;
            let diagonal = trust > 0.5 && rd > 1.6;
            let r = if uneven || diagonal {
                Reason::MotionBlur { stops: deficit }
            } else {
                Reason::OutOfFocus { stops: deficit }
            };
            p.reasons.push((p.blur, r));
        } else if deficit >= 0.5 {
            p.reasons.push((p.blur, Reason::SlightlySoft));
        }
    }

    // Faces: closed eyes lose to open eyes; with faces, face sharpness matters most.
    let is_clean: Vec<bool> = (0..n).map(|i| clean.contains(&i)).collect();
    let faces = face_summaries(inputs, members, &is_clean);
    let any_open = faces
        .iter()
        .flatten()
        .any(|f| f.faces > 0 && f.eyes_closed == 0);
    for (i, p) in parts.iter_mut().enumerate() {
        let Some(f) = faces[i].filter(|f| f.faces > 0) else {
            continue;
        };
        if f.eyes_closed > 0 {
            p.eyes = if any_open || n == 1 {
                EYES_CLOSED_PENALTY
            } else {
                1.0
            };
            p.reasons.push((
                p.eyes + 0.5,
                Reason::EyesClosed {
                    closed: f.eyes_closed,
                    faces: f.faces,
                },
            ));
        }
        if n > 1 {
            // Face focus outweighs background focus.
            p.blur *= 0.5;
            p.faces = (f.sharpness_loss - 0.05).max(0.0) * 5.0;
            if f.sharpness_loss >= 0.15 {
                p.reasons.push((p.faces, Reason::FacesSoft));
            }
        }
    }

    // Order: lowest penalty first; ties by more detail, then shooting order.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        parts[a]
            .total()
            .total_cmp(&parts[b].total())
            .then_with(|| detail(sig(b)).total_cmp(&detail(sig(a))))
            .then_with(|| a.cmp(&b))
    });
    // "Sharpest" means most real detail: among the frames whose detail is not inflated by
    // clipping, noise or compression (the same frames that set the reference above).
    let sharpest = (n > 1).then_some(reference);
    let mut result = Vec::with_capacity(n);
    for (pos, &i) in order.iter().enumerate() {
        let p = &mut parts[i];
        let total = p.total();
        let mut reasons: Vec<(f32, Reason)> = std::mem::take(&mut p.reasons);
        if pos == 0 && n > 1 {
            let sharp_faces = faces[i]
                .is_some_and(|f| f.faces > 0 && f.eyes_closed == 0 && f.sharpness_loss < 0.05);
            if sharp_faces {
                reasons.push((100.0, Reason::FacesSharp));
            }
            let lead = if Some(i) == sharpest {
                Reason::SharpestOf { of: n }
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
                reject_candidate: total >= REJECT_PENALTY || p.misfire > 0.0,
                reasons: reasons.into_iter().map(|(_, r)| r).collect(),
            },
        ));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_plain_words() {
        let cases = [
            (Reason::SharpestOf { of: 7 }, "sharpest of 7"),
            (
                Reason::HighlightsClipped { percent: 0.12 },
                "highlights clipped 12%",
            ),
            (
                Reason::HighlightsClipped { percent: 0.034 },
                "highlights clipped 3.4%",
            ),
            (
                Reason::MotionBlur { stops: 1.9 },
                "motion blur (2 stops less detail than the best)",
            ),
            (
                Reason::Darker { stops: 2.04 },
                "2 stops darker than the group",
            ),
            (
                Reason::Brighter { stops: 1.1 },
                "1 stop brighter than the group",
            ),
            (
                Reason::Noisier { times: 2.46 },
                "noisier than the group (2.5× the noise)",
            ),
            (
                Reason::EyesClosed {
                    closed: 1,
                    faces: 3,
                },
                "eyes closed (1 of 3 faces)",
            ),
            (
                Reason::Compressed { quality: 35 },
                "heavy JPEG compression (quality ~35)",
            ),
        ];
        for (reason, words) in cases {
            assert_eq!(reason.to_string(), words, "{reason:?}");
        }
    }
}

#[cfg(test)]
mod face_tests {
    use super::*;
    use crate::faces::{EyeState, Face};
    use crate::group::Group;

    fn signals(detail: f32) -> Signals {
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

    fn face(x: f32, openness: f32, sharpness: f32) -> Face {
        let state = if openness < 0.15 {
            EyeState::Closed
        } else if openness > 0.175 {
            EyeState::Open
        } else {
            EyeState::Uncertain
        };
        Face {
            bbox: [x, 200.0, 150.0, 150.0],
            score: 0.9,
            eyes: state,
            openness: [Some(openness), Some(openness)],
            eye_states: [state, state],
            sharpness,
            looking_at_camera: true,
            pose: [0.0, 0.0],
            landmarks: Default::default(),
        }
    }

    fn rank_frames(frames: &[(Signals, Vec<Face>)]) -> Vec<Ranked> {
        let inputs: Vec<RankInput<'_>> = frames
            .iter()
            .map(|(s, f)| RankInput {
                signals: s,
                faces: Some(f.as_slice()),
            })
            .collect();
        let group = Group {
            id: 1,
            members: (0..frames.len()).collect(),
        };
        rank(&inputs, &[group])
    }

    #[test]
    fn a_blink_is_never_the_pick_when_open_eyes_exist() {
        // Frame 0 is a little sharper, but one of its two people blinked.
        let frames = vec![
            (
                signals(0.30),
                vec![face(100.0, 0.28, 0.60), face(600.0, 0.08, 0.60)],
            ),
            (
                signals(0.27),
                vec![face(102.0, 0.29, 0.58), face(601.0, 0.27, 0.58)],
            ),
            (
                signals(0.25),
                vec![face(99.0, 0.27, 0.55), face(598.0, 0.28, 0.56)],
            ),
        ];
        let r = rank_frames(&frames);
        assert!(r[1].best, "{r:?}");
        assert!(
            r[0].reasons.contains(&Reason::EyesClosed {
                closed: 1,
                faces: 2
            }),
            "{:?}",
            r[0].reasons
        );
        assert_eq!(r[0].reasons[0].to_string(), "eyes closed (1 of 2 faces)");
    }

    #[test]
    fn a_drop_in_one_face_openness_across_the_burst_is_a_blink() {
        // 0.16 is "can't tell" on its own, but this face usually reads 0.30: it blinked.
        let frames = vec![
            (signals(0.30), vec![face(100.0, 0.16, 0.60)]),
            (signals(0.28), vec![face(101.0, 0.30, 0.58)]),
            (signals(0.28), vec![face(100.0, 0.31, 0.58)]),
        ];
        let r = rank_frames(&frames);
        assert!(!r[0].best);
        assert!(
            r[0].reasons
                .iter()
                .any(|x| matches!(x, Reason::EyesClosed { .. })),
            "{:?}",
            r[0].reasons
        );
    }

    #[test]
    fn face_focus_outweighs_background_focus() {
        // Frame 0: crisp background, soft face. Frame 1: slightly softer background, sharp face.
        let frames = vec![
            (signals(0.40), vec![face(100.0, 0.3, 0.35)]),
            (signals(0.33), vec![face(100.0, 0.3, 0.60)]),
        ];
        let r = rank_frames(&frames);
        assert!(r[1].best, "{r:?}");
        assert!(r[1].reasons.contains(&Reason::FacesSharp));
        assert!(r[0].reasons.contains(&Reason::FacesSoft));
    }
}
