//! Wire types of the loupe: one photo's detail (EXIF, signals, histogram, focus map) and its
//! faces.

use bestpick_engine::view::PhotoDetail;
use bestpick_engine::vocabulary::Face;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::wire::path_string;

/// A face in the loupe, in displayed pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FaceDto {
    /// x, y, width, height.
    pub bbox: [f32; 4],
    /// Confidence.
    pub score: f32,
    /// `open`, `closed`, `one-closed`, `uncertain`.
    pub eyes: String,
    /// Eye openness `[left, right]`.
    pub openness: [Option<f32>; 2],
    /// Face sharpness.
    pub sharpness: f32,
}

impl From<&Face> for FaceDto {
    fn from(f: &Face) -> Self {
        FaceDto {
            bbox: f.bbox,
            score: f.score,
            eyes: f.eyes.word().to_owned(),
            openness: f.openness,
            sharpness: f.sharpness,
        }
    }
}

/// The loupe's detail of one photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PhotoDetailDto {
    /// Photo id.
    pub id: i64,
    /// Absolute path.
    pub path: String,
    /// Companion files.
    pub companions: Vec<String>,
    /// Camera.
    pub camera: Option<String>,
    /// Lens.
    pub lens: Option<String>,
    /// Capture time as recorded.
    pub taken: Option<String>,
    /// Exposure time in seconds.
    pub exposure_time: Option<f64>,
    /// Aperture.
    pub f_number: Option<f64>,
    /// ISO.
    pub iso: Option<u32>,
    /// Focal length, mm.
    pub focal_length: Option<f64>,
    /// EXIF orientation.
    pub orientation: u16,
    /// Displayed width.
    pub width: u32,
    /// Displayed height.
    pub height: u32,
    /// Whole-frame sharpness.
    pub sharpness: f32,
    /// Sharpness of the sharpest region.
    pub peak_sharpness: f32,
    /// Centre of the sharpest region (fractions of width, height).
    pub focus_point: [f32; 2],
    /// Mean brightness in EV from middle grey.
    pub exposure_ev: f32,
    /// Fraction of clipped highlights.
    pub clipped_highlights: f32,
    /// Fraction of crushed shadows.
    pub clipped_shadows: f32,
    /// Noise (8-bit levels).
    pub noise: f32,
    /// JPEG quality estimate.
    pub jpeg_quality: Option<u8>,
    /// Misfire in words.
    pub misfire: Option<String>,
    /// Luma histogram, 64 bins scaled to 1000.
    pub histogram: Vec<u16>,
    /// Local sharpness grid, 0..=255.
    pub focus_map: Vec<u8>,
    /// Grid width and height.
    pub focus_map_size: [u16; 2],
    /// Faces.
    pub faces: Vec<FaceDto>,
    /// Why it could not be analyzed.
    pub error: Option<String>,
    /// A non-fatal problem.
    pub warning: Option<String>,
}

impl From<&PhotoDetail> for PhotoDetailDto {
    fn from(d: &PhotoDetail) -> Self {
        let a = d.analysis.as_ref();
        let s = a.map(|a| &a.signals);
        let e = a.map(|a| &a.exif);
        PhotoDetailDto {
            id: d.id.0,
            path: path_string(&d.path),
            companions: d.companions.iter().map(|c| path_string(c)).collect(),
            camera: d.camera.clone(),
            lens: e.and_then(|e| e.lens.clone()),
            taken: e
                .and_then(|e| e.capture_time.as_ref())
                .map(|t| t.local.clone()),
            exposure_time: e.and_then(|e| e.exposure_time),
            f_number: e.and_then(|e| e.f_number),
            iso: e.and_then(|e| e.iso),
            focal_length: e.and_then(|e| e.focal_length),
            orientation: e.map_or(1, |e| e.orientation),
            width: s.map_or(0, |s| s.width),
            height: s.map_or(0, |s| s.height),
            sharpness: s.map_or(0.0, |s| s.sharpness),
            peak_sharpness: s.map_or(0.0, |s| s.peak_sharpness),
            focus_point: s.map_or([0.5, 0.5], |s| s.focus_point),
            exposure_ev: s.map_or(0.0, |s| s.exposure_ev),
            clipped_highlights: s.map_or(0.0, |s| s.clipped_highlights),
            clipped_shadows: s.map_or(0.0, |s| s.clipped_shadows),
            noise: s.map_or(0.0, |s| s.noise),
            jpeg_quality: s.and_then(|s| s.jpeg_quality),
            misfire: d.misfire.map(str::to_owned),
            histogram: s.map(|s| s.histogram.clone()).unwrap_or_default(),
            focus_map: s.map(|s| s.focus_map.clone()).unwrap_or_default(),
            focus_map_size: s.map_or([0, 0], |s| s.focus_map_size),
            faces: d.faces.iter().map(FaceDto::from).collect(),
            error: d.error.clone(),
            warning: d.warning.clone(),
        }
    }
}
