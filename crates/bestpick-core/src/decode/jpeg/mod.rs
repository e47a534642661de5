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

mod bands;
mod baseline;
mod bits;
mod blocks;
mod huffman;
mod markers;
mod progressive;
mod restart;
mod rows;
mod sink;
#[doc(hidden)]
pub mod synth;

pub(crate) use bands::ZIGZAG;
pub use bands::{NFEAT, feat};
use bits::BitReader;
pub use blocks::{ChromaBlocks, CoefPlane, JpegBlocks, LowPlane, LumaBlocks};
use huffman::Huffman;
use markers::{Frame, Parser};
pub use markers::{JpegHeader, exif_payload, read_header};
use rows::RowWindow;
pub use rows::{RowIndex, read_low_rows};

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
    let mut decoder = Decoder::new(data, *opts, recycled)?;
    decoder.run()?;
    decoder.into_blocks()
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
    let mut decoder = Decoder::new(data, opts, JpegBlocks::default())?;
    decoder.capture = Some(Vec::new());
    decoder.run()?;
    decoder.check_and_measure()?;
    Ok(decoder.capture.take().unwrap_or_default())
}

/// What a component's blocks are used for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Luma,
    Chroma(usize),
    Skip,
}

struct Decoder<'a> {
    parser: Parser<'a>,
    opts: JpegOptions,
    quant_tables: [Option<[u16; 64]>; 4],
    dc_tables: [Option<Huffman>; 4],
    ac_tables: [Option<Huffman>; 4],
    restart_interval: usize,
    frame: Option<Frame>,
    adobe_transform: Option<u8>,
    jfif: bool,
    /// Per component: quantization table (zigzag order) as f32, latched at the first scan.
    quant_f32: Vec<[f32; 64]>,
    /// Progressive files: all coefficients, per component over the padded block grid.
    coefs: Vec<Vec<[i16; 64]>>,
    scans: usize,
    /// Sequential files: the components (bit per frame index) that had their scan. Each may
    /// have only one: a second would overwrite the first's blocks, and the row index, made
    /// in the first, would no longer match what was kept.
    scanned: u8,
    eoi: bool,
    /// Set when reading only some rows again ([`read_low_rows`]).
    window: Option<RowWindow>,
    /// Test hook ([`read_coefficients`]): every coefficient of every component.
    capture: Option<Vec<CoefPlane>>,
    /// Last, so that a decoder dropped on an error frees `coefs` before the reservation in
    /// `out` ends (see [`crate::guard::on_large_release`]).
    out: JpegBlocks,
}

impl<'a> Decoder<'a> {
    fn new(data: &'a [u8], opts: JpegOptions, recycled: JpegBlocks) -> Result<Self, JpegError> {
        Ok(Decoder {
            parser: Parser::new(data)?,
            opts,
            quant_tables: [None; 4],
            dc_tables: [None, None, None, None],
            ac_tables: [None, None, None, None],
            restart_interval: 0,
            frame: None,
            adobe_transform: None,
            jfif: false,
            out: recycled,
            quant_f32: Vec::new(),
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
            let marker = match self.parser.next_marker() {
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
                    let seg = self.parser.segment()?;
                    let frame = markers::parse_frame(
                        seg,
                        marker == 0xC2,
                        self.opts.max_pixels,
                        self.adobe_transform,
                        self.jfif,
                    )?;
                    self.start_frame(frame)?;
                }
                0xC3 | 0xC5..=0xC7 => {
                    return Err(JpegError::Unsupported("lossless or hierarchical"));
                }
                0xC9..=0xCB | 0xCD..=0xCF => {
                    return Err(JpegError::Unsupported("arithmetic coding"));
                }
                0xCC => return Err(JpegError::Unsupported("arithmetic coding")),
                0xC4 => {
                    let seg = self.parser.segment()?;
                    self.read_dht(seg)?;
                }
                0xDB => {
                    let seg = self.parser.segment()?;
                    self.read_dqt(seg)?;
                }
                0xDD => {
                    let seg = self.parser.segment()?;
                    if seg.len() < 2 {
                        return Err(JpegError::Corrupt("short restart interval"));
                    }
                    self.restart_interval = usize::from(u16::from_be_bytes([seg[0], seg[1]]));
                }
                0xDA => {
                    if self.scans >= MAX_SCANS {
                        return Err(JpegError::Corrupt("more scans than any encoder writes"));
                    }
                    let seg = self.parser.segment()?;
                    self.read_scan(seg)?;
                    self.scans += 1;
                    if self.window.is_some() {
                        return Ok(());
                    }
                }
                0xE0 => {
                    let seg = self.parser.segment()?;
                    if seg.starts_with(b"JFIF\0") {
                        self.jfif = true;
                    }
                }
                0xEE => {
                    let seg = self.parser.segment()?;
                    if seg.len() >= 12 && seg.starts_with(b"Adobe") {
                        self.adobe_transform = Some(seg[11]);
                    }
                }
                _ => {
                    self.parser.segment()?;
                }
            }
        }
    }

    fn role(&self, ci: usize) -> Role {
        match ci {
            0 => Role::Luma,
            1 | 2 if self.out.chroma.is_some() => Role::Chroma(ci),
            _ => Role::Skip,
        }
    }

    fn latch_quant(&mut self) -> Result<(), JpegError> {
        if !self.quant_f32.is_empty() {
            return Ok(());
        }
        let frame = self
            .frame
            .as_ref()
            .ok_or(JpegError::Corrupt("scan before frame header"))?;
        for c in &frame.comps {
            let q = self.quant_tables[c.quant_table]
                .ok_or(JpegError::Corrupt("missing quantization table"))?;
            let mut qf = [0f32; 64];
            for (dst, &src) in qf.iter_mut().zip(q.iter()) {
                *dst = f32::from(src);
            }
            self.quant_f32.push(qf);
        }
        let luma_tq = frame.comps[0].quant_table;
        self.out.luma_quant = self.quant_tables[luma_tq]
            .map(|q| q.to_vec())
            .unwrap_or_default();
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
        let mut scan_comps = Vec::with_capacity(ns);
        let mut in_scan = 0u8;
        for i in 0..ns {
            let id = seg[1 + 2 * i];
            let selectors = seg[2 + 2 * i];
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
            let (td, ta) = (usize::from(selectors >> 4), usize::from(selectors & 15));
            if td > 3 || ta > 3 {
                return Err(JpegError::Corrupt("bad table selector"));
            }
            scan_comps.push(ScanComp {
                comp: ci,
                dc_table: td,
                ac_table: ta,
                pred: 0,
            });
        }
        let ss = usize::from(seg[1 + 2 * ns]);
        let se = usize::from(seg[2 + 2 * ns]);
        let ah = u32::from(seg[3 + 2 * ns] >> 4);
        let al = u32::from(seg[3 + 2 * ns] & 15);
        let start = self.parser.pos;
        let end = if frame.progressive {
            if ss > se || se > 63 || (ss == 0 && se != 0) || (ss > 0 && ns != 1) || al > 13 {
                return Err(JpegError::Corrupt("bad progressive scan parameters"));
            }
            self.progressive_scan(&frame, &mut scan_comps, start, ss, se, ah, al)?
        } else {
            self.scanned |= in_scan;
            self.baseline_scan(&frame, &mut scan_comps, start)?
        };
        if end.overrun {
            return Err(JpegError::Truncated);
        }
        // Continue parsing after the entropy-coded data: find its ending marker.
        let mut pos = end.position;
        if !end.at_marker {
            while pos + 1 < self.parser.data.len()
                && !(self.parser.data[pos] == 0xFF
                    && self.parser.data[pos + 1] != 0
                    && !(0xD0..=0xD7).contains(&self.parser.data[pos + 1]))
            {
                pos += 1;
            }
        }
        self.parser.pos = pos;
        Ok(())
    }

    fn huffman_tables(
        &self,
        sc: &ScanComp,
        need_dc: bool,
        need_ac: bool,
    ) -> Result<(Option<&Huffman>, Option<&Huffman>), JpegError> {
        let dc = if need_dc {
            Some(
                self.dc_tables[sc.dc_table]
                    .as_ref()
                    .ok_or(JpegError::Corrupt("missing DC Huffman table"))?,
            )
        } else {
            None
        };
        let ac = if need_ac {
            Some(
                self.ac_tables[sc.ac_table]
                    .as_ref()
                    .ok_or(JpegError::Corrupt("missing AC Huffman table"))?,
            )
        } else {
            None
        };
        Ok((dc, ac))
    }

    fn into_blocks(mut self) -> Result<JpegBlocks, JpegError> {
        self.check_and_measure()?;
        Ok(self.out)
    }

    /// Checks that a frame and a scan were read, and turns a progressive file's coefficients
    /// into the block data.
    fn check_and_measure(&mut self) -> Result<(), JpegError> {
        let frame = self
            .frame
            .take()
            .ok_or(JpegError::Corrupt("no frame header"))?;
        if self.scans == 0 {
            return Err(JpegError::Truncated);
        }
        if frame.progressive {
            self.measure_coefficients(&frame);
        }
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
    fn of(reader: &BitReader<'_>) -> Self {
        ScanEnd {
            position: reader.position(),
            at_marker: reader.marker().is_some(),
            overrun: reader.overrun(),
        }
    }
}

struct ScanComp {
    /// Index of the component in the frame.
    comp: usize,
    /// DC Huffman table id.
    dc_table: usize,
    /// AC Huffman table id.
    ac_table: usize,
    /// DC prediction (the previous block's DC).
    pred: i32,
}

#[cfg(test)]
mod tests;
