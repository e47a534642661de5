//! Single-thread latency of each stage, printed (not asserted: the machine may be busy).
//!
//! ```text
//! cargo test --release -p bestpick-faces stage_latency -- --ignored --nocapture
//! ```

use std::time::{Duration, Instant};

use crate::crop::{Crop, Patch};
use crate::models::{DETECTOR_SIZE, FaceModels, IRIS_SIZE, MESH_SIZE};
use crate::sharpness::{Gray, region, sharpness};
use crate::source::RgbSource;
use crate::tensor::{Norm, to_tensor};

/// Best of `n` runs (the minimum is the least disturbed by other work on the machine).
fn best<T>(n: usize, mut f: impl FnMut() -> T) -> Duration {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[test]
#[ignore = "timing report; run in release with --ignored --nocapture"]
fn stage_latency() {
    let t = Instant::now();
    let models = FaceModels::locate().unwrap();
    println!("load + optimize all models: {:.0} ms", ms(t.elapsed()));
    let det_in = vec![0.1f32; 3 * DETECTOR_SIZE * DETECTOR_SIZE];
    let mesh_in = vec![0.5f32; 3 * MESH_SIZE * MESH_SIZE];
    let iris_in = vec![0.5f32; 3 * IRIS_SIZE * IRIS_SIZE];
    let n = 40;
    let side = DETECTOR_SIZE;
    println!(
        "detector run: {:.2} ms",
        ms(best(n, || models
            .detect(det_in.clone(), side, side)
            .unwrap()))
    );
    // Portrait frames' plan is not among those prepared at load.
    let t = Instant::now();
    let (h, w) = (side, side * 2 / 3);
    models.detect(vec![0.1f32; 3 * h * w], h, w).unwrap();
    println!(
        "detector, first {w}×{h} run (prepares its plan): {:.0} ms",
        ms(t.elapsed())
    );
    let (h, w) = (side * 2 / 3, side);
    println!(
        "detector run, {w}×{h} (3:2 frame): {:.2} ms",
        ms(best(n, || models
            .detect(vec![0.1f32; 3 * h * w], h, w)
            .unwrap()))
    );
    let close = crate::detect::CLOSE_UP_CANVAS_PX as usize;
    models
        .detect(vec![0.1f32; 3 * close * close], close, close)
        .unwrap();
    println!(
        "detector run, {close}×{close} (close-up pass): {:.2} ms",
        ms(best(n, || models
            .detect(vec![0.1f32; 3 * close * close], close, close)
            .unwrap()))
    );
    println!(
        "mesh run:     {:.2} ms",
        ms(best(n, || models.mesh(mesh_in.clone()).unwrap()))
    );
    println!(
        "iris run:     {:.2} ms",
        ms(best(n, || models.iris(iris_in.clone()).unwrap()))
    );

    // Pixel work around the models, on a synthetic 24 MP-like frame.
    let img = image::RgbImage::from_fn(6000, 4000, |x, y| {
        image::Rgb([
            (x * 7 % 251) as u8,
            (y * 3 % 241) as u8,
            ((x ^ y) % 256) as u8,
        ])
    });
    let t = Instant::now();
    let src = RgbSource::new(img, 750);
    println!(
        "RgbSource overview 6000x4000 -> 750x500: {:.1} ms",
        ms(t.elapsed())
    );
    let crop = Crop {
        center: [3000.0, 2000.0],
        side: 1500.0,
        angle: 0.1,
        mirror: false,
    };
    let patch_t = best(5, || {
        Patch::render(&src, crop.center, crop.bounding_half(), 384.0 / 1500.0)
    });
    println!(
        "face patch render (1500 px face crop -> 384): {:.2} ms",
        ms(patch_t)
    );
    let patch = Patch::render(&src, crop.center, crop.bounding_half(), 384.0 / 1500.0);
    println!(
        "mesh input (half patch + sample + tensor): {:.2} ms",
        ms(best(n, || to_tensor(
            &crop.sample(&patch.half(), MESH_SIZE as u32),
            Norm::Unit
        )))
    );
    let eye = Crop {
        center: [3000.0, 2000.0],
        side: 2.3 * 200.0,
        angle: 0.1,
        mirror: true,
    };
    println!(
        "iris input sample + tensor: {:.2} ms",
        ms(best(n, || to_tensor(
            &eye.sample(&patch, IRIS_SIZE as u32),
            Norm::Unit
        )))
    );
    let gray = Gray::from_rgb(&patch.img);
    let r = region(&gray, [patch.img.width() as f32 / 2.0; 2], 128.0).unwrap();
    println!(
        "grey conversion: {:.2} ms",
        ms(best(n, || Gray::from_rgb(&patch.img)))
    );
    println!(
        "sharpness 256x256: {:.2} ms",
        ms(best(n, || sharpness(&gray, r, &[])))
    );
}

#[test]
#[ignore = "timing report"]
fn sample_speed() {
    let img = image::RgbImage::from_fn(600, 600, |x, y| image::Rgb([x as u8, y as u8, 0]));
    let patch = Patch {
        img,
        origin: [0.0, 0.0],
        scale: 1.0,
    };
    let crop = Crop {
        center: [300.0, 300.0],
        side: 384.0,
        angle: 0.1,
        mirror: false,
    };
    let half = patch.half();
    println!("half: {:.2} ms", ms(best(20, || patch.half())));
    let src = RgbSource::new(patch.img.clone(), 600);
    use crate::source::PixelSource;
    println!(
        "render 250 px -> 400 px (upscale): {:.2} ms",
        ms(best(20, || src.render(
            [100.0, 100.0, 250.0, 250.0],
            400,
            400
        )))
    );
    println!(
        "render 590 px -> 400 px: {:.2} ms",
        ms(best(20, || src.render([5.0, 5.0, 590.0, 590.0], 400, 400)))
    );
    println!(
        "sample 192 from full (sub 2): {:.2} ms",
        ms(best(20, || crop.sample(&patch, 192)))
    );
    println!(
        "sample 192 from half (sub 1): {:.2} ms",
        ms(best(20, || crop.sample(&half, 192)))
    );
}

/// A 24 MP frame holding `img` scaled to fit, centred on grey.
fn frame_24mp(img: &image::RgbImage, portrait: bool) -> image::RgbImage {
    let (w, h) = if portrait { (4000, 6000) } else { (6000, 4000) };
    let s = (w as f32 / img.width() as f32).min(h as f32 / img.height() as f32);
    let (sw, sh) = (
        (img.width() as f32 * s) as u32,
        (img.height() as f32 * s) as u32,
    );
    let big = image::imageops::resize(img, sw, sh, image::imageops::FilterType::Triangle);
    let mut canvas = image::RgbImage::from_pixel(w, h, image::Rgb([100, 104, 108]));
    image::imageops::replace(
        &mut canvas,
        &big,
        ((w - sw) / 2) as i64,
        ((h - sh) / 2) as i64,
    );
    canvas
}

#[test]
#[ignore = "timing report; run in release with --ignored --nocapture"]
fn pipeline_latency_24mp() {
    use crate::{FaceOptions, Tiling, analyze_faces_with_stats};
    let models = FaceModels::locate().unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let open = |name: &str| image::open(fixtures.join(name)).unwrap().to_rgb8();
    let hopper = open("mpl_grace_hopper.jpg");
    let two = open("fr_two_people.jpg");
    // A group: the fixture's face repeated small across the frame.
    let head = image::imageops::crop_imm(&hopper, 100, 60, 330, 330).to_image();
    let small = image::imageops::resize(&head, 300, 300, image::imageops::FilterType::Triangle);
    let mut group = image::RgbImage::from_pixel(6000, 4000, image::Rgb([110, 115, 120]));
    for i in 0..8 {
        image::imageops::replace(&mut group, &small, 300 + i * 680, 1500 + (i % 2) * 260);
    }
    let empty = image::RgbImage::from_fn(6000, 4000, |x, y| {
        let v = ((x / 40 + y / 40) % 2 * 60 + 90) as u8;
        image::Rgb([v, v.wrapping_add(10), v])
    });
    let cases: Vec<(&str, image::RgbImage, Tiling)> = vec![
        ("no face", empty, Tiling::Auto),
        ("portrait, 1 face", frame_24mp(&hopper, true), Tiling::Auto),
        ("two people", frame_24mp(&two, false), Tiling::Auto),
        (
            "group of 8 small faces, untiled",
            group.clone(),
            Tiling::Off,
        ),
        ("group of 8 small faces, tiled", group, Tiling::Always),
    ];
    for (name, img, tiling) in cases {
        let src = RgbSource::new(img, 750);
        let opts = FaceOptions {
            tiling,
            ..FaceOptions::default()
        };
        let mut runs: Vec<_> = (0..7)
            .map(|_| analyze_faces_with_stats(&models, &src, &opts).unwrap())
            .collect();
        runs.sort_by_key(|(_, s)| s.detect_time + s.faces_time);
        let (faces, s) = &runs[0];
        println!(
            "{name}: {} faces; detect {:.1} ms ({} tiles), per-face stages {:.1} ms \
             ({} candidates, {} iris runs); total {:.1} ms, of which networks {:.1} ms, \
             PixelSource::render {:.1} ms",
            faces.len(),
            ms(s.detect_time),
            s.tiles,
            ms(s.faces_time),
            s.candidates,
            s.iris_runs,
            ms(s.detect_time + s.faces_time),
            ms(s.model_time),
            ms(s.render_time)
        );
    }
}
