//! The bundle manifest: what a bundle says about itself.
//!
//! It holds no times, paths, file names, device or user identifiers: only the schema version,
//! a single-use anonymous id, one entry per image (keyed name + the engine's scores) and the
//! optional buckets the contributor chose to give.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The manifest schema this code writes and accepts. Bump on any incompatible change; the
/// HPKE `info` string binds it, so a bundle of another version cannot be opened as this one.
pub const SCHEMA_VERSION: u32 = 1;

/// Largest serialized `scores` value accepted per image (bytes of JSON).
const MAX_SCORES_JSON: usize = 64 * 1024;
/// Longest string accepted anywhere inside `scores`: enough for an enum name, too short for a
/// path or free text.
const MAX_SCORE_STRING: usize = 48;
/// Most images accepted in one bundle.
pub(crate) const MAX_IMAGES: usize = 500;

/// The manifest stored as `manifest.json` in every bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`SCHEMA_VERSION`] for bundles written by this code.
    pub schema_version: u32,
    /// Random 128-bit id (32 lowercase hex chars), used for this bundle only.
    pub anonymous_id: String,
    /// One entry per image, sorted by name.
    pub images: Vec<ImageEntry>,
    /// Optional buckets; each one may stay blank.
    #[serde(default)]
    pub buckets: Buckets,
}

/// One image of a bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageEntry {
    /// Archive name under `images/`: `HMAC-SHA256(per-bundle secret, original name)` as 64
    /// lowercase hex chars plus `.jpg`.
    pub name: String,
    /// The engine's analysis scores for this image, opaque to the bundle format (a JSON object).
    pub scores: serde_json::Value,
}

/// Optional, coarse, self-declared descriptors. Each field may be `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Buckets {
    /// Age as a decade bucket only ("30-39").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_decade: Option<AgeDecade>,
    /// Gender, from a closed list (no free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    /// Skin type on the Fitzpatrick scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skin_type: Option<SkinType>,
}

/// An age decade bucket: "10-19" … "90-99". Contributors are 13 or older, so "10-19" is the
/// lowest bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgeDecade(u8);

impl AgeDecade {
    /// The bucket starting at `start` (10, 20, …, 90).
    pub fn new(start: u8) -> Option<AgeDecade> {
        (start.is_multiple_of(10) && (10..=90).contains(&start)).then_some(AgeDecade(start))
    }

    /// First year of the bucket.
    pub fn start(self) -> u8 {
        self.0
    }
}

impl fmt::Display for AgeDecade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.0, self.0 + 9)
    }
}

impl FromStr for AgeDecade {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let bad = || format!("age decade must look like \"30-39\" (10-19 … 90-99), got {s:?}");
        // Accept an en dash too, as written in the terms ("30–39").
        let normalized = s.trim().replace('\u{2013}', "-");
        let (a, b) = normalized.split_once('-').ok_or_else(bad)?;
        let a: u8 = a.parse().map_err(|_| bad())?;
        let b: u8 = b.parse().map_err(|_| bad())?;
        match AgeDecade::new(a) {
            Some(d) if b == a + 9 => Ok(d),
            _ => Err(bad()),
        }
    }
}

impl Serialize for AgeDecade {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AgeDecade {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Gender bucket: a closed list, so no free text can carry an identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Gender {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Non-binary.
    NonBinary,
    /// Another gender (not described further).
    Other,
}

impl FromStr for Gender {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "female" => Ok(Gender::Female),
            "male" => Ok(Gender::Male),
            "non-binary" | "nonbinary" => Ok(Gender::NonBinary),
            "other" => Ok(Gender::Other),
            _ => Err(format!(
                "gender must be female, male, non-binary or other, got {s:?}"
            )),
        }
    }
}

/// Fitzpatrick skin type I–VI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SkinType {
    /// Type I.
    #[serde(rename = "I")]
    I,
    /// Type II.
    #[serde(rename = "II")]
    II,
    /// Type III.
    #[serde(rename = "III")]
    III,
    /// Type IV.
    #[serde(rename = "IV")]
    IV,
    /// Type V.
    #[serde(rename = "V")]
    V,
    /// Type VI.
    #[serde(rename = "VI")]
    VI,
}

impl FromStr for SkinType {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "I" | "1" => Ok(SkinType::I),
            "II" | "2" => Ok(SkinType::II),
            "III" | "3" => Ok(SkinType::III),
            "IV" | "4" => Ok(SkinType::IV),
            "V" | "5" => Ok(SkinType::V),
            "VI" | "6" => Ok(SkinType::VI),
            _ => Err(format!("skin type must be I … VI (Fitzpatrick), got {s:?}")),
        }
    }
}

/// True when `s` is exactly `len` lowercase hex characters.
pub fn is_hex_id(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// True when `name` is a valid image entry name: 64 lowercase hex chars + ".jpg".
pub(crate) fn is_image_name(name: &str) -> bool {
    name.strip_suffix(".jpg")
        .is_some_and(|stem| is_hex_id(stem, 64))
}

impl Manifest {
    /// Checks everything the format promises: schema version, id shape, name shape and
    /// uniqueness, sorted order, and that scores are a small JSON object without long strings.
    pub fn validate(&self) -> Result<()> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(Error::UnsupportedSchema {
                found: self.schema_version,
                known: SCHEMA_VERSION,
            });
        }
        if !is_hex_id(&self.anonymous_id, 32) {
            return Err(Error::InvalidManifest(
                "anonymous_id must be 32 lowercase hex characters".into(),
            ));
        }
        if self.images.is_empty() {
            return Err(Error::InvalidManifest(
                "a bundle holds at least one image".into(),
            ));
        }
        if self.images.len() > MAX_IMAGES {
            return Err(Error::TooLarge(format!(
                "{} images (at most {MAX_IMAGES})",
                self.images.len()
            )));
        }
        let mut seen = BTreeSet::new();
        for (i, image) in self.images.iter().enumerate() {
            if !is_image_name(&image.name) {
                return Err(Error::InvalidManifest(format!(
                    "image {i}: name must be 64 hex characters + \".jpg\""
                )));
            }
            if !seen.insert(image.name.as_str()) {
                return Err(Error::InvalidManifest(format!("image {i}: duplicate name")));
            }
            check_scores(i, &image.scores)?;
        }
        if !self.images.windows(2).all(|w| w[0].name < w[1].name) {
            return Err(Error::InvalidManifest(
                "images must be sorted by name".into(),
            ));
        }
        Ok(())
    }

    /// Serializes to canonical pretty JSON (field order fixed by the struct).
    pub fn to_json(&self) -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(self).map_err(Error::ManifestJson)
    }

    /// Parses and validates.
    pub fn from_json(bytes: &[u8]) -> Result<Manifest> {
        // Read the version first so an old/new bundle gets a version error, not a field error.
        #[derive(Deserialize)]
        struct Version {
            schema_version: u32,
        }
        let version: Version = serde_json::from_slice(bytes).map_err(Error::ManifestJson)?;
        if version.schema_version != SCHEMA_VERSION {
            return Err(Error::UnsupportedSchema {
                found: version.schema_version,
                known: SCHEMA_VERSION,
            });
        }
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(Error::ManifestJson)?;
        manifest.validate()?;
        Ok(manifest)
    }
}

fn check_scores(i: usize, scores: &serde_json::Value) -> Result<()> {
    if !scores.is_object() {
        return Err(Error::InvalidManifest(format!(
            "image {i}: scores must be a JSON object"
        )));
    }
    let len = serde_json::to_vec(scores)
        .map_err(Error::ManifestJson)?
        .len();
    if len > MAX_SCORES_JSON {
        return Err(Error::TooLarge(format!(
            "image {i}: scores are {len} bytes (at most {MAX_SCORES_JSON})"
        )));
    }
    fn walk(i: usize, v: &serde_json::Value) -> Result<()> {
        match v {
            serde_json::Value::String(s)
                if s.len() > MAX_SCORE_STRING || s.contains(['/', '\\', '.']) =>
            {
                return Err(Error::InvalidManifest(format!(
                    "image {i}: scores may hold only short enum-like strings \
                     (no paths, names or free text)"
                )));
            }
            serde_json::Value::Array(items) => items.iter().try_for_each(|x| walk(i, x))?,
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    if key.len() > MAX_SCORE_STRING || key.contains(['/', '\\', '.']) {
                        return Err(Error::InvalidManifest(format!(
                            "image {i}: score keys must be short identifiers"
                        )));
                    }
                    walk(i, value)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
    walk(i, scores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn name(c: char) -> String {
        format!("{}.jpg", c.to_string().repeat(64))
    }

    fn manifest() -> Manifest {
        Manifest {
            schema_version: SCHEMA_VERSION,
            anonymous_id: "0123456789abcdef0123456789abcdef".into(),
            images: vec![
                ImageEntry {
                    name: name('a'),
                    scores: json!({"sharpness": 0.5, "kind": "defocus"}),
                },
                ImageEntry {
                    name: name('b'),
                    scores: json!({"faces": [{"eyes": [true, false]}]}),
                },
            ],
            buckets: Buckets {
                age_decade: Some(AgeDecade::new(30).expect("valid decade")),
                gender: None,
                skin_type: Some(SkinType::IV),
            },
        }
    }

    #[test]
    fn valid_manifest_round_trips() {
        let m = manifest();
        let bytes = m.to_json().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.contains("\"age_decade\": \"30-39\""),
            "decade as text: {text}"
        );
        assert!(!text.contains("gender"), "blank bucket omitted: {text}");
        assert_eq!(Manifest::from_json(&bytes).unwrap(), m);
    }

    #[test]
    fn invalid_manifests_are_rejected() {
        type Mutation = Box<dyn Fn(&mut Manifest)>;
        let cases: Vec<(&str, Mutation)> = vec![
            ("short id", Box::new(|m| m.anonymous_id = "abc".into())),
            (
                "uppercase id",
                Box::new(|m| m.anonymous_id = m.anonymous_id.to_uppercase()),
            ),
            ("no images", Box::new(|m| m.images.clear())),
            (
                "plain name",
                Box::new(|m| m.images[0].name = "IMG_0001.jpg".into()),
            ),
            (
                "duplicate",
                Box::new(|m| m.images[1].name = m.images[0].name.clone()),
            ),
            ("unsorted", Box::new(|m| m.images.reverse())),
            (
                "scores not object",
                Box::new(|m| m.images[0].scores = json!([1, 2])),
            ),
            (
                "path in scores",
                Box::new(|m| m.images[0].scores = json!({"p": "/home/x"})),
            ),
            (
                "file name in scores",
                Box::new(|m| m.images[0].scores = json!({"f": "IMG_1.JPG"})),
            ),
            (
                "long text in scores",
                Box::new(|m| m.images[0].scores = json!({"t": "x".repeat(100)})),
            ),
            ("schema", Box::new(|m| m.schema_version = 99)),
        ];
        for (case, mutate) in cases {
            let mut m = manifest();
            mutate(&mut m);
            assert!(m.validate().is_err(), "case {case}: should be rejected");
        }
    }

    #[test]
    fn unknown_fields_and_versions_are_rejected() {
        let mut v = serde_json::to_value(manifest()).unwrap();
        v["captured_at"] = json!("2024-01-01");
        let bytes = serde_json::to_vec(&v).unwrap();
        assert!(
            Manifest::from_json(&bytes).is_err(),
            "unknown top-level field"
        );

        let mut v = serde_json::to_value(manifest()).unwrap();
        v["schema_version"] = json!(2);
        let err = Manifest::from_json(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedSchema { found: 2, .. }),
            "got {err}"
        );
    }

    #[test]
    fn bucket_parsing() {
        let cases = [
            ("30-39", Some("30-39")),
            ("30–39", Some("30-39")),
            ("10-19", Some("10-19")),
            ("0-9", None),
            ("30-40", None),
            ("35-44", None),
            ("100-109", None),
            ("thirty", None),
        ];
        for (input, want) in cases {
            let got = input.parse::<AgeDecade>().ok().map(|d| d.to_string());
            assert_eq!(got.as_deref(), want, "case {input}");
        }
        assert_eq!(
            "Non-Binary".parse::<Gender>(),
            Ok(Gender::NonBinary),
            "gender case"
        );
        assert!("robot".parse::<Gender>().is_err(), "unknown gender");
        assert_eq!("4".parse::<SkinType>(), Ok(SkinType::IV), "skin digit");
        assert!("VII".parse::<SkinType>().is_err(), "skin out of range");
    }
}
