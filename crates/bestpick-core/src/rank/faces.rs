//! Eyes and face sharpness, each face judged against the same person elsewhere in the burst
//! (matched by place and size, no identities): a blink is a drop from that person's own open
//! state, a soft face a drop from that person's sharpest clean frame.

use serde::{Deserialize, Serialize};

use super::{Parts, RankInput, Reason};
use crate::faces::{EyeState, Face};
use crate::signals::Signals;
use bestpick_faces::EAR_OPEN_MIN;

/// Faces smaller than this share of the largest face in the frame are bystanders.
const SALIENT_SHARE: f32 = 0.35;
/// Faces narrower than this share of the frame's long side are background.
const SALIENT_MIN_WIDTH: f32 = 0.015;
/// At most this many salient faces per frame are judged (the largest first).
const MAX_JUDGED_FACES: usize = 8;
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
/// A head pitched this far down (nose down from facing the camera), or
/// [`LOOKING_FAR_DOWN_DEG`] more than its head-up pose, looks down so far that the lids cover
/// the eyes whatever they do: a closed reading there is not a blink (a player watching the
/// ball, someone reading). Measured: real blinks in the development bursts move the head
/// 2.5° at most; frontal faces read within ±7°.
const HEAD_DOWN_DEG: f32 = 20.0;
const LOOKING_FAR_DOWN_DEG: f32 = 10.0;
/// The open state of an eye: this quantile of its openness over the burst's clean, sharp
/// frames (high, so that blinks and narrowed eyes in the burst do not lower it).
const OPEN_STATE_QUANTILE: f32 = 0.75;
/// Frames where a face is less than this share of its sharpest reading do not set its open
/// state (a blurred face gives an unreliable eyelid reading).
const OPEN_STATE_MIN_SHARPNESS: f32 = 0.5;
/// In a frame smeared by motion, a face softer than this share of its sharpest reading (soft,
/// see [`FACES_SOFT_LOSS`]) has its eyelids smeared with it: a sideways smear widens
/// the eye and lowers its openness, an upright one blurs the lids apart. Its lids neither set
/// the open state nor call a half blink. (Measured: real half blinks keep 0.88–0.95 of their
/// face's sharpness in frames that lost detail evenly; a 7-pixel sideways smear keeps 0.62 and
/// reads 0.75 of the open state.)
const SMEARED_LIDS_MIN_SHARPNESS: f32 = 1.0 - FACES_SOFT_LOSS;
/// Two faces in two frames are the same person when their centres are within this share of
/// the larger width and their widths within [`SAME_FACE_SIZE_RATIO`] of each other.
const SAME_FACE_DISTANCE: f32 = 0.6;
const SAME_FACE_SIZE_RATIO: f32 = 0.6;

/// A frame with closed eyes loses to any frame with open eyes.
const EYES_CLOSED_PENALTY: f32 = 4.0;
/// A frame caught mid-blink loses to any frame with open eyes, and is a reject candidate.
const EYES_HALF_CLOSED_PENALTY: f32 = 3.0;
/// Each further face with closed or half-closed eyes in a frame adds this much.
const EYES_EACH_MORE: f32 = 0.5;
/// Eyes shut by a laugh: below an otherwise equal open-eyed frame, never a reject candidate on
/// its own.
const EYES_LAUGHING_PENALTY: f32 = 1.0;
/// Eyes shut in a kiss or a hug, faces touching: the same as laughing.
const EYES_KISSING_PENALTY: f32 = 1.0;
/// Two faces side by side whose boxes overlap, or are apart by less than this share of the
/// narrower face's width, are cheek to cheek (see [`cheek_to_cheek`]). Faces side by side in
/// the photos here are 0.22 widths apart or more (26-pixel faces in a group), 0.9 or more in
/// portraits of two.
const FACES_TOUCH_GAP: f32 = 0.1;
/// Without an open-eyed frame in the group, a blink costs only this much: it may still be the
/// best there is.
const EYES_NO_ALTERNATIVE_PENALTY: f32 = 1.0;
/// Faces that lost this share of their sharpness against their sharpest frame are soft: the
/// subject lost its detail, so the frame's detail is judged as the subject's (a shake that
/// spared the sharpest region is still motion blur), the frame's softness is not reworded as a
/// softer background (see [`weigh_faces`]), and in a frame smeared by motion their lids are not
/// read (see [`SMEARED_LIDS_MIN_SHARPNESS`]).
const FACES_SOFT_LOSS: f32 = 0.15;
/// ...and from this share on, a frame says "faces softer". Below it the loss costs in the
/// ranking but is not stated: sharp faces in consecutive real frames read up to 0.18 apart
/// (eyes opened wider after a blink; a re-saved crop), where the mildest blur a photographer
/// sees (a one-pixel Gaussian, a short motion smear) loses 0.23 or more.
const FACES_SOFT_WORDS_LOSS: f32 = 0.2;
/// Faces within this share of their sharpest frame are "sharp" for the pick's words.
const FACES_SHARP_LOSS: f32 = 0.05;
/// Face sharpness loss (beyond [`FACES_SHARP_LOSS`]) costs this much per unit.
const FACES_SOFT_WEIGHT: f32 = 5.0;
/// With faces, whole-frame detail weighs this share (face focus outweighs background focus),
/// and this share again when the faces are as sharp as anywhere in the group.
const BACKGROUND_DETAIL_WEIGHT: f32 = 0.5;

/// How one face's eyes read against the same person's open state in the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaceVerdict {
    /// As open as usual.
    Open,
    /// Mid-blink: the lids over about half the iris (closing or reopening).
    HalfClosed,
    /// Closed (absolutely, or far below the person's open state).
    Closed,
    /// Lids lowered by looking down (head pitched down against the person's usual pose): not a
    /// blink.
    LookingDown,
    /// Eyes shut or narrowed while laughing or smiling hard (the mouth open and pulled wide):
    /// not a blink, though an open-eyed frame of the same moment is better.
    Laughing,
    /// Eyes shut with the face cheek to cheek with another whose eyes are shut too (a kiss, a
    /// hug): not a blink, though an open-eyed frame of the same moment is better.
    Kissing,
    /// Can't tell: too small, no eyelid reading, or no open state to compare with.
    Uncertain,
}

impl FaceVerdict {
    /// Every verdict.
    pub const ALL: [FaceVerdict; 7] = [
        FaceVerdict::Open,
        FaceVerdict::HalfClosed,
        FaceVerdict::Closed,
        FaceVerdict::LookingDown,
        FaceVerdict::Laughing,
        FaceVerdict::Kissing,
        FaceVerdict::Uncertain,
    ];

    /// The verdict as one snake_case word, as it is serialized: `open`, `half_closed`,
    /// `closed`, `looking_down`, `laughing`, `kissing`, `uncertain`.
    pub fn as_str(self) -> &'static str {
        match self {
            FaceVerdict::Open => "open",
            FaceVerdict::HalfClosed => "half_closed",
            FaceVerdict::Closed => "closed",
            FaceVerdict::LookingDown => "looking_down",
            FaceVerdict::Laughing => "laughing",
            FaceVerdict::Kissing => "kissing",
            FaceVerdict::Uncertain => "uncertain",
        }
    }

    /// A blink: eyes closed, or caught half closed. The one test of "eyes closed" — what the
    /// ranking calls out as a fault and the "eyes closed" filter shows; eyes lowered by
    /// looking down, shut by a laugh or in a kiss are not a blink.
    pub fn is_blink(self) -> bool {
        matches!(self, FaceVerdict::Closed | FaceVerdict::HalfClosed)
    }
}

/// Someone among `faces` (a frame's judged faces) blinked (see [`FaceVerdict::is_blink`]).
pub fn someone_blinked(faces: &[JudgedFace]) -> bool {
    faces.iter().any(|f| f.eyes.is_blink())
}

/// One salient face of a frame as judged against the rest of its group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudgedFace {
    /// The person, numbered within the group from 0 in order of first appearance: the same
    /// number in two frames is the same place and size, not an identity.
    pub person: usize,
    /// x, y, w, h in oriented full-image pixels.
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    /// The face's eyes, judged.
    pub eyes: FaceVerdict,
    /// Per eye `[left, right]` (the subject's), judged alike.
    pub eye_states: [FaceVerdict; 2],
    /// Per eye, openness as a share of the person's open state in the group (1 = as open as
    /// usual); `None` without a reading or a reference.
    pub open_share: [Option<f32>; 2],
    /// Face sharpness as a share of the person's sharpest clean frame, 0..=1.
    pub sharpness: f32,
}

/// The face facts of one frame, judged against the same faces in the other frames of its group.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct FrameFaces {
    /// Each salient face, judged.
    pub(super) faces: Vec<JudgedFace>,
    /// Salient faces with closed eyes.
    eyes_closed: u32,
    /// Salient faces caught mid-blink.
    eyes_half_closed: u32,
    /// Salient faces with eyes shut or narrowed by laughing.
    laughing: u32,
    /// Salient faces with eyes shut, touching another face.
    kissing: u32,
    /// Face sharpness lost against the same face's sharpest frame, 0..=1: the worst of the
    /// faces large enough to judge (a group shot is as good as its softest prominent face),
    /// else the mean.
    sharpness_loss: f32,
    /// Salient faces narrower than [`MIN_JUDGED_FACE_PX`].
    small_faces: u32,
}

impl FrameFaces {
    fn count(&self) -> u32 {
        self.faces.len() as u32
    }

    fn eyes_open(&self) -> bool {
        !someone_blinked(&self.faces) && self.laughing == 0 && self.kissing == 0
    }

    /// Faces softer than in their sharpest frame ([`FACES_SOFT_LOSS`]), among them one large
    /// enough to judge: the subject lost its detail.
    pub(super) fn soft(&self) -> bool {
        self.sharpness_loss >= FACES_SOFT_LOSS && self.small_faces < self.count()
    }

    /// Soft, and clearly so: the frame says "faces softer" ([`FACES_SOFT_WORDS_LOSS`]).
    fn soft_in_words(&self) -> bool {
        self.soft() && self.sharpness_loss >= FACES_SOFT_WORDS_LOSS
    }

    /// Faces large enough to judge (see [`MIN_JUDGED_FACE_PX`]).
    pub(super) fn judged_faces(&self) -> u32 {
        self.count() - self.small_faces
    }

    /// Faces, all with open eyes and as sharp as anywhere in the group.
    pub(super) fn all_sharp_and_open(&self) -> bool {
        self.count() > 0 && self.eyes_open() && self.sharpness_loss < FACES_SHARP_LOSS
    }
}

/// Whether frame `at` shows no face large enough to judge while most other frames of its group
/// (`judged`) show one: its subject is there but was not found (smeared or blurred past
/// finding), so its sharpest region does not stand for the subject.
pub(super) fn lost_faces(judged: &[Option<FrameFaces>], at: usize) -> bool {
    let Some(Some(frame)) = judged.get(at) else {
        return false;
    };
    let others = judged.len().saturating_sub(1);
    let with_faces = judged
        .iter()
        .enumerate()
        .filter(|&(i, f)| i != at && f.as_ref().is_some_and(|f| f.judged_faces() > 0))
        .count();
    frame.judged_faces() == 0 && others > 0 && with_faces * 2 > others
}

/// One salient face, in frame-relative units.
struct FaceBrief {
    cx: f32,
    cy: f32,
    w: f32,
    bbox: [f32; 4],
    /// Eye aspect ratio per eye, `[left, right]`.
    openness: [Option<f32>; 2],
    /// Closed per eye, as read on the face alone.
    eye_closed: [bool; 2],
    /// Closed (both eyes, or one and the other open) as read on the face alone.
    closed: bool,
    /// One eye read closed and the other open, on the face alone: a wink, one side of a blink,
    /// or an eye lowered further than the other.
    one_closed: bool,
    sharpness: f32,
    /// Head pitch in degrees, positive = nose down.
    pitch: f32,
    /// Narrower than [`MIN_JUDGED_FACE_PX`]: eyes not judged, softness not worded.
    small: bool,
    /// The mouth: `(open, wide)` (see [`crate::faces::FaceLandmarks::mouth_shape`]).
    mouth: Option<(f32, f32)>,
    /// The frame is smeared by motion (see [`SMEARED_LIDS_MIN_SHARPNESS`]).
    smeared: bool,
}

fn briefs(signals: &Signals, faces: &[Face], smeared: bool) -> Vec<FaceBrief> {
    let long = signals.width.max(signals.height).max(1) as f32;
    let largest = faces.iter().map(|f| f.bbox[2]).fold(0.0f32, f32::max);
    let mut out: Vec<FaceBrief> = faces
        .iter()
        .filter(|f| f.bbox[2] >= (SALIENT_SHARE * largest).max(SALIENT_MIN_WIDTH * long))
        .map(|f| FaceBrief {
            cx: (f.bbox[0] + f.bbox[2] / 2.0) / long,
            cy: (f.bbox[1] + f.bbox[3] / 2.0) / long,
            w: f.bbox[2] / long,
            bbox: f.bbox,
            openness: f.openness,
            eye_closed: f.eye_states.map(|s| s == EyeState::Closed),
            closed: matches!(f.eyes, EyeState::Closed | EyeState::OneClosed),
            one_closed: f.eyes == EyeState::OneClosed,
            sharpness: f.sharpness,
            pitch: f.pose[1],
            small: f.bbox[2] < MIN_JUDGED_FACE_PX,
            mouth: f.landmarks.mouth_shape(f.bbox[2]),
            smeared,
        })
        .collect();
    out.truncate(MAX_JUDGED_FACES);
    out
}

/// The same person in two frames of a burst: about the same place and size.
fn same_face(a: &FaceBrief, b: &FaceBrief) -> bool {
    let tol = SAME_FACE_DISTANCE * a.w.max(b.w);
    (a.cx - b.cx).abs() < tol
        && (a.cy - b.cy).abs() < tol
        && (a.w / b.w.max(1e-6)).clamp(0.0, 10.0) > SAME_FACE_SIZE_RATIO
        && (b.w / a.w.max(1e-6)) > SAME_FACE_SIZE_RATIO
}

/// The `q` quantile of `values` (sorted in place); `None` when empty.
fn quantile(values: &mut [f32], q: f32) -> Option<f32> {
    values.sort_by(f32::total_cmp);
    let last = values.len().checked_sub(1)?;
    values.get(((last as f32) * q).round() as usize).copied()
}

/// Whether face `b` gives a reliable eyelid reading against the person's sharpest reading
/// `best_sharp`: at least [`OPEN_STATE_MIN_SHARPNESS`] as sharp, and at least
/// [`SMEARED_LIDS_MIN_SHARPNESS`] in a frame smeared by motion.
fn lids_readable(b: &FaceBrief, best_sharp: f32) -> bool {
    let min = if b.smeared {
        SMEARED_LIDS_MIN_SHARPNESS
    } else {
        OPEN_STATE_MIN_SHARPNESS
    };
    best_sharp <= 0.0 || b.sharpness >= min * best_sharp
}

/// The open state of each eye: [`OPEN_STATE_QUANTILE`] of that eye's openness over the same
/// face in the clean frames where its lids read reliably ([`lids_readable`]). `None` for an
/// eye with no reading, or one whose open state is not clearly open (a face squinting the
/// whole burst is not blinking).
fn open_state(same: &[&FaceBrief]) -> [Option<f32>; 2] {
    let best_sharp = same.iter().map(|b| b.sharpness).fold(0.0f32, f32::max);
    [0, 1].map(|eye| {
        let mut opens: Vec<f32> = same
            .iter()
            .filter(|b| lids_readable(b, best_sharp))
            .filter_map(|b| b.openness[eye])
            .collect();
        quantile(&mut opens, OPEN_STATE_QUANTILE).filter(|&o| o >= EAR_OPEN_MIN)
    })
}

/// Per eye, the face's openness as a share of its open state.
fn eye_shares(face: &FaceBrief, open: [Option<f32>; 2]) -> [Option<f32>; 2] {
    [0, 1].map(|eye| Some(face.openness[eye]? / open[eye]?))
}

/// The mean of the eyes' shares that exist.
fn mean_share(shares: [Option<f32>; 2]) -> Option<f32> {
    let known: Vec<f32> = shares.into_iter().flatten().collect();
    (!known.is_empty()).then(|| known.iter().sum::<f32>() / known.len() as f32)
}

/// A laughing mouth: lips apart by at least this share of the mouth's width...
const LAUGH_MIN_OPEN: f32 = 0.3;
/// ...and pulled wide: at least this share of the face's width, or this many times the
/// person's usual width in the burst. A yawn opens the mouth as far but narrows it. Measured
/// on real bursts: talking and smiling with open eyes read up to 0.26 open and 0.44 wide, a
/// yawn 0.45 open and 0.26 wide.
const LAUGH_MIN_WIDE: f32 = 0.48;
const LAUGH_WIDER_THAN_USUAL: f32 = 1.12;
/// Smiling hard with the lips closed: the mouth at least this share of the face's width.
const BROAD_SMILE_WIDE: f32 = 0.55;

/// Whether a face with mouth `(open, wide)` is laughing or smiling hard, against the person's
/// usual mouth width `usual_wide` in the burst.
fn is_laughing(mouth: Option<(f32, f32)>, usual_wide: Option<f32>) -> bool {
    let Some((open, wide)) = mouth else {
        return false;
    };
    let wider =
        wide >= LAUGH_MIN_WIDE || usual_wide.is_some_and(|u| wide >= LAUGH_WIDER_THAN_USUAL * u);
    (open >= LAUGH_MIN_OPEN && wider) || wide >= BROAD_SMILE_WIDE
}

/// What else decides how a face's eyes are read.
struct FaceContext {
    /// Pitched down at least [`LOOKING_DOWN_DEG`] more than usual for this face in the burst.
    looking_down: bool,
    /// Pitched far down (see [`HEAD_DOWN_DEG`]): lowered lids, even closed-looking ones, are
    /// the look, not a blink.
    head_down: bool,
    /// The same face is closed in the frame just before or after.
    beside_a_blink: bool,
    /// Laughing or smiling hard (see [`is_laughing`]).
    laughing: bool,
    /// Cheek to cheek with another face whose eyes are lowered too (see [`cheek_to_cheek`]).
    touching: bool,
}

/// Lids at least half down: read closed, or at `share` of their open state below
/// [`HALF_CLOSED_SHARE`]. What a laugh, a look down or a kiss may explain.
fn lids_lowered(share: Option<f32>, closed: bool) -> bool {
    closed || share.is_some_and(|s| s < HALF_CLOSED_SHARE)
}

/// Judges eyes at `share` of their open state (`closed` when read closed on the face alone):
/// closed (absolutely, or below [`BLINK_SHARE`]), half closed (below [`HALF_CLOSED_SHARE`], or
/// below [`HALF_CLOSED_NEAR_BLINK_SHARE`] beside a blink), else open. Lids lowered by looking
/// down are not a blink: short of closed when the head is a little down, at all when it is far
/// down.
fn judge_eyes(share: Option<f32>, closed: bool, context: &FaceContext) -> FaceVerdict {
    let lowered = lids_lowered(share, closed);
    match share {
        _ if lowered && context.laughing => FaceVerdict::Laughing,
        _ if lowered && context.head_down => FaceVerdict::LookingDown,
        _ if lowered && context.touching && !context.looking_down => FaceVerdict::Kissing,
        _ if closed => FaceVerdict::Closed,
        Some(s) if s < BLINK_SHARE => FaceVerdict::Closed,
        Some(s) if context.looking_down && s < HALF_CLOSED_SHARE => FaceVerdict::LookingDown,
        Some(_) if context.looking_down => FaceVerdict::Open,
        Some(s) if s < HALF_CLOSED_SHARE => FaceVerdict::HalfClosed,
        Some(s) if context.beside_a_blink && s < HALF_CLOSED_NEAR_BLINK_SHARE => {
            FaceVerdict::HalfClosed
        }
        Some(_) => FaceVerdict::Open,
        None => FaceVerdict::Uncertain,
    }
}

/// Whether faces `a` and `b`, both large enough to judge, are cheek to cheek: side by side
/// (their boxes share at least half the shorter one's height) and apart by less than
/// [`FACES_TOUCH_GAP`] of the narrower one's width, or overlapping. Faces one above the other
/// (rows of a group) do not touch this way.
fn cheek_to_cheek(a: &FaceBrief, b: &FaceBrief) -> bool {
    let ([ax, ay, aw, ah], [bx, by, bw, bh]) = (a.bbox, b.bbox);
    let gap_x = ax.max(bx) - (ax + aw).min(bx + bw);
    let shared_y = (ay + ah).min(by + bh) - ay.max(by);
    !a.small && !b.small && gap_x <= FACES_TOUCH_GAP * aw.min(bw) && shared_y >= 0.5 * ah.min(bh)
}

/// A face's first reading against its open state, before its neighbours are known.
struct FirstReading {
    /// Per eye, openness as a share of the open state.
    shares: [Option<f32>; 2],
    /// Closed: read closed on the face alone, or below [`BLINK_SHARE`].
    closed: bool,
    /// See [`FaceContext::looking_down`].
    looking_down: bool,
    /// See [`FaceContext::head_down`].
    head_down: bool,
    /// See [`FaceContext::laughing`].
    laughing: bool,
    /// Closed, or below [`HALF_CLOSED_SHARE`] of the open state.
    lowered: bool,
    /// See [`FaceContext::touching`].
    touching: bool,
}

/// Numbers the people of a group: each face gets the number of the person it matches in an
/// earlier frame (the nearest one not already taken in this frame), or a new one.
fn number_people(frames: &[Option<Vec<FaceBrief>>]) -> Vec<Vec<usize>> {
    let mut last_seen: Vec<(usize, usize)> = Vec::new(); // (frame, face) of each person
    let mut out = Vec::with_capacity(frames.len());
    for (at, frame) in frames.iter().enumerate() {
        let Some(faces) = frame else {
            out.push(Vec::new());
            continue;
        };
        let mut taken = vec![false; last_seen.len()];
        let mut people = Vec::with_capacity(faces.len());
        for a in faces {
            let found = last_seen
                .iter()
                .enumerate()
                .filter(|&(p, _)| !taken[p])
                .filter_map(|(p, &(f, k))| {
                    let b = &frames[f].as_ref()?[k];
                    same_face(a, b).then(|| (p, (a.cx - b.cx).hypot(a.cy - b.cy)))
                })
                .min_by(|x, y| x.1.total_cmp(&y.1))
                .map(|(p, _)| p);
            let person = found.unwrap_or_else(|| {
                last_seen.push((at, 0));
                taken.push(false);
                last_seen.len() - 1
            });
            taken[person] = true;
            people.push(person);
        }
        for (k, &person) in people.iter().enumerate() {
            last_seen[person] = (at, k);
        }
        out.push(people);
    }
    out
}

/// Face facts per frame (`members` in shooting order). References (a face's open state, its
/// best sharpness) come from the `clean` frames only: over-exposure and noise fake face
/// detail, and a blurred face gives an unreliable eyelid reading, as does a softened face in
/// a frame `smeared` by motion.
pub(super) fn judge_faces(
    inputs: &[RankInput<'_>],
    members: &[usize],
    clean: &[bool],
    smeared: &[bool],
) -> Vec<Option<FrameFaces>> {
    let frames: Vec<Option<Vec<FaceBrief>>> = members
        .iter()
        .zip(smeared)
        .map(|(&m, &smeared)| {
            inputs[m]
                .faces
                .map(|f| briefs(inputs[m].signals, f, smeared))
        })
        .collect();
    let people = number_people(&frames);
    // The same face in the clean frames.
    let same_in_clean = |a: &FaceBrief| -> Vec<&FaceBrief> {
        frames
            .iter()
            .zip(clean)
            .filter(|&(_, &c)| c)
            .filter_map(|(other, _)| other.as_ref()?.iter().find(|b| same_face(a, b)))
            .collect()
    };
    // First pass: each face's shares of its open state, whether it is closed, its pitch.
    let firsts: Vec<Vec<FirstReading>> = frames
        .iter()
        .map(|frame| {
            let mut readings = frame
                .iter()
                .flatten()
                .map(|a| {
                    let same = same_in_clean(a);
                    let shares = eye_shares(a, open_state(&same));
                    let mut pitches: Vec<f32> = same.iter().map(|b| b.pitch).collect();
                    let head_up = quantile(&mut pitches, 0.25).unwrap_or(a.pitch);
                    let looking_down = a.pitch - head_up >= LOOKING_DOWN_DEG;
                    let head_down =
                        a.pitch >= HEAD_DOWN_DEG || a.pitch - head_up >= LOOKING_FAR_DOWN_DEG;
                    let mut widths: Vec<f32> =
                        same.iter().filter_map(|b| Some(b.mouth?.1)).collect();
                    let laughing = is_laughing(a.mouth, quantile(&mut widths, 0.5));
                    // Looking down lowers the lids, the eye turned away from the camera further
                    // in the picture: one eye read closed while the other is open by the
                    // person's own measure is the look, not a blink (a blink takes both lids).
                    let one_eye_looking_down = looking_down
                        && a.one_closed
                        && shares.iter().flatten().any(|&s| s >= HALF_CLOSED_SHARE);
                    let closed = !a.small
                        && ((a.closed && !one_eye_looking_down)
                            || mean_share(shares).is_some_and(|s| s < BLINK_SHARE));
                    FirstReading {
                        shares,
                        closed,
                        lowered: lids_lowered(mean_share(shares), closed),
                        looking_down,
                        head_down,
                        laughing,
                        touching: false,
                    }
                })
                .collect::<Vec<_>>();
            // Eyes shut in a kiss or a hug: lowered, cheek to cheek with a face whose eyes are
            // lowered too (one shut beside open eyes is a blink).
            let faces: Vec<&FaceBrief> = frame.iter().flatten().collect();
            let lowered: Vec<bool> = readings.iter().map(|r| r.lowered).collect();
            for (k, r) in readings.iter_mut().enumerate() {
                r.touching = lowered[k]
                    && faces
                        .iter()
                        .enumerate()
                        .any(|(j, b)| j != k && lowered[j] && cheek_to_cheek(faces[k], b));
            }
            readings
        })
        .collect();
    // Whether the same face is closed in the frame just before or after `at`.
    let closed_beside = |at: usize, face: &FaceBrief| {
        [at.checked_sub(1), Some(at + 1)]
            .into_iter()
            .flatten()
            .filter_map(|k| Some((frames.get(k)?.as_ref()?, firsts.get(k)?)))
            .any(|(other, judged)| {
                other
                    .iter()
                    .zip(judged)
                    .any(|(b, r)| r.closed && !r.laughing && !r.touching && same_face(face, b))
            })
    };
    frames
        .iter()
        .enumerate()
        .map(|(at, frame)| {
            let faces = frame.as_ref()?;
            let mut out = FrameFaces::default();
            let (mut loss, mut worst) = (0f32, None::<f32>);
            for (k, (a, r)) in faces.iter().zip(&firsts[at]).enumerate() {
                let (shares, closed) = (r.shares, r.closed);
                let context = FaceContext {
                    laughing: r.laughing,
                    touching: r.touching,
                    looking_down: r.looking_down,
                    head_down: r.head_down,
                    beside_a_blink: closed_beside(at, a),
                };
                let best_sharp = same_in_clean(a)
                    .iter()
                    .map(|b| b.sharpness)
                    .fold(0.0f32, f32::max);
                let kept = if best_sharp > 0.0 {
                    (a.sharpness / best_sharp).clamp(0.0, 1.0)
                } else {
                    1.0
                };
                if best_sharp > 0.0 {
                    loss += 1.0 - kept;
                    if !a.small {
                        worst = Some(worst.unwrap_or(0.0).max(1.0 - kept));
                    }
                }
                let (eyes, eye_states) = if a.small {
                    out.small_faces += 1;
                    (FaceVerdict::Uncertain, [FaceVerdict::Uncertain; 2])
                } else {
                    // A face this blurred or smeared gives no reliable lid reading short of a
                    // blink.
                    let blurred = !lids_readable(a, best_sharp);
                    let judge = |share: Option<f32>, closed: bool| match judge_eyes(
                        share, closed, &context,
                    ) {
                        FaceVerdict::HalfClosed if blurred => FaceVerdict::Uncertain,
                        v => v,
                    };
                    let eyes = judge(mean_share(shares), closed);
                    let eye_states = [0, 1].map(|e| judge(shares[e], a.eye_closed[e]));
                    (eyes, eye_states)
                };
                match eyes {
                    FaceVerdict::Closed => out.eyes_closed += 1,
                    FaceVerdict::HalfClosed => out.eyes_half_closed += 1,
                    FaceVerdict::Laughing => out.laughing += 1,
                    FaceVerdict::Kissing => out.kissing += 1,
                    _ => {}
                }
                out.faces.push(JudgedFace {
                    person: people[at][k],
                    bbox: a.bbox,
                    eyes,
                    eye_states,
                    open_share: shares,
                    sharpness: kept,
                });
            }
            out.sharpness_loss = worst.unwrap_or(loss / faces.len().max(1) as f32);
            Some(out)
        })
        .collect()
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

/// Turns the judged faces into penalties and reasons: closed eyes lose to open eyes; with
/// faces, face sharpness matters most (in a group of `n`).
pub(super) fn weigh_faces(judged: &[Option<FrameFaces>], n: usize, parts: &mut [Parts]) {
    let any_open = judged
        .iter()
        .flatten()
        .any(|f| f.count() > 0 && f.eyes_open());
    let penalty = |full: f32| {
        if any_open || n == 1 {
            full
        } else {
            EYES_NO_ALTERNATIVE_PENALTY
        }
    };
    for (f, p) in judged.iter().zip(parts.iter_mut()) {
        let Some(f) = f.as_ref().filter(|f| f.count() > 0) else {
            continue;
        };
        // Each further person with their eyes shut costs a little more: the pick is the frame
        // where the most people have their eyes open.
        let more = |count: u32| EYES_EACH_MORE * count.saturating_sub(1) as f32;
        if f.eyes_closed > 0 {
            p.eyes = penalty(EYES_CLOSED_PENALTY) + more(f.eyes_closed + f.eyes_half_closed);
            p.reason(
                p.eyes + 0.5,
                Reason::EyesClosed {
                    closed: f.eyes_closed,
                    faces: f.count(),
                },
            );
        }
        if f.eyes_half_closed > 0 {
            let half = penalty(EYES_HALF_CLOSED_PENALTY) + more(f.eyes_half_closed);
            p.reason(
                half + 0.4,
                Reason::EyesHalfClosed {
                    half: f.eyes_half_closed,
                    faces: f.count(),
                },
            );
            p.eyes = p.eyes.max(half);
        }
        if f.eyes_closed == 0 && f.eyes_half_closed == 0 {
            if f.laughing > 0 {
                p.eyes = EYES_LAUGHING_PENALTY;
                p.reason(
                    p.eyes + 0.3,
                    Reason::EyesShutLaughing {
                        laughing: f.laughing,
                        faces: f.count(),
                    },
                );
            }
            if f.kissing > 0 {
                p.eyes = p.eyes.max(EYES_KISSING_PENALTY);
                p.reason(
                    EYES_KISSING_PENALTY + 0.3,
                    Reason::EyesShutKissing {
                        kissing: f.kissing,
                        faces: f.count(),
                    },
                );
            }
        }
        if n > 1 {
            // With the faces as sharp as anywhere in the group, a softer frame is a softer
            // background (shallow depth of field, a moving background), not a fault.
            p.blur *= BACKGROUND_DETAIL_WEIGHT;
            if f.sharpness_loss < FACES_SOFT_LOSS {
                p.blur *= BACKGROUND_DETAIL_WEIGHT;
                soften_detail_reasons(&mut p.reasons);
            }
            p.faces = (f.sharpness_loss - FACES_SHARP_LOSS).max(0.0) * FACES_SOFT_WEIGHT;
            if f.soft_in_words() {
                p.reason(p.faces, Reason::FacesSoft);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::Group;
    use crate::rank::test_support::signals;
    use crate::rank::{Ranked, rank};

    #[test]
    fn verdict_names_match_serde() {
        for verdict in FaceVerdict::ALL {
            assert_eq!(
                serde_json::to_string(&verdict).ok(),
                Some(format!("\"{}\"", verdict.as_str())),
                "case {verdict:?}"
            );
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

    /// `f` with its mouth `open` (lip gap / mouth width) and `wide` (mouth width / face width).
    fn with_mouth(mut f: Face, open: f32, wide: f32) -> Face {
        let (cx, y) = (f.bbox[0] + f.bbox[2] / 2.0, f.bbox[1] + 0.75 * f.bbox[3]);
        let half = wide * f.bbox[2] / 2.0;
        f.landmarks.mouth_corners = [[cx - half, y], [cx + half, y]];
        f.landmarks.lips = [[cx, y - open * half], [cx, y + open * half]];
        f
    }

    #[test]
    fn a_laugh_is_a_mouth_open_and_pulled_wide() {
        // Measured on real bursts: a yawn, talking, a smile with open eyes.
        assert!(!is_laughing(Some((0.45, 0.26)), Some(0.26)), "a yawn");
        assert!(!is_laughing(Some((0.25, 0.42)), Some(0.41)), "talking");
        assert!(!is_laughing(Some((0.22, 0.44)), Some(0.43)), "a smile");
        assert!(is_laughing(Some((0.35, 0.50)), None), "a laugh");
        assert!(
            is_laughing(Some((0.32, 0.45)), Some(0.38)),
            "wider than usual"
        );
        assert!(is_laughing(Some((0.05, 0.57)), Some(0.40)), "a broad smile");
        assert!(!is_laughing(None, None), "not measured");
    }

    #[test]
    fn eyes_shut_while_laughing_rank_below_open_eyes_but_are_no_reject() {
        let mut frames = burst(&[0.30, 0.30, 0.10]);
        frames[2].1[0] = with_mouth(frames[2].1[0].clone(), 0.4, 0.52);
        let ranked = rank_frames(&frames);
        assert!(!ranked[2].best);
        assert!(!ranked[2].reject_candidate, "{:?}", ranked[2]);
        let words: Vec<String> = ranked[2].reasons.iter().map(Reason::to_string).collect();
        assert!(
            words.contains(&"eyes shut while laughing".to_string()),
            "{words:?}"
        );
        assert_eq!(ranked[2].judged_faces[0].eyes, FaceVerdict::Laughing);
        // The same eyes with a closed mouth are a blink.
        let ranked = rank_frames(&burst(&[0.30, 0.30, 0.10]));
        assert!(ranked[2].reject_candidate);
    }

    #[test]
    fn eyes_shut_with_faces_touching_rank_below_open_eyes_but_are_no_reject() {
        // Two people, open-eyed in frames 0 and 2, eyes shut in frame 1: cheek to cheek (boxes
        // adjacent), or apart by a face's width.
        let pair = |second_x: f32, openness: f32| {
            vec![face(100.0, openness, 0.6), face(second_x, openness, 0.6)]
        };
        for (second_x, kiss) in [(250.0, true), (235.0, true), (400.0, false)] {
            let frames: Vec<(Signals, Vec<Face>)> = [0.30, 0.05, 0.30]
                .iter()
                .map(|&o| (signals(0.30), pair(second_x, o)))
                .collect();
            let ranked = rank_frames(&frames);
            let words: Vec<String> = ranked[1].reasons.iter().map(Reason::to_string).collect();
            assert!(!ranked[1].best, "{second_x}");
            if kiss {
                assert!(!ranked[1].reject_candidate, "{second_x}: {words:?}");
                assert_eq!(words, ["eyes shut in a kiss or hug (2 of 2 faces)"]);
                assert!(
                    ranked[1]
                        .judged_faces
                        .iter()
                        .all(|f| f.eyes == FaceVerdict::Kissing)
                );
            } else {
                assert!(ranked[1].reject_candidate, "{second_x}: {words:?}");
                assert_eq!(words, ["eyes closed (2 of 2 faces)"]);
            }
        }
        // One shut beside open eyes, cheek to cheek, is a blink; so are both shut one above
        // the other (rows of a group).
        let mut one_shut: Vec<(Signals, Vec<Face>)> = [0.30, 0.05, 0.30]
            .iter()
            .map(|&o| (signals(0.30), pair(250.0, o)))
            .collect();
        one_shut[1].1[1] = face(250.0, 0.30, 0.6);
        let mut stacked: Vec<(Signals, Vec<Face>)> = [0.30, 0.05, 0.30]
            .iter()
            .map(|&o| (signals(0.30), pair(100.0, o)))
            .collect();
        for frame in &mut stacked {
            frame.1[1].bbox[1] += 150.0;
        }
        for (frames, expected) in [
            (one_shut, "eyes closed (1 of 2 faces)"),
            (stacked, "eyes closed (2 of 2 faces)"),
        ] {
            let ranked = rank_frames(&frames);
            let words: Vec<String> = ranked[1].reasons.iter().map(Reason::to_string).collect();
            assert!(ranked[1].reject_candidate, "{words:?}");
            assert_eq!(words, [expected]);
        }
    }

    #[test]
    fn a_group_shot_is_as_good_as_its_softest_prominent_face() {
        let people = |sharp: [f32; 3]| -> Vec<Face> {
            [100.0, 400.0, 700.0]
                .iter()
                .zip(sharp)
                .map(|(&x, s)| face(x, 0.30, s))
                .collect()
        };
        // Frame 0: one of three people soft; frame 1: all sharp but the background a little
        // softer.
        let frames = vec![
            (signals(0.32), people([0.60, 0.60, 0.25])),
            (signals(0.30), people([0.58, 0.60, 0.60])),
        ];
        let ranked = rank_frames(&frames);
        assert!(ranked[1].best, "{ranked:?}");
        assert!(
            ranked[0].reasons.contains(&Reason::FacesSoft),
            "{:?}",
            ranked[0]
        );
        assert!(ranked[0].judged_faces[2].sharpness < 0.5);
    }

    #[test]
    fn fewer_people_blinking_is_better() {
        let people = |open: [f32; 3]| -> Vec<Face> {
            [100.0, 400.0, 700.0]
                .iter()
                .zip(open)
                .map(|(&x, o)| face(x, o, 0.60))
                .collect()
        };
        let frames = vec![
            (signals(0.30), people([0.30, 0.30, 0.30])),
            (signals(0.32), people([0.05, 0.05, 0.30])),
            (signals(0.30), people([0.30, 0.05, 0.30])),
        ];
        let ranked = rank_frames(&frames);
        assert!(ranked[0].best);
        assert!(ranked[2].rank < ranked[1].rank, "{ranked:?}");
        assert_eq!(
            ranked[1].reasons[0].to_string(),
            "eyes closed (2 of 3 faces)"
        );
    }

    #[test]
    fn a_blurred_face_is_no_half_blink() {
        // Lids read a little low on a badly blurred face: can't tell, not half closed.
        let mut frames = burst(&[0.30, 0.30, 0.30, 0.22]);
        frames[3].1[0].sharpness = 0.2;
        let ranked = rank_frames(&frames);
        assert_eq!(ranked[3].judged_faces[0].eyes, FaceVerdict::Uncertain);
        assert!(
            !ranked[3]
                .reasons
                .iter()
                .any(|r| matches!(r, Reason::EyesHalfClosed { .. }))
        );
        assert!(ranked[3].reasons.contains(&Reason::FacesSoft));
    }

    #[test]
    fn a_face_softened_by_motion_blur_is_no_half_blink() {
        // The last frame is shaken sideways: it lost its horizontal detail, not its vertical,
        // and its face kept 0.75 of its sharpness; the smeared lids read 0.73 of the open
        // state. Can't tell, not half closed: the fault is the motion blur.
        let mut frames = burst(&[0.30, 0.30, 0.30, 0.22]);
        frames[3].0 = signals(0.12);
        frames[3].0.detail_direction = [0.15, 0.75, 0.1];
        frames[3].1[0].sharpness = 0.45;
        let ranked = rank_frames(&frames);
        assert_eq!(ranked[3].judged_faces[0].eyes, FaceVerdict::Uncertain);
        assert!(
            ranked[3]
                .reasons
                .iter()
                .any(|r| matches!(r, Reason::MotionBlur { .. })),
            "{:?}",
            ranked[3].reasons
        );
        assert!(
            !ranked[3]
                .reasons
                .iter()
                .any(|r| matches!(r, Reason::EyesHalfClosed { .. }))
        );
        // The same softness lost evenly (defocus) keeps the lids readable: half closed.
        frames[3].0.detail_direction = [0.45, 0.45, 0.1];
        let ranked = rank_frames(&frames);
        assert_eq!(ranked[3].judged_faces[0].eyes, FaceVerdict::HalfClosed);
        // And a smeared frame whose face kept its sharpness (the face was still) is read.
        frames[3].0.detail_direction = [0.15, 0.75, 0.1];
        frames[3].1[0].sharpness = 0.58;
        let ranked = rank_frames(&frames);
        assert_eq!(ranked[3].judged_faces[0].eyes, FaceVerdict::HalfClosed);
    }

    #[test]
    fn eyes_are_judged_by_their_share_of_the_persons_open_state() {
        let plain = FaceContext {
            looking_down: false,
            head_down: false,
            beside_a_blink: false,
            laughing: false,
            touching: false,
        };
        let touching = FaceContext {
            touching: true,
            ..plain
        };
        let laughing = FaceContext {
            laughing: true,
            ..plain
        };
        let near_blink = FaceContext {
            beside_a_blink: true,
            ..plain
        };
        let down = FaceContext {
            looking_down: true,
            ..plain
        };
        assert_eq!(judge_eyes(Some(1.0), false, &plain), FaceVerdict::Open);
        assert_eq!(judge_eyes(Some(1.0), true, &plain), FaceVerdict::Closed);
        assert_eq!(judge_eyes(Some(0.5), false, &plain), FaceVerdict::Closed);
        assert_eq!(
            judge_eyes(Some(0.75), false, &plain),
            FaceVerdict::HalfClosed
        );
        assert_eq!(judge_eyes(Some(0.82), false, &plain), FaceVerdict::Open);
        assert_eq!(
            judge_eyes(Some(0.82), false, &near_blink),
            FaceVerdict::HalfClosed
        );
        assert_eq!(
            judge_eyes(Some(0.75), false, &down),
            FaceVerdict::LookingDown
        );
        // A little down, closed is closed; far down, the lids cannot tell.
        assert_eq!(judge_eyes(Some(0.4), true, &down), FaceVerdict::Closed);
        let far_down = FaceContext {
            head_down: true,
            ..down
        };
        assert_eq!(
            judge_eyes(Some(0.4), true, &far_down),
            FaceVerdict::LookingDown
        );
        assert_eq!(judge_eyes(None, true, &far_down), FaceVerdict::LookingDown);
        assert_eq!(judge_eyes(Some(1.0), false, &far_down), FaceVerdict::Open);
        assert_eq!(judge_eyes(None, false, &plain), FaceVerdict::Uncertain);
        assert_eq!(
            judge_eyes(Some(0.5), false, &laughing),
            FaceVerdict::Laughing
        );
        assert_eq!(judge_eyes(Some(1.0), false, &laughing), FaceVerdict::Open);
        assert_eq!(judge_eyes(Some(0.2), true, &touching), FaceVerdict::Kissing);
        assert_eq!(
            judge_eyes(Some(0.7), false, &touching),
            FaceVerdict::Kissing
        );
        assert_eq!(judge_eyes(Some(1.0), false, &touching), FaceVerdict::Open);
    }

    #[test]
    fn people_keep_their_number_across_the_burst_by_place_and_size() {
        let s = signals(0.5);
        // Two people; the second frame lists them in the other order, the third has only the
        // right one, the fourth a newcomer far away.
        let frames = [
            vec![face(100.0, 0.3, 0.5), face(600.0, 0.3, 0.5)],
            vec![face(610.0, 0.3, 0.5), face(95.0, 0.3, 0.5)],
            vec![face(605.0, 0.3, 0.5)],
            vec![face(600.0, 0.3, 0.5), face(850.0, 0.3, 0.5)],
        ];
        let briefs: Vec<Option<Vec<FaceBrief>>> =
            frames.iter().map(|f| Some(briefs(&s, f, false))).collect();
        assert_eq!(
            number_people(&briefs),
            vec![vec![0, 1], vec![1, 0], vec![1], vec![1, 2]]
        );
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

    #[test]
    fn faces_are_called_softer_only_beyond_the_jitter_of_the_reading() {
        // The same face at its sharpest, 0.17 below (a still face whose eyes opened wider in
        // the sharpest frame reads so) and 0.3 below (blurred), the background alike.
        let mut frames = burst(&[0.30, 0.30, 0.30]);
        frames[1].1[0].sharpness = 0.60 * (1.0 - 0.17);
        frames[2].1[0].sharpness = 0.60 * (1.0 - 0.30);
        let ranked = rank_frames(&frames);
        assert!(ranked[0].best, "{ranked:?}");
        assert!(ranked[1].score > ranked[2].score, "{ranked:?}");
        assert!(
            !ranked[1].reasons.contains(&Reason::FacesSoft),
            "{:?}",
            ranked[1]
        );
        assert!(
            ranked[2].reasons.contains(&Reason::FacesSoft),
            "{:?}",
            ranked[2]
        );
        // The loss still costs in the ranking.
        assert!(ranked[1].score < ranked[0].score, "{ranked:?}");
    }

    #[test]
    fn a_shake_that_softened_the_faces_a_little_is_still_named() {
        // A sideways shake that spared the sharpest region (the edges along it) and took 0.17
        // of the face's sharpness: too little to say "faces softer", enough to say the subject
        // is not sharp, so the shake is named (the words' threshold is not the ranking's).
        let mut frames = burst(&[0.30, 0.30, 0.30]);
        frames[1].0.sharpness = 0.30 / 2.8;
        frames[1].0.peak_sharpness = 0.30 / 1.23;
        frames[1].0.detail_direction = [0.2, 0.72, 0.08];
        frames[1].1[0].sharpness = 0.60 * (1.0 - 0.17);
        let ranked = rank_frames(&frames);
        assert!(
            ranked[1]
                .reasons
                .iter()
                .any(|r| matches!(r, Reason::MotionBlur { .. })),
            "{:?}",
            ranked[1]
        );
        assert!(
            !ranked[1].reasons.contains(&Reason::FacesSoft),
            "{:?}",
            ranked[1]
        );
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
    fn a_frame_that_lost_the_faces_the_others_show_is_judged_on_its_whole_detail() {
        // Frame 3 lost its fine detail and some at 1/8 scale, but its sharpest region kept its
        // detail (edges along a shake), and no face is found in it.
        let mut frames = burst(&[0.30, 0.30, 0.31, 0.30]);
        frames[3].0.sharpness = 0.02;
        frames[3].0.coarse_sharpness = 0.5;
        frames[3].1.clear();
        let ranked = rank_frames(&frames);
        assert!(ranked[3].reject_candidate, "{:?}", ranked[3]);
        assert!(
            ranked[3]
                .reasons
                .iter()
                .any(|r| matches!(r, Reason::MotionBlur { .. } | Reason::OutOfFocus { .. })),
            "{:?}",
            ranked[3].reasons
        );
        // Without faces anywhere, the sharpest region stands for the subject: a shallower depth
        // of field, "slightly softer".
        for f in &mut frames {
            f.1.clear();
        }
        let ranked = rank_frames(&frames);
        assert!(!ranked[3].reject_candidate, "{:?}", ranked[3]);
        assert_eq!(ranked[3].reasons, vec![Reason::SlightlySoft]);
        // Nor is a frame without a face in a group where most frames show none.
        let mut frames = burst(&[0.30, 0.30, 0.31, 0.30]);
        frames[3].0.sharpness = 0.02;
        frames[3].0.coarse_sharpness = 0.5;
        for f in &mut frames[1..] {
            f.1.clear();
        }
        assert!(!lost_faces(&[None], 0));
        let ranked = rank_frames(&frames);
        assert_eq!(ranked[3].reasons, vec![Reason::SlightlySoft]);
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
    fn one_eye_read_closed_while_looking_down_and_the_other_open_is_not_a_blink() {
        // Looking down at a cup, head 8° down and turned: one eye reads closed on the face
        // alone (0.14, about half its open state), the other as open as usual.
        let one_down = |pitch: f32, other: f32| {
            let mut f = pitched(face(100.0, 0.30, 0.60), pitch);
            f.openness = [Some(0.14), Some(other)];
            f.eye_states = [EyeState::Closed, EyeState::Open];
            f.eyes = EyeState::OneClosed;
            f
        };
        let mut frames = burst(&[0.30, 0.30, 0.30, 0.30, 0.30]);
        frames[3].1[0] = one_down(8.0, 0.30);
        let r = rank_frames(&frames);
        assert_eq!(r[3].judged_faces[0].eyes, FaceVerdict::LookingDown);
        assert!(!r[3].reject_candidate, "{:?}", r[3].reasons);
        // Head as usual: a wink or one side of a blink, as before.
        frames[3].1[0] = one_down(1.0, 0.30);
        let r = rank_frames(&frames);
        assert_eq!(r[3].judged_faces[0].eyes, FaceVerdict::Closed);
        assert!(r[3].reject_candidate);
        // Looking down with the other eye lowered too: a blink on its way.
        frames[3].1[0] = one_down(8.0, 0.22);
        let r = rank_frames(&frames);
        assert_eq!(r[3].judged_faces[0].eyes, FaceVerdict::Closed);
        assert!(r[3].reject_candidate);
    }

    #[test]
    fn a_head_far_down_is_looking_down_even_when_the_lids_read_closed() {
        // A player watching the ball: head 20–30° down the whole burst, the lids so low that
        // one frame reads closed on the face alone. Looking down, not a blink.
        let pitches = [22.0, 25.0, 30.0, 24.0, 21.0];
        let mut frames = burst(&[0.30, 0.28, 0.10, 0.27, 0.30]);
        for (f, &pitch) in frames.iter_mut().zip(&pitches) {
            f.1[0] = pitched(f.1[0].clone(), pitch);
        }
        let r = rank_frames(&frames);
        assert_eq!(r[2].judged_faces[0].eyes, FaceVerdict::LookingDown);
        assert!(!r[2].reject_candidate, "{:?}", r[2].reasons);
        assert!(
            !r[2].reasons.iter().any(|x| x.fault_tag().is_some()),
            "{:?}",
            r[2].reasons
        );
        // The same lids with the head as usual (a blink nods the head a degree or two).
        let mut frames = burst(&[0.30, 0.28, 0.10, 0.27, 0.30]);
        frames[2].1[0] = pitched(frames[2].1[0].clone(), 2.5);
        let r = rank_frames(&frames);
        assert_eq!(r[2].judged_faces[0].eyes, FaceVerdict::Closed);
        assert!(r[2].reject_candidate);
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
