//! Records the git commit a tool is built from, for its `--version`: the `bestpick` CLI's
//! build script, and the collector's too (`build = "../bestpick-cli/build.rs"` in its
//! manifest), so both print the same commit the same way.
//!
//! Reads git only (never writes anything); outside a git checkout, or without git, the commit
//! is "unknown".

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=BESTPICK_GIT_COMMIT={commit}");
    // Run again when HEAD moves: a commit, a checkout, or a branch ref updated (its own file,
    // or packed-refs). A path that does not exist would make cargo rerun on every build, so
    // only existing files are named.
    // This file, named from the package being built (the CLI's own or the collector's).
    if let Ok(dir) = std::env::var("CARGO_MANIFEST_DIR") {
        let script = PathBuf::from(dir).join("../bestpick-cli/build.rs");
        println!("cargo:rerun-if-changed={}", script.display());
    }
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]).map(PathBuf::from)
            && path.is_file()
        {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}

/// The trimmed output of a successful `git ARGS`, if any.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (out.status.success() && !text.is_empty()).then(|| text.to_owned())
}
