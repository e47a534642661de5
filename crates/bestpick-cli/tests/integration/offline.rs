//! The offline promise, checked: analysis (faces included), decisions, the trust report and
//! export open no network connection. Each command runs under
//! `strace -f -e trace=connect,sendto,sendmsg`, and every socket address it used must be local:
//! a Unix socket or the kernel's netlink (how glibc asks the kernel about interfaces). Any
//! Internet address (IPv4 or IPv6, even loopback) fails the test.
//!
//! strace is a test dependency (`./dev test` installs it): on a developer machine without it
//! the test says so and passes; under CI its absence fails.

use std::path::Path;
use std::process::Command;

use crate::util::{Shoot, stderr};

/// True when strace can trace here; panics under CI when it cannot.
fn strace_works() -> bool {
    let works = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=connect", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        works || std::env::var_os("CI").is_none(),
        "CI=true: strace is required (Debian package strace) and must be allowed to trace"
    );
    if !works {
        println!("skipped: strace is not installed or cannot trace here");
    }
    works
}

/// The socket calls of `bestpick ARGS` (and every thread and child it starts) that named an
/// address other than a Unix socket or netlink.
fn remote_socket_calls(shoot: &Shoot, log: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o"])
        .arg(log)
        .arg(env!("CARGO_BIN_EXE_bestpick"))
        .arg("--catalog")
        .arg(&shoot.catalog)
        .args(args)
        .output()
        .expect("run strace");
    assert!(
        out.status.success(),
        "bestpick {args:?} under strace failed: {}",
        stderr(&out)
    );
    remote(&std::fs::read_to_string(log).expect("strace log"))
}

/// The lines of an strace log that name a socket address neither Unix nor netlink.
fn remote(trace: &str) -> Vec<String> {
    trace
        .lines()
        .filter(|l| l.contains("sa_family=") || l.contains("AF_INET"))
        .filter(|l| !l.contains("sa_family=AF_UNIX") && !l.contains("sa_family=AF_NETLINK"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn analysis_decisions_report_and_export_stay_on_the_machine() {
    if !strace_works() {
        return;
    }
    let shoot = Shoot::new();
    shoot.add_dir("bursts/skimage_chelsea");
    // A face, so that the face models run too.
    shoot.add("singles/facerec_obama.jpg");
    let root = shoot.root();
    let root = root.to_str().expect("utf8");
    let pick = shoot.root().join("skimage_chelsea__00_original.jpg");
    let out = shoot.dir.path().join("picks");
    let html = shoot.dir.path().join("report.html");
    let steps: Vec<(&str, Vec<&str>)> = vec![
        ("analyze", vec!["analyze", root, "--json"]),
        (
            "decide",
            vec!["decide", pick.to_str().expect("utf8"), "--pick"],
        ),
        (
            "report",
            vec!["report", root, "--html", html.to_str().expect("utf8")],
        ),
        ("export xmp", vec!["export", root, "--xmp"]),
        (
            "export picks",
            vec!["export", root, "--copy-picks", out.to_str().expect("utf8")],
        ),
    ];
    for (i, (what, args)) in steps.iter().enumerate() {
        let log = shoot.dir.path().join(format!("strace-{i}.log"));
        let remote = remote_socket_calls(&shoot, &log, args);
        assert!(
            remote.is_empty(),
            "`bestpick {what}` used the network:\n{}",
            remote.join("\n")
        );
    }
    assert!(html.is_file(), "the report was written");
    assert!(
        out.join("skimage_chelsea__00_original.jpg").is_file(),
        "the pick was copied"
    );
}

#[test]
fn the_check_sees_a_connection_when_there_is_one() {
    if !strace_works() {
        return;
    }
    // The same filter on a command that does connect (to a closed local port): the test above
    // would notice a connection, not just pass on an empty trace.
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("strace.log");
    let _ = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o"])
        .arg(&log)
        .args(["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9 || true"])
        .output()
        .expect("run strace");
    let trace = std::fs::read_to_string(&log).expect("strace log");
    assert!(
        remote(&trace).iter().any(|l| l.contains("AF_INET")),
        "a TCP connect shows in the trace: {trace}"
    );
}
