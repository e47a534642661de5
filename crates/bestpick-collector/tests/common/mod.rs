//! Shared helpers: a real collector process on loopback, photo paths, exiftool.

#![allow(dead_code, reason = "each test binary uses a different subset")]

pub mod flow;
pub mod raw;
pub mod services;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The private key file the tests give the collector whose data folder is `data`: beside the
/// folder, never in it.
pub fn key_file(data: &Path) -> PathBuf {
    let name = data
        .file_name()
        .map_or_else(|| "data".to_owned(), |n| n.to_string_lossy().into_owned());
    data.with_file_name(format!("{name}.collector-key"))
}

/// The token of operator `tests` of the collector whose data folder is `data`, added on first
/// use (and kept beside the folder).
pub fn operator_token(data: &Path) -> String {
    let file = key_file(data).with_extension("operator-token");
    if let Ok(token) = std::fs::read_to_string(&file) {
        return token;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_bestpick-collector"))
        .args(["operators", "add", "tests", "--data"])
        .arg(data)
        .output()
        .expect("run collector");
    assert!(
        out.status.success(),
        "operators add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .expect("the token is the last line")
        .to_owned();
    std::fs::write(&file, &token).expect("keep the token");
    token
}

/// A collector process; killed on drop.
pub struct Collector {
    child: Child,
    pub url: String,
    pub data: PathBuf,
}

impl Collector {
    /// Starts `bestpick-collector serve` on 127.0.0.1 with a free port.
    pub fn start(data: &Path, extra: &[&str]) -> Collector {
        let mut args = vec!["--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        Collector::start_with(data, &args)
    }

    /// Starts `bestpick-collector serve --data DATA ARGS` (ARGS include `--listen`), with the
    /// private key in [`key_file`]`(DATA)` unless ARGS name one.
    pub fn start_with(data: &Path, args: &[&str]) -> Collector {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bestpick-collector"));
        command.args(["serve", "--data"]).arg(data).args(args);
        if !args.contains(&"--key-file") {
            command.arg("--key-file").arg(key_file(data));
        }
        Collector::spawn(command, data)
    }

    /// Starts `bestpick-collector serve ARGS` exactly as given (ARGS name the store and the
    /// key); `data` is only recorded.
    pub fn start_serve(args: &[&str], data: &Path) -> Collector {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bestpick-collector"));
        command.arg("serve").args(args);
        Collector::spawn(command, data)
    }

    /// [`Collector::start_serve`] with these environment variables set.
    pub fn start_serve_env(args: &[&str], env: &[(&str, &str)], data: &Path) -> Collector {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bestpick-collector"));
        command.arg("serve").args(args).envs(env.iter().copied());
        Collector::spawn(command, data)
    }

    /// Spawns `command` (a `serve`) and waits for the line with its URL.
    fn spawn(mut command: Command, data: &Path) -> Collector {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn collector");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("collector prints its address");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_owned();
        Collector {
            child,
            url,
            data: data.to_owned(),
        }
    }

    /// The bound address, from the URL.
    pub fn addr(&self) -> SocketAddr {
        let host_port = self.url.split("://").nth(1).expect("scheme");
        host_port.parse().expect("socket address in the URL")
    }

    /// A loopback address of the same port (for a collector bound to 0.0.0.0).
    pub fn loopback(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.addr().port()))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Runs `bestpick-collector ARGS` to completion and returns stdout.
    /// Runs `bestpick-collector ARGS`; with `--data DATA` and no `--key-file`, the key is
    /// [`key_file`]`(DATA)`.
    pub fn run(args: &[&str]) -> String {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bestpick-collector"));
        command.args(args);
        if let Some(k) = args.iter().position(|a| *a == "--data")
            && let Some(data) = args.get(k + 1)
        {
            let data = Path::new(data);
            if !args.contains(&"--key-file") && args.first() != Some(&"purge") {
                command.arg("--key-file").arg(key_file(data));
            }
            if matches!(args.first(), Some(&"export") | Some(&"purge")) {
                command.env("BESTPICK_OPERATOR_TOKEN", operator_token(data));
            }
        }
        let out = command.output().expect("run collector");
        assert!(
            out.status.success(),
            "collector {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Stops the process.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[allow(unused_imports, reason = "each test binary uses a different subset")]
pub use bestpick_testkit::{exiftool_foreign_groups, share_fixtures as fixtures};

/// `shared/photos/images` beside the repository, when present (under CI it must be).
pub fn shared_photos() -> Option<PathBuf> {
    bestpick_testkit::shared("images")
}

/// A retry policy fast enough for tests.
pub fn quick_retry(attempts: u32) -> bestpick_share::upload::RetryPolicy {
    bestpick_share::upload::RetryPolicy {
        attempts,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        timeout: Duration::from_secs(30),
    }
}

/// Every regular file under `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
