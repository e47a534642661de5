//! Sets that belong together: exposure brackets made from real photos (exposure steps applied
//! in linear light, with the EXIF an AEB sequence records: one capture time per frame, 100 ms
//! apart, and the exposure compensation) come out as one group labelled a bracket, the metered
//! frame is the pick, and no frame is faulted for the exposure differences that are the point.
//! The generator below is the one the test sets are made with.

mod common;

use std::path::Path;

use bestpick_core::{Reason, SetKind};
use bestpick_testkit::exposure::{expose, timed_jpeg, with_noise};
use common::{analyze_and_cull, at_most, corpus, fixtures};
use image::RgbImage;

/// 12:00:00 on the test shoots' day, in milliseconds.
const NOON_MS: u64 = 12 * 3_600_000;

/// Writes an AEB sequence of `photo` into `dir`: one frame per compensation in `steps` (in
/// shooting order), 100 ms apart from `start_s` seconds past 12:00:00, as JPEG quality 92.
pub fn make_bracket(photo: &Path, steps: &[f32], start_s: u32, dir: &Path) -> Vec<String> {
    let img = image::open(photo).expect("decodes").to_rgb8();
    let stem = photo.file_stem().expect("stem").to_string_lossy();
    steps
        .iter()
        .enumerate()
        .map(|(i, &ev)| {
            let ms = NOON_MS + u64::from(start_s) * 1000 + i as u64 * 100;
            let out = timed_jpeg(&expose(&img, ev), ms, ev);
            let name = format!("{stem}_{i}_{ev:+}ev.jpg");
            std::fs::write(dir.join(&name), out).expect("write");
            name
        })
        .collect()
}

#[test]
fn exposure_brackets_are_one_set_and_the_metered_frame_is_the_pick() {
    let mut photos = vec![
        fixtures().join("singles/sklearn_china.jpg"),
        fixtures().join("singles/skimage_rocket.jpg"),
        fixtures().join("singles/mpl_grace_hopper.jpg"),
    ];
    if let Some(shared) = corpus() {
        photos.push(shared.join("images/plasma_Path.jpg"));
        photos.push(shared.join("images/plasma_ColorfulCups.jpg"));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // Three- and five-frame sequences in the usual AEB order (metered first), a minute apart.
    let orders: [&[f32]; 2] = [&[0.0, -2.0, 2.0], &[0.0, -1.0, 1.0, -2.0, 2.0]];
    for (k, photo) in photos.iter().enumerate() {
        make_bracket(photo, orders[k % 2], 60 * k as u32, dir.path());
    }
    let culled = analyze_and_cull(dir.path(), false);
    assert_eq!(culled.groups.len(), photos.len(), "one set per bracket");
    for g in &culled.groups {
        let names: Vec<&str> = g
            .members
            .iter()
            .map(|&m| culled.names[m].as_str())
            .collect();
        assert_eq!(g.set, Some(SetKind::Bracket), "{names:?}");
        let best = culled.names[g.best].as_str();
        assert!(
            best.contains("_0_+0ev"),
            "the metered frame, not {best}: {:?}",
            g.members
                .iter()
                .map(|&m| (&culled.names[m], culled.suggestions[m].reason_words()))
                .collect::<Vec<_>>()
        );
        for &m in &g.members {
            let s = &culled.suggestions[m];
            assert_eq!(s.set, Some(SetKind::Bracket));
            assert!(
                !s.ranked.reject_candidate,
                "{}: {:?}",
                culled.names[m],
                s.reason_words()
            );
            assert!(
                !s.ranked.reasons.iter().any(|r| matches!(
                    r,
                    Reason::Darker { .. }
                        | Reason::Brighter { .. }
                        | Reason::HighlightsClipped { .. }
                        | Reason::ShadowsClipped { .. }
                )),
                "{}: {:?}",
                culled.names[m],
                s.reason_words()
            );
        }
        assert_eq!(
            culled.suggestions[g.best].reason_words()[0],
            format!(
                "best of an exposure bracket of {} (the metered exposure)",
                g.members.len()
            )
        );
    }
}

#[test]
fn damaged_copies_without_recorded_compensation_are_not_a_bracket() {
    // Over- and under-exposed copies with no EXIF: a burst with faults, not a set.
    let culled = analyze_and_cull(&fixtures().join("bursts"), false);
    assert!(culled.groups.iter().all(|g| g.set.is_none()));
    assert!(culled.suggestions.iter().any(|s| {
        s.ranked
            .reasons
            .iter()
            .any(|r| matches!(r, Reason::Darker { .. }))
    }));
}

/// Writes `frames` as JPEGs into `dir` named `{stem}_{kind}_{i}.jpg`, `gap_ms` apart from
/// `start_s` seconds past 12:00:00, with no exposure compensation recorded as 0.
fn write_sequence(
    frames: &[RgbImage],
    stem: &str,
    kind: &str,
    start_s: u32,
    gap_ms: u32,
    dir: &Path,
) {
    for (i, frame) in frames.iter().enumerate() {
        let ms = NOON_MS + u64::from(start_s) * 1000 + i as u64 * u64::from(gap_ms);
        let out = timed_jpeg(frame, ms, 0.0);
        std::fs::write(dir.join(format!("{stem}_{kind}_{i}.jpg")), out).expect("write");
    }
}

/// A hand-held panorama of `photo`: `frames` overlapping views, each `share` of its width,
/// swept left to right in equal steps, drifting a little up and down, with the small exposure
/// changes of auto exposure; 1.5 s apart.
pub fn make_panorama(photo: &Path, frames: usize, share: f32, start_s: u32, dir: &Path) {
    let img = at_most(image::open(photo).expect("decodes").to_rgb8(), 2400);
    let (w, h) = img.dimensions();
    let fw = (w as f32 * share).round() as u32;
    let fh = (h as f32 * 0.94).round() as u32;
    let step = (w - fw) as f32 / (frames - 1) as f32;
    let views: Vec<RgbImage> = (0..frames)
        .map(|i| {
            let x = (i as f32 * step).round() as u32;
            let y = [0.03, 0.0, 0.05, 0.02, 0.04][i % 5] * h as f32;
            let view = image::imageops::crop_imm(&img, x, y as u32, fw, fh).to_image();
            expose(&view, [0.0, 0.2, -0.15, 0.1, -0.2][i % 5])
        })
        .collect();
    let stem = photo.file_stem().expect("stem").to_string_lossy();
    write_sequence(&views, &stem, "pano", start_s, 1500, dir);
}

/// A focus stack of `photo`: `frames` frames of one still view, the plane of focus stepping
/// from the bottom of the frame (near) to the top (far); away from it, blur grows with the
/// distance as a lens's does. 300 ms apart.
pub fn make_focus_stack(photo: &Path, frames: usize, start_s: u32, dir: &Path) {
    let img = at_most(image::open(photo).expect("decodes").to_rgb8(), 2000);
    let (w, h) = img.dimensions();
    let sigmas = [0.0f32, 1.5, 3.0, 5.0, 8.0];
    let levels: Vec<RgbImage> = sigmas
        .iter()
        .map(|&s| {
            if s == 0.0 {
                img.clone()
            } else {
                image::imageops::blur(&img, s * h as f32 / 1000.0)
            }
        })
        .collect();
    let stack: Vec<RgbImage> = (0..frames)
        .map(|k| {
            let focus = h as f32 * (1.0 - (k as f32 + 0.5) / frames as f32);
            RgbImage::from_fn(w, h, |x, y| {
                let d = (y as f32 - focus).abs() / h as f32;
                let level = ((d * 2.0 * frames as f32) as usize).min(levels.len() - 1);
                *levels[level].get_pixel(x, y)
            })
        })
        .collect();
    let stem = photo.file_stem().expect("stem").to_string_lossy();
    write_sequence(&stack, &stem, "stack", start_s, 300, dir);
}

/// The photos the panorama and focus stack sets are made from: wide, detailed scenes.
fn scenes() -> Vec<std::path::PathBuf> {
    let mut photos = vec![
        fixtures().join("singles/sklearn_china.jpg"),
        fixtures().join("singles/skimage_coffee.png"),
    ];
    if let Some(shared) = corpus() {
        for name in [
            "lomiri_seeding_by_Clements_Engelhardt.jpg",
            "plasma_Path.jpg",
            "lomiri_sunset_by_Aitzol_Berasategi.jpg",
        ] {
            photos.push(shared.join("images").join(name));
        }
    }
    photos
}

/// Every group of `culled` is one set of `kind`, named `{stem}_{kind_tag}_*`, none of its
/// frames a reject candidate or faulted for detail or exposure, each told as a frame of the
/// set.
fn assert_whole_sets(culled: &common::Culled, kind: SetKind, tag: &str, expected: usize) {
    let summary: Vec<(Option<SetKind>, Vec<&str>)> = culled
        .groups
        .iter()
        .map(|g| {
            (
                g.set,
                g.members
                    .iter()
                    .map(|&m| culled.names[m].as_str())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        culled.groups.len(),
        expected,
        "one group per set: {summary:#?}"
    );
    for (set, names) in &summary {
        assert_eq!(*set, Some(kind), "{names:?}");
        let stem = names[0].split(tag).next().expect("stem");
        assert!(names.iter().all(|n| n.starts_with(stem)), "{names:?}");
    }
    for (name, s) in culled.names.iter().zip(&culled.suggestions) {
        let words = s.reason_words();
        assert!(!s.ranked.reject_candidate, "{name}: {words:?}");
        assert!(
            words[0].starts_with("frame ") && words[0].contains(kind.words()),
            "{name}: {words:?}"
        );
        assert!(
            !s.ranked.reasons.iter().any(|r| matches!(
                r,
                Reason::OutOfFocus { .. }
                    | Reason::MotionBlur { .. }
                    | Reason::SlightlySoft
                    | Reason::Darker { .. }
                    | Reason::Brighter { .. }
            )),
            "{name}: {words:?}"
        );
    }
}

#[test]
fn panoramas_are_one_set_kept_whole_and_no_frame_is_faulted_for_its_view() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = scenes();
    for (k, photo) in photos.iter().enumerate() {
        // Three frames at half the width (half of each frame shared), or four at 0.55.
        let (frames, share) = if k % 2 == 0 { (3, 0.5) } else { (4, 0.55) };
        make_panorama(photo, frames, share, 60 * k as u32, dir.path());
    }
    let culled = analyze_and_cull(dir.path(), false);
    assert_whole_sets(&culled, SetKind::Panorama, "_pano_", photos.len());
}

#[test]
fn focus_stacks_are_one_set_and_no_frame_is_out_of_focus() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = scenes();
    for (k, photo) in photos.iter().enumerate() {
        make_focus_stack(photo, 3 + k % 3, 60 * k as u32, dir.path());
    }
    let culled = analyze_and_cull(dir.path(), false);
    assert_whole_sets(&culled, SetKind::FocusStack, "_stack_", photos.len());
}

/// A still burst whose frames differ only in exposure (no compensation recorded: the camera's
/// metering moved) and sensor noise is one group and no set: its few sharpest cells trade
/// places as a step clips one, but the focus of the scene does not move.
#[test]
fn exposure_steps_in_a_still_burst_are_not_a_focus_stack() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = [
        "bursts/skimage_astronaut/skimage_astronaut__00_original.jpg",
        "singles/sklearn_china.jpg",
        "singles/skimage_rocket.jpg",
    ];
    let mut moments = 0u32;
    for rel in photos {
        let img = image::open(fixtures().join(rel))
            .expect("decodes")
            .to_rgb8();
        let (w, h) = img.dimensions();
        let (cw, ch) = (w * 7 / 10, h * 7 / 10);
        for (x, y) in [(0, 0), (w - cw, h - ch), ((w - cw) / 2, 0)] {
            let crop = at_most(
                image::imageops::crop_imm(&img, x, y, cw, ch).to_image(),
                480,
            );
            let mut evs = [0.0f32, -0.5, 0.5, 0.0, 1.0];
            for turn in 0..2 {
                evs.rotate_left(turn);
                for (i, &ev) in evs.iter().enumerate() {
                    let frame =
                        with_noise(&expose(&crop, ev - 1.0), u64::from(moments * 16) + i as u64);
                    let ms = NOON_MS + 3_600_000 + u64::from(moments) * 60_000 + i as u64 * 150;
                    let out = timed_jpeg(&frame, ms, 0.0);
                    std::fs::write(dir.path().join(format!("m{moments:02}_{i}.jpg")), out)
                        .expect("write");
                }
                moments += 1;
            }
        }
    }
    let culled = analyze_and_cull(dir.path(), false);
    assert_eq!(
        culled.groups.len(),
        moments as usize,
        "one group per moment"
    );
    for g in &culled.groups {
        assert_eq!(g.set, None, "group {} is no set", g.id);
    }
}
