//! A JPEG reader that stops at the quantized DCT coefficients.
//!
//! Judging focus needs fine detail, and in a JPEG the fine detail is already there, per 8×8
//! block, in the quantized DCT coefficients that Huffman decoding yields. Decoding pixels (the
//! inverse DCT, upsampling, colour conversion) adds nothing to that, and a reduced-size decode
//! throws the detail away. So this reader does only the entropy decoding — the part every
//! JPEG reader must do, and the floor of its speed — and, for each luma block, adds the energy
//! of each nonzero coefficient into a few frequency bands as it comes out of the Huffman
//! decoder. The DC terms make the 1/8-size image (luma and chroma) for exposure, grouping and
//! thumbnails; the band energies make a full-resolution sharpness map.
//!
//! The Huffman decoder looks up 11 bits at a time in a table that gives run, size and value of
//! up to two AC symbols at once (end of block and zero runs included); longer codes take a slow
//! path. While decoding, it notes where each row of MCUs starts ([`RowIndex`]), so that face
//! regions can be read again later for their low-frequency coefficients without decoding the
//! rows above them ([`read_low_rows`]).
//!
//! Baseline and progressive Huffman JPEGs with 1 (grey) or 3 (YCbCr) components are read
//! here. Anything else (CMYK, RGB-coded, arithmetic coding, 12-bit, lossless) returns
//! [`JpegError::Unsupported`] so the caller can fall back to a full decoder.

mod bits;
mod huffman;
#[doc(hidden)]
pub mod synth;

use bits::{BitReader, BitState};
use huffman::Huffman;

/// Number of features per luma block, see [`LumaBlocks::feat`].
pub const NFEAT: usize = 7;

/// Index of each feature in a block's feature array.
pub mod feat {
    /// Energy in rings r = u + v of 1..=2 (coarse detail).
    pub const LOW: usize = 0;
    /// Rings 3..=5 (medium detail).
    pub const MID: usize = 1;
    /// Rings 6..=9 (fine detail).
    pub const HIGH: usize = 2;
    /// Rings 10..=14 (finest detail; mostly noise and compression in real photos).
    pub const TOP: usize = 3;
    /// Rings 3..=9 with u > v: detail that varies along x (vertical edges).
    pub const HOR: usize = 4;
    /// Rings 3..=9 with v > u: detail that varies along y (horizontal edges).
    pub const VER: usize = 5;
    /// Rings 3..=9 with u == v: diagonal detail.
    pub const DIAG: usize = 6;
}

/// Natural (row-major) index of each zigzag position; padded so overruns stay in bounds.
pub(crate) const ZIGZAG: [usize; 80] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    63, 63, 63, 63, 63, 63,
];

/// Where a coefficient's energy goes, by zigzag position: `[band slot, orientation slot]`
/// (slot 7 is a scratch slot for coefficients outside rings 3..=9).
const SLOTS: [[u8; 2]; 64] = slots();

const fn slots() -> [[u8; 2]; 64] {
    let mut out = [[0u8; 2]; 64];
    let mut k = 0;
    while k < 64 {
        let n = ZIGZAG[k];
        let u = n % 8;
        let v = n / 8;
        let r = u + v;
        let band = if r == 0 {
            7
        } else if r <= 2 {
            0
        } else if r <= 5 {
            1
        } else if r <= 9 {
            2
        } else {
            3
        };
        let orient = if r >= 3 && r <= 9 {
            if u > v {
                4
            } else if v > u {
                5
            } else {
                6
            }
        } else {
            7
        };
        out[k] = [band as u8, orient as u8];
        k += 1;
    }
    out
}

/// Feature weights of each zigzag position: 1.0 in the feature slots its energy adds to.
/// Zigzag order walks the anti-diagonals r = u + v in order, so the bands are contiguous
/// ranges of zigzag positions; the orientation slots are not.
const WEIGHTS: [[f32; 8]; 64] = weights();

const fn weights() -> [[f32; 8]; 64] {
    let mut out = [[0f32; 8]; 64];
    let mut k = 1;
    while k < 64 {
        let [band, orient] = SLOTS[k];
        if band < 7 {
            out[k][band as usize] = 1.0;
        }
        if orient < 7 {
            out[k][orient as usize] = 1.0;
        }
        k += 1;
    }
    out
}

/// Slot in the 4×4 low-frequency store of each zigzag position, 255 when outside it.
const LOW_SLOT: [u8; 64] = low_slots();

const fn low_slots() -> [u8; 64] {
    let mut out = [255u8; 64];
    let mut k = 0;
    while k < 64 {
        let n = ZIGZAG[k];
        let u = n % 8;
        let v = n / 8;
        if u < 4 && v < 4 {
            out[k] = (v * 4 + u) as u8;
        }
        k += 1;
    }
    out
}

/// Why a JPEG could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JpegError {
    /// Not a JPEG at all.
    #[error("not a JPEG file (no start-of-image marker)")]
    NotJpeg,
    /// The file ends before the image data does.
    #[error("truncated JPEG: the file ends before the image data does")]
    Truncated,
    /// The data is damaged.
    #[error("corrupt JPEG data: {0}")]
    Corrupt(&'static str),
    /// Valid, but a kind this reader does not handle; a full decoder may.
    #[error("JPEG variant not handled by the fast reader: {0}")]
    Unsupported(&'static str),
    /// The memory the image needs is not available from the decoding budget.
    #[error("{0}")]
    Budget(crate::guard::BudgetError),
    /// The job was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// The header declares an image larger than the configured limit.
    #[error("image too large: {width} x {height} pixels (limit {limit_mp} megapixels)")]
    TooLarge {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The limit in megapixels.
        limit_mp: u64,
    },
}

/// What to produce besides the luma blocks.
#[derive(Debug, Clone, Copy)]
pub struct JpegOptions {
    /// Also keep the chroma block means (colour thumbnail, colour descriptor).
    pub color: bool,
    /// Keep the 4×4 lowest-frequency coefficients of every block, so that any region can be
    /// rendered later at half resolution (face crops) without the file's bytes; with the bytes,
    /// [`read_low_rows`] reads them for just the rows needed.
    pub low: bool,
    /// Largest accepted image, in pixels.
    pub max_pixels: u64,
    /// Memory budget shared by the decodes in flight (see [`crate::guard::reserve`]).
    pub max_alloc: u64,
}

impl Default for JpegOptions {
    fn default() -> Self {
        JpegOptions {
            color: true,
            low: false,
            max_pixels: 300_000_000,
            max_alloc: crate::decode::default_budget(),
        }
    }
}

/// Scans a progressive file may have. Encoders write about ten; each scan visits every block
/// of its components however little data it holds, so a small file with thousands of scans
/// over a large frame would cost minutes.
pub const MAX_SCANS: usize = 128;

/// Per-block data of the luma plane.
#[derive(Debug, Clone, Default)]
pub struct LumaBlocks {
    /// Blocks across.
    pub width: usize,
    /// Blocks down.
    pub height: usize,
    /// Block means, 0..=255 (the 1/8-size grey image).
    pub dc: Vec<f32>,
    /// Per block, the energy of the dequantized AC coefficients by band (see [`feat`]).
    pub feat: Vec<[f32; NFEAT]>,
}

/// Block means of the two chroma planes.
#[derive(Debug, Clone, Default)]
pub struct ChromaBlocks {
    /// Blocks across.
    pub width: usize,
    /// Blocks down.
    pub height: usize,
    /// Luma blocks per chroma block, horizontally (1 or 2 for common files).
    pub x_ratio: usize,
    /// Luma blocks per chroma block, vertically.
    pub y_ratio: usize,
    /// Cb block means, 0..=255.
    pub cb: Vec<f32>,
    /// Cr block means, 0..=255.
    pub cr: Vec<f32>,
}

/// Lowest-frequency coefficients (dequantized, natural order within the 4×4 corner) per block.
#[derive(Debug, Clone, Default)]
pub struct LowPlane {
    /// Blocks across.
    pub width: usize,
    /// Blocks down (held here: rows `row0..row0 + height` of the image).
    pub height: usize,
    /// First block row held (0 unless read with [`read_low_rows`]).
    pub row0: usize,
    /// `width * height` entries: the quantized coefficients of the 4×4 corner, natural order
    /// within the corner (`v * 4 + u`). Multiply by `quant` to dequantize.
    pub coefs: Vec<[i16; 16]>,
    /// Quantization steps of the 16 corner coefficients.
    pub quant: [u16; 16],
}

/// Everything read from one JPEG.
#[derive(Debug, Clone, Default)]
pub struct JpegBlocks {
    /// Image width in pixels (as stored, before EXIF orientation).
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// True for progressive files.
    pub progressive: bool,
    /// Luma block data.
    pub luma: LumaBlocks,
    /// Chroma block means, when asked for and present.
    pub chroma: Option<ChromaBlocks>,
    /// Low-frequency coefficients per component (Y, Cb, Cr), when asked for.
    pub low: Vec<LowPlane>,
    /// The luma quantization table (zigzag order).
    pub luma_quant: Vec<u16>,
    /// Where each row of MCUs starts in the entropy-coded data, so that some rows can be read
    /// again later (see [`read_low_rows`]). Empty for progressive and multi-scan files.
    pub rows: RowIndex,
    /// The memory reserved for this decode (see [`crate::guard::reserve`]).
    pub budget: Option<std::sync::Arc<crate::guard::Reservation>>,
}

/// The entropy decoder's state at the start of each row of MCUs of a single-scan baseline
/// JPEG: resuming from one reads the rows after it without decoding the rows before.
#[derive(Debug, Clone, Default)]
pub struct RowIndex {
    /// Luma block rows per MCU row.
    rows_per_unit: usize,
    points: Vec<Checkpoint>,
}

impl RowIndex {
    /// True when rows cannot be read on their own (progressive or multi-scan file).
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

#[derive(Debug, Clone, Copy)]
struct Checkpoint {
    bits: BitState,
    preds: [i32; 4],
    restarts_left: usize,
    next_restart: u8,
}

/// Reads the 4×4 lowest-frequency luma coefficients of block rows `rows` (clipped to the image)
/// from `data`, the file `index` was made from, starting at the nearest row of MCUs before them:
/// for face crops, decoded only where a face was found.
pub fn read_low_rows(
    data: &[u8],
    index: &RowIndex,
    rows: std::ops::Range<usize>,
) -> Result<LowPlane, JpegError> {
    let per = index.rows_per_unit.max(1);
    let first = (rows.start / per).min(index.points.len());
    let end = rows.end.div_ceil(per).min(index.points.len());
    if first >= end {
        return Err(JpegError::Corrupt("no such rows"));
    }
    let opts = JpegOptions {
        color: false,
        low: true,
        max_pixels: u64::MAX,
        ..JpegOptions::default()
    };
    let mut d = Decoder::new(data, opts, JpegBlocks::default())?;
    d.window = Some(Window {
        start: index.points[first],
        units: first..end,
        row0: first * per,
    });
    d.run()?;
    d.out
        .low
        .pop()
        .ok_or(JpegError::Corrupt("no scan with the rows"))
}

/// Rows of MCUs read by [`read_low_rows`].
#[derive(Debug, Clone)]
struct Window {
    start: Checkpoint,
    units: std::ops::Range<usize>,
    /// First luma block row.
    row0: usize,
}

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
struct Component {
    id: u8,
    h: usize,
    v: usize,
    tq: usize,
    /// Blocks covering the component's own samples.
    bw: usize,
    bh: usize,
    /// Blocks covering the MCU grid (interleaved scans decode these).
    pbw: usize,
    pbh: usize,
}

#[derive(Debug, Clone)]
struct Frame {
    progressive: bool,
    width: u32,
    height: u32,
    comps: Vec<Component>,
    mcux: usize,
    mcuy: usize,
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

/// Reads a JPEG's block data (see the module docs).
pub fn read_blocks(data: &[u8], opts: &JpegOptions) -> Result<JpegBlocks, JpegError> {
    read_blocks_reusing(data, opts, JpegBlocks::default())
}

/// [`read_blocks`] writing into the buffers of an earlier result, so that a thread reading one
/// photo after another allocates (and page-faults in) its ~20 MB of block data only once.
pub fn read_blocks_reusing(
    data: &[u8],
    opts: &JpegOptions,
    recycled: JpegBlocks,
) -> Result<JpegBlocks, JpegError> {
    let mut d = Decoder::new(data, *opts, recycled)?;
    d.run()?;
    d.finish()
}

/// Every quantized DCT coefficient of one component, as libjpeg's `jpeg_read_coefficients`
/// keeps them: natural (row-major) order, DC as the absolute value truncated to 16 bits.
/// For the differential fuzz target; not used by the analysis.
#[doc(hidden)]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoefPlane {
    /// Blocks across (covering the component's own samples, not the MCU padding).
    pub width: usize,
    /// Blocks down.
    pub height: usize,
    /// `width * height` blocks.
    pub blocks: Vec<[i16; 64]>,
}

/// Reads every quantized coefficient of every component (see [`CoefPlane`]), through the same
/// entropy decoding as [`read_blocks`] (with `color` and `low` on). Test hook.
#[doc(hidden)]
pub fn read_coefficients(data: &[u8], opts: &JpegOptions) -> Result<Vec<CoefPlane>, JpegError> {
    let opts = JpegOptions {
        color: true,
        low: true,
        ..*opts
    };
    let mut d = Decoder::new(data, opts, JpegBlocks::default())?;
    d.capture = Some(Vec::new());
    d.run()?;
    d.complete()?;
    Ok(d.capture.take().unwrap_or_default())
}

/// Empties `v` and refills it with `n` copies of `x`, keeping its allocation.
fn refill<T: Clone>(v: &mut Vec<T>, n: usize, x: T) {
    v.clear();
    v.resize(n, x);
}

struct Parser<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(data: &'a [u8]) -> Result<Self, JpegError> {
        if data.len() < 4 || data[0] != 0xFF || data[1] != 0xD8 {
            return Err(JpegError::NotJpeg);
        }
        Ok(Parser { data, pos: 2 })
    }

    /// Advances to the next marker and returns its code (the byte after `FF`).
    fn next_marker(&mut self) -> Result<u8, JpegError> {
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
    fn segment(&mut self) -> Result<&'a [u8], JpegError> {
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

/// What a component's blocks are used for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Luma,
    Chroma(usize),
    Skip,
}

struct Decoder<'a> {
    p: Parser<'a>,
    opts: JpegOptions,
    quant: [Option<[u16; 64]>; 4],
    dc_tables: [Option<Huffman>; 4],
    ac_tables: [Option<Huffman>; 4],
    restart_interval: usize,
    frame: Option<Frame>,
    adobe_transform: Option<u8>,
    jfif: bool,
    out: JpegBlocks,
    /// Per component: quantization table (zigzag order) as f32, latched at the first scan.
    qf: Vec<[f32; 64]>,
    /// Progressive files: all coefficients, per component over the padded block grid.
    coefs: Vec<Vec<[i16; 64]>>,
    scans: usize,
    /// Sequential files: the components (bit per frame index) that had their scan. Each may
    /// have only one: a second would overwrite the first's blocks, and the row index, made
    /// in the first, would no longer match what was kept.
    scanned: u8,
    eoi: bool,
    /// Set when reading only some rows again ([`read_low_rows`]).
    window: Option<Window>,
    /// Test hook ([`read_coefficients`]): every coefficient of every component.
    capture: Option<Vec<CoefPlane>>,
}

impl<'a> Decoder<'a> {
    fn new(data: &'a [u8], opts: JpegOptions, recycled: JpegBlocks) -> Result<Self, JpegError> {
        Ok(Decoder {
            p: Parser::new(data)?,
            opts,
            quant: [None; 4],
            dc_tables: [None, None, None, None],
            ac_tables: [None, None, None, None],
            restart_interval: 0,
            frame: None,
            adobe_transform: None,
            jfif: false,
            out: recycled,
            qf: Vec::new(),
            coefs: Vec::new(),
            scans: 0,
            scanned: 0,
            eoi: false,
            window: None,
            capture: None,
        })
    }

    fn run(&mut self) -> Result<(), JpegError> {
        loop {
            let marker = match self.p.next_marker() {
                Ok(m) => m,
                Err(JpegError::Truncated) if self.scans > 0 => {
                    // All scans read but no EOI: accept what the scans gave when they were whole.
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            match marker {
                0xD8 | 0x01 | 0xD0..=0xD7 => {}
                0xD9 => {
                    self.eoi = true;
                    return Ok(());
                }
                0xC0..=0xC2 => {
                    if self.frame.is_some() {
                        return Err(JpegError::Corrupt("two frame headers"));
                    }
                    let seg = self.p.segment()?;
                    self.read_frame(seg, marker == 0xC2)?;
                }
                0xC3 | 0xC5..=0xC7 => {
                    return Err(JpegError::Unsupported("lossless or hierarchical"));
                }
                0xC9..=0xCB | 0xCD..=0xCF => {
                    return Err(JpegError::Unsupported("arithmetic coding"));
                }
                0xCC => return Err(JpegError::Unsupported("arithmetic coding")),
                0xC4 => {
                    let seg = self.p.segment()?;
                    self.read_dht(seg)?;
                }
                0xDB => {
                    let seg = self.p.segment()?;
                    self.read_dqt(seg)?;
                }
                0xDD => {
                    let seg = self.p.segment()?;
                    if seg.len() < 2 {
                        return Err(JpegError::Corrupt("short restart interval"));
                    }
                    self.restart_interval = usize::from(u16::from_be_bytes([seg[0], seg[1]]));
                }
                0xDA => {
                    if self.scans >= MAX_SCANS {
                        return Err(JpegError::Corrupt("more scans than any encoder writes"));
                    }
                    let seg = self.p.segment()?;
                    self.read_scan(seg)?;
                    self.scans += 1;
                    if self.window.is_some() {
                        return Ok(());
                    }
                }
                0xE0 => {
                    let seg = self.p.segment()?;
                    if seg.starts_with(b"JFIF\0") {
                        self.jfif = true;
                    }
                }
                0xEE => {
                    let seg = self.p.segment()?;
                    if seg.len() >= 12 && seg.starts_with(b"Adobe") {
                        self.adobe_transform = Some(seg[11]);
                    }
                }
                _ => {
                    self.p.segment()?;
                }
            }
        }
    }

    fn read_dqt(&mut self, mut seg: &[u8]) -> Result<(), JpegError> {
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
            self.quant[tq] = Some(table);
            seg = &seg[1 + need..];
        }
        Ok(())
    }

    fn read_dht(&mut self, mut seg: &[u8]) -> Result<(), JpegError> {
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

    fn read_frame(&mut self, seg: &[u8], progressive: bool) -> Result<(), JpegError> {
        if seg.len() < 6 {
            return Err(JpegError::Corrupt("short frame header"));
        }
        if seg[0] != 8 {
            return Err(JpegError::Unsupported("sample precision other than 8 bits"));
        }
        let height = u32::from(u16::from_be_bytes([seg[1], seg[2]]));
        let width = u32::from(u16::from_be_bytes([seg[3], seg[4]]));
        let n = usize::from(seg[5]);
        if width == 0 || height == 0 {
            return Err(JpegError::Unsupported(
                "height given later (DNL) or zero size",
            ));
        }
        if u64::from(width) * u64::from(height) > self.opts.max_pixels {
            return Err(JpegError::TooLarge {
                width,
                height,
                limit_mp: self.opts.max_pixels / 1_000_000,
            });
        }
        if n != 1 && n != 3 {
            return Err(JpegError::Unsupported("component count other than 1 or 3"));
        }
        if seg.len() < 6 + 3 * n {
            return Err(JpegError::Corrupt("short frame header"));
        }
        let mut comps = Vec::with_capacity(n);
        for i in 0..n {
            let c = &seg[6 + 3 * i..9 + 3 * i];
            let h = usize::from(c[1] >> 4);
            let v = usize::from(c[1] & 15);
            if !(1..=4).contains(&h) || !(1..=4).contains(&v) || c[2] > 3 {
                return Err(JpegError::Corrupt("bad component sampling or table"));
            }
            comps.push(Component {
                id: c[0],
                h,
                v,
                tq: usize::from(c[2]),
                bw: 0,
                bh: 0,
                pbw: 0,
                pbh: 0,
            });
        }
        let hmax = comps.iter().map(|c| c.h).max().unwrap_or(1);
        let vmax = comps.iter().map(|c| c.v).max().unwrap_or(1);
        if comps[0].h != hmax || comps[0].v != vmax {
            return Err(JpegError::Unsupported(
                "luma is not the most finely sampled component",
            ));
        }
        if n == 3 {
            let rgb_ids = comps[0].id == b'R' && comps[1].id == b'G' && comps[2].id == b'B';
            // Adobe transform 0 with 3 components means RGB; no JFIF + RGB ids, too.
            if self.adobe_transform == Some(0) || (!self.jfif && rgb_ids) {
                return Err(JpegError::Unsupported("RGB-coded JPEG"));
            }
            if comps[1].h != comps[2].h || comps[1].v != comps[2].v {
                return Err(JpegError::Unsupported("unequal chroma sampling"));
            }
        }
        let w = width as usize;
        let h = height as usize;
        let mcux = w.div_ceil(8 * hmax);
        let mcuy = h.div_ceil(8 * vmax);
        for c in &mut comps {
            let cw = (w * c.h).div_ceil(hmax);
            let ch = (h * c.v).div_ceil(vmax);
            c.bw = cw.div_ceil(8);
            c.bh = ch.div_ceil(8);
            c.pbw = mcux * c.h;
            c.pbh = mcuy * c.v;
        }
        let luma = &comps[0];
        // Block rows held: all of them, or those of the window's MCU rows.
        let (row0, rows) = match &self.window {
            Some(w) => {
                let row0 = w.row0.min(luma.bh);
                let end = (w.units.end * luma.v.max(1)).min(luma.bh);
                (row0, end - row0)
            }
            None => (0, luma.bh),
        };
        let blocks = luma.bw * rows;
        self.out.budget = None;
        let need = self.memory_needed(&comps, blocks, progressive, mcuy);
        let reservation =
            crate::guard::reserve(need, self.opts.max_alloc).map_err(|e| match e {
                crate::guard::BudgetError::Cancelled => JpegError::Cancelled,
                other => JpegError::Budget(other),
            })?;
        self.out.budget = Some(std::sync::Arc::new(reservation));
        self.out.width = width;
        self.out.height = height;
        self.out.progressive = progressive;
        // Buffers are reused from the recycled result when there is one.
        let l = &mut self.out.luma;
        l.width = luma.bw;
        l.height = rows;
        refill(&mut l.dc, blocks, 0.0);
        refill(&mut l.feat, blocks, [0.0; NFEAT]);
        let old_chroma = self.out.chroma.take();
        if self.opts.color && n == 3 {
            let c = &comps[1];
            let mut ch = old_chroma.unwrap_or_default();
            ch.width = c.bw;
            ch.height = c.bh;
            ch.x_ratio = hmax / c.h;
            ch.y_ratio = vmax / c.v;
            refill(&mut ch.cb, c.bw * c.bh, 128.0);
            refill(&mut ch.cr, c.bw * c.bh, 128.0);
            self.out.chroma = Some(ch);
        }
        let old_low = std::mem::take(&mut self.out.low);
        if self.opts.low {
            // Luma only: renders of face crops take their colour from the chroma block means.
            let mut plane = old_low.into_iter().next().unwrap_or_default();
            plane.width = luma.bw;
            plane.height = rows;
            plane.row0 = row0;
            plane.quant = [0; 16];
            refill(&mut plane.coefs, blocks, [0i16; 16]);
            self.out.low = vec![plane];
        }
        self.out.rows.points.clear();
        if progressive {
            if self.window.is_some() {
                return Err(JpegError::Unsupported("rows of a progressive file"));
            }
            self.coefs = comps
                .iter()
                .map(|c| vec![[0i16; 64]; c.pbw * c.pbh])
                .collect();
        }
        if let Some(capture) = self.capture.as_mut() {
            *capture = comps
                .iter()
                .map(|c| CoefPlane {
                    width: c.bw,
                    height: c.bh,
                    blocks: vec![[0i16; 64]; c.bw * c.bh],
                })
                .collect();
        }
        self.frame = Some(Frame {
            progressive,
            width,
            height,
            comps,
            mcux,
            mcuy,
        });
        Ok(())
    }

    /// Bytes this decode will hold at its peak, worked out from the frame header before
    /// anything is allocated: the luma block data (mean and features), chroma block means and
    /// their copy on the luma grid, the low-frequency store, every coefficient of a
    /// progressive file, the row index, and what the measures allocate per block afterwards.
    fn memory_needed(
        &self,
        comps: &[Component],
        luma_blocks: usize,
        progressive: bool,
        mcu_rows: usize,
    ) -> u64 {
        let luma_blocks = luma_blocks as u64;
        const MEASURES_PER_BLOCK: u64 = 8;
        let mut need = luma_blocks * (4 + 4 * NFEAT as u64 + MEASURES_PER_BLOCK);
        if self.opts.color && comps.len() == 3 {
            let c = &comps[1];
            need += (c.bw * c.bh) as u64 * 8 + luma_blocks * 8;
        }
        if self.opts.low {
            need += luma_blocks * std::mem::size_of::<[i16; 16]>() as u64;
        }
        if progressive {
            need += comps
                .iter()
                .map(|c| (c.pbw * c.pbh) as u64 * 128)
                .sum::<u64>();
        }
        if self.capture.is_some() {
            need += comps
                .iter()
                .map(|c| (c.bw * c.bh) as u64 * 128)
                .sum::<u64>();
        }
        need + mcu_rows as u64 * std::mem::size_of::<Checkpoint>() as u64
    }

    fn role(&self, ci: usize) -> Role {
        match ci {
            0 => Role::Luma,
            1 | 2 if self.out.chroma.is_some() => Role::Chroma(ci),
            _ => Role::Skip,
        }
    }

    fn latch_quant(&mut self) -> Result<(), JpegError> {
        if !self.qf.is_empty() {
            return Ok(());
        }
        let frame = self
            .frame
            .as_ref()
            .ok_or(JpegError::Corrupt("scan before frame header"))?;
        for c in &frame.comps {
            let q = self.quant[c.tq].ok_or(JpegError::Corrupt("missing quantization table"))?;
            let mut qf = [0f32; 64];
            for (dst, &src) in qf.iter_mut().zip(q.iter()) {
                *dst = f32::from(src);
            }
            self.qf.push(qf);
        }
        let luma_tq = frame.comps[0].tq;
        self.out.luma_quant = self.quant[luma_tq].map(|q| q.to_vec()).unwrap_or_default();
        Ok(())
    }

    fn read_scan(&mut self, seg: &[u8]) -> Result<(), JpegError> {
        self.latch_quant()?;
        let frame = self
            .frame
            .clone()
            .ok_or(JpegError::Corrupt("scan before frame header"))?;
        let ns = usize::from(*seg.first().ok_or(JpegError::Corrupt("short scan header"))?);
        if ns == 0 || ns > 4 || seg.len() < 1 + 2 * ns + 3 {
            return Err(JpegError::Corrupt("bad scan header"));
        }
        let mut scomps = Vec::with_capacity(ns);
        let mut in_scan = 0u8;
        for i in 0..ns {
            let id = seg[1 + 2 * i];
            let t = seg[2 + 2 * i];
            let ci = frame
                .comps
                .iter()
                .position(|c| c.id == id)
                .ok_or(JpegError::Corrupt("scan names an unknown component"))?;
            let bit = 1u8 << ci;
            if in_scan & bit != 0 {
                return Err(JpegError::Corrupt("a component named twice in one scan"));
            }
            in_scan |= bit;
            if !frame.progressive && self.scanned & bit != 0 {
                return Err(JpegError::Corrupt(
                    "a component in two scans of a sequential JPEG",
                ));
            }
            let (td, ta) = (usize::from(t >> 4), usize::from(t & 15));
            if td > 3 || ta > 3 {
                return Err(JpegError::Corrupt("bad table selector"));
            }
            scomps.push(ScanComp {
                ci,
                td,
                ta,
                pred: 0,
            });
        }
        let ss = usize::from(seg[1 + 2 * ns]);
        let se = usize::from(seg[2 + 2 * ns]);
        let ah = u32::from(seg[3 + 2 * ns] >> 4);
        let al = u32::from(seg[3 + 2 * ns] & 15);
        let start = self.p.pos;
        let end = if frame.progressive {
            if ss > se || se > 63 || (ss == 0 && se != 0) || (ss > 0 && ns != 1) || al > 13 {
                return Err(JpegError::Corrupt("bad progressive scan parameters"));
            }
            self.progressive_scan(&frame, &mut scomps, start, ss, se, ah, al)?
        } else {
            self.scanned |= in_scan;
            self.baseline_scan(&frame, &mut scomps, start)?
        };
        if end.overrun {
            return Err(JpegError::Truncated);
        }
        // Continue parsing after the entropy-coded data: find its ending marker.
        let mut pos = end.position;
        if !end.at_marker {
            while pos + 1 < self.p.data.len()
                && !(self.p.data[pos] == 0xFF
                    && self.p.data[pos + 1] != 0
                    && !(0xD0..=0xD7).contains(&self.p.data[pos + 1]))
            {
                pos += 1;
            }
        }
        self.p.pos = pos;
        Ok(())
    }

    fn tables(
        &self,
        sc: &ScanComp,
        need_dc: bool,
        need_ac: bool,
    ) -> Result<(Option<&Huffman>, Option<&Huffman>), JpegError> {
        let dc = if need_dc {
            Some(
                self.dc_tables[sc.td]
                    .as_ref()
                    .ok_or(JpegError::Corrupt("missing DC Huffman table"))?,
            )
        } else {
            None
        };
        let ac = if need_ac {
            Some(
                self.ac_tables[sc.ta]
                    .as_ref()
                    .ok_or(JpegError::Corrupt("missing AC Huffman table"))?,
            )
        } else {
            None
        };
        Ok((dc, ac))
    }

    fn baseline_scan(
        &mut self,
        frame: &Frame,
        scomps: &mut [ScanComp],
        start: usize,
    ) -> Result<ScanEnd, JpegError> {
        let window = self.window.clone();
        // Rows can be resumed only in a scan that holds every component.
        let indexable = scomps.len() == frame.comps.len();
        let mut reader = match &window {
            Some(w) if indexable => BitReader::resume(self.p.data, w.start.bits),
            Some(_) => return Err(JpegError::Unsupported("rows of a multi-scan file")),
            None => BitReader::new(self.p.data, start),
        };
        let r = &mut reader;
        // Own the tables for the scan so that the output can be borrowed mutably meanwhile.
        let mut tabs = Vec::with_capacity(scomps.len());
        for sc in scomps.iter() {
            let (dc, ac) = self.tables(sc, true, true)?;
            tabs.push((
                dc.cloned().ok_or(JpegError::Corrupt("missing DC table"))?,
                ac.cloned().ok_or(JpegError::Corrupt("missing AC table"))?,
            ));
        }
        let roles: Vec<Role> = scomps.iter().map(|sc| self.role(sc.ci)).collect();
        let qf: Vec<[f32; 64]> = scomps.iter().map(|sc| self.qf[sc.ci]).collect();
        let q2: Vec<[f32; 64]> = qf.iter().map(|q| q.map(|x| x * x)).collect();
        let mut restarts_left = self.restart_interval;
        let mut next_restart = 0u8;
        if let Some(w) = &window {
            for (sc, &pred) in scomps.iter_mut().zip(&w.start.preds) {
                sc.pred = pred;
            }
            restarts_left = w.start.restarts_left;
            next_restart = w.start.next_restart;
        }
        let single = scomps.len() == 1;
        let (units_x, units_y) = if single {
            let c = &frame.comps[scomps[0].ci];
            (c.bw, c.bh)
        } else {
            (frame.mcux, frame.mcuy)
        };
        let units = match &window {
            Some(w) => w.units.start..w.units.end.min(units_y),
            None => 0..units_y,
        };
        let record = window.is_none() && indexable;
        if record {
            let index = &mut self.out.rows;
            index.rows_per_unit = if single { 1 } else { frame.comps[0].v };
            index.points.clear();
            index.points.reserve(units_y);
        }
        let capturing = self.capture.is_some();
        let mut sink = Sink {
            out: &mut self.out,
            row0: window.as_ref().map_or(0, |w| w.row0),
            capture: self.capture.as_deref_mut(),
        };
        let mut block = [0i16; 64];
        for uy in units {
            // Once per row of MCUs: stop when cancelled, and as soon as the data has run out
            // (the rest of the frame would only decode padding, and the scan is refused anyway).
            if r.overrun() {
                return Err(JpegError::Truncated);
            }
            if crate::guard::cancelled() {
                return Err(JpegError::Cancelled);
            }
            if record {
                let mut preds = [0i32; 4];
                for (p, sc) in preds.iter_mut().zip(scomps.iter()) {
                    *p = sc.pred;
                }
                sink.out.rows.points.push(Checkpoint {
                    bits: r.state(),
                    preds,
                    restarts_left,
                    next_restart,
                });
            }
            for ux in 0..units_x {
                if self.restart_interval > 0 {
                    if restarts_left == 0 {
                        match r.restart() {
                            Some(m) if m == 0xD0 + next_restart => {}
                            Some(m) if (0xD0..=0xD7).contains(&m) => {
                                return Err(JpegError::Corrupt("restart markers out of order"));
                            }
                            _ => return Err(JpegError::Truncated),
                        }
                        next_restart = (next_restart + 1) & 7;
                        restarts_left = self.restart_interval;
                        for sc in scomps.iter_mut() {
                            sc.pred = 0;
                        }
                    }
                    restarts_left -= 1;
                }
                for (si, sc) in scomps.iter_mut().enumerate() {
                    let comp = &frame.comps[sc.ci];
                    let (dc_t, ac_t) = (&tabs[si].0, &tabs[si].1);
                    let (bh, bv) = if single { (1, 1) } else { (comp.h, comp.v) };
                    for by in 0..bv {
                        for bx in 0..bh {
                            let (x, y) = if single {
                                (ux, uy)
                            } else {
                                (ux * comp.h + bx, uy * comp.v + by)
                            };
                            let inside = x < comp.bw && y < comp.bh;
                            let role = if inside { roles[si] } else { Role::Skip };
                            let want_low = (capturing || sink.out.low.len() > sc.ci) && inside;
                            match role {
                                Role::Luma => {
                                    let mut acc = [0f32; 8];
                                    let dc = if want_low {
                                        decode_block_luma::<true>(
                                            r,
                                            dc_t,
                                            ac_t,
                                            &q2[si],
                                            &mut sc.pred,
                                            &mut acc,
                                            &mut block,
                                        )?
                                    } else {
                                        decode_block_luma::<false>(
                                            r,
                                            dc_t,
                                            ac_t,
                                            &q2[si],
                                            &mut sc.pred,
                                            &mut acc,
                                            &mut block,
                                        )?
                                    };
                                    sink.luma(
                                        x,
                                        y,
                                        dc,
                                        &acc,
                                        &qf[si],
                                        if want_low { Some(&block) } else { None },
                                    );
                                }
                                Role::Chroma(ci) => {
                                    let dc = decode_block_skip(
                                        r,
                                        dc_t,
                                        ac_t,
                                        &mut sc.pred,
                                        if want_low { Some(&mut block) } else { None },
                                    )?;
                                    sink.chroma(
                                        ci,
                                        x,
                                        y,
                                        dc,
                                        &qf[si],
                                        if want_low { Some(&block) } else { None },
                                    );
                                }
                                Role::Skip => {
                                    decode_block_skip(r, dc_t, ac_t, &mut sc.pred, None)?;
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(ScanEnd::of(r))
    }

    #[expect(clippy::too_many_arguments, reason = "the scan parameters of T.81 G.1")]
    fn progressive_scan(
        &mut self,
        frame: &Frame,
        scomps: &mut [ScanComp],
        start: usize,
        ss: usize,
        se: usize,
        ah: u32,
        al: u32,
    ) -> Result<ScanEnd, JpegError> {
        let mut reader = BitReader::new(self.p.data, start);
        let r = &mut reader;
        let dc_scan = ss == 0;
        let mut tabs = Vec::with_capacity(scomps.len());
        for sc in scomps.iter() {
            let need_dc = dc_scan && ah == 0;
            let (dc, ac) = self.tables(sc, need_dc, !dc_scan)?;
            tabs.push((dc.cloned(), ac.cloned()));
        }
        let single = scomps.len() == 1;
        let (units_x, units_y) = if single {
            let c = &frame.comps[scomps[0].ci];
            (c.bw, c.bh)
        } else {
            (frame.mcux, frame.mcuy)
        };
        let mut restarts_left = self.restart_interval;
        let mut next_restart = 0u8;
        let mut eobrun = 0u32;
        for uy in 0..units_y {
            if r.overrun() {
                return Err(JpegError::Truncated);
            }
            if crate::guard::cancelled() {
                return Err(JpegError::Cancelled);
            }
            for ux in 0..units_x {
                if self.restart_interval > 0 {
                    if restarts_left == 0 {
                        match r.restart() {
                            Some(m) if m == 0xD0 + next_restart => {}
                            Some(m) if (0xD0..=0xD7).contains(&m) => {
                                return Err(JpegError::Corrupt("restart markers out of order"));
                            }
                            _ => return Err(JpegError::Truncated),
                        }
                        next_restart = (next_restart + 1) & 7;
                        restarts_left = self.restart_interval;
                        eobrun = 0;
                        for sc in scomps.iter_mut() {
                            sc.pred = 0;
                        }
                    }
                    restarts_left -= 1;
                }
                for (si, sc) in scomps.iter_mut().enumerate() {
                    let comp = &frame.comps[sc.ci];
                    let (bh, bv) = if single { (1, 1) } else { (comp.h, comp.v) };
                    for by in 0..bv {
                        for bx in 0..bh {
                            let (x, y) = if single {
                                (ux, uy)
                            } else {
                                (ux * comp.h + bx, uy * comp.v + by)
                            };
                            let coefs = &mut self.coefs[sc.ci][y * comp.pbw + x];
                            if dc_scan {
                                if ah == 0 {
                                    let t = tabs[si]
                                        .0
                                        .as_ref()
                                        .ok_or(JpegError::Corrupt("missing DC table"))?;
                                    let s = u32::from(
                                        t.decode(r)
                                            .ok_or(JpegError::Corrupt("bad Huffman code"))?,
                                    );
                                    if s > 11 {
                                        return Err(JpegError::Corrupt("DC difference too large"));
                                    }
                                    let diff = r.receive_extend(s);
                                    sc.pred = sc.pred.wrapping_add(diff);
                                    coefs[0] = (sc.pred.wrapping_mul(1 << al)) as i16;
                                } else if r.bit() != 0 {
                                    coefs[0] |= (1 << al) as i16;
                                }
                            } else {
                                let t = tabs[si]
                                    .1
                                    .as_ref()
                                    .ok_or(JpegError::Corrupt("missing AC table"))?;
                                if ah == 0 {
                                    ac_first(r, t, coefs, ss, se, al, &mut eobrun)?;
                                } else {
                                    ac_refine(r, t, coefs, ss, se, al, &mut eobrun)?;
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(ScanEnd::of(r))
    }

    fn finish(mut self) -> Result<JpegBlocks, JpegError> {
        self.complete()?;
        Ok(self.out)
    }

    /// Checks that a frame and a scan were read, and turns a progressive file's coefficients
    /// into the block data.
    fn complete(&mut self) -> Result<(), JpegError> {
        let frame = self
            .frame
            .take()
            .ok_or(JpegError::Corrupt("no frame header"))?;
        if self.scans == 0 {
            return Err(JpegError::Truncated);
        }
        if frame.progressive {
            let coefs = std::mem::take(&mut self.coefs);
            if let Some(capture) = self.capture.as_mut() {
                for ((plane, comp), all) in capture.iter_mut().zip(&frame.comps).zip(&coefs) {
                    for y in 0..comp.bh {
                        for x in 0..comp.bw {
                            plane.blocks[y * comp.bw + x] = natural(&all[y * comp.pbw + x]);
                        }
                    }
                }
            }
            let mut sink = Sink {
                out: &mut self.out,
                row0: 0,
                capture: None,
            };
            for (ci, comp) in frame.comps.iter().enumerate() {
                let role = match ci {
                    0 => Role::Luma,
                    1 | 2 if sink.out.chroma.is_some() => Role::Chroma(ci),
                    _ => Role::Skip,
                };
                let want_low = sink.out.low.len() > ci;
                if role == Role::Skip && !want_low {
                    continue;
                }
                let q = &self.qf[ci];
                for y in 0..comp.bh {
                    for x in 0..comp.bw {
                        let block = &coefs[ci][y * comp.pbw + x];
                        match role {
                            Role::Luma => {
                                let mut acc = [0f32; 8];
                                for (k, &c) in block.iter().enumerate().skip(1) {
                                    if c != 0 {
                                        add_energy(&mut acc, k, c, q);
                                    }
                                }
                                sink.luma(
                                    x,
                                    y,
                                    i32::from(block[0]),
                                    &acc,
                                    q,
                                    if want_low { Some(block) } else { None },
                                );
                            }
                            Role::Chroma(c) => sink.chroma(
                                c,
                                x,
                                y,
                                i32::from(block[0]),
                                q,
                                if want_low { Some(block) } else { None },
                            ),
                            Role::Skip => {}
                        }
                    }
                }
            }
        }
        let _ = frame.width + frame.height;
        Ok(())
    }
}

/// Where the entropy-coded data of a scan ended.
struct ScanEnd {
    position: usize,
    at_marker: bool,
    overrun: bool,
}

impl ScanEnd {
    fn of(r: &BitReader<'_>) -> Self {
        ScanEnd {
            position: r.position(),
            at_marker: r.marker().is_some(),
            overrun: r.overrun(),
        }
    }
}

struct ScanComp {
    ci: usize,
    td: usize,
    ta: usize,
    pred: i32,
}

/// Writes decoded block results into the output planes.
struct Sink<'o> {
    out: &'o mut JpegBlocks,
    /// First luma block row the planes hold.
    row0: usize,
    /// Test hook ([`read_coefficients`]).
    capture: Option<&'o mut [CoefPlane]>,
}

impl Sink<'_> {
    #[inline(always)]
    fn luma(
        &mut self,
        x: usize,
        y: usize,
        dc: i32,
        acc: &[f32; 8],
        q: &[f32; 64],
        block: Option<&[i16; 64]>,
    ) {
        let i = (y - self.row0) * self.out.luma.width + x;
        self.out.luma.dc[i] = dc as f32 * q[0] * 0.125 + 128.0;
        let f = &mut self.out.luma.feat[i];
        f[feat::LOW] = acc[0];
        f[feat::MID] = acc[1];
        f[feat::HIGH] = acc[2];
        f[feat::TOP] = acc[3];
        f[feat::HOR] = acc[4];
        f[feat::VER] = acc[5];
        f[feat::DIAG] = acc[6];
        if let Some(b) = block {
            store_low(&mut self.out.low[0], i, dc, b, q);
            if let Some(capture) = self.capture.as_deref_mut() {
                capture_block(capture, 0, x, y, dc, b);
            }
        }
    }

    #[inline(always)]
    fn chroma(
        &mut self,
        ci: usize,
        x: usize,
        y: usize,
        dc: i32,
        q: &[f32; 64],
        block: Option<&[i16; 64]>,
    ) {
        if let Some(ch) = self.out.chroma.as_mut() {
            let i = y * ch.width + x;
            let v = dc as f32 * q[0] * 0.125 + 128.0;
            if ci == 1 {
                ch.cb[i] = v;
            } else {
                ch.cr[i] = v;
            }
        }
        if let Some(b) = block
            && let Some(plane) = self.out.low.get_mut(ci)
        {
            let i = y * plane.width + x;
            store_low(plane, i, dc, b, q);
        }
        if let Some(b) = block
            && let Some(capture) = self.capture.as_deref_mut()
        {
            capture_block(capture, ci, x, y, dc, b);
        }
    }
}

/// A block in zigzag order as natural order.
fn natural(zz: &[i16; 64]) -> [i16; 64] {
    let mut out = [0i16; 64];
    for (k, &v) in zz.iter().enumerate() {
        out[ZIGZAG[k]] = v;
    }
    out
}

/// Test hook: keeps a whole block (zigzag order, DC given apart) as libjpeg would.
#[cold]
fn capture_block(capture: &mut [CoefPlane], ci: usize, x: usize, y: usize, dc: i32, b: &[i16; 64]) {
    if let Some(plane) = capture.get_mut(ci)
        && let Some(slot) = plane.blocks.get_mut(y * plane.width + x)
    {
        let mut block = natural(b);
        // libjpeg stores the DC predictor as a 16-bit JCOEF.
        block[0] = dc as i16;
        *slot = block;
    }
}

/// Zigzag position of each slot of the 4×4 corner (the inverse of `LOW_SLOT`).
const LOW_ZZ: [usize; 16] = low_zz();

const fn low_zz() -> [usize; 16] {
    let mut out = [0usize; 16];
    let mut k = 0;
    while k < 64 {
        if LOW_SLOT[k] != 255 {
            out[LOW_SLOT[k] as usize] = k;
        }
        k += 1;
    }
    out
}

/// Stores the quantized 4×4 corner of a block given in zigzag order (`b[0]` is replaced by
/// `dc`): 16 gathers, no arithmetic; dequantized only where a region is rendered.
#[inline(always)]
fn store_low(plane: &mut LowPlane, i: usize, dc: i32, b: &[i16; 64], q: &[f32; 64]) {
    let mut out = [0i16; 16];
    for (slot, &k) in out.iter_mut().zip(LOW_ZZ.iter()) {
        *slot = b[k];
    }
    out[0] = dc.clamp(-32768, 32767) as i16;
    plane.coefs[i] = out;
    if plane.quant[0] == 0 {
        for (dst, &k) in plane.quant.iter_mut().zip(LOW_ZZ.iter()) {
            *dst = q[k] as u16;
        }
    }
}

#[inline(always)]
fn add_energy(acc: &mut [f32; 8], k: usize, v: impl Into<i32>, q: &[f32; 64]) {
    let d = v.into() as f32 * q[k];
    let e = d * d;
    let [band, orient] = SLOTS[k];
    acc[usize::from(band)] += e;
    acc[usize::from(orient)] += e;
}

/// `acc += e * w`, eight lanes. Written with SSE on x86-64 (part of its baseline) because the
/// optimizer keeps the plain loop scalar: 16 instructions per coefficient instead of 4.
#[inline(always)]
fn accumulate(acc: &mut [f32; 8], e: f32, w: &[f32; 8]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_add_ps, _mm_loadu_ps, _mm_mul_ps, _mm_set1_ps, _mm_storeu_ps};
        // SAFETY: SSE is always available on x86-64; every pointer covers 4 valid f32 of an
        // [f32; 8] (offsets 0 and 4), and unaligned loads/stores are used.
        unsafe {
            let e4 = _mm_set1_ps(e);
            let lo = _mm_add_ps(
                _mm_loadu_ps(acc.as_ptr()),
                _mm_mul_ps(e4, _mm_loadu_ps(w.as_ptr())),
            );
            let hi = _mm_add_ps(
                _mm_loadu_ps(acc.as_ptr().add(4)),
                _mm_mul_ps(e4, _mm_loadu_ps(w.as_ptr().add(4))),
            );
            _mm_storeu_ps(acc.as_mut_ptr(), lo);
            _mm_storeu_ps(acc.as_mut_ptr().add(4), hi);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for (a, &x) in acc.iter_mut().zip(w) {
        *a += e * x;
    }
}

/// Decodes one baseline luma block, adding AC energies into `acc`; returns the DC value
/// (quantized). With `LOW`, also keeps the coefficients (zigzag order) in `low`.
///
/// This is the hot loop of the whole analysis. Per nonzero coefficient: one table lookup that
/// decodes run, size and value at once (most of the time), then one 8-lane multiply-add of its
/// energy into the feature accumulator, which stays in registers.
#[inline(always)]
fn decode_block_luma<const LOW: bool>(
    r: &mut BitReader<'_>,
    dc_t: &Huffman,
    ac_t: &Huffman,
    q2: &[f32; 64],
    pred: &mut i32,
    acc: &mut [f32; 8],
    low: &mut [i16; 64],
) -> Result<i32, JpegError> {
    let s = u32::from(
        dc_t.decode(r)
            .ok_or(JpegError::Corrupt("bad Huffman code"))?,
    );
    if s > 11 {
        return Err(JpegError::Corrupt("DC difference too large"));
    }
    *pred = pred.wrapping_add(r.receive_extend(s));
    if LOW {
        *low = [0; 64];
    }
    let mut sum = [0f32; 8];
    // `k` is the index after the last coefficient placed.
    let mut k = 1usize;
    while k < 64 {
        // A code (<= 16 bits) and its extra bits (<= 15) fit in 32 buffered bits.
        r.ensure(32);
        let saved = r.save();
        let c = ac_t.ac_pair(r);
        if c.is_empty() {
            let rs = ac_t
                .decode_buffered(r)
                .ok_or(JpegError::Corrupt("bad Huffman code"))?;
            let run = usize::from(rs >> 4);
            let size = u32::from(rs & 15);
            if size == 0 {
                if run == 15 {
                    k += 16;
                    continue;
                }
                break; // end of block
            }
            k += run;
            let v = r.receive_extend_buffered(size);
            // A run past the end (damaged data): libjpeg still reads the value's bits and puts
            // it at the last position (its natural-order table is padded with 63s), then ends
            // the block.
            let at = k.min(63);
            accumulate(&mut sum, (v * v) as f32 * q2[at], &WEIGHTS[at]);
            if LOW {
                low[at] = v as i16;
            }
            k += 1;
            continue;
        }
        r.consume(c.len());
        k += c.advance1();
        if k > 64 {
            // End of block (or damaged data): only the first symbol's bits were this block's.
            r.rewind(saved, c.len1());
            let v1 = c.value1();
            if v1 != 0 {
                // A run past the end: libjpeg puts the value at the last position.
                accumulate(&mut sum, (v1 * v1) as f32 * q2[63], &WEIGHTS[63]);
                if LOW {
                    low[63] = v1 as i16;
                }
            }
            break;
        }
        let (p1, v1) = (k - 1, c.value1());
        accumulate(&mut sum, (v1 * v1) as f32 * q2[p1], &WEIGHTS[p1]);
        if LOW {
            low[p1] = v1 as i16;
        }
        if k == 64 {
            // The block is full: the second symbol's bits belong to the next block.
            r.rewind(saved, c.len1());
            break;
        }
        k += c.advance2();
        if k > 64 {
            // The second symbol ended the block: end of block, or a run past the end.
            let v2 = c.value2();
            if v2 != 0 {
                accumulate(&mut sum, (v2 * v2) as f32 * q2[63], &WEIGHTS[63]);
                if LOW {
                    low[63] = v2 as i16;
                }
            }
            break;
        }
        // Without a second symbol this lands on p1 again and adds nothing.
        let (p2, v2) = (k - 1, c.value2());
        accumulate(&mut sum, (v2 * v2) as f32 * q2[p2], &WEIGHTS[p2]);
        if LOW && c.advance2() != 0 {
            low[p2] = v2 as i16;
        }
    }
    *acc = sum;
    Ok(*pred)
}

/// Decodes one baseline block keeping only its DC (and, with `low`, its coefficients).
#[inline(always)]
fn decode_block_skip(
    r: &mut BitReader<'_>,
    dc_t: &Huffman,
    ac_t: &Huffman,
    pred: &mut i32,
    mut low: Option<&mut [i16; 64]>,
) -> Result<i32, JpegError> {
    let s = u32::from(
        dc_t.decode(r)
            .ok_or(JpegError::Corrupt("bad Huffman code"))?,
    );
    if s > 11 {
        return Err(JpegError::Corrupt("DC difference too large"));
    }
    *pred = pred.wrapping_add(r.receive_extend(s));
    if let Some(b) = low.as_deref_mut() {
        *b = [0; 64];
    }
    let mut k = 1usize;
    while k < 64 {
        r.ensure(32);
        let saved = r.save();
        let c = ac_t.ac_pair(r);
        if !c.is_empty() {
            r.consume(c.len());
            k += c.advance1();
            if k >= 64 {
                // Full, ended, or a run past the end (libjpeg puts that value at 63).
                if let Some(b) = low.as_deref_mut()
                    && c.value1() != 0
                {
                    b[63] = c.value1() as i16;
                }
                r.rewind(saved, c.len1());
                break;
            }
            if let Some(b) = low.as_deref_mut() {
                b[k - 1] = c.value1() as i16;
            }
            k += c.advance2();
            if k > 64 {
                if let Some(b) = low.as_deref_mut()
                    && c.value2() != 0
                {
                    b[63] = c.value2() as i16;
                }
                break;
            }
            if let Some(b) = low.as_deref_mut()
                && c.advance2() != 0
            {
                b[k - 1] = c.value2() as i16;
            }
            continue;
        }
        let rs = ac_t
            .decode_buffered(r)
            .ok_or(JpegError::Corrupt("bad Huffman code"))?;
        let run = usize::from(rs >> 4);
        let size = u32::from(rs & 15);
        if size == 0 {
            if run == 15 {
                k += 16;
                continue;
            }
            break;
        }
        k += run;
        let v = r.receive_extend_buffered(size);
        if let Some(b) = low.as_deref_mut() {
            b[k.min(63)] = v as i16;
        }
        k += 1;
    }
    Ok(*pred)
}

/// First AC scan of a progressive file for one block (T.81 G.1.2.2).
fn ac_first(
    r: &mut BitReader<'_>,
    t: &Huffman,
    coefs: &mut [i16; 64],
    ss: usize,
    se: usize,
    al: u32,
    eobrun: &mut u32,
) -> Result<(), JpegError> {
    if *eobrun > 0 {
        *eobrun -= 1;
        return Ok(());
    }
    let mut k = ss;
    while k <= se {
        let rs = t.decode(r).ok_or(JpegError::Corrupt("bad Huffman code"))?;
        let run = u32::from(rs >> 4);
        let size = u32::from(rs & 15);
        if size == 0 {
            if run < 15 {
                *eobrun = (1 << run) - 1;
                if run > 0 {
                    *eobrun += r.bits(run);
                }
                break;
            }
            k += 16;
            continue;
        }
        k += run as usize;
        let v = (r.receive_extend(size).wrapping_mul(1 << al)) as i16;
        if k > 63 {
            // A run past the end (damaged data): libjpeg still reads the value's bits and
            // puts it at the last position.
            coefs[63] = v;
            break;
        }
        coefs[k] = v;
        k += 1;
    }
    Ok(())
}

/// AC refinement scan of a progressive file for one block (T.81 G.1.2.3), as libjpeg does it.
fn ac_refine(
    r: &mut BitReader<'_>,
    t: &Huffman,
    coefs: &mut [i16; 64],
    ss: usize,
    se: usize,
    al: u32,
    eobrun: &mut u32,
) -> Result<(), JpegError> {
    let p1 = (1i32 << al) as i16;
    let m1 = (-1i32 << al) as i16;
    let mut k = ss;
    if *eobrun == 0 {
        while k <= se {
            let rs = t.decode(r).ok_or(JpegError::Corrupt("bad Huffman code"))?;
            let mut run = i32::from(rs >> 4);
            let size = rs & 15;
            let mut value = 0i16;
            if size != 0 {
                if size != 1 {
                    return Err(JpegError::Corrupt("bad refinement coefficient"));
                }
                value = if r.bit() != 0 { p1 } else { m1 };
            } else if run != 15 {
                *eobrun = 1 << run;
                if run > 0 {
                    *eobrun += r.bits(run as u32);
                }
                break;
            }
            // Step over nonzero coefficients (refining them) and `run` zero ones.
            while k <= se {
                let z = &mut coefs[k];
                if *z != 0 {
                    if r.bit() != 0 && (*z & p1) == 0 {
                        *z = if *z >= 0 {
                            z.wrapping_add(p1)
                        } else {
                            z.wrapping_add(m1)
                        };
                    }
                } else {
                    if run == 0 {
                        break;
                    }
                    run -= 1;
                }
                k += 1;
            }
            if value != 0 {
                // Past `se` (damaged data) libjpeg puts it at the next position all the same.
                coefs[k.min(63)] = value;
            }
            k += 1;
        }
    }
    if *eobrun > 0 {
        while k <= se {
            let z = &mut coefs[k];
            if *z != 0 && r.bit() != 0 && (*z & p1) == 0 {
                *z = if *z >= 0 {
                    z.wrapping_add(p1)
                } else {
                    z.wrapping_add(m1)
                };
            }
            k += 1;
        }
        *eobrun -= 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
