//! Grouping and ranking a whole shoot from its analyses: the result every front end shows.

use serde::{Deserialize, Serialize};

use crate::analyze::Analysis;
use crate::group::{self, GroupItem, Strictness};
use crate::rank::{self, Judging, RankInput, Ranked, Reason, SetKind};

/// The culling suggestion for one photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// Group id (1-based, in shooting order).
    pub group: usize,
    /// The set the group is, when it is one (an exposure bracket).
    pub set: Option<SetKind>,
    /// Ranking within the group.
    #[serde(flatten)]
    pub ranked: Ranked,
}

impl Suggestion {
    /// The reasons rendered as words.
    pub fn reason_words(&self) -> Vec<String> {
        self.ranked.reasons.iter().map(Reason::to_string).collect()
    }

    /// The heaviest fault that usually costs a frame its place, in a word or two (see
    /// [`Reason::fault_tag`]); `None` when the frame has none.
    pub fn fault(&self) -> Option<&'static str> {
        self.ranked.reasons.iter().find_map(Reason::fault_tag)
    }
}

/// A group of the shoot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// Group id.
    pub id: usize,
    /// Indices of its photos (into the analyses given to [`cull`]) in shooting order.
    pub members: Vec<usize>,
    /// Index of the suggested pick.
    pub best: usize,
    /// The set the group is, when it is one (an exposure bracket).
    pub set: Option<SetKind>,
}

/// Groups and ranks. `analyses[i]` with `names[i]` (relative path, for ordering); photos without
/// an analysis (failed) get no suggestion.
pub fn cull(
    analyses: &[Option<&Analysis>],
    names: &[&str],
    strictness: Strictness,
) -> (Vec<Option<Suggestion>>, Vec<GroupSummary>) {
    cull_with(analyses, names, strictness, Judging::default())
}

/// As [`cull`], ranking under a profile's weights and learned taste.
pub fn cull_with(
    analyses: &[Option<&Analysis>],
    names: &[&str],
    strictness: Strictness,
    judging: Judging<'_>,
) -> (Vec<Option<Suggestion>>, Vec<GroupSummary>) {
    let present: Vec<usize> = (0..analyses.len())
        .filter(|&i| analyses[i].is_some())
        .collect();
    let items: Vec<GroupItem<'_>> = present
        .iter()
        .filter_map(|&i| {
            let a = analyses[i]?;
            Some(GroupItem {
                time_ms: a.exif.capture_time.as_ref().map(|t| t.timestamp_ms),
                name: names[i],
                descriptor: &a.signals.descriptor,
                camera: a.exif.model.as_deref(),
            })
        })
        .collect();
    let (groups, steps) = group::group_with_steps(&items, strictness);
    let inputs: Vec<RankInput<'_>> = present
        .iter()
        .filter_map(|&i| {
            analyses[i].map(|a| RankInput {
                signals: &a.signals,
                faces: a.faces.as_deref(),
                exposure_bias: a.exif.exposure_bias,
            })
        })
        .collect();
    let (ranked, sets) = rank::rank_with_known_sets(&inputs, &groups, judging, &steps);
    let mut suggestions: Vec<Option<Suggestion>> = vec![None; analyses.len()];
    let mut summaries = Vec::with_capacity(groups.len());
    for (g, &set) in groups.iter().zip(&sets) {
        let members: Vec<usize> = g.members.iter().map(|&m| present[m]).collect();
        let best = g
            .members
            .iter()
            .copied()
            .find(|&m| ranked[m].best)
            .map_or(members[0], |m| present[m]);
        for &m in &g.members {
            suggestions[present[m]] = Some(Suggestion {
                group: g.id,
                set,
                ranked: ranked[m].clone(),
            });
        }
        summaries.push(GroupSummary {
            id: g.id,
            members,
            best,
            set,
        });
    }
    (suggestions, summaries)
}
