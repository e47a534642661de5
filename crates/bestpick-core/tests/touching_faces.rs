//! Eyes shut in a kiss or a hug are not a blink: two real faces cheek to cheek, open-eyed in
//! the frames before and after and eyes shut in the middle one, rank that frame below the
//! open-eyed ones but do not make it a reject candidate; the same faces a face's width apart
//! with their eyes shut are a blink ("eyes closed (2 of 2 faces)", a reject candidate). The
//! frames are composed from real face photos (open-eyed ones where the eyes are open, others
//! with eyes shut at the same place and size: the ranking matches people by place and size)
//! over a real landscape, with capture times 100 ms apart.

mod common;

use std::path::Path;

use bestpick_core::{FaceVerdict, Reason};
use bestpick_testkit::exposure::timed_jpeg;
use common::{analyze_and_cull, corpus};
use image::RgbImage;

/// Side of a pasted face square; the face fills its middle (the crop keeps 15 % around it).
const SIDE: u32 = 380;

/// The face at `bbox` (x, y, w, h as the detector finds it in that photo) with 15 % around it,
/// as a `SIDE` square.
fn face(shared: &Path, name: &str, bbox: [u32; 4]) -> RgbImage {
    let img = image::open(shared.join("faces").join(name))
        .expect("decode")
        .to_rgb8();
    let [x, y, w, h] = bbox;
    let (mx, my) = (w * 15 / 100, h * 15 / 100);
    let crop = image::imageops::crop_imm(&img, x - mx, y - my, w + 2 * mx, h + 2 * my).to_image();
    image::imageops::resize(&crop, SIDE, SIDE, image::imageops::FilterType::Lanczos3)
}

/// Pastes `face` at (`left`, `top`) through an oval a little narrower than the square, its edge
/// feathered (a head, not a square of another photo).
fn paste(canvas: &mut RgbImage, face: &RgbImage, left: u32, top: u32) {
    let (cx, cy, ax, ay) = (190.0, 190.0, 160.0, 180.0);
    for (x, y, p) in face.enumerate_pixels() {
        let (dx, dy) = ((x as f32 - cx) / ax, (y as f32 - cy) / ay);
        let r = (dx * dx + dy * dy).sqrt();
        let alpha = ((1.0 - r) * ax / 12.0 + 0.5).clamp(0.0, 1.0);
        let q = canvas.get_pixel_mut(left + x, top + y);
        for (c, &s) in q.0.iter_mut().zip(&p.0) {
            *c = (f32::from(*c) * (1.0 - alpha) + f32::from(s) * alpha).round() as u8;
        }
    }
}

/// Writes a three-frame burst into `dir`: the pair open-eyed, eyes shut, open-eyed again, the
/// second face's square at `second_left`; `start_s` seconds past noon.
fn burst(dir: &Path, tag: &str, faces: &[RgbImage; 4], second_left: u32, start_s: u32) {
    let shared = corpus().expect("shared");
    let background = image::imageops::resize(
        &image::open(shared.join("images").join("mate_Dune.jpg"))
            .expect("decode")
            .to_rgb8(),
        1800,
        1100,
        image::imageops::FilterType::Triangle,
    );
    let [a_open, a_shut, b_open, b_shut] = faces;
    for (i, (a, b)) in [(a_open, b_open), (a_shut, b_shut), (a_open, b_open)]
        .into_iter()
        .enumerate()
    {
        let mut frame = background.clone();
        paste(&mut frame, a, 380, 350);
        paste(&mut frame, b, second_left, 350);
        let ms = 12 * 3_600_000 + u64::from(start_s) * 1000 + i as u64 * 100;
        let out = timed_jpeg(&frame, ms, 0.0);
        std::fs::write(dir.join(format!("{tag}_{i}.jpg")), out).expect("write");
    }
}

#[test]
fn eyes_shut_cheek_to_cheek_are_no_blink_and_apart_they_are() {
    let Some(shared) = corpus() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let faces = [
        face(&shared, "eyeblink_granger.jpg", [431, 475, 936, 937]),
        face(&shared, "eyeblink_both_blink.jpg", [178, 64, 343, 343]),
        face(&shared, "pm_eyes_open.jpg", [408, 152, 175, 175]),
        face(&shared, "fm_closed_eyes.jpg", [77, 121, 212, 212]),
    ];
    // The first face fills about 424..716 across; the second square's face starts 44 pixels
    // in: at 657 the two touch (a few pixels over), at 1090 they are a face's width apart.
    burst(dir.path(), "touching", &faces, 657, 0);
    burst(dir.path(), "apart", &faces, 1090, 300);
    let culled = analyze_and_cull(dir.path(), true);
    let by_name = |n: &str| {
        let i = culled.names.iter().position(|x| x == n).expect("frame");
        &culled.suggestions[i]
    };
    assert_eq!(culled.groups.len(), 2, "two bursts");
    for tag in ["touching", "apart"] {
        let shut = by_name(&format!("{tag}_1.jpg"));
        let words = shut.reason_words();
        assert!(!shut.ranked.best, "{tag}: {words:?}");
        assert_eq!(shut.ranked.judged_faces.len(), 2, "{tag}: both faces found");
        if tag == "touching" {
            assert!(!shut.ranked.reject_candidate, "{tag}: {words:?}");
            assert!(
                shut.ranked.reasons.contains(&Reason::EyesShutKissing {
                    kissing: 2,
                    faces: 2
                }),
                "{tag}: {words:?}"
            );
            assert!(
                shut.ranked
                    .judged_faces
                    .iter()
                    .all(|f| f.eyes == FaceVerdict::Kissing),
                "{tag}: {:?}",
                shut.ranked.judged_faces
            );
        } else {
            assert!(shut.ranked.reject_candidate, "{tag}: {words:?}");
            assert!(
                shut.ranked.reasons.contains(&Reason::EyesClosed {
                    closed: 2,
                    faces: 2
                }),
                "{tag}: {words:?}"
            );
        }
        for open in [0, 2] {
            let s = by_name(&format!("{tag}_{open}.jpg"));
            assert!(
                !s.ranked.reject_candidate && s.ranked.rank < shut.ranked.rank,
                "{tag}_{open}: {:?}",
                s.reason_words()
            );
        }
    }
}
