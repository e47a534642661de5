//! Copying and moving picks with their companions, around existing files.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bestpick_catalog::Error;
use bestpick_catalog::export::{PickMode, execute_picks, plan_picks};
use tempfile::TempDir;

/// Write `name` under `dir` with content naming it, and an old mtime so keeping it is visible.
fn file(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("mkdir");
    }
    fs::write(&path, format!("bytes of {name}")).expect("write");
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(old))
        .expect("set mtime");
    path
}

fn names(paths: impl IntoIterator<Item = PathBuf>) -> Vec<String> {
    paths
        .into_iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect()
}

#[test]
fn copy_moves_a_clashing_photo_and_its_companions_to_a_free_suffix() {
    let shoot = TempDir::new().expect("shoot");
    let out = TempDir::new().expect("out");
    let photo = vec![
        file(shoot.path(), "IMG_1.CR2"),
        file(shoot.path(), "IMG_1.JPG"),
        file(shoot.path(), "IMG_1.CR2.xmp"),
    ];
    let other = vec![file(shoot.path(), "IMG_2.JPG")];
    // Already in the destination: one clashing name, and the first numbered one for it.
    fs::write(out.path().join("IMG_1.JPG"), "someone else's picture").expect("write");
    fs::write(out.path().join("IMG_1 (1).CR2"), "another one").expect("write");

    let plan = plan_picks(&[photo.clone(), other.clone()], out.path(), PickMode::Copy);
    assert_eq!(
        names(plan.iter().map(|t| t.dest.clone())),
        [
            "IMG_1 (2).CR2",
            "IMG_1 (2).JPG",
            "IMG_1 (2).CR2.xmp",
            "IMG_2.JPG"
        ],
        "the whole photo moves to the first suffix free for all its files"
    );
    assert_eq!(
        plan.iter().map(|t| t.renamed).collect::<Vec<_>>(),
        [true, true, true, false],
        "renamed flags"
    );

    let report = execute_picks(&plan);
    assert!(report.is_complete(), "{:?}", report.failed);
    for transfer in &plan {
        let name = transfer.source.file_name().expect("name").to_string_lossy();
        assert_eq!(
            fs::read_to_string(&transfer.dest).expect("copied"),
            format!("bytes of {name}"),
            "case {name}: content"
        );
        assert!(
            transfer.source.exists(),
            "case {name}: copy keeps the source"
        );
        assert_eq!(
            fs::metadata(&transfer.dest)
                .expect("meta")
                .modified()
                .expect("mtime"),
            fs::metadata(&transfer.source)
                .expect("meta")
                .modified()
                .expect("mtime"),
            "case {name}: mtime kept"
        );
    }
    assert_eq!(
        fs::read_to_string(out.path().join("IMG_1.JPG")).expect("read"),
        "someone else's picture",
        "existing file untouched"
    );
    assert_eq!(
        fs::read_to_string(out.path().join("IMG_1 (1).CR2")).expect("read"),
        "another one",
        "existing numbered file untouched"
    );
    let leftovers: Vec<_> = fs::read_dir(out.path())
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no temp files left: {leftovers:?}");
}

#[test]
fn same_names_from_different_folders_do_not_collide() {
    let shoot = TempDir::new().expect("shoot");
    let out = TempDir::new().expect("out");
    let photos = vec![
        vec![file(shoot.path(), "card1/DSC_0001.NEF")],
        vec![file(shoot.path(), "card2/DSC_0001.NEF")],
        vec![file(shoot.path(), "card3/DSC_0001.NEF")],
    ];
    let plan = plan_picks(&photos, out.path(), PickMode::Copy);
    assert_eq!(
        names(plan.iter().map(|t| t.dest.clone())),
        ["DSC_0001.NEF", "DSC_0001 (1).NEF", "DSC_0001 (2).NEF"],
        "numbered in plan order"
    );
    let report = execute_picks(&plan);
    assert!(report.is_complete(), "{:?}", report.failed);
    for (i, card) in ["card1", "card2", "card3"].iter().enumerate() {
        assert_eq!(
            fs::read_to_string(&plan[i].dest).expect("read"),
            format!("bytes of {card}/DSC_0001.NEF"),
            "case {card}"
        );
    }
}

#[test]
fn move_renames_on_one_file_system() {
    let root = TempDir::new().expect("root");
    let photo = vec![
        file(root.path(), "shoot/IMG_7.CR2"),
        file(root.path(), "shoot/IMG_7.xmp"),
    ];
    let inode = fs::metadata(&photo[0]).expect("meta").ino();
    let out = root.path().join("picks");
    let plan = plan_picks(std::slice::from_ref(&photo), &out, PickMode::Move);
    let report = execute_picks(&plan);
    assert!(report.is_complete(), "{:?}", report.failed);
    for transfer in &plan {
        assert!(
            !transfer.source.exists(),
            "{}: source gone",
            transfer.source.display()
        );
        assert!(transfer.dest.exists(), "{}: moved", transfer.dest.display());
    }
    assert_eq!(
        fs::metadata(out.join("IMG_7.CR2")).expect("meta").ino(),
        inode,
        "same inode: renamed, not copied"
    );
}

#[test]
fn move_across_file_systems_copies_verifies_and_removes() {
    // /dev/shm is a separate tmpfs on Linux machines; without it there is nothing to test.
    let shm = Path::new("/dev/shm");
    let shoot = TempDir::new().expect("shoot");
    let Ok(out) = TempDir::new_in(shm) else {
        eprintln!("skipped: no /dev/shm to move across file systems");
        return;
    };
    let dev = |p: &Path| fs::metadata(p).expect("meta").dev();
    if dev(shoot.path()) == dev(out.path()) {
        eprintln!("skipped: /dev/shm is on the same file system as the temp dir");
        return;
    }
    let photo = vec![
        file(shoot.path(), "IMG_8.ARW"),
        file(shoot.path(), "IMG_8.JPG"),
    ];
    let plan = plan_picks(std::slice::from_ref(&photo), out.path(), PickMode::Move);
    let report = execute_picks(&plan);
    assert!(report.is_complete(), "{:?}", report.failed);
    for transfer in &plan {
        let name = transfer.source.file_name().expect("name").to_string_lossy();
        assert!(!transfer.source.exists(), "case {name}: source removed");
        assert_eq!(
            fs::read_to_string(&transfer.dest).expect("read"),
            format!("bytes of {name}"),
            "case {name}: content"
        );
    }
}

#[test]
fn failures_are_reported_and_the_batch_goes_on() {
    let shoot = TempDir::new().expect("shoot");
    let out = TempDir::new().expect("out");
    let late = vec![file(shoot.path(), "late.jpg")];
    let missing = vec![shoot.path().join("missing.jpg")];
    let fine = vec![file(shoot.path(), "fine.jpg")];

    let cases = [(PickMode::Copy, "copy"), (PickMode::Move, "move")];
    for (mode, name) in cases {
        let out = out.path().join(name);
        let plan = plan_picks(&[late.clone(), missing.clone(), fine.clone()], &out, mode);
        // Another program creates a planned destination before we get to it.
        fs::create_dir_all(&out).expect("mkdir");
        fs::write(out.join("late.jpg"), "got here first").expect("write");

        let report = execute_picks(&plan);
        assert_eq!(
            names(report.done.iter().map(|d| d.dest.clone())),
            ["fine.jpg"],
            "case {name}"
        );
        assert_eq!(report.failed.len(), 2, "case {name}: {:?}", report.failed);
        assert!(
            matches!(&report.failed[0].error, Error::DestinationExists { path } if *path == out.join("late.jpg")),
            "case {name}: {:?}",
            report.failed[0].error
        );
        assert!(
            matches!(&report.failed[1].error, Error::Read { path, .. } if *path == missing[0]),
            "case {name}: {:?}",
            report.failed[1].error
        );
        assert_eq!(
            fs::read_to_string(out.join("late.jpg")).expect("read"),
            "got here first",
            "case {name}: never overwritten"
        );
        assert!(
            late[0].exists(),
            "case {name}: the source of a failed transfer stays"
        );
        if mode == PickMode::Move {
            // The copy case ran first, so the move had its source; now it is gone.
            assert!(!fine[0].exists(), "case {name}: moved");
        }
    }
}

#[test]
fn a_finished_copy_is_recognised_and_a_different_file_is_not() {
    let shoot = TempDir::new().expect("shoot");
    let out = TempDir::new().expect("out");
    let done = vec![
        file(shoot.path(), "IMG_1.JPG"),
        file(shoot.path(), "IMG_1.CR2"),
    ];
    let lookalike = vec![file(shoot.path(), "IMG_2.JPG")];
    // An interrupted run copied IMG_1.JPG whole and left a .part of IMG_1.CR2.
    fs::copy(&done[0], out.path().join("IMG_1.JPG")).expect("copy");
    let stale = out.path().join(".IMG_1.CR2.bestpick-part-4194305-1");
    fs::write(&stale, "bytes of").expect("write");
    // Someone else's IMG_2.JPG: same size, other bytes.
    let other = "bytes of IMG_2.JPX";
    assert_eq!(other.len(), "bytes of IMG_2.JPG".len(), "same size");
    fs::write(out.path().join("IMG_2.JPG"), other).expect("write");

    let plan = plan_picks(&[done.clone(), lookalike], out.path(), PickMode::Copy);
    assert_eq!(
        names(plan.iter().map(|t| t.dest.clone())),
        ["IMG_1.JPG", "IMG_1.CR2", "IMG_2 (1).JPG"],
        "the finished copy keeps its name; the lookalike is a clash"
    );
    let report = execute_picks(&plan);
    assert!(report.is_complete(), "{:?}", report.failed);
    assert_eq!(
        names(
            fs::read_dir(out.path())
                .expect("list")
                .filter_map(Result::ok)
                .map(|e| e.path())
        )
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>(),
        ["IMG_1.CR2", "IMG_1.JPG", "IMG_2 (1).JPG", "IMG_2.JPG"]
            .map(String::from)
            .into(),
        "no twin of the finished copy, the stale .part removed"
    );
    assert_eq!(
        fs::read_to_string(out.path().join("IMG_2.JPG")).expect("read"),
        other,
        "the lookalike is untouched"
    );
}

#[test]
fn an_interrupted_move_only_removes_the_source() {
    let root = TempDir::new().expect("root");
    let photo = vec![file(root.path(), "shoot/IMG_3.JPG")];
    let out = root.path().join("picks");
    fs::create_dir_all(&out).expect("mkdir");
    // Killed after linking the destination, before removing the source.
    fs::hard_link(&photo[0], out.join("IMG_3.JPG")).expect("link");
    let plan = plan_picks(std::slice::from_ref(&photo), &out, PickMode::Move);
    assert_eq!(
        names(plan.iter().map(|t| t.dest.clone())),
        ["IMG_3.JPG"],
        "same name"
    );
    let report = execute_picks(&plan);
    assert!(report.is_complete(), "{:?}", report.failed);
    assert!(!photo[0].exists(), "source removed");
    assert_eq!(
        fs::read_to_string(out.join("IMG_3.JPG")).expect("read"),
        "bytes of shoot/IMG_3.JPG",
        "moved"
    );
}

#[test]
fn picks_exported_into_their_own_folder_are_never_removed() {
    // The destination is the shoot itself: each file "already exists" as itself.
    let shoot = TempDir::new().expect("shoot");
    let photo = vec![file(shoot.path(), "IMG_4.JPG")];
    for mode in [PickMode::Copy, PickMode::Move] {
        let plan = plan_picks(std::slice::from_ref(&photo), shoot.path(), mode);
        assert_eq!(
            names(plan.iter().map(|t| t.dest.clone())),
            ["IMG_4 (1).JPG"],
            "case {mode:?}: a file is no copy of itself"
        );
        // Executing a hand-made plan naming the file itself must not remove it either.
        let same = vec![bestpick_catalog::export::PlannedTransfer {
            dest: photo[0].clone(),
            ..plan[0].clone()
        }];
        let report = execute_picks(&same);
        assert!(
            matches!(&report.failed[..], [f] if matches!(f.error, Error::DestinationExists { .. })),
            "case {mode:?}: {:?}",
            report.failed
        );
        assert_eq!(
            fs::read_to_string(&photo[0]).expect("still there"),
            "bytes of IMG_4.JPG",
            "case {mode:?}: the original is kept"
        );
    }
}

#[test]
fn a_fifo_among_the_picks_is_refused_without_blocking() {
    let shoot = TempDir::new().expect("shoot");
    let out = TempDir::new().expect("out");
    let fifo = shoot.path().join("IMG_5.JPG");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo (coreutils) must be installed");
    assert!(status.success(), "mkfifo");
    let fine = vec![file(shoot.path(), "IMG_6.JPG")];
    let plan = plan_picks(&[vec![fifo.clone()], fine], out.path(), PickMode::Copy);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(execute_picks(&plan));
    });
    let report = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("copying a FIFO blocked");
    assert_eq!(
        names(report.done.iter().map(|d| d.dest.clone())),
        ["IMG_6.JPG"],
        "the rest is copied"
    );
    assert!(
        matches!(&report.failed[..], [f] if f.error.to_string().contains("FIFO")),
        "{:?}",
        report.failed
    );
}
