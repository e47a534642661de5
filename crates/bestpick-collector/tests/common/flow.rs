//! The contributor's side of the end-to-end tests (bestpick-share against a real collector):
//! the metadata-rich photo set, consent, the checks on what left and what was exported.

use std::path::{Path, PathBuf};

use bestpick_share::Contributor;
use bestpick_share::flow::{Age, ConsentRequest};
use bestpick_share::terms;

use super::{exiftool_foreign_groups, files_under, fixtures, shared_photos};

/// Stand-in for the engine's signals: numbers only, derived from the file size.
pub fn scores(path: &Path) -> Result<serde_json::Value, String> {
    let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    Ok(serde_json::json!({ "sharpness": (len % 997) as f64 / 997.0, "faces": [] }))
}

/// Consent of an adult in the 30-39 bucket, to the current terms.
pub fn adult_consent() -> ConsentRequest {
    ConsentRequest {
        terms_version: terms::CURRENT_VERSION,
        age: Age::Adult,
        buckets: bestpick_bundle::Buckets {
            age_decade: Some("30-39".parse().expect("bucket")),
            gender: None,
            skin_type: None,
        },
    }
}

/// The files [`metadata_rich_photos`] copies that are refused at add, in its order.
pub const REFUSED: [&str; 3] = [
    "exiftool_DNG.dng",
    "exiftool_QuickTime.heic",
    "exiftool_ExifTool.xmp",
];

/// Copies the licensed fixtures (EXIF, XMP, GPS, PNG, TIFF, maker notes, and a RAW and a HEIC
/// that are refused), the larger shared photos when present, and an XMP sidecar (refused)
/// into `dir`; returns their paths.
pub fn metadata_rich_photos(dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("photos folder");
    let mut photos: Vec<PathBuf> = Vec::new();
    let mut copy = |from: PathBuf, name: &str| {
        let dst = dir.join(name);
        std::fs::copy(from.join(name), &dst).expect("copy photo");
        photos.push(dst);
    };
    for name in [
        "exiftool_ExifTool.jpg",
        "exiftool_ExtendedXMP.jpg",
        "exiftool_MWG.jpg",
        "exiftool_GPS.jpg",
        "exiftool_PNG.png",
        "exiftool_ExifTool.tif",
        "piexif_r_canon.jpg",
        "exiftool_DNG.dng",
        "exiftool_QuickTime.heic",
    ] {
        copy(fixtures(), name);
    }
    match shared_photos() {
        Some(shared) => {
            for name in [
                "facerec_obama.jpg",
                "plasma_ColorfulCups.jpg",
                "opencv_leuvenA.jpg",
                "lxqt_drop.png",
            ] {
                copy(shared.clone(), name);
            }
        }
        None => println!("SKIP shared photos: ../shared/photos/images not present"),
    }
    let sidecar = dir.join("exiftool_ExifTool.xmp");
    std::fs::write(
        &sidecar,
        "<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>",
    )
    .expect("sidecar");
    photos.push(sidecar);
    photos
}

/// Adds `photos` of [`metadata_rich_photos`]: the RAW, the HEIC and the sidecar are refused,
/// saying why. Returns how many will be sent.
pub fn add_metadata_rich(contributor: &mut Contributor<'_>, photos: &[PathBuf]) -> usize {
    let added = contributor.add(photos).expect("add");
    let refused: Vec<String> = added
        .refused
        .iter()
        .map(|(p, _)| {
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(refused, REFUSED, "RAW, HEIC and sidecar refused at add");
    assert!(
        added.refused.iter().all(|(_, r)| r.contains("never sent")),
        "refusals say why: {:?}",
        added.refused
    );
    photos.len() - REFUSED.len()
}

/// Asserts that `archive` (a bundle in clear) names none of `photos` (name or stem), not
/// their folder `My Holiday Photos`, not `root` and not the user's home.
pub fn assert_no_names_or_paths(archive: &[u8], photos: &[PathBuf], root: &Path) {
    let haystack = String::from_utf8_lossy(archive).to_lowercase();
    let mut needles: Vec<String> = photos
        .iter()
        .flat_map(|p| [p.file_name(), p.file_stem()])
        .flatten()
        .map(|s| s.to_string_lossy().to_lowercase())
        .collect();
    needles.push("my holiday photos".into());
    needles.push(root.to_string_lossy().to_lowercase());
    if let Ok(user) = std::env::var("USER") {
        needles.push(format!("/{}/", user.to_lowercase()));
    }
    for needle in &needles {
        assert!(
            !haystack.contains(needle.as_str()),
            "bundle contains {needle:?}"
        );
    }
}

/// The images an export wrote under `out`, each checked with exiftool (when installed): no
/// foreign metadata group in any.
pub fn exported_images_without_metadata(out: &Path) -> Vec<PathBuf> {
    let exported: Vec<PathBuf> = files_under(out)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .collect();
    let mut exiftool_ran = false;
    for image in &exported {
        if let Some(foreign) = exiftool_foreign_groups(image) {
            exiftool_ran = true;
            assert!(
                foreign.is_empty(),
                "exiftool found {foreign:?} in {}",
                image.display()
            );
        }
    }
    if !exiftool_ran {
        println!("SKIP exiftool checks: exiftool not installed (libimage-exiftool-perl)");
    }
    exported
}
