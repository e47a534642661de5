//! Noise never passes for face detail or open eyes: a photo with people beside its own copies
//! with Gaussian noise (σ = 12 and 28 levels, as a high-ISO frame of the same moment) is
//! analyzed with faces, and the clean original must be the pick of its group, ahead of both.

mod common;

use std::path::Path;

use common::{Culled, analyze_and_cull, corpus, fixtures};

/// Deterministic standard normal samples (xorshift and Box–Muller).
struct Gauss(u64);

impl Gauss {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn sample(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Writes `photo` and its noisy copies into `dir/<stem>/`.
fn noisy_burst(photo: &Path, dir: &Path) {
    let stem = photo
        .file_stem()
        .expect("stem")
        .to_string_lossy()
        .to_string();
    let out = dir.join(&stem);
    std::fs::create_dir_all(&out).expect("mkdir");
    let img = image::open(photo).expect("decode").to_rgb8();
    let save = |name: &str, img: &image::RgbImage| {
        let file = std::fs::File::create(out.join(format!("{stem}_{name}.jpg"))).expect("create");
        let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(file, 92);
        enc.encode_image(img).expect("encode");
    };
    save("00_original", &img);
    let mut gauss = Gauss(0x9E37_79B9_7F4A_7C15);
    for (name, sigma) in [("01_noise12", 12.0), ("02_noise28", 28.0)] {
        let mut noisy = img.clone();
        for p in noisy.pixels_mut() {
            for c in &mut p.0 {
                *c = (f64::from(*c) + sigma * gauss.sample())
                    .round()
                    .clamp(0.0, 255.0) as u8;
            }
        }
        save(name, &noisy);
    }
}

#[test]
fn a_noisy_copy_never_beats_the_clean_photo_of_people() {
    let mut photos = vec![
        fixtures().join("singles/facerec_obama.jpg"),
        fixtures().join("singles/mpl_grace_hopper.jpg"),
    ];
    if let Some(shared) = corpus() {
        // Group shots and couples: several faces, some small or turned.
        for p in [
            "images/mei_Canon_EOS_D60.jpg",
            "images/mei_FujiFilm_FinePix2650.jpg",
            "images/mei_Canon_IXUS.jpg",
            "faces/fr_two_people.jpg",
        ] {
            photos.push(shared.join(p));
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    for p in &photos {
        noisy_burst(p, dir.path());
    }
    let Culled {
        names,
        analyses,
        suggestions,
        groups,
    } = analyze_and_cull(dir.path(), true);
    assert_eq!(groups.len(), photos.len(), "one group per photo: {names:?}");
    let with_faces = analyses
        .iter()
        .filter(|a| a.faces.as_ref().is_some_and(|f| !f.is_empty()))
        .count();
    assert!(
        with_faces >= photos.len(),
        "faces found in {with_faces} frames"
    );
    for g in &groups {
        let best = &names[g.best];
        assert!(
            best.ends_with("_00_original.jpg"),
            "{best} picked over the clean original: {:?}",
            g.members
                .iter()
                .map(|&m| (&names[m], suggestions[m].reason_words()))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn a_sky_blown_white_is_not_read_as_noise() {
    // Photos whose flat areas are their sky: brightened 0.8 stops the sky blows white and only
    // texture is left to read noise on. The noise reading must stay the scene's (it read 0.4
    // levels before and 13 after, "13× noisier than the group"), while a truly noisy copy of
    // the same photo (σ = 6, as a higher ISO) still reads clearly noisier. Darkened a stop, the
    // sky comes back as the flattest part; the original, whose few flat blocks left at the
    // sky's edge hold some texture, must not read noisier than that copy (the Nikon's read 3.0
    // levels against 0.8 while the noise was their mean: "noisier than the group").
    let Some(shared) = corpus() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = ["sklearn_china.jpg", "mei_Nikon_D5000.jpg"];
    for name in photos {
        let img = image::open(shared.join("images").join(name))
            .expect("decode")
            .to_rgb8();
        // Framed a few pixels off the source's own 8 × 8 grid, as a hand-held burst is: the
        // source's compression edges then fall inside the new blocks.
        let (w, h) = img.dimensions();
        let img = image::imageops::crop_imm(&img, 3, 5, w - 6, h - 6).to_image();
        let stem = name.trim_end_matches(".jpg");
        let out = dir.path().join(stem);
        std::fs::create_dir_all(&out).expect("mkdir");
        let save = |suffix: &str, img: &image::RgbImage| {
            let file =
                std::fs::File::create(out.join(format!("{stem}_{suffix}.jpg"))).expect("create");
            image::codecs::jpeg::JpegEncoder::new_with_quality(file, 95)
                .encode_image(img)
                .expect("encode");
        };
        save("00_original", &img);
        save(
            "01_brighter",
            &bestpick_testkit::exposure::expose(&img, 0.8),
        );
        let mut gauss = Gauss(0x2545_F491_4F6C_DD1D);
        let mut noisy = img.clone();
        for p in noisy.pixels_mut() {
            for c in &mut p.0 {
                *c = (f64::from(*c) + 6.0 * gauss.sample())
                    .round()
                    .clamp(0.0, 255.0) as u8;
            }
        }
        save("02_noisy", &noisy);
        save("03_darker", &bestpick_testkit::exposure::expose(&img, -1.0));
    }
    let Culled {
        names,
        analyses,
        suggestions,
        ..
    } = analyze_and_cull(dir.path(), false);
    let noise = |suffix: &str, stem: &str| -> (f32, Vec<String>) {
        let i = names
            .iter()
            .position(|n| n.ends_with(&format!("{stem}_{suffix}.jpg")))
            .expect("frame");
        (analyses[i].signals.noise, suggestions[i].reason_words())
    };
    for name in photos {
        let stem = name.trim_end_matches(".jpg");
        let (original, original_words) = noise("00_original", stem);
        let (brighter, words) = noise("01_brighter", stem);
        let (noisy, noisy_words) = noise("02_noisy", stem);
        let (darker, _) = noise("03_darker", stem);
        assert!(
            original < 2.0 * darker.max(1.0),
            "{stem}: the original {original:.2} against its darker copy's {darker:.2}"
        );
        assert!(
            !original_words.iter().any(|w| w.starts_with("noisier")),
            "{stem} original: {original_words:?}"
        );
        let floor = original.max(1.0);
        assert!(
            brighter < 2.0 * floor,
            "{stem}: brightened {brighter:.2} against the original's {original:.2}"
        );
        assert!(
            !words.iter().any(|w| w.starts_with("noisier")),
            "{stem} brightened: {words:?}"
        );
        assert!(
            noisy > 1.8 * floor,
            "{stem}: σ = 6 copy {noisy:.2} against the original's {original:.2}"
        );
        assert!(
            noisy_words.iter().any(|w| w.starts_with("noisier")),
            "{stem} noisy: {noisy_words:?}"
        );
    }
}
