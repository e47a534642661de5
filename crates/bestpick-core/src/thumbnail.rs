//! Thumbnails from what the analysis already decoded: for a large JPEG the block means (luma and
//! chroma DC terms) are a 1/8-size colour image, more than enough for a grid thumbnail, so no
//! second decode is needed. Small JPEGs and other formats use their pixels.

use image::{RgbImage, imageops};

use crate::decode::Decoded;

/// Renders an upright thumbnail whose longer side is at most `side` pixels. `data` are the file's
/// bytes, used only when the block image is too small for the requested size.
pub fn thumbnail(d: &Decoded, data: Option<&[u8]>, side: u32) -> Option<RgbImage> {
    let stored = if let Some(px) = &d.pixels {
        shrink(px, side)
    } else if (d.luma.width.max(d.luma.height) as u32) >= side || data.is_none() {
        shrink(&block_image(d), side)
    } else {
        // A small JPEG: its 1/8 image would be a stamp. Decode it fully (cheap at this size).
        let img = image::load_from_memory(data?).ok()?.to_rgb8();
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
                let (cb, cr) = (cb - 128.0, cr - 128.0);
                px[0] = (yv + 1.402 * cr).clamp(0.0, 255.0) as u8;
                px[1] = (yv - 0.344_136 * cb - 0.714_136 * cr).clamp(0.0, 255.0) as u8;
                px[2] = (yv + 1.772 * cb).clamp(0.0, 255.0) as u8;
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

fn shrink(img: &RgbImage, side: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    if w.max(h) <= side {
        return img.clone();
    }
    let scale = f64::from(side) / f64::from(w.max(h));
    let (nw, nh) = (
        (f64::from(w) * scale).round().max(1.0) as u32,
        (f64::from(h) * scale).round().max(1.0) as u32,
    );
    imageops::thumbnail(img, nw, nh)
}

/// Turns a stored-orientation image upright (EXIF orientation 1..=8).
pub fn apply_orientation(img: RgbImage, o: u16) -> RgbImage {
    match o {
        2 => imageops::flip_horizontal(&img),
        3 => imageops::rotate180(&img),
        4 => imageops::flip_vertical(&img),
        5 => imageops::flip_horizontal(&imageops::rotate90(&img)),
        6 => imageops::rotate90(&img),
        7 => imageops::flip_horizontal(&imageops::rotate270(&img)),
        8 => imageops::rotate270(&img),
        _ => img,
    }
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
}
