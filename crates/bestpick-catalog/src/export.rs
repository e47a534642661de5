//! Copy or move picks into a folder, each with its companions (the other half of a RAW+JPEG
//! pair, existing sidecars), never overwriting anything.
//!
//! Plan first ([`plan_picks`]: every source with its destination, clashes resolved by naming),
//! then execute ([`execute_picks`]: one report with per-file errors; one failure never stops
//! the batch).
//!
//! Clashes: when `IMG_1.JPG` already exists in the destination (or another photo of the same
//! batch takes that name), the whole photo moves to the next free suffix, `IMG_1 (1).JPG`, and
//! its companions follow (`IMG_1 (1).CR2`, `IMG_1 (1).CR2.xmp`) so they still pair up.
//!
//! Resuming: an export cut short (crash, `kill -9`, power loss) is finished by running it again.
//! A destination holding exactly the bytes of its source is a copy the first run finished, not
//! a clash: it keeps its name and counts as done (a move then only removes the source). The
//! first run's `.part` temp files are removed. A move takes a photo's companions first and its
//! image last, so a run cut short in the middle of a photo leaves the image in the shoot, where
//! the next run's scan finds the photo and moves the rest.

use std::collections::{BTreeSet, HashSet};
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::fsutil;
use crate::{ExportFailure, ExportReport, Exported};

/// Copy or move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PickMode {
    /// Copy: the shoot stays as it is.
    Copy,
    /// Move: a rename on the same file system, else copy, verify, then remove the source.
    Move,
}

/// One file to copy or move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedTransfer {
    /// The file in the shoot.
    pub source: PathBuf,
    /// Where it goes.
    pub dest: PathBuf,
    /// Copy or move.
    pub mode: PickMode,
    /// The destination name differs from the source name (a clash was avoided).
    pub renamed: bool,
}

/// How many numbered names to try before giving up on finding a free one.
const MAX_SUFFIX: usize = 10_000;

/// Plan copying or moving `photos` into `out_dir`. Each inner list is one photo's files: the
/// image first, then its companions. Nothing is written. A move lists each photo's companions
/// before its image (see the module docs).
pub fn plan_picks(photos: &[Vec<PathBuf>], out_dir: &Path, mode: PickMode) -> Vec<PlannedTransfer> {
    let mut taken: HashSet<PathBuf> = HashSet::new();
    let mut plan = Vec::new();
    for files in photos {
        let names: Vec<OsString> = files
            .iter()
            .map(|f| f.file_name().map(ToOwned::to_owned).unwrap_or_default())
            .collect();
        let stem = names.first().map(stem_of).unwrap_or_default();
        // A name is free for a file if nothing has it, or if it holds exactly that file's bytes
        // (copied by an interrupted run: resuming finishes the job instead of duplicating it).
        let free = |source: &Path, candidate: &PathBuf, taken: &HashSet<PathBuf>| {
            !taken.contains(candidate)
                && (!exists(candidate)
                    || (!fsutil::same_entry(source, candidate)
                        && fsutil::same_content(source, candidate)))
        };

        // The whole photo under one suffix, so its files keep pairing up.
        let together = (0..MAX_SUFFIX).find_map(|n| {
            let dests: Vec<PathBuf> = names
                .iter()
                .map(|name| out_dir.join(numbered(name, &stem, n)))
                .collect();
            let distinct = dests.iter().collect::<HashSet<_>>().len() == dests.len();
            let all_free = files.iter().zip(&dests).all(|(f, d)| free(f, d, &taken));
            (distinct && all_free).then_some(dests)
        });
        // Files of one photo with the same name (from different folders): number each alone.
        let dests = together.unwrap_or_else(|| {
            let mut dests = Vec::new();
            for (file, name) in files.iter().zip(&names) {
                let own_stem = stem_of(name);
                let dest = (0..MAX_SUFFIX)
                    .map(|n| out_dir.join(numbered(name, &own_stem, n)))
                    .find(|d| free(file, d, &taken) && !dests.contains(d))
                    // Nothing free: keep the plain name; executing reports it as existing.
                    .unwrap_or_else(|| out_dir.join(name));
                dests.push(dest);
            }
            dests
        });

        let mut transfers: Vec<PlannedTransfer> = files
            .iter()
            .zip(&names)
            .zip(dests)
            .map(|((source, name), dest)| {
                taken.insert(dest.clone());
                PlannedTransfer {
                    source: source.clone(),
                    renamed: dest.file_name() != Some(name.as_os_str()),
                    dest,
                    mode,
                }
            })
            .collect();
        if mode == PickMode::Move {
            // The image last: the shoot's scan finds a photo by its image, so a move cut short
            // must leave the image behind for the next run to find and finish the companions.
            transfers.rotate_left(1);
        }
        plan.extend(transfers);
    }
    plan
}

/// Copy or move the planned files. Copies go through a temp file, are fsynced and size-checked
/// and keep the source's modification time; nothing at a destination is ever replaced. A move
/// removes its source only once the destination is on disk.
///
/// Resumable: run again after an interruption (even `kill -9`), the same plan finishes the job.
/// A destination already holding exactly the source's bytes counts as done (a move then only
/// removes the source), and the `.part` files the interrupted run left are removed.
pub fn execute_picks(plan: &[PlannedTransfer]) -> ExportReport {
    let mut report = ExportReport::default();
    let folders: BTreeSet<&Path> = plan.iter().map(|t| fsutil::parent_dir(&t.dest)).collect();
    for folder in folders {
        fsutil::remove_stale_temps(folder, fsutil::PART_TAG);
    }
    for transfer in plan {
        let result = create_parent(&transfer.dest).and_then(|()| match transfer.mode {
            PickMode::Copy => fsutil::copy_verified(&transfer.source, &transfer.dest),
            PickMode::Move => fsutil::move_no_clobber(&transfer.source, &transfer.dest),
        });
        match result {
            Ok(_) => report.done.push(Exported {
                source: transfer.source.clone(),
                dest: transfer.dest.clone(),
            }),
            Err(error) => report.failed.push(ExportFailure {
                source: transfer.source.clone(),
                error,
            }),
        }
    }
    report
}

fn create_parent(dest: &Path) -> crate::Result<()> {
    let dir = fsutil::parent_dir(dest);
    std::fs::create_dir_all(dir).map_err(|source| Error::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

fn exists(path: &Path) -> bool {
    // An entry we cannot inspect counts as taken.
    !matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == io::ErrorKind::NotFound)
}

/// The part of a file name before its last extension (`IMG_1.CR2` → `IMG_1`).
fn stem_of(name: &OsString) -> OsString {
    Path::new(name)
        .file_stem()
        .map(ToOwned::to_owned)
        .unwrap_or_else(|| name.clone())
}

/// `name` with suffix `n` (none for 0): `IMG_1.CR2.xmp` with stem `IMG_1` → `IMG_1 (2).CR2.xmp`.
/// Names not starting with `stem.` get the suffix before their last extension.
fn numbered(name: &OsString, stem: &OsString, n: usize) -> OsString {
    if n == 0 {
        return name.clone();
    }
    let suffix = format!(" ({n})");
    if let (Some(name_str), Some(stem_str)) = (name.to_str(), stem.to_str())
        && let Some(tail) = name_str.strip_prefix(stem_str)
        && (tail.is_empty() || tail.starts_with('.'))
        && !stem_str.is_empty()
    {
        return format!("{stem_str}{suffix}{tail}").into();
    }
    match name.to_str() {
        Some(s) => match s.rfind('.') {
            Some(i) if i > 0 => format!("{}{suffix}{}", &s[..i], &s[i..]).into(),
            _ => format!("{s}{suffix}").into(),
        },
        None => {
            // Not UTF-8: append the suffix to the whole name rather than guess at its parts.
            let mut owned = name.clone();
            owned.push(&suffix);
            owned
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names_keep_companions_paired() {
        let cases = [
            ("IMG_1.CR2", "IMG_1", 0, "IMG_1.CR2"),
            ("IMG_1.CR2", "IMG_1", 1, "IMG_1 (1).CR2"),
            ("IMG_1.JPG", "IMG_1", 2, "IMG_1 (2).JPG"),
            ("IMG_1.CR2.xmp", "IMG_1", 1, "IMG_1 (1).CR2.xmp"),
            ("IMG_1.xmp", "IMG_1", 1, "IMG_1 (1).xmp"),
            ("other.tif", "IMG_1", 3, "other (3).tif"),
            ("IMG_10.JPG", "IMG_1", 1, "IMG_10 (1).JPG"),
            ("README", "README", 1, "README (1)"),
            (".hidden", ".hidden", 1, ".hidden (1)"),
        ];
        for (name, stem, n, expected) in cases {
            let got = numbered(&OsString::from(name), &OsString::from(stem), n);
            assert_eq!(got, OsString::from(expected), "case {name} / {stem} / {n}");
        }
    }
}
