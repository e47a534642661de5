//! Plain data types of the catalog API.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

row_id!(
    /// A shoot (one folder the photographer opened): `shoots.id`.
    ShootId
);
row_id!(
    /// A photo file of a shoot: `photos.id`.
    PhotoId
);
row_id!(
    /// One undoable user action (one [`crate::Catalog::decide`] call).
    ActionId
);

/// What the scanner knows about a file: its path relative to the shoot root and the
/// size/mtime pair that tells whether a cached analysis is still valid.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileKey {
    /// Path relative to the shoot root, `/`-separated.
    pub rel_path: String,
    /// File size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
}

/// A photo as the catalog stores it (the grid's row is `bestpick_engine::view::PhotoRow`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPhoto {
    /// Row id.
    pub id: PhotoId,
    /// Path relative to the shoot root.
    pub rel_path: String,
    /// Size in bytes at the last sync.
    pub size: u64,
    /// Modification time (ns since the epoch) at the last sync.
    pub mtime_ns: i64,
}

/// A shoot with the counts a "recent shoots" list shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShootInfo {
    /// Row id.
    pub id: ShootId,
    /// The root folder, as given to [`crate::Catalog::shoot`].
    pub root: PathBuf,
    /// When the shoot was first opened (Unix ms).
    pub created_at_ms: i64,
    /// When the shoot was last opened (Unix ms).
    pub last_opened_at_ms: i64,
    /// Number of photo rows (including files no longer on disk).
    pub photo_count: u64,
    /// Photos flagged as picks.
    pub picks: u64,
    /// Photos flagged as rejects.
    pub rejects: u64,
}

/// One analysis to cache: an opaque blob serialized by the caller, valid for the file state
/// (`size`, `mtime_ns`) it was computed from and for the analysis code `version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnalysis {
    /// The photo analyzed.
    pub photo: PhotoId,
    /// Version of the analysis code; a bump invalidates every cached row.
    pub version: u32,
    /// File size the analysis was computed from.
    pub size: u64,
    /// File mtime (ns) the analysis was computed from.
    pub mtime_ns: i64,
    /// The serialized analysis.
    pub data: Vec<u8>,
}

/// Pick/reject flag.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flag {
    /// Not flagged.
    #[default]
    None,
    /// Picked (keeper).
    Pick,
    /// Rejected.
    Reject,
}

impl Flag {
    /// The lowercase name stored in the catalog (`none`, `pick`, `reject`).
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::None => "none",
            Flag::Pick => "pick",
            Flag::Reject => "reject",
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Flag {
    type Err = Error;

    /// Accepts `none`, `pick`, `reject` in any case.
    fn from_str(s: &str) -> Result<Self> {
        [Flag::None, Flag::Pick, Flag::Reject]
            .into_iter()
            .find(|flag| flag.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| Error::UnknownFlag(s.to_owned()))
    }
}

/// Colour label. The five colours are the ones Lightroom, darktable and digiKam share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorLabel {
    /// Red.
    Red,
    /// Yellow.
    Yellow,
    /// Green.
    Green,
    /// Blue.
    Blue,
    /// Purple.
    Purple,
}

impl ColorLabel {
    /// All labels, in darktable's index order (red = 0 … purple = 4).
    pub const ALL: [ColorLabel; 5] = [
        ColorLabel::Red,
        ColorLabel::Yellow,
        ColorLabel::Green,
        ColorLabel::Blue,
        ColorLabel::Purple,
    ];

    /// The lowercase name stored in the catalog (`red`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ColorLabel::Red => "red",
            ColorLabel::Yellow => "yellow",
            ColorLabel::Green => "green",
            ColorLabel::Blue => "blue",
            ColorLabel::Purple => "purple",
        }
    }
}

impl fmt::Display for ColorLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ColorLabel {
    type Err = Error;

    /// Accepts the colour names in any case (`red`, `Red`, `RED`).
    fn from_str(s: &str) -> Result<Self> {
        ColorLabel::ALL
            .into_iter()
            .find(|label| label.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| Error::UnknownLabel(s.to_owned()))
    }
}

/// The photographer's decision on one photo.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Pick/reject flag.
    pub flag: Flag,
    /// Stars, 0–5.
    pub stars: u8,
    /// Colour label.
    pub label: Option<ColorLabel>,
    /// When the decision last changed (Unix ms); 0 for a photo never decided on.
    pub updated_at_ms: i64,
}

/// One change the photographer makes to a selection of photos.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "value")]
pub enum DecisionChange {
    /// Set the flag.
    Flag(Flag),
    /// Set the stars (0–5; more is an error).
    Stars(u8),
    /// Set or clear the colour label.
    Label(Option<ColorLabel>),
}

impl DecisionChange {
    /// Check the value ranges.
    pub fn validate(self) -> Result<()> {
        match self {
            DecisionChange::Stars(stars) if stars > 5 => Err(Error::InvalidStars(stars)),
            _ => Ok(()),
        }
    }

    /// Apply the change to `decision` (the timestamp is left to the caller).
    pub fn apply(self, decision: &mut Decision) {
        match self {
            DecisionChange::Flag(flag) => decision.flag = flag,
            DecisionChange::Stars(stars) => decision.stars = stars,
            DecisionChange::Label(label) => decision.label = label,
        }
    }
}

/// One consent to the contribution terms, as the catalog keeps it (table `consents`).
///
/// Only what the contributor's ledger needs; nothing secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Version of the terms accepted (1 or more).
    pub terms_version: u32,
    /// When the terms were accepted (Unix ms).
    pub accepted_at_ms: i64,
    /// The contributor said they are 13–17 and a parent or guardian gave permission.
    pub minor_with_parental_permission: bool,
    /// The optional self-declared buckets, a JSON object the caller writes and reads back; the
    /// catalog stores it as given.
    pub buckets_json: String,
    /// When the consent was withdrawn (Unix ms), if it was.
    pub withdrawn_at_ms: Option<i64>,
}

/// Where a contribution stands, as far as the contributor knows.
///
/// Serialized as one lowercase word, the name the catalog stores; JSON ledgers of earlier
/// builds wrote the same words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContributionState {
    /// Built and staged locally, not yet confirmed by the collector.
    Staged,
    /// Confirmed by the collector.
    Received,
    /// Deleted at the collector on the contributor's request.
    Deleted,
    /// Never sent and removed locally (withdrawal, or 30 days in staging).
    Discarded,
}

impl ContributionState {
    /// Every state.
    pub const ALL: [ContributionState; 4] = [
        ContributionState::Staged,
        ContributionState::Received,
        ContributionState::Deleted,
        ContributionState::Discarded,
    ];

    /// The lowercase name stored in the catalog (`staged`, `received`, `deleted`, `discarded`).
    pub fn as_str(self) -> &'static str {
        match self {
            ContributionState::Staged => "staged",
            ContributionState::Received => "received",
            ContributionState::Deleted => "deleted",
            ContributionState::Discarded => "discarded",
        }
    }
}

impl fmt::Display for ContributionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One bundle the contributor built, as the catalog keeps it (table `contributions`).
///
/// No receipt token, idempotency key or bundle content: those stay in the contribution vault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    /// The bundle's single-use anonymous id (unique; the key of the record).
    pub anonymous_id: String,
    /// URL of the collector the bundle was built for.
    pub collector: String,
    /// Collector-assigned id once the collector confirmed the upload.
    pub bundle_id: Option<String>,
    /// Photos in the bundle.
    pub image_count: u32,
    /// When the bundle was built (Unix ms).
    pub created_at_ms: i64,
    /// When the collector confirmed it (Unix ms).
    pub sent_at_ms: Option<i64>,
    /// State.
    pub state: ContributionState,
    /// Datasets that used the bundle, as last reported by the collector.
    pub datasets: Vec<String>,
    /// Last problem (failed upload, unreachable collector), for status displays.
    pub last_error: Option<String>,
}

/// One request the contribution client made, as the network log keeps it (table
/// `network_requests`). Nothing secret: no token, key or bundle content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkRequest {
    /// When it started (Unix ms).
    pub started_at_ms: i64,
    /// The collector's origin (`scheme://host[:port]`).
    pub collector: String,
    /// HTTP method.
    pub method: String,
    /// What for, in words ("fetch the collector key", "upload bundle …").
    pub purpose: String,
    /// 1 for the first try; retries count up.
    pub attempt: u32,
    /// Body bytes sent.
    pub bytes_sent: u64,
    /// How it ended; `None` when no end was recorded (the process stopped during it).
    pub outcome: Option<RequestOutcome>,
}

/// How a logged request ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestOutcome {
    /// When it ended (Unix ms).
    pub finished_at_ms: i64,
    /// Body bytes received.
    pub bytes_received: u64,
    /// The HTTP status, when the collector answered.
    pub status: Option<u16>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

/// The id of a row of the network log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(pub i64);

/// What [`crate::Catalog::merge_contribution_records`] added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MergedRecords {
    /// Consents added (ones already in the catalog are not counted).
    pub consents: usize,
    /// Contributions added (ones already in the catalog are not counted).
    pub contributions: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_label_parses_names_in_any_case() {
        let cases = [
            ("red", Some(ColorLabel::Red)),
            ("Red", Some(ColorLabel::Red)),
            ("YELLOW", Some(ColorLabel::Yellow)),
            (" green ", Some(ColorLabel::Green)),
            ("bLuE", Some(ColorLabel::Blue)),
            ("Purple", Some(ColorLabel::Purple)),
            ("magenta", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<ColorLabel>().ok(), expected, "case {input:?}");
        }
    }

    #[test]
    fn flag_parses_names_in_any_case() {
        let cases = [
            ("none", Some(Flag::None)),
            ("Pick", Some(Flag::Pick)),
            ("REJECT", Some(Flag::Reject)),
            ("picked", None),
        ];
        for (input, expected) in cases {
            assert_eq!(input.parse::<Flag>().ok(), expected, "case {input:?}");
        }
    }

    #[test]
    fn serde_names_are_lowercase() {
        let cases = [
            (serde_json::to_string(&Flag::Pick).ok(), "\"pick\""),
            (serde_json::to_string(&Flag::None).ok(), "\"none\""),
            (
                serde_json::to_string(&ColorLabel::Purple).ok(),
                "\"purple\"",
            ),
            (serde_json::to_string(&PhotoId(7)).ok(), "7"),
            (
                serde_json::to_string(&ContributionState::Discarded).ok(),
                "\"discarded\"",
            ),
        ];
        for (got, expected) in cases {
            assert_eq!(got.as_deref(), Some(expected), "case {expected}");
        }
    }

    #[test]
    fn contribution_state_names_match_serde() {
        for state in ContributionState::ALL {
            assert_eq!(
                serde_json::to_string(&state).ok(),
                Some(format!("\"{}\"", state.as_str())),
                "case {state}"
            );
        }
    }

    #[test]
    fn decision_default_is_undecided() {
        let d = Decision::default();
        assert_eq!((d.flag, d.stars, d.label), (Flag::None, 0, None));
    }

    #[test]
    fn stars_above_five_are_rejected() {
        for stars in 0..=5 {
            assert!(
                DecisionChange::Stars(stars).validate().is_ok(),
                "{stars} stars"
            );
        }
        assert!(
            matches!(
                DecisionChange::Stars(6).validate(),
                Err(Error::InvalidStars(6))
            ),
            "6 stars"
        );
    }
}
