//! Faces in the analysis: runs `bestpick-faces` on what the decode already produced.
//!
//! For a large JPEG there are no full pixels: the detector looks at the 1/8-size colour image
//! the DC terms make, and face crops are rendered at half resolution from the 4×4
//! lowest-frequency coefficients of the blocks a face covers (an inverse DCT of 16 coefficients
//! per block). Those coefficients are read again only for the rows of blocks around a face,
//! resuming the entropy decoder at the nearest row of MCUs (see
//! [`crate::decode::jpeg::read_low_rows`]), so a frame without faces costs no more than the
//! detector. Small JPEGs and other formats use their pixels.

use std::sync::{Mutex, OnceLock};

use bestpick_faces::{FaceModels, FaceOptions, PixelSource, RgbSource, resample};
use image::RgbImage;

pub use bestpick_faces::{EyeState, Face};

use crate::decode::jpeg::{self, LowPlane};
use crate::decode::{DecodeOptions, Decoded};
use crate::thumbnail::{apply_orientation, block_image, block_image_scaled, ycc_to_rgb};

/// JPEGs up to this long side are decoded to full pixels for face analysis (cheap at this size,
/// and their 1/8 image would be too small to find faces in).
const FULL_DECODE_MAX_SIDE: u32 = 2048;
/// Longest side of the overview the detector sees for images analyzed from full pixels.
const OVERVIEW_SIDE: u32 = 1024;

static MODELS: OnceLock<Result<FaceModels, String>> = OnceLock::new();

/// The face models, loaded once per process (see [`FaceModels::locate`] for where they are
/// looked for). The error is a sentence saying what is missing.
pub fn models() -> Result<&'static FaceModels, String> {
    MODELS
        .get_or_init(|| FaceModels::locate().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// Whether the face models are there, without loading them (loading takes about a third of a
/// second, which a run that finds every photo in the catalog should not pay). [`models`]
/// loads them on first use. The error is a sentence saying what is missing.
pub fn available() -> Result<(), String> {
    if let Some(loaded) = MODELS.get() {
        return loaded.as_ref().map(|_| ()).map_err(Clone::clone);
    }
    FaceModels::find_dir()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Finds faces and judges their eyes and focus. `pixels` are the decode's full pixels (taken
/// out of it, stored orientation) when a full decoder made them; `data` are the bytes of the
/// decoded image (used to decode small JPEGs fully within `decode`'s memory budget, and to read
/// face regions of large ones again).
pub fn analyze(
    models: &FaceModels,
    d: &Decoded,
    pixels: Option<RgbImage>,
    data: Option<&[u8]>,
    decode: &DecodeOptions,
) -> Result<Vec<Face>, String> {
    let opts = FaceOptions::default();
    let o = d.orientation();
    let result = if let Some(px) = pixels.or_else(|| d.pixels.clone()) {
        bestpick_faces::analyze_faces(
            models,
            &RgbSource::new(apply_orientation(px, o), OVERVIEW_SIDE),
            &opts,
        )
    } else if d.width.max(d.height) <= FULL_DECODE_MAX_SIDE
        && let Some(img) =
            data.and_then(|b| crate::decode::rgb_pixels(b, crate::FileKind::Jpeg, decode).ok())
    {
        let img = apply_orientation(img, o);
        bestpick_faces::analyze_faces(models, &RgbSource::new(img, OVERVIEW_SIDE), &opts)
    } else {
        bestpick_faces::analyze_faces(models, &BlockPixels::new(d, data), &opts)
    };
    result.map_err(|e| e.to_string())
}

/// Pixels of a JPEG known only by its block data.
struct BlockPixels<'a> {
    d: &'a Decoded,
    /// The JPEG's bytes, to read face regions' low-frequency coefficients from.
    data: Option<&'a [u8]>,
    /// Oriented full size.
    size: (u32, u32),
    /// Oriented 1/8-size image, made when first asked for (tiles, big faces): the detector's
    /// view of the frame is made from the block means directly (see `whole`).
    overview: OnceLock<RgbImage>,
    /// Low-frequency coefficients read so far (some rows, or all of them).
    rows: Mutex<Option<LowPlane>>,
}

impl<'a> BlockPixels<'a> {
    fn new(d: &'a Decoded, data: Option<&'a [u8]>) -> Self {
        let o = d.orientation();
        let size = if o >= 5 {
            (d.height, d.width)
        } else {
            (d.width, d.height)
        };
        BlockPixels {
            d,
            data,
            size,
            overview: OnceLock::new(),
            rows: Mutex::new(None),
        }
    }

    /// Whether half-resolution renders are possible: low-frequency coefficients kept by the
    /// decode, or the bytes to read them from.
    fn has_low(&self) -> bool {
        !self.d.low.is_empty() || self.data.is_some()
    }

    /// Calls `f` with low-frequency luma coefficients covering block rows `by0..by1` (stored
    /// orientation): the decode's, or read now for those rows (together with the rows read
    /// before, so several faces share one read). `None` when they cannot be had.
    fn with_low<R>(&self, by0: usize, by1: usize, f: impl FnOnce(&LowPlane) -> R) -> Option<R> {
        if let Some(plane) = self.d.low.first() {
            return Some(f(plane));
        }
        let data = self.data?;
        let mut held = self
            .rows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let covered = held
            .as_ref()
            .is_some_and(|p| p.row0 <= by0 && by1 <= p.row0 + p.height);
        if !covered {
            let (lo, hi) = match held.as_ref() {
                Some(p) => (by0.min(p.row0), by1.max(p.row0 + p.height)),
                None => (by0, by1),
            };
            let plane = if self.d.rows.is_empty() {
                // Progressive (or multi-scan) file: rows cannot be resumed; read it all once.
                let opts = jpeg::JpegOptions {
                    color: false,
                    low: true,
                    ..jpeg::JpegOptions::default()
                };
                jpeg::read_blocks(data, &opts).ok()?.low.pop()?
            } else {
                jpeg::read_low_rows(data, &self.d.rows, lo..hi).ok()?
            };
            *held = Some(plane);
        }
        held.as_ref().map(f)
    }

    /// Stored position of an upright position (continuous pixel coordinates).
    fn to_stored(&self, x: f32, y: f32) -> (f32, f32) {
        let (w, h) = (self.d.width as f32, self.d.height as f32);
        match self.d.orientation() {
            2 => (w - x, y),
            3 => (w - x, h - y),
            4 => (x, h - y),
            5 => (y, x),
            6 => (y, h - x),
            7 => (w - y, h - x),
            8 => (w - y, x),
            _ => (x, y),
        }
    }

    /// Upright position of a stored position.
    fn to_upright(&self, x: f32, y: f32) -> (f32, f32) {
        let (w, h) = (self.d.width as f32, self.d.height as f32);
        match self.d.orientation() {
            2 => (w - x, y),
            3 => (w - x, h - y),
            4 => (x, h - y),
            5 => (y, x),
            6 => (h - y, x),
            7 => (h - y, w - x),
            8 => (y, w - x),
            _ => (x, y),
        }
    }

    /// Pixels of luma blocks `[bx0, bx1) × [by0, by1)` at `n`/8 resolution (`n` = 4: half,
    /// 2: quarter), stored orientation: a separable n-point inverse DCT of each block's n×n
    /// lowest coefficients.
    #[expect(
        clippy::needless_range_loop,
        reason = "x and y index two arrays: the transform rows and the output"
    )]
    fn reduced(
        &self,
        luma: &LowPlane,
        bx0: usize,
        by0: usize,
        bx1: usize,
        by1: usize,
        n: usize,
    ) -> RgbImage {
        let (pw, ph) = ((bx1 - bx0) * n, (by1 - by0) * n);
        let mut raw = vec![0u8; pw * ph * 3];
        let basis = idct_basis(n);
        // The n-point basis carries n/8 of the 8-point amplitude per dimension.
        let gain = n as f32 / 8.0;
        for by in by0..by1 {
            for bx in bx0..bx1 {
                let i = by * luma.width + bx;
                // Rows outside the coefficients held stay black; `with_low` reads the rows a
                // rectangle needs before rendering it, so this is only a guard.
                let Some(coefs) = by
                    .checked_sub(luma.row0)
                    .and_then(|r| luma.coefs.get(r * luma.width + bx))
                else {
                    continue;
                };
                let q = &luma.quant;
                let (cb, cr) = self
                    .d
                    .chroma
                    .as_ref()
                    .map_or((0.0, 0.0), |c| (c.cb[i] - 128.0, c.cr[i] - 128.0));
                // Rows: t[v][x] = sum_u F[v][u] B[u][x]; then columns.
                let mut t = [[0f32; 4]; 4];
                for (v, tv) in t.iter_mut().enumerate().take(n) {
                    for (x, txv) in tv.iter_mut().enumerate().take(n) {
                        *txv = (0..n)
                            .map(|u| {
                                f32::from(coefs[v * 4 + u]) * f32::from(q[v * 4 + u]) * basis[u][x]
                            })
                            .sum();
                    }
                }
                for y in 0..n {
                    let row = ((by - by0) * n + y) * pw;
                    for x in 0..n {
                        let acc: f32 = (0..n).map(|v| t[v][x] * basis[v][y]).sum();
                        let yv = gain * acc + 128.0;
                        let o = (row + (bx - bx0) * n + x) * 3;
                        raw[o..o + 3].copy_from_slice(&ycc_to_rgb(yv, cb, cr));
                    }
                }
            }
        }
        RgbImage::from_raw(pw as u32, ph as u32, raw)
            .unwrap_or_else(|| RgbImage::new(pw as u32, ph as u32))
    }
}

/// `B[u][x] = c(u) * sqrt(2/n) * cos((2x+1) u pi / 2n)`: the orthonormal n-point DCT basis
/// (n = 2 or 4; unused entries are zero). An 8×8 block's n×n corner through this inverse,
/// scaled by n/8, gives its (8/n)×(8/n)-averaged pixels.
fn idct_basis(n: usize) -> [[f32; 4]; 4] {
    let mut b = [[0f32; 4]; 4];
    let scale = (2.0 / n as f32).sqrt();
    for (u, row) in b.iter_mut().enumerate().take(n) {
        let c = if u == 0 {
            std::f32::consts::FRAC_1_SQRT_2
        } else {
            1.0
        };
        for (x, v) in row.iter_mut().enumerate().take(n) {
            *v = c
                * scale
                * ((2 * x + 1) as f32 * u as f32 * std::f32::consts::PI / (2 * n) as f32).cos();
        }
    }
    b
}

impl PixelSource for BlockPixels<'_> {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn overview(&self) -> &RgbImage {
        self.overview
            .get_or_init(|| apply_orientation(block_image(self.d), self.d.orientation()))
    }

    fn whole(&self, out_w: u32, out_h: u32) -> RgbImage {
        let o = self.d.orientation();
        let (w, h) = if o >= 5 {
            (out_h, out_w)
        } else {
            (out_w, out_h)
        };
        apply_orientation(block_image_scaled(self.d, w, h), o)
    }

    fn render(&self, rect: [f32; 4], out_w: u32, out_h: u32) -> RgbImage {
        let [x, y, w, h] = rect;
        let reduction = (w / out_w.max(1) as f32).min(h / out_h.max(1) as f32);
        let from_overview = || {
            let overview = self.overview();
            let s = overview.width() as f32 / self.size.0.max(1) as f32;
            resample(overview, [x * s, y * s, w * s, h * s], out_w, out_h)
        };
        if reduction >= 8.0 || !self.has_low() {
            // The 1/8 image holds all the detail this output can show.
            return from_overview();
        }
        // Stored blocks covering the rectangle, one block of margin.
        let corners = [self.to_stored(x, y), self.to_stored(x + w, y + h)];
        let (sx0, sx1) = (
            corners[0].0.min(corners[1].0),
            corners[0].0.max(corners[1].0),
        );
        let (sy0, sy1) = (
            corners[0].1.min(corners[1].1),
            corners[0].1.max(corners[1].1),
        );
        let (bw, bh) = (self.d.luma.width, self.d.luma.height);
        let clampx = |v: f32| (v.max(0.0) as usize).min(bw);
        let clampy = |v: f32| (v.max(0.0) as usize).min(bh);
        let (bx0, bx1) = (clampx(sx0 / 8.0 - 1.0), clampx(sx1 / 8.0 + 2.0));
        let (by0, by1) = (clampy(sy0 / 8.0 - 1.0), clampy(sy1 / 8.0 + 2.0));
        if bx1 <= bx0 || by1 <= by0 {
            return RgbImage::new(out_w, out_h);
        }
        // Quarter resolution is enough when the output is 4x smaller or more.
        let n = if reduction >= 4.0 { 2 } else { 4 };
        let k = (8 / n) as f32;
        let Some(stored) = self.with_low(by0, by1, |p| self.reduced(p, bx0, by0, bx1, by1, n))
        else {
            return from_overview();
        };
        let patch = apply_orientation(stored, self.d.orientation());
        // Where the patch sits in upright reduced coordinates.
        let a = self.to_upright((bx0 * 8) as f32, (by0 * 8) as f32);
        let b = self.to_upright((bx1 * 8) as f32, (by1 * 8) as f32);
        let (ox, oy) = (a.0.min(b.0) / k, a.1.min(b.1) / k);
        resample(&patch, [x / k - ox, y / k - oy, w / k, h / k], out_w, out_h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{DecodeOptions, decode};
    use crate::scan::FileKind;

    /// A JPEG rendered through the block source must look like the same region of a full decode,
    /// whether the decode kept the low-frequency coefficients or they are read again by rows.
    #[test]
    fn block_renders_match_full_decodes_in_every_orientation() {
        let img = RgbImage::from_fn(640, 480, |x, y| {
            let v = ((x as f32 / 23.0).sin() * 60.0 + (y as f32 / 17.0).cos() * 60.0 + 128.0) as u8;
            image::Rgb([v, v / 2 + 40, 255 - v])
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
            .encode_image(&img)
            .expect("encode");
        let kept = DecodeOptions {
            low: true,
            ..Default::default()
        };
        let kept = decode(&jpeg, FileKind::Jpeg, &kept).expect("decode");
        let by_rows = decode(&jpeg, FileKind::Jpeg, &DecodeOptions::default()).expect("decode");
        assert!(by_rows.low.is_empty() && !by_rows.rows.is_empty());
        for o in 1..=8u16 {
            for (base, data) in [(&kept, None), (&by_rows, Some(jpeg.as_slice()))] {
                let mut d = base.clone();
                d.exif.info.orientation = o;
                let src = BlockPixels::new(&d, data);
                let upright = apply_orientation(img.clone(), o);
                assert_eq!(src.size(), upright.dimensions(), "orientation {o}");
                // Half resolution (2x reduction) and quarter resolution (5x).
                for (rect, ow, oh) in [
                    ([100.0, 120.0, 160.0, 120.0], 80, 60),
                    ([40.0, 30.0, 400.0, 300.0], 80, 60),
                ] {
                    let got = src.render(rect, ow, oh);
                    let want = resample(&upright, rect, ow, oh);
                    // Luma only: the block source keeps one chroma value per block.
                    let luma = |p: &image::Rgb<u8>| {
                        0.299 * f32::from(p.0[0])
                            + 0.587 * f32::from(p.0[1])
                            + 0.114 * f32::from(p.0[2])
                    };
                    let diff: f32 = got
                        .pixels()
                        .zip(want.pixels())
                        .map(|(a, b)| (luma(a) - luma(b)).abs())
                        .sum::<f32>()
                        / (80.0 * 60.0);
                    assert!(
                        diff < 6.0,
                        "orientation {o}, {rect:?}, rows read again: {}: mean difference {diff}",
                        data.is_some()
                    );
                }
            }
        }
    }

    /// The detector's view of the frame, made from the block means directly, must look like
    /// the overview shrunk (the default `PixelSource::whole`), in every orientation.
    #[test]
    fn the_detector_view_matches_the_shrunk_overview_in_every_orientation() {
        let img = RgbImage::from_fn(1200, 800, |x, y| {
            let v = ((x as f32 / 41.0).sin() * 70.0 + (y as f32 / 29.0).cos() * 50.0 + 128.0) as u8;
            image::Rgb([v, 255 - v / 2, (x / 5 % 256) as u8])
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode_image(&img)
            .expect("encode");
        let base = decode(&jpeg, FileKind::Jpeg, &DecodeOptions::default()).expect("decode");
        for o in 1..=8u16 {
            let mut d = base.clone();
            d.exif.info.orientation = o;
            let src = BlockPixels::new(&d, Some(&jpeg));
            let (w, h) = if o >= 5 { (64, 96) } else { (96, 64) };
            let got = src.whole(w, h);
            let overview = src.overview();
            let want = resample(
                overview,
                [0.0, 0.0, overview.width() as f32, overview.height() as f32],
                w,
                h,
            );
            assert_eq!(got.dimensions(), (w, h), "orientation {o}");
            let diff: f32 = got
                .as_raw()
                .iter()
                .zip(want.as_raw())
                .map(|(&a, &b)| (f32::from(a) - f32::from(b)).abs())
                .sum::<f32>()
                / (w * h * 3) as f32;
            assert!(diff < 2.0, "orientation {o}: mean difference {diff}");
        }
    }
}
