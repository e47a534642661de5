//! The bundle archive: a deterministic tar of `manifest.json` and `images/<name>.jpg`.
//!
//! Every entry has mtime 0, uid/gid 0, empty user/group names and mode 0644, and entries are
//! written in sorted order, so identical input gives byte-identical output and the archive
//! itself says nothing about when or by whom it was made.

use std::collections::BTreeMap;

use crate::manifest::{MAX_IMAGES, is_image_name};
use crate::{Error, Manifest, Result, verify_image};

/// Name of the manifest entry.
pub const MANIFEST_ENTRY: &str = "manifest.json";
const IMAGES_DIR: &str = "images/";

/// Size limits applied when reading an archive from untrusted bytes.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted single image, bytes.
    pub max_image_bytes: u64,
    /// Largest accepted manifest, bytes.
    pub max_manifest_bytes: u64,
    /// Largest accepted sum of all entries, bytes.
    pub max_total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_image_bytes: 64 * 1024 * 1024,
            max_manifest_bytes: 8 * 1024 * 1024,
            max_total_bytes: 512 * 1024 * 1024,
        }
    }
}

/// A bundle in clear: its manifest and the encoded images, keyed by entry name.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    /// The manifest.
    pub manifest: Manifest,
    /// Image bytes by name (the names listed in the manifest).
    pub images: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    /// Checks the manifest, that it lists exactly the images present, and runs the metadata
    /// verifier on every image. This is the check both sides run before trusting a bundle.
    pub fn validate(&self) -> Result<()> {
        let images: BTreeMap<&str, &[u8]> = self
            .images
            .iter()
            .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
            .collect();
        check_contents(&self.manifest, &images)
    }

    /// Validates, then writes the deterministic archive.
    pub fn to_archive(&self) -> Result<Vec<u8>> {
        self.validate()?;
        let mut builder = tar::Builder::new(Vec::new());
        builder.mode(tar::HeaderMode::Deterministic);
        append(&mut builder, MANIFEST_ENTRY, &self.manifest.to_json()?)?;
        for (name, bytes) in &self.images {
            append(&mut builder, &format!("{IMAGES_DIR}{name}"), bytes)?;
        }
        builder.into_inner().map_err(Error::ArchiveIo)
    }

    /// Reads an archive from untrusted bytes and validates it (manifest, names, verifier).
    pub fn from_archive(bytes: &[u8], limits: &Limits) -> Result<Bundle> {
        let (manifest, images) = parse(bytes, limits)?;
        check_contents(&manifest, &images)?;
        let images = images
            .into_iter()
            .map(|(name, data)| (name, data.to_vec()))
            .collect();
        Ok(Bundle { manifest, images })
    }

    /// Runs exactly the checks of [`Bundle::from_archive`] without copying any image out of
    /// `bytes`, and returns the manifest. For a receiver that only needs the verdict (the
    /// collector), a bundle then costs its size in memory once, not twice.
    pub fn check_archive(bytes: &[u8], limits: &Limits) -> Result<Manifest> {
        let (manifest, images) = parse(bytes, limits)?;
        check_contents(&manifest, &images)?;
        Ok(manifest)
    }
}

/// The manifest lists exactly the images present and every image passes the verifier.
fn check_contents<K: AsRef<str>>(manifest: &Manifest, images: &BTreeMap<K, &[u8]>) -> Result<()> {
    manifest.validate()?;
    let listed: Vec<&str> = manifest.images.iter().map(|i| i.name.as_str()).collect();
    let present: Vec<&str> = images.keys().map(AsRef::as_ref).collect();
    if listed != present {
        return Err(Error::InvalidManifest(
            "manifest and archive list different images".into(),
        ));
    }
    for (name, bytes) in images {
        match verify_image(bytes) {
            Ok(crate::ImageFormat::Jpeg) => {}
            Ok(crate::ImageFormat::Png) => {
                return Err(Error::InvalidArchive(format!(
                    "{}: PNG data in a .jpg entry",
                    name.as_ref()
                )));
            }
            Err(rejection) => {
                return Err(Error::ImageRejected {
                    entry: name.as_ref().to_owned(),
                    rejection,
                });
            }
        }
    }
    Ok(())
}

/// Walks the tar entries of untrusted `bytes`: the parsed manifest and each image entry as a
/// slice of `bytes` (no copy), with names, entry types and size limits checked.
fn parse<'a>(bytes: &'a [u8], limits: &Limits) -> Result<(Manifest, BTreeMap<String, &'a [u8]>)> {
    let mut archive = tar::Archive::new(bytes);
    let mut manifest = None;
    let mut images = BTreeMap::new();
    let mut total: u64 = 0;
    for entry in archive.entries().map_err(Error::ArchiveIo)? {
        let entry = entry.map_err(Error::ArchiveIo)?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(Error::InvalidArchive(
                "only regular file entries are allowed".into(),
            ));
        }
        let size = entry.size();
        total = total.saturating_add(size);
        if total > limits.max_total_bytes {
            return Err(Error::TooLarge(format!(
                "archive content exceeds {} bytes",
                limits.max_total_bytes
            )));
        }
        let path = entry.path_bytes();
        let path = std::str::from_utf8(&path)
            .map_err(|_| Error::InvalidArchive("entry name is not UTF-8".into()))?;
        if path == MANIFEST_ENTRY {
            if manifest.is_some() {
                return Err(Error::InvalidArchive("duplicate manifest".into()));
            }
            let data = entry_data(bytes, &entry, limits.max_manifest_bytes, path)?;
            manifest = Some(Manifest::from_json(data)?);
        } else if let Some(name) = path.strip_prefix(IMAGES_DIR) {
            if !is_image_name(name) {
                return Err(Error::InvalidArchive(
                    "image entry name is not a keyed hash".into(),
                ));
            }
            if images.len() >= MAX_IMAGES {
                return Err(Error::TooLarge(format!("more than {MAX_IMAGES} images")));
            }
            let data = entry_data(bytes, &entry, limits.max_image_bytes, name)?;
            if images.insert(name.to_owned(), data).is_some() {
                return Err(Error::InvalidArchive("duplicate image entry".into()));
            }
        } else {
            return Err(Error::InvalidArchive("unexpected entry in archive".into()));
        }
    }
    let manifest =
        manifest.ok_or_else(|| Error::InvalidArchive("archive has no manifest".into()))?;
    Ok((manifest, images))
}

fn append(builder: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) -> Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_username("").map_err(Error::ArchiveIo)?;
    header.set_groupname("").map_err(Error::ArchiveIo)?;
    builder
        .append_data(&mut header, path, data)
        .map_err(Error::ArchiveIo)
}

/// The data of `entry` as a slice of the archive it was read from.
fn entry_data<'a>(
    archive: &'a [u8],
    entry: &tar::Entry<'_, &'a [u8]>,
    limit: u64,
    what: &str,
) -> Result<&'a [u8]> {
    let size = entry.size();
    if size > limit {
        return Err(Error::TooLarge(format!(
            "{what} is {size} bytes (at most {limit})"
        )));
    }
    let start = usize::try_from(entry.raw_file_position()).ok();
    let end = start.and_then(|s| s.checked_add(usize::try_from(size).ok()?));
    start
        .zip(end)
        .and_then(|(start, end)| archive.get(start..end))
        .ok_or_else(|| Error::InvalidArchive(format!("{what}: size does not match its header")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ImageEntry, SCHEMA_VERSION};

    /// The smallest structurally valid JPEG the verifier accepts (see verify.rs tests).
    pub(crate) fn tiny_jpeg(seed: u8) -> Vec<u8> {
        let seg = |m: u8, p: &[u8]| {
            let mut v = vec![0xFF, m];
            v.extend_from_slice(&u16::try_from(p.len() + 2).unwrap().to_be_bytes());
            v.extend_from_slice(p);
            v
        };
        let mut v = vec![0xFF, 0xD8];
        v.extend(seg(0xDB, &[0; 65]));
        v.extend(seg(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
        v.extend(seg(0xDA, &[1, 1, 0, 0, 63, 0]));
        v.extend_from_slice(&[seed, 0xFF, 0xD9]);
        v
    }

    pub(crate) fn bundle() -> Bundle {
        let names = [
            format!("{}.jpg", "a".repeat(64)),
            format!("{}.jpg", "b".repeat(64)),
        ];
        Bundle {
            manifest: Manifest {
                schema_version: SCHEMA_VERSION,
                anonymous_id: "f".repeat(32),
                images: names
                    .iter()
                    .map(|n| ImageEntry {
                        name: n.clone(),
                        scores: serde_json::json!({"s": 1}),
                    })
                    .collect(),
                buckets: Default::default(),
            },
            images: names
                .iter()
                .zip([1u8, 2])
                .map(|(n, s)| (n.clone(), tiny_jpeg(s)))
                .collect(),
        }
    }

    #[test]
    fn archive_is_deterministic_and_round_trips() {
        let b = bundle();
        let one = b.to_archive().unwrap();
        let two = b.clone().to_archive().unwrap();
        assert_eq!(one, two, "byte-identical for identical input");
        assert_eq!(
            Bundle::from_archive(&one, &Limits::default()).unwrap(),
            b,
            "round trip"
        );
        assert_eq!(
            Bundle::check_archive(&one, &Limits::default()).unwrap(),
            b.manifest,
            "check without copies gives the manifest"
        );

        let mut archive = tar::Archive::new(one.as_slice());
        let mut names = vec![];
        for e in archive.entries().unwrap() {
            let e = e.unwrap();
            let h = e.header();
            assert_eq!(h.mtime().unwrap(), 0, "mtime");
            assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0), "ids");
            assert_eq!(h.mode().unwrap(), 0o644, "mode");
            assert_eq!(h.username().unwrap(), Some(""), "user name");
            assert_eq!(h.groupname().unwrap(), Some(""), "group name");
            names.push(e.path().unwrap().to_string_lossy().into_owned());
        }
        assert_eq!(names[0], MANIFEST_ENTRY, "manifest first");
        assert!(names[1] < names[2], "images sorted");
    }

    #[test]
    fn bad_archives_are_rejected() {
        let b = bundle();
        let mut missing = b.clone();
        missing.images.pop_first();
        assert!(
            missing.to_archive().is_err(),
            "manifest lists an absent image"
        );

        let mut tagged = b.clone();
        let first = tagged.images.keys().next().unwrap().clone();
        let mut with_exif = tiny_jpeg(1);
        with_exif.splice(2..2, [0xFF, 0xE1, 0, 8, b'E', b'x', b'i', b'f', 0, 0]);
        tagged.images.insert(first, with_exif);
        let err = tagged.to_archive().unwrap_err();
        assert!(
            err.to_string().contains("APP1 (EXIF) present"),
            "exif image: {err}"
        );

        let archive = b.to_archive().unwrap();
        let small = Limits {
            max_image_bytes: 4,
            ..Limits::default()
        };
        assert!(
            matches!(
                Bundle::from_archive(&archive, &small),
                Err(Error::TooLarge(_))
            ),
            "image limit"
        );
        let tiny_total = Limits {
            max_total_bytes: 10,
            ..Limits::default()
        };
        assert!(
            matches!(
                Bundle::from_archive(&archive, &tiny_total),
                Err(Error::TooLarge(_))
            ),
            "total limit"
        );
        assert!(
            Bundle::from_archive(b"not a tar", &Limits::default()).is_err(),
            "garbage"
        );
        assert!(
            Bundle::from_archive(&archive[..archive.len() / 2], &Limits::default()).is_err(),
            "truncated"
        );

        let mut builder = tar::Builder::new(Vec::new());
        append(&mut builder, "etc/passwd", b"x").unwrap();
        let evil = builder.into_inner().unwrap();
        assert!(
            Bundle::from_archive(&evil, &Limits::default()).is_err(),
            "unexpected entry"
        );

        // The borrowing check refuses exactly what the copying reader refuses.
        let cases: Vec<(&str, &[u8], Limits)> = vec![
            ("image limit", &archive, small),
            ("total limit", &archive, tiny_total),
            ("garbage", b"not a tar", Limits::default()),
            (
                "truncated",
                &archive[..archive.len() / 2],
                Limits::default(),
            ),
            (
                "cut inside the last image",
                &archive[..archive.len() - 1024 - 512 + 10],
                Limits::default(),
            ),
            ("unexpected entry", &evil, Limits::default()),
        ];
        for (case, bytes, limits) in cases {
            assert!(
                Bundle::from_archive(bytes, &limits).is_err(),
                "case {case}: from_archive"
            );
            assert!(
                Bundle::check_archive(bytes, &limits).is_err(),
                "case {case}: check_archive"
            );
        }
    }
}
