//! The marker structure of a JPEG file: stepping from marker to marker, and parsing the
//! segments this reader needs (frame header, quantization and Huffman tables), apart from the
//! entropy-coded data. Also the quick header and EXIF look-ups that need nothing else.

use super::huffman::Huffman;
use super::{Decoder, JpegError};

/// Header facts, without decoding the image.
#[derive(Debug, Clone, Default)]
pub struct JpegHeader {
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Number of colour components.
    pub components: u8,
    /// Progressive coding.
    pub progressive: bool,
}

#[derive(Debug, Clone)]
/// A component of the frame, with the block grids it covers.
pub(super) struct Component {
    pub(super) id: u8,
    /// Horizontal sampling factor (1..=4).
    pub(super) h_factor: usize,
    /// Vertical sampling factor (1..=4).
    pub(super) v_factor: usize,
    /// Quantization table id.
    pub(super) quant_table: usize,
    /// Blocks covering the component's own samples, across and down.
    pub(super) blocks_x: usize,
    pub(super) blocks_y: usize,
    /// Blocks covering the MCU grid (interleaved scans decode these), across and down.
    pub(super) padded_x: usize,
    pub(super) padded_y: usize,
}

#[derive(Debug, Clone)]
/// What the frame header says, with the MCU grid worked out.
pub(super) struct Frame {
    pub(super) progressive: bool,
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) comps: Vec<Component>,
    /// MCUs across and down.
    pub(super) mcus_x: usize,
    pub(super) mcus_y: usize,
}

impl Frame {
    /// The units a scan walks, across and down: the blocks of its one component when `single`
    /// names it, else the MCUs of an interleaved scan.
    pub(super) fn scan_units(&self, single: Option<usize>) -> (usize, usize) {
        match single {
            Some(c) => (self.comps[c].blocks_x, self.comps[c].blocks_y),
            None => (self.mcus_x, self.mcus_y),
        }
    }
}

/// Reads only the header (dimensions, components).
pub fn read_header(data: &[u8]) -> Result<JpegHeader, JpegError> {
    let mut p = Parser::new(data)?;
    loop {
        let marker = p.next_marker()?;
        match marker {
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                let seg = p.segment()?;
                if seg.len() < 6 {
                    return Err(JpegError::Corrupt("short frame header"));
                }
                return Ok(JpegHeader {
                    height: u32::from(u16::from_be_bytes([seg[1], seg[2]])),
                    width: u32::from(u16::from_be_bytes([seg[3], seg[4]])),
                    components: seg[5],
                    progressive: matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE),
                });
            }
            0xD9 | 0xDA => return Err(JpegError::Corrupt("no frame header before the image data")),
            0xD8 => {
                return Err(JpegError::Corrupt(
                    "a second start of image before the frame",
                ));
            }
            0xD0..=0xD7 | 0x01 => {}
            _ => {
                p.segment()?;
            }
        }
    }
}

/// Finds the EXIF payload (the TIFF structure inside the first `APP1 Exif` segment).
pub fn exif_payload(data: &[u8]) -> Option<&[u8]> {
    let mut p = Parser::new(data).ok()?;
    loop {
        let marker = p.next_marker().ok()?;
        match marker {
            0xE1 => {
                let seg = p.segment().ok()?;
                if seg.len() > 6 && &seg[..6] == b"Exif\0\0" {
                    return Some(&seg[6..]);
                }
            }
            0xDA | 0xD9 => return None,
            0xD0..=0xD8 | 0x01 => {}
            _ => {
                p.segment().ok()?;
            }
        }
    }
}

pub(super) struct Parser<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(data: &'a [u8]) -> Result<Self, JpegError> {
        if data.len() < 4 || data[0] != 0xFF || data[1] != 0xD8 {
            return Err(JpegError::NotJpeg);
        }
        Ok(Parser { data, pos: 2 })
    }

    /// Advances to the next marker and returns its code (the byte after `FF`).
    pub(super) fn next_marker(&mut self) -> Result<u8, JpegError> {
        // Tolerate garbage between segments (libjpeg warns and skips it too).
        while self.pos < self.data.len() && self.data[self.pos] != 0xFF {
            self.pos += 1;
        }
        while self.pos < self.data.len() && self.data[self.pos] == 0xFF {
            self.pos += 1;
        }
        let m = *self.data.get(self.pos).ok_or(JpegError::Truncated)?;
        self.pos += 1;
        Ok(m)
    }

    /// Returns the payload of a length-prefixed segment and steps past it.
    pub(super) fn segment(&mut self) -> Result<&'a [u8], JpegError> {
        let hi = *self.data.get(self.pos).ok_or(JpegError::Truncated)?;
        let lo = *self.data.get(self.pos + 1).ok_or(JpegError::Truncated)?;
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len < 2 {
            return Err(JpegError::Corrupt("segment length below 2"));
        }
        let end = self.pos + len;
        if end > self.data.len() {
            return Err(JpegError::Truncated);
        }
        let seg = &self.data[self.pos + 2..end];
        self.pos = end;
        Ok(seg)
    }
}

/// Parses a frame header (SOF0..SOF2) and lays out its components' block grids.
pub(super) fn parse_frame(
    seg: &[u8],
    progressive: bool,
    max_pixels: u64,
    adobe_transform: Option<u8>,
    jfif: bool,
) -> Result<Frame, JpegError> {
    if seg.len() < 6 {
        return Err(JpegError::Corrupt("short frame header"));
    }
    if seg[0] != 8 {
        return Err(JpegError::Unsupported("sample precision other than 8 bits"));
    }
    let height = u32::from(u16::from_be_bytes([seg[1], seg[2]]));
    let width = u32::from(u16::from_be_bytes([seg[3], seg[4]]));
    let ncomps = usize::from(seg[5]);
    if width == 0 || height == 0 {
        return Err(JpegError::Unsupported(
            "height given later (DNL) or zero size",
        ));
    }
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(JpegError::TooLarge {
            width,
            height,
            limit_mp: max_pixels / 1_000_000,
        });
    }
    if ncomps != 1 && ncomps != 3 {
        return Err(JpegError::Unsupported("component count other than 1 or 3"));
    }
    if seg.len() < 6 + 3 * ncomps {
        return Err(JpegError::Corrupt("short frame header"));
    }
    let mut comps = Vec::with_capacity(ncomps);
    for i in 0..ncomps {
        let c = &seg[6 + 3 * i..9 + 3 * i];
        let h = usize::from(c[1] >> 4);
        let v = usize::from(c[1] & 15);
        if !(1..=4).contains(&h) || !(1..=4).contains(&v) || c[2] > 3 {
            return Err(JpegError::Corrupt("bad component sampling or table"));
        }
        comps.push(Component {
            id: c[0],
            h_factor: h,
            v_factor: v,
            quant_table: usize::from(c[2]),
            blocks_x: 0,
            blocks_y: 0,
            padded_x: 0,
            padded_y: 0,
        });
    }
    let hmax = comps.iter().map(|c| c.h_factor).max().unwrap_or(1);
    let vmax = comps.iter().map(|c| c.v_factor).max().unwrap_or(1);
    if comps[0].h_factor != hmax || comps[0].v_factor != vmax {
        return Err(JpegError::Unsupported(
            "luma is not the most finely sampled component",
        ));
    }
    if ncomps == 3 {
        let rgb_ids = comps[0].id == b'R' && comps[1].id == b'G' && comps[2].id == b'B';
        // Adobe transform 0 with 3 components means RGB; no JFIF + RGB ids, too.
        if adobe_transform == Some(0) || (!jfif && rgb_ids) {
            return Err(JpegError::Unsupported("RGB-coded JPEG"));
        }
        if comps[1].h_factor != comps[2].h_factor || comps[1].v_factor != comps[2].v_factor {
            return Err(JpegError::Unsupported("unequal chroma sampling"));
        }
    }
    let w = width as usize;
    let h = height as usize;
    let mcus_x = w.div_ceil(8 * hmax);
    let mcus_y = h.div_ceil(8 * vmax);
    for c in &mut comps {
        let cw = (w * c.h_factor).div_ceil(hmax);
        let ch = (h * c.v_factor).div_ceil(vmax);
        c.blocks_x = cw.div_ceil(8);
        c.blocks_y = ch.div_ceil(8);
        c.padded_x = mcus_x * c.h_factor;
        c.padded_y = mcus_y * c.v_factor;
    }
    Ok(Frame {
        progressive,
        width,
        height,
        comps,
        mcus_x,
        mcus_y,
    })
}

impl Decoder<'_> {
    pub(super) fn read_dqt(&mut self, mut seg: &[u8]) -> Result<(), JpegError> {
        while !seg.is_empty() {
            let pq = seg[0] >> 4;
            let tq = usize::from(seg[0] & 15);
            if tq > 3 {
                return Err(JpegError::Corrupt("quantization table id above 3"));
            }
            let mut table = [0u16; 64];
            let need = if pq == 0 { 64 } else { 128 };
            if seg.len() < 1 + need {
                return Err(JpegError::Corrupt("short quantization table"));
            }
            for (k, slot) in table.iter_mut().enumerate() {
                *slot = if pq == 0 {
                    u16::from(seg[1 + k])
                } else {
                    u16::from_be_bytes([seg[1 + 2 * k], seg[2 + 2 * k]])
                };
            }
            self.quant_tables[tq] = Some(table);
            seg = &seg[1 + need..];
        }
        Ok(())
    }

    pub(super) fn read_dht(&mut self, mut seg: &[u8]) -> Result<(), JpegError> {
        while !seg.is_empty() {
            if seg.len() < 17 {
                return Err(JpegError::Corrupt("short Huffman table"));
            }
            let class = seg[0] >> 4;
            let th = usize::from(seg[0] & 15);
            if class > 1 || th > 3 {
                return Err(JpegError::Corrupt("bad Huffman table id"));
            }
            let mut counts = [0u8; 16];
            counts.copy_from_slice(&seg[1..17]);
            let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
            if seg.len() < 17 + total {
                return Err(JpegError::Corrupt("short Huffman table"));
            }
            let table = Huffman::new(&counts, &seg[17..17 + total], class == 1)
                .map_err(|_| JpegError::Corrupt("bad Huffman table"))?;
            if class == 0 {
                self.dc_tables[th] = Some(table);
            } else {
                self.ac_tables[th] = Some(table);
            }
            seg = &seg[17 + total..];
        }
        Ok(())
    }
}
