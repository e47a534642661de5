//! Shared helpers of core's integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::{Path, PathBuf};

/// The repository's licensed test photos (see tests/fixtures/photos/LICENSE.md).
pub fn fixtures() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/photos");
    assert!(p.is_dir(), "fixtures missing at {}", p.display());
    p
}

/// The shared photo corpus, when present (CI has it; a fresh clone may not).
pub fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/photos");
    if p.is_dir() {
        Some(p)
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI=true: the shared photos must be present"
        );
        println!("skipped: ../shared/photos is not present");
        None
    }
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
