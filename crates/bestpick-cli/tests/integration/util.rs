//! Test harness: a temporary shoot folder, a catalog, and the binary.

use std::path::PathBuf;
use std::process::{Command, Output};

pub struct Shoot {
    pub dir: tempfile::TempDir,
    pub catalog: PathBuf,
    /// Analyze faces (off for the big shoots of the crash tests, where they only cost time).
    pub faces: bool,
}

pub use bestpick_testkit::photos as fixtures;

impl Shoot {
    /// An empty shoot folder with its own catalog (outside the folder).
    pub fn new() -> Shoot {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("shoot")).expect("mkdir");
        let catalog = dir.path().join("catalog.sqlite");
        Shoot {
            dir,
            catalog,
            faces: true,
        }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("shoot")
    }

    /// Copies fixture files (relative to tests/fixtures/photos) into the shoot folder.
    pub fn add(&self, rel: &str) -> PathBuf {
        let src = fixtures().join(rel);
        let dst = self.root().join(src.file_name().expect("name"));
        std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
        dst
    }

    /// Copies the bundled sample shoot's photos whose names start with `prefix`.
    pub fn add_sample(&self, prefix: &str) {
        for entry in std::fs::read_dir(bestpick_testkit::sample()).expect("read_dir") {
            let p = entry.expect("entry").path();
            let name = p.file_name().expect("name");
            if p.is_file() && name.to_string_lossy().starts_with(prefix) {
                std::fs::copy(&p, self.root().join(name)).expect("copy");
            }
        }
    }

    pub fn add_dir(&self, rel: &str) {
        for entry in std::fs::read_dir(fixtures().join(rel)).expect("read_dir") {
            let p = entry.expect("entry").path();
            if p.is_file() {
                std::fs::copy(&p, self.root().join(p.file_name().expect("name"))).expect("copy");
            }
        }
    }

    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.root().join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_bestpick"));
        c.arg("--catalog").arg(&self.catalog);
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run bestpick")
    }

    /// `analyze --json` on the shoot: (exit code, report).
    pub fn analyze_json(&self) -> (i32, serde_json::Value) {
        let out = self
            .cmd()
            .arg("analyze")
            .args(if self.faces {
                &[][..]
            } else {
                &["--no-faces"][..]
            })
            .arg(self.root())
            .arg("--json")
            .output()
            .expect("run");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "no JSON ({e}); stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), report)
    }
}

pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The photo entry of a report whose path ends with `name`.
pub fn photo<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["photos"]
        .as_array()
        .expect("photos")
        .iter()
        .find(|p| p["path"].as_str().is_some_and(|s| s.ends_with(name)))
        .unwrap_or_else(|| panic!("{name} not in the report"))
}
