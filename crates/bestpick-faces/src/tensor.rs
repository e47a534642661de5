//! Image → model input tensor.

use image::RgbImage;

/// How pixel values are scaled for a model.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Norm {
    /// [-1, 1] (the detector).
    SignedUnit,
    /// [0, 1] (face mesh and iris).
    Unit,
}

/// NCHW (1×3×h×w) `f32` tensor data from an RGB image.
pub(crate) fn to_tensor(img: &RgbImage, norm: Norm) -> Vec<f32> {
    let (w, h) = img.dimensions();
    let plane = (w * h) as usize;
    let mut out = vec![0.0f32; 3 * plane];
    let (scale, offset) = match norm {
        Norm::SignedUnit => (1.0 / 127.5, -1.0),
        Norm::Unit => (1.0 / 255.0, 0.0),
    };
    for (i, px) in img.as_raw().chunks_exact(3).enumerate() {
        out[i] = px[0] as f32 * scale + offset;
        out[plane + i] = px[1] as f32 * scale + offset;
        out[2 * plane + i] = px[2] as f32 * scale + offset;
    }
    out
}
