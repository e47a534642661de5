//! Where decoded blocks go: the luma block means and band energies, the chroma block means, the
//! 4×4 low-frequency store, and (test hook) whole blocks for the differential fuzz target.

use super::bands::{ZIGZAG, feat};
use super::{CoefPlane, JpegBlocks, LowPlane};

/// Writes decoded block results into the output planes.
pub(super) struct BlockSink<'o> {
    pub(super) out: &'o mut JpegBlocks,
    /// First luma block row the planes hold.
    pub(super) row0: usize,
    /// Test hook ([`read_coefficients`](super::read_coefficients)).
    pub(super) capture: Option<&'o mut [CoefPlane]>,
}

impl BlockSink<'_> {
    #[inline(always)]
    pub(super) fn luma(
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
    pub(super) fn chroma(
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
pub(super) fn natural(zz: &[i16; 64]) -> [i16; 64] {
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

/// Slot in the 4×4 low-frequency store of each zigzag position, 255 when outside it.
const LOW_SLOT: [u8; 64] = low_slots();

const fn low_slots() -> [u8; 64] {
    let mut out = [255u8; 64];
    let mut k = 0;
    while k < 64 {
        let natural = ZIGZAG[k];
        let u = natural % 8;
        let v = natural / 8;
        if u < 4 && v < 4 {
            out[k] = (v * 4 + u) as u8;
        }
        k += 1;
    }
    out
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
