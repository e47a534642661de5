//! The metadata verifier the collector runs on every image of a bundle. An accepted image
//! must be refused once cut short (its end marker is required), and accepted again as it is.
#![no_main]

mod common;

use bestpick_bundle::verify_image;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::init();
    let verdict = verify_image(data);
    if verdict.is_ok() {
        for cut in [data.len() - 1, data.len() / 2] {
            assert!(
                verify_image(&data[..cut]).is_err(),
                "accepted when cut to {cut}"
            );
        }
        assert_eq!(verify_image(data), verdict, "deterministic");
    }
});
