//! What the analysis returns per face.

use serde::{Deserialize, Serialize};

/// Eye aspect ratio at or below which an eye is closed.
///
/// Measured with this pipeline on the test faces: closed eyes (two blinks, a wink, a computer
/// render) came out at 0.060–0.140, open ones (narrow eyes, a smile, glasses, small faces) at
/// 0.185–0.419. The models' README reports 0.057–0.132 closed and 0.156–0.422 open (broad
/// smiles at 0.156–0.19) with its own crops, so the band between the two thresholds is
/// reported as uncertain rather than guessed.
pub const EAR_CLOSED_MAX: f32 = 0.15;
/// Eye aspect ratio at or above which an eye is open; between the two: can't tell.
pub const EAR_OPEN_MIN: f32 = 0.175;
/// A face reads as a wink (one eye closed, the other open) only when the closed eye's aspect
/// ratio is at most this share of the open one's. Real winks and one-sided blinks read about
/// 0.33 (0.098 against 0.297 on the test faces); eyes narrowed by a broad smile or a laugh
/// read alike on both sides (about 0.14 against 0.18), which is not a wink.
pub const WINK_MAX_RATIO: f32 = 0.6;
/// Eyes narrower than this (corner to corner, full oriented pixels) are not measured.
pub const MIN_EYE_WIDTH_PX: f32 = 10.0;

/// State of one eye, or of a face's pair of eyes.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum EyeState {
    /// Open (both open, for a face; or one open and the other not measurable).
    Open,
    /// Closed (both closed, for a face; or one closed and the other not clearly open).
    Closed,
    /// One eye closed and the other open: a wink, or a blink caught half-way on one side.
    /// Only used for faces, never for a single eye.
    OneClosed,
    /// Can't tell: between the thresholds, too small, turned away or hidden.
    Uncertain,
}

impl EyeState {
    /// The state as one word, as it is serialized: `open`, `closed`, `one-closed`,
    /// `uncertain`.
    pub fn word(self) -> &'static str {
        match self {
            EyeState::Open => "open",
            EyeState::Closed => "closed",
            EyeState::OneClosed => "one-closed",
            EyeState::Uncertain => "uncertain",
        }
    }

    /// State of one eye from its eye aspect ratio.
    pub fn from_openness(openness: Option<f32>) -> EyeState {
        match openness {
            Some(ear) if ear <= EAR_CLOSED_MAX => EyeState::Closed,
            Some(ear) if ear >= EAR_OPEN_MIN => EyeState::Open,
            _ => EyeState::Uncertain,
        }
    }

    /// State of a face from its two eyes' states and aspect ratios: as [`EyeState::combine`],
    /// except that one eye just under the closed line and the other just over the open line
    /// (both narrowed alike, `WINK_MAX_RATIO`) is "can't tell", not a wink.
    pub fn of_face(states: [EyeState; 2], openness: [Option<f32>; 2]) -> EyeState {
        let combined = EyeState::combine(states);
        if combined == EyeState::OneClosed
            && let [Some(a), Some(b)] = openness
            && a.min(b) > WINK_MAX_RATIO * a.max(b)
        {
            return EyeState::Uncertain;
        }
        combined
    }

    /// State of a face from its two eyes (`[left, right]`, either order works).
    pub fn combine(eyes: [EyeState; 2]) -> EyeState {
        use EyeState::{Closed, Open, Uncertain};
        match eyes {
            [Open, Open] | [Open, Uncertain] | [Uncertain, Open] => Open,
            [Closed, Closed] | [Closed, Uncertain] | [Uncertain, Closed] => Closed,
            [Open, Closed] | [Closed, Open] => EyeState::OneClosed,
            _ => Uncertain,
        }
    }
}

/// A few points the app may draw, in oriented full-image pixels (x, y).
///
/// "Left" and "right" are the subject's: for a face looking at the camera, the subject's left
/// eye is on the image's right.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct FaceLandmarks {
    /// Centre of the subject's left eye (the iris centre when measured).
    pub left_eye: [f32; 2],
    /// Centre of the subject's right eye (the iris centre when measured).
    pub right_eye: [f32; 2],
    /// Tip of the nose.
    pub nose: [f32; 2],
    /// Centre of the mouth.
    pub mouth: [f32; 2],
    /// The mouth's corners `[right, left]` (the subject's); zero when not measured (analyses
    /// made before they were recorded).
    #[serde(default)]
    pub mouth_corners: [[f32; 2]; 2],
    /// The inner edges of the lips `[upper, lower]` at the middle of the mouth; zero when not
    /// measured.
    #[serde(default)]
    pub lips: [[f32; 2]; 2],
}

impl FaceLandmarks {
    /// How the mouth is held: `(open, wide)`, the gap between the lips as a share of the
    /// mouth's width, and the mouth's width as a share of `face_width`. `None` when the mouth
    /// was not measured.
    pub fn mouth_shape(&self, face_width: f32) -> Option<(f32, f32)> {
        let dist = |a: [f32; 2], b: [f32; 2]| (a[0] - b[0]).hypot(a[1] - b[1]);
        let width = dist(self.mouth_corners[0], self.mouth_corners[1]);
        (width > 0.0 && face_width > 0.0)
            .then(|| (dist(self.lips[0], self.lips[1]) / width, width / face_width))
    }
}

/// One face found in a frame.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Face {
    /// x, y, w, h in oriented full-image pixels (serialized as `box`).
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    /// Detection confidence, 0..1.
    pub score: f32,
    /// The face's eye state (from [`Face::eye_states`] by [`EyeState::combine`]).
    pub eyes: EyeState,
    /// Eye aspect ratio `[left, right]` (the subject's left and right eye) from the iris
    /// model's eyelid contour: about 0.2–0.4 open, under 0.15 closed. `None` when the eye
    /// can't be measured (too small, or the far eye of a face turned away).
    pub openness: [Option<f32>; 2],
    /// Per eye `[left, right]` (the subject's): open, closed or uncertain.
    pub eye_states: [EyeState; 2],
    /// Sharpness of the face and eye region, measured on a crop at a fixed scale relative to
    /// the face and normalised by local contrast, so it compares across the frames of a burst
    /// (not across different faces of different sizes). Roughly 0 (mush) to 1 (crisp); sensor
    /// noise does not raise it.
    pub sharpness: f32,
    /// Head turned towards the camera (yaw within ±20°, pitch within ±25°) with the irises
    /// looking at it; false when the eyes are closed.
    pub looking_at_camera: bool,
    /// Head yaw and pitch in degrees (0, 0 = facing the camera; positive yaw = nose towards
    /// the image's right, positive pitch = nose down), from the face mesh.
    pub pose: [f32; 2],
    /// Eye centres, nose and mouth.
    pub landmarks: FaceLandmarks,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_in_words_is_its_serialized_form() {
        for state in [
            EyeState::Open,
            EyeState::Closed,
            EyeState::OneClosed,
            EyeState::Uncertain,
        ] {
            let json = serde_json::to_value(state).expect("serialize");
            assert_eq!(json.as_str(), Some(state.word()), "{state:?}");
        }
    }
    use EyeState::{Closed, OneClosed, Open, Uncertain};

    #[test]
    fn eye_state_from_openness() {
        let cases = [
            ("wide open", Some(0.35), Open),
            ("open threshold", Some(EAR_OPEN_MIN), Open),
            ("grey zone", Some(0.155), Uncertain),
            ("closed threshold", Some(EAR_CLOSED_MAX), Closed),
            ("shut", Some(0.05), Closed),
            ("not measured", None, Uncertain),
        ];
        for (name, ear, want) in cases {
            assert_eq!(EyeState::from_openness(ear), want, "{name}");
        }
    }

    #[test]
    fn face_state_from_two_eyes() {
        let cases = [
            ([Open, Open], Open),
            ([Open, Uncertain], Open),
            ([Closed, Closed], Closed),
            ([Uncertain, Closed], Closed),
            ([Closed, Open], OneClosed),
            ([Open, Closed], OneClosed),
            ([Uncertain, Uncertain], Uncertain),
        ];
        for (eyes, want) in cases {
            assert_eq!(EyeState::combine(eyes), want, "{eyes:?}");
        }
    }

    #[test]
    fn eyes_narrowed_alike_are_not_a_wink() {
        // A laugh: both eyes narrowed, one just under the closed line.
        let laugh = EyeState::of_face([Closed, Open], [Some(0.14), Some(0.18)]);
        assert_eq!(laugh, Uncertain);
        // A wink: one eye shut, the other open.
        let wink = EyeState::of_face([Closed, Open], [Some(0.098), Some(0.297)]);
        assert_eq!(wink, OneClosed);
        assert_eq!(
            EyeState::of_face([Open, Open], [Some(0.3), Some(0.3)]),
            Open
        );
        assert_eq!(
            EyeState::of_face([Closed, Closed], [Some(0.1), Some(0.09)]),
            Closed
        );
    }

    #[test]
    fn serde_names() {
        let cases = [
            (Open, "\"open\""),
            (Closed, "\"closed\""),
            (OneClosed, "\"one-closed\""),
            (Uncertain, "\"uncertain\""),
        ];
        for (state, want) in cases {
            assert_eq!(serde_json::to_string(&state).unwrap(), want, "{state:?}");
            let back: EyeState = serde_json::from_str(want).unwrap();
            assert_eq!(back, state, "{want} round trip");
        }
    }
}
