//! A kill -9 or Ctrl-C in the middle of an analysis leaves a valid catalog, keeps the finished
//! work and every decision; the next run resumes.

#![cfg(unix)]

use std::time::{Duration, Instant};

use crate::util::{Shoot, code};

/// A shoot of many photos (hard links to one fixture under different names), so that the
/// analysis takes long enough to be interrupted.
fn big_shoot(n: usize) -> Shoot {
    let mut shoot = Shoot::new();
    shoot.faces = false;
    let src = shoot.add("singles/sklearn_china.jpg");
    for i in 0..n {
        std::fs::hard_link(&src, shoot.root().join(format!("IMG_{i:05}.jpg"))).expect("link");
    }
    shoot
}

fn wait_for_batches(catalog: &std::path::Path) {
    // The first batch is committed within half a second of the first result.
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(c) = bestpick_catalog::Catalog::open(catalog)
            && let Ok(shoots) = c.shoots()
            && let Some(s) = shoots.first()
            && c.cached_analyses(s.id, bestpick_core::ANALYSIS_VERSION)
                .map(|m| m.len())
                .unwrap_or(0)
                > 0
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no batch committed within 20 s");
}

#[test]
fn kill_9_mid_analysis_keeps_the_catalog_and_decisions() {
    let shoot = big_shoot(3000);
    // A first photo analyzed and decided before the big run.
    let (_, _) = shoot.analyze_json();
    let first = shoot.root().join("sklearn_china.jpg");
    let out = shoot.run(&["decide", first.to_str().expect("utf8"), "--pick"]);
    assert_eq!(code(&out), 0);
    for i in 3000..6000 {
        std::fs::hard_link(&first, shoot.root().join(format!("IMG_{i:05}.jpg"))).expect("link");
    }
    let mut child = shoot
        .cmd()
        .arg("analyze")
        .arg("--no-faces")
        .arg(shoot.root())
        .arg("--json")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(300));
    child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    child.wait().expect("wait");
    let catalog =
        bestpick_catalog::Catalog::open(&shoot.catalog).expect("catalog opens after a kill");
    assert_eq!(
        catalog.integrity_check().expect("check"),
        vec!["ok".to_string()]
    );
    drop(catalog);
    let (exit, report) = shoot.analyze_json();
    assert_eq!(exit, 0);
    assert_eq!(report["summary"]["photos"], 6001);
    let from_cache = report["summary"]["from_cache"].as_u64().expect("n");
    assert!(
        from_cache >= 3001,
        "finished work kept: {from_cache} from the catalog"
    );
    assert_eq!(
        crate::util::photo(&report, "/sklearn_china.jpg")["decision"]["flag"],
        "pick",
        "the decision survived"
    );
}

#[test]
fn ctrl_c_stops_cleanly_keeps_finished_work_and_the_next_run_finishes() {
    let shoot = big_shoot(4000);
    let child = shoot
        .cmd()
        .arg("analyze")
        .arg("--no-faces")
        .arg(shoot.root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for_batches(&shoot.catalog);
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(0) {
        // The run finished before the signal arrived: nothing to check but success.
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("run the same command again"), "{err}");
    let (exit, report) = shoot.analyze_json();
    assert_eq!(exit, 0);
    assert!(
        report["summary"]["from_cache"].as_u64().expect("n") > 0,
        "kept what was done"
    );
    assert_eq!(report["summary"]["analyzed"], 4001);
}
