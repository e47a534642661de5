//! The anonymizer on real metadata-rich files (fixtures with their licences in
//! tests/fixtures/README.md), checked by the bundle verifier and, when installed, exiftool.

use bestpick_share::RefuseReason;
use bestpick_share::anonymize::{Limits, anonymize_file};

use bestpick_testkit::{exiftool_foreign_groups, share_fixtures as fixtures};

#[test]
fn fixtures_are_anonymized_or_refused() {
    let dir = fixtures();
    let tmp = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Option<RefuseReason>)> = vec![
        ("exiftool_ExifTool.jpg", None),
        ("exiftool_ExtendedXMP.jpg", None),
        ("exiftool_MWG.jpg", None),
        ("exiftool_GPS.jpg", None),
        ("exiftool_PNG.png", None),
        ("exiftool_ExifTool.tif", None),
        ("piexif_r_canon.jpg", None),
        ("exiftool_DNG.dng", Some(RefuseReason::Raw)),
        ("exiftool_QuickTime.heic", Some(RefuseReason::Heif)),
    ];
    let mut exiftool_ran = false;
    for (name, refusal) in cases {
        let path = dir.join(name);
        match (anonymize_file(&path, &Limits::default()), refusal) {
            (Ok(out), None) => {
                assert!(
                    bestpick_bundle::verify_image(&out.jpeg).is_ok(),
                    "case {name}: clean"
                );
                let written = tmp.path().join(format!("{name}.jpg"));
                std::fs::write(&written, &out.jpeg).unwrap();
                if let Some(foreign) = exiftool_foreign_groups(&written) {
                    exiftool_ran = true;
                    assert!(
                        foreign.is_empty(),
                        "case {name}: exiftool found {foreign:?}"
                    );
                }
            }
            (Err(bestpick_share::Error::Refused { reason, .. }), Some(want)) => {
                assert_eq!(reason, want, "case {name}");
            }
            (got, want) => panic!("case {name}: got {got:?}, want refusal {want:?}"),
        }
    }
    if !exiftool_ran {
        println!("SKIP exiftool checks: exiftool not installed (Debian libimage-exiftool-perl)");
    }
    // WebP: decoded and re-encoded, or refused with a reason; never passed through.
    match anonymize_file(&dir.join("exiftool_RIFF.webp"), &Limits::default()) {
        Ok(out) => assert!(
            bestpick_bundle::verify_image(&out.jpeg).is_ok(),
            "webp clean"
        ),
        Err(e) => println!("webp fixture refused: {e}"),
    }
}

#[test]
fn orientation_six_is_applied() {
    // MWG.jpg is 8x8 with orientation 6, so only a non-square input shows the turn: make one.
    let tmp = tempfile::tempdir().unwrap();
    let src = std::fs::read(fixtures().join("exiftool_MWG.jpg")).unwrap();
    let exif_seg_end = {
        // Keep SOI + the APP1 EXIF segment of MWG.jpg, then a fresh 30x10 image's segments.
        let len = usize::from(u16::from_be_bytes([src[4], src[5]]));
        assert_eq!(&src[2..4], &[0xFF, 0xE1], "MWG.jpg starts with APP1");
        4 + len
    };
    let img = image::RgbImage::from_pixel(30, 10, image::Rgb([200, 10, 10]));
    let mut fresh = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut fresh)
        .encode_image(&img)
        .unwrap();
    let mut combined = src[..exif_seg_end].to_vec();
    combined.extend_from_slice(&fresh[2..]);
    let path = tmp.path().join("rotated.jpg");
    std::fs::write(&path, combined).unwrap();
    let out = anonymize_file(&path, &Limits::default()).unwrap();
    assert_eq!(
        (out.width, out.height),
        (10, 30),
        "orientation 6 turns 30x10 into 10x30"
    );
}
