//! The offline promise, checked on the desktop app itself: the app starts under a virtual
//! display, opens a copy of the sample shoot and analyzes it (thumbnails, faces, grouping, the
//! web view showing the grid), all under `strace -f -e trace=connect,sendto,sendmsg`; every
//! socket address used by the app, its threads and WebKit's child processes must be local (the
//! shared check, `bestpick_testkit::strace`: Unix sockets for the X server, D-Bus and WebKit's
//! own processes, netlink for GLib's look at the interfaces; any IPv4 or IPv6 address fails).
//!
//! Needs strace, xvfb-run and the built interface (`ui/dist`, which `./dev test` builds before
//! the tests): a developer machine without them skips with a line saying so; under CI
//! (`CI=true`) their absence fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bestpick_testkit::strace;

const APP: &str = env!("CARGO_BIN_EXE_bestpick-app");
const SAMPLE_PHOTOS: usize = 36;

/// True when `what` is available; panics under CI when it is not.
fn needed(available: bool, what: &str) -> bool {
    assert!(
        available || std::env::var_os("CI").is_none(),
        "CI=true: the app's offline check needs {what}"
    );
    if !available {
        println!("skipped: the app's offline check needs {what}");
    }
    available
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The thumbnails the app has written so far (`<home>/cache/thumbnails/<shoot>/<photo>.jpg`).
fn thumbnails(home: &Path) -> usize {
    let Ok(shoots) = std::fs::read_dir(home.join("cache/thumbnails")) else {
        return 0;
    };
    shoots
        .flatten()
        .filter_map(|shoot| std::fs::read_dir(shoot.path()).ok())
        .flat_map(|photos| photos.flatten())
        .filter(|p| p.path().extension().is_some_and(|e| e == "jpg"))
        .count()
}

/// The processes under `root` (children, their children, …) whose name is `name`, from /proc.
fn descendants(root: u32, name: &str) -> Vec<u32> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses: split at the last ')'.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head.split_once('(').map_or("", |(_, c)| c).to_owned();
        let ppid = rest
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            parents.push((pid, ppid, comm));
        }
    }
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (pid, _, comm) in parents.iter().filter(|(_, ppid, _)| *ppid == parent) {
            frontier.push(*pid);
            // The kernel keeps 15 characters of a name.
            if name.starts_with(comm.as_str()) && !comm.is_empty() {
                found.push(*pid);
            }
        }
    }
    found
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("shoot folder");
    for entry in std::fs::read_dir(from).expect("sample folder") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copy");
        }
    }
}

#[test]
fn the_app_opens_and_analyzes_a_shoot_without_the_network() {
    let index = std::fs::read_to_string(repo().join("ui/dist/index.html")).unwrap_or_default();
    let ui_built = !index.is_empty() && !index.contains("interface is not built");
    let xvfb = Command::new("sh")
        .args(["-c", "command -v xvfb-run"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !strace::works()
        || !needed(xvfb, "xvfb-run (Debian packages xvfb, xauth)")
        || !needed(ui_built, "the built interface (npm --prefix ui run build)")
    {
        return;
    }

    let home = tempfile::tempdir().expect("home");
    let shoot: PathBuf = home.path().join("sample");
    copy_dir(&repo().join("assets/sample"), &shoot);
    let log = home.path().join("strace.log");
    let prefix = strace::prefix(&log);
    let mut app = Command::new("xvfb-run");
    app.args(["-a", "-s", "-screen 0 1600x1000x24"])
        .args(&prefix)
        .arg(APP)
        .arg(&shoot)
        .env("BESTPICK_HOME", home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = app
        .spawn()
        .expect("start the app under xvfb-run and strace");

    let started = Instant::now();
    let mut seen = 0;
    while started.elapsed() < Duration::from_secs(300) {
        seen = thumbnails(home.path());
        if seen >= SAMPLE_PHOTOS || child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    // Grouping and ranking follow the last photo; give the window time to show the result.
    std::thread::sleep(Duration::from_secs(3));
    // The app is ended first, then xvfb-run ends on its own with its display. (Ending the
    // display first is no test: WebKit's processes, losing the X server, retry it over TCP,
    // 127.0.0.1:6000+N, which is Xlib's fallback, not the app.)
    for pid in descendants(child.id(), "bestpick-app") {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    if child.try_wait().ok().flatten().is_none() {
        let _ = child.kill();
    }
    let _ = child.wait();

    assert_eq!(
        seen, SAMPLE_PHOTOS,
        "the app analyzed the sample shoot (a thumbnail per photo)"
    );
    let trace = std::fs::read_to_string(&log).expect("strace log");
    assert!(
        trace.contains("sa_family=AF_UNIX"),
        "the trace saw the app's local connections (the X server at least): {} lines",
        trace.lines().count()
    );
    let remote = strace::remote(&trace);
    assert!(
        remote.is_empty(),
        "the app used the network:\n{}",
        remote.join("\n")
    );
}
