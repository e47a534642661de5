//! Exports cut short at every crash point, then run again.
//!
//! Each scenario (copy picks, move picks on one file system and across two, write sidecars) runs
//! in a child process, this test binary re-run with `--ignored --exact crash_tests::child`, that
//! aborts at its N-th crash point ([`crate::fsutil::crash_point`]) as a `kill -9` there would.
//! The parent checks what a crash may leave (nothing lost, nothing torn), runs the export again
//! and checks it finished: every file once at its destination, no temp files. N goes up until
//! the child runs through without meeting a crash point, so every point is visited.
//! `tests/crash_export.rs` does the same with real `SIGKILL`s at moments nobody chose.

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::export::{PickMode, execute_picks, plan_picks};
use crate::xmp::{SidecarNaming, plan_xmp, read_sidecar, write_xmp};
use crate::{Decision, ExportReport, Flag};

const DIR_ENV: &str = "BESTPICK_TEST_CRASH_DIR";
const OUT_ENV: &str = "BESTPICK_TEST_CRASH_OUT";
const KIND_ENV: &str = "BESTPICK_TEST_CRASH_KIND";
const AT_ENV: &str = "BESTPICK_TEST_CRASH_AT";

/// The shoot's files: name and size. Sizes over 1 MiB give copies several chunks to die in.
const FILES: [(&str, usize); 4] = [
    ("IMG_1.JPG", (5 << 20) / 2),
    ("IMG_1.CR2", 1_300_000),
    ("IMG_1.xmp", 700),
    ("IMG_2.JPG", 40_000),
];

/// Bytes of `name`, different for every file and position.
fn content(name: &str, len: usize) -> Vec<u8> {
    let seed = name
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    (0..len)
        .map(|i| {
            (seed
                .wrapping_add(u32::try_from(i).expect("small"))
                .wrapping_mul(2_654_435_761)
                >> 24) as u8
        })
        .collect()
}

fn intact(path: &Path, name: &str, len: usize) -> bool {
    fs::read(path).is_ok_and(|bytes| bytes == content(name, len))
}

/// The photos found in `shoot`, as the engine's scan finds them: by their image (the JPEG),
/// with whichever companions are still there.
fn photos(shoot: &Path) -> Vec<Vec<PathBuf>> {
    let mut photos = Vec::new();
    for stem in ["IMG_1", "IMG_2"] {
        let image = shoot.join(format!("{stem}.JPG"));
        if !image.exists() {
            continue;
        }
        let mut files = vec![image];
        for ext in ["CR2", "xmp"] {
            let companion = shoot.join(format!("{stem}.{ext}"));
            if companion.exists() {
                files.push(companion);
            }
        }
        photos.push(files);
    }
    photos
}

fn decision(stars: u8) -> Decision {
    Decision {
        flag: Flag::Pick,
        stars,
        label: None,
        updated_at_ms: 1,
    }
}

const FOREIGN: &str = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n <rdf:RDF \
    xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n  <rdf:Description \
    rdf:about=\"\"\n    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n    \
    dc:format=\"image/x-canon-cr2\"/>\n </rdf:RDF>\n</x:xmpmeta>\n";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Copy,
    Move,
    Xmp,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Copy => "copy",
            Kind::Move => "move",
            Kind::Xmp => "xmp",
        }
    }

    fn parse(s: &str) -> Kind {
        match s {
            "copy" => Kind::Copy,
            "move" => Kind::Move,
            _ => Kind::Xmp,
        }
    }
}

fn setup(kind: Kind, shoot: &Path) {
    fs::create_dir_all(shoot).expect("mkdir");
    match kind {
        Kind::Copy | Kind::Move => {
            for (name, len) in FILES {
                fs::write(shoot.join(name), content(name, len)).expect("write");
            }
        }
        Kind::Xmp => {
            for name in ["IMG_1.JPG", "IMG_2.JPG", "IMG_3.JPG"] {
                fs::write(shoot.join(name), name).expect("write");
            }
            fs::write(shoot.join("IMG_1.xmp"), FOREIGN).expect("write");
            let meta = shoot.join("meta");
            fs::create_dir_all(&meta).expect("mkdir");
            fs::write(meta.join("IMG_3.xmp"), FOREIGN).expect("write");
            std::os::unix::fs::symlink("meta/IMG_3.xmp", shoot.join("IMG_3.xmp")).expect("link");
        }
    }
}

/// The export itself, as the child and the re-run do it.
fn run(kind: Kind, shoot: &Path, out: &Path) -> ExportReport {
    match kind {
        Kind::Copy => execute_picks(&plan_picks(&photos(shoot), out, PickMode::Copy)),
        Kind::Move => execute_picks(&plan_picks(&photos(shoot), out, PickMode::Move)),
        Kind::Xmp => {
            let items: Vec<(PathBuf, Decision)> = ["IMG_1.JPG", "IMG_2.JPG", "IMG_3.JPG"]
                .iter()
                .map(|n| (shoot.join(n), decision(4)))
                .collect();
            write_xmp(&plan_xmp(&items, SidecarNaming::Adobe))
        }
    }
}

#[test]
#[ignore = "child process of the crash_tests scenarios"]
fn child() {
    let (Some(shoot), Some(out), Some(kind)) = (
        std::env::var_os(DIR_ENV),
        std::env::var_os(OUT_ENV),
        std::env::var(KIND_ENV).ok(),
    ) else {
        return;
    };
    let report = run(Kind::parse(&kind), Path::new(&shoot), Path::new(&out));
    assert!(report.is_complete(), "{:?}", report.failed);
}

fn names(dir: &Path) -> Vec<String> {
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

/// What must hold at any moment of a crash.
fn check_crashed(kind: Kind, shoot: &Path, out: &Path, at: usize) {
    match kind {
        Kind::Copy => {
            for (name, len) in FILES {
                assert!(
                    intact(&shoot.join(name), name, len),
                    "crash {at}: source {name} intact"
                );
                let dest = out.join(name);
                assert!(
                    !dest.exists() || intact(&dest, name, len),
                    "crash {at}: {name} is whole under its final name, or absent"
                );
            }
        }
        Kind::Move => {
            for (name, len) in FILES {
                let there = [shoot.join(name), out.join(name)];
                assert!(
                    there.iter().any(|p| intact(p, name, len)),
                    "crash {at}: {name} is whole at its source or its destination"
                );
            }
        }
        Kind::Xmp => {
            for name in ["IMG_1.xmp", "IMG_2.xmp", "IMG_3.xmp"] {
                let path = shoot.join(name);
                if path.exists() {
                    read_sidecar(&path)
                        .unwrap_or_else(|e| panic!("crash {at}: {name} is whole: {e}"));
                }
            }
        }
    }
}

/// What must hold once the export ran to the end.
fn check_finished(kind: Kind, shoot: &Path, out: &Path, at: usize) {
    match kind {
        Kind::Copy | Kind::Move => {
            let mut expected: Vec<String> = FILES.iter().map(|(n, _)| (*n).to_owned()).collect();
            expected.sort();
            assert_eq!(
                names(out),
                expected,
                "crash {at}: each file once, no temp files"
            );
            for (name, len) in FILES {
                assert!(
                    intact(&out.join(name), name, len),
                    "crash {at}: {name} copied whole"
                );
                let source_left = shoot.join(name).exists();
                assert_eq!(
                    source_left,
                    kind == Kind::Copy,
                    "crash {at}: source of {name}"
                );
            }
        }
        Kind::Xmp => {
            for name in ["IMG_1.xmp", "IMG_2.xmp", "IMG_3.xmp"] {
                let values = read_sidecar(&shoot.join(name)).expect("sidecar");
                assert_eq!(values.rating, Some(4), "crash {at}: {name} rating");
            }
            for name in ["IMG_1.xmp", "meta/IMG_3.xmp"] {
                let text = fs::read_to_string(shoot.join(name)).expect("read");
                assert!(
                    text.contains("dc:format"),
                    "crash {at}: {name} keeps its own data"
                );
            }
            assert!(
                fs::symlink_metadata(shoot.join("IMG_3.xmp")).is_ok_and(|m| m.is_symlink()),
                "crash {at}: the linked sidecar is still a link"
            );
            for dir in [shoot.to_path_buf(), shoot.join("meta")] {
                let temps: Vec<String> = names(&dir)
                    .into_iter()
                    .filter(|n| n.contains(".bestpick-"))
                    .collect();
                assert!(temps.is_empty(), "crash {at}: temp files left: {temps:?}");
            }
        }
    }
}

/// Crash `kind` at every crash point in turn; `out_root` holds the destination folder.
fn crash_everywhere(kind: Kind, out_root: Option<&Path>) {
    let exe = std::env::current_exe().expect("test binary");
    for at in 1..=200 {
        let dir = TempDir::new().expect("tempdir");
        let out_dir = match out_root {
            Some(root) => TempDir::new_in(root).expect("out tempdir"),
            None => TempDir::new_in(dir.path()).expect("out tempdir"),
        };
        let shoot = dir.path().join("shoot");
        let out = out_dir.path().join("picks");
        setup(kind, &shoot);
        let child = Command::new(&exe)
            .args([
                "crash_tests::child",
                "--exact",
                "--ignored",
                "--test-threads=1",
            ])
            .env(DIR_ENV, &shoot)
            .env(OUT_ENV, &out)
            .env(KIND_ENV, kind.name())
            .env(AT_ENV, at.to_string())
            .output()
            .expect("run child");
        if child.status.success() {
            // Fewer crash points than `at`: every one was visited.
            assert!(at > 1, "{kind:?}: no crash point was reached");
            eprintln!(
                "{kind:?}: survived a crash at each of its {} crash points",
                at - 1
            );
            check_finished(kind, &shoot, &out, at);
            return;
        }
        assert_eq!(
            child.status.signal(),
            Some(6),
            "{kind:?} crash {at}: the child died at its crash point (SIGABRT), not otherwise: {}",
            String::from_utf8_lossy(&child.stderr)
        );
        check_crashed(kind, &shoot, &out, at);
        let report = run(kind, &shoot, &out);
        assert!(
            report.is_complete(),
            "{kind:?} crash {at}: re-run: {:?}",
            report.failed
        );
        check_finished(kind, &shoot, &out, at);
    }
    panic!("{kind:?}: more than 200 crash points?");
}

#[test]
fn copy_picks_resumes_after_a_crash_anywhere() {
    crash_everywhere(Kind::Copy, None);
}

#[test]
fn move_picks_resumes_after_a_crash_anywhere() {
    crash_everywhere(Kind::Move, None);
}

#[test]
fn move_across_file_systems_resumes_after_a_crash_anywhere() {
    // /dev/shm is a separate tmpfs on Linux machines; without it there is nothing to test.
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
    crash_everywhere(Kind::Move, Some(shm));
}

#[test]
fn sidecar_writes_resume_after_a_crash_anywhere() {
    crash_everywhere(Kind::Xmp, None);
}
