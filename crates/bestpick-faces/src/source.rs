//! Where the pixels come from: the [`PixelSource`] trait the caller implements, and
//! [`RgbSource`], a plain implementation over a decoded image.

use image::RgbImage;

/// The pixels of one photo, already turned upright (EXIF orientation applied).
///
/// The face stage asks for two things: a small overview of the whole frame, on which the
/// detector runs, and crops at a higher resolution, asked for only where faces were found (and,
/// for large frames, the detector's tiles). A JPEG decoder can answer the first from a scaled
/// (1/8) decode and the second from a 1/2 decode of the region, so the full image never has to
/// exist in memory.
pub trait PixelSource: Sync {
    /// Size of the full oriented image in pixels (width, height).
    fn size(&self) -> (u32, u32);

    /// A reduced copy of the whole oriented image with the same aspect ratio (for example
    /// 750×500 for a 6000×4000 JPEG); the full image when it is small.
    fn overview(&self) -> &RgbImage;

    /// The region `rect` = `[x, y, w, h]` (in full oriented pixels; it may reach past the
    /// image, the outside is padded) resampled to `out_w`×`out_h`.
    ///
    /// Implementations may render from a reduced copy (a JPEG's 1/2 decode): the result then
    /// holds less detail than the full image, which is fine as long as it is the same for every
    /// frame of a burst.
    fn render(&self, rect: [f32; 4], out_w: u32, out_h: u32) -> RgbImage;

    /// The whole oriented image resampled to `out_w`×`out_h`: what the detector sees of the
    /// frame (192×128 for a 3:2 frame). The default shrinks the overview; a source that can
    /// make it more cheaply from what it holds may do that instead, as long as the result is a
    /// box-filtered view of the frame like the default's.
    fn whole(&self, out_w: u32, out_h: u32) -> RgbImage {
        let o = self.overview();
        resample(
            o,
            [0.0, 0.0, o.width() as f32, o.height() as f32],
            out_w,
            out_h,
        )
    }
}

/// A [`PixelSource`] over a fully decoded image: for non-JPEG inputs and tests.
///
/// The overview is an area-averaged copy whose longer side is at most `overview_max_side`;
/// crops are rendered from the full image, padded by repeating the edge pixels. Large images
/// also keep a quarter-resolution copy (made in the same pass as the overview), from which
/// crops reduced 4× or more are rendered: a big face then costs a few hundred thousand pixel
/// reads instead of millions.
#[derive(Debug, Clone)]
pub struct RgbSource {
    full: RgbImage,
    quarter: Option<RgbImage>,
    overview: RgbImage,
}

/// Images whose longer side is at least this keep a quarter-resolution copy.
const QUARTER_MIN_SIDE: u32 = 1600;

impl RgbSource {
    /// Wraps `img`; builds the overview (the image itself when its longer side is already at
    /// most `overview_max_side`).
    pub fn new(img: RgbImage, overview_max_side: u32) -> Self {
        let (w, h) = img.dimensions();
        let long = w.max(h);
        let quarter = (long >= QUARTER_MIN_SIDE).then(|| block_average(&img, 4));
        let overview = if long <= overview_max_side.max(1) || w == 0 || h == 0 {
            img.clone()
        } else {
            let s = overview_max_side.max(1) as f32 / long as f32;
            let ow = ((w as f32 * s).round() as u32).max(1);
            let oh = ((h as f32 * s).round() as u32).max(1);
            match &quarter {
                // Quarter pixel i covers full pixels 4i..4i+4: coordinates divide by 4.
                Some(q) if ow * 4 <= w => {
                    resample(q, [0.0, 0.0, w as f32 / 4.0, h as f32 / 4.0], ow, oh)
                }
                _ => resample(&img, [0.0, 0.0, w as f32, h as f32], ow, oh),
            }
        };
        RgbSource {
            full: img,
            quarter,
            overview,
        }
    }

    /// The full image this source wraps.
    pub fn image(&self) -> &RgbImage {
        &self.full
    }
}

impl PixelSource for RgbSource {
    fn size(&self) -> (u32, u32) {
        self.full.dimensions()
    }

    fn overview(&self) -> &RgbImage {
        &self.overview
    }

    fn render(&self, rect: [f32; 4], out_w: u32, out_h: u32) -> RgbImage {
        let reduction = (rect[2] / out_w.max(1) as f32).min(rect[3] / out_h.max(1) as f32);
        match &self.quarter {
            Some(q) if reduction >= 4.0 => {
                let r = rect.map(|v| v / 4.0);
                resample(q, r, out_w, out_h)
            }
            _ => resample(&self.full, rect, out_w, out_h),
        }
    }
}

/// Resamples `rect` of `img` to `out_w`×`out_h`, clamping reads to the image (edge padding).
///
/// Downscaling first averages whole blocks of `b`×`b` source pixels (`b` = the integer part of
/// the scale factor, so every source pixel is read once), then finishes with bilinear
/// interpolation at a ratio below 2. Upscaling is bilinear.
/// Resamples `rect` (x, y, w, h in `img` pixels; may extend past the image, which is padded by
/// its edge) to `out_w` × `out_h`: box-averaged when shrinking, bilinear otherwise.
pub fn resample(img: &RgbImage, rect: [f32; 4], out_w: u32, out_h: u32) -> RgbImage {
    let mut out = RgbImage::new(out_w, out_h);
    let (iw, ih) = img.dimensions();
    if out_w == 0 || out_h == 0 || iw == 0 || ih == 0 {
        return out;
    }
    let [rx, ry, rw, rh] = rect;
    let sx = rw / out_w as f32;
    let sy = rh / out_h as f32;
    let block = sx.min(sy).floor().max(1.0) as u32;
    // Source plane (possibly block-averaged) covering the rect plus one pixel of margin.
    let plane = Plane::from_rect(img, rect, block);
    let xs = plane.taps(rx, sx, out_w as usize, Axis::X);
    let ys = plane.taps(ry, sy, out_h as usize, Axis::Y);
    let pw = plane.w as usize;
    let raw = out.as_mut();
    for (oy, ty) in ys.iter().enumerate() {
        let row0 = &plane.data[ty.i0 * pw * 3..(ty.i0 + 1) * pw * 3];
        let row1 = &plane.data[ty.i1 * pw * 3..(ty.i1 + 1) * pw * 3];
        let dst = &mut raw[oy * out_w as usize * 3..(oy + 1) * out_w as usize * 3];
        for (tx, d) in xs.iter().zip(dst.chunks_exact_mut(3)) {
            for c in 0..3 {
                let top = row0[3 * tx.i0 + c] * (1.0 - tx.a) + row0[3 * tx.i1 + c] * tx.a;
                let bottom = row1[3 * tx.i0 + c] * (1.0 - tx.a) + row1[3 * tx.i1 + c] * tx.a;
                d[c] = (top * (1.0 - ty.a) + bottom * ty.a + 0.5).clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

/// Averages whole `b`×`b` blocks (partial blocks at the right and bottom edges average what
/// they hold): pixel i of the result covers pixels `b·i .. b·i + b`.
fn block_average(img: &RgbImage, b: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return img.clone();
    }
    let plane = Plane::from_rect(img, [0.0, 0.0, w as f32, h as f32], b);
    // The plane starts at cell 0 and may hold one cell of margin less than the rect asks.
    let (ow, oh) = (w.div_ceil(b), h.div_ceil(b));
    let mut out = RgbImage::new(ow, oh);
    let pw = plane.w as usize;
    for (y, row) in out.as_mut().chunks_exact_mut(ow as usize * 3).enumerate() {
        let src = &plane.data[y * pw * 3..][..ow as usize * 3];
        for (d, s) in row.iter_mut().zip(src) {
            *d = (s + 0.5).clamp(0.0, 255.0) as u8;
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Axis {
    X,
    Y,
}

/// Bilinear taps for one output coordinate: cells `i0`, `i1` and the weight of `i1`.
struct Tap {
    i0: usize,
    i1: usize,
    a: f32,
}

/// A block-averaged window of an image, addressed in full-image coordinates.
struct Plane {
    /// Interleaved RGB, `w`×`h` cells.
    data: Vec<f32>,
    w: i64,
    h: i64,
    /// Full-image coordinate of cell (0, 0)'s left/top edge.
    x0: f32,
    y0: f32,
    block: f32,
}

impl Plane {
    fn from_rect(img: &RgbImage, rect: [f32; 4], block: u32) -> Plane {
        let (iw, ih) = (img.width() as i64, img.height() as i64);
        let b = block as i64;
        // Cells aligned to multiples of `block` in image coordinates, clamped to the image.
        let cx0 = ((rect[0].floor() as i64 - b) / b).max(0);
        let cy0 = ((rect[1].floor() as i64 - b) / b).max(0);
        let cx1 = (((rect[0] + rect[2]).ceil() as i64 + 2 * b) / b).min((iw + b - 1) / b);
        let cy1 = (((rect[1] + rect[3]).ceil() as i64 + 2 * b) / b).min((ih + b - 1) / b);
        // A rect entirely outside the image still needs the nearest edge cells.
        let cx0 = cx0.min((iw - 1) / b);
        let cy0 = cy0.min((ih - 1) / b);
        let cx1 = cx1.max(cx0 + 1);
        let cy1 = cy1.max(cy0 + 1);
        let w = cx1 - cx0;
        let h = cy1 - cy0;
        let mut data = vec![0.0f32; (w * h * 3) as usize];
        let raw = img.as_raw();
        if b == 1 {
            for y in 0..h {
                let sy = (cy0 + y) as usize;
                let row = &raw[(sy * iw as usize + cx0 as usize) * 3..][..w as usize * 3];
                let dst = &mut data[(y * w * 3) as usize..][..w as usize * 3];
                for (d, s) in dst.iter_mut().zip(row) {
                    *d = *s as f32;
                }
            }
        } else {
            // Sum whole b×b blocks row by row: each source pixel is read once, in order.
            let bu = b as usize;
            let mut acc = vec![0u32; w as usize * 3];
            for cy in 0..h as usize {
                acc.fill(0);
                let sy0 = (cy0 as usize + cy) * bu;
                let sy1 = (sy0 + bu).min(ih as usize);
                for sy in sy0..sy1 {
                    let row = &raw[sy * iw as usize * 3..(sy + 1) * iw as usize * 3];
                    for cx in 0..w as usize {
                        let sx0 = (cx0 as usize + cx) * bu;
                        let sx1 = (sx0 + bu).min(iw as usize);
                        let (mut r, mut g, mut bl) = (0u32, 0u32, 0u32);
                        for px in row[sx0 * 3..sx1 * 3].chunks_exact(3) {
                            r += px[0] as u32;
                            g += px[1] as u32;
                            bl += px[2] as u32;
                        }
                        acc[3 * cx] += r;
                        acc[3 * cx + 1] += g;
                        acc[3 * cx + 2] += bl;
                    }
                }
                for cx in 0..w as usize {
                    let sx0 = (cx0 as usize + cx) * bu;
                    let n = ((sy1 - sy0) * ((sx0 + bu).min(iw as usize) - sx0)).max(1) as f32;
                    let d = &mut data[(cy * w as usize + cx) * 3..][..3];
                    for ch in 0..3 {
                        d[ch] = acc[3 * cx + ch] as f32 / n;
                    }
                }
            }
        }
        Plane {
            data,
            w,
            h,
            x0: (cx0 * b) as f32,
            y0: (cy0 * b) as f32,
            block: b as f32,
        }
    }

    /// Taps for `n` output pixels starting at full-image coordinate `start`, `step` full
    /// pixels apart (sampling at pixel centres), clamped to the plane.
    fn taps(&self, start: f32, step: f32, n: usize, axis: Axis) -> Vec<Tap> {
        let (origin, len) = match axis {
            Axis::X => (self.x0, self.w),
            Axis::Y => (self.y0, self.h),
        };
        (0..n)
            .map(|o| {
                let f = start + (o as f32 + 0.5) * step;
                let u = ((f - origin) / self.block - 0.5).clamp(0.0, (len - 1) as f32);
                let i0 = u.floor() as usize;
                Tap {
                    i0,
                    i1: (i0 + 1).min(len as usize - 1),
                    a: u - i0 as f32,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        })
    }

    #[test]
    fn overview_keeps_aspect_and_small_images_whole() {
        let cases = [
            ("large landscape", 6000, 4000, 750, (750, 500)),
            ("large portrait", 400, 1000, 500, (200, 500)),
            ("small stays whole", 300, 200, 750, (300, 200)),
        ];
        for (name, w, h, max_side, want) in cases {
            let src = RgbSource::new(gradient(w, h), max_side);
            assert_eq!(src.overview().dimensions(), want, "{name}");
            assert_eq!(src.size(), (w, h), "{name}");
        }
    }

    #[test]
    fn render_identity_crop_and_padding() {
        let img = gradient(64, 48);
        let src = RgbSource::new(img.clone(), 64);
        // Same-size crop reproduces the pixels.
        let crop = src.render([10.0, 5.0, 20.0, 10.0], 20, 10);
        for (x, y, p) in crop.enumerate_pixels() {
            assert_eq!(p, img.get_pixel(x + 10, y + 5), "identity crop at {x},{y}");
        }
        // Outside the image: edge pixels repeat.
        let pad = src.render([-20.0, -20.0, 10.0, 10.0], 10, 10);
        assert!(
            pad.pixels().all(|p| p == img.get_pixel(0, 0)),
            "top-left padding"
        );
        let pad = src.render([100.0, 10.0, 10.0, 4.0], 10, 4);
        assert!(
            pad.pixels().all(|p| p[0] == 63),
            "right padding repeats the last column"
        );
    }

    #[test]
    fn quarter_copy_renders_like_the_full_image() {
        let img = RgbImage::from_fn(2000, 1600, |x, y| {
            image::Rgb([
                (x / 8 % 256) as u8,
                (y / 7 % 256) as u8,
                ((x + y) / 16 % 256) as u8,
            ])
        });
        let src = RgbSource::new(img.clone(), 750);
        assert!(src.quarter.is_some(), "large image keeps a quarter copy");
        let cases = [
            ("8x reduction", [100.0, 100.0, 1600.0, 1200.0], (200, 150)),
            (
                "4x reduction, off the edge",
                [-50.0, 1000.0, 800.0, 800.0],
                (200, 200),
            ),
        ];
        for (name, rect, (w, h)) in cases {
            let fast = src.render(rect, w, h);
            let slow = resample(&img, rect, w, h);
            let worst = fast
                .as_raw()
                .iter()
                .zip(slow.as_raw())
                .map(|(a, b)| (*a as i32 - *b as i32).abs())
                .max()
                .unwrap_or(0);
            assert!(worst <= 3, "{name}: largest difference {worst}");
        }
    }

    #[test]
    fn render_downscale_averages() {
        // A 1-px checkerboard averages to mid-grey whatever the (integer or not) factor.
        let img = RgbImage::from_fn(300, 200, |x, y| {
            let v = if (x + y) % 2 == 0 { 0 } else { 255 };
            image::Rgb([v, v, v])
        });
        let src = RgbSource::new(img, 300);
        for (name, out) in [("factor 4", (75, 50)), ("factor 2.5", (120, 80))] {
            let small = src.render([0.0, 0.0, 300.0, 200.0], out.0, out.1);
            let mean = small.pixels().map(|p| p[0] as f32).sum::<f32>() / (out.0 * out.1) as f32;
            let worst = small
                .pixels()
                .map(|p| (p[0] as f32 - 127.5).abs())
                .fold(0.0, f32::max);
            assert!((mean - 127.5).abs() < 2.0, "{name}: mean {mean}");
            assert!(
                worst < 70.0,
                "{name}: no aliasing to black/white, worst {worst}"
            );
        }
    }
}
