//! The offline check shared by the CLI's and the app's tests: run a program under
//! `strace -f -e trace=connect,sendto,sendmsg` and list every socket call that named an address
//! other than a local one.
//!
//! Allowed: Unix sockets (D-Bus, the X server, WebKit's own processes) and netlink (how glibc
//! and GLib ask the kernel about interfaces and routes; it never leaves the machine). Any
//! Internet address, IPv4 or IPv6, loopback included, is reported.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

/// `strace` with its arguments, to put before the traced command: every thread and child
/// (`-f`), the calls that name an address, written to `log`.
pub fn prefix(log: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "strace",
        "-f",
        "-qq",
        "-e",
        "trace=connect,sendto,sendmsg",
        "-o",
    ]
    .into_iter()
    .map(OsString::from)
    .collect();
    args.push(log.as_os_str().to_owned());
    args
}

/// A command that runs strace ([`prefix`]); add the traced program and its arguments.
pub fn command(log: &Path) -> Command {
    let prefix = prefix(log);
    let mut c = Command::new(&prefix[0]);
    c.args(&prefix[1..]);
    c
}

/// True when strace can trace here; panics under CI (`CI=true`) when it cannot.
pub fn works() -> bool {
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

/// The lines of an strace log that name a socket address neither Unix nor netlink.
pub fn remote(trace: &str) -> Vec<String> {
    trace
        .lines()
        .filter(|l| l.contains("sa_family=") || l.contains("AF_INET"))
        .filter(|l| !l.contains("sa_family=AF_UNIX") && !l.contains("sa_family=AF_NETLINK"))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::remote;

    #[test]
    fn only_local_sockets_pass() {
        let cases = [
            (
                "D-Bus",
                r#"123 connect(5, {sa_family=AF_UNIX, sun_path="/run/user/0/bus"}, 110) = 0"#,
                false,
            ),
            (
                "netlink",
                "123 sendto(3, [{nlmsg_len=20, nlmsg_type=RTM_GETADDR}], 20, 0, \
                 {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 20",
                false,
            ),
            (
                "a pipe write",
                "123 sendmsg(7, {msg_name=NULL, msg_iov=[]}, 0) = 0",
                false,
            ),
            (
                "IPv4 loopback",
                "123 connect(3, {sa_family=AF_INET, sin_port=htons(9), \
                 sin_addr=inet_addr(\"127.0.0.1\")}, 16) = -1 ECONNREFUSED",
                true,
            ),
            (
                "IPv6",
                "123 connect(3, {sa_family=AF_INET6, sin6_port=htons(443)}, 28) = 0",
                true,
            ),
            (
                "DNS over UDP",
                "123 sendto(3, \"...\", 40, MSG_NOSIGNAL, {sa_family=AF_INET, \
                 sin_port=htons(53)}, 16) = 40",
                true,
            ),
        ];
        for (name, line, reported) in cases {
            assert_eq!(!remote(line).is_empty(), reported, "case {name}");
        }
    }
}
