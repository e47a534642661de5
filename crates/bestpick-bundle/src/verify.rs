//! The metadata verifier: an independent, strict walk over an encoded image.
//!
//! It does not decode pixels. It walks JPEG segments or PNG chunks and accepts only what a
//! freshly encoded image needs:
//! - JPEG: SOI, DQT, DHT, SOF0/1/2, DRI, SOS + entropy-coded data with RSTn, EOI, and at most
//!   one minimal JFIF APP0 without a thumbnail, before the frame. Nothing after EOI.
//! - PNG: IHDR, PLTE, IDAT, IEND (with valid CRCs). Nothing after IEND.
//!
//! Anything else is a [`Rejection`] naming what was found, e.g. "APP1 (EXIF) present".

use std::fmt;

/// The container an accepted image uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// Baseline/extended/progressive JPEG.
    Jpeg,
    /// PNG.
    Png,
}

/// Why an image was rejected, in words a contributor can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    reason: String,
}

impl Rejection {
    fn new(reason: impl Into<String>) -> Rejection {
        Rejection {
            reason: reason.into(),
        }
    }

    /// The reason, e.g. "APP1 (EXIF) present".
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Rejection {}

/// Checks that `bytes` is a JPEG or PNG that carries nothing but image structure.
pub fn verify_image(bytes: &[u8]) -> Result<ImageFormat, Rejection> {
    if bytes.starts_with(&[0xFF, 0xD8]) {
        verify_jpeg(bytes).map(|()| ImageFormat::Jpeg)
    } else if bytes.starts_with(PNG_SIGNATURE) {
        verify_png(bytes).map(|()| ImageFormat::Png)
    } else {
        Err(Rejection::new("not a JPEG or PNG stream"))
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([
        *bytes.get(at)?,
        *bytes.get(at + 1)?,
    ])))
}

/// Describes a JPEG APPn/COM segment by its marker and payload signature.
fn describe_jpeg_segment(marker: u8, payload: &[u8]) -> String {
    let starts = |sig: &[u8]| payload.starts_with(sig);
    match marker {
        0xE0 if starts(b"JFXX\0") => "APP0 (JFIF extension / thumbnail) present".into(),
        0xE0 if starts(b"JFIF\0") => "APP0 (JFIF) with thumbnail or unexpected size".into(),
        0xE1 if starts(b"Exif\0") => "APP1 (EXIF) present".into(),
        0xE1 if starts(b"http://ns.adobe.com/xmp/extension/\0") => {
            "APP1 (extended XMP) present".into()
        }
        0xE1 if starts(b"http://ns.adobe.com/xap/1.0/\0") => "APP1 (XMP) present".into(),
        0xE2 if starts(b"ICC_PROFILE\0") => "APP2 (ICC profile) present".into(),
        0xE2 if starts(b"MPF\0") => "APP2 (MPF / extra images) present".into(),
        0xEC if starts(b"Ducky") => "APP12 (Ducky) present".into(),
        0xED => "APP13 (IPTC / Photoshop IRB) present".into(),
        0xEE if starts(b"Adobe") => "APP14 (Adobe) present".into(),
        0xFE => "COM (comment) present".into(),
        0xE0..=0xEF => format!("APP{} present", marker - 0xE0),
        _ => format!("marker 0xFF{marker:02X} present"),
    }
}

fn verify_jpeg(bytes: &[u8]) -> Result<(), Rejection> {
    let truncated = || Rejection::new("truncated JPEG");
    let mut pos = 2; // after SOI
    let mut seen_frame = false;
    let mut seen_scan = false;
    let mut seen_jfif = false;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        if *bytes.get(pos).ok_or_else(truncated)? != 0xFF {
            return Err(Rejection::new(format!(
                "garbage between segments at byte {pos}"
            )));
        }
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *bytes.get(pos).ok_or_else(truncated)?;
        pos += 1;
        match marker {
            0xD9 => {
                if !seen_scan {
                    return Err(Rejection::new("EOI before any scan"));
                }
                let rest = bytes.len() - pos;
                if rest > 0 {
                    return Err(Rejection::new(format!("data after EOI ({rest} bytes)")));
                }
                return Ok(());
            }
            0xD8 => return Err(Rejection::new("second SOI (embedded image)")),
            0xD0..=0xD7 => return Err(Rejection::new("RST marker outside a scan")),
            0x01 => return Err(Rejection::new("TEM marker present")),
            _ => {}
        }
        let len = be16(bytes, pos).ok_or_else(truncated)?;
        if len < 2 {
            return Err(Rejection::new("segment length below 2"));
        }
        let payload = bytes.get(pos + 2..pos + len).ok_or_else(truncated)?;
        pos += len;
        match marker {
            0xDB | 0xC4 | 0xDD => {}
            0xC0..=0xC2 => {
                if seen_frame {
                    return Err(Rejection::new("more than one frame header"));
                }
                seen_frame = true;
            }
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                return Err(Rejection::new(format!(
                    "unsupported frame type SOF{}",
                    marker - 0xC0
                )));
            }
            0xE0 if payload.starts_with(b"JFIF\0") && len == 16 => {
                // Minimal JFIF: version, units, densities, then a 0x0 thumbnail.
                if seen_jfif || seen_frame {
                    return Err(Rejection::new("APP0 (JFIF) repeated or after the frame"));
                }
                if payload[12] != 0 || payload[13] != 0 {
                    return Err(Rejection::new("APP0 (JFIF) carries a thumbnail"));
                }
                seen_jfif = true;
            }
            0xDA => {
                if !seen_frame {
                    return Err(Rejection::new("scan before frame header"));
                }
                seen_scan = true;
                pos = skip_entropy_data(bytes, pos).ok_or_else(truncated)?;
            }
            _ => return Err(Rejection::new(describe_jpeg_segment(marker, payload))),
        }
    }
}

/// Returns the position of the next marker's 0xFF after entropy-coded data starting at `pos`.
/// Stuffed bytes (0xFF00), fill bytes and RSTn markers belong to the scan.
fn skip_entropy_data(bytes: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let ff = pos + bytes.get(pos..)?.iter().position(|&b| b == 0xFF)?;
        let mut next = ff + 1;
        while bytes.get(next) == Some(&0xFF) {
            next += 1;
        }
        match *bytes.get(next)? {
            0x00 | 0xD0..=0xD7 => pos = next + 1,
            _ => return Some(next - 1),
        }
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn describe_png_chunk(kind: &[u8; 4]) -> String {
    let name = String::from_utf8_lossy(kind).into_owned();
    let what = match kind {
        b"tEXt" | b"zTXt" | b"iTXt" => " (text)",
        b"eXIf" => " (EXIF)",
        b"tIME" => " (modification time)",
        b"iCCP" => " (ICC profile)",
        b"caBX" => " (content credentials)",
        b"acTL" | b"fcTL" | b"fdAT" => " (animation / extra frames)",
        _ => "",
    };
    format!("PNG chunk {name}{what} present")
}

fn verify_png(bytes: &[u8]) -> Result<(), Rejection> {
    let truncated = || Rejection::new("truncated PNG");
    let mut pos = PNG_SIGNATURE.len();
    let mut first = true;
    let mut seen_idat = false;
    loop {
        let len = u32::from_be_bytes(
            bytes
                .get(pos..pos + 4)
                .ok_or_else(truncated)?
                .try_into()
                .map_err(|_| truncated())?,
        );
        let len = usize::try_from(len).map_err(|_| truncated())?;
        let kind: [u8; 4] = bytes
            .get(pos + 4..pos + 8)
            .ok_or_else(truncated)?
            .try_into()
            .map_err(|_| truncated())?;
        let data_end = pos.checked_add(8 + len).ok_or_else(truncated)?;
        let body = bytes.get(pos + 4..data_end).ok_or_else(truncated)?;
        let crc = bytes.get(data_end..data_end + 4).ok_or_else(truncated)?;
        if crc32fast::hash(body).to_be_bytes() != crc {
            return Err(Rejection::new(format!(
                "PNG chunk {} has a bad CRC",
                String::from_utf8_lossy(&kind)
            )));
        }
        pos = data_end + 4;
        if first && &kind != b"IHDR" {
            return Err(Rejection::new("PNG does not start with IHDR"));
        }
        match &kind {
            b"IHDR" if first => {}
            b"PLTE" if !seen_idat => {}
            b"IDAT" => seen_idat = true,
            b"IEND" => {
                if !seen_idat {
                    return Err(Rejection::new("PNG without image data"));
                }
                let rest = bytes.len() - pos;
                if rest > 0 {
                    return Err(Rejection::new(format!("data after IEND ({rest} bytes)")));
                }
                return Ok(());
            }
            _ => return Err(Rejection::new(describe_png_chunk(&kind))),
        }
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (case name, extra segments or chunks, trailing bytes, expected reason fragment)
    type Case = (&'static str, Vec<Vec<u8>>, &'static [u8], &'static str);

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let len = u16::try_from(payload.len() + 2).unwrap();
        let mut v = vec![0xFF, marker];
        v.extend_from_slice(&len.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    fn jfif(thumb: (u8, u8)) -> Vec<u8> {
        let mut p = b"JFIF\0".to_vec();
        p.extend_from_slice(&[1, 2, 0, 0, 1, 0, 1, thumb.0, thumb.1]);
        segment(0xE0, &p)
    }

    /// A structurally complete JPEG: the verifier does not decode, so placeholder tables do.
    fn jpeg(extra_before_frame: &[Vec<u8>], after_eoi: &[u8]) -> Vec<u8> {
        let mut v = vec![0xFF, 0xD8];
        v.extend(jfif((0, 0)));
        for e in extra_before_frame {
            v.extend_from_slice(e);
        }
        v.extend(segment(0xDB, &[0; 65]));
        v.extend(segment(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
        v.extend(segment(0xC4, &[0; 17]));
        v.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        // Entropy data with a stuffed byte, a restart marker and fill bytes.
        v.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF]);
        v.extend_from_slice(&[0xFF, 0xD9]);
        v.extend_from_slice(after_eoi);
        v
    }

    #[test]
    fn minimal_jpeg_is_accepted() {
        assert_eq!(verify_image(&jpeg(&[], &[])), Ok(ImageFormat::Jpeg));
    }

    #[test]
    fn metadata_in_jpeg_is_rejected_with_reason() {
        let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
        xmp.extend_from_slice(b"<x:xmpmeta/>");
        let mut ext = b"http://ns.adobe.com/xmp/extension/\0".to_vec();
        ext.extend_from_slice(&[0; 40]);
        let cases: Vec<Case> = vec![
            (
                "exif",
                vec![segment(0xE1, b"Exif\0\0II*\0")],
                b"",
                "APP1 (EXIF) present",
            ),
            ("xmp", vec![segment(0xE1, &xmp)], b"", "APP1 (XMP) present"),
            (
                "extended xmp",
                vec![segment(0xE1, &ext)],
                b"",
                "APP1 (extended XMP) present",
            ),
            (
                "icc",
                vec![segment(0xE2, b"ICC_PROFILE\0\x01\x01")],
                b"",
                "APP2 (ICC profile)",
            ),
            ("mpf", vec![segment(0xE2, b"MPF\0II*\0")], b"", "APP2 (MPF"),
            (
                "iptc",
                vec![segment(0xED, b"Photoshop 3.0\0")],
                b"",
                "APP13 (IPTC",
            ),
            ("adobe", vec![segment(0xEE, b"Adobe\0")], b"", "APP14"),
            (
                "comment",
                vec![segment(0xFE, b"hello")],
                b"",
                "COM (comment)",
            ),
            ("app9", vec![segment(0xE9, b"x")], b"", "APP9 present"),
            (
                "jfxx thumb",
                vec![segment(0xE0, b"JFXX\0\x10")],
                b"",
                "JFIF extension",
            ),
            ("second jfif", vec![jfif((0, 0))], b"", "repeated"),
            (
                "trailer",
                vec![],
                b"\xFF\xD8\xFF\xD9",
                "data after EOI (4 bytes)",
            ),
            ("junk trailer", vec![], b"GPS", "data after EOI (3 bytes)"),
        ];
        for (case, extra, trailer, want) in cases {
            let err = verify_image(&jpeg(&extra, trailer)).unwrap_err();
            assert!(
                err.reason().contains(want),
                "case {case}: got {err:?}, want {want:?}"
            );
        }
    }

    #[test]
    fn jfif_with_thumbnail_is_rejected() {
        let mut v = vec![0xFF, 0xD8];
        let mut p = b"JFIF\0".to_vec();
        p.extend_from_slice(&[1, 2, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0]);
        v.extend(segment(0xE0, &p));
        let err = verify_image(&v).unwrap_err();
        assert!(err.reason().contains("JFIF"), "thumbnail JFIF: {err}");
    }

    #[test]
    fn broken_jpegs_are_rejected_without_panic() {
        let good = jpeg(&[], &[]);
        for cut in 0..good.len() {
            assert!(
                verify_image(&good[..cut]).is_err(),
                "truncated at {cut} must fail"
            );
        }
        let mut lossless = good.clone();
        let sof = lossless.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        lossless[sof + 1] = 0xC3;
        assert!(
            verify_image(&lossless)
                .unwrap_err()
                .reason()
                .contains("SOF3"),
            "lossless frame"
        );
    }

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut v = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        v.extend_from_slice(&body);
        v.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
        v
    }

    fn png(middle: &[Vec<u8>], trailer: &[u8]) -> Vec<u8> {
        let mut v = PNG_SIGNATURE.to_vec();
        v.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]));
        for m in middle {
            v.extend_from_slice(m);
        }
        v.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0, 0, 0, 1, 0, 1]));
        v.extend(chunk(b"IEND", &[]));
        v.extend_from_slice(trailer);
        v
    }

    #[test]
    fn png_chunks() {
        assert_eq!(
            verify_image(&png(&[], b"")),
            Ok(ImageFormat::Png),
            "clean png"
        );
        let cases: Vec<Case> = vec![
            (
                "text",
                vec![chunk(b"tEXt", b"Author\0me")],
                b"",
                "tEXt (text)",
            ),
            (
                "itxt",
                vec![chunk(b"iTXt", b"XML:com.adobe.xmp\0")],
                b"",
                "iTXt (text)",
            ),
            ("exif", vec![chunk(b"eXIf", b"II*\0")], b"", "eXIf (EXIF)"),
            (
                "time",
                vec![chunk(b"tIME", &[7, 232, 1, 1, 0, 0, 0])],
                b"",
                "tIME",
            ),
            (
                "icc",
                vec![chunk(b"iCCP", b"icc\0\0x")],
                b"",
                "iCCP (ICC profile)",
            ),
            (
                "gamma",
                vec![chunk(b"gAMA", &[0, 0, 0, 1])],
                b"",
                "gAMA present",
            ),
            ("trailer", vec![], b"extra", "data after IEND (5 bytes)"),
        ];
        for (case, middle, trailer, want) in cases {
            let err = verify_image(&png(&middle, trailer)).unwrap_err();
            assert!(err.reason().contains(want), "case {case}: got {err:?}");
        }
        let mut bad_crc = png(&[], b"");
        let n = bad_crc.len();
        bad_crc[n - 1] ^= 1;
        assert!(
            verify_image(&bad_crc).unwrap_err().reason().contains("CRC"),
            "bad crc"
        );
        let good = png(&[], b"");
        for cut in 0..good.len() {
            assert!(
                verify_image(&good[..cut]).is_err(),
                "png truncated at {cut}"
            );
        }
    }
}
