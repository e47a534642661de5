//! The HEIC path's metadata handling: the EXIF item payload (offset prefix, `Exif\0\0`, TIFF),
//! and the whole HEIC decode through libheif within the memory budget.
#![no_main]

mod common;

use bestpick_core::FileKind;
use bestpick_core::decode::heic_exif_item;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::init();
    let read = heic_exif_item(data);
    assert!((1..=8).contains(&read.info.orientation));
    common::decode(data, FileKind::Heic);
});
