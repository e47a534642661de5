//! Face detection: BlazeFace (full range) on the overview, plus tiles for small faces, merged
//! by weighted non-maximum suppression.

use std::time::{Duration, Instant};

use image::{Rgb, RgbImage};

use crate::error::Result;
use crate::models::{DETECTOR_ALIGN, DETECTOR_SIZE, DETECTOR_STRIDE, FaceModels};
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
/// The close-up pass: the frame's longer side in detector pixels, centred in a grey square of
/// `CLOSE_UP_CANVAS_PX` (a multiple of 32: the detector is convolutional). A frame-filling face
/// then spans about two thirds of the input, with room around it as in the detector's training;
/// on tight head shots and beauty crops of the test faces this finds 30 of 30 faces where the
/// plain pass found 16, at about a quarter of the plain pass's cost.
const CLOSE_UP_CONTENT_PX: u32 = 64;
pub(crate) const CLOSE_UP_CANVAS_PX: u32 = 96;
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

/// One detector input: NCHW data of `h`×`w` pixels, and where it lies in the full image.
struct Input {
    data: Vec<f32>,
    h: usize,
    w: usize,
    view: View,
}

/// Maps detector input pixels to full-image pixels: `origin + p * scale` per axis.
#[derive(Debug, Clone, Copy)]
struct View {
    origin: [f32; 2],
    /// Full-image pixels per input pixel.
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
    /// The close-up pass ran (the plain pass found nothing).
    pub close_up_pass: bool,
}

/// Finds faces in `src`.
pub(crate) fn detect_faces(
    models: &FaceModels,
    src: &dyn PixelSource,
    opts: &FaceOptions,
) -> Result<(Vec<Detection>, DetectStats)> {
    let (w, h) = src.size();
    let mut stats = DetectStats::default();
    if w == 0 || h == 0 {
        return Ok((Vec::new(), stats));
    }
    let input = letterbox(src, DETECTOR_SIZE as u32, DETECTOR_ALIGN as u32);
    let mut raw = run_detector(models, input, &mut stats.model_time)?;
    if opts.close_up_pass && weighted_nms(raw.clone()).is_empty() {
        // Nothing found: perhaps a face that fills the frame (a tight head shot, forehead or
        // chin cut off), which the detector, trained on faces with room around them, misses.
        // Look again with the frame small in the middle of a grey square.
        let input = letterbox(src, CLOSE_UP_CONTENT_PX, CLOSE_UP_CANVAS_PX);
        raw = run_detector(models, input, &mut stats.model_time)?;
        stats.close_up_pass = true;
    }

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
            let input = tile_input(src, tile, &mut stats.render_time);
            raw.extend(run_detector(models, input, &mut stats.model_time)?);
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

/// The whole frame, its longer side scaled to `size` input pixels, centred on mid-grey in an
/// input whose sides are rounded up to a multiple of `align`. With `DETECTOR_SIZE` and
/// `DETECTOR_ALIGN` a 3:2 frame gives 192×128: the detector is convolutional, so a frame that
/// is not square needs no padding to a square, and runs on fewer pixels. (With `align` =
/// `DETECTOR_SIZE` the input is the 192×192 square MediaPipe uses; with `align` larger than
/// `size`, the frame sits small in a grey square.)
fn letterbox(src: &dyn PixelSource, size: u32, align: u32) -> Input {
    let full = src.size();
    let max = size;
    let scale = size as f32 / full.0.max(full.1) as f32;
    let cw = ((full.0 as f32 * scale).round() as u32).clamp(1, max);
    let ch = ((full.1 as f32 * scale).round() as u32).clamp(1, max);
    let (iw, ih) = (cw.div_ceil(align) * align, ch.div_ceil(align) * align);
    let content = src.whole(cw, ch);
    let (off_x, off_y) = ((iw - cw) / 2, (ih - ch) / 2);
    let canvas = if (iw, ih) == (cw, ch) {
        content
    } else {
        let mut canvas = RgbImage::from_pixel(iw, ih, Rgb([128, 128, 128]));
        image::imageops::replace(&mut canvas, &content, off_x.into(), off_y.into());
        canvas
    };
    // Input pixels → full-image pixels, per axis (the content spans cw × ch input pixels).
    let kx = full.0 as f32 / cw as f32;
    let ky = full.1 as f32 / ch as f32;
    let view = View {
        origin: [-(off_x as f32) * kx, -(off_y as f32) * ky],
        scale: [kx, ky],
        inner_edges: [false; 4],
    };
    Input {
        data: to_tensor(&canvas, Norm::SignedUnit),
        h: ih as usize,
        w: iw as usize,
        view,
    }
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
fn tile_input(src: &dyn PixelSource, tile: Tile, render_time: &mut Duration) -> Input {
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
    Input {
        data: to_tensor(&img, Norm::SignedUnit),
        h: DETECTOR_SIZE,
        w: DETECTOR_SIZE,
        view: View {
            origin: [tile.x, tile.y],
            scale: [input_px, input_px],
            inner_edges: tile.inner_edges,
        },
    }
}

/// Runs the detector and decodes every anchor above the score threshold (before NMS).
fn run_detector(
    models: &FaceModels,
    input: Input,
    model_time: &mut Duration,
) -> Result<Vec<Detection>> {
    let Input { data, h, w, view } = input;
    let start = Instant::now();
    let out = models.detect(data, h, w)?;
    *model_time += start.elapsed();
    let cols = w / DETECTOR_STRIDE;
    let cell = DETECTOR_STRIDE as f32;
    // Cut faces at inner tile edges: the neighbouring tile holds them whole.
    let margin = [0.01 * w as f32, 0.01 * h as f32];
    let mut found = Vec::new();
    for (a, &logit) in out.logits.iter().enumerate() {
        let score = sigmoid(logit);
        if score < MIN_SCORE {
            continue;
        }
        // Anchor centre and regressors, in input pixels.
        let ax = ((a % cols) as f32 + 0.5) * cell;
        let ay = ((a / cols) as f32 + 0.5) * cell;
        let Some(r) = out.regressors.get(a * 16..a * 16 + 16) else {
            break;
        };
        let (cx, cy, bw, bh) = (ax + r[0], ay + r[1], r[2], r[3]);
        if !(bw > 0.0 && bh > 0.0) {
            continue;
        }
        let edges = [
            cx - bw / 2.0 < margin[0],
            cy - bh / 2.0 < margin[1],
            cx + bw / 2.0 > w as f32 - margin[0],
            cy + bh / 2.0 > h as f32 - margin[1],
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
            *kp = map(ax + r[4 + 2 * k], ay + r[5 + 2 * k]);
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
    use crate::source::RgbSource;

    fn fixture(name: &str) -> RgbImage {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        image::open(&path).expect("fixture decodes").to_rgb8()
    }

    /// A wide frame runs unpadded (192×128 for two people in a 1126×661 photo) and the
    /// detector finds the same faces there as in MediaPipe's square letterbox.
    #[test]
    fn wide_frames_find_the_same_faces_without_a_square_letterbox() {
        let models = FaceModels::locate().expect("models");
        let src = RgbSource::new(fixture("fr_two_people.jpg"), 1024);
        let run = |align: u32| {
            let input = letterbox(&src, DETECTOR_SIZE as u32, align);
            let size = (input.w, input.h);
            let mut time = Duration::ZERO;
            let mut faces =
                weighted_nms(run_detector(&models, input, &mut time).expect("detector runs"));
            faces.sort_by(|a, b| a.bbox[0].total_cmp(&b.bbox[0]));
            (size, faces)
        };
        let (wide_size, wide) = run(DETECTOR_ALIGN as u32);
        let (square_size, square) = run(DETECTOR_SIZE as u32);
        assert_eq!(wide_size, (192, 128));
        assert_eq!(square_size, (192, 192));
        assert_eq!(wide.len(), 2, "two faces: {wide:?}");
        assert_eq!(square.len(), 2, "two faces: {square:?}");
        for (a, b) in wide.iter().zip(&square) {
            let worst = a
                .bbox
                .iter()
                .zip(&b.bbox)
                .map(|(p, q)| (p - q).abs())
                .fold(0.0, f32::max);
            assert!(
                worst < 0.08 * b.bbox[2],
                "boxes agree: {:?} vs {:?}",
                a.bbox,
                b.bbox
            );
            assert!(
                (a.score - b.score).abs() < 0.1,
                "{} vs {}",
                a.score,
                b.score
            );
        }
    }

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
