//! Culling profiles and what they learned: the built-in presets, the photographer's own
//! profiles (kept in the catalog), export and import as TOML files, the profile each shoot
//! uses, and learning from the photographer's picks (see `bestpick_core::rank::Taste`).
//!
//! Learning stays on the machine: a decision stores a few numbers per frame of its group (no
//! image, path or name) in the catalog, under the shoot's profile.

use std::collections::HashMap;
use std::path::Path;

use bestpick_catalog::{Catalog, Flag, PhotoId, ShootId};
use bestpick_core::profile::{Grouping, Weights, check_name};
use bestpick_core::rank::{Choice, Preference, describe};
use bestpick_core::{Judging, Profile, Strictness, Taste};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::session::Session;

/// The profile used when none was chosen: the engine's own balance.
pub const DEFAULT_PROFILE: &str = "event";

/// The built-in presets, as their TOML files.
const PRESETS: [(&str, &str); 5] = [
    ("event", include_str!("../../../assets/profiles/event.toml")),
    (
        "portrait",
        include_str!("../../../assets/profiles/portrait.toml"),
    ),
    (
        "sports",
        include_str!("../../../assets/profiles/sports.toml"),
    ),
    (
        "wildlife",
        include_str!("../../../assets/profiles/wildlife.toml"),
    ),
    (
        "landscape",
        include_str!("../../../assets/profiles/landscape.toml"),
    ),
];

/// A profile file: the profile, and what it learned when exported with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    weights: Weights,
    #[serde(default)]
    grouping: Grouping,
    /// Decided groups (export carries learning).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    learned: Vec<Preference>,
}

impl ProfileFile {
    fn profile(&self) -> Profile {
        Profile {
            name: self.name.clone(),
            description: self.description.clone(),
            weights: self.weights,
            grouping: self.grouping,
        }
    }

    fn of(profile: &Profile, learned: Vec<Preference>) -> ProfileFile {
        ProfileFile {
            name: profile.name.clone(),
            description: profile.description.clone(),
            weights: profile.weights,
            grouping: profile.grouping,
            learned,
        }
    }
}

/// Reads a profile's TOML text; `source` names it in errors.
fn parse(text: &str, source: &str) -> Result<ProfileFile> {
    let file: ProfileFile = toml::from_str(text).map_err(|e| Error::NotAProfile {
        origin: source.to_string(),
        reason: e.to_string(),
    })?;
    file.profile()
        .validate()
        .map_err(|problem| Error::InvalidProfile {
            origin: source.to_string(),
            problem,
        })?;
    Ok(file)
}

fn to_toml(file: &ProfileFile) -> Result<String> {
    toml::to_string(file).map_err(|e| Error::Encode {
        what: "the profile",
        reason: e.to_string(),
    })
}

/// One profile as a list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileInfo {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// One of the built-in presets (perhaps edited).
    pub preset: bool,
    /// Groups it learned from.
    pub learned_groups: usize,
}

/// Every profile: the presets, then the photographer's own, by name.
pub fn list_profiles(catalog: &Catalog) -> Result<Vec<ProfileInfo>> {
    let stored: HashMap<String, String> = catalog.profiles()?.into_iter().collect();
    let mut names: Vec<String> = PRESETS.iter().map(|(n, _)| n.to_string()).collect();
    let mut own: Vec<String> = stored
        .keys()
        .filter(|n| !PRESETS.iter().any(|(p, _)| p == n))
        .cloned()
        .collect();
    own.sort();
    names.extend(own);
    names
        .into_iter()
        .map(|name| {
            let profile = load_profile(catalog, &name)?;
            Ok(ProfileInfo {
                preset: PRESETS.iter().any(|(p, _)| *p == name),
                learned_groups: catalog.preferences(&name)?.len(),
                description: profile.description,
                name,
            })
        })
        .collect()
}

/// The profile `name`: the photographer's own (or their edit of a preset), else the preset.
pub fn load_profile(catalog: &Catalog, name: &str) -> Result<Profile> {
    if let Some(text) = catalog.profile(name)? {
        return Ok(parse(&text, &format!("the stored profile {name:?}"))?.profile());
    }
    match PRESETS.iter().find(|(p, _)| *p == name) {
        Some((_, text)) => Ok(parse(text, &format!("the preset {name:?}"))?.profile()),
        None => Err(Error::UnknownProfile {
            name: name.to_string(),
            known: list_names(catalog)?,
        }),
    }
}

fn list_names(catalog: &Catalog) -> Result<Vec<String>> {
    let mut names: Vec<String> = PRESETS.iter().map(|(n, _)| n.to_string()).collect();
    for (n, _) in catalog.profiles()? {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    Ok(names)
}

fn exists(catalog: &Catalog, name: &str) -> Result<bool> {
    Ok(PRESETS.iter().any(|(p, _)| *p == name) || catalog.profile(name)?.is_some())
}

/// Creates profile `name` as a copy of `from` (its weights and grouping, not its learning).
pub fn new_profile(catalog: &mut Catalog, name: &str, from: &str) -> Result<Profile> {
    check_name(name).map_err(Error::ProfileName)?;
    if exists(catalog, name)? {
        return Err(Error::ProfileExists(name.to_string()));
    }
    let mut profile = load_profile(catalog, from)?;
    profile.name = name.to_string();
    profile.description = format!("Made from {from}. {}", profile.description);
    catalog.save_profile(name, &to_toml(&ProfileFile::of(&profile, Vec::new()))?)?;
    Ok(profile)
}

/// A decided group as the catalog keeps it: the preference, and the photo that was the
/// suggestion when the photographer decided (for the trust report; later learning moves
/// suggestions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Recorded {
    #[serde(flatten)]
    preference: Preference,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    suggested_photo: Option<PhotoId>,
}

/// What a profile learned: its decided groups, oldest first (records that cannot be read,
/// from a newer version, are skipped).
pub fn preferences(catalog: &Catalog, name: &str) -> Result<Vec<Preference>> {
    Ok(catalog
        .preferences(name)?
        .iter()
        .filter_map(|json| serde_json::from_str::<Recorded>(json).ok())
        .map(|r| r.preference)
        .collect())
}

/// The suggestion each decided group of `shoot` had when the photographer decided, by the
/// group's key (see [`group_key`]), as `profile` recorded it.
pub fn suggestions_when_decided(
    catalog: &Catalog,
    profile: &str,
    shoot: ShootId,
) -> Result<HashMap<String, PhotoId>> {
    Ok(catalog
        .shoot_preferences(profile, shoot)?
        .into_iter()
        .filter_map(|(key, json)| {
            let r: Recorded = serde_json::from_str(&json).ok()?;
            Some((key, r.suggested_photo?))
        })
        .collect())
}

/// The key of a group: its first photo.
pub fn group_key(first: PhotoId) -> String {
    format!("p{}", first.0)
}

/// The taste `name` learned (untrained when nothing was decided).
pub fn taste(catalog: &Catalog, name: &str) -> Result<Taste> {
    Ok(Taste::fit(&preferences(catalog, name)?))
}

/// A profile shown: its file and what it learned, in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileShown {
    /// The profile.
    pub profile: Profile,
    /// Its TOML (without learning).
    pub toml: String,
    /// A built-in preset.
    pub preset: bool,
    /// Groups it learned from.
    pub learned_groups: usize,
    /// What it learned, in plain words.
    pub learned: Vec<String>,
    /// The fitted taste.
    pub taste: Taste,
}

/// Profile `name` with what it learned.
pub fn show_profile(catalog: &Catalog, name: &str) -> Result<ProfileShown> {
    let profile = load_profile(catalog, name)?;
    let prefs = preferences(catalog, name)?;
    let taste = Taste::fit(&prefs);
    Ok(ProfileShown {
        toml: to_toml(&ProfileFile::of(&profile, Vec::new()))?,
        preset: PRESETS.iter().any(|(p, _)| *p == name),
        learned_groups: prefs.len(),
        learned: describe(&prefs, &taste),
        taste,
        profile,
    })
}

/// Writes profile `name` with what it learned to `file`.
pub fn export_profile(catalog: &Catalog, name: &str, file: &Path) -> Result<()> {
    let profile = load_profile(catalog, name)?;
    let text = to_toml(&ProfileFile::of(&profile, preferences(catalog, name)?))?;
    std::fs::write(file, text).map_err(|source| Error::Path {
        path: file.to_path_buf(),
        source,
    })
}

/// Group keys of imported learning (no shoot on this machine).
const IMPORTED_SHOOT: ShootId = ShootId(0);

/// Reads a profile file (with its learning) into the catalog under the name it carries;
/// refuses a name that exists unless `replace` (which also replaces its learning).
pub fn import_profile(catalog: &mut Catalog, file: &Path, replace: bool) -> Result<Profile> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Path {
        path: file.to_path_buf(),
        source,
    })?;
    let parsed = parse(&text, &file.display().to_string())?;
    let name = parsed.name.clone();
    if exists(catalog, &name)? && !replace {
        return Err(Error::ImportClash {
            file: file.to_path_buf(),
            name,
        });
    }
    let profile = parsed.profile();
    catalog.forget_preferences(&name)?;
    catalog.save_profile(&name, &to_toml(&ProfileFile::of(&profile, Vec::new()))?)?;
    for (k, p) in parsed.learned.iter().enumerate() {
        let recorded = Recorded {
            preference: p.clone(),
            suggested_photo: None,
        };
        let json = serde_json::to_string(&recorded).map_err(|e| Error::Encode {
            what: "what the profile learned",
            reason: e.to_string(),
        })?;
        catalog.record_preference(&name, IMPORTED_SHOOT, &format!("imported-{k}"), &json)?;
    }
    Ok(profile)
}

/// Forgets everything profile `name` learned; how many decided groups that was.
pub fn reset_profile(catalog: &mut Catalog, name: &str) -> Result<usize> {
    load_profile(catalog, name)?;
    Ok(catalog.forget_preferences(name)?)
}

/// Deletes the photographer's profile `name` and its learning. A preset cannot be deleted;
/// deleting it drops the photographer's edit of it and its learning.
pub fn delete_profile(catalog: &mut Catalog, name: &str) -> Result<()> {
    let preset = PRESETS.iter().any(|(p, _)| *p == name);
    let stored = catalog.delete_profile(name)?;
    if !stored && !preset {
        return Err(Error::UnknownProfile {
            name: name.to_string(),
            known: list_names(catalog)?,
        });
    }
    Ok(())
}

fn shoot_key(shoot: ShootId, what: &str) -> String {
    format!("shoot.{}.{what}", shoot.0)
}

/// The profile shoot `shoot` uses (the last chosen for it, else [`DEFAULT_PROFILE`]).
pub fn shoot_profile(catalog: &Catalog, shoot: ShootId) -> Result<String> {
    Ok(catalog
        .setting(&shoot_key(shoot, "profile"))?
        .unwrap_or_else(|| DEFAULT_PROFILE.to_string()))
}

/// Remembers the profile and grouping shoot `shoot` was culled with.
pub fn remember_for_shoot(
    catalog: &mut Catalog,
    shoot: ShootId,
    profile: &str,
    strictness: Strictness,
) -> Result<()> {
    catalog.set_setting(&shoot_key(shoot, "profile"), profile)?;
    catalog.set_setting(&shoot_key(shoot, "grouping"), &strictness.get().to_string())?;
    Ok(())
}

/// The grouping shoot `shoot` was last culled with.
pub fn shoot_strictness(catalog: &Catalog, shoot: ShootId) -> Result<Option<Strictness>> {
    Ok(catalog
        .setting(&shoot_key(shoot, "grouping"))?
        .and_then(|v| v.parse::<u8>().ok())
        .map(Strictness::new))
}

/// How a shoot is culled now: the profile chosen for it, what that profile learned, and the
/// grouping. What a front end ranks a shoot with, so that it agrees with `analyze`.
#[derive(Debug, Clone, PartialEq)]
pub struct Culling {
    /// The profile's name.
    pub name: String,
    /// The profile.
    pub profile: Profile,
    /// What it learned.
    pub taste: Taste,
    /// The grouping.
    pub strictness: Strictness,
}

impl Culling {
    /// Shoot `shoot` as last culled: its profile (else [`DEFAULT_PROFILE`]) with what it
    /// learned, and its grouping (else the profile's). A remembered profile that was deleted
    /// since falls back to the default.
    pub fn of_shoot(catalog: &Catalog, shoot: ShootId) -> Result<Culling> {
        let remembered = shoot_profile(catalog, shoot)?;
        let (name, profile) = match load_profile(catalog, &remembered) {
            Ok(p) => (remembered, p),
            Err(Error::UnknownProfile { .. }) => (
                DEFAULT_PROFILE.to_string(),
                load_profile(catalog, DEFAULT_PROFILE)?,
            ),
            Err(e) => return Err(e),
        };
        let strictness = shoot_strictness(catalog, shoot)?.unwrap_or_else(|| profile.strictness());
        Ok(Culling {
            taste: taste(catalog, &name)?,
            name,
            profile,
            strictness,
        })
    }

    /// The weights and taste to rank with.
    pub fn judging(&self) -> Judging<'_> {
        judging(&self.profile, &self.taste)
    }
}

/// What ranking needs from a profile: its weights and `taste`.
pub fn judging<'a>(profile: &Profile, taste: &'a Taste) -> Judging<'a> {
    Judging {
        weights: profile.weights,
        taste: Some(taste),
    }
}

/// Learns from the photographer's current decisions in the groups of `photos` (a pick, or a
/// rejected suggestion; a group with neither is forgotten), for the shoot's profile. The
/// groups are those of the shoot's last culling (profile, grouping). Returns how many groups
/// were recorded.
pub fn learn_from_decisions(
    catalog: &mut Catalog,
    session: &Session,
    photos: &[PhotoId],
) -> Result<usize> {
    let name = shoot_profile(catalog, session.shoot)?;
    let profile = load_profile(catalog, &name)?;
    let strictness =
        shoot_strictness(catalog, session.shoot)?.unwrap_or_else(|| profile.strictness());
    let taste = taste(catalog, &name)?;
    let (suggestions, groups) = session.cull_with(strictness, judging(&profile, &taste));
    let decisions = catalog.decisions(session.shoot)?;
    let index: HashMap<PhotoId, usize> = session
        .photos
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id, i))
        .collect();
    let mut learned = 0;
    let mut seen = Vec::new();
    for id in photos {
        let Some(&i) = index.get(id) else { continue };
        let Some(group) = groups.iter().find(|g| g.members.contains(&i)) else {
            continue;
        };
        if seen.contains(&group.id) || group.members.len() < 2 || group.set.is_some() {
            continue;
        }
        seen.push(group.id);
        let key = group_key(session.photos[group.members[0]].id);
        let flag = |m: usize| {
            decisions
                .get(&session.photos[m].id)
                .map_or(Flag::None, |d| d.flag)
        };
        let frames: Vec<_> = group
            .members
            .iter()
            .filter_map(|&m| suggestions[m].as_ref().map(|s| s.ranked.taste))
            .collect();
        if frames.len() != group.members.len() {
            continue;
        }
        let suggested = group
            .members
            .iter()
            .position(|&m| m == group.best)
            .unwrap_or(0);
        let picks: Vec<usize> = (0..group.members.len())
            .filter(|&k| flag(group.members[k]) == Flag::Pick)
            .collect();
        let preference = if !picks.is_empty() {
            let chosen = if picks.contains(&suggested) {
                suggested
            } else {
                picks[0]
            };
            Some(Preference {
                frames,
                suggested,
                chosen,
                choice: Choice::Picked,
            })
        } else if flag(group.best) == Flag::Reject {
            Some(Preference {
                frames,
                suggested,
                chosen: suggested,
                choice: Choice::RejectedSuggestion,
            })
        } else {
            None
        };
        match preference {
            Some(preference) => {
                let recorded = Recorded {
                    preference,
                    suggested_photo: Some(session.photos[group.best].id),
                };
                let json = serde_json::to_string(&recorded).map_err(|e| Error::Encode {
                    what: "what the profile learned",
                    reason: e.to_string(),
                })?;
                catalog.record_preference(&name, session.shoot, &key, &json)?;
                learned += 1;
            }
            None => catalog.remove_preference(&name, session.shoot, &key)?,
        }
    }
    Ok(learned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_the_default_is_the_engines_balance() {
        let catalog = Catalog::open_in_memory().expect("catalog");
        for (name, _) in PRESETS {
            let p = load_profile(&catalog, name).expect(name);
            assert_eq!(p.name, name);
            assert!(!p.description.is_empty(), "{name} says what it is for");
        }
        let default = load_profile(&catalog, DEFAULT_PROFILE).expect("default");
        assert_eq!(default.weights, Weights::default());
        assert_eq!(default.strictness(), Strictness::NORMAL);
    }

    #[test]
    fn a_shoots_culling_is_its_remembered_profile_and_grouping() {
        let mut catalog = Catalog::open_in_memory().expect("catalog");
        let shoot = ShootId(7);
        let fresh = Culling::of_shoot(&catalog, shoot).expect("culling");
        assert_eq!(
            (fresh.name.as_str(), fresh.strictness),
            (DEFAULT_PROFILE, Strictness::NORMAL),
            "nothing chosen: the default profile and its grouping"
        );
        new_profile(&mut catalog, "mine", "sports").expect("new");
        remember_for_shoot(&mut catalog, shoot, "mine", Strictness::new(80)).expect("remember");
        let chosen = Culling::of_shoot(&catalog, shoot).expect("culling");
        assert_eq!(
            (chosen.name.as_str(), chosen.strictness),
            ("mine", Strictness::new(80)),
            "the remembered profile and grouping"
        );
        assert_eq!(chosen.judging().weights, chosen.profile.weights);
        delete_profile(&mut catalog, "mine").expect("delete");
        let gone = Culling::of_shoot(&catalog, shoot).expect("a deleted profile is no error");
        assert_eq!(
            (gone.name.as_str(), gone.strictness),
            (DEFAULT_PROFILE, Strictness::new(80)),
            "a deleted profile falls back to the default, the grouping stays"
        );
    }

    #[test]
    fn new_export_import_reset_and_delete() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut catalog = Catalog::open_in_memory().expect("catalog");
        let mine = new_profile(&mut catalog, "mine", "portrait").expect("new");
        assert_eq!(
            mine.weights,
            load_profile(&catalog, "portrait").expect("p").weights
        );
        assert!(
            new_profile(&mut catalog, "mine", "event").is_err(),
            "exists"
        );
        assert!(new_profile(&mut catalog, "bad name", "event").is_err());
        let e = load_profile(&catalog, "nope").expect_err("unknown");
        assert!(
            e.to_string().contains("portrait"),
            "lists the profiles: {e}"
        );

        let pref = Preference {
            frames: vec![Default::default(), Default::default()],
            suggested: 0,
            chosen: 1,
            choice: Choice::Picked,
        };
        let json = serde_json::to_string(&pref).expect("json");
        catalog
            .record_preference("mine", ShootId(3), "p1", &json)
            .expect("pref");
        let file = dir.path().join("mine.toml");
        export_profile(&catalog, "mine", &file).expect("export");
        let text = std::fs::read_to_string(&file).expect("read");
        assert!(
            text.contains("name = \"mine\"") && text.contains("[[learned]]"),
            "{text}"
        );

        let mut other = Catalog::open_in_memory().expect("catalog");
        import_profile(&mut other, &file, false).expect("import");
        assert_eq!(preferences(&other, "mine").expect("prefs"), vec![pref]);
        let again = import_profile(&mut other, &file, false).expect_err("exists");
        assert!(again.to_string().contains("--replace"), "{again}");
        import_profile(&mut other, &file, true).expect("replace");
        assert_eq!(preferences(&other, "mine").expect("prefs").len(), 1);

        assert_eq!(reset_profile(&mut other, "mine").expect("reset"), 1);
        assert!(preferences(&other, "mine").expect("prefs").is_empty());
        delete_profile(&mut other, "mine").expect("delete");
        assert!(load_profile(&other, "mine").is_err());
        assert!(delete_profile(&mut other, "mine").is_err());

        std::fs::write(&file, "name = \"x\"\n[weights]\neyes = 40\n").expect("write");
        let e = import_profile(&mut other, &file, false).expect_err("too heavy");
        assert!(
            e.to_string().contains("mine.toml") && e.to_string().contains("weights.eyes"),
            "{e}"
        );
        std::fs::write(&file, "not toml at all [").expect("write");
        let e = import_profile(&mut other, &file, false).expect_err("not a profile");
        assert!(e.to_string().contains("is not a bestpick profile"), "{e}");
    }
}
