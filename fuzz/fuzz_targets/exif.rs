//! The EXIF reader as bestpick calls it: on a TIFF structure (a JPEG's APP1 payload, TIFF-based
//! RAW files), on containers (PNG, WebP, HEIF, TIFF, JPEG), and through a JPEG's APP1.
#![no_main]

mod common;

use bestpick_core::decode::jpeg;
use bestpick_core::exif::{self, ExifRead};
use libfuzzer_sys::fuzz_target;

fn check(read: &ExifRead) {
    let info = &read.info;
    assert!(
        (1..=8).contains(&info.orientation),
        "orientation {}",
        info.orientation
    );
    for v in [
        info.exposure_time,
        info.f_number,
        info.focal_length,
        info.exposure_bias,
    ] {
        assert!(v.is_none_or(f64::is_finite), "{v:?}");
    }
    let _ = info.camera();
}

fuzz_target!(|data: &[u8]| {
    common::init();
    check(&exif::from_tiff(data));
    check(&exif::from_container(data));
    if let Some(payload) = jpeg::exif_payload(data) {
        check(&exif::from_tiff(payload));
    }
    // The capture-time parser on the first bytes as text.
    if let Ok(text) = std::str::from_utf8(&data[..data.len().min(40)]) {
        let mut parts = text.splitn(3, '|');
        let dt = parts.next().unwrap_or("");
        let _ = exif::parse_capture_time(dt, parts.next(), parts.next());
    }
});
