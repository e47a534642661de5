//! Large previews for the loupe and compare views, as JPEG bytes a web view can show.
//!
//! - JPEG files are served as they are: the web view decodes them itself and applies their
//!   EXIF orientation (`image-orientation: from-image` is the CSS default), so nothing is
//!   decoded here and 100% zoom shows the real pixels.
//! - RAW files: their largest embedded JPEG preview (never demosaiced). The preview rarely
//!   carries the orientation of the RAW container, so when the photo is not upright it is
//!   decoded, turned and re-encoded.
//! - Other formats (PNG, TIFF, WebP, …): decoded with limits, turned upright, re-encoded.

use std::path::Path;

use bestpick_core::decode::DecodeOptions;
use bestpick_core::thumbnail::apply_orientation;
use bestpick_core::{FileKind, PhotoError, PhotoErrorKind};

use crate::PhotoEntry;
use crate::error::{Error, Result};

/// Where preview bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewSource {
    /// The photo file itself (a JPEG).
    File,
    /// The RAW file's embedded JPEG, as stored.
    RawEmbedded,
    /// Decoded, turned upright and re-encoded.
    Reencoded,
}

/// A preview: JPEG bytes.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The JPEG.
    pub bytes: Vec<u8>,
    /// How it was made.
    pub source: PreviewSource,
}

/// JPEG quality of re-encoded previews.
const QUALITY: u8 = 92;

/// The preview of an opened photo, turned as its analysis found it, read and decoded within
/// core's limits.
pub fn photo_preview(entry: &PhotoEntry) -> Result<Preview> {
    let orientation = entry.analysis.as_ref().map_or(1, |a| a.exif.orientation);
    preview(
        &entry.file.path,
        entry.file.kind,
        orientation,
        &DecodeOptions::default(),
    )
}

/// The preview of the photo at `path` of kind `kind`, whose EXIF orientation (as analyzed) is
/// `orientation`.
pub fn preview(
    path: &Path,
    kind: FileKind,
    orientation: u16,
    opts: &DecodeOptions,
) -> Result<Preview> {
    let fail = |kind: PhotoErrorKind| Error::Core(PhotoError::new(path, kind).into());
    // Read with the analysis' cap, never from a FIFO or a device.
    let mut data = Vec::new();
    bestpick_core::guard::read_file(path, opts.max_file_bytes, &mut data).map_err(fail)?;
    match kind {
        FileKind::Jpeg => Ok(Preview {
            bytes: data,
            source: PreviewSource::File,
        }),
        FileKind::Raw => {
            let best = bestpick_core::raw::previews(&data)
                .into_iter()
                .next()
                .ok_or_else(|| {
                    fail(PhotoErrorKind::NoPreview("no embedded JPEG preview".into()))
                })?;
            let stream = &data[best.offset..];
            if orientation <= 1 {
                return Ok(Preview {
                    bytes: jpeg_stream(stream).to_vec(),
                    source: PreviewSource::RawEmbedded,
                });
            }
            reencode(stream, FileKind::Jpeg, orientation, opts).map_err(fail)
        }
        _ => reencode(&data, kind, orientation, opts).map_err(fail),
    }
}

/// The bytes of the JPEG stream starting at `data[0]`, up to and including its end marker
/// (the whole slice when the end cannot be found).
fn jpeg_stream(data: &[u8]) -> &[u8] {
    let mut pos = 2;
    while pos + 4 <= data.len() {
        if data[pos] != 0xFF {
            return data;
        }
        let marker = data[pos + 1];
        match marker {
            0xFF => pos += 1,
            0xD8 | 0x01 | 0xD0..=0xD7 => pos += 2,
            0xD9 => return &data[..pos + 2],
            0xDA => {
                // Entropy-coded data follows the scan header: skip to the next marker that is
                // neither a stuffed zero nor a restart marker.
                let len = usize::from(u16::from_be_bytes([data[pos + 2], data[pos + 3]]));
                let mut i = pos + 2 + len;
                while i + 1 < data.len() {
                    if data[i] == 0xFF && data[i + 1] != 0 && !(0xD0..=0xD7).contains(&data[i + 1])
                    {
                        break;
                    }
                    i += 1;
                }
                pos = i;
            }
            _ => {
                let len = usize::from(u16::from_be_bytes([data[pos + 2], data[pos + 3]]));
                pos += 2 + len;
            }
        }
    }
    data
}

fn reencode(
    data: &[u8],
    kind: FileKind,
    orientation: u16,
    opts: &DecodeOptions,
) -> std::result::Result<Preview, PhotoErrorKind> {
    // Core's guarded decode: the memory budget, the pixel limit and a panic as an error.
    let decoded = bestpick_core::decode::rgb_pixels(data, kind, opts)?;
    let upright = apply_orientation(decoded, orientation);
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, QUALITY)
        .encode_image(&upright)
        .map_err(|e| PhotoErrorKind::Corrupt(e.to_string()))?;
    Ok(Preview {
        bytes,
        source: PreviewSource::Reencoded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, _| {
            image::Rgb([if x < w / 2 { 250 } else { 10 }, 60, 90])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&img)
            .expect("encode");
        out
    }

    fn size_of(bytes: &[u8]) -> (u32, u32) {
        let img = image::load_from_memory(bytes).expect("decodable preview");
        (img.width(), img.height())
    }

    #[test]
    fn previews_by_kind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let jpg = dir.path().join("a.jpg");
        std::fs::write(&jpg, jpeg(64, 32)).expect("write");
        let png = dir.path().join("b.png");
        image::RgbImage::from_pixel(40, 20, image::Rgb([1, 2, 3]))
            .save(&png)
            .expect("png");
        let raw = dir.path().join("c.nef");
        let mut raw_bytes = b"II*\0 fake raw container ".to_vec();
        raw_bytes.extend_from_slice(&jpeg(400, 200));
        raw_bytes.extend_from_slice(&[0x42; 500]);
        std::fs::write(&raw, &raw_bytes).expect("write raw");
        let opts = DecodeOptions::default();
        let cases = [
            (
                "jpeg as is",
                &jpg,
                FileKind::Jpeg,
                6,
                PreviewSource::File,
                (64, 32),
            ),
            (
                "png upright",
                &png,
                FileKind::Png,
                1,
                PreviewSource::Reencoded,
                (40, 20),
            ),
            (
                "png turned",
                &png,
                FileKind::Png,
                6,
                PreviewSource::Reencoded,
                (20, 40),
            ),
            (
                "raw embedded",
                &raw,
                FileKind::Raw,
                1,
                PreviewSource::RawEmbedded,
                (400, 200),
            ),
            (
                "raw turned",
                &raw,
                FileKind::Raw,
                8,
                PreviewSource::Reencoded,
                (200, 400),
            ),
        ];
        for (name, path, kind, orientation, source, size) in cases {
            let p = preview(path, kind, orientation, &opts).expect(name);
            assert_eq!(p.source, source, "{name}: source");
            assert_eq!(size_of(&p.bytes), size, "{name}: size");
        }
        let p = preview(&raw, FileKind::Raw, 1, &opts).expect("raw");
        assert_eq!(
            p.bytes.len(),
            jpeg(400, 200).len(),
            "raw preview cut at its end marker"
        );
    }

    #[test]
    fn broken_files_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bad = dir.path().join("bad.png");
        std::fs::write(&bad, b"\x89PNG\r\n\x1a\n truncated").expect("write");
        let opts = DecodeOptions::default();
        assert!(
            preview(&bad, FileKind::Png, 1, &opts).is_err(),
            "truncated png"
        );
        assert!(
            preview(&dir.path().join("missing.jpg"), FileKind::Jpeg, 1, &opts).is_err(),
            "missing file"
        );
        let raw = dir.path().join("empty.cr2");
        std::fs::write(&raw, b"II*\0 nothing inside").expect("write");
        assert!(
            preview(&raw, FileKind::Raw, 1, &opts).is_err(),
            "raw without preview"
        );
    }

    #[test]
    fn previews_are_bounded_like_the_analysis() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A FIFO named as a photo: refused at once, never waited on.
        let fifo = dir.path().join("pipe.png");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        let opts = DecodeOptions::default();
        let err = preview(&fifo, FileKind::Png, 1, &opts).expect_err("fifo");
        assert!(err.to_string().contains("not a regular file"), "{err}");
        // A re-encoded preview takes its memory from the decoding budget.
        let png = dir.path().join("big.png");
        image::RgbImage::from_pixel(2000, 1500, image::Rgb([9, 90, 200]))
            .save(&png)
            .expect("save");
        let tight = DecodeOptions {
            max_alloc: 1 << 20,
            ..DecodeOptions::default()
        };
        let err = preview(&png, FileKind::Png, 6, &tight).expect_err("over budget");
        assert!(err.to_string().contains("budget"), "{err}");
        let ok = preview(&png, FileKind::Png, 6, &opts).expect("within budget");
        assert_eq!(ok.source, PreviewSource::Reencoded);
        // And a file over the size cap is not read.
        let small_cap = DecodeOptions {
            max_file_bytes: 100,
            ..DecodeOptions::default()
        };
        let err = preview(&png, FileKind::Png, 1, &small_cap).expect_err("too big");
        assert!(err.to_string().contains("larger than"), "{err}");
    }
}
