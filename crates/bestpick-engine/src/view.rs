//! What a front end shows of an opened shoot: one row per photo (group, suggestion, reasons in
//! words, decision) and the groups, regrouped whenever the strictness changes; and the detail
//! of one photo for a loupe (signals, histogram, focus map, EXIF, faces).

use std::collections::HashMap;

use bestpick_catalog::{Decision, PhotoId, ShootId};
use bestpick_core::faces::Face;
use bestpick_core::rank::someone_blinked;
use bestpick_core::signals::Misfire;
use bestpick_core::{
    Analysis, FileKind, GroupSummary, JudgedFace, Judging, SetKind, Strictness, Suggestion,
};

use crate::session::{PhotoEntry, Session, ShootStatus};

/// One photo as the grid shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoRow {
    /// Catalog id.
    pub id: PhotoId,
    /// Path relative to the shoot folder.
    pub rel_path: String,
    /// Container.
    pub kind: FileKind,
    /// Capture time (ms since the epoch; wall clock read as UTC when no offset is known).
    pub time_ms: Option<i64>,
    /// Displayed size (after orientation), 0 when not analyzed.
    pub width: u32,
    /// Displayed height.
    pub height: u32,
    /// Group id (1-based); 0 for photos that could not be analyzed.
    pub group: usize,
    /// Suggested pick of its group.
    pub best: bool,
    /// Rank within the group (1 = best); 0 when not analyzed.
    pub rank: usize,
    /// Score 0..=100 within the group.
    pub score: f32,
    /// Suggested as a reject.
    pub reject_candidate: bool,
    /// Reasons in words, most important first.
    pub reasons: Vec<String>,
    /// The heaviest fault that usually costs a frame its place, in a word or two ("motion
    /// blur", "eyes closed"; [`bestpick_core::Suggestion::fault`]), for a badge on the
    /// thumbnail.
    pub fault: Option<&'static str>,
    /// Someone in the frame blinked: a judged face's eyes closed or half closed
    /// ([`bestpick_core::FaceVerdict::is_blink`], the ranking's own test; only once faces are
    /// analyzed).
    pub eyes_closed: bool,
    /// Each salient face judged against the same person elsewhere in the group (person number,
    /// eyes, sharpness); empty when faces were not analyzed or there are none.
    pub judged_faces: Vec<JudgedFace>,
    /// Why the photo could not be analyzed.
    pub error: Option<String>,
    /// The photographer's decision.
    pub decision: Decision,
}

/// A group of the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    /// Group id (1-based, shooting order); 0 for the photos that could not be analyzed.
    pub id: usize,
    /// Indices into [`ShootView::photos`], in shooting order.
    pub members: Vec<usize>,
    /// Index of the suggested pick (`None` for the group of failures).
    pub best: Option<usize>,
    /// The set the group is, when it is one (an exposure bracket).
    pub set: Option<SetKind>,
}

impl From<&GroupSummary> for GroupRow {
    fn from(g: &GroupSummary) -> Self {
        GroupRow {
            id: g.id,
            members: g.members.clone(),
            best: Some(g.best),
            set: g.set,
        }
    }
}

/// The whole shoot as the grid shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShootView {
    /// Catalog id.
    pub shoot: ShootId,
    /// Shoot folder.
    pub root: std::path::PathBuf,
    /// Photos, sorted by relative path (the session order).
    pub photos: Vec<PhotoRow>,
    /// Groups in shooting order; photos that failed come last in a group of id 0.
    pub groups: Vec<GroupRow>,
    /// How the opening went.
    pub status: ShootStatus,
    /// Files that are not photos, with why.
    pub skipped: usize,
    /// Problems in words (`path: reason`).
    pub problems: Vec<String>,
}

/// Groups and ranks the session at `strictness` (the engine's own balance, no profile) and
/// joins the decisions.
pub fn shoot_view(
    session: &Session,
    strictness: Strictness,
    decisions: &HashMap<PhotoId, Decision>,
) -> ShootView {
    shoot_view_with(session, strictness, Judging::default(), decisions)
}

/// [`shoot_view`] ranked under a profile's weights and learned taste (see
/// [`crate::profiles::Culling`]).
pub fn shoot_view_with(
    session: &Session,
    strictness: Strictness,
    judging: Judging<'_>,
    decisions: &HashMap<PhotoId, Decision>,
) -> ShootView {
    let (suggestions, groups) = session.cull_with(strictness, judging);
    let photos: Vec<PhotoRow> = session
        .photos
        .iter()
        .zip(&suggestions)
        .map(|(entry, suggestion)| photo_row(entry, suggestion.as_ref(), decisions))
        .collect();
    let mut rows: Vec<GroupRow> = groups.iter().map(GroupRow::from).collect();
    let unanalyzed: Vec<usize> = (0..photos.len())
        .filter(|&i| suggestions[i].is_none())
        .collect();
    if !unanalyzed.is_empty() {
        rows.push(GroupRow {
            id: 0,
            members: unanalyzed,
            best: None,
            set: None,
        });
    }
    ShootView {
        shoot: session.shoot,
        root: session.root.clone(),
        photos,
        groups: rows,
        status: session.status.clone(),
        skipped: session.skipped.len(),
        problems: session.problems().iter().map(|p| p.to_string()).collect(),
    }
}

fn photo_row(
    entry: &PhotoEntry,
    suggestion: Option<&Suggestion>,
    decisions: &HashMap<PhotoId, Decision>,
) -> PhotoRow {
    let analysis = entry.analysis.as_ref();
    PhotoRow {
        id: entry.id,
        rel_path: entry.file.rel_path.clone(),
        kind: entry.file.kind,
        time_ms: analysis
            .and_then(|a| a.exif.capture_time.as_ref())
            .map(|t| t.timestamp_ms),
        width: analysis.map_or(0, |a| a.signals.width),
        height: analysis.map_or(0, |a| a.signals.height),
        group: suggestion.map_or(0, |s| s.group),
        best: suggestion.is_some_and(|s| s.ranked.best),
        rank: suggestion.map_or(0, |s| s.ranked.rank),
        score: suggestion.map_or(0.0, |s| s.ranked.score),
        reject_candidate: suggestion.is_some_and(|s| s.ranked.reject_candidate),
        reasons: suggestion.map(Suggestion::reason_words).unwrap_or_default(),
        fault: suggestion.and_then(Suggestion::fault),
        eyes_closed: suggestion.is_some_and(|s| someone_blinked(&s.ranked.judged_faces)),
        judged_faces: suggestion
            .map(|s| s.ranked.judged_faces.clone())
            .unwrap_or_default(),
        error: entry.error.as_ref().map(|e| e.reason()),
        decision: decisions.get(&entry.id).copied().unwrap_or_default(),
    }
}

/// Everything the loupe shows about one photo.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoDetail {
    /// Catalog id.
    pub id: PhotoId,
    /// Absolute path of the photo.
    pub path: std::path::PathBuf,
    /// Companion files (RAW of a pair, sidecars).
    pub companions: Vec<std::path::PathBuf>,
    /// The analysis, when there is one.
    pub analysis: Option<Analysis>,
    /// Faces, in displayed (oriented) pixels (empty when not analyzed for faces).
    pub faces: Vec<Face>,
    /// Misfire kind in words.
    pub misfire: Option<&'static str>,
    /// Camera in words ("Canon EOS 5D Mark III").
    pub camera: Option<String>,
    /// Why the photo could not be analyzed.
    pub error: Option<String>,
    /// A non-fatal problem.
    pub warning: Option<String>,
}

/// The loupe detail of photo `id`, if it is part of the session.
pub fn photo_detail(session: &Session, id: PhotoId) -> Option<PhotoDetail> {
    let entry = session.photos.iter().find(|p| p.id == id)?;
    let analysis = entry.analysis.clone();
    Some(PhotoDetail {
        id,
        path: entry.file.path.clone(),
        companions: entry.file.companions.clone(),
        faces: analysis
            .as_ref()
            .and_then(|a| a.faces.clone())
            .unwrap_or_default(),
        misfire: analysis
            .as_ref()
            .and_then(|a| a.signals.misfire)
            .map(|m| match m {
                Misfire::Black => "black frame",
                Misfire::White => "blown-out frame",
                Misfire::ExtremeBlur => "no detail at all",
            }),
        camera: analysis.as_ref().and_then(|a| a.exif.camera()),
        analysis,
        error: entry.error.as_ref().map(|e| e.reason()),
        warning: entry.warning.as_ref().map(|e| e.reason()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bestpick_core::rank::{Ranked, Reason};
    use bestpick_core::{FaceVerdict, PhotoFile};

    fn entry(id: i64, name: &str) -> PhotoEntry {
        PhotoEntry {
            id: PhotoId(id),
            file: PhotoFile {
                path: std::path::PathBuf::from("/shoot").join(name),
                rel_path: name.into(),
                size: 1,
                mtime_ns: 0,
                kind: FileKind::Jpeg,
                companions: Vec::new(),
            },
            analysis: None,
            error: None,
            warning: None,
        }
    }

    fn face(person: usize, x: f32, eyes: FaceVerdict, sharpness: f32) -> JudgedFace {
        JudgedFace {
            person,
            bbox: [x, 100.0, 120.0, 140.0],
            eyes,
            eye_states: [eyes, FaceVerdict::Open],
            open_share: [Some(0.7), Some(1.0)],
            sharpness,
        }
    }

    #[test]
    fn a_row_carries_the_judged_faces_and_a_group_its_set() {
        let faces = vec![
            face(0, 800.0, FaceVerdict::HalfClosed, 0.9),
            face(1, 100.0, FaceVerdict::Open, 1.0),
        ];
        let suggestion = Suggestion {
            group: 3,
            set: None,
            ranked: Ranked {
                score: 40.0,
                rank: 2,
                best: false,
                reject_candidate: true,
                reasons: vec![Reason::EyesHalfClosed { half: 1, faces: 2 }],
                judged_faces: faces.clone(),
                taste: Default::default(),
            },
        };
        let no_decisions = HashMap::new();
        let row = photo_row(&entry(1, "a.jpg"), Some(&suggestion), &no_decisions);
        assert_eq!(row.judged_faces, faces, "judged faces as ranked, in order");
        assert!(row.eyes_closed, "a half blink counts for the eyes filter");
        let failed = photo_row(&entry(2, "b.jpg"), None, &no_decisions);
        assert!(failed.judged_faces.is_empty(), "no suggestion, no faces");

        let cases = [
            (Some(SetKind::Bracket), "a bracket stays a bracket"),
            (None, "a burst is no set"),
        ];
        for (set, case) in cases {
            let summary = GroupSummary {
                id: 2,
                members: vec![4, 5, 6],
                best: 5,
                set,
            };
            let row = GroupRow::from(&summary);
            assert_eq!(row.set, set, "{case}");
            assert_eq!((row.id, row.best), (2, Some(5)), "{case}");
            assert_eq!(row.members, vec![4, 5, 6], "{case}");
        }
    }

    #[test]
    fn the_eyes_filter_shows_the_blinks_the_ranking_sees() {
        let cases = [
            (FaceVerdict::Closed, true),
            (FaceVerdict::HalfClosed, true),
            (FaceVerdict::Laughing, false),
            (FaceVerdict::Kissing, false),
            (FaceVerdict::LookingDown, false),
            (FaceVerdict::Uncertain, false),
            (FaceVerdict::Open, false),
        ];
        for (eyes, shown) in cases {
            let suggestion = Suggestion {
                group: 1,
                set: None,
                ranked: Ranked {
                    score: 50.0,
                    rank: 1,
                    best: true,
                    reject_candidate: false,
                    reasons: Vec::new(),
                    judged_faces: vec![
                        face(0, 10.0, FaceVerdict::Open, 1.0),
                        face(1, 400.0, eyes, 1.0),
                    ],
                    taste: Default::default(),
                },
            };
            let row = photo_row(&entry(1, "a.jpg"), Some(&suggestion), &HashMap::new());
            assert_eq!(row.eyes_closed, shown, "{eyes:?}");
        }
    }
}
