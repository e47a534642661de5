//! The RAW preview finder, and the RAW decode path (preview search, EXIF, preview decode).
#![no_main]

mod common;

use bestpick_core::FileKind;
use bestpick_core::raw;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::init();
    let found = raw::previews(data);
    for pair in found.windows(2) {
        let area = |p: &raw::Preview| u64::from(p.width) * u64::from(p.height);
        assert!(area(&pair[0]) >= area(&pair[1]), "largest first");
    }
    for p in &found {
        assert!(
            data[p.offset..].starts_with(&[0xFF, 0xD8, 0xFF]),
            "{p:?} at a start of image"
        );
        assert!(p.width > 0 && p.height > 0, "{p:?}");
    }
    common::decode(data, FileKind::Raw);
});
