//! Faces and eyes for culling: which faces are in a frame, whether their eyes are open, whether
//! they look at the camera, and how sharp they are, on CPU in pure Rust.
//!
//! The models are Google MediaPipe's BlazeFace (full range), face mesh and iris landmark
//! networks converted to ONNX (Apache-2.0, shipped in `assets/models/` with their licence),
//! run with tract. The pipeline per frame:
//!
//! 1. **detect** on the caller's view of the whole frame (one run, 192 pixels on the long side
//!    and unpadded on the short side: 192×128 for a 3:2 frame), plus tiles of the
//!    frame for group shots whose small faces the untiled run misses ([`Tiling`]); weighted
//!    non-maximum suppression merges the runs;
//! 2. per face, **render** one patch around it at a resolution fixed relative to the face
//!    ([`PixelSource::render`]), sample the **face mesh** input from it (rotated so the eyes
//!    are level) and drop detections the mesh does not confirm;
//! 3. per eye, run the **iris** model on a level crop around the mesh's eye corners and take
//!    the eye aspect ratio of its eyelid contour: closed, open, or can't tell;
//! 4. **head pose** from the mesh's 3D points and the iris position → looking at the camera;
//! 5. **sharpness** of the face and eye regions of the patch, normalised by local contrast and
//!    corrected for noise, comparable across the frames of a burst.
//!
//! No identities: nothing here recognises or compares people.
//!
//! # Using it
//!
//! ```no_run
//! use bestpick_faces::{FaceModels, FaceOptions, RgbSource, analyze_faces};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let models = FaceModels::locate()?; // once per process; Send + Sync
//! let img = image::open("photo.jpg")?.to_rgb8(); // already EXIF-oriented
//! let faces = analyze_faces(&models, &RgbSource::new(img, 750), &FaceOptions::default())?;
//! for face in &faces {
//!     println!("{:?} eyes {:?} sharpness {:.2}", face.bbox, face.eyes, face.sharpness);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! A JPEG decoder implements [`PixelSource`] itself: the overview from a 1/8 DCT-scaled decode,
//! [`PixelSource::render`] from a reduced decode of the region, and [`PixelSource::whole`] (the
//! detector's view) straight from the block means.
//!
//! # Cost (single thread, release, this project's 2-core build machine)
//!
//! | stage | time |
//! |---|---|
//! | load and optimize the three networks | ~0.3 s, once per process |
//! | detector on a 3:2 frame (192×128) | ~9 ms |
//! | detector on a square input (192×192: square frames, each tile) | ~13.5 ms |
//! | face mesh, per face | ~6 ms |
//! | iris model, per measured eye | ~6.2 ms |
//! | pixel work per face (crops, sharpness), excluding `render` | ~3–6 ms |
//!
//! So a 3:2 frame costs about 9 ms without faces and 9 + ~25 ms per face (plus the source's
//! rendering); tiled group shots add ~14 ms per tile (at most [`FaceOptions::max_tiles`]).
//! `cargo test --release -p bestpick-faces bench -- --ignored --nocapture` prints these.
//!
//! # Layout
//!
//! - `source`: [`PixelSource`], [`RgbSource`] and the resampler;
//! - `models`: loading the networks once, running them;
//! - `detect`: the detector input, tiles, anchor decoding, weighted NMS;
//! - `crop`: the face patch and the rotated model crops;
//! - `analyze`: the per-face pipeline (mesh, eyes, pose, sharpness) and [`FaceStats`];
//! - `sharpness`: the noise-robust edge-width measure;
//! - `face`, `options`, `error`: the public types.
//!
//! This crate must not depend on `bestpick-core` (core calls it), on any UI, database or
//! network crate, or on native libraries.
#![warn(missing_docs)]

mod analyze;
#[cfg(test)]
mod bench;
mod crop;
mod depthwise;
mod detect;
mod error;
mod face;
mod maxpool;
mod models;
mod options;
mod prelu;
mod sharpness;
mod source;
mod tensor;
mod upsample;

pub use analyze::{FaceStats, analyze_faces, analyze_faces_with_stats};
pub use error::{BoxError, Error, Result};
pub use face::{EAR_CLOSED_MAX, EAR_OPEN_MIN, EyeState, Face, FaceLandmarks, MIN_EYE_WIDTH_PX};
pub use models::FaceModels;
pub use options::{FaceOptions, Tiling};
pub use source::{PixelSource, RgbSource, resample};
