//! A frame softened by a blur of a pixel or so is soft, not unusable: its finest detail is gone
//! (it reads 4–4.5 stops down here, and a frame far more blurred loses little more there) but
//! the picture is whole when seen at 1/8 scale, so it is not a reject candidate, while a frame
//! blurred five pixels, which shows at every scale, is — also on a photo with little fine detail
//! to lose, where it reads only 3 stops down there; both are out of focus, not motion blur.
//! Made from real photos, most at the size of a web copy, where a pixel of blur costs the most
//! fine detail. Before the 1/8-scale conditions, `sklearn_china` and `skimage_rocket` blurred
//! 1.5 pixels were reject candidates and `opencv_ela_original` blurred 5 pixels was not; before
//! the diagonal condition (see `rank::detail`), two of the 5-pixel blurs were "motion blur".

mod common;

use common::{analyze_and_cull, at_most, corpus, save_jpeg};

#[test]
fn a_pixel_of_blur_is_soft_and_a_blur_that_shows_at_every_scale_is_a_reject() {
    let Some(shared) = corpus() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    // Long sides: web copies, and one photo with little fine detail to lose at its own size,
    // whose five-pixel blur shows at 1/8 scale only.
    let photos = [
        ("sklearn_china.jpg", 640),
        ("mei_Sony_DSC-HX5V__2_.jpg", 640),
        ("skimage_rocket.jpg", 640),
        ("plasma_Path.jpg", 640),
        ("opencv_ela_original.jpg", 1600),
    ];
    // The next frame of the same moment after the blurred ones, as in a burst (three frames
    // going softer one after the other would be a focus stack).
    let copies = [
        ("00_original", 0.0f32, 95),
        ("01_soft", 1.5, 95),
        ("02_blurred", 5.0, 95),
        ("03_again", 0.0, 90),
    ];
    for (name, long) in photos {
        let img = at_most(
            image::open(shared.join("images").join(name))
                .expect("decode")
                .to_rgb8(),
            long,
        );
        let stem = name.trim_end_matches(".jpg");
        let out = dir.path().join(stem);
        std::fs::create_dir_all(&out).expect("mkdir");
        for (suffix, sigma, quality) in copies {
            let frame = if sigma > 0.0 {
                image::imageops::blur(&img, sigma)
            } else {
                img.clone()
            };
            save_jpeg(&out, stem, suffix, &frame, quality);
        }
    }
    let culled = analyze_and_cull(dir.path(), false);
    let frame = |stem: &str, suffix: &str| culled.frame(stem, suffix);
    let mut failures = Vec::new();
    for (name, _) in photos {
        let stem = name.trim_end_matches(".jpg");
        let [original, soft, blurred, again] =
            ["00_original", "01_soft", "02_blurred", "03_again"].map(|s| frame(stem, s));
        let words = |s: &bestpick_core::Suggestion| s.reason_words().join("; ");
        if [soft, blurred, again]
            .iter()
            .any(|s| s.group != original.group)
        {
            failures.push(format!("{stem}: the copies are not in one group"));
            continue;
        }
        let sharp_rank = original.ranked.rank.max(again.ranked.rank);
        if sharp_rank >= soft.ranked.rank || soft.ranked.rank >= blurred.ranked.rank {
            failures.push(format!(
                "{stem}: ranks original {} and {}, soft {}, blurred {}",
                original.ranked.rank, again.ranked.rank, soft.ranked.rank, blurred.ranked.rank
            ));
        }
        // An even blur is out of focus, not motion blur, however little detail is left.
        if soft.ranked.reject_candidate || soft.fault() != Some("out of focus") {
            failures.push(format!(
                "{stem}: the 1.5-pixel blur is {}: {}",
                if soft.ranked.reject_candidate {
                    "a reject candidate"
                } else {
                    "not worded out of focus"
                },
                words(soft)
            ));
        }
        if !blurred.ranked.reject_candidate || blurred.fault() != Some("out of focus") {
            failures.push(format!(
                "{stem}: the 5-pixel blur is {}: {}",
                if blurred.ranked.reject_candidate {
                    "not worded out of focus"
                } else {
                    "not a reject candidate"
                },
                words(blurred)
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
