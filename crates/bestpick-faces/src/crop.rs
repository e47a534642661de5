//! Rotated square crops: the face crop for the mesh and the eye crops for the iris model.
//!
//! A face is rendered once by the [`PixelSource`] into a [`Patch`] (an axis-aligned square
//! around the face at a fixed resolution relative to the face), and every model input is then
//! sampled from that patch, rotated so the eyes are level.

use image::RgbImage;

use crate::source::PixelSource;

/// An axis-aligned rendering of part of the full image: patch pixel = (full − origin) · scale.
pub(crate) struct Patch {
    pub img: RgbImage,
    pub origin: [f32; 2],
    pub scale: f32,
}

impl Patch {
    /// Renders the square `[cx − half, cy − half, 2·half, 2·half]` at `scale` patch pixels per
    /// full pixel.
    pub fn render(src: &dyn PixelSource, center: [f32; 2], half: f32, scale: f32) -> Patch {
        let n = ((2.0 * half * scale).ceil() as u32).max(1);
        // Keep the exact scale: widen the rect to n / scale full pixels.
        let side = n as f32 / scale;
        let origin = [center[0] - side / 2.0, center[1] - side / 2.0];
        let img = src.render([origin[0], origin[1], side, side], n, n);
        Patch { img, origin, scale }
    }

    /// Full-image point → patch pixel coordinates (continuous, pixel centres at +0.5).
    pub fn patch_point(&self, p: [f32; 2]) -> [f32; 2] {
        [
            (p[0] - self.origin[0]) * self.scale,
            (p[1] - self.origin[1]) * self.scale,
        ]
    }

    /// A copy at half the resolution (2×2 box average), for model inputs that need less
    /// detail than the patch holds.
    pub fn half(&self) -> Patch {
        let (w, h) = self.img.dimensions();
        let (hw, hh) = ((w / 2).max(1), (h / 2).max(1));
        let src = self.img.as_raw();
        let mut out = RgbImage::new(hw, hh);
        let dst: &mut [u8] = &mut out;
        for y in 0..hh as usize {
            let y0 = (2 * y).min(h as usize - 1);
            let y1 = (2 * y + 1).min(h as usize - 1);
            for x in 0..hw as usize {
                let x0 = (2 * x).min(w as usize - 1);
                let x1 = (2 * x + 1).min(w as usize - 1);
                for c in 0..3 {
                    let at = |xx: usize, yy: usize| src[3 * (yy * w as usize + xx) + c] as u16;
                    let sum = at(x0, y0) + at(x1, y0) + at(x0, y1) + at(x1, y1);
                    dst[3 * (y * hw as usize + x) + c] = ((sum + 2) / 4) as u8;
                }
            }
        }
        Patch {
            img: out,
            origin: self.origin,
            // Half pixel i covers patch pixels 2i and 2i + 1: exactly half the scale.
            scale: self.scale / 2.0,
        }
    }

    /// Bilinear sample at continuous patch coordinates, clamped to the patch.
    #[inline]
    fn sample(&self, x: f32, y: f32, out: &mut [f32; 3]) {
        let (w, h) = (self.img.width() as usize, self.img.height() as usize);
        let u = (x - 0.5).clamp(0.0, (w - 1) as f32);
        let v = (y - 0.5).clamp(0.0, (h - 1) as f32);
        let x0 = u as usize;
        let y0 = v as usize;
        let x1 = (x0 + 1).min(w - 1);
        let y1 = (y0 + 1).min(h - 1);
        let (ax, ay) = (u - x0 as f32, v - y0 as f32);
        let raw = self.img.as_raw();
        let (i00, i10) = (3 * (y0 * w + x0), 3 * (y0 * w + x1));
        let (i01, i11) = (3 * (y1 * w + x0), 3 * (y1 * w + x1));
        for (c, o) in out.iter_mut().enumerate() {
            let top = raw[i00 + c] as f32 * (1.0 - ax) + raw[i10 + c] as f32 * ax;
            let bottom = raw[i01 + c] as f32 * (1.0 - ax) + raw[i11 + c] as f32 * ax;
            *o += top * (1.0 - ay) + bottom * ay;
        }
    }
}

/// A square in the full image, rotated by `angle` (radians, the direction of the crop's x axis
/// in the image) and optionally mirrored, that a model sees as an `n`×`n` input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Crop {
    pub center: [f32; 2],
    pub side: f32,
    pub angle: f32,
    pub mirror: bool,
}

impl Crop {
    /// The square through two points (eye keypoints, eye corners) made level: centred
    /// between them (or at `center`), `side` wide.
    pub fn level(a: [f32; 2], b: [f32; 2], center: [f32; 2], side: f32, mirror: bool) -> Crop {
        Crop {
            center,
            side,
            angle: (b[1] - a[1]).atan2(b[0] - a[0]),
            mirror,
        }
    }

    /// Crop coordinates (continuous, 0..n) → full-image pixels.
    pub fn full_point(&self, u: f32, v: f32, n: f32) -> [f32; 2] {
        let mut d = (u / n - 0.5) * self.side;
        let e = (v / n - 0.5) * self.side;
        if self.mirror {
            d = -d;
        }
        let (s, c) = self.angle.sin_cos();
        [
            self.center[0] + d * c - e * s,
            self.center[1] + d * s + e * c,
        ]
    }

    /// Half the side of the axis-aligned square holding the rotated crop.
    pub fn bounding_half(&self) -> f32 {
        let (s, c) = self.angle.sin_cos();
        self.side / 2.0 * (s.abs() + c.abs())
    }

    /// Samples the crop from `patch` as an `n`×`n` image, averaging enough sub-samples per
    /// pixel to avoid aliasing when the patch holds more detail than the crop.
    pub fn sample(&self, patch: &Patch, n: u32) -> RgbImage {
        let ratio = self.side * patch.scale / n as f32; // patch pixels per crop pixel
        let sub = (ratio.ceil() as u32).clamp(1, 4);
        let nf = n as f32;
        // The crop → patch map is affine: p(u, v) = p0 + u·du + v·dv.
        let p0 = patch.patch_point(self.full_point(0.0, 0.0, nf));
        let pu = patch.patch_point(self.full_point(1.0, 0.0, nf));
        let pv = patch.patch_point(self.full_point(0.0, 1.0, nf));
        let du = [pu[0] - p0[0], pu[1] - p0[1]];
        let dv = [pv[0] - p0[0], pv[1] - p0[1]];
        let mut out = RgbImage::new(n, n);
        let inv = 1.0 / (sub * sub) as f32;
        let dst: &mut [u8] = &mut out;
        for y in 0..n {
            for x in 0..n {
                let mut acc = [0.0f32; 3];
                for sy in 0..sub {
                    let v = y as f32 + (sy as f32 + 0.5) / sub as f32;
                    for sx in 0..sub {
                        let u = x as f32 + (sx as f32 + 0.5) / sub as f32;
                        let px = p0[0] + u * du[0] + v * dv[0];
                        let py = p0[1] + u * du[1] + v * dv[1];
                        patch.sample(px, py, &mut acc);
                    }
                }
                let i = 3 * (y * n + x) as usize;
                for c in 0..3 {
                    dst[i + c] = (acc[c] * inv + 0.5).clamp(0.0, 255.0) as u8;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::RgbSource;
    use image::Rgb;

    #[test]
    fn crop_mapping_round_trips_corners() {
        let cases = [
            ("level", 0.0, false),
            ("tilted", 0.4, false),
            ("upside down, mirrored", std::f32::consts::PI, true),
        ];
        for (name, angle, mirror) in cases {
            let crop = Crop {
                center: [100.0, 50.0],
                side: 40.0,
                angle,
                mirror,
            };
            let c = crop.full_point(32.0, 32.0, 64.0);
            assert!(
                (c[0] - 100.0).abs() < 1e-4 && (c[1] - 50.0).abs() < 1e-4,
                "{name}: centre"
            );
            // Crop x axis runs along `angle` (reversed when mirrored).
            let r = crop.full_point(64.0, 32.0, 64.0);
            let dir = if mirror { -1.0 } else { 1.0 };
            assert!(
                (r[0] - (100.0 + dir * 20.0 * angle.cos())).abs() < 1e-3,
                "{name}: x axis"
            );
            assert!(
                (r[1] - (50.0 + dir * 20.0 * angle.sin())).abs() < 1e-3,
                "{name}: x axis y"
            );
        }
    }

    #[test]
    fn sampled_crop_shows_the_right_pixels() {
        // Left half red, right half blue; a level crop centred on the boundary shows both,
        // a mirrored one swaps them.
        let img = RgbImage::from_fn(200, 200, |x, _| {
            if x < 100 {
                Rgb([255, 0, 0])
            } else {
                Rgb([0, 0, 255])
            }
        });
        let src = RgbSource::new(img, 200);
        for (name, mirror) in [("plain", false), ("mirrored", true)] {
            let crop = Crop {
                center: [100.0, 100.0],
                side: 80.0,
                angle: 0.0,
                mirror,
            };
            let patch = Patch::render(&src, crop.center, crop.bounding_half(), 2.0);
            let out = crop.sample(&patch, 16);
            let (left, right) = (out.get_pixel(2, 8).0, out.get_pixel(13, 8).0);
            let (want_left, want_right) = if mirror { (2, 0) } else { (0, 2) };
            assert!(left[want_left] > 200, "{name}: left {left:?}");
            assert!(right[want_right] > 200, "{name}: right {right:?}");
        }
    }
}
