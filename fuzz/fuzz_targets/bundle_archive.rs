//! The bundle archive reader: untrusted tar bytes → manifest and images (names, entry types,
//! size limits, the metadata verifier on every image). The copying and the borrowing readers
//! must agree, and an accepted bundle must write and read back to itself.
#![no_main]

mod common;

use bestpick_bundle::{Bundle, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::init();
    let limits = Limits {
        max_image_bytes: 1 << 20,
        max_manifest_bytes: 64 << 10,
        max_total_bytes: 4 << 20,
    };
    let copied = Bundle::from_archive(data, &limits);
    let checked = Bundle::check_archive(data, &limits);
    match (&copied, &checked) {
        (Ok(b), Ok(m)) => {
            assert_eq!(&b.manifest, m, "both readers give the manifest");
            let written = b.to_archive().expect("an accepted bundle writes");
            let back = Bundle::from_archive(&written, &limits).expect("and reads back");
            assert_eq!(&back, b, "round trip");
        }
        (Err(_), Err(_)) => {}
        _ => panic!("readers disagree: {copied:?} vs {checked:?}"),
    }
});
