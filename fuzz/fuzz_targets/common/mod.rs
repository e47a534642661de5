//! Shared by the targets: the decode limits, and a panic hook that tells our panics from
//! those of third-party decoders.
//!
//! libfuzzer-sys aborts on every panic, even one that `catch_unwind` would stop. bestpick runs
//! the decoders of other crates (image's PNG/TIFF/WebP/JPEG decoders) under `catch_unwind` by
//! design, so a panic there is a handled error (`PhotoErrorKind::DecoderPanic`), not a finding
//! in bestpick. The hook installed here lets panics located in a registry crate unwind to
//! that guard (and counts them); every other panic (bestpick's code, std called from it)
//! still aborts at once, wherever it happens.

#![allow(dead_code)]

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use bestpick_core::PhotoErrorKind;
use bestpick_core::decode::DecodeOptions;

/// Decode limits of the targets: small, so that an allocation beyond them is a real bug.
pub fn decode_options() -> DecodeOptions {
    DecodeOptions {
        max_alloc: 64 << 20,
        max_pixels: 20_000_000,
        ..Default::default()
    }
}

/// Panics in third-party decoders that bestpick's guard caught.
pub static THIRD_PARTY_PANICS: AtomicUsize = AtomicUsize::new(0);

/// Installs the panic hook (once).
pub fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let abort_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let third_party = info
                .location()
                .is_some_and(|l| l.file().contains("/.cargo/registry/"));
            if third_party {
                if THIRD_PARTY_PANICS.fetch_add(1, Ordering::Relaxed) < 5 {
                    eprintln!("third-party decoder panic (caught by bestpick's guard): {info}");
                }
            } else {
                abort_hook(info);
            }
        }));
    });
}

/// A decode result is fine unless it is a panic that did not come from a third-party crate
/// (ours abort in the hook before getting here, so this is a second line).
pub fn check(before: usize, result: &Result<bestpick_core::decode::Decoded, PhotoErrorKind>) {
    if let Err(PhotoErrorKind::DecoderPanic(m)) = result
        && THIRD_PARTY_PANICS.load(Ordering::Relaxed) == before
    {
        panic!("decoder panic: {m}");
    }
}

/// Third-party panics so far (pass to [`check`]).
pub fn panics() -> usize {
    THIRD_PARTY_PANICS.load(Ordering::Relaxed)
}

/// Decodes with the targets' limits and checks the result.
pub fn decode(data: &[u8], kind: bestpick_core::FileKind) {
    let before = panics();
    let result = bestpick_core::decode::decode(data, kind, &decode_options());
    check(before, &result);
    if let Ok(d) = &result {
        assert_eq!(d.luma.dc.len(), d.luma.width * d.luma.height, "luma grid");
        assert_eq!(d.luma.feat.len(), d.luma.dc.len(), "features per block");
    }
}
