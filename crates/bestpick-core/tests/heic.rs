//! HEIC/HEIF/AVIF decoding through libheif, on the real files of the shared photo corpus
//! (skipped with a message when it is absent). In a build without libheif (`build.rs` did not
//! find it, or `BESTPICK_NO_HEIF=1`) the tests check the "not available in this build" error.

use std::path::{Path, PathBuf};

use bestpick_core::decode::{BlockSource, DecodeOptions, Decoded, decode};
use bestpick_core::exif;
use bestpick_core::{FileKind, PhotoErrorKind};

/// `/work/shared/photos/images`, next to the repository.
fn images() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/photos/images");
    if p.is_dir() {
        Some(p)
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI=true: the shared photos must be present"
        );
        println!("skipped: {} is not present", p.display());
        None
    }
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    let path = dir.join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// True when this build decodes HEIC; otherwise checks the refusal and returns false.
fn heic_built(data: &[u8], kind: FileKind) -> bool {
    if cfg!(bestpick_heic) {
        return true;
    }
    let err = decode(data, kind, &DecodeOptions::default()).expect_err("no libheif in this build");
    match &err {
        PhotoErrorKind::Unsupported(m) => {
            assert!(
                m.contains("not available in this build") && m.contains("libheif-dev"),
                "{m}"
            )
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI=true: the build must have libheif (Debian: libheif-dev)"
    );
    println!("skipped: this build has no libheif (HEIC refusal checked)");
    false
}

fn decode_ok(data: &[u8], kind: FileKind, case: &str) -> Decoded {
    decode(data, kind, &DecodeOptions::default()).unwrap_or_else(|e| panic!("{case}: {e:?}"))
}

/// Position of `needle` in `hay`, which must occur exactly once.
fn find_once(hay: &[u8], needle: &[u8], what: &str) -> usize {
    let hits: Vec<usize> = hay
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "{what}: expected exactly one occurrence, found {}",
        hits.len()
    );
    hits[0]
}

/// Sizes from exiftool/heif-info and /work/shared/photos/MANIFEST.tsv; the capture time and
/// camera from the iPhone's EXIF (DateTimeOriginal 2020:05:04 18:39:11, OffsetTimeOriginal
/// -04:00, iPhone 11 Pro).
#[test]
fn real_files_decode_upright_with_their_exif() {
    let Some(dir) = images() else { return };
    struct Case {
        name: &'static str,
        kind: FileKind,
        size: (u32, u32),
        time: Option<&'static str>,
        model: Option<&'static str>,
    }
    let cases = [
        Case {
            name: "mei_IMG_2927.HEIC",
            kind: FileKind::Heic,
            size: (3024, 4032),
            time: Some("2020-05-04T18:39:11"),
            model: Some("iPhone 11 Pro"),
        },
        Case {
            name: "libheif_example.heic",
            kind: FileKind::Heic,
            size: (1280, 854),
            time: None,
            model: None,
        },
        Case {
            name: "libheif_example.avif",
            kind: FileKind::Avif,
            size: (800, 533),
            time: None,
            model: None,
        },
    ];
    for Case {
        name,
        kind,
        size: (w, h),
        time,
        model,
    } in cases
    {
        let data = read(&dir, name);
        if !heic_built(&data, kind) {
            return;
        }
        let d = decode_ok(&data, kind, name);
        assert_eq!((d.width, d.height), (w, h), "{name}: size");
        assert_eq!(
            d.orientation(),
            1,
            "{name}: pixels are upright, orientation 1"
        );
        assert_eq!(d.source, BlockSource::Pixels, "{name}: source");
        let px = d
            .pixels
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: pixels kept"));
        assert_eq!(px.dimensions(), (w, h), "{name}: pixel buffer size");
        assert_eq!(
            (d.luma.width, d.luma.height),
            (w.div_ceil(8) as usize, h.div_ceil(8) as usize),
            "{name}: block grid"
        );
        assert!(d.chroma.is_some(), "{name}: chroma kept");
        let mean =
            px.as_raw().iter().map(|&v| u64::from(v)).sum::<u64>() / px.as_raw().len() as u64;
        assert!(
            (20..=235).contains(&mean),
            "{name}: a real picture, not a flat fill (mean {mean})"
        );
        assert_eq!(d.exif.problem, None, "{name}: EXIF read cleanly");
        let got_time = d.exif.info.capture_time.as_ref().map(|t| t.local.clone());
        assert_eq!(
            got_time.as_deref().map(|t| &t[..19]),
            time,
            "{name}: capture time"
        );
        if time.is_some() {
            let offset = d
                .exif
                .info
                .capture_time
                .as_ref()
                .and_then(|t| t.offset_minutes);
            assert_eq!(offset, Some(-240), "{name}: UTC offset");
        }
        assert_eq!(d.exif.info.model.as_deref(), model, "{name}: camera model");
    }
}

/// Same pixels as libheif's own command-line converter (`heif-convert`, Debian package
/// libheif-examples), when it is installed.
#[test]
fn pixels_match_heif_convert() {
    let Some(dir) = images() else { return };
    let tool = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("heif-convert"))
            .find(|p| p.is_file())
    });
    let Some(tool) = tool else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI=true: heif-convert (Debian: libheif-examples) must be installed"
        );
        println!("skipped: heif-convert (libheif-examples) is not installed");
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    for (name, kind) in [
        ("libheif_example.heic", FileKind::Heic),
        ("libheif_example.avif", FileKind::Avif),
    ] {
        let data = read(&dir, name);
        if !heic_built(&data, kind) {
            return;
        }
        let png = tmp.path().join(format!("{name}.png"));
        let out = std::process::Command::new(&tool)
            .arg(dir.join(name))
            .arg(&png)
            .output()
            .expect("run heif-convert");
        assert!(
            out.status.success(),
            "{name}: heif-convert failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // With several top-level images heif-convert numbers its outputs; the primary image
        // comes first in these files.
        let numbered = tmp.path().join(format!("{name}-1.png"));
        let written = if png.is_file() { png } else { numbered };
        let reference = image::open(&written)
            .expect("read heif-convert output")
            .to_rgb8();
        let d = decode_ok(&data, kind, name);
        let px = d.pixels.expect("pixels");
        assert_eq!(
            px.dimensions(),
            reference.dimensions(),
            "{name}: size as heif-convert"
        );
        let diff: u64 = px
            .as_raw()
            .iter()
            .zip(reference.as_raw())
            .map(|(&a, &b)| u64::from(a.abs_diff(b)))
            .sum();
        let mean = diff as f64 / px.as_raw().len() as f64;
        assert!(
            mean < 0.5,
            "{name}: mean difference to heif-convert {mean:.3}"
        );
    }
}

/// An iPhone held sideways writes the rotation twice: an `irot` property (which libheif
/// applies) and EXIF Orientation 6. The pixels must be turned once, and the orientation the
/// rest of the pipeline sees must be 1.
#[test]
fn rotation_is_applied_once_and_exif_orientation_ignored() {
    let Some(dir) = images() else { return };
    let data = read(&dir, "mei_IMG_2927.HEIC");
    if !heic_built(&data, FileKind::Heic) {
        return;
    }
    let mut rotated = data.clone();
    // The primary (grid) item's irot property, angle 0: set it to 3 (270 degrees
    // anticlockwise, i.e. 90 clockwise: what EXIF calls orientation 6).
    let irot = find_once(&rotated[..4096], b"\0\0\0\x09irot", "irot box");
    assert_eq!(rotated[irot + 8], 0, "irot angle before the patch");
    rotated[irot + 8] = 3;
    // The EXIF orientation entry (big-endian IFD entry: tag 0x0112, SHORT, count 1, value 1).
    let entry = find_once(
        &rotated,
        b"\x01\x12\x00\x03\x00\x00\x00\x01\x00\x01",
        "EXIF orientation entry",
    );
    rotated[entry + 9] = 6;
    assert_eq!(
        exif::from_container(&rotated).info.orientation,
        6,
        "the patched file's EXIF says 6"
    );

    let upright = decode_ok(&data, FileKind::Heic, "original");
    let turned = decode_ok(&rotated, FileKind::Heic, "rotated");
    assert_eq!(
        (turned.width, turned.height),
        (4032, 3024),
        "irot applied: landscape"
    );
    assert_eq!(
        turned.orientation(),
        1,
        "EXIF orientation 6 not applied on top of irot"
    );
    assert!(turned.exif.info.capture_time.is_some(), "EXIF still read");
    let expected = image::imageops::rotate90(upright.pixels.as_ref().expect("pixels"));
    assert!(
        turned.pixels.as_ref().expect("pixels") == &expected,
        "pixels are the original turned 90 degrees clockwise, once"
    );
}

#[test]
fn truncated_and_damaged_files_are_clean_errors() {
    let Some(dir) = images() else { return };
    let data = read(&dir, "mei_IMG_2927.HEIC");
    if !heic_built(&data, FileKind::Heic) {
        return;
    }
    let opts = DecodeOptions::default();
    let mut cases: Vec<(String, Vec<u8>)> =
        [12, 40, 1000, 3400, 100_000, data.len() / 2, data.len() - 1]
            .into_iter()
            .map(|n| (format!("first {n} bytes"), data[..n].to_vec()))
            .collect();
    let mut zeroed = data.clone();
    zeroed[20_000..400_000].fill(0);
    cases.push(("image data zeroed".into(), zeroed));
    // Every byte of the image data (the `mdat` box's payload) replaced by noise, same length.
    let payload = find_once(&data[..4096], b"mdat", "mdat box") + 4;
    let mut garbage = data[..payload].to_vec();
    let noise_len = u32::try_from(data.len() - payload).expect("small file");
    garbage.extend((0..noise_len).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    cases.push(("image data replaced by noise".into(), garbage));
    cases.push((
        "metadata-only placeholder (exiftool_QuickTime.heic)".into(),
        read(&dir, "exiftool_QuickTime.heic"),
    ));
    for (case, bytes) in cases {
        match decode(&bytes, FileKind::Heic, &opts) {
            Err(PhotoErrorKind::DecoderPanic(m)) => panic!("{case}: decoder panicked: {m}"),
            Err(PhotoErrorKind::Corrupt(m)) => assert!(!m.is_empty(), "{case}: message"),
            Err(other) => panic!("{case}: expected Corrupt, got {other:?}"),
            // libde265 conceals damaged tiles rather than failing: a full-size image is fine.
            Ok(d) => assert_eq!(
                (d.width, d.height),
                (3024, 4032),
                "{case}: decoded anyway, at full size"
            ),
        }
    }
    let text = decode(b"hello, this is text", FileKind::Heic, &opts).expect_err("text");
    assert_eq!(
        text,
        PhotoErrorKind::NotAnImage("the file contains text, not image data".into()),
        "text named .heic"
    );
    let jpeg = decode(
        &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'],
        FileKind::Heic,
        &opts,
    )
    .expect_err("jpeg");
    assert!(
        matches!(jpeg, PhotoErrorKind::NotAnImage(_)),
        "JPEG named .heic: {jpeg:?}"
    );
}

#[test]
fn oversized_images_are_refused_before_decoding() {
    let Some(dir) = images() else { return };
    let data = read(&dir, "mei_IMG_2927.HEIC");
    if !heic_built(&data, FileKind::Heic) {
        return;
    }
    // The primary item's `ispe` (spatial extent) box: version/flags 0, width 3024, height 4032.
    let mut ispe = b"ispe\0\0\0\0".to_vec();
    ispe.extend(3024u32.to_be_bytes());
    ispe.extend(4032u32.to_be_bytes());
    let at = find_once(&data[..4096], &ispe, "primary ispe box");
    let mut huge = data.clone();
    huge[at + 8..at + 12].copy_from_slice(&100_000u32.to_be_bytes());
    huge[at + 12..at + 16].copy_from_slice(&100_000u32.to_be_bytes());

    let small_pixels = DecodeOptions {
        max_pixels: 1_000_000,
        ..DecodeOptions::default()
    };
    let small_alloc = DecodeOptions {
        max_alloc: 16 << 20,
        ..DecodeOptions::default()
    };
    let cases: [(&str, &[u8], DecodeOptions); 3] = [
        ("100000 x 100000 header", &huge, DecodeOptions::default()),
        ("12 MP under a 1 MP limit", &data, small_pixels),
        ("12 MP under a 16 MiB allocation limit", &data, small_alloc),
    ];
    for (case, bytes, opts) in cases {
        let start = std::time::Instant::now();
        let err = decode(bytes, FileKind::Heic, &opts).expect_err(case);
        assert!(
            matches!(err, PhotoErrorKind::TooLarge(_)),
            "{case}: {err:?}"
        );
        // Refused from the headers: far quicker than decoding 48 HEVC tiles.
        assert!(
            start.elapsed().as_millis() < 2_000,
            "{case}: took {:?}",
            start.elapsed()
        );
    }
}

/// The whole pipeline: an analyzed HEIC keeps its EXIF facts and an orientation of 1.
#[test]
fn analyze_file_reads_a_heic() {
    let Some(dir) = images() else { return };
    let path = dir.join("libheif_example.heic");
    let data = read(&dir, "libheif_example.heic");
    if !heic_built(&data, FileKind::Heic) {
        return;
    }
    let a = bestpick_core::analyze_path(&path).expect("analyze");
    assert_eq!(a.kind, FileKind::Heic, "kind");
    assert_eq!(a.source, BlockSource::Pixels, "source");
    assert_eq!(a.exif.orientation, 1, "orientation");
}

/// Photos are analyzed in parallel: concurrent decodes (one libheif context each) must agree.
#[test]
fn concurrent_decodes_agree() {
    let Some(dir) = images() else { return };
    let heic = read(&dir, "libheif_example.heic");
    let avif = read(&dir, "libheif_example.avif");
    if !heic_built(&heic, FileKind::Heic) {
        return;
    }
    let reference = [
        decode_ok(&heic, FileKind::Heic, "heic")
            .pixels
            .expect("pixels"),
        decode_ok(&avif, FileKind::Avif, "avif")
            .pixels
            .expect("pixels"),
    ];
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|i| {
                let (data, kind) = if i % 2 == 0 {
                    (&heic, FileKind::Heic)
                } else {
                    (&avif, FileKind::Avif)
                };
                s.spawn(move || {
                    (
                        i,
                        decode_ok(data, kind, "concurrent").pixels.expect("pixels"),
                    )
                })
            })
            .collect();
        for w in workers {
            let (i, px) = w.join().expect("worker");
            assert!(
                px == reference[i % 2],
                "worker {i}: same pixels as the lone decode"
            );
        }
    });
}
