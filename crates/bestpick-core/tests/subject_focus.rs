//! Focus judged where the subject is: a sharp subject over a soft background (a portrait at
//! f/1.4) or over a streaked one (a panning shot) is not "out of focus", alone or in a burst;
//! a frame whose subject itself is soft or smeared still is. The frames are made from real
//! photos: the subject is an ellipse around the centre, left sharp; the background is blurred
//! as a lens or a pan blurs it.

mod common;

use std::path::Path;

use bestpick_core::Reason;
use common::{analyze_and_cull, at_most, corpus, fixtures};
use image::RgbImage;

/// Whether (x, y) is inside the subject: an ellipse over the middle third of the frame.
fn in_subject(x: u32, y: u32, w: u32, h: u32) -> bool {
    let dx = (x as f32 - w as f32 / 2.0) / (w as f32 * 0.2);
    let dy = (y as f32 - h as f32 / 2.0) / (h as f32 * 0.3);
    dx * dx + dy * dy <= 1.0
}

/// `img` with the subject taken from `subject` and the rest from `background`.
fn composite(subject: &RgbImage, background: &RgbImage) -> RgbImage {
    let (w, h) = subject.dimensions();
    RgbImage::from_fn(w, h, |x, y| {
        if in_subject(x, y, w, h) {
            *subject.get_pixel(x, y)
        } else {
            *background.get_pixel(x, y)
        }
    })
}

/// A horizontal streak `len` pixels long (a pan).
fn streak(img: &RgbImage, len: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    RgbImage::from_fn(w, h, |x, y| {
        let (mut s, mut n) = ([0u32; 3], 0);
        for k in 0..len {
            let xx = (x + k).saturating_sub(len / 2).min(w - 1);
            let p = img.get_pixel(xx, y).0;
            for c in 0..3 {
                s[c] += u32::from(p[c]);
            }
            n += 1;
        }
        image::Rgb(s.map(|v| (v / n) as u8))
    })
}

fn photos() -> Vec<std::path::PathBuf> {
    let mut p = vec![
        fixtures().join("singles/sklearn_china.jpg"),
        fixtures().join("singles/skimage_coffee.png"),
        fixtures().join("singles/mpl_grace_hopper.jpg"),
    ];
    if let Some(shared) = corpus() {
        p.push(shared.join("images/plasma_ColorfulCups.jpg"));
        p.push(shared.join("images/mate_Wood.jpg"));
    }
    p
}

fn load(path: &Path) -> RgbImage {
    at_most(image::open(path).expect("decodes").to_rgb8(), 1600)
}

fn save(img: &RgbImage, dir: &Path, name: &str) {
    img.save(dir.join(name)).expect("save");
}

fn is_detail_fault(r: &Reason) -> bool {
    matches!(
        r,
        Reason::Blurry | Reason::OutOfFocus { .. } | Reason::MotionBlur { .. }
    )
}

#[test]
fn a_sharp_subject_over_a_soft_or_streaked_background_is_not_out_of_focus_alone() {
    for path in photos() {
        let img = load(&path);
        let h = img.height() as f32;
        let soft = composite(&img, &image::imageops::blur(&img, h * 0.02));
        let panned = composite(&img, &streak(&img, (h * 0.06) as u32));
        for (frame, kind) in [(soft, "shallow"), (panned, "panned")] {
            // Each photo alone.
            let dir = tempfile::tempdir().expect("tempdir");
            save(&frame, dir.path(), "photo.png");
            let culled = analyze_and_cull(dir.path(), false);
            let s = &culled.suggestions[0];
            assert!(
                !s.ranked.reasons.iter().any(is_detail_fault),
                "{} {kind}: {:?}",
                path.display(),
                s.reason_words()
            );
        }
    }
}

#[test]
fn in_a_burst_the_subject_decides_focus_not_the_background() {
    for path in photos() {
        let dir = tempfile::tempdir().expect("tempdir");
        let img = load(&path);
        let h = img.height() as f32;
        // A portrait burst at f/1.4: two frames with the subject sharp (the background a little
        // softer in one: the focus breathing, the subject a step nearer), one where focus missed
        // the subject.
        let background = image::imageops::blur(&img, h * 0.02);
        save(&composite(&img, &background), dir.path(), "p1.png");
        let softer = image::imageops::blur(&img, h * 0.03);
        save(&composite(&img, &softer), dir.path(), "p2.png");
        let missed = image::imageops::blur(&img, h * 0.006);
        save(&composite(&missed, &background), dir.path(), "p3.png");
        let culled = analyze_and_cull(dir.path(), false);
        assert_eq!(culled.groups.len(), 1, "{}", path.display());
        let by_name = |n: &str| {
            let i = culled.names.iter().position(|x| x == n).expect("frame");
            &culled.suggestions[i]
        };
        for n in ["p1.png", "p2.png"] {
            assert!(
                !by_name(n).ranked.reasons.iter().any(is_detail_fault),
                "{}: {n}: {:?}",
                path.display(),
                by_name(n).reason_words()
            );
        }
        let p3 = by_name("p3.png");
        assert!(!p3.ranked.best, "{}", path.display());
        assert!(
            p3.ranked.reasons.iter().any(is_detail_fault)
                || p3.ranked.reasons.contains(&Reason::SlightlySoft),
            "{}: the missed focus: {:?}",
            path.display(),
            p3.reason_words()
        );
    }
}
