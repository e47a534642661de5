//! Wire types of an opened shoot: the open job's events (listing, progress, done), the grid's
//! photos and groups, and how the opening went.

use bestpick_engine::profiles::Culling;
use bestpick_engine::view::{GroupRow, PhotoRow, ShootView};
use bestpick_engine::vocabulary::{JudgedFace, Stage};
use bestpick_engine::{ListedPhoto, Listing, ShootStatus};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::wire::{count, path_string};
use super::{DecisionDto, ErrorDto};

/// Events of an open-shoot job, streamed through a channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", tag = "event", content = "data")]
pub enum ProgressEvent {
    /// The photos of the shoot, before analysis.
    Listed {
        /// Shoot id.
        shoot: i64,
        /// Shoot folder.
        root: String,
        /// Photos in session order.
        photos: Vec<ListedPhotoDto>,
    },
    /// Stage progress.
    Progress {
        /// Stage.
        stage: StageDto,
        /// Items done.
        done: u32,
        /// Items in the stage (0 = unknown).
        total: u32,
    },
    /// A photo's thumbnail is ready (shown before its faces are found), or, for a photo that
    /// has none, its analysis.
    ThumbReady {
        /// Photo id.
        photo: i64,
    },
    /// Analysis finished (or was cancelled): the grid.
    Done {
        /// The grouped shoot.
        view: ShootViewDto,
    },
    /// The job failed.
    Failed {
        /// Why.
        error: ErrorDto,
    },
}

impl From<&Listing> for ProgressEvent {
    fn from(l: &Listing) -> Self {
        ProgressEvent::Listed {
            shoot: l.shoot.0,
            root: path_string(&l.root),
            photos: l.photos.iter().map(ListedPhotoDto::from).collect(),
        }
    }
}

/// A photo known before analysis (grid placeholders).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ListedPhotoDto {
    /// Photo id.
    pub id: i64,
    /// Path relative to the shoot folder.
    pub rel_path: String,
    /// A thumbnail is ready to load.
    pub thumbnail: bool,
}

impl From<&ListedPhoto> for ListedPhotoDto {
    fn from(p: &ListedPhoto) -> Self {
        ListedPhotoDto {
            id: p.id.0,
            rel_path: p.rel_path.clone(),
            thumbnail: p.thumbnail,
        }
    }
}

/// Analysis stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum StageDto {
    /// Listing files.
    Scanning,
    /// Reading and measuring photos.
    Analyzing,
    /// Grouping and ranking.
    Ranking,
    /// Finished.
    Done,
}

impl From<Stage> for StageDto {
    fn from(s: Stage) -> Self {
        match s {
            Stage::Scanning => StageDto::Scanning,
            Stage::Analyzing => StageDto::Analyzing,
            Stage::Ranking => StageDto::Ranking,
            Stage::Done => StageDto::Done,
        }
    }
}

/// One photo of the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PhotoDto {
    /// Photo id.
    pub id: i64,
    /// Path relative to the shoot folder.
    pub rel_path: String,
    /// `jpeg`, `png`, `raw`, …
    pub kind: String,
    /// Capture time, ms since the epoch.
    pub time_ms: Option<f64>,
    /// Displayed width.
    pub width: u32,
    /// Displayed height.
    pub height: u32,
    /// Group id; 0 = could not be analyzed.
    pub group: u32,
    /// Suggested pick.
    pub best: bool,
    /// Rank in the group.
    pub rank: u32,
    /// Score 0..=100.
    pub score: f32,
    /// Suggested reject.
    pub reject_candidate: bool,
    /// Reasons in words.
    pub reasons: Vec<String>,
    /// The heaviest fault that usually costs a frame its place, in a word or two ("motion
    /// blur", "eyes closed"): the thumbnail's badge.
    pub fault: Option<String>,
    /// Someone's eyes are closed.
    pub eyes_closed: bool,
    /// Each salient face judged against the same person in the group's other frames.
    pub judged_faces: Vec<JudgedFaceDto>,
    /// Why it could not be analyzed.
    pub error: Option<String>,
    /// Decision.
    pub decision: DecisionDto,
}

impl From<&PhotoRow> for PhotoDto {
    fn from(p: &PhotoRow) -> Self {
        PhotoDto {
            id: p.id.0,
            rel_path: p.rel_path.clone(),
            kind: p.kind.as_str().into(),
            time_ms: p.time_ms.map(|t| t as f64),
            width: p.width,
            height: p.height,
            group: count(p.group),
            best: p.best,
            rank: count(p.rank),
            score: p.score,
            reject_candidate: p.reject_candidate,
            reasons: p.reasons.clone(),
            fault: p.fault.map(str::to_string),
            eyes_closed: p.eyes_closed,
            judged_faces: p.judged_faces.iter().map(JudgedFaceDto::from).collect(),
            error: p.error.clone(),
            decision: DecisionDto::new(p.id.0, &p.decision),
        }
    }
}

/// One salient face of a photo, judged against the same person in the other frames of its
/// group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct JudgedFaceDto {
    /// The person, numbered within the group: the same number in two frames is the same place
    /// and size in the frame, not an identity.
    pub person: u32,
    /// x, y, width, height in displayed (oriented) image pixels.
    pub bbox: [f32; 4],
    /// The eyes: `open`, `half_closed`, `closed`, `looking_down`, `laughing`, `kissing` or
    /// `uncertain` (a newer core may add words).
    pub eyes: String,
    /// Per eye `[left, right]` (the subject's), in the same words.
    pub eye_states: [String; 2],
    /// Per eye, openness as a share of the person's open state in the group (1 = as open as
    /// usual); null without a reading.
    pub open_share: [Option<f32>; 2],
    /// Face sharpness as a share of the person's sharpest clean frame, 0..=1.
    pub sharpness: f32,
}

impl From<&JudgedFace> for JudgedFaceDto {
    fn from(f: &JudgedFace) -> Self {
        JudgedFaceDto {
            person: count(f.person),
            bbox: f.bbox,
            eyes: f.eyes.as_str().into(),
            eye_states: f.eye_states.map(|e| e.as_str().into()),
            open_share: f.open_share,
            sharpness: f.sharpness,
        }
    }
}

/// A group of the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GroupDto {
    /// Group id (0 = photos that could not be analyzed).
    pub id: u32,
    /// Indices into `ShootViewDto.photos`.
    pub members: Vec<u32>,
    /// Index of the suggested pick.
    pub best: Option<u32>,
    /// The set the group is: `bracket` (an exposure bracket); null for a burst or a single.
    /// Newer cores add kinds (`panorama`, `focus_stack`).
    pub set: Option<String>,
}

impl From<&GroupRow> for GroupDto {
    fn from(g: &GroupRow) -> Self {
        GroupDto {
            id: count(g.id),
            members: g.members.iter().map(|&m| count(m)).collect(),
            best: g.best.map(count),
            set: g.set.map(|s| s.as_str().into()),
        }
    }
}

/// How the opening went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StatusDto {
    /// Analyzed by this run.
    pub analyzed_now: u32,
    /// Reused from the catalog.
    pub from_cache: u32,
    /// Failed.
    pub failed: u32,
    /// Left for later (cancelled).
    pub pending: u32,
    /// Cancelled.
    pub cancelled: bool,
    /// Seconds the opening took.
    pub seconds: f64,
}

impl From<&ShootStatus> for StatusDto {
    fn from(s: &ShootStatus) -> Self {
        StatusDto {
            analyzed_now: count(s.analyzed_now),
            from_cache: count(s.from_cache),
            failed: count(s.failed),
            pending: count(s.pending),
            cancelled: s.cancelled,
            seconds: s.seconds,
        }
    }
}

/// The grouped shoot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ShootViewDto {
    /// Shoot id.
    pub shoot: i64,
    /// Shoot folder.
    pub root: String,
    /// Photos in session order.
    pub photos: Vec<PhotoDto>,
    /// Groups in shooting order.
    pub groups: Vec<GroupDto>,
    /// Status.
    pub status: StatusDto,
    /// Files skipped as not photos.
    pub skipped: u32,
    /// Problems in words.
    pub problems: Vec<String>,
    /// The culling profile the suggestions were ranked with.
    pub profile: String,
    /// The grouping, 0 (loose) ..= 100 (strict).
    pub strictness: u8,
}

impl ShootViewDto {
    /// The view `v`, culled as `culling` says (its profile and grouping).
    pub fn culled(v: &ShootView, culling: &Culling) -> Self {
        ShootViewDto {
            shoot: v.shoot.0,
            root: path_string(&v.root),
            photos: v.photos.iter().map(PhotoDto::from).collect(),
            groups: v.groups.iter().map(GroupDto::from).collect(),
            status: StatusDto::from(&v.status),
            skipped: count(v.skipped),
            problems: v.problems.clone(),
            profile: culling.name.clone(),
            strictness: culling.strictness.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bestpick_engine::vocabulary::Decision;
    use serde_json::Value;

    #[test]
    fn judged_faces_and_sets_reach_the_wire() {
        use bestpick_engine::vocabulary::{FaceVerdict, FileKind, SetKind};
        let face = JudgedFace {
            person: 1,
            bbox: [10.0, 20.0, 90.0, 110.0],
            eyes: FaceVerdict::HalfClosed,
            eye_states: [FaceVerdict::Closed, FaceVerdict::LookingDown],
            open_share: [Some(0.5), None],
            sharpness: 0.75,
        };
        let row = PhotoRow {
            id: bestpick_engine::vocabulary::PhotoId(9),
            rel_path: "a.jpg".into(),
            kind: FileKind::Jpeg,
            time_ms: None,
            width: 640,
            height: 480,
            group: 1,
            best: false,
            rank: 2,
            score: 50.0,
            reject_candidate: true,
            reasons: Vec::new(),
            fault: Some("eyes closed"),
            eyes_closed: true,
            judged_faces: vec![face],
            error: None,
            decision: Decision::default(),
        };
        let dto = PhotoDto::from(&row);
        for (kind, want) in [(FileKind::Jpeg, "jpeg"), (FileKind::Raw, "raw")] {
            let row = PhotoRow {
                kind,
                ..row.clone()
            };
            assert_eq!(PhotoDto::from(&row).kind, want, "{kind:?}: the core's word");
        }
        assert_eq!(dto.judged_faces.len(), 1, "one judged face");
        let f = &dto.judged_faces[0];
        assert_eq!(
            (f.person, f.bbox, f.sharpness, f.open_share),
            (1, [10.0, 20.0, 90.0, 110.0], 0.75, [Some(0.5), None]),
            "numbers as judged"
        );
        assert_eq!(f.eyes, "half_closed", "the core's word for the eyes");
        assert_eq!(f.eye_states, ["closed", "looking_down"], "per eye");
        let json = serde_json::to_value(&dto).expect("json");
        assert_eq!(
            json["judgedFaces"][0]["eyeStates"][1], "looking_down",
            "wire shape of a judged face"
        );
        assert_eq!(json["judgedFaces"][0]["openShare"][1], Value::Null);
        assert_eq!(json["fault"], "eyes closed", "the badge's words");

        let cases = [(Some(SetKind::Bracket), Some("bracket")), (None, None)];
        for (set, want) in cases {
            let group = GroupRow {
                id: 1,
                members: vec![0, 1, 2],
                best: Some(0),
                set,
            };
            assert_eq!(GroupDto::from(&group).set.as_deref(), want, "{set:?}");
        }
    }
}
