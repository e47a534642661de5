//! Reading some rows of MCUs again: the entropy decoder's state at the start of each row of a
//! single-scan baseline file ([`RowIndex`], recorded by the baseline scan), and
//! [`read_low_rows`], which resumes from it to read the low-frequency coefficients of face
//! regions without decoding the rows above them.

use super::bits::BitState;
use super::restart::RestartCount;
use super::{Decoder, JpegBlocks, JpegError, JpegOptions, LowPlane};

/// The entropy decoder's state at the start of each row of MCUs of a single-scan baseline
/// JPEG: resuming from one reads the rows after it without decoding the rows before.
#[derive(Debug, Clone, Default)]
pub struct RowIndex {
    /// Luma block rows per MCU row.
    pub(super) rows_per_unit: usize,
    pub(super) points: Vec<Checkpoint>,
}

impl RowIndex {
    /// True when rows cannot be read on their own (progressive or multi-scan file).
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Checkpoint {
    pub(super) bits: BitState,
    pub(super) preds: [i32; 4],
    pub(super) restarts: RestartCount,
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
    let mut decoder = Decoder::new(data, opts, JpegBlocks::default())?;
    decoder.window = Some(RowWindow {
        start: index.points[first],
        mcu_rows: first..end,
        row0: first * per,
    });
    decoder.run()?;
    decoder
        .out
        .low
        .pop()
        .ok_or(JpegError::Corrupt("no scan with the rows"))
}

/// Rows of MCUs read by [`read_low_rows`].
#[derive(Debug, Clone)]
pub(super) struct RowWindow {
    pub(super) start: Checkpoint,
    pub(super) mcu_rows: std::ops::Range<usize>,
    /// First luma block row.
    pub(super) row0: usize,
}
