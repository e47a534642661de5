//! The offline promise, checked: analysis (faces included), decisions, the trust report and
//! export open no network connection. Each command runs under
//! `strace -f -e trace=connect,sendto,sendmsg`, and every socket address it used must be local:
//! a Unix socket or the kernel's netlink (how glibc asks the kernel about interfaces). Any
//! Internet address (IPv4 or IPv6, even loopback) fails the test. The check is
//! `bestpick_testkit::strace`, shared with the app's (`tests/offline_app.rs`).
//!
//! strace is a test dependency (`./dev test` installs it): on a developer machine without it
//! the test says so and passes; under CI its absence fails.

use std::path::Path;

use bestpick_testkit::strace::{self, remote};

use crate::util::{Shoot, stderr};

/// The socket calls of `bestpick ARGS` (and every thread and child it starts) that named an
/// address other than a Unix socket or netlink.
fn remote_socket_calls(shoot: &Shoot, log: &Path, args: &[&str]) -> Vec<String> {
    let out = strace::command(log)
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

#[test]
fn analysis_decisions_report_and_export_stay_on_the_machine() {
    if !strace::works() {
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
    if !strace::works() {
        return;
    }
    // The same filter on a command that does connect (to a closed local port): the test above
    // would notice a connection, not just pass on an empty trace.
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("strace.log");
    let _ = strace::command(&log)
        .args(["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9 || true"])
        .output()
        .expect("run strace");
    let trace = std::fs::read_to_string(&log).expect("strace log");
    assert!(
        remote(&trace).iter().any(|l| l.contains("AF_INET")),
        "a TCP connect shows in the trace: {trace}"
    );
}
