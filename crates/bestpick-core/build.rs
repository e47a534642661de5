//! Finds libheif with pkg-config. When it is found, the crate links it and is compiled with
//! `cfg(bestpick_heic)`, which turns on HEIC/AVIF decoding (`src/decode/heic/`). When it is
//! not found the build still succeeds and HEIC/AVIF files are reported as "not available in
//! this build". `BESTPICK_NO_HEIF=1` forces a build without libheif (to check that fallback,
//! or to ship a binary without the LGPL library).

/// Oldest libheif whose C API has everything `src/decode/heic/` declares (`heif_init`,
/// `heif_context_read_from_memory_without_copy`, decoding options version 2).
const MIN_LIBHEIF: &str = "1.13";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(bestpick_heic)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=BESTPICK_NO_HEIF");
    if std::env::var_os("BESTPICK_NO_HEIF").is_some_and(|v| !v.is_empty() && v != "0") {
        println!("cargo::warning=BESTPICK_NO_HEIF is set: building without HEIC/AVIF decoding");
        return;
    }
    // `probe` prints the link flags itself (and the rerun-if-env-changed lines for
    // PKG_CONFIG_PATH and friends).
    match pkg_config::Config::new()
        .atleast_version(MIN_LIBHEIF)
        .probe("libheif")
    {
        Ok(_) => println!("cargo::rustc-cfg=bestpick_heic"),
        Err(e) => {
            let first = e.to_string().lines().next().unwrap_or_default().to_string();
            println!(
                "cargo::warning=libheif >= {MIN_LIBHEIF} not found ({first}): HEIC/AVIF decoding is off \
                 (install libheif-dev on Debian/Ubuntu, then rebuild)"
            );
        }
    }
}
