//! Wire types of culling profiles (the picker, the profile page) and of the trust report (the
//! Report panel), converted from the engine's `profiles` and `report` types.

use bestpick_engine::profiles::{ProfileInfo, ProfileShown};
use bestpick_engine::report::{ReportPhoto, TrustReport};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::wire::count;

/// One profile as the picker lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileInfoDto {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// A built-in preset (else the photographer's own).
    pub preset: bool,
    /// Decided groups it learned from.
    pub learned_groups: u32,
}

impl From<&ProfileInfo> for ProfileInfoDto {
    fn from(p: &ProfileInfo) -> Self {
        ProfileInfoDto {
            name: p.name.clone(),
            description: p.description.clone(),
            preset: p.preset,
            learned_groups: count(p.learned_groups),
        }
    }
}

/// One weight of a profile: how much a judgement counts (1 = the engine's own balance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WeightDto {
    /// `detail`, `exposure`, `clipping`, `noise`, `eyes`, `faces`.
    pub judgement: String,
    /// 0 ..= 4.
    pub weight: f32,
}

/// A profile as its page shows it: weights, grouping, and what it learned in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileShownDto {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// A built-in preset (it cannot be deleted).
    pub preset: bool,
    /// The weight of each judgement.
    pub weights: Vec<WeightDto>,
    /// Its grouping, 0 (loose) ..= 100 (strict).
    pub strictness: u8,
    /// Decided groups it learned from.
    pub learned_groups: u32,
    /// What it learned, in plain words (empty: nothing yet).
    pub learned: Vec<String>,
}

impl From<&ProfileShown> for ProfileShownDto {
    fn from(s: &ProfileShown) -> Self {
        ProfileShownDto {
            name: s.profile.name.clone(),
            description: s.profile.description.clone(),
            preset: s.preset,
            weights: s
                .profile
                .weights
                .named()
                .into_iter()
                .map(|(judgement, weight)| WeightDto {
                    judgement: judgement.into(),
                    weight,
                })
                .collect(),
            strictness: s.profile.grouping.strictness,
            learned_groups: count(s.learned_groups),
            learned: s.learned.clone(),
        }
    }
}

/// A photo named in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReportPhotoDto {
    /// Photo id.
    pub id: i64,
    /// Path relative to the shoot folder.
    pub rel_path: String,
    /// The ranking's reasons in words.
    pub reasons: Vec<String>,
}

impl From<&ReportPhoto> for ReportPhotoDto {
    fn from(p: &ReportPhoto) -> Self {
        ReportPhotoDto {
            id: p.id.0,
            rel_path: p.rel_path.clone(),
            reasons: p.reasons.clone(),
        }
    }
}

/// A group where the photographer's pick was not the suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OverruledDto {
    /// Group id.
    pub group: u32,
    /// What the ranking held against the photographer's choice, in words.
    pub cause: String,
    /// The suggestion.
    pub suggested: ReportPhotoDto,
    /// The photographer's picks (empty: the suggestion was rejected, nothing picked).
    pub chosen: Vec<ReportPhotoDto>,
}

/// Overruled groups of one cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CauseCountDto {
    /// The cause in words.
    pub cause: String,
    /// How many groups.
    pub groups: u32,
}

/// The trust report of the open shoot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TrustReportDto {
    /// The profile the suggestions were made with.
    pub profile: String,
    /// Groups of more than one frame.
    pub groups: u32,
    /// Groups decided (a pick, or the suggestion rejected).
    pub decided: u32,
    /// Decided groups whose pick was the suggestion.
    pub agreed: u32,
    /// `agreed` of `decided`, in percent.
    pub agreement_percent: u32,
    /// The report in plain words, one line each.
    pub summary: Vec<String>,
    /// Overruled groups per cause, most first.
    pub by_cause: Vec<CauseCountDto>,
    /// The groups where the pick was not the suggestion.
    pub overruled: Vec<OverruledDto>,
    /// Reject candidates the photographer kept.
    pub kept_rejects: Vec<ReportPhotoDto>,
}

impl From<&TrustReport> for TrustReportDto {
    fn from(r: &TrustReport) -> Self {
        TrustReportDto {
            profile: r.profile.clone(),
            groups: count(r.groups),
            decided: count(r.decided),
            agreed: count(r.agreed),
            agreement_percent: r.agreement_percent(),
            summary: r.summary_lines(),
            by_cause: r
                .by_cause
                .iter()
                .map(|(cause, k)| CauseCountDto {
                    cause: cause.words().into(),
                    groups: count(*k),
                })
                .collect(),
            overruled: r
                .overruled
                .iter()
                .map(|o| OverruledDto {
                    group: count(o.group),
                    cause: o.cause.words().into(),
                    suggested: ReportPhotoDto::from(&o.suggested),
                    chosen: o.chosen.iter().map(ReportPhotoDto::from).collect(),
                })
                .collect(),
            kept_rejects: r.kept_rejects.iter().map(ReportPhotoDto::from).collect(),
        }
    }
}
