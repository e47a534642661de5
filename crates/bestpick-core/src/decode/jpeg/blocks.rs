//! What a decode produces — per-block data of the luma and chroma planes, the low-frequency
//! store, every coefficient for the differential fuzz target — and sizing and allocating it
//! for a frame before any scan is read.

use super::bands::NFEAT;
use super::markers::{Component, Frame};
use super::rows::Checkpoint;
use super::rows::RowIndex;
use super::{Decoder, JpegError};

/// Per-block data of the luma plane.
#[derive(Debug, Clone, Default)]
pub struct LumaBlocks {
    /// Blocks across.
    pub width: usize,
    /// Blocks down.
    pub height: usize,
    /// Block means, 0..=255 (the 1/8-size grey image).
    pub dc: Vec<f32>,
    /// Per block, the energy of the dequantized AC coefficients by band (see [`feat`](super::feat)).
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
    /// First block row held (0 unless read with [`read_low_rows`](super::read_low_rows)).
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
    /// again later (see [`read_low_rows`](super::read_low_rows)). Empty for progressive and multi-scan files.
    pub rows: RowIndex,
    /// The memory reserved for this decode (see [`crate::guard::reserve`]).
    pub budget: Option<std::sync::Arc<crate::guard::Reservation>>,
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

/// Empties `v` and refills it with `n` copies of `x`, keeping its allocation.
pub(super) fn refill<T: Clone>(v: &mut Vec<T>, n: usize, x: T) {
    v.clear();
    v.resize(n, x);
}

impl Decoder<'_> {
    /// Reserves the memory the frame needs from the budget, (re)allocates the output planes for
    /// it, and keeps the frame for the scans.
    pub(super) fn start_frame(&mut self, frame: Frame) -> Result<(), JpegError> {
        let Frame {
            progressive,
            width,
            height,
            comps,
            mcus_x,
            mcus_y,
        } = frame;
        let ncomps = comps.len();
        let hmax = comps[0].h_factor;
        let vmax = comps[0].v_factor;
        let luma = &comps[0];
        // Block rows held: all of them, or those of the window's MCU rows.
        let (row0, rows) = match &self.window {
            Some(w) => {
                let row0 = w.row0.min(luma.blocks_y);
                let end = (w.mcu_rows.end * luma.v_factor.max(1)).min(luma.blocks_y);
                (row0, end - row0)
            }
            None => (0, luma.blocks_y),
        };
        let blocks = luma.blocks_x * rows;
        self.out.budget = None;
        let need = self.memory_needed(&comps, blocks, progressive, mcus_y);
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
        let luma_out = &mut self.out.luma;
        luma_out.width = luma.blocks_x;
        luma_out.height = rows;
        refill(&mut luma_out.dc, blocks, 0.0);
        refill(&mut luma_out.feat, blocks, [0.0; NFEAT]);
        let old_chroma = self.out.chroma.take();
        if self.opts.color && ncomps == 3 {
            let c = &comps[1];
            let mut ch = old_chroma.unwrap_or_default();
            ch.width = c.blocks_x;
            ch.height = c.blocks_y;
            ch.x_ratio = hmax / c.h_factor;
            ch.y_ratio = vmax / c.v_factor;
            refill(&mut ch.cb, c.blocks_x * c.blocks_y, 128.0);
            refill(&mut ch.cr, c.blocks_x * c.blocks_y, 128.0);
            self.out.chroma = Some(ch);
        }
        let old_low = std::mem::take(&mut self.out.low);
        if self.opts.low {
            // Luma only: renders of face crops take their colour from the chroma block means.
            let mut plane = old_low.into_iter().next().unwrap_or_default();
            plane.width = luma.blocks_x;
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
                .map(|c| vec![[0i16; 64]; c.padded_x * c.padded_y])
                .collect();
        }
        if let Some(capture) = self.capture.as_mut() {
            *capture = comps
                .iter()
                .map(|c| CoefPlane {
                    width: c.blocks_x,
                    height: c.blocks_y,
                    blocks: vec![[0i16; 64]; c.blocks_x * c.blocks_y],
                })
                .collect();
        }
        self.frame = Some(Frame {
            progressive,
            width,
            height,
            comps,
            mcus_x,
            mcus_y,
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
            need += (c.blocks_x * c.blocks_y) as u64 * 8 + luma_blocks * 8;
        }
        if self.opts.low {
            need += luma_blocks * std::mem::size_of::<[i16; 16]>() as u64;
        }
        if progressive {
            need += comps
                .iter()
                .map(|c| (c.padded_x * c.padded_y) as u64 * 128)
                .sum::<u64>();
        }
        if self.capture.is_some() {
            need += comps
                .iter()
                .map(|c| (c.blocks_x * c.blocks_y) as u64 * 128)
                .sum::<u64>();
        }
        need + mcu_rows as u64 * std::mem::size_of::<Checkpoint>() as u64
    }
}
