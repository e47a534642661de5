//! Block data for images that arrive as pixels (PNG, TIFF, WebP, HEIC, JPEG variants the fast
//! reader does not handle): the same per-8×8-block means and DCT band energies that the JPEG
//! reader takes from the coefficients, computed with an orthonormal forward DCT (JPEG's own
//! scale), so that every later step treats all formats alike.

use super::jpeg::{ChromaBlocks, LumaBlocks, NFEAT, ZIGZAG};

/// `COS[u][x] = c(u)/2 * cos((2x+1) u pi / 16)`: the orthonormal 8-point DCT-II basis.
fn cos_table() -> [[f32; 8]; 8] {
    let mut t = [[0f32; 8]; 8];
    for (u, row) in t.iter_mut().enumerate() {
        let c = if u == 0 {
            std::f32::consts::FRAC_1_SQRT_2
        } else {
            1.0
        };
        for (x, v) in row.iter_mut().enumerate() {
            *v = c * 0.5 * ((2 * x + 1) as f32 * u as f32 * std::f32::consts::PI / 16.0).cos();
        }
    }
    t
}

/// Weights of each natural-order coefficient into the feature slots (same bands as the JPEG
/// reader: see `jpeg::feat`).
fn natural_weights() -> [[f32; NFEAT]; 64] {
    let mut w = [[0f32; NFEAT]; 64];
    for (k, &n) in ZIGZAG.iter().take(64).enumerate() {
        let (u, v) = (n % 8, n / 8);
        let r = u + v;
        if k == 0 {
            continue;
        }
        let band = match r {
            1..=2 => 0,
            3..=5 => 1,
            6..=9 => 2,
            _ => 3,
        };
        w[n][band] = 1.0;
        if (3..=9).contains(&r) {
            let o = if u > v {
                4
            } else if v > u {
                5
            } else {
                6
            };
            w[n][o] = 1.0;
        }
    }
    w
}

/// Luma (JPEG's Y) and chroma block data of an RGB image.
pub fn blocks_from_rgb(img: &image::RgbImage) -> (LumaBlocks, ChromaBlocks) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let bw = w.div_ceil(8);
    let bh = h.div_ceil(8);
    let cos = cos_table();
    let weights = natural_weights();
    let mut luma = LumaBlocks {
        width: bw,
        height: bh,
        dc: vec![0.0; bw * bh],
        feat: vec![[0.0; NFEAT]; bw * bh],
    };
    let mut chroma = ChromaBlocks {
        width: bw,
        height: bh,
        x_ratio: 1,
        y_ratio: 1,
        cb: vec![128.0; bw * bh],
        cr: vec![128.0; bw * bh],
    };
    let raw = img.as_raw();
    let mut block = [[0f32; 8]; 8];
    let mut tmp = [[0f32; 8]; 8];
    for by in 0..bh {
        for bx in 0..bw {
            let (mut sy, mut scb, mut scr) = (0f32, 0f32, 0f32);
            for (y, row) in block.iter_mut().enumerate() {
                // Edge blocks repeat the last row/column, as JPEG encoders pad.
                let py = (by * 8 + y).min(h - 1);
                for (x, v) in row.iter_mut().enumerate() {
                    let px = (bx * 8 + x).min(w - 1);
                    let i = (py * w + px) * 3;
                    let (r, g, b) = (
                        f32::from(raw[i]),
                        f32::from(raw[i + 1]),
                        f32::from(raw[i + 2]),
                    );
                    let yv = 0.299 * r + 0.587 * g + 0.114 * b;
                    *v = yv - 128.0;
                    sy += yv;
                    scb += -0.168_736 * r - 0.331_264 * g + 0.5 * b;
                    scr += 0.5 * r - 0.418_688 * g - 0.081_312 * b;
                }
            }
            // Separable DCT: rows then columns.
            for y in 0..8 {
                for u in 0..8 {
                    tmp[y][u] = (0..8).map(|x| block[y][x] * cos[u][x]).sum();
                }
            }
            let mut f = [0f32; NFEAT];
            for v in 0..8 {
                for u in 0..8 {
                    if u == 0 && v == 0 {
                        continue;
                    }
                    let c: f32 = (0..8).map(|y| tmp[y][u] * cos[v][y]).sum();
                    let e = c * c;
                    for (slot, wt) in f.iter_mut().zip(weights[v * 8 + u].iter()) {
                        *slot += e * wt;
                    }
                }
            }
            let i = by * bw + bx;
            luma.dc[i] = sy / 64.0;
            luma.feat[i] = f;
            chroma.cb[i] = scb / 64.0 + 128.0;
            chroma.cr[i] = scr / 64.0 + 128.0;
        }
    }
    (luma, chroma)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_image_has_no_ac_energy_and_the_right_means() {
        let img = image::RgbImage::from_pixel(20, 12, image::Rgb([200, 100, 50]));
        let (luma, chroma) = blocks_from_rgb(&img);
        assert_eq!((luma.width, luma.height), (3, 2));
        let y = 0.299 * 200.0 + 0.587 * 100.0 + 0.114 * 50.0;
        for (i, dc) in luma.dc.iter().enumerate() {
            assert!((dc - y).abs() < 0.01, "block {i}: {dc} vs {y}");
            assert!(
                luma.feat[i].iter().all(|&e| e < 1e-3),
                "block {i}: {:?}",
                luma.feat[i]
            );
        }
        assert!(chroma.cb[0] < 128.0 && chroma.cr[0] > 128.0);
    }

    #[test]
    fn energy_is_parseval_consistent() {
        // Orthonormal DCT: the AC energy equals the sum of squared deviations from the mean.
        let img = image::RgbImage::from_fn(8, 8, |x, y| {
            let v = ((x * 31 + y * 17) % 255) as u8;
            image::Rgb([v, v, v])
        });
        let (luma, _) = blocks_from_rgb(&img);
        let f = luma.feat[0];
        let ac: f32 = f[0] + f[1] + f[2] + f[3];
        let mean = luma.dc[0];
        let dev: f32 = img
            .pixels()
            .map(|p| (f32::from(p.0[0]) - mean).powi(2))
            .sum();
        assert!((ac - dev).abs() / dev < 1e-3, "ac {ac} vs deviation {dev}");
    }
}
