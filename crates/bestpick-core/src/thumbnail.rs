//! Thumbnails from what the analysis already decoded: for a large JPEG the block means (luma and
//! chroma DC terms) are a 1/8-size colour image, more than enough for a grid thumbnail, so no
//! second decode is needed. Small JPEGs and other formats use their pixels.

use image::{RgbImage, imageops};

use crate::decode::{DecodeOptions, Decoded};

/// Renders an upright thumbnail whose longer side is at most `side` pixels. `data` are the file's
/// bytes, used only when the block image is too small for the requested size (decoded within
/// `opts`' memory budget).
pub fn thumbnail(
    d: &Decoded,
    data: Option<&[u8]>,
    side: u32,
    opts: &DecodeOptions,
) -> Option<RgbImage> {
    let stored = if let Some(px) = &d.pixels {
        shrink(px, side)
    } else if (d.luma.width.max(d.luma.height) as u32) >= side || data.is_none() {
        let (w, h) = fit(d.luma.width as u32, d.luma.height as u32, side);
        block_image_scaled(d, w, h)
    } else {
        // A small JPEG: its 1/8 image would be a stamp. Decode it fully (cheap at this size).
        let img = crate::decode::rgb_pixels(data?, crate::FileKind::Jpeg, opts).ok()?;
        shrink(&img, side)
    };
    Some(apply_orientation(stored, d.orientation()))
}

/// The 1/8-size colour image made of block means.
pub fn block_image(d: &Decoded) -> RgbImage {
    let (w, h) = (d.luma.width, d.luma.height);
    let n = w * h;
    let mut raw = vec![0u8; n * 3];
    let luma = &d.luma.dc[..n.min(d.luma.dc.len())];
    match d
        .chroma
        .as_ref()
        .filter(|c| c.cb.len() >= n && c.cr.len() >= n)
    {
        Some(c) => {
            for (((px, &yv), &cb), &cr) in raw.chunks_exact_mut(3).zip(luma).zip(&c.cb).zip(&c.cr) {
                px.copy_from_slice(&ycc_to_rgb(yv, cb - 128.0, cr - 128.0));
            }
        }
        None => {
            for (px, &yv) in raw.chunks_exact_mut(3).zip(luma) {
                px.fill(yv.clamp(0.0, 255.0) as u8);
            }
        }
    }
    RgbImage::from_raw(w as u32, h as u32, raw).unwrap_or_else(|| RgbImage::new(w as u32, h as u32))
}

/// The block-mean image (see [`block_image`]) area-averaged down to `w`×`h` pixels, stored
/// orientation, without making the full block image first: each output pixel is the mean of
/// the block means it covers, weighted by how much of each it covers. Averaging luma and
/// chroma before the conversion to RGB gives the same colours as averaging RGB, except where
/// a channel clips.
pub fn block_image_scaled(d: &Decoded, w: u32, h: u32) -> RgbImage {
    let (bw, bh) = (d.luma.width, d.luma.height);
    let n = bw * bh;
    let (ow, oh) = (w as usize, h as usize);
    if ow == 0 || oh == 0 || n == 0 || d.luma.dc.len() < n {
        return RgbImage::new(w, h);
    }
    let mut planes: Vec<&[f32]> = vec![&d.luma.dc[..n]];
    if let Some(c) = d
        .chroma
        .as_ref()
        .filter(|c| c.cb.len() >= n && c.cr.len() >= n)
    {
        planes.push(&c.cb[..n]);
        planes.push(&c.cr[..n]);
    }
    let cols = area_weights(bw, ow);
    let rows = area_weights(bh, oh);
    // Rows first (whole source rows added with their weights, which vectorizes), then columns
    // of the few rows left: Y, Cb, Cr planes of `ow`×`oh`.
    let mut short = vec![0f32; bw];
    let mut out = vec![vec![0f32; ow * oh]; planes.len()];
    for (plane, dst) in planes.iter().zip(out.iter_mut()) {
        for ((first, weights), out_row) in rows.iter().zip(dst.chunks_exact_mut(ow)) {
            short.fill(0.0);
            for (k, &wgt) in weights.iter().enumerate() {
                let src = &plane[(first + k) * bw..][..bw];
                for (a, v) in short.iter_mut().zip(src) {
                    *a += v * wgt;
                }
            }
            for ((first, weights), o) in cols.iter().zip(out_row.iter_mut()) {
                *o = short[*first..]
                    .iter()
                    .zip(weights)
                    .map(|(a, b)| a * b)
                    .sum();
            }
        }
    }
    let mut raw = vec![0u8; ow * oh * 3];
    match out.as_slice() {
        [y, cb, cr] => {
            for (((px, &y), &cb), &cr) in raw.chunks_exact_mut(3).zip(y).zip(cb).zip(cr) {
                px.copy_from_slice(&ycc_to_rgb(y, cb - 128.0, cr - 128.0));
            }
        }
        [y, ..] => {
            for (px, &y) in raw.chunks_exact_mut(3).zip(y) {
                px.fill(y.clamp(0.0, 255.0) as u8);
            }
        }
        [] => {}
    }
    RgbImage::from_raw(w, h, raw).unwrap_or_else(|| RgbImage::new(w, h))
}

/// JFIF YCbCr to RGB, chroma centred on 0, clamped to 0..=255.
#[inline(always)]
pub(crate) fn ycc_to_rgb(y: f32, cb: f32, cr: f32) -> [u8; 3] {
    [
        (y + 1.402 * cr).clamp(0.0, 255.0) as u8,
        (y - 0.344_136 * cb - 0.714_136 * cr).clamp(0.0, 255.0) as u8,
        (y + 1.772 * cb).clamp(0.0, 255.0) as u8,
    ]
}

/// For `n` outputs spread evenly over `len` inputs: each output's first input, and the weights
/// (summing to 1) of the inputs it covers, by how much of each it covers.
fn area_weights(len: usize, n: usize) -> Vec<(usize, Vec<f32>)> {
    let scale = len as f64 / n as f64;
    (0..n)
        .map(|i| {
            let (a, b) = (i as f64 * scale, (i + 1) as f64 * scale);
            let first = (a.floor() as usize).min(len - 1);
            let last = (b.ceil() as usize).clamp(first + 1, len);
            let weights = (first..last)
                .map(|j| ((b.min(j as f64 + 1.0) - a.max(j as f64)).max(0.0) / scale) as f32)
                .collect();
            (first, weights)
        })
        .collect()
}

/// The size of `w`×`h` shrunk so that its longer side is at most `side`.
fn fit(w: u32, h: u32, side: u32) -> (u32, u32) {
    if w.max(h) <= side {
        return (w, h);
    }
    let scale = f64::from(side) / f64::from(w.max(h));
    (
        (f64::from(w) * scale).round().max(1.0) as u32,
        (f64::from(h) * scale).round().max(1.0) as u32,
    )
}

fn shrink(img: &RgbImage, side: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    if w.max(h) <= side {
        return img.clone();
    }
    let (nw, nh) = fit(w, h, side);
    imageops::thumbnail(img, nw, nh)
}

/// Turns a stored-orientation image upright (EXIF orientation 1..=8; anything else is left as
/// stored), with the `image` crate's own mapping (the one the contribution's anonymizer uses).
pub fn apply_orientation(img: RgbImage, o: u16) -> RgbImage {
    let Some(orientation) = u8::try_from(o)
        .ok()
        .and_then(image::metadata::Orientation::from_exif)
    else {
        return img;
    };
    let mut turned = image::DynamicImage::ImageRgb8(img);
    turned.apply_orientation(orientation);
    turned.into_rgb8()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::orient;

    #[test]
    fn orientation_matches_the_grid_mapping() {
        // The pixel rotation must agree with decode::orient, which maps block grids.
        let img = RgbImage::from_fn(3, 2, |x, y| image::Rgb([(y * 3 + x) as u8, 0, 0]));
        for o in 1..=8u16 {
            let rotated = apply_orientation(img.clone(), o);
            let (ow, oh) = orient::size(o, 3, 2);
            assert_eq!(
                (rotated.width() as usize, rotated.height() as usize),
                (ow, oh),
                "orientation {o}"
            );
            let data: Vec<u8> = img.pixels().map(|p| p.0[0]).collect();
            let mapped = orient::apply(o, &data, 3, 2);
            let got: Vec<u8> = rotated.pixels().map(|p| p.0[0]).collect();
            assert_eq!(got, mapped, "orientation {o}");
        }
    }

    /// The scaled block image is the area average of the block image, weighting each block
    /// by how much of it an output pixel covers (checked here by a plain 2-D sum), for
    /// integer and fractional ratios, shrinking and enlarging, colour and grey.
    #[test]
    fn scaled_block_image_is_the_area_average_of_the_block_image() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/photos/singles/sklearn_china.jpg"
        );
        let data = std::fs::read(path).expect("fixture");
        let mut d = crate::decode::decode(
            &data,
            crate::scan::FileKind::Jpeg,
            &crate::decode::DecodeOptions::default(),
        )
        .expect("decode");
        for grey in [false, true] {
            if grey {
                d.chroma = None;
            }
            let full = block_image(&d);
            let (bw, bh) = full.dimensions();
            for (w, h) in [
                (bw / 2, bh / 2),
                (37, 23),
                (bw, bh),
                (bw + 7, bh + 3),
                (1, 1),
            ] {
                let got = block_image_scaled(&d, w, h);
                assert_eq!(got.dimensions(), (w, h));
                let (sx, sy) = (bw as f64 / w as f64, bh as f64 / h as f64);
                let mut worst = 0f64;
                for (x, y, px) in got.enumerate_pixels() {
                    let (x0, x1) = (x as f64 * sx, (x + 1) as f64 * sx);
                    let (y0, y1) = (y as f64 * sy, (y + 1) as f64 * sy);
                    let mut sum = [0f64; 3];
                    for (u, v, q) in full.enumerate_pixels() {
                        let ox = (x1.min(u as f64 + 1.0) - x0.max(u as f64)).max(0.0);
                        let oy = (y1.min(v as f64 + 1.0) - y0.max(v as f64)).max(0.0);
                        for (s, &v) in sum.iter_mut().zip(&q.0) {
                            *s += ox * oy * f64::from(v);
                        }
                    }
                    for (s, &v) in sum.iter().zip(&px.0) {
                        worst = worst.max((s / (sx * sy) - f64::from(v)).abs());
                    }
                }
                // Rounding to u8 twice in the reference, and clipping before instead of after
                // the average, account for a level or two.
                assert!(
                    worst <= 3.0,
                    "{w}x{h}, grey {grey}: worst difference {worst}"
                );
            }
        }
    }
}
