//! Test support shared by the crates' tests (a dev-dependency only, never shipped): where the
//! test photos are, photos with generated exposures and noise, a snapshot of a folder's files,
//! an exiftool check for leftover metadata, whether the OS keyring can be reached, and the
//! offline check under strace.
//!
//! Data that cannot be present on a developer machine (the shared corpus beside the
//! repository, exiftool) is skipped there with a printed line; under CI (`CI=true`) its
//! absence fails the test.

pub mod exposure;
pub mod strace;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The repository's licensed test photos (`tests/fixtures/photos`, see its `LICENSE.md`).
pub fn photos() -> PathBuf {
    let p = repo().join("tests/fixtures/photos");
    assert!(p.is_dir(), "fixtures missing at {}", p.display());
    p
}

/// The bundled sample shoot (`assets/sample`, licences in its `LICENSES`).
pub fn sample() -> PathBuf {
    let p = repo().join("assets/sample");
    assert!(p.is_dir(), "the sample shoot missing at {}", p.display());
    p
}

/// The contribution client's metadata-rich fixtures (`crates/bestpick-share/tests/fixtures`,
/// licences in its `README.md`).
pub fn share_fixtures() -> PathBuf {
    let p = repo().join("crates/bestpick-share/tests/fixtures");
    assert!(p.join("README.md").exists(), "fixtures at {}", p.display());
    p
}

/// `../shared/photos/<rel>` beside the repository: `None` (with a printed line) on a machine
/// without it; under CI, where it is present, its absence fails.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = repo().join("../shared/photos").join(rel);
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI=true: the shared photos must be present ({} is missing)",
        p.display()
    );
    println!(
        "skipped: {} not found (shared test photos absent)",
        p.display()
    );
    None
}

/// Whether the OS keyring can be reached (a D-Bus session). A developer machine without one
/// skips `what` with a printed line; under CI (`CI=true`, where `./dev test` starts a session)
/// its absence fails.
pub fn keyring_session(what: &str) -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI=true: {what} needs a D-Bus session for the OS keyring"
    );
    println!("SKIP {what}: no D-Bus session (the vault key is in the OS keyring)");
    false
}

/// Metadata groups exiftool reports for a file beyond its own structure (none should survive
/// anonymization); `None` when exiftool is not installed, which fails under CI.
pub fn exiftool_foreign_groups(path: &Path) -> Option<Vec<String>> {
    let out = match Command::new("exiftool")
        .args(["-j", "-a", "-G0"])
        .arg(path)
        .output()
    {
        Ok(out) => out,
        Err(_) if std::env::var_os("CI").is_none() => return None,
        Err(e) => panic!("exiftool is required under CI (libimage-exiftool-perl): {e}"),
    };
    assert!(
        out.status.success(),
        "exiftool failed on {}",
        path.display()
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("exiftool JSON");
    let allowed = ["SourceFile", "ExifTool", "File", "JFIF", "Composite"];
    let mut foreign: Vec<String> = json[0]
        .as_object()
        .expect("one object")
        .keys()
        .filter(|k| !allowed.contains(&k.split(':').next().unwrap_or("")))
        .cloned()
        .collect();
    foreign.sort();
    Some(foreign)
}

/// Every file under `root` (hidden ones too), sorted by path, with its bytes and modification
/// time: what a test compares before and after to show a folder was not touched.
pub fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read_dir") {
            let p = e.expect("entry").path();
            let meta = std::fs::metadata(&p).expect("meta");
            if meta.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).expect("read");
                out.push((p, bytes, meta.modified().expect("mtime")));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
