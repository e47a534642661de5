//! The reasons ranking gives, rendered to plain words in one place.

use serde::{Deserialize, Serialize};

use super::SetKind;
use super::taste::Trait;
use crate::signals::Misfire;

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
    /// As sharp as any of a group of `of` frames: the sharpest reading, by less than the
    /// reading's jitter between frames of a still subject (see `rank::detail::ALIKE_STOPS`).
    AsSharpAsAny {
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
    /// Frame `at` (in shooting order) of a panorama or a focus stack of `of` frames: all of them
    /// are needed, none is compared with the others for what differs on purpose.
    InSet {
        /// The kind of set.
        set: SetKind,
        /// Position in shooting order, from 1.
        at: usize,
        /// Frames in the set.
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
    /// Eyes shut or narrowed while laughing or smiling hard: not a blink.
    EyesShutLaughing {
        /// Faces laughing with their eyes shut.
        laughing: u32,
        /// Salient faces.
        faces: u32,
    },
    /// Eyes shut with the face touching another (a kiss, cheek to cheek): not a blink.
    EyesShutKissing {
        /// Faces touching another with their eyes shut.
        kissing: u32,
        /// Salient faces.
        faces: u32,
    },
    /// Faces are sharp (best frame of a group with faces).
    FacesSharp,
    /// The faces are softer than in the best frame.
    FacesSoft,
    /// The pick because of the photographer's learned taste: it has more (or less) of `what`
    /// than the frame the engine alone would pick.
    AsYouPrefer {
        /// The trait that decided.
        what: Trait,
        /// The pick has more of it.
        more: bool,
    },
}

impl Reason {
    /// The fault in a word or two, for a badge on a thumbnail: only faults that usually cost a
    /// frame its place (lost focus, motion blur, a blink, a misfire, something in front of the
    /// lens). Milder differences (exposure, noise, "slightly softer") and praise have none.
    pub fn fault_tag(&self) -> Option<&'static str> {
        match self {
            Reason::OutOfFocus { .. } | Reason::Blurry => Some("out of focus"),
            Reason::MotionBlur { .. } => Some("motion blur"),
            Reason::Misfire { what } => Some(match what {
                Misfire::Black => "black frame",
                Misfire::White => "blown out",
                Misfire::ExtremeBlur => "no detail",
            }),
            Reason::Obstructed => Some("lens blocked"),
            Reason::EyesClosed { .. } => Some("eyes closed"),
            Reason::EyesHalfClosed { .. } => Some("eyes half closed"),
            _ => None,
        }
    }
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
            Reason::AsSharpAsAny { of } => write!(f, "as sharp as any of {of}"),
            Reason::BestOf { of } => write!(f, "best balance of focus and exposure of {of}"),
            Reason::BestOfBracket { of, metered } => {
                write!(f, "best of an exposure bracket of {of}")?;
                if *metered {
                    write!(f, " (the metered exposure)")?;
                }
                Ok(())
            }
            Reason::InSet { set, at, of } => {
                write!(f, "frame {at} of a {} of {of}: keep them all", set.words())
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
            Reason::EyesClosed { closed, faces } => of_faces(f, "eyes closed", *closed, *faces),
            Reason::EyesHalfClosed { half, faces } => {
                of_faces(f, "eyes half closed", *half, *faces)
            }
            Reason::EyesShutLaughing { laughing, faces } => {
                of_faces(f, "eyes shut while laughing", *laughing, *faces)
            }
            Reason::EyesShutKissing { kissing, faces } => {
                of_faces(f, "eyes shut in a kiss or hug", *kissing, *faces)
            }
            Reason::FacesSharp => write!(f, "faces sharp"),
            Reason::FacesSoft => write!(f, "faces softer than in the best frame"),
            Reason::AsYouPrefer { what, more } => {
                write!(f, "{}, as you usually prefer", what.words(*more))
            }
        }
    }
}

/// `words`, with "(`count` of `faces` faces)" when there is more than one face.
fn of_faces(
    f: &mut std::fmt::Formatter<'_>,
    words: &str,
    count: u32,
    faces: u32,
) -> std::fmt::Result {
    if faces <= 1 {
        write!(f, "{words}")
    } else {
        write!(f, "{words} ({count} of {faces} faces)")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_plain_words() {
        let cases = [
            (Reason::SharpestOf { of: 7 }, "sharpest of 7"),
            (Reason::AsSharpAsAny { of: 16 }, "as sharp as any of 16"),
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
            (
                Reason::AsYouPrefer {
                    what: Trait::Brightness,
                    more: true,
                },
                "brighter, as you usually prefer",
            ),
        ];
        for (reason, words) in cases {
            assert_eq!(reason.to_string(), words, "{reason:?}");
        }
    }

    #[test]
    fn only_faults_that_cost_a_frame_its_place_have_a_tag() {
        let tagged = [
            (Reason::OutOfFocus { stops: 2.0 }, "out of focus"),
            (Reason::Blurry, "out of focus"),
            (Reason::MotionBlur { stops: 1.5 }, "motion blur"),
            (
                Reason::Misfire {
                    what: Misfire::Black,
                },
                "black frame",
            ),
            (Reason::Obstructed, "lens blocked"),
            (
                Reason::EyesClosed {
                    closed: 1,
                    faces: 2,
                },
                "eyes closed",
            ),
            (
                Reason::EyesHalfClosed { half: 1, faces: 1 },
                "eyes half closed",
            ),
        ];
        for (reason, tag) in tagged {
            assert_eq!(reason.fault_tag(), Some(tag), "{reason:?}");
        }
        let untagged = [
            Reason::SharpestOf { of: 3 },
            Reason::AsSharpAsAny { of: 3 },
            Reason::FacesSharp,
            Reason::SlightlySoft,
            Reason::FacesSoft,
            Reason::Darker { stops: 2.0 },
            Reason::HighlightsClipped { percent: 0.2 },
            Reason::Noisier { times: 3.0 },
            Reason::Compressed { quality: 20 },
            Reason::EyesShutLaughing {
                laughing: 1,
                faces: 1,
            },
            Reason::EyesShutKissing {
                kissing: 2,
                faces: 2,
            },
        ];
        for reason in untagged {
            assert_eq!(reason.fault_tag(), None, "{reason:?}");
        }
    }
}
