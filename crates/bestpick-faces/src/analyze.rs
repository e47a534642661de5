//! The per-frame pipeline: detect, then per face mesh → eyes → iris → pose → sharpness.

use std::time::{Duration, Instant};

use crate::crop::{Crop, Patch};
use crate::detect::{Detection, detect_faces};
use crate::error::Result;
use crate::face::{EyeState, Face, FaceLandmarks, MIN_EYE_WIDTH_PX};
use crate::models::{FaceModels, IRIS_SIZE, MESH_POINTS, MESH_SIZE};
use crate::options::FaceOptions;
use crate::sharpness::{Gray, region, sharpness};
use crate::source::PixelSource;
use crate::tensor::{Norm, to_tensor};

/// The face crop for the mesh is this many times the detector's box (MediaPipe's).
const FACE_CROP_SCALE: f32 = 1.5;
/// The eye crop for the iris model is this many times the eye's corner distance (MediaPipe's).
const EYE_CROP_SCALE: f32 = 2.3;
/// Resolution of the face patch: pixels per side of the face crop. Fixed relative to the face
/// so that sharpness compares across the frames of a burst; twice the mesh input so the eye
/// crops keep their detail.
const PATCH_RES: f32 = 384.0;
/// Face presence (sigmoid of the mesh's logit) below this: not a face.
const MIN_PRESENCE: f32 = 0.5;
/// The far eye of a turned head is foreshortened: narrower than this fraction of the near
/// eye, it is (partly) hidden and not measured.
const MIN_EYE_WIDTH_RATIO: f32 = 0.6;
/// The mesh's forehead–chin line leans back: frontal test portraits read +2…+16° of raw
/// pitch (median 9–10). Subtracted so that 0 means facing the camera.
const PITCH_OFFSET_DEG: f32 = 9.0;
/// Looking at the camera: gaze yaw (head + eyes) within this many degrees...
const LOOK_MAX_YAW_DEG: f32 = 20.0;
/// ...and head pitch within this many degrees.
const LOOK_MAX_PITCH_DEG: f32 = 25.0;

// Face mesh landmark indices (MediaPipe's canonical face mesh).
const RIGHT_EYE_OUTER: usize = 33;
const RIGHT_EYE_INNER: usize = 133;
const LEFT_EYE_INNER: usize = 362;
const LEFT_EYE_OUTER: usize = 263;
const NOSE_TIP: usize = 1;
const UPPER_LIP: usize = 13;
const RIGHT_MOUTH_CORNER: usize = 61;
const LEFT_MOUTH_CORNER: usize = 291;
const LOWER_LIP: usize = 14;
const RIGHT_CHEEK: usize = 234;
const LEFT_CHEEK: usize = 454;
const FOREHEAD: usize = 10;
const CHIN: usize = 152;

/// Counts and times of one [`analyze_faces_with_stats`] call, for benchmarks and logs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaceStats {
    /// Detector runs on tiles (0 when the frame was not tiled; the untiled run is not counted).
    pub tiles: usize,
    /// Detections passed to the face mesh.
    pub candidates: usize,
    /// Candidates the mesh rejected (face presence < 0.5).
    pub rejected: usize,
    /// Iris model runs.
    pub iris_runs: usize,
    /// Time in detection (untiled pass and tiles, including their pixel preparation).
    pub detect_time: Duration,
    /// Time in the per-face stages (patch rendering, mesh, iris, sharpness).
    pub faces_time: Duration,
    /// Part of `detect_time` and `faces_time` spent running the networks (detector, mesh,
    /// iris); the rest is pixel work and rendering.
    pub model_time: Duration,
    /// Part of `detect_time` and `faces_time` spent in [`PixelSource::render`] (tiles finer
    /// than the overview, face patches): the caller's decoder, not the models.
    pub render_time: Duration,
}

/// Finds the faces in one frame and measures their eyes, pose and sharpness.
///
/// Faces are returned largest first. Detection runs on `src.overview()` (plus tiles for group
/// shots, see [`Tiling`](crate::Tiling)); each detected face is then rendered once by
/// `src.render` at a resolution fixed relative to the face, for the mesh, the iris model and
/// the sharpness measure. Detections the mesh does not confirm as faces are dropped.
pub fn analyze_faces(
    models: &FaceModels,
    src: &dyn PixelSource,
    opts: &FaceOptions,
) -> Result<Vec<Face>> {
    analyze_faces_with_stats(models, src, opts).map(|(faces, _)| faces)
}

/// [`analyze_faces`], also returning what it did and how long each stage took.
pub fn analyze_faces_with_stats(
    models: &FaceModels,
    src: &dyn PixelSource,
    opts: &FaceOptions,
) -> Result<(Vec<Face>, FaceStats)> {
    let start = Instant::now();
    let (detections, dstats) = detect_faces(models, src, opts)?;
    let mut stats = FaceStats {
        tiles: dstats.tiles,
        candidates: detections.len(),
        detect_time: start.elapsed(),
        render_time: dstats.render_time,
        model_time: dstats.model_time,
        ..FaceStats::default()
    };
    let start = Instant::now();
    let mut faces = Vec::with_capacity(detections.len());
    for det in &detections {
        match analyze_face(models, src, det, &mut stats)? {
            Some(face) => faces.push(face),
            None => stats.rejected += 1,
        }
    }
    stats.faces_time = start.elapsed();
    Ok((faces, stats))
}

/// One eye's measurements.
struct EyeResult {
    openness: Option<f32>,
    /// Centre in full-image pixels (iris centre when measured, else between the corners).
    center: [f32; 2],
    /// Horizontal iris offset from the eye's middle towards the image's right, as a fraction
    /// of the eye's width (`None` when not measured).
    gaze_offset: Option<f32>,
    /// Corner-to-corner width in full-image pixels.
    width: f32,
}

fn analyze_face(
    models: &FaceModels,
    src: &dyn PixelSource,
    det: &Detection,
    stats: &mut FaceStats,
) -> Result<Option<Face>> {
    let [bx, by, bw, bh] = det.bbox;
    let center = [bx + bw / 2.0, by + bh / 2.0];
    let side = FACE_CROP_SCALE * bw.max(bh);
    // Keypoint 0 is the eye on the image's left for an upright face: levelling the line
    // 0 → 1 also turns upside-down faces upright.
    let face_crop = Crop::level(det.keypoints[0], det.keypoints[1], center, side, false);
    let render_start = Instant::now();
    let patch = Patch::render(src, center, face_crop.bounding_half(), PATCH_RES / side);
    stats.render_time += render_start.elapsed();

    // Face mesh.
    let mesh_in = face_crop.sample(&patch.half(), MESH_SIZE as u32);
    let model_start = Instant::now();
    let mesh = models.mesh(to_tensor(&mesh_in, Norm::Unit))?;
    stats.model_time += model_start.elapsed();
    if sigmoid(mesh.presence_logit) < MIN_PRESENCE {
        return Ok(None);
    }
    let n = MESH_SIZE as f32;
    let z_scale = side / n;
    let pts: Vec<[f32; 3]> = (0..MESH_POINTS)
        .map(|i| {
            let p = &mesh.points[3 * i..3 * i + 3];
            let [x, y] = face_crop.full_point(p[0], p[1], n);
            [x, y, p[2] * z_scale]
        })
        .collect();
    let xy = |i: usize| [pts[i][0], pts[i][1]];

    // Eyes: the subject's left eye (362/263, mirrored for the iris model) and right eye.
    let width = |a: usize, b: usize| dist(xy(a), xy(b));
    let widths = [
        width(LEFT_EYE_INNER, LEFT_EYE_OUTER),
        width(RIGHT_EYE_OUTER, RIGHT_EYE_INNER),
    ];
    let widest = widths[0].max(widths[1]);
    let measurable = widths.map(|w| w >= MIN_EYE_WIDTH_PX && w >= MIN_EYE_WIDTH_RATIO * widest);
    let left = measure_eye(
        models,
        &patch,
        (xy(LEFT_EYE_INNER), xy(LEFT_EYE_OUTER)),
        true,
        measurable[0],
        stats,
    )?;
    let right = measure_eye(
        models,
        &patch,
        (xy(RIGHT_EYE_OUTER), xy(RIGHT_EYE_INNER)),
        false,
        measurable[1],
        stats,
    )?;
    let openness = [left.openness, right.openness];
    let eye_states = openness.map(EyeState::from_openness);
    let eyes = EyeState::of_face(eye_states, openness);

    // Head pose from the mesh's 3D points; gaze adds the irises' offset.
    let (yaw, raw_pitch) = head_pose(&pts);
    let pitch = raw_pitch - PITCH_OFFSET_DEG;
    let offsets: Vec<f32> = [&left, &right]
        .iter()
        .filter_map(|e| e.gaze_offset)
        .collect();
    let eye_yaw = if offsets.is_empty() {
        0.0
    } else {
        // Eye width ≈ 2.5 eyeball radii: offset · 2.5 = sin(eye rotation).
        let mean = offsets.iter().sum::<f32>() / offsets.len() as f32;
        (mean * 2.5).clamp(-1.0, 1.0).asin().to_degrees()
    };
    let looking_at_camera = !matches!(eyes, EyeState::Closed | EyeState::OneClosed)
        && (yaw + eye_yaw).abs() <= LOOK_MAX_YAW_DEG
        && pitch.abs() <= LOOK_MAX_PITCH_DEG;

    // Sharpness: the face box, and the eye regions where the eyes can be seen.
    let gray = Gray::from_rgb(&patch.img);
    let face_half = PATCH_RES / FACE_CROP_SCALE / 2.0;
    let eye_regions: Vec<_> = [&left, &right]
        .iter()
        .zip(measurable)
        .filter(|(_, m)| *m)
        .filter_map(|(e, _)| region(&gray, patch.patch_point(e.center), e.width * patch.scale))
        .collect();
    let sharp = region(&gray, patch.patch_point(center), face_half)
        .map(|r| sharpness(&gray, r, &eye_regions))
        .unwrap_or(0.0);

    let mouth = mid(xy(UPPER_LIP), xy(LOWER_LIP));
    Ok(Some(Face {
        bbox: det.bbox,
        score: det.score,
        eyes,
        openness,
        eye_states,
        sharpness: sharp,
        looking_at_camera,
        pose: [yaw, pitch],
        landmarks: FaceLandmarks {
            left_eye: left.center,
            right_eye: right.center,
            nose: xy(NOSE_TIP),
            mouth,
            mouth_corners: [xy(RIGHT_MOUTH_CORNER), xy(LEFT_MOUTH_CORNER)],
            lips: [xy(UPPER_LIP), xy(LOWER_LIP)],
        },
    }))
}

/// Runs the iris model on one eye. `corners` runs from the corner that goes on the crop's
/// left to the other; `mirror` flips the crop (the subject's left eye, so that the model
/// always sees the outer corner on the left).
fn measure_eye(
    models: &FaceModels,
    patch: &Patch,
    corners: ([f32; 2], [f32; 2]),
    mirror: bool,
    measurable: bool,
    stats: &mut FaceStats,
) -> Result<EyeResult> {
    let (a, b) = corners;
    let width = dist(a, b);
    let center = mid(a, b);
    let unmeasured = EyeResult {
        openness: None,
        center,
        gaze_offset: None,
        width,
    };
    if !measurable {
        return Ok(unmeasured);
    }
    // Mirrored, the crop's x axis runs from b to a: level it along a → b either way.
    let crop = Crop::level(a, b, center, EYE_CROP_SCALE * width, mirror);
    let input = crop.sample(patch, IRIS_SIZE as u32);
    let model_start = Instant::now();
    let out = models.iris(to_tensor(&input, Norm::Unit))?;
    stats.model_time += model_start.elapsed();
    stats.iris_runs += 1;
    let c = |i: usize| [out.contour[3 * i], out.contour[3 * i + 1]];
    // Contour: 0 and 8 the corners, 1–7 the lower lid, 9–15 the upper lid.
    let eye_w = dist(c(0), c(8));
    if eye_w <= f32::EPSILON {
        return Ok(unmeasured);
    }
    let ear = (dist(c(11), c(3)) + dist(c(13), c(5))) / (2.0 * eye_w);
    // Iris centre along the corner line, 0.5 = middle; crop x runs along the image's x
    // unless mirrored.
    let iris = [out.iris[0], out.iris[1]];
    let axis = [c(8)[0] - c(0)[0], c(8)[1] - c(0)[1]];
    let t = ((iris[0] - c(0)[0]) * axis[0] + (iris[1] - c(0)[1]) * axis[1]) / (eye_w * eye_w);
    // Along the crop's x axis (crop x and the 0 → 8 line agree up to the model's tilt).
    let along_crop_x = if axis[0] >= 0.0 { t - 0.5 } else { 0.5 - t };
    let gaze_offset = if mirror { -along_crop_x } else { along_crop_x };
    let n = IRIS_SIZE as f32;
    Ok(EyeResult {
        openness: Some(ear),
        center: crop.full_point(iris[0], iris[1], n),
        gaze_offset: Some(gaze_offset),
        width,
    })
}

/// Head yaw and pitch in degrees from the mesh (x right, y down, z away from the camera).
fn head_pose(pts: &[[f32; 3]]) -> (f32, f32) {
    let sub = |a: [f32; 3], b: [f32; 3]| [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    let across = sub(pts[LEFT_CHEEK], pts[RIGHT_CHEEK]);
    let down = sub(pts[CHIN], pts[FOREHEAD]);
    // Normal pointing at the camera: −(across × down).
    let f = [
        -(across[1] * down[2] - across[2] * down[1]),
        -(across[2] * down[0] - across[0] * down[2]),
        -(across[0] * down[1] - across[1] * down[0]),
    ];
    let toward = -f[2];
    (
        f[0].atan2(toward).to_degrees(),
        f[1].atan2(toward).to_degrees(),
    )
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.clamp(-80.0, 80.0)).exp())
}

fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

fn mid(a: [f32; 2], b: [f32; 2]) -> [f32; 2] {
    [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::RgbSource;

    /// Tilted heads: the mesh and eye crops are levelled with the detector's eye keypoints,
    /// so the eyes still measure open and the eye line follows the tilt.
    #[test]
    fn tilted_faces_are_levelled() {
        let models = FaceModels::locate().expect("repository models");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/mpl_grace_hopper.jpg");
        let img = image::open(path).expect("fixture").to_rgb8();
        let src = RgbSource::new(img, 1000);
        for degrees in [-25.0f32, 0.0, 20.0] {
            // Render the photo turned by `degrees` (image rotated, so the head tilts by −degrees).
            let crop = Crop {
                center: [256.0, 300.0],
                side: 620.0,
                angle: degrees.to_radians(),
                mirror: false,
            };
            let patch = Patch::render(&src, crop.center, crop.bounding_half(), 1.0);
            let turned = crop.sample(&patch, 620);
            let faces = analyze_faces(&models, &RgbSource::new(turned, 750), &Default::default())
                .expect("runs");
            assert_eq!(faces.len(), 1, "{degrees}°: one face");
            let f = &faces[0];
            assert_eq!(
                f.eyes,
                EyeState::Open,
                "{degrees}°: eyes open, {:?}",
                f.openness
            );
            let (l, r) = (f.landmarks.left_eye, f.landmarks.right_eye);
            let tilt = (l[1] - r[1]).atan2(l[0] - r[0]).to_degrees();
            // Eye line in the turned image: the original's (about level) minus `degrees`.
            assert!(
                (tilt + degrees).abs() < 8.0,
                "{degrees}°: eye line at {tilt:.1}°"
            );
        }
    }
}
