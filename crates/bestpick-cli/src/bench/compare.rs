//! `bestpick bench DIR --czkawka`: the whole `bestpick analyze --no-faces DIR` (this program,
//! as a user runs it: scan, decode, measure, a new catalog, groups, picks, the summary) against
//! czkawka_cli's similar-images scan of the same folder, timed as processes, alternating one of
//! each per pass so that both see the same machine. czkawka's cache is off and bestpick's
//! catalog is new each pass: both do the whole work every time.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

use super::round2;

/// The end-to-end comparison's figures.
#[derive(serde::Serialize)]
pub struct EndToEnd {
    /// Seconds of each `bestpick analyze --no-faces` pass, in order.
    pub bestpick_s: Vec<f64>,
    /// Seconds of each czkawka_cli pass, in order.
    pub czkawka_s: Vec<f64>,
    /// czkawka_cli's time over bestpick's, per pass (each pair ran back to back).
    pub speedups: Vec<f64>,
    /// The median of `speedups`.
    pub median_speedup: f64,
    /// The first line `czkawka_cli --version` printed (its name and version).
    pub czkawka_version: String,
    /// Passes in which `bestpick analyze` could not analyze every photo (its exit code 1): their
    /// times cover fewer decodes than the folder holds.
    pub bestpick_partial_passes: usize,
}

pub fn run(root: &Path, czkawka: &Path, passes: usize) -> anyhow::Result<EndToEnd> {
    let version = Command::new(czkawka)
        .arg("--version")
        .output()
        .with_context(|| {
            format!(
                "cannot run {} (install it with `cargo install czkawka_cli`, or give its path: \
                 --czkawka PATH)",
                czkawka.display()
            )
        })?;
    // czkawka_cli prints its name and version on the first line, then the commit and date.
    let czkawka_version = String::from_utf8_lossy(&version.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let me = std::env::current_exe().context("cannot find this program's path")?;
    // The catalog and the per-user folders of the analyze runs, so that nothing of the user's
    // is read or written: a new private folder (random name, owner only), removed at the end.
    let scratch = tempfile::Builder::new()
        .prefix("bestpick-bench-")
        .tempdir()
        .context("cannot make a scratch folder in the temporary folder")?;
    let mut fig = EndToEnd {
        bestpick_s: Vec::new(),
        czkawka_s: Vec::new(),
        speedups: Vec::new(),
        median_speedup: 0.0,
        czkawka_version,
        bestpick_partial_passes: 0,
    };
    for pass in 0..passes {
        let home = scratch.path().join(format!("pass{pass}"));
        std::fs::create_dir_all(&home)
            .with_context(|| format!("cannot make {}", home.display()))?;
        let mut analyze = Command::new(&me);
        analyze
            .arg("--catalog")
            .arg(home.join("catalog.db"))
            .args(["analyze", "--no-faces"])
            .arg(root)
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"));
        // 1: some photos could not be analyzed; the pass still counts, and says so.
        let (bestpick, code) = timed(&mut analyze, "bestpick analyze --no-faces", &[0, 1])?;
        fig.bestpick_partial_passes += usize::from(code == 1);
        let mut scan = Command::new(czkawka);
        scan.arg("image")
            .arg("--directories")
            .arg(root)
            .arg("--disable-cache")
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"));
        // 11: czkawka found similar images (its exit code for a result unless -W is given).
        let (other, _) = timed(&mut scan, "czkawka_cli image", &[0, 11])?;
        fig.bestpick_s.push(round3(bestpick));
        fig.czkawka_s.push(round3(other));
        fig.speedups.push(round2(other / bestpick));
    }
    let mut sorted = fig.speedups.clone();
    sorted.sort_by(f64::total_cmp);
    fig.median_speedup = match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => round2((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    };
    Ok(fig)
}

/// Runs `cmd` to its end with its output discarded (but kept for an error): seconds, and the
/// exit code (one of `ok_codes`).
fn timed(cmd: &mut Command, what: &str, ok_codes: &[i32]) -> anyhow::Result<(f64, i32)> {
    let t = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    let s = t.elapsed().as_secs_f64();
    let Some(code) = out.status.code().filter(|c| ok_codes.contains(c)) else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        bail!(
            "{what} failed ({}): {}",
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        );
    };
    Ok((s, code))
}

pub fn print(e: &EndToEnd) {
    let list = |v: &[f64]| {
        v.iter()
            .map(|s| format!("{s:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("  end to end, alternating (seconds per pass):");
    println!(
        "    bestpick analyze --no-faces:      {}",
        list(&e.bestpick_s)
    );
    println!(
        "    {} image, cache off: {}",
        e.czkawka_version,
        list(&e.czkawka_s)
    );
    println!(
        "    czkawka / bestpick:               {} (median {:.2}x)",
        list(&e.speedups),
        e.median_speedup
    );
    if e.bestpick_partial_passes > 0 {
        println!(
            "    note: in {} of the passes bestpick could not analyze every photo (see \
             `bestpick analyze DIR`): those times cover fewer decodes",
            e.bestpick_partial_passes
        );
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_command_says_what_and_why() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo broken >&2; exit 3"]);
        let err = timed(&mut cmd, "the thing", &[0]).expect_err("an error");
        let text = format!("{err:#}");
        assert!(text.contains("the thing failed"), "{text}");
        assert!(text.contains("broken"), "{text}");
        let mut ok = Command::new("sh");
        ok.args(["-c", "exit 11"]);
        assert_eq!(timed(&mut ok, "found", &[0, 11]).expect("ok").1, 11);
    }
}
