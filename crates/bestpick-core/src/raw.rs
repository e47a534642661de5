//! Camera RAW files are read through the JPEG preview the camera embedded in them, never
//! demosaiced: the preview is what the camera rendered, it is fast to read, and for judging
//! focus and exposure it is what a culler needs.
//!
//! Every common RAW container (TIFF-based CR2/NEF/ARW/DNG/ORF/RW2/PEF, Fujifilm RAF, ISO-BMFF
//! CR3) stores its previews as ordinary baseline JPEG streams, so instead of one parser per
//! format this module looks for JPEG streams in the file, validates each frame header, and keeps
//! the largest one that is a normal (not lossless) JPEG.

use crate::decode::jpeg;

/// A JPEG stream found inside a RAW file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preview {
    /// Offset of the preview's start-of-image marker.
    pub offset: usize,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Smallest preview worth analyzing; cameras also embed 160×120 thumbnails.
pub const MIN_PREVIEW_SIDE: u32 = 320;

/// The embedded JPEG previews, largest first.
pub fn previews(data: &[u8]) -> Vec<Preview> {
    let mut found = Vec::new();
    let mut i = 0;
    while i + 3 < data.len() {
        // memchr-style skip to the next 0xFF.
        match data[i..].iter().position(|&b| b == 0xFF) {
            Some(off) => i += off,
            None => break,
        }
        if i + 3 < data.len()
            && data[i + 1] == 0xD8
            && data[i + 2] == 0xFF
            && let Ok(h) = jpeg::read_header(&data[i..])
            && h.width > 0
            && h.height > 0
            && (h.components == 1 || h.components == 3)
            && is_dct_frame(&data[i..])
        {
            found.push(Preview {
                offset: i,
                width: h.width,
                height: h.height,
            });
        }
        i += 1;
    }
    found.sort_by_key(|p| std::cmp::Reverse(u64::from(p.width) * u64::from(p.height)));
    found
}

/// True when the first frame header is a DCT one (SOF0/1/2), not lossless (SOF3, used for raw
/// sensor data in CR2 and DNG).
fn is_dct_frame(data: &[u8]) -> bool {
    let mut pos = 2;
    while pos + 4 <= data.len() {
        if data[pos] != 0xFF {
            return false;
        }
        let marker = data[pos + 1];
        if marker == 0xFF {
            pos += 1;
            continue;
        }
        match marker {
            0xC0..=0xC2 => return true,
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF | 0xDA | 0xD9 => return false,
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([data[pos + 2], data[pos + 3]]));
        if len < 2 {
            return false;
        }
        pos += 2 + len;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_jpeg(w: u32, h: u32) -> Vec<u8> {
        let img =
            image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 90]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
            .encode_image(&img)
            .expect("encode");
        out
    }

    #[test]
    fn finds_the_largest_embedded_jpeg() {
        let mut raw = b"II*\0fake raw header with some bytes \xFF\xD8 not a jpeg".to_vec();
        let small = tiny_jpeg(160, 120);
        let big = tiny_jpeg(640, 480);
        raw.extend_from_slice(&small);
        raw.extend_from_slice(&[0x12; 1000]);
        let big_at = raw.len();
        raw.extend_from_slice(&big);
        raw.extend_from_slice(&[
            0xFF, 0xD8, 0xFF, 0xC3, 0, 11, 8, 0, 16, 0, 16, 1, 1, 0x11, 0,
        ]);
        let found = previews(&raw);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            found[0],
            Preview {
                offset: big_at,
                width: 640,
                height: 480
            }
        );
        assert_eq!((found[1].width, found[1].height), (160, 120));
    }
}
