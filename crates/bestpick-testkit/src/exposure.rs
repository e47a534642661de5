//! Exposure steps in linear light, faint sensor noise, and the EXIF a camera writes with them
//! (capture time with milliseconds, exposure compensation): for tests that generate brackets,
//! bursts and exposure tastes from real photos.

use image::RgbImage;

pub fn srgb_to_linear(v: f32) -> f32 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

pub fn linear_to_srgb(v: f32) -> f32 {
    if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

/// `img` exposed `ev` stops more (or less), in linear light, clipped as a sensor clips.
pub fn expose(img: &RgbImage, ev: f32) -> RgbImage {
    let gain = 2f32.powf(ev);
    let lut: Vec<u8> = (0..=255u8)
        .map(|v| {
            let lin = srgb_to_linear(f32::from(v) / 255.0) * gain;
            (linear_to_srgb(lin.min(1.0)) * 255.0).round() as u8
        })
        .collect();
    let mut out = img.clone();
    for p in out.pixels_mut() {
        for c in &mut p.0 {
            *c = lut[usize::from(*c)];
        }
    }
    out
}

/// A minimal EXIF segment (APP1): DateTimeOriginal, SubSecTimeOriginal (3 digits) and
/// ExposureBiasValue (a signed rational, in thirds of a stop when it is not whole).
pub fn exif_app1(date_time: &str, subsec_ms: u32, bias_ev: f32) -> Vec<u8> {
    assert_eq!(date_time.len(), 19, "YYYY:MM:DD HH:MM:SS");
    let mut tiff: Vec<u8> = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    // IFD0: one entry, the Exif IFD pointer; the Exif IFD follows at 26.
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x8769u16.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes()); // LONG
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&26u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    // Exif IFD: three entries (sorted by tag), their data from 26 + 2 + 3 * 12 + 4 = 68.
    let entry = |tiff: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&count.to_le_bytes());
        tiff.extend_from_slice(&value);
    };
    tiff.extend_from_slice(&3u16.to_le_bytes());
    entry(&mut tiff, 0x9003, 2, 20, 68u32.to_le_bytes()); // DateTimeOriginal, ASCII
    entry(&mut tiff, 0x9204, 10, 1, 88u32.to_le_bytes()); // ExposureBiasValue, SRATIONAL
    let subsec = format!("{:03}", subsec_ms % 1000);
    let mut inline = [0u8; 4];
    inline[..3].copy_from_slice(subsec.as_bytes());
    entry(&mut tiff, 0x9291, 2, 4, inline); // SubSecTimeOriginal, ASCII
    tiff.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(tiff.len(), 68);
    tiff.extend_from_slice(date_time.as_bytes());
    tiff.push(0);
    let thirds = (bias_ev * 3.0).round() as i32;
    let (num, den): (i32, i32) = if thirds % 3 == 0 {
        (thirds / 3, 1)
    } else {
        (thirds, 3)
    };
    tiff.extend_from_slice(&num.to_le_bytes());
    tiff.extend_from_slice(&den.to_le_bytes());
    let mut app1 = vec![0xFF, 0xE1];
    let len = u16::try_from(2 + 6 + tiff.len()).expect("small");
    app1.extend_from_slice(&len.to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    app1
}

/// `img` as a JPEG (quality 92) with the EXIF a camera writes (see [`exif_app1`]): shot `ms`
/// milliseconds after 2024-06-01 00:00:00, with `bias_ev` stops of exposure compensation.
pub fn timed_jpeg(img: &RgbImage, ms: u64, bias_ev: f32) -> Vec<u8> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92)
        .encode_image(img)
        .expect("encode");
    let s = ms / 1000;
    let when = format!(
        "2024:06:01 {:02}:{:02}:{:02}",
        s / 3600,
        (s / 60) % 60,
        s % 60
    );
    let subsec = u32::try_from(ms % 1000).expect("under 1000");
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&exif_app1(&when, subsec, bias_ev));
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// `img` with faint sensor noise (σ about 1.5 levels), different for every `seed`.
pub fn with_noise(img: &image::RgbImage, seed: u64) -> image::RgbImage {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut out = img.clone();
    for p in out.pixels_mut() {
        for c in &mut p.0 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            // Sum of three uniforms in [-1, 1]: about σ = 1 → scaled to 1.5 levels.
            let u = |s: u64| ((s >> 40) & 0xFFFF) as f32 / 32_768.0 - 1.0;
            let n = (u(state) + u(state >> 7) + u(state >> 13)) * 1.5;
            *c = (f32::from(*c) + n).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}
