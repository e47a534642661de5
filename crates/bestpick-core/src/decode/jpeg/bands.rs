//! The frequency bands of an 8×8 block: which zigzag positions feed which feature of a luma
//! block ([`feat`]), as lookup tables built at compile time, and the two ways of adding a
//! coefficient's energy into a block's feature accumulator (the baseline hot loop's 8-lane
//! multiply-add, and the progressive path's per-coefficient add).

/// Number of features per luma block, see [`LumaBlocks::feat`](super::LumaBlocks::feat).
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
        let natural = ZIGZAG[k];
        let u = natural % 8;
        let v = natural / 8;
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

#[inline(always)]
pub(super) fn add_energy(acc: &mut [f32; 8], k: usize, v: impl Into<i32>, q: &[f32; 64]) {
    let d = v.into() as f32 * q[k];
    let e = d * d;
    let [band, orient] = SLOTS[k];
    acc[usize::from(band)] += e;
    acc[usize::from(orient)] += e;
}

/// Eight `f32` lanes on a 32-byte boundary, so that SSE arithmetic reads them straight from
/// memory (aligned operands fold into the multiply: two loads fewer per coefficient).
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
pub(super) struct Lanes(pub(super) [f32; 8]);

/// Per zigzag position, its squared quantization step in the feature slots its energy adds to
/// and 0 elsewhere: `v² × row` is then the energy of coefficient `v` in every slot at once,
/// rounded exactly like `(v² × q²) × weight`, since each weight is 0 or 1.
pub(super) fn energy_rows(quant_sq: &[f32; 64]) -> [Lanes; 64] {
    let mut rows = [Lanes([0.0; 8]); 64];
    for ((row, w), &q) in rows.iter_mut().zip(&WEIGHTS).zip(quant_sq) {
        row.0 = w.map(|w| w * q);
    }
    rows
}

/// `acc += x * row`, eight lanes. Written with SSE on x86-64 (part of its baseline) because the
/// optimizer keeps the plain loop scalar: 16 instructions per coefficient instead of 4.
#[inline(always)]
pub(super) fn accumulate(acc: &mut [f32; 8], x: f32, row: &Lanes) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            _mm_add_ps, _mm_load_ps, _mm_loadu_ps, _mm_mul_ps, _mm_set1_ps, _mm_storeu_ps,
        };
        // SAFETY: SSE is always available on x86-64; `acc` covers 8 valid f32 (unaligned loads
        // and stores at offsets 0 and 4), and `row` 8 valid f32 on a 32-byte boundary (aligned
        // loads at offsets 0 and 4, i.e. bytes 0 and 16).
        unsafe {
            let x4 = _mm_set1_ps(x);
            let w = row.0.as_ptr();
            let lo = _mm_add_ps(_mm_loadu_ps(acc.as_ptr()), _mm_mul_ps(x4, _mm_load_ps(w)));
            let hi = _mm_add_ps(
                _mm_loadu_ps(acc.as_ptr().add(4)),
                _mm_mul_ps(x4, _mm_load_ps(w.add(4))),
            );
            _mm_storeu_ps(acc.as_mut_ptr(), lo);
            _mm_storeu_ps(acc.as_mut_ptr().add(4), hi);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for (a, &w) in acc.iter_mut().zip(&row.0) {
        *a += x * w;
    }
}
