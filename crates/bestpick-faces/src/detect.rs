//! Face detection: BlazeFace (full range) on the overview, plus tiles for small faces, merged
//! by weighted non-maximum suppression.

use std::time::{Duration, Instant};

use image::{Rgb, RgbImage};

use crate::error::Result;
use crate::models::{DETECTOR_ANCHORS, DETECTOR_SIZE, FaceModels};
use crate::options::{FaceOptions, Tiling};
use crate::source::{PixelSource, resample};
use crate::tensor::{Norm, to_tensor};

/// Smallest face (box width) the detector finds reliably, in detector input pixels.
///
/// Measured by shrinking seven real test faces inside a larger frame: the full-range model
/// finds all of them at 12 px, 6 of 7 at 11 px, 4 of 7 at 10 px and none at 8 px; 14 px
/// leaves a margin.
pub(crate) const MIN_FACE_INPUT_PX: f32 = 14.0;
/// Detection score threshold (sigmoid of the logit), MediaPipe's.
const MIN_SCORE: f32 = 0.5;
/// Boxes overlapping more than this are one face (weighted NMS), MediaPipe's.
const NMS_IOU: f32 = 0.3;
/// Tiles overlap by at least this fraction of their side, so that any face up to that size
/// lies whole inside some tile.
const TILE_OVERLAP: f32 = 0.3;
/// `Tiling::Auto` tiles when the untiled pass found at least `AUTO_TILE_MIN_FACES` faces and
/// one of them is narrower than `AUTO_TILE_TRIGGER` times the untiled pass's smallest
/// detectable face: several people, at a scale where their neighbours may be too small for the
/// untiled pass (a group shot). A lone person, however small, does not make a group: tiling
/// every half-length portrait of a 24 MP shoot would cost ~170 ms each.
const AUTO_TILE_TRIGGER: f32 = 2.0;
const AUTO_TILE_MIN_FACES: usize = 2;

/// One detected face, in oriented full-image pixels.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Detection {
    /// x, y, w, h.
    pub bbox: [f32; 4],
    /// Six keypoints: eye on the image's left, eye on the image's right, nose tip, mouth
    /// centre, ear tragion on the image's left, on the image's right.
    pub keypoints: [[f32; 2]; 6],
    /// Sigmoid of the detector logit.
    pub score: f32,
}

/// Maps detector input coordinates (0..1 across the input square) to full-image pixels.
#[derive(Debug, Clone, Copy)]
struct View {
    origin: [f32; 2],
    scale: [f32; 2],
    /// Which sides of the input are inner tile edges (left, top, right, bottom): detections
    /// touching them are cut faces and are dropped (the neighbouring tile sees them whole).
    inner_edges: [bool; 4],
}

/// What the detection stage did, for the caller's statistics.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct DetectStats {
    /// Number of detector runs on tiles (0 when the frame was not tiled).
    pub tiles: usize,
    /// Time spent in `PixelSource::render` for tiles.
    pub render_time: Duration,
    /// Time spent running the detector network.
    pub model_time: Duration,
}

/// Finds faces in `src`.
pub(crate) fn detect_faces(
    models: &FaceModels,
    src: &dyn PixelSource,
    opts: &FaceOptions,
) -> Result<(Vec<Detection>, DetectStats)> {
    let (w, h) = src.size();
    let overview = src.overview();
    let mut stats = DetectStats::default();
    if w == 0 || h == 0 || overview.width() == 0 || overview.height() == 0 {
        return Ok((Vec::new(), stats));
    }
    let (input, view) = letterbox(overview, (w, h));
    let mut raw = run_detector(models, input, view, &mut stats.model_time)?;

    let long = w.max(h) as f32;
    let untiled_min = MIN_FACE_INPUT_PX * long / DETECTOR_SIZE as f32;
    let want_tiles = match opts.tiling {
        Tiling::Off => false,
        Tiling::Always => true,
        Tiling::Auto => {
            let found = weighted_nms(raw.clone());
            found.len() >= AUTO_TILE_MIN_FACES
                && found
                    .iter()
                    .any(|d| d.bbox[2] < AUTO_TILE_TRIGGER * untiled_min)
        }
    };
    if want_tiles {
        let tiles = plan_tiles((w, h), opts.min_face_px, untiled_min, opts.max_tiles);
        stats.tiles = tiles.len();
        for tile in tiles {
            let (input, view) = tile_input(src, tile, &mut stats.render_time);
            raw.extend(run_detector(models, input, view, &mut stats.model_time)?);
        }
    }
    let mut faces: Vec<Detection> = weighted_nms(raw)
        .into_iter()
        .filter(|d| d.bbox[2] >= opts.min_face_px)
        .collect();
    // The biggest faces matter most to a photographer: keep those when there are too many.
    faces.sort_by(|a, b| (b.bbox[2] * b.bbox[3]).total_cmp(&(a.bbox[2] * a.bbox[3])));
    faces.truncate(opts.max_faces);
    Ok((faces, stats))
}

/// The whole overview, scaled to fit the detector input and centred on mid-grey.
fn letterbox(overview: &RgbImage, full: (u32, u32)) -> (Vec<f32>, View) {
    let (ow, oh) = overview.dimensions();
    let side = DETECTOR_SIZE as f32;
    let scale = side / ow.max(oh) as f32;
    let cw = ((ow as f32 * scale).round() as u32).clamp(1, DETECTOR_SIZE as u32);
    let ch = ((oh as f32 * scale).round() as u32).clamp(1, DETECTOR_SIZE as u32);
    let content = resample(overview, [0.0, 0.0, ow as f32, oh as f32], cw, ch);
    let mut canvas = RgbImage::from_pixel(
        DETECTOR_SIZE as u32,
        DETECTOR_SIZE as u32,
        Rgb([128, 128, 128]),
    );
    let off_x = (DETECTOR_SIZE as u32 - cw) / 2;
    let off_y = (DETECTOR_SIZE as u32 - ch) / 2;
    image::imageops::replace(&mut canvas, &content, off_x as i64, off_y as i64);
    // Input pixels → full-image pixels, per axis (the content spans cw × ch input pixels).
    let kx = full.0 as f32 / cw as f32;
    let ky = full.1 as f32 / ch as f32;
    let view = View {
        origin: [-(off_x as f32) * kx, -(off_y as f32) * ky],
        scale: [side * kx, side * ky],
        inner_edges: [false; 4],
    };
    (to_tensor(&canvas, Norm::SignedUnit), view)
}

/// A square tile of the full image: x, y, side (full pixels) and which of its edges are inside
/// the image (left, top, right, bottom).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Tile {
    pub x: f32,
    pub y: f32,
    pub side: f32,
    pub inner_edges: [bool; 4],
}

/// Square tiles covering the image, small enough that a face of `min_face_px` is at least
/// `MIN_FACE_INPUT_PX` detector pixels wide, but at most `max_tiles` of them (the tiles grow
/// until they fit that budget). Empty when tiles would not see smaller faces than the untiled
/// pass (`untiled_min`, in full pixels).
pub(crate) fn plan_tiles(
    (w, h): (u32, u32),
    min_face_px: f32,
    untiled_min: f32,
    max_tiles: usize,
) -> Vec<Tile> {
    let (w, h) = (w as f32, h as f32);
    let long = w.max(h);
    let mut side = (DETECTOR_SIZE as f32 * min_face_px.max(1.0) / MIN_FACE_INPUT_PX).max(32.0);
    loop {
        // Tiles this large see faces no smaller than the untiled pass: not worth running.
        let tile_min = MIN_FACE_INPUT_PX * side / DETECTOR_SIZE as f32;
        if max_tiles == 0 || side >= long || tile_min >= untiled_min * 0.75 {
            return Vec::new();
        }
        let overlap = (side * TILE_OVERLAP).max(untiled_min.min(side * 0.5));
        let stride = side - overlap;
        let count = |len: f32| -> usize {
            if len <= side {
                1
            } else {
                ((len - side) / stride).ceil() as usize + 1
            }
        };
        let (nx, ny) = (count(w), count(h));
        if nx * ny <= max_tiles {
            let place = |n: usize, len: f32, i: usize| -> f32 {
                if n == 1 {
                    (len - side) / 2.0
                } else {
                    i as f32 * (len - side) / (n - 1) as f32
                }
            };
            let mut tiles = Vec::with_capacity(nx * ny);
            for j in 0..ny {
                for i in 0..nx {
                    tiles.push(Tile {
                        x: place(nx, w, i),
                        y: place(ny, h, j),
                        side,
                        inner_edges: [i > 0, j > 0, i + 1 < nx, j + 1 < ny],
                    });
                }
            }
            return tiles;
        }
        side *= 1.1;
    }
}

/// The detector input for one tile: cut from the overview when it holds enough detail for the
/// tile's scale, else rendered by the source.
fn tile_input(src: &dyn PixelSource, tile: Tile, render_time: &mut Duration) -> (Vec<f32>, View) {
    let overview = src.overview();
    let (w, _) = src.size();
    let overview_px = w as f32 / overview.width() as f32; // full pixels per overview pixel
    let input_px = tile.side / DETECTOR_SIZE as f32; // full pixels per input pixel
    let n = DETECTOR_SIZE as u32;
    let img = if input_px >= overview_px {
        let k = 1.0 / overview_px;
        resample(
            overview,
            [tile.x * k, tile.y * k, tile.side * k, tile.side * k],
            n,
            n,
        )
    } else {
        let start = Instant::now();
        let img = src.render([tile.x, tile.y, tile.side, tile.side], n, n);
        *render_time += start.elapsed();
        img
    };
    let view = View {
        origin: [tile.x, tile.y],
        scale: [tile.side, tile.side],
        inner_edges: tile.inner_edges,
    };
    (to_tensor(&img, Norm::SignedUnit), view)
}

/// Runs the detector and decodes every anchor above the score threshold (before NMS).
fn run_detector(
    models: &FaceModels,
    input: Vec<f32>,
    view: View,
    model_time: &mut Duration,
) -> Result<Vec<Detection>> {
    let start = Instant::now();
    let out = models.detect(input)?;
    *model_time += start.elapsed();
    let side = DETECTOR_SIZE as f32;
    let grid = 48usize;
    let mut found = Vec::new();
    for a in 0..DETECTOR_ANCHORS {
        let score = sigmoid(out.logits[a]);
        if score < MIN_SCORE {
            continue;
        }
        let ax = ((a % grid) as f32 + 0.5) / grid as f32;
        let ay = ((a / grid) as f32 + 0.5) / grid as f32;
        let r = &out.regressors[a * 16..a * 16 + 16];
        let cx = ax + r[0] / side;
        let cy = ay + r[1] / side;
        let bw = r[2] / side;
        let bh = r[3] / side;
        if !(bw > 0.0 && bh > 0.0) {
            continue;
        }
        // Cut faces at inner tile edges: the neighbouring tile holds them whole.
        let margin = 0.01;
        let edges = [
            cx - bw / 2.0 < margin,
            cy - bh / 2.0 < margin,
            cx + bw / 2.0 > 1.0 - margin,
            cy + bh / 2.0 > 1.0 - margin,
        ];
        if edges
            .iter()
            .zip(view.inner_edges)
            .any(|(&e, inner)| e && inner)
        {
            continue;
        }
        let map = |u: f32, v: f32| {
            [
                view.origin[0] + u * view.scale[0],
                view.origin[1] + v * view.scale[1],
            ]
        };
        let [x0, y0] = map(cx - bw / 2.0, cy - bh / 2.0);
        let [x1, y1] = map(cx + bw / 2.0, cy + bh / 2.0);
        let mut keypoints = [[0.0f32; 2]; 6];
        for (k, kp) in keypoints.iter_mut().enumerate() {
            *kp = map(ax + r[4 + 2 * k] / side, ay + r[5 + 2 * k] / side);
        }
        found.push(Detection {
            bbox: [x0, y0, x1 - x0, y1 - y0],
            keypoints,
            score,
        });
    }
    Ok(found)
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.clamp(-80.0, 80.0)).exp())
}

pub(crate) fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let ix = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let iy = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    if ix <= 0.0 || iy <= 0.0 {
        return 0.0;
    }
    let inter = ix * iy;
    inter / (a[2] * a[3] + b[2] * b[3] - inter)
}

/// MediaPipe's weighted NMS: the best remaining detection absorbs every detection overlapping
/// it by more than `NMS_IOU`; the merged box and keypoints are the score-weighted mean, the
/// score is the best one's.
pub(crate) fn weighted_nms(mut dets: Vec<Detection>) -> Vec<Detection> {
    dets.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while let Some(top) = dets.first().cloned() {
        let (cluster, rest): (Vec<Detection>, Vec<Detection>) = dets
            .into_iter()
            .partition(|d| iou(&top.bbox, &d.bbox) > NMS_IOU);
        dets = rest;
        let total: f32 = cluster.iter().map(|d| d.score).sum();
        let mut merged = Detection {
            bbox: [0.0; 4],
            keypoints: [[0.0; 2]; 6],
            score: top.score,
        };
        for d in &cluster {
            let wgt = d.score / total;
            // Average corners, not sizes, so boxes from different scales blend sensibly.
            merged.bbox[0] += wgt * d.bbox[0];
            merged.bbox[1] += wgt * d.bbox[1];
            merged.bbox[2] += wgt * (d.bbox[0] + d.bbox[2]);
            merged.bbox[3] += wgt * (d.bbox[1] + d.bbox[3]);
            for (m, k) in merged.keypoints.iter_mut().zip(&d.keypoints) {
                m[0] += wgt * k[0];
                m[1] += wgt * k[1];
            }
        }
        merged.bbox[2] -= merged.bbox[0];
        merged.bbox[3] -= merged.bbox[1];
        out.push(merged);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(bbox: [f32; 4], score: f32) -> Detection {
        Detection {
            bbox,
            keypoints: [[bbox[0], bbox[1]]; 6],
            score,
        }
    }

    #[test]
    fn weighted_nms_merges_overlaps_and_keeps_separate_faces() {
        let dets = vec![
            det([0.0, 0.0, 10.0, 10.0], 0.9),
            det([2.0, 0.0, 10.0, 10.0], 0.6),
            det([50.0, 50.0, 10.0, 10.0], 0.7),
        ];
        let out = weighted_nms(dets);
        assert_eq!(out.len(), 2, "two separate faces");
        assert_eq!(out[0].score, 0.9, "merged face keeps the best score");
        let want_x = 0.6 * 2.0 / 1.5;
        assert!((out[0].bbox[0] - want_x).abs() < 1e-4, "score-weighted x");
        assert!((out[0].bbox[2] - 10.0).abs() < 1e-4, "width kept");
        assert_eq!(out[1].bbox, [50.0, 50.0, 10.0, 10.0], "lone face unchanged");
    }

    #[test]
    fn iou_cases() {
        let cases = [
            (
                "identical",
                [0.0, 0.0, 10.0, 10.0],
                [0.0, 0.0, 10.0, 10.0],
                1.0,
            ),
            (
                "disjoint",
                [0.0, 0.0, 10.0, 10.0],
                [20.0, 0.0, 10.0, 10.0],
                0.0,
            ),
            (
                "half",
                [0.0, 0.0, 10.0, 10.0],
                [5.0, 0.0, 10.0, 10.0],
                50.0 / 150.0,
            ),
        ];
        for (name, a, b, want) in cases {
            assert!((iou(&a, &b) - want).abs() < 1e-6, "{name}");
        }
    }

    #[test]
    fn tiles_cover_the_image_within_budget() {
        let cases = [
            // (name, size, min face, max tiles)
            ("24 MP, budget 12", (6000, 4000), 24.0, 12),
            ("24 MP portrait, budget 6", (4000, 6000), 24.0, 6),
            ("small faces reachable", (1800, 1200), 40.0, 30),
        ];
        for (name, (w, h), min_face, max_tiles) in cases {
            let untiled_min = MIN_FACE_INPUT_PX * w.max(h) as f32 / DETECTOR_SIZE as f32;
            let tiles = plan_tiles((w, h), min_face, untiled_min, max_tiles);
            assert!(!tiles.is_empty(), "{name}: tiles planned");
            assert!(tiles.len() <= max_tiles, "{name}: {} tiles", tiles.len());
            // Every point of the image lies in some tile.
            for (px, py) in [
                (0.0, 0.0),
                (w as f32 - 1.0, h as f32 - 1.0),
                (w as f32 / 2.0, 7.0),
            ] {
                assert!(
                    tiles.iter().any(|t| px >= t.x
                        && px <= t.x + t.side
                        && py >= t.y
                        && py <= t.y + t.side),
                    "{name}: ({px}, {py}) covered"
                );
            }
            let side = tiles[0].side;
            assert!(
                MIN_FACE_INPUT_PX * side / (DETECTOR_SIZE as f32) < untiled_min,
                "{name}: tiles see smaller faces than the untiled pass"
            );
        }
        // Nothing to gain: a small image, or a minimum face the untiled pass already sees.
        assert!(
            plan_tiles((400, 300), 24.0, 29.0, 12).is_empty(),
            "small image"
        );
        assert!(
            plan_tiles((6000, 4000), 500.0, 437.0, 12).is_empty(),
            "large min face"
        );
    }
}
