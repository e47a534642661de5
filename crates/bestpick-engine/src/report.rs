//! The trust report of a shoot: how often the photographer's final pick was the suggestion, the
//! groups where it was not (by the cause the ranking gave), and the frames called reject
//! candidates that the photographer kept. As data (the CLI's JSON, the app's Report panel) or as
//! one self-contained HTML file with thumbnails, to send to a second shooter.

use std::collections::HashMap;
use std::fmt::Write as _;

use base64::Engine as _;

use bestpick_catalog::{Catalog, Decision, Flag, PhotoId};
use bestpick_core::rank::Reason;
use bestpick_core::{GroupSummary, Suggestion};
use serde::Serialize;

use crate::error::Result;
use crate::profiles;
use crate::session::Session;

/// Why the ranking did not suggest the frame the photographer chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// Eyes or faces: a blink, a half blink, eyes shut laughing or in a kiss, softer faces.
    Eyes,
    /// Focus, motion blur, something in front of the lens.
    Focus,
    /// Exposure, clipping, noise, compression, a misfire.
    Exposure,
    /// Nothing against the chosen frame: the photographer preferred its moment.
    Moment,
    /// The group is a set (bracket, panorama, focus stack).
    Set,
}

impl Cause {
    /// In words.
    pub fn words(self) -> &'static str {
        match self {
            Cause::Eyes => "eyes and faces",
            Cause::Focus => "focus",
            Cause::Exposure => "exposure",
            Cause::Moment => "the moment",
            Cause::Set => "sets",
        }
    }

    /// What the ranking held against a frame with these reasons (the heaviest first).
    fn of(reasons: &[Reason]) -> Cause {
        reasons
            .iter()
            .find_map(|r| match r {
                Reason::EyesClosed { .. }
                | Reason::EyesHalfClosed { .. }
                | Reason::EyesShutLaughing { .. }
                | Reason::EyesShutKissing { .. }
                | Reason::FacesSoft => Some(Cause::Eyes),
                Reason::OutOfFocus { .. }
                | Reason::MotionBlur { .. }
                | Reason::SlightlySoft
                | Reason::Blurry
                | Reason::Obstructed => Some(Cause::Focus),
                Reason::Darker { .. }
                | Reason::Brighter { .. }
                | Reason::Underexposed
                | Reason::Overexposed
                | Reason::HighlightsClipped { .. }
                | Reason::ShadowsClipped { .. }
                | Reason::Noisier { .. }
                | Reason::Noisy
                | Reason::Compressed { .. }
                | Reason::Misfire { .. } => Some(Cause::Exposure),
                Reason::InSet { .. } | Reason::BestOfBracket { .. } => Some(Cause::Set),
                _ => None,
            })
            .unwrap_or(Cause::Moment)
    }
}

/// One photo named in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportPhoto {
    /// Catalog id.
    pub id: PhotoId,
    /// Path relative to the shoot folder.
    pub rel_path: String,
    /// The ranking's reasons, in words.
    pub reasons: Vec<String>,
}

/// A group where the final pick was not the suggestion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overruled {
    /// Group id.
    pub group: usize,
    /// What the ranking held against the photographer's choice.
    pub cause: Cause,
    /// The suggestion.
    pub suggested: ReportPhoto,
    /// What the photographer picked (empty: they rejected the suggestion and picked nothing).
    pub chosen: Vec<ReportPhoto>,
}

/// The trust report of a shoot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrustReport {
    /// The shoot folder.
    pub root: String,
    /// The profile the suggestions were made with.
    pub profile: String,
    /// Groups of more than one frame.
    pub groups: usize,
    /// Of those, groups the photographer decided (picked a frame, or rejected the suggestion).
    pub decided: usize,
    /// Decided groups whose final pick was the suggestion.
    pub agreed: usize,
    /// The other decided groups.
    pub overruled: Vec<Overruled>,
    /// How many overruled groups per cause, most first.
    pub by_cause: Vec<(Cause, usize)>,
    /// Frames called reject candidates that the photographer kept (picked or starred).
    pub kept_rejects: Vec<ReportPhoto>,
}

/// The report of `session` with the photographer's `decisions`, from its culling
/// (`suggestions`, `groups`) under the profile named `profile`. `suggested_then` gives, by
/// group key, the suggestion a group had when it was decided (learning moves suggestions
/// afterwards); groups without one are measured against today's suggestion.
pub fn trust_report(
    session: &Session,
    suggestions: &[Option<Suggestion>],
    groups: &[GroupSummary],
    decisions: &HashMap<PhotoId, Decision>,
    profile: &str,
    suggested_then: &HashMap<String, PhotoId>,
) -> TrustReport {
    let decision = |i: usize| {
        decisions
            .get(&session.photos[i].id)
            .copied()
            .unwrap_or_default()
    };
    let photo = |i: usize| ReportPhoto {
        id: session.photos[i].id,
        rel_path: session.photos[i].file.rel_path.clone(),
        reasons: suggestions[i]
            .as_ref()
            .map(Suggestion::reason_words)
            .unwrap_or_default(),
    };
    let reasons_of = |i: usize| {
        suggestions[i]
            .as_ref()
            .map(|s| s.ranked.reasons.clone())
            .unwrap_or_default()
    };
    let mut report = TrustReport {
        root: session.root.display().to_string(),
        profile: profile.to_string(),
        groups: 0,
        decided: 0,
        agreed: 0,
        overruled: Vec::new(),
        by_cause: Vec::new(),
        kept_rejects: Vec::new(),
    };
    for g in groups.iter().filter(|g| g.members.len() > 1) {
        report.groups += 1;
        let key = profiles::group_key(session.photos[g.members[0]].id);
        let best = suggested_then
            .get(&key)
            .and_then(|id| {
                g.members
                    .iter()
                    .copied()
                    .find(|&m| session.photos[m].id == *id)
            })
            .unwrap_or(g.best);
        let picks: Vec<usize> = g
            .members
            .iter()
            .copied()
            .filter(|&m| decision(m).flag == Flag::Pick)
            .collect();
        let rejected_suggestion = decision(best).flag == Flag::Reject;
        if picks.is_empty() && !rejected_suggestion {
            continue;
        }
        report.decided += 1;
        if picks.contains(&best) {
            report.agreed += 1;
            continue;
        }
        let cause = if g.set.is_some() {
            Cause::Set
        } else {
            picks
                .first()
                .map_or(Cause::Moment, |&c| Cause::of(&reasons_of(c)))
        };
        report.overruled.push(Overruled {
            group: g.id,
            cause,
            suggested: photo(best),
            chosen: picks.iter().map(|&c| photo(c)).collect(),
        });
    }
    let mut counts: HashMap<Cause, usize> = HashMap::new();
    for o in &report.overruled {
        *counts.entry(o.cause).or_default() += 1;
    }
    report.by_cause = counts.into_iter().collect();
    report
        .by_cause
        .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    report.kept_rejects = (0..session.photos.len())
        .filter(|&i| {
            suggestions[i]
                .as_ref()
                .is_some_and(|s| s.ranked.reject_candidate)
                && (decision(i).flag == Flag::Pick || decision(i).stars > 0)
        })
        .map(photo)
        .collect();
    report
}

/// The report of the shoot in `session` as the photographer last culled it (the shoot's
/// profile, what it learned and its grouping).
pub fn shoot_report(catalog: &Catalog, session: &Session) -> Result<TrustReport> {
    let name = profiles::shoot_profile(catalog, session.shoot)?;
    let profile = profiles::load_profile(catalog, &name)?;
    let strictness =
        profiles::shoot_strictness(catalog, session.shoot)?.unwrap_or_else(|| profile.strictness());
    let taste = profiles::taste(catalog, &name)?;
    let (suggestions, groups) = session.cull_with(strictness, profiles::judging(&profile, &taste));
    let decisions = catalog.decisions(session.shoot)?;
    let then = profiles::suggestions_when_decided(catalog, &name, session.shoot)?;
    Ok(trust_report(
        session,
        &suggestions,
        &groups,
        &decisions,
        &name,
        &then,
    ))
}

/// A small JPEG of photo `id` of `session`, its long side at most `side` pixels, upright; for
/// the HTML report. `None` when the file cannot be read or decoded (the report then names the
/// photo without a picture).
pub fn photo_thumbnail(session: &Session, id: PhotoId, side: u32) -> Option<Vec<u8>> {
    let entry = session.photos.iter().find(|p| p.id == id)?;
    let orientation = entry.analysis.as_ref().map_or(1, |a| a.exif.orientation);
    let opts = bestpick_core::decode::DecodeOptions::default();
    let preview =
        crate::preview::preview(&entry.file.path, entry.file.kind, orientation, &opts).ok()?;
    let mut reader = image::ImageReader::with_format(
        std::io::Cursor::new(&preview.bytes),
        image::ImageFormat::Jpeg,
    );
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(opts.max_alloc);
    reader.limits(limits);
    let img = reader.decode().ok()?.to_rgb8();
    let img = if preview.source == crate::preview::PreviewSource::File {
        bestpick_core::thumbnail::apply_orientation(img, orientation)
    } else {
        img
    };
    let small = image::imageops::thumbnail(
        &img,
        (img.width() * side / img.width().max(img.height()).max(1)).max(1),
        (img.height() * side / img.width().max(img.height()).max(1)).max(1),
    );
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&small)
        .ok()?;
    Some(out)
}

impl TrustReport {
    /// The share of decided groups whose pick was the suggestion, in percent (0 when none).
    pub fn agreement_percent(&self) -> u32 {
        if self.decided == 0 {
            0
        } else {
            (100.0 * self.agreed as f64 / self.decided as f64).round() as u32
        }
    }

    /// The report in plain words, one line each.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "{} of {} decided; the suggestion was your pick in {} of them ({}%)",
            self.decided,
            crate::words::counted(self.groups, "group", "groups"),
            self.agreed,
            self.agreement_percent()
        )];
        for (cause, n) in &self.by_cause {
            out.push(format!(
                "you chose otherwise in {} over {}",
                crate::words::counted(*n, "group", "groups"),
                cause.words()
            ));
        }
        if !self.kept_rejects.is_empty() {
            out.push(match self.kept_rejects.len() {
                1 => "you kept 1 frame it called a reject candidate".to_string(),
                n => format!("you kept {n} frames it called reject candidates"),
            });
        }
        out
    }

    /// One self-contained HTML page (inline style, thumbnails as data URLs from `thumbnail`,
    /// which gives JPEG bytes for a photo or `None`).
    pub fn to_html(&self, thumbnail: &mut dyn FnMut(PhotoId) -> Option<Vec<u8>>) -> String {
        let mut h = String::new();
        let _ = write!(
            h,
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>bestpick trust report: {root}</title><style>{STYLE}</style></head><body>\
             <h1>Trust report</h1><p class=\"root\">{root} — profile <b>{profile}</b></p><ul>",
            root = escape(&self.root),
            profile = escape(&self.profile),
        );
        for line in self.summary_lines() {
            let _ = write!(h, "<li>{}</li>", escape(&line));
        }
        h.push_str("</ul>");
        if !self.overruled.is_empty() {
            h.push_str("<h2>Groups where you chose otherwise</h2>");
            for o in &self.overruled {
                let _ = write!(
                    h,
                    "<section><h3>Group {} — {}</h3><div class=\"row\">",
                    o.group,
                    escape(o.cause.words())
                );
                card(&mut h, "suggested", &o.suggested, thumbnail);
                for c in &o.chosen {
                    card(&mut h, "your pick", c, thumbnail);
                }
                if o.chosen.is_empty() {
                    h.push_str("<p>You rejected the suggestion and picked nothing.</p>");
                }
                h.push_str("</div></section>");
            }
        }
        if !self.kept_rejects.is_empty() {
            h.push_str("<h2>Reject candidates you kept</h2><div class=\"row\">");
            for p in &self.kept_rejects {
                card(&mut h, "kept", p, thumbnail);
            }
            h.push_str("</div>");
        }
        h.push_str("<footer>Made on this computer by bestpick; nothing was uploaded.</footer></body></html>\n");
        h
    }
}

const STYLE: &str = "body{font:15px/1.4 system-ui,sans-serif;margin:2em;color:#222;background:#fafafa}\
h1{margin:0}.root{color:#666}section{margin:1.5em 0}.row{display:flex;flex-wrap:wrap;gap:1em}\
figure{margin:0;width:260px;background:#fff;border:1px solid #ddd;padding:.5em}\
figure img{width:100%;height:auto;display:block}figcaption{font-size:13px}\
figcaption b{display:block}footer{margin-top:2em;color:#888;font-size:13px}";

fn card(
    h: &mut String,
    label: &str,
    p: &ReportPhoto,
    thumbnail: &mut dyn FnMut(PhotoId) -> Option<Vec<u8>>,
) {
    h.push_str("<figure>");
    if let Some(jpeg) = thumbnail(p.id) {
        let _ = write!(
            h,
            "<img alt=\"{}\" src=\"data:image/jpeg;base64,{}\">",
            escape(&p.rel_path),
            base64::engine::general_purpose::STANDARD.encode(&jpeg)
        );
    }
    let _ = write!(
        h,
        "<figcaption><b>{}: {}</b>{}</figcaption></figure>",
        escape(label),
        escape(&p.rel_path),
        escape(&p.reasons.join("; "))
    );
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_follow_the_reasons_against_the_chosen_frame() {
        assert_eq!(
            Cause::of(&[Reason::EyesHalfClosed { half: 1, faces: 2 }]),
            Cause::Eyes
        );
        assert_eq!(
            Cause::of(&[Reason::MotionBlur { stops: 1.2 }]),
            Cause::Focus
        );
        assert_eq!(Cause::of(&[Reason::Darker { stops: 1.0 }]), Cause::Exposure);
        assert_eq!(Cause::of(&[]), Cause::Moment);
        assert_eq!(
            escape("<a href=\"x\">&"),
            "&lt;a href=&quot;x&quot;&gt;&amp;"
        );
    }
}
