//! Something in front of the lens: a large, smooth, out-of-focus object (a hand, a shoulder)
//! pasted over about 40 % of one frame of a real burst is called out and made a reject candidate;
//! no other frame is, and the burst stays one group.

mod common;

use std::path::Path;

use bestpick_core::Reason;
use common::{analyze_and_cull, corpus, fixtures, save_jpeg};
use image::RgbImage;

/// A skin-toned, blurred blob entering from the bottom-left corner, as an out-of-focus hand
/// covering about 40 % of the frame: an ellipse centred at (15 %, 90 %) of the frame with
/// semi-axes of 50 % × 60 %, its edge feathered over 8 % of the width, its colour shaded
/// across the frame.
fn hand_over(img: &RgbImage) -> RgbImage {
    let (w, h) = (img.width() as f32, img.height() as f32);
    let (cx, cy, ax, ay) = (0.15 * w, 0.9 * h, 0.5 * w, 0.6 * h);
    let feather = 0.08 * w;
    let mut out = img.clone();
    for (x, y, p) in out.enumerate_pixels_mut() {
        let (dx, dy) = ((x as f32 - cx) / ax, (y as f32 - cy) / ay);
        let r = (dx * dx + dy * dy).sqrt();
        // 1 inside, 0 outside, a smooth ramp across the edge.
        let inside = ((1.0 - r) * ax.min(ay) / feather + 0.5).clamp(0.0, 1.0);
        let shade = 0.75 + 0.3 * x as f32 / w;
        let skin = [200.0 * shade, 140.0 * shade, 110.0 * shade];
        for (c, s) in p.0.iter_mut().zip(skin) {
            *c = (f32::from(*c) * (1.0 - inside) + s.min(255.0) * inside).round() as u8;
        }
    }
    out
}

/// `img` as a JPEG carrying the EXIF segment (capture time) of `original`, if it has one.
fn jpeg_like(img: &RgbImage, original: &[u8]) -> Vec<u8> {
    let mut encoded = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut encoded, 92)
        .encode_image(img)
        .expect("encode");
    // Marker segments after SOI: find APP1 (FF E1) and splice it in after the new SOI.
    let mut at = 2;
    while at + 4 <= original.len() && original[at] == 0xFF && original[at + 1] != 0xDA {
        let len = usize::from(u16::from_be_bytes([original[at + 2], original[at + 3]]));
        if original[at + 1] == 0xE1 {
            let mut out = encoded[..2].to_vec();
            out.extend_from_slice(&original[at..at + 2 + len]);
            out.extend_from_slice(&encoded[2..]);
            return out;
        }
        at += 2 + len;
    }
    encoded
}

/// How the copies of a burst keep its capture times.
#[derive(Clone, Copy, PartialEq)]
enum Times {
    /// The files as they are; the covered frame keeps its EXIF segment.
    Kept,
    /// Every frame re-encoded without EXIF, as some exports and messengers leave them.
    Stripped,
}

/// Copies `frames` into `dir`, the one at `covered` with a hand over it; returns the names.
fn burst_with_a_hand(
    frames: &[std::path::PathBuf],
    covered: usize,
    dir: &Path,
    times: Times,
) -> Vec<String> {
    frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let name = format!("{i:03}.jpg");
            let bytes = std::fs::read(f).expect("read");
            let out = if i == covered || times == Times::Stripped {
                let img = image::load_from_memory(&bytes).expect("decodes").to_rgb8();
                let img = if i == covered { hand_over(&img) } else { img };
                match times {
                    Times::Kept => jpeg_like(&img, &bytes),
                    Times::Stripped => jpeg_like(&img, &[]),
                }
            } else {
                bytes
            };
            std::fs::write(dir.join(&name), out).expect("write");
            name
        })
        .collect()
}

fn check(frames: Vec<std::path::PathBuf>, covered: usize, what: &str) {
    check_with(frames, covered, what, Times::Kept);
}

fn check_with(frames: Vec<std::path::PathBuf>, covered: usize, what: &str, times: Times) {
    let dir = tempfile::tempdir().expect("tempdir");
    let names = burst_with_a_hand(&frames, covered, dir.path(), times);
    let culled = analyze_and_cull(dir.path(), false);
    let groups = &culled.groups;
    assert_eq!(groups.len(), 1, "{what}: one burst");
    for (rel, s) in culled.names.iter().zip(&culled.suggestions) {
        let flagged = s.ranked.reasons.contains(&Reason::Obstructed);
        if *rel == names[covered] {
            assert!(flagged, "{what} {rel}: {:?}", s.reason_words());
            assert!(s.ranked.reject_candidate && !s.ranked.best, "{what} {rel}");
            assert_eq!(
                s.reason_words()[0],
                "something in front of the lens",
                "{what}"
            );
        } else {
            assert!(
                !flagged,
                "{what} {rel} called obstructed: {:?}",
                s.reason_words()
            );
        }
    }
}

#[test]
fn a_hand_in_front_of_the_lens_is_called_out() {
    // The licensed damaged bursts (blur, noise, exposure, compression): the hand goes on the
    // original, the damaged copies must not read as obstructed.
    for burst in ["skimage_astronaut", "skimage_chelsea"] {
        let dir = fixtures().join("bursts").join(burst);
        let mut frames: Vec<_> = std::fs::read_dir(&dir)
            .expect("burst")
            .map(|e| e.expect("entry").path())
            .collect();
        frames.sort();
        check(frames, 0, burst);
    }
    // Real consecutive frames: a person, a dog in motion, a player, a panning shot.
    let Some(shared) = corpus() else { return };
    for burst in ["b01", "b04", "b06", "b08"] {
        let frames = real_burst(&shared, burst);
        let covered = frames.len() / 2;
        check(frames, covered, burst);
    }
}

/// The frames of real burst `name`, in shooting order.
fn real_burst(shared: &Path, name: &str) -> Vec<std::path::PathBuf> {
    let dir = shared.join("realbursts").join(name);
    let mut frames: Vec<_> = std::fs::read_dir(&dir)
        .expect("burst")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("jpg")))
        .collect();
    frames.sort();
    frames
}

#[test]
fn a_hand_over_the_first_or_last_frame_of_a_burst_without_capture_times_stays_in_it() {
    // Without capture times a burst is kept together by its looks, and a frame a third covered
    // by a hand does not look like its neighbour. In the middle of the burst the frames on both
    // sides bridge it; at either end, before the hand was seen past, it split off into a group
    // of its own, its pick, with nothing said (these two bursts did, at both ends). Frames of
    // a person indoors and of a person looking down.
    let Some(shared) = corpus() else { return };
    for burst in ["b01", "b06"] {
        let frames = real_burst(&shared, burst);
        let last = frames.len() - 1;
        for covered in [0, last] {
            let what = format!("{burst}, times stripped, hand over frame {covered}");
            check_with(frames.clone(), covered, &what, Times::Stripped);
        }
    }
}

#[test]
fn blown_highlights_are_not_something_in_front_of_the_lens() {
    // Photos with skies, walls and a sign that blow flat white when exposed 2.5 stops brighter
    // (in linear light): a third of the group's structure turns flat and differs from the
    // burst, as a hand does. Before blown cells were told apart, these copies read "something
    // in front of the lens". The burst is untimed, so it is kept together by its looks.
    let Some(shared) = corpus() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = [
        "mei_Canon_EOS_REBEL_T3i.jpg",
        "mei_HTC_Desire.jpg",
        "mei_FujiFilm_FinePix2650.jpg",
        "lomiri_sunset_by_Aitzol_Berasategi.jpg",
    ];
    let expose = bestpick_testkit::exposure::expose;
    for name in photos {
        let stem = name.trim_end_matches(".jpg");
        let (img, out) = common::photo_and_folder(&shared, name, 1600, dir.path());
        save_jpeg(&out, stem, "00_original", &img, 92);
        save_jpeg(&out, stem, "01_much_brighter", &expose(&img, 2.5), 92);
        save_jpeg(&out, stem, "02_again", &img, 90);
        save_jpeg(&out, stem, "03_again", &img, 88);
    }
    let culled = analyze_and_cull(dir.path(), false);
    let mut failures = Vec::new();
    for name in photos {
        let stem = name.trim_end_matches(".jpg");
        for suffix in ["00_original", "01_much_brighter", "02_again", "03_again"] {
            let s = culled.frame(stem, suffix);
            if s.ranked.reasons.contains(&Reason::Obstructed) {
                failures.push(format!("{stem} {suffix}: {:?}", s.reason_words()));
            }
        }
        let bright = culled.frame(stem, "01_much_brighter");
        // The burst is whole, so the obstruction judgement ran on it (three frames or more).
        let original = culled.frame(stem, "00_original");
        let members = culled
            .suggestions
            .iter()
            .filter(|s| s.group == original.group)
            .count();
        if bright.group != original.group || members != 4 {
            failures.push(format!("{stem}: not one burst of 4 ({members})"));
        }
        let reasons = &bright.ranked.reasons;
        if !reasons.iter().any(|r| matches!(r, Reason::Brighter { .. }))
            || !reasons
                .iter()
                .any(|r| matches!(r, Reason::HighlightsClipped { .. }))
        {
            failures.push(format!(
                "{stem}: not brighter and clipped: {:?}",
                bright.reason_words()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
