//! Picking the best frame of each group, relative to the group, and saying why in plain words.
//!
//! Each photo collects penalties, in units of roughly "stops" of damage, measured against its
//! group: detail lost against the sharpest well-exposed frame, exposure away from the group,
//! more clipping, more noise, heavy compression, misfires. The lowest total wins. Reasons are a
//! [`Reason`] enum rendered to words in one place, so every front end says the same thing.

use serde::{Deserialize, Serialize};

use crate::faces::{EyeState, Face};
use crate::group::Group;
use crate::signals::{DESCRIPTOR_SIDE, Misfire, Signals};
use bestpick_faces::EAR_OPEN_MIN;

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

/// A set of frames that belong together and differ on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetKind {
    /// An exposure bracket: one moment at several exposure compensations (AEB), to merge or to
    /// choose from; its exposure differences are the point, not faults.
    Bracket,
}

/// A bracket has at most this many frames (cameras bracket 2 to 9).
const BRACKET_MAX_FRAMES: usize = 9;
/// The recorded exposure compensations of a bracket span at least this many EV.
const BRACKET_MIN_SPAN_EV: f64 = 0.9;

/// What kind of set the group `members` is, if any: an exposure bracket when at least two
/// thirds of its frames (and at least two) record an exposure compensation and those span
/// [`BRACKET_MIN_SPAN_EV`] or more, in at most [`BRACKET_MAX_FRAMES`] frames.
pub fn set_of(inputs: &[RankInput<'_>], members: &[usize]) -> Option<SetKind> {
    if members.len() < 2 || members.len() > BRACKET_MAX_FRAMES {
        return None;
    }
    let biases: Vec<f64> = members
        .iter()
        .filter_map(|&m| inputs[m].exposure_bias)
        .filter(|b| b.is_finite())
        .collect();
    let (lo, hi) = biases
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &b| (lo.min(b), hi.max(b)));
    (biases.len() >= 2 && 3 * biases.len() >= 2 * members.len() && hi - lo >= BRACKET_MIN_SPAN_EV)
        .then_some(SetKind::Bracket)
}

/// The face facts of one frame, judged against the same faces in the other frames of its group.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct FaceSummary {
    /// Salient faces in the frame.
    faces: u32,
    /// Salient faces with closed eyes (or a blink: openness far below the same face's open
    /// state in the group).
    eyes_closed: u32,
    /// Salient faces caught mid-blink: lids clearly lower than the same face's open state
    /// (see [`EyeJudgement::HalfClosed`]).
    eyes_half_closed: u32,
    /// Mean face sharpness lost against the same face's sharpest frame, 0..=1.
    sharpness_loss: f32,
    /// Salient faces narrower than [`MIN_JUDGED_FACE_PX`].
    small_faces: u32,
}

/// One salient face, in frame-relative units.
struct FaceBrief {
    cx: f32,
    cy: f32,
    w: f32,
    /// Eye aspect ratio per eye, `[left, right]`.
    openness: [Option<f32>; 2],
    closed: bool,
    sharpness: f32,
    /// Head pitch in degrees, positive = nose down.
    pitch: f32,
    /// Narrower than [`MIN_JUDGED_FACE_PX`]: eyes not judged, softness not worded.
    small: bool,
}

/// How one face's eyes are judged against the same person's open state in the burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EyeJudgement {
    /// As open as usual, or no reference to tell.
    Open,
    /// Mid-blink: the lids over about half the iris (closing or reopening).
    HalfClosed,
    /// Closed (absolutely, or far below the face's open state).
    Closed,
}

/// Faces smaller than this share of the largest face in the frame are bystanders.
const SALIENT_SHARE: f32 = 0.35;
/// A face's openness below this share of its own open state in the group is a blink.
const BLINK_SHARE: f32 = 0.65;
/// Below this share of its open state a face is half closed: the lids cover about half the
/// iris. The eyelid contour of the iris model reads a half-covered iris at about 0.6–0.8 of
/// the open aperture (it regresses towards an open eye), so the line sits at the top of that.
const HALF_CLOSED_SHARE: f32 = 0.80;
/// Right before or after a closed frame of the same face (a blink closing or reopening), a
/// smaller drop is enough: the lids are still on their way.
const HALF_CLOSED_NEAR_BLINK_SHARE: f32 = 0.84;
/// A face this narrow (image pixels) has eyes of about a dozen pixels: its eyelid readings are
/// too coarse to call a blink, and its sharpness reading too coarse to state "faces softer"
/// (it still weighs in the ranking).
const MIN_JUDGED_FACE_PX: f32 = 80.0;
/// A head pitched down this many degrees more than the same face's head-up pose in the burst
/// (its lower-quartile pitch) lowers the lids without a blink: looking down at a cup, a phone,
/// cards.
const LOOKING_DOWN_DEG: f32 = 5.0;
/// The open state of an eye: this quantile of its openness over the burst's clean, sharp
/// frames (high, so that blinks and narrowed eyes in the burst do not lower it).
const OPEN_STATE_QUANTILE: f32 = 0.75;

fn briefs(signals: &Signals, faces: &[Face]) -> Vec<FaceBrief> {
    let long = signals.width.max(signals.height).max(1) as f32;
    let largest = faces.iter().map(|f| f.bbox[2]).fold(0.0f32, f32::max);
    let mut out: Vec<FaceBrief> = faces
        .iter()
        .filter(|f| f.bbox[2] >= (SALIENT_SHARE * largest).max(0.015 * long))
        .map(|f| FaceBrief {
            cx: (f.bbox[0] + f.bbox[2] / 2.0) / long,
            cy: (f.bbox[1] + f.bbox[3] / 2.0) / long,
            w: f.bbox[2] / long,
            openness: f.openness,
            closed: matches!(f.eyes, EyeState::Closed | EyeState::OneClosed),
            sharpness: f.sharpness,
            pitch: f.pose[1],
            small: f.bbox[2] < MIN_JUDGED_FACE_PX,
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

/// The `q` quantile of `values` (sorted in place); `None` when empty.
fn quantile(values: &mut [f32], q: f32) -> Option<f32> {
    values.sort_by(f32::total_cmp);
    let last = values.len().checked_sub(1)?;
    values.get(((last as f32) * q).round() as usize).copied()
}

/// The open state of each eye of `face`: [`OPEN_STATE_QUANTILE`] of that eye's openness over
/// the same face in the clean frames where it is at least half as sharp as at its sharpest (a
/// blurred face gives an unreliable eyelid reading). `None` for an eye with no reading, or one
/// whose open state is not clearly open (a face squinting the whole burst is not blinking).
fn open_state(same: &[&FaceBrief]) -> [Option<f32>; 2] {
    let best_sharp = same.iter().map(|b| b.sharpness).fold(0.0f32, f32::max);
    [0, 1].map(|eye| {
        let mut opens: Vec<f32> = same
            .iter()
            .filter(|b| b.sharpness >= 0.5 * best_sharp)
            .filter_map(|b| b.openness[eye])
            .collect();
        quantile(&mut opens, OPEN_STATE_QUANTILE).filter(|&o| o >= EAR_OPEN_MIN)
    })
}

/// The face's openness as a share of its open state: the mean over the eyes that have both.
fn open_share(face: &FaceBrief, open: [Option<f32>; 2]) -> Option<f32> {
    let shares: Vec<f32> = (0..2)
        .filter_map(|eye| Some(face.openness[eye]? / open[eye]?))
        .collect();
    (!shares.is_empty()).then(|| shares.iter().sum::<f32>() / shares.len() as f32)
}

/// Judges one face's eyes against its open state: closed (absolutely, or below
/// [`BLINK_SHARE`]), half closed (below [`HALF_CLOSED_SHARE`], or below
/// [`HALF_CLOSED_NEAR_BLINK_SHARE`] when `beside_a_blink`), else open. Lids lowered by looking
/// down are not a blink.
fn judge_eyes(
    share: Option<f32>,
    closed: bool,
    beside_a_blink: bool,
    face: &FaceContext,
) -> EyeJudgement {
    match share {
        _ if closed => EyeJudgement::Closed,
        Some(s) if s < BLINK_SHARE => EyeJudgement::Closed,
        Some(_) if face.looking_down => EyeJudgement::Open,
        Some(s) if s < HALF_CLOSED_SHARE => EyeJudgement::HalfClosed,
        Some(s) if beside_a_blink && s < HALF_CLOSED_NEAR_BLINK_SHARE => EyeJudgement::HalfClosed,
        _ => EyeJudgement::Open,
    }
}

/// What else decides how a face's eyes are read.
struct FaceContext {
    /// Pitched down at least [`LOOKING_DOWN_DEG`] more than usual for this face in the burst.
    looking_down: bool,
}

/// Face facts per frame (`members` in shooting order). References (a face's open state, its
/// best sharpness) come from the `clean` frames only: over-exposure and noise fake face
/// detail, and a blurred face gives an unreliable eyelid reading.
fn face_summaries(
    inputs: &[RankInput<'_>],
    members: &[usize],
    clean: &[bool],
) -> Vec<Option<FaceSummary>> {
    let frames: Vec<Option<Vec<FaceBrief>>> = members
        .iter()
        .map(|&m| inputs[m].faces.map(|f| briefs(inputs[m].signals, f)))
        .collect();
    // First pass: each face's share of its open state, and whether it is closed.
    let shares: Vec<Vec<(Option<f32>, bool, FaceContext)>> = frames
        .iter()
        .map(|frame| {
            let Some(faces) = frame else {
                return Vec::new();
            };
            faces
                .iter()
                .map(|a| {
                    let same: Vec<&FaceBrief> = frames
                        .iter()
                        .zip(clean)
                        .filter(|&(_, &c)| c)
                        .filter_map(|(other, _)| other.as_ref()?.iter().find(|b| same_face(a, b)))
                        .collect();
                    let share = open_share(a, open_state(&same));
                    let mut pitches: Vec<f32> = same.iter().map(|b| b.pitch).collect();
                    let head_up = quantile(&mut pitches, 0.25).unwrap_or(a.pitch);
                    let context = FaceContext {
                        looking_down: a.pitch - head_up >= LOOKING_DOWN_DEG,
                    };
                    let closed = !a.small && (a.closed || share.is_some_and(|s| s < BLINK_SHARE));
                    (share, closed, context)
                })
                .collect()
        })
        .collect();
    // Whether the same face is closed in the frame just before or after `at`.
    let closed_beside = |at: usize, face: &FaceBrief| {
        [at.checked_sub(1), Some(at + 1)]
            .into_iter()
            .flatten()
            .filter_map(|k| Some((frames.get(k)?.as_ref()?, shares.get(k)?)))
            .any(|(other, judged)| {
                other
                    .iter()
                    .zip(judged)
                    .any(|(b, (_, closed, _))| *closed && same_face(face, b))
            })
    };
    frames
        .iter()
        .enumerate()
        .map(|(at, frame)| {
            let faces = frame.as_ref()?;
            if faces.is_empty() {
                return Some(FaceSummary::default());
            }
            let mut summary = FaceSummary {
                faces: faces.len() as u32,
                ..FaceSummary::default()
            };
            let mut loss = 0f32;
            for (a, (share, closed, context)) in faces.iter().zip(&shares[at]) {
                if a.small {
                    summary.small_faces += 1;
                } else {
                    match judge_eyes(*share, *closed, closed_beside(at, a), context) {
                        EyeJudgement::Closed => summary.eyes_closed += 1,
                        EyeJudgement::HalfClosed => summary.eyes_half_closed += 1,
                        EyeJudgement::Open => {}
                    }
                }
                let best_sharp = frames
                    .iter()
                    .zip(clean)
                    .filter(|&(_, &c)| c)
                    .filter_map(|(other, _)| other.as_ref()?.iter().find(|b| same_face(a, b)))
                    .map(|b| b.sharpness)
                    .fold(0.0f32, f32::max);
                if best_sharp > 0.0 {
                    loss += (1.0 - a.sharpness / best_sharp).clamp(0.0, 1.0);
                }
            }
            summary.sharpness_loss = loss / faces.len() as f32;
            Some(summary)
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
    /// The pick of an exposure bracket of `of` frames.
    BestOfBracket {
        /// Frames in the bracket.
        of: usize,
        /// It is the metered exposure (compensation closest to 0).
        metered: bool,
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
    /// A large smooth object the other frames of the group do not have: a hand, a shoulder, a
    /// lens cap.
    Obstructed,
    /// Someone blinked.
    EyesClosed {
        /// Faces with closed eyes.
        closed: u32,
        /// Salient faces.
        faces: u32,
    },
    /// Someone was caught mid-blink: lids over about half the iris.
    EyesHalfClosed {
        /// Faces with half-closed eyes.
        half: u32,
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
            Reason::BestOfBracket { of, metered } => {
                write!(f, "best of an exposure bracket of {of}")?;
                if *metered {
                    write!(f, " (the metered exposure)")?;
                }
                Ok(())
            }
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
            Reason::Obstructed => write!(f, "something in front of the lens"),
            Reason::EyesClosed { closed, faces } => {
                if *faces <= 1 {
                    write!(f, "eyes closed")
                } else {
                    write!(f, "eyes closed ({closed} of {faces} faces)")
                }
            }
            Reason::EyesHalfClosed { half, faces } => {
                if *faces <= 1 {
                    write!(f, "eyes half closed")
                } else {
                    write!(f, "eyes half closed ({half} of {faces} faces)")
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
/// A frame caught mid-blink loses to any frame with open eyes, and is a reject candidate.
const EYES_HALF_CLOSED_PENALTY: f32 = 3.0;
/// Faces that lost this share of their sharpness against their sharpest frame are soft.
const FACES_SOFT_LOSS: f32 = 0.15;
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
    obstruction: f32,
    eyes: f32,
    faces: f32,
    reasons: Vec<(f32, Reason)>,
}

impl Parts {
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
}

/// With sharp faces, "out of focus" and "motion blur" of the frame as a whole become "slightly
/// softer than the best": the subject is what is in focus.
fn soften_detail_reasons(reasons: &mut [(f32, Reason)]) {
    for (_, r) in reasons.iter_mut() {
        if matches!(r, Reason::OutOfFocus { .. } | Reason::MotionBlur { .. }) {
            *r = Reason::SlightlySoft;
        }
    }
}

/// In a bracket, each EV of compensation away from the metered frame costs this much: enough
/// to order the frames, less than a clear blur or a blink.
const BRACKET_STEP_PENALTY: f32 = 0.2;

/// In a bracket, lost detail weighs this share of its usual penalty.
const BRACKET_BLUR_WEIGHT: f32 = 0.3;

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
/// (see [`OBSTRUCTION_SHARE`]); 0 when the descriptors are missing.
fn covered_share(layout: &[i32], median: &[i32]) -> f32 {
    let side = DESCRIPTOR_SIDE;
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
fn obstructions(signals: &[&Signals], parts: &mut [Parts]) {
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
    for (layout, p) in layouts.iter().zip(parts.iter_mut()) {
        if p.misfire == 0.0 && covered_share(layout, &median) >= OBSTRUCTION_SHARE {
            p.obstruction = OBSTRUCTION_PENALTY;
            p.reasons
                .push((OBSTRUCTION_PENALTY + 1.0, Reason::Obstructed));
        }
    }
}

/// Frames whose noise is within this factor of the group's reference are equally clean.
const NOISE_COMPARABLE: f32 = 1.5;
/// Frames that kept at least this share of the group's best fine detail, and were not heavily
/// compressed, set the noise reference: blur and compression take the noise away with the
/// detail, and a frame drowned in noise keeps none.
const NOISE_REFERENCE_DETAIL: f32 = 0.6;

/// The group's noise reference: the median noise of the frames that kept their detail (see
/// [`NOISE_REFERENCE_DETAIL`]), at least 1 (a level no eye sees). Not the median of all: two
/// blurred or two noisy copies must not set the bar.
fn noise_reference(signals: &[&Signals]) -> f32 {
    let best = signals.iter().map(|s| detail(s)).fold(0.0f32, f32::max);
    let kept: Vec<f32> = signals
        .iter()
        .filter(|s| detail(s) >= NOISE_REFERENCE_DETAIL * best)
        .filter(|s| s.jpeg_quality.is_none_or(|q| q >= 50))
        .map(|s| s.noise)
        .collect();
    let all = || signals.iter().map(|s| s.noise).collect();
    median(if kept.is_empty() { all() } else { kept }).max(1.0)
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
    let noise_ref = noise_reference(&(0..n).map(sig).collect::<Vec<_>>());
    // Clipping against the frames as clean as the cleanest: noise dithers a clipped sky
    // below white, so a noisy copy reads as less clipped than its clean original.
    let comparable: Vec<usize> = (0..n)
        .filter(|&i| sig(i).noise <= NOISE_COMPARABLE * noise_ref)
        .collect();
    let hl_ref = median(
        comparable
            .iter()
            .map(|&i| sig(i).clipped_highlights)
            .collect(),
    );
    let sh_ref = median(comparable.iter().map(|&i| sig(i).clipped_shadows).collect());
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
    obstructions(&(0..n).map(sig).collect::<Vec<_>>(), &mut parts);
    let bracket = set_of(inputs, members) == Some(SetKind::Bracket);
    let metered_bias = (0..n)
        .filter_map(|i| inputs[members[i]].exposure_bias)
        .map(f64::abs)
        .fold(f64::MAX, f64::min);
    if bracket {
        // The exposure differences are the point of a bracket: no exposure, clipping or noise
        // faults;
        // the metered frame (compensation closest to 0) leads, by a margin that blur or a
        // blink still outweighs.
        let metered = metered_bias;
        for (i, p) in parts.iter_mut().enumerate() {
            p.exposure = inputs[members[i]]
                .exposure_bias
                .map_or(BRACKET_STEP_PENALTY, |b| {
                    ((b.abs() - metered) as f32).max(0.0) * BRACKET_STEP_PENALTY
                });
            // Brighter frames read noisier in levels (while their signal-to-noise is better).
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

    if bracket {
        // Detail reads differently at each exposure (clipped highlights, crushed shadows): only
        // a clear loss counts, and lightly.
        for p in &mut parts {
            p.blur *= BRACKET_BLUR_WEIGHT;
            p.reasons.retain(|(_, r)| *r != Reason::SlightlySoft);
        }
    }

    // Faces: closed eyes lose to open eyes; with faces, face sharpness matters most.
    // Face references (a face's sharpest reading, its open eyes) come from frames no noisier
    // than the group's reference: noise fakes face detail and opens eyes.
    let is_clean: Vec<bool> = (0..n)
        .map(|i| clean.contains(&i) && sig(i).noise <= NOISE_COMPARABLE * noise_ref)
        .collect();
    let faces = face_summaries(inputs, members, &is_clean);
    let eyes_open = |f: &FaceSummary| f.eyes_closed == 0 && f.eyes_half_closed == 0;
    let any_open = faces.iter().flatten().any(|f| f.faces > 0 && eyes_open(f));
    for (i, p) in parts.iter_mut().enumerate() {
        let Some(f) = faces[i].filter(|f| f.faces > 0) else {
            continue;
        };
        // Without an open-eyed frame to prefer, a blink costs little: it may still be the best
        // there is.
        let penalty = |full: f32| if any_open || n == 1 { full } else { 1.0 };
        if f.eyes_closed > 0 {
            p.eyes = penalty(EYES_CLOSED_PENALTY);
            p.reasons.push((
                p.eyes + 0.5,
                Reason::EyesClosed {
                    closed: f.eyes_closed,
                    faces: f.faces,
                },
            ));
        }
        if f.eyes_half_closed > 0 {
            let half = penalty(EYES_HALF_CLOSED_PENALTY);
            p.reasons.push((
                half + 0.4,
                Reason::EyesHalfClosed {
                    half: f.eyes_half_closed,
                    faces: f.faces,
                },
            ));
            p.eyes = p.eyes.max(half);
        }
        if n > 1 {
            // Face focus outweighs background focus; with the faces as sharp as anywhere in the
            // group, a softer frame is a softer background (shallow depth of field, a moving
            // background), not a fault of the photo.
            p.blur *= 0.5;
            if f.sharpness_loss < FACES_SOFT_LOSS {
                p.blur *= 0.5;
                soften_detail_reasons(&mut p.reasons);
            }
            p.faces = (f.sharpness_loss - 0.05).max(0.0) * 5.0;
            if f.sharpness_loss >= FACES_SOFT_LOSS && f.small_faces < f.faces {
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
            let sharp_faces =
                faces[i].is_some_and(|f| f.faces > 0 && eyes_open(&f) && f.sharpness_loss < 0.05);
            if sharp_faces {
                reasons.push((100.0, Reason::FacesSharp));
            }
            let lead = if bracket {
                Reason::BestOfBracket {
                    of: n,
                    metered: inputs[members[i]]
                        .exposure_bias
                        .is_some_and(|b| b.abs() <= metered_bias + 1e-6),
                }
            } else if Some(i) == sharpest {
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
                reject_candidate: total >= REJECT_PENALTY || p.misfire > 0.0 || p.obstruction > 0.0,
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
                exposure_bias: None,
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

    fn pitched(mut f: Face, pitch: f32) -> Face {
        f.pose[1] = pitch;
        f
    }

    fn burst(openness: &[f32]) -> Vec<(Signals, Vec<Face>)> {
        openness
            .iter()
            .map(|&o| (signals(0.30), vec![face(100.0, o, 0.60)]))
            .collect()
    }

    #[test]
    fn half_closed_eyes_are_called_out_and_never_the_pick() {
        // A blink reopening: the lids over about half the iris (0.22 against an open 0.30),
        // which is "open" on its own. The half-closed frame is a little sharper than the rest.
        let mut frames = burst(&[0.30, 0.31, 0.22, 0.30, 0.29]);
        frames[2].0 = signals(0.34);
        let r = rank_frames(&frames);
        assert!(!r[2].best, "{r:?}");
        assert!(r[2].reject_candidate);
        assert_eq!(r[2].reasons[0].to_string(), "eyes half closed");
        for i in [0, 1, 3, 4] {
            assert!(!r[i].reject_candidate, "frame {i}: {:?}", r[i].reasons);
        }
    }

    #[test]
    fn beside_a_blink_a_smaller_drop_is_half_closed() {
        // 0.25 of an open 0.30 (83 %): right after the closed frame it is the lids reopening;
        // the same reading far from any blink is just a narrower moment.
        let r = rank_frames(&burst(&[0.30, 0.30, 0.06, 0.25, 0.30, 0.30, 0.30]));
        assert!(
            r[2].reasons
                .iter()
                .any(|x| matches!(x, Reason::EyesClosed { .. }))
        );
        assert!(
            r[3].reasons
                .iter()
                .any(|x| matches!(x, Reason::EyesHalfClosed { .. })),
            "{:?}",
            r[3].reasons
        );
        let r = rank_frames(&burst(&[0.30, 0.30, 0.30, 0.25, 0.30, 0.30, 0.30]));
        assert!(!r[3].reject_candidate, "{:?}", r[3].reasons);
    }

    #[test]
    fn lids_lowered_by_looking_down_are_not_a_blink() {
        let mut frames = burst(&[0.30, 0.30, 0.30, 0.22, 0.30]);
        frames[3].1[0] = pitched(face(100.0, 0.22, 0.60), 9.0);
        let r = rank_frames(&frames);
        assert!(!r[3].reject_candidate, "{:?}", r[3].reasons);
        assert!(
            !r[3]
                .reasons
                .iter()
                .any(|x| matches!(x, Reason::EyesHalfClosed { .. })),
            "{:?}",
            r[3].reasons
        );
        // Head as usual: the same reading is a half blink.
        let r = rank_frames(&burst(&[0.30, 0.30, 0.30, 0.22, 0.30]));
        assert!(r[3].reject_candidate);
    }

    #[test]
    fn with_sharp_faces_a_softer_frame_is_a_softer_background() {
        // Frame 1 lost a stop and a half of frame-wide detail, but its face is as sharp: the
        // background went soft (a focus breathing, a moving background), not the photo.
        let frames = vec![
            (signals(0.40), vec![face(100.0, 0.3, 0.60)]),
            (signals(0.12), vec![face(100.0, 0.3, 0.60)]),
        ];
        let r = rank_frames(&frames);
        assert!(
            !r[1]
                .reasons
                .iter()
                .any(|x| matches!(x, Reason::OutOfFocus { .. } | Reason::MotionBlur { .. })),
            "{:?}",
            r[1].reasons
        );
        assert!(!r[1].reject_candidate);
    }

    #[test]
    fn tiny_faces_are_not_read_for_blinks() {
        // Faces 60 px wide: eyelids of a few pixels. A "closed" reading there is not trusted.
        let tiny = |o: f32| {
            let mut f = face(100.0, o, 0.60);
            f.bbox[2] = 60.0;
            f.bbox[3] = 60.0;
            f
        };
        let frames = vec![
            (signals(0.30), vec![tiny(0.05)]),
            (signals(0.30), vec![tiny(0.30)]),
        ];
        let r = rank_frames(&frames);
        assert!(!r[0].reject_candidate, "{:?}", r[0].reasons);
    }
}
