//! Exposure is read honestly when highlights blow: photos with bright skies and walls, beside
//! their own copies exposed 0.8 and 2.5 stops brighter and one stop darker (in linear light, as
//! a camera's exposure steps are), must read close to those steps. A brighter frame's mean
//! cannot rise past white, so on these photos it read 0.5–0.85 stops for the 2.5-stop copy: a
//! frame with half its picture blown was then only "0.5 stops brighter than the group" and
//! ranked above frames that were merely a little soft.

mod common;

use bestpick_core::Reason;
use common::{analyze_and_cull, corpus, save_jpeg};

#[test]
fn a_brighter_copy_that_blew_its_highlights_reads_its_real_step() {
    let Some(shared) = corpus() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = [
        "mei_Nikon_D5000.jpg",
        "sklearn_china.jpg",
        "mei_Sony_DSC-HX5V__2_.jpg",
        "mei_Apple_iPhone_4.jpg",
    ];
    // With the next frame of the same exposure, the group's median is the original's.
    let steps = [
        ("00_original", 0.0, 92),
        ("01_brighter", 0.8, 92),
        ("02_much_brighter", 2.5, 92),
        ("03_darker", -1.0, 92),
        ("04_again", 0.0, 90),
    ];
    for name in photos {
        let stem = name.trim_end_matches(".jpg");
        let (img, out) = common::photo_and_folder(&shared, name, 1600, dir.path());
        for (suffix, ev, quality) in steps {
            save_jpeg(
                &out,
                stem,
                suffix,
                &bestpick_testkit::exposure::expose(&img, ev),
                quality,
            );
        }
    }
    let culled = analyze_and_cull(dir.path(), false);
    let frame = |stem: &str, suffix: &str| culled.frame(stem, suffix);
    let mut failures = Vec::new();
    for name in photos {
        let stem = name.trim_end_matches(".jpg");
        let original = frame(stem, "00_original");
        for (suffix, _, _) in &steps[1..] {
            if frame(stem, suffix).group != original.group {
                failures.push(format!("{stem}: {suffix} is not in its original's group"));
            }
        }
        let brighter = |suffix: &str| {
            frame(stem, suffix)
                .ranked
                .reasons
                .iter()
                .find_map(|r| match r {
                    Reason::Brighter { stops } => Some(*stops),
                    _ => None,
                })
        };
        let darker = frame(stem, "03_darker")
            .ranked
            .reasons
            .iter()
            .find_map(|r| match r {
                Reason::Darker { stops } => Some(*stops),
                _ => None,
            });
        match (brighter("01_brighter"), brighter("02_much_brighter")) {
            (Some(l1), Some(l3)) if (0.5..=1.3).contains(&l1) && (2.0..=3.1).contains(&l3) => {}
            (l1, l3) => failures.push(format!(
                "{stem}: 0.8 stops brighter read {l1:?}, 2.5 stops brighter read {l3:?}"
            )),
        }
        // Darker copies keep their reading: the mean is carried by the bright part, which
        // does not clip when the exposure drops.
        if !darker.is_some_and(|d| (0.7..=1.3).contains(&d)) {
            failures.push(format!("{stem}: one stop darker read {darker:?}"));
        }
        let (l1, l3) = (frame(stem, "01_brighter"), frame(stem, "02_much_brighter"));
        let again = frame(stem, "04_again");
        if l3.ranked.rank <= l1.ranked.rank || !(original.ranked.best || again.ranked.best) {
            failures.push(format!(
                "{stem}: ranks original {} and {}, 0.8 brighter {}, 2.5 brighter {}",
                original.ranked.rank, again.ranked.rank, l1.ranked.rank, l3.ranked.rank
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
