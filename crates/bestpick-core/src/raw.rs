//! Camera RAW files are read through the JPEG preview the camera embedded in them, never
//! demosaiced: the preview is what the camera rendered, it is fast to read, and for judging
//! focus and exposure it is what a culler needs.
//!
//! Every common RAW container (TIFF-based CR2/NEF/ARW/DNG/ORF/RW2/PEF, Fujifilm RAF, ISO-BMFF
//! CR3) stores its previews as ordinary baseline JPEG streams, so instead of one parser per
//! format this module looks for JPEG streams in the file, validates each frame header, and keeps
//! the largest one that is a normal (not lossless) JPEG.

use std::collections::HashMap;

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

/// Largest number of previews whose decode is tried, largest first. Cameras embed two or three
/// JPEGs (a thumbnail, a medium and a full-size preview); a file with thousands of JPEG-like
/// headers is not a camera's, and each failed try may read to the end of the file.
pub const MAX_TRIES: usize = 4;

/// The embedded JPEG previews, largest first.
///
/// Linear in the file's size whatever its content. Every `FF D8 FF` is a candidate, and the
/// walk over the marker segments after one is bounded ([`MAX_HOPS`] segments, strict syntax).
/// The walk depends only on where it stands, so walks that meet share their outcome (`memo`)
/// instead of walking the same segments again. Without both, a file of repeated start-of-image
/// markers, or of segments nested in each other's payloads, costs the square of its size.
pub fn previews(data: &[u8]) -> Vec<Preview> {
    let mut found = Vec::new();
    let mut memo: HashMap<usize, Outcome> = HashMap::new();
    let mut path = Vec::new();
    let mut i = 0;
    while i + 3 < data.len() {
        match data[i..].iter().position(|&b| b == 0xFF) {
            Some(off) => i += off,
            None => break,
        }
        if i + 3 < data.len()
            && data[i + 1] == 0xD8
            && data[i + 2] == 0xFF
            && let Outcome::Frame(f) = walk(data, i + 2, &mut memo, &mut path)
            && f.dct
            && f.width > 0
            && f.height > 0
            && (f.components == 1 || f.components == 3)
        {
            found.push(Preview {
                offset: i,
                width: f.width,
                height: f.height,
            });
        }
        i += 1;
    }
    found.sort_by_key(|p| std::cmp::Reverse(u64::from(p.width) * u64::from(p.height)));
    found
}

/// The frame header a marker walk ends at.
#[derive(Debug, Clone, Copy)]
struct FrameFacts {
    width: u32,
    height: u32,
    components: u8,
    /// A DCT frame (SOF0/1/2), not lossless (SOF3, used for raw sensor data in CR2 and DNG),
    /// hierarchical or arithmetic.
    dct: bool,
}

/// Where a walk over marker segments ends.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    /// At a frame header.
    Frame(FrameFacts),
    /// Anywhere else: the end of the data, a marker that cannot come before a frame header,
    /// or bytes that are not a marker.
    Nothing,
}

/// Fill bytes (`FF`) accepted before a marker; encoders write none or a few.
const MAX_FILL: usize = 16;
/// Segments walked before a frame header at most: a camera's preview has a handful (EXIF,
/// MPF, ICC, tables) before its frame header.
pub const MAX_HOPS: usize = 32;
/// Walk outcomes remembered at most (forgotten all at once beyond it), so hostile files
/// cannot make the memo large.
const MAX_MEMO: usize = 1 << 16;

/// Walks the marker segments from `pos` (just after a start-of-image marker) to the frame
/// header. Stricter than a decoder: no garbage between segments, no second start of image and
/// at most [`MAX_HOPS`] segments, since a preview that needs more is not a camera's. The
/// positions passed through are remembered with the outcome.
fn walk(
    data: &[u8],
    mut pos: usize,
    memo: &mut HashMap<usize, Outcome>,
    path: &mut Vec<usize>,
) -> Outcome {
    path.clear();
    let outcome = loop {
        if let Some(&known) = memo.get(&pos) {
            break known;
        }
        if path.len() == MAX_HOPS {
            // Not remembered: from a later position of this walk the frame may be in reach.
            return Outcome::Nothing;
        }
        path.push(pos);
        if data.get(pos) != Some(&0xFF) {
            break Outcome::Nothing;
        }
        let mut m = pos + 1;
        while m < data.len() && data[m] == 0xFF && m - pos <= MAX_FILL {
            m += 1;
        }
        let Some(&marker) = data.get(m) else {
            break Outcome::Nothing;
        };
        match marker {
            // Standalone markers: TEM and restart markers carry no length.
            0x01 | 0xD0..=0xD7 => {
                pos = m + 1;
                continue;
            }
            // Stuffing, fill beyond the limit, a second start of image, end of image, start of
            // scan, or a table that belongs after the frame header's place: not a header.
            0x00 | 0xFF | 0xD8 | 0xD9 | 0xDA => break Outcome::Nothing,
            _ => {}
        }
        let Some(len) = data
            .get(m + 1..m + 3)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            break Outcome::Nothing;
        };
        if len < 2 || m + 1 + len > data.len() {
            break Outcome::Nothing;
        }
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let seg = &data[m + 3..m + 1 + len];
            if seg.len() < 6 {
                break Outcome::Nothing;
            }
            break Outcome::Frame(FrameFacts {
                height: u32::from(u16::from_be_bytes([seg[1], seg[2]])),
                width: u32::from(u16::from_be_bytes([seg[3], seg[4]])),
                components: seg[5],
                dct: matches!(marker, 0xC0..=0xC2),
            });
        }
        pos = m + 1 + len;
    };
    if memo.len() + path.len() > MAX_MEMO {
        memo.clear();
    }
    for &p in path.iter() {
        memo.insert(p, outcome);
    }
    outcome
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
