//! The JPEG reader on real files: every encoding variant gives the same coefficients, the block
//! means agree with a full decoder's pixels, and damaged input is a clean error, never a panic.

mod common;

use bestpick_core::decode::jpeg::{self, JpegError, JpegOptions};
use bestpick_core::decode::{self, BlockSource, DecodeOptions};
use bestpick_core::{FileKind, PhotoErrorKind};
use common::{fixtures, read};

fn blocks(name: &str) -> jpeg::JpegBlocks {
    let data = read(&fixtures().join("jpeg-variants").join(name));
    jpeg::read_blocks(&data, &JpegOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_encoding_variant_yields_the_same_luma_coefficients() {
    // All variants were encoded from the same pixels with the same quality, so the quantized
    // luma coefficients are identical whatever the scan structure or chroma sampling.
    let base = blocks("baseline.jpg");
    assert!(!base.progressive);
    for name in [
        "progressive.jpg",
        "restart.jpg",
        "progressive-restart-422.jpg",
        "s444.jpg",
        "grayscale.jpg",
    ] {
        let other = blocks(name);
        assert_eq!(
            (other.width, other.height),
            (base.width, base.height),
            "{name}"
        );
        assert_eq!(other.luma.dc, base.luma.dc, "{name}: block means");
        assert_eq!(other.luma.feat, base.luma.feat, "{name}: band energies");
    }
    assert!(blocks("progressive.jpg").progressive);
    assert!(
        blocks("grayscale.jpg").chroma.is_none(),
        "grey files have no chroma"
    );
    let c = blocks("s444.jpg").chroma.expect("chroma");
    assert_eq!((c.x_ratio, c.y_ratio), (1, 1));
    let c = base.chroma.expect("chroma");
    assert_eq!((c.x_ratio, c.y_ratio), (2, 2), "cjpeg's default is 4:2:0");
}

#[test]
fn dense_noisy_blocks_read_the_same_in_baseline_and_progressive_order() {
    // Noise at quality 98-100 fills blocks up to their last coefficient and makes large values:
    // the cases where the baseline reader's two-symbol lookups must stop at a block's end and
    // fall back to the slow path. jpegtran made each progressive twin from the same
    // coefficients, and the progressive reader decodes one coefficient at a time.
    let opts = JpegOptions {
        low: true,
        ..JpegOptions::default()
    };
    let read_with = |name: &str| {
        let data = read(&fixtures().join("jpeg-variants").join(name));
        jpeg::read_blocks(&data, &opts).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    for (baseline, progressive) in [
        ("noisy-q98-restart.jpg", "noisy-q98-progressive.jpg"),
        ("noisy-q100.jpg", "noisy-q100-progressive.jpg"),
    ] {
        let (a, b) = (read_with(baseline), read_with(progressive));
        assert!(!a.progressive && b.progressive);
        assert_eq!(a.luma.dc, b.luma.dc, "{baseline}: block means");
        assert_eq!(a.luma.feat, b.luma.feat, "{baseline}: band energies");
        let (ca, cb) = (a.chroma.expect("chroma"), b.chroma.expect("chroma"));
        assert_eq!((ca.cb, ca.cr), (cb.cb, cb.cr), "{baseline}: chroma means");
        assert!(!a.low.is_empty(), "{baseline}: low planes");
        assert_eq!(a.low.len(), b.low.len(), "{baseline}: low planes");
        for (pa, pb) in a.low.iter().zip(&b.low) {
            assert_eq!(pa.coefs, pb.coefs, "{baseline}: low-frequency coefficients");
        }
        // The noise really is in the top band, so the dense case is exercised.
        let top: f32 = a.luma.feat.iter().map(|f| f[jpeg::feat::TOP]).sum();
        assert!(top > 0.0, "{baseline}: no top-band energy");
    }
}

#[test]
fn rows_read_again_match_the_whole_decode() {
    // Face regions are read again from the nearest row of MCUs: every way of cutting rows
    // (4:2:0 two block rows per MCU row, 4:4:4 one, grey, restart intervals that end inside
    // rows) must give exactly the coefficients of a decode that kept them all.
    let with_low = JpegOptions {
        low: true,
        ..JpegOptions::default()
    };
    for name in [
        "baseline.jpg",
        "restart.jpg",
        "s444.jpg",
        "grayscale.jpg",
        "noisy-q98-restart.jpg",
        "noisy-q100.jpg",
    ] {
        let data = read(&fixtures().join("jpeg-variants").join(name));
        let all = jpeg::read_blocks(&data, &with_low).unwrap_or_else(|e| panic!("{name}: {e}"));
        let plain = jpeg::read_blocks(&data, &JpegOptions::default()).expect("decodes");
        assert!(plain.low.is_empty(), "{name}: nothing kept unasked");
        assert!(!plain.rows.is_empty(), "{name}: baseline files are indexed");
        let full = &all.low[0];
        let h = full.height;
        for rows in [0..1, 0..h, 3..7, h / 2..h / 2 + 1, h - 3..h, h - 1..h + 5] {
            let part = jpeg::read_low_rows(&data, &plain.rows, rows.clone())
                .unwrap_or_else(|e| panic!("{name} {rows:?}: {e}"));
            assert!(part.row0 <= rows.start, "{name} {rows:?}: starts after");
            assert!(
                part.row0 + part.height >= rows.end.min(h),
                "{name} {rows:?}: ends before"
            );
            assert_eq!(part.width, full.width, "{name}");
            assert_eq!(part.quant, full.quant, "{name}");
            let at = part.row0 * full.width;
            assert_eq!(
                part.coefs[..],
                full.coefs[at..at + part.coefs.len()],
                "{name} {rows:?}: coefficients"
            );
        }
    }
    // Progressive files cannot be resumed by rows: no index, and asking is an error.
    let data = read(&fixtures().join("jpeg-variants/progressive.jpg"));
    let b = jpeg::read_blocks(&data, &JpegOptions::default()).expect("decodes");
    assert!(b.rows.is_empty());
    assert!(jpeg::read_low_rows(&data, &b.rows, 0..4).is_err());
}

#[test]
fn block_means_match_a_full_decode() {
    for name in ["baseline.jpg", "progressive-restart-422.jpg"] {
        let path = fixtures().join("jpeg-variants").join(name);
        let b = blocks(name);
        let img = image::open(&path).expect("image decodes").to_rgb8();
        let (w, h) = img.dimensions();
        let mut worst = 0f32;
        for by in 0..(h / 8) as usize {
            for bx in 0..(w / 8) as usize {
                let mut sum = 0f32;
                for y in 0..8 {
                    for x in 0..8 {
                        let p = img.get_pixel((bx * 8 + x) as u32, (by * 8 + y) as u32).0;
                        sum += 0.299 * f32::from(p[0])
                            + 0.587 * f32::from(p[1])
                            + 0.114 * f32::from(p[2]);
                    }
                }
                let diff = (sum / 64.0 - b.luma.dc[by * b.luma.width + bx]).abs();
                worst = worst.max(diff);
            }
        }
        // Rounding in the decoder's IDCT and colour conversion: a couple of levels at most.
        assert!(worst < 3.0, "{name}: block mean differs by {worst} levels");
    }
}

#[test]
fn arithmetic_coding_is_an_error_naming_it_not_a_panic() {
    let data = read(&fixtures().join("jpeg-variants/arithmetic.jpg"));
    assert_eq!(
        jpeg::read_blocks(&data, &JpegOptions::default()).err(),
        Some(JpegError::Unsupported("arithmetic coding"))
    );
    match decode::decode(&data, FileKind::Jpeg, &DecodeOptions::default()) {
        Ok(d) => assert_eq!(d.source, BlockSource::Pixels, "fell back to a full decoder"),
        Err(e) => assert!(
            matches!(
                e,
                PhotoErrorKind::Unsupported(_) | PhotoErrorKind::Corrupt(_)
            ),
            "{e:?}"
        ),
    }
}

#[test]
fn truncated_files_are_errors() {
    for name in ["baseline.jpg", "progressive.jpg", "restart.jpg"] {
        let data = read(&fixtures().join("jpeg-variants").join(name));
        for cut in [10, 200, data.len() / 3, data.len() / 2, data.len() - 10] {
            let err = decode::decode(&data[..cut], FileKind::Jpeg, &DecodeOptions::default())
                .err()
                .unwrap_or_else(|| panic!("{name} cut at {cut} decoded"));
            assert!(
                matches!(err, PhotoErrorKind::Corrupt(_)),
                "{name} cut at {cut}: {err:?}"
            );
            assert!(
                err.to_string().contains("truncated") || err.to_string().contains("corrupt"),
                "{name} cut at {cut}: {err}"
            );
        }
    }
}

/// A small deterministic generator, so the corruption test is repeatable.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    let mut rng = Lcg(7);
    for name in [
        "baseline.jpg",
        "progressive.jpg",
        "progressive-restart-422.jpg",
        "grayscale.jpg",
    ] {
        let data = read(&fixtures().join("jpeg-variants").join(name));
        for round in 0..150 {
            let mut bad = data.clone();
            let flips = 1 + (rng.next() % 8) as usize;
            for _ in 0..flips {
                // Header bytes half the time (tables, frame), entropy data otherwise.
                let span = if round % 2 == 0 {
                    700.min(bad.len())
                } else {
                    bad.len()
                };
                let i = (rng.next() as usize) % span;
                bad[i] = (rng.next() & 0xFF) as u8;
            }
            // Whatever the outcome, it must be a value, not a panic or a hang.
            let _ = jpeg::read_blocks(&bad, &JpegOptions::default());
            let _ = decode::decode(&bad, FileKind::Jpeg, &DecodeOptions::default());
        }
    }
}

#[test]
fn huge_dimensions_are_refused_before_allocating() {
    // A JPEG frame header claiming 65000 x 65000 pixels, and a PNG claiming 100000 x 100000.
    let mut jpeg = vec![0xFF, 0xD8];
    jpeg.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8, 0xFD, 0xE8, 0xFD, 0xE8, 1, 1, 0x11, 0]);
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    let err =
        decode::decode(&jpeg, FileKind::Jpeg, &DecodeOptions::default()).expect_err("too large");
    assert!(matches!(err, PhotoErrorKind::TooLarge(_)), "{err:?}");
    assert!(err.to_string().contains("65000 x 65000"), "{err}");

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    let err =
        decode::decode(&png, FileKind::Png, &DecodeOptions::default()).expect_err("too large");
    assert!(matches!(err, PhotoErrorKind::TooLarge(_)), "{err:?}");
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn malformed_exif_is_a_warning_and_the_photo_is_still_read() {
    // Replace the APP1 Exif payload of a real camera JPEG with garbage after a valid header.
    let data = read(&fixtures().join("singles/facerec_obama.jpg"));
    let at = data
        .windows(6)
        .position(|w| w == b"Exif\0\0")
        .expect("has EXIF");
    let mut bad = data.clone();
    for b in &mut bad[at + 6 + 8..at + 6 + 200] {
        *b = 0xEE;
    }
    let d = decode::decode(&bad, FileKind::Jpeg, &DecodeOptions::default())
        .expect("pixels still readable");
    assert!(d.exif.problem.is_some(), "the damage is reported");
    let good = decode::decode(&data, FileKind::Jpeg, &DecodeOptions::default()).expect("decodes");
    assert!(good.exif.problem.is_none());
    assert_eq!(
        good.exif.info.camera().as_deref(),
        Some("Canon EOS 5D Mark III")
    );
}

#[test]
fn raw_files_are_read_through_their_embedded_preview() {
    let data = read(&fixtures().join("raw/i247-1.nef"));
    let d =
        decode::decode(&data, FileKind::Raw, &DecodeOptions::default()).expect("preview decodes");
    assert_eq!(d.source, BlockSource::RawPreview);
    assert!(
        d.width >= 160 && d.height >= 100,
        "{}x{}",
        d.width,
        d.height
    );
    assert_eq!(d.exif.info.model.as_deref(), Some("NIKON D70s"));
}

#[test]
fn a_format_variant_no_decoder_reads_is_named_in_plain_words() {
    // A real palette (indexed-colour) GeoTIFF from ExifTool's test images.
    let Some(path) = bestpick_testkit::shared("images/exiftool_GeoTiff.tif") else {
        return;
    };
    let err = decode::decode(&read(&path), FileKind::Tiff, &DecodeOptions::default())
        .expect_err("a palette TIFF is not read");
    let PhotoErrorKind::Unsupported(words) = &err else {
        panic!("not an unsupported-format error: {err:?}");
    };
    assert!(
        words.starts_with("a TIFF variant that cannot be read here (")
            && words.contains("RGBPalette")
            && words.ends_with("; save it as JPEG, PNG or an RGB TIFF to analyze it"),
        "{words}"
    );
}
