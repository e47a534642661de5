//! Exports killed with SIGKILL, then run again: copying or moving picks ends with every file
//! once at its destination (no `IMG_1 (1).JPG` twins of a finished copy, no `.part` leftovers)
//! and nothing lost on the way; writing sidecars never leaves a torn sidecar, and the next
//! export removes the temp files of the killed one.
//!
//! The exporter is this test binary itself, re-run with `--ignored --exact NAME` and the folders
//! in environment variables. It prints a line after every file; the parent kills it after a
//! varying number of lines and a varying pause, checks what the kill left, runs the export again
//! in-process, and checks the result. (`src/crash_tests.rs` visits every crash point in turn.)
#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use std::{fs, thread};

use bestpick_catalog::export::{PickMode, execute_picks, plan_picks};
use bestpick_catalog::xmp::{SidecarNaming, plan_xmp, read_sidecar, write_xmp};
use bestpick_catalog::{Decision, ExportReport, Flag};
use tempfile::TempDir;

const SHOOT_ENV: &str = "BESTPICK_CRASH_EXPORT_SHOOT";
const OUT_ENV: &str = "BESTPICK_CRASH_EXPORT_OUT";
const MODE_ENV: &str = "BESTPICK_CRASH_EXPORT_MODE";
const PHOTOS: usize = 6;
const ROUNDS: u64 = 6;

/// A photo's files: name suffix and size.
const PARTS: [(&str, usize); 3] = [(".JPG", 3 << 20), (".CR2", 2 << 20), (".xmp", 900)];

/// Every file of the shoot with its bytes.
fn shoot_files() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for k in 1..=PHOTOS {
        for (ext, len) in PARTS {
            let name = format!("IMG_{k}{ext}");
            let bytes = content(&name, len);
            files.push((name, bytes));
        }
    }
    files
}

/// Bytes of `name`, different for every file and position.
fn content(name: &str, len: usize) -> Vec<u8> {
    let seed = name
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    (0..len)
        .map(|i| {
            let i = u32::try_from(i).expect("small");
            (seed.wrapping_add(i).wrapping_mul(2_654_435_761) >> 24) as u8
        })
        .collect()
}

fn intact(path: &Path, expected: &[u8]) -> bool {
    fs::read(path).is_ok_and(|bytes| bytes == expected)
}

/// The photos in `shoot` as the engine's scan finds them: by their image, with whichever
/// companions are still there.
fn photos(shoot: &Path) -> Vec<Vec<PathBuf>> {
    (1..=PHOTOS)
        .filter_map(|k| {
            let image = shoot.join(format!("IMG_{k}.JPG"));
            image.exists().then(|| {
                std::iter::once(image)
                    .chain(
                        [".CR2", ".xmp"]
                            .iter()
                            .map(|ext| shoot.join(format!("IMG_{k}{ext}")))
                            .filter(|p| p.exists()),
                    )
                    .collect()
            })
        })
        .collect()
}

fn mode_of(name: &str) -> PickMode {
    if name == "move" {
        PickMode::Move
    } else {
        PickMode::Copy
    }
}

#[test]
#[ignore = "child process of the picks kill tests"]
fn picks_exporter() {
    let (Some(shoot), Some(out), Ok(mode)) = (
        std::env::var_os(SHOOT_ENV),
        std::env::var_os(OUT_ENV),
        std::env::var(MODE_ENV),
    ) else {
        return;
    };
    let plan = plan_picks(&photos(Path::new(&shoot)), Path::new(&out), mode_of(&mode));
    let mut stdout = std::io::stdout().lock();
    for transfer in &plan {
        let report = execute_picks(std::slice::from_ref(transfer));
        assert!(report.is_complete(), "{:?}", report.failed);
        writeln!(stdout, "done {}", transfer.dest.display()).expect("stdout");
        stdout.flush().expect("flush");
    }
}

/// Start the exporter `test` as a child process.
fn spawn(test: &str, envs: &[(&str, &Path)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args([
        test,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for (key, value) in envs {
        cmd.env(key, value);
    }
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn exporter")
}

/// Let `child` report `lines` lines starting with `prefix` (one per file or per batch, not the
/// test harness's own), wait a varying little while, then SIGKILL it.
fn kill_after(mut child: Child, prefix: &str, lines: u64, pause: Duration) {
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout).lines().map_while(Result::ok);
    let mut seen = 0;
    while seen < lines {
        match reader.next() {
            Some(line) if line.starts_with(prefix) => seen += 1,
            Some(_) => {}
            None => break,
        }
    }
    thread::sleep(pause);
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn kill_and_resume_picks(mode: &str, out_root: Option<&Path>) {
    let files = shoot_files();
    for round in 0..ROUNDS {
        let dir = TempDir::new().expect("tempdir");
        let out_dir = match out_root {
            Some(root) => TempDir::new_in(root).expect("out tempdir"),
            None => TempDir::new_in(dir.path()).expect("out tempdir"),
        };
        let shoot = dir.path().join("shoot");
        let out = out_dir.path().join("picks");
        fs::create_dir_all(&shoot).expect("mkdir");
        for (name, bytes) in &files {
            fs::write(shoot.join(name), bytes).expect("write");
        }

        let child = spawn(
            "picks_exporter",
            &[
                (SHOOT_ENV, &shoot),
                (OUT_ENV, &out),
                (MODE_ENV, Path::new(mode)),
            ],
        );
        kill_after(
            child,
            "done ",
            1 + round % 4,
            Duration::from_micros(1500 * round + 200),
        );

        // Whatever the moment: nothing lost, nothing half-written under a final name.
        for (name, bytes) in &files {
            let (source, dest) = (shoot.join(name), out.join(name));
            if mode == "copy" {
                assert!(intact(&source, bytes), "round {round}: {name} source");
            }
            assert!(
                intact(&source, bytes) || intact(&dest, bytes),
                "round {round}: {name} is whole at its source or destination"
            );
            assert!(
                !dest.exists() || intact(&dest, bytes),
                "round {round}: {name} under its final name is whole"
            );
        }

        // Run again to the end.
        let report = execute_picks(&plan_picks(&photos(&shoot), &out, mode_of(mode)));
        assert!(report.is_complete(), "round {round}: {:?}", report.failed);
        let mut expected: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
        expected.sort();
        assert_eq!(
            listing(&out),
            expected,
            "round {round}: every file once, no twins, no temp files"
        );
        for (name, bytes) in &files {
            assert!(
                intact(&out.join(name), bytes),
                "round {round}: {name} whole"
            );
        }
        let left = listing(&shoot);
        if mode == "copy" {
            assert_eq!(left, expected, "round {round}: the shoot is untouched");
        } else {
            assert!(left.is_empty(), "round {round}: all moved: {left:?} left");
        }
    }
}

#[test]
fn killed_copy_of_picks_resumes() {
    kill_and_resume_picks("copy", None);
}

#[test]
fn killed_move_of_picks_resumes() {
    kill_and_resume_picks("move", None);
}

#[test]
fn killed_move_across_file_systems_resumes() {
    use std::os::unix::fs::MetadataExt;
    let shm = Path::new("/dev/shm");
    let dev = |p: &Path| fs::metadata(p).map(|m| m.dev()).ok();
    let tmp = std::env::temp_dir();
    if dev(shm).is_none() || dev(shm) == dev(&tmp) {
        eprintln!(
            "skipped: no /dev/shm on another file system than {}",
            tmp.display()
        );
        return;
    }
    kill_and_resume_picks("move", Some(shm));
}

const SIDECARS: usize = 12;
const FOREIGN: &str = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n <rdf:RDF \
    xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  <rdf:Description \
    rdf:about=\"\"\n    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n    \
    dc:format=\"image/x-canon-cr2\"/>\n </rdf:RDF>\n</x:xmpmeta>\n";

fn sidecar_items(shoot: &Path, stars: u8) -> Vec<(PathBuf, Decision)> {
    (0..SIDECARS)
        .map(|k| {
            let decision = Decision {
                flag: Flag::Pick,
                stars,
                label: None,
                updated_at_ms: 1,
            };
            (shoot.join(format!("IMG_{k}.JPG")), decision)
        })
        .collect()
}

fn write_sidecars(shoot: &Path, stars: u8) -> ExportReport {
    write_xmp(&plan_xmp(
        &sidecar_items(shoot, stars),
        SidecarNaming::Adobe,
    ))
}

#[test]
#[ignore = "child process of the sidecar kill test"]
fn sidecar_writer() {
    let Some(shoot) = std::env::var_os(SHOOT_ENV) else {
        return;
    };
    let mut stdout = std::io::stdout().lock();
    for round in 0u8.. {
        let report = write_sidecars(Path::new(&shoot), round % 5 + 1);
        assert!(report.is_complete(), "{:?}", report.failed);
        writeln!(stdout, "round {round}").expect("stdout");
        stdout.flush().expect("flush");
    }
}

#[test]
fn killed_sidecar_writes_leave_whole_sidecars_and_no_temp_files() {
    for round in 0..ROUNDS {
        let dir = TempDir::new().expect("tempdir");
        let shoot = dir.path().to_path_buf();
        for k in 0..SIDECARS {
            fs::write(shoot.join(format!("IMG_{k}.JPG")), "image").expect("write");
            fs::write(shoot.join(format!("IMG_{k}.xmp")), FOREIGN).expect("write");
        }
        let child = spawn("sidecar_writer", &[(SHOOT_ENV, &shoot)]);
        kill_after(
            child,
            "round ",
            1 + round % 3,
            Duration::from_micros(700 * round),
        );

        for k in 0..SIDECARS {
            let path = shoot.join(format!("IMG_{k}.xmp"));
            let values =
                read_sidecar(&path).unwrap_or_else(|e| panic!("round {round}: IMG_{k}: {e}"));
            assert!(
                values.rating.is_some_and(|r| (1..=5).contains(&r)),
                "round {round}: IMG_{k}.xmp holds a rating we wrote"
            );
        }

        let report = write_sidecars(&shoot, 5);
        assert!(report.is_complete(), "round {round}: {:?}", report.failed);
        let temps: Vec<String> = listing(&shoot)
            .into_iter()
            .filter(|n| n.contains(".bestpick-"))
            .collect();
        assert!(
            temps.is_empty(),
            "round {round}: temp files left: {temps:?}"
        );
        for k in 0..SIDECARS {
            let text = fs::read_to_string(shoot.join(format!("IMG_{k}.xmp"))).expect("read");
            assert!(
                text.contains("dc:format") && text.contains("xmp:Rating=\"5\""),
                "round {round}: IMG_{k}.xmp merged"
            );
        }
    }
}
