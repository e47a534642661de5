//! Anonymize a photo the way mat2 does: decode, apply orientation, re-encode a fresh JPEG, so
//! nothing of the original container survives (EXIF with GPS, maker notes and thumbnails,
//! XMP and extended XMP, IPTC/Photoshop IRB, ICC, comments, MPF and extra images, data after
//! EOI, PNG text/eXIf/tIME chunks). Then verify the output with the bundle's independent
//! parser and fail closed.
//!
//! RAW, HEIC/HEIF/AVIF and sidecar files are refused, never sent as they are.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::{Error, RefuseReason, Result};

/// Limits against decompression bombs and the encoder's quality.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest accepted width × height.
    pub max_pixels: u64,
    /// Largest decoder allocation, bytes.
    pub max_alloc: u64,
    /// Largest accepted input file, bytes.
    pub max_file_bytes: u64,
    /// JPEG quality of the re-encoded image (1–100).
    pub jpeg_quality: u8,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_pixels: 100_000_000,
            max_alloc: 1024 * 1024 * 1024,
            max_file_bytes: 512 * 1024 * 1024,
            jpeg_quality: 92,
        }
    }
}

/// A freshly encoded image, checked by the metadata verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anonymized {
    /// The JPEG bytes that will be sent.
    pub jpeg: Vec<u8>,
    /// Width after orientation.
    pub width: u32,
    /// Height after orientation.
    pub height: u32,
}

const RAW_EXTENSIONS: &[&str] = &[
    "3fr", "ari", "arw", "bay", "cr2", "cr3", "crw", "dcr", "dng", "erf", "fff", "iiq", "k25",
    "kdc", "mef", "mos", "mrw", "nef", "nrw", "orf", "pef", "raf", "raw", "rw2", "rwl", "sr2",
    "srf", "srw", "x3f",
];
const HEIF_EXTENSIONS: &[&str] = &["heic", "heif", "hif", "avif", "avci", "heics", "heifs"];
const SIDECAR_EXTENSIONS: &[&str] = &[
    "xmp", "xml", "json", "aae", "pp3", "dop", "on1", "cos", "thm", "txt", "csv", "exv", "mie",
];
const HEIF_BRANDS: &[&[u8; 4]] = &[
    b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1",
    b"avif", b"avis", b"mif2", b"miaf",
];

/// Refuses RAW, HEIF and sidecar files by extension, then by content.
pub fn check_kind(path: &Path, head: &[u8]) -> std::result::Result<(), RefuseReason> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if RAW_EXTENSIONS.contains(&ext.as_str()) {
        return Err(RefuseReason::Raw);
    }
    if HEIF_EXTENSIONS.contains(&ext.as_str()) {
        return Err(RefuseReason::Heif);
    }
    if SIDECAR_EXTENSIONS.contains(&ext.as_str()) {
        return Err(RefuseReason::Sidecar);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let brand: &[u8] = &head[8..12];
        if HEIF_BRANDS.iter().any(|b| b.as_slice() == brand) {
            return Err(RefuseReason::Heif);
        }
    }
    if head.starts_with(b"<?xpacket") || head.starts_with(b"<x:xmpmeta") || head.starts_with(b"{") {
        return Err(RefuseReason::Sidecar);
    }
    Ok(())
}

/// Reads `path` and anonymizes it.
pub fn anonymize_file(path: &Path, limits: &Limits) -> Result<Anonymized> {
    let refused = |reason| Error::Refused {
        path: path.to_owned(),
        reason,
    };
    // Only a regular file is opened (a FIFO would block), and never read past the limit.
    let size = std::fs::metadata(path).map_err(Error::io(path))?.len();
    if size > limits.max_file_bytes {
        return Err(refused(RefuseReason::Decode(format!(
            "file is {size} bytes (at most {})",
            limits.max_file_bytes
        ))));
    }
    let bytes = crate::fsutil::read_capped(path, limits.max_file_bytes).map_err(Error::io(path))?;
    check_kind(path, &bytes).map_err(refused)?;
    anonymize_bytes(&bytes, limits).map_err(refused)
}

/// Anonymizes an encoded image held in memory (the kind check by extension is the caller's).
pub fn anonymize_bytes(
    bytes: &[u8],
    limits: &Limits,
) -> std::result::Result<Anonymized, RefuseReason> {
    check_kind(Path::new(""), bytes)?;
    let orientation = exif_orientation(bytes);
    // Decoders see untrusted input: a panic must stay this photo's error.
    let decoded = catch_unwind(AssertUnwindSafe(|| decode(bytes, limits)))
        .map_err(|_| RefuseReason::Decode("decoder panicked".into()))??;
    let mut img = decoded;
    img.apply_orientation(orientation);
    let (width, height) = (img.width(), img.height());

    let mut jpeg = Vec::new();
    let encoder = JpegEncoder::new_with_quality(&mut jpeg, limits.jpeg_quality.clamp(1, 100));
    let encoded = if img.color().has_color() {
        encoder.write_image_rgb(&img.to_rgb8())
    } else {
        encoder.write_image_luma(&img.to_luma8())
    };
    encoded.map_err(|e| RefuseReason::Decode(format!("re-encoding failed: {e}")))?;

    // Fail closed: the fresh image must pass the same check the collector runs.
    match bestpick_bundle::verify_image(&jpeg) {
        Ok(bestpick_bundle::ImageFormat::Jpeg) => Ok(Anonymized {
            jpeg,
            width,
            height,
        }),
        Ok(other) => Err(RefuseReason::MetadataSurvived(format!(
            "unexpected format {other:?}"
        ))),
        Err(rejection) => Err(RefuseReason::MetadataSurvived(rejection.to_string())),
    }
}

trait WriteImage {
    fn write_image_rgb(self, img: &image::RgbImage) -> image::ImageResult<()>;
    fn write_image_luma(self, img: &image::GrayImage) -> image::ImageResult<()>;
}

impl<W: std::io::Write> WriteImage for JpegEncoder<W> {
    fn write_image_rgb(mut self, img: &image::RgbImage) -> image::ImageResult<()> {
        self.encode_image(img)
    }
    fn write_image_luma(mut self, img: &image::GrayImage) -> image::ImageResult<()> {
        self.encode_image(img)
    }
}

fn decode(bytes: &[u8], limits: &Limits) -> std::result::Result<DynamicImage, RefuseReason> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| RefuseReason::Decode(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::Tiff | ImageFormat::WebP) => {}
        _ => return Err(RefuseReason::Unsupported),
    }
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_alloc);
    // The JPEG encoder writes 16-bit dimensions.
    image_limits.max_image_width = Some(65_535);
    image_limits.max_image_height = Some(65_535);
    reader.limits(image_limits);
    let decoder = reader.into_decoder().map_err(|e| decode_error(&e))?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(RefuseReason::TooLarge {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    DynamicImage::from_decoder(decoder).map_err(|e| decode_error(&e))
}

fn decode_error(e: &image::ImageError) -> RefuseReason {
    match e {
        image::ImageError::Unsupported(_) => RefuseReason::Unsupported,
        image::ImageError::Limits(_) => RefuseReason::Decode(format!("over decoder limits: {e}")),
        _ => RefuseReason::Decode(e.to_string()),
    }
}

/// EXIF orientation read with kamadak-exif; upright when absent or unreadable.
fn exif_orientation(bytes: &[u8]) -> Orientation {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) else {
        return Orientation::NoTransforms;
    };
    exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u8::try_from(v).ok())
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg_with_exif(width: u32, height: u32, orientation: u16) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, _| {
            if x < width / 2 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let mut plain = Vec::new();
        JpegEncoder::new_with_quality(&mut plain, 95)
            .encode_image(&img)
            .unwrap();
        // A little-endian TIFF with one IFD0 entry: Orientation.
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        tiff.extend_from_slice(&1u16.to_le_bytes());
        tiff.extend_from_slice(&0x0112u16.to_le_bytes());
        tiff.extend_from_slice(&3u16.to_le_bytes());
        tiff.extend_from_slice(&1u32.to_le_bytes());
        tiff.extend_from_slice(&orientation.to_le_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(&tiff);
        let mut seg = vec![0xFF, 0xE1];
        seg.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        seg.extend_from_slice(&payload);
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&seg);
        out.extend_from_slice(&plain[2..]);
        out.extend_from_slice(b"trailing GPS junk");
        out
    }

    #[test]
    fn exif_is_dropped_and_orientation_applied() {
        let input = jpeg_with_exif(40, 20, 6);
        assert!(
            bestpick_bundle::verify_image(&input).is_err(),
            "input carries metadata"
        );
        let out = anonymize_bytes(&input, &Limits::default()).unwrap();
        assert_eq!(
            (out.width, out.height),
            (20, 40),
            "rotated 90° by orientation 6"
        );
        assert_eq!(
            bestpick_bundle::verify_image(&out.jpeg),
            Ok(bestpick_bundle::ImageFormat::Jpeg),
            "output passes the verifier"
        );
        assert!(!out.jpeg.windows(4).any(|w| w == b"Exif"), "no EXIF left");
        assert!(!out.jpeg.windows(3).any(|w| w == b"GPS"), "no trailer left");
        // Orientation 6: the left (red) half ends up on top.
        let img = image::load_from_memory(&out.jpeg).unwrap().to_rgb8();
        let top = img.get_pixel(10, 5);
        assert!(
            top[0] > 200 && top[2] < 60,
            "top is red after rotation: {top:?}"
        );
    }

    #[test]
    fn png_with_text_is_reencoded() {
        let img = image::RgbaImage::from_pixel(8, 8, image::Rgba([10, 200, 30, 128]));
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(img.as_raw(), 8, 8, image::ExtendedColorType::Rgba8)
            .unwrap();
        // Insert a tEXt chunk after IHDR (8 signature + 25 IHDR bytes).
        let mut chunk = 9u32.to_be_bytes().to_vec();
        let body = b"tEXtAuthor\0me";
        chunk.extend_from_slice(body);
        chunk.extend_from_slice(&crc32(body).to_be_bytes());
        png.splice(33..33, chunk);
        assert!(
            bestpick_bundle::verify_image(&png).is_err(),
            "input has text"
        );
        let out = anonymize_bytes(&png, &Limits::default()).unwrap();
        assert_eq!((out.width, out.height), (8, 8), "size kept");
        assert!(
            bestpick_bundle::verify_image(&out.jpeg).is_ok(),
            "clean output"
        );
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    use image::ImageEncoder as _;

    #[test]
    fn refusals_name_their_reason() {
        let cases: Vec<(&str, Vec<u8>, RefuseReason)> = vec![
            ("photo.CR2", b"II*\0".to_vec(), RefuseReason::Raw),
            ("photo.dng", b"II*\0".to_vec(), RefuseReason::Raw),
            ("photo.nef", vec![], RefuseReason::Raw),
            ("photo.heic", vec![], RefuseReason::Heif),
            (
                "photo.jpg",
                b"\0\0\0\x18ftypheic\0\0\0\0".to_vec(),
                RefuseReason::Heif,
            ),
            ("photo.avif", vec![], RefuseReason::Heif),
            ("photo.xmp", vec![], RefuseReason::Sidecar),
            ("photo.json", vec![], RefuseReason::Sidecar),
            (
                "sidecar",
                b"<?xpacket begin".to_vec(),
                RefuseReason::Sidecar,
            ),
        ];
        for (name, head, want) in cases {
            assert_eq!(check_kind(Path::new(name), &head), Err(want), "case {name}");
        }
        assert_eq!(
            check_kind(Path::new("a.jpg"), b"\xFF\xD8\xFF"),
            Ok(()),
            "jpeg ok"
        );

        let small = Limits {
            max_pixels: 100,
            ..Limits::default()
        };
        let big = jpeg_with_exif(20, 20, 1);
        assert!(
            matches!(
                anonymize_bytes(&big, &small),
                Err(RefuseReason::TooLarge { .. })
            ),
            "pixel limit"
        );
        assert!(
            anonymize_bytes(b"GIF89a....", &Limits::default()).is_err(),
            "gif is not accepted"
        );
        // Truncated input: an error, or (decoders pad missing data) a clean fresh image;
        // never a panic and never the original bytes.
        for cut in [3, 20, big.len() / 3, big.len() - 30] {
            if let Ok(out) = anonymize_bytes(&big[..cut], &Limits::default()) {
                assert!(
                    bestpick_bundle::verify_image(&out.jpeg).is_ok(),
                    "cut {cut} clean"
                );
            }
        }
        assert!(anonymize_bytes(b"", &Limits::default()).is_err(), "empty");
    }
}
