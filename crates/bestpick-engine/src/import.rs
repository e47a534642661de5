//! Importing from a card (or any folder): copy the new photos into dated folders under a
//! destination with a renaming pattern, verify every copy by SHA-256 against the source, keep an
//! optional second copy, and remember what was imported so a re-run copies only what is new.
//!
//! Safety of the source: files there are only ever opened for reading; nothing is renamed,
//! touched or deleted on the card.
//!
//! Safety of the destination: each file is written under a hidden temporary name in its final
//! folder (`.NAME.bestpick-part`), flushed to disk, read back and compared by hash, and only
//! then renamed into place. The record of the import (the journal, see below) is appended and
//! flushed only after every copy of a frame is in place. A run that is killed leaves at most
//! temporary files (removed by the next run) and renamed copies not yet recorded; names are
//! chosen deterministically, so the next run finds those copies under the same names, checks
//! their hash and adopts them instead of copying again.
//!
//! The journal lives in the destination (`DEST/.bestpick-import.jsonl`, one JSON line per
//! imported frame) rather than in the catalog: it travels with the photos when the destination
//! drive moves to another machine or catalog, an import needs no catalog at all, and a plain
//! append + fsync is the whole transaction.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use bestpick_catalog::Catalog;
use bestpick_core::{CancelFlag, FileKind, NoProgress};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::session::{OpenParams, Session};

/// The journal's file name in the destination folder.
pub const JOURNAL_NAME: &str = ".bestpick-import.jsonl";
/// Suffix of the temporary files an import writes before renaming them into place.
pub const PART_SUFFIX: &str = ".bestpick-part";
/// The default renaming pattern.
pub const DEFAULT_PATTERN: &str = "{date}_{time}_{seq}";

/// What to import, from where to where.
#[derive(Debug, Clone)]
pub struct ImportParams {
    /// The card or folder to copy from (searched recursively; never modified).
    pub source: PathBuf,
    /// The destination: photos go to `DEST/YYYY-MM-DD/`.
    pub dest: PathBuf,
    /// A second destination written and verified the same way (same folders and names).
    pub backup: Option<PathBuf>,
    /// How copies are named.
    pub pattern: RenamePattern,
}

/// A renaming pattern: text with tokens, checked when parsed.
///
/// Tokens: `{date}` capture date `YYYY-MM-DD`; `{time}` capture time `HHMMSS`; `{seq}` the
/// frame's number in this destination's imports, `0001`, `0002`, …; `{camera}` the camera
/// model from EXIF (`unknown-camera` when absent); `{name}` the original file name without
/// extension. The capture time comes from EXIF, else the file's modification time (UTC).
/// Characters that are not safe in file names become `-`. The extension is always kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenamePattern {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Date,
    Time,
    Seq,
    Camera,
    Name,
}

/// The facts a pattern is filled with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameFacts {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HHMMSS`.
    pub time: String,
    /// The frame's number.
    pub seq: u64,
    /// Camera model, if known.
    pub camera: Option<String>,
    /// Original stem.
    pub name: String,
}

impl RenamePattern {
    /// Parses a pattern; unknown tokens and unbalanced braces are refused with the reason.
    pub fn parse(text: &str) -> Result<RenamePattern> {
        let bad = |reason: String| Error::Pattern {
            pattern: text.to_string(),
            reason,
        };
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(open) = rest.find('{') {
                if open > 0 {
                    parts.push(Part::Text(rest[..open].to_string()));
                }
                let after = &rest[open + 1..];
                let close = after
                    .find('}')
                    .ok_or_else(|| bad("a `{` is not closed".into()))?;
                parts.push(match &after[..close] {
                    "date" => Part::Date,
                    "time" => Part::Time,
                    "seq" => Part::Seq,
                    "camera" => Part::Camera,
                    "name" => Part::Name,
                    other => {
                        return Err(bad(format!(
                            "unknown token {{{other}}}; the tokens are {{date}} {{time}} {{seq}} {{camera}} {{name}}"
                        )));
                    }
                });
                rest = &after[close + 1..];
            } else {
                parts.push(Part::Text(rest.to_string()));
                rest = "";
            }
        }
        if parts
            .iter()
            .any(|p| matches!(p, Part::Text(t) if t.contains('}')))
        {
            return Err(bad("a `}` has no `{`".into()));
        }
        if !parts.iter().any(|p| !matches!(p, Part::Text(_))) {
            return Err(bad(
                "it has no token, so every photo would get the same name".into(),
            ));
        }
        Ok(RenamePattern { parts })
    }

    /// The new stem (no extension) for these facts, safe as a file name.
    pub fn render(&self, facts: &NameFacts) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Date => out.push_str(&facts.date),
                Part::Time => out.push_str(&facts.time),
                Part::Seq => out.push_str(&format!("{:04}", facts.seq)),
                Part::Camera => out.push_str(facts.camera.as_deref().unwrap_or("unknown-camera")),
                Part::Name => out.push_str(&facts.name),
            }
        }
        let clean = sanitize(&out);
        if clean.is_empty() {
            "photo".to_string()
        } else {
            clean
        }
    }

    /// An example name for showing next to the pattern field.
    pub fn example(&self) -> String {
        self.render(&NameFacts {
            date: "2024-05-17".into(),
            time: "143005".into(),
            seq: 1,
            camera: Some("Canon EOS R6".into()),
            name: "IMG_0001".into(),
        }) + ".CR2"
    }
}

impl Default for RenamePattern {
    fn default() -> Self {
        RenamePattern::parse(DEFAULT_PATTERN).expect("the default pattern parses")
    }
}

/// Keeps letters, digits, `-`, `_` and `.`; everything else becomes `-` (runs collapsed), and a
/// name never starts with `.` (it would be hidden).
fn sanitize(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let ok = c.is_alphanumeric() || matches!(c, '-' | '_' | '.');
        let c = if ok { c } else { '-' };
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    out.trim_start_matches(['.', '-'])
        .trim_end_matches(['-', '.'])
        .to_string()
}

/// Progress of an import, in files and bytes of what is to copy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportProgress {
    /// Files handled (copied, skipped or failed).
    pub files_done: usize,
    /// Files to handle.
    pub files_total: usize,
    /// Bytes read from the source.
    pub bytes_done: u64,
    /// Bytes to read (files not known from an earlier import).
    pub bytes_total: u64,
}

/// Receives an import's progress and its copies as they land.
pub trait ImportSink: Sync {
    /// Called after each file.
    fn progress(&self, p: ImportProgress);
    /// Called when copies are in place and recorded (final paths under DEST), in batches: the
    /// journal is flushed every 64 frames or half a second.
    fn landed(&self, _files: &[PathBuf]) {}
}

/// An [`ImportSink`] that ignores everything.
pub struct NoImportProgress;

impl ImportSink for NoImportProgress {
    fn progress(&self, _p: ImportProgress) {}
}

/// One file copied (or found already in place from an interrupted run and adopted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CopiedFile {
    /// The source file.
    pub source: PathBuf,
    /// The copy under DEST.
    pub dest: PathBuf,
    /// The copy under the backup folder, if any.
    pub backup: Option<PathBuf>,
    /// Size in bytes.
    pub size: u64,
    /// Whether the copy was already in place from an interrupted run.
    pub adopted: bool,
    /// Whether a file of this source path was imported before with other content.
    pub changed_since_import: bool,
}

/// Why a file was not copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Same path, size and modification time as a file imported before.
    AlreadyImported,
    /// Same content (SHA-256) as a file imported before from elsewhere.
    SameContent,
    /// Not a photo nor a photo's companion.
    NotAPhoto,
}

/// A file not copied, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedFile {
    /// The source file.
    pub source: PathBuf,
    /// Why.
    pub reason: SkipReason,
}

/// A file that could not be imported (it is not recorded, so a re-run tries it again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedFile {
    /// The source file.
    pub source: PathBuf,
    /// What went wrong, naming the file concerned.
    pub reason: String,
    /// Whether the reason is a copy that did not read back as the source did.
    pub verification: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// The source.
    pub source: PathBuf,
    /// The destination.
    pub dest: PathBuf,
    /// Files copied and verified.
    pub copied: Vec<CopiedFile>,
    /// Files not copied.
    pub skipped: Vec<SkippedFile>,
    /// Files that failed.
    pub failed: Vec<FailedFile>,
    /// Bytes copied (once; the backup copy not counted).
    pub bytes_copied: u64,
    /// Leftover temporary files of an interrupted run that were removed.
    pub cleaned_partial: usize,
    /// Whether the import was cancelled before the end.
    pub cancelled: bool,
    /// Wall time.
    pub seconds: f64,
}

impl ImportReport {
    /// Files skipped because an earlier import copied them.
    pub fn already_imported(&self) -> usize {
        self.skipped
            .iter()
            .filter(|s| s.reason != SkipReason::NotAPhoto)
            .count()
    }
}

/// One line of the journal: a frame (a photo with its pair and sidecars) imported.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct JournalFrame {
    /// Source folder + lower-case stem, `/`-separated, relative to the source.
    key: String,
    /// The folder under DEST, `/`-separated.
    folder: String,
    /// The new stem.
    stem: String,
    files: Vec<JournalFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct JournalFile {
    /// Path relative to the source, `/`-separated.
    source: String,
    size: u64,
    mtime_ns: i64,
    sha256: String,
    /// The copy's file name in `folder`.
    name: String,
}

/// What the journal says was imported.
#[derive(Default)]
struct Journal {
    frames: usize,
    /// (source rel path, size, mtime) of every file imported.
    known: HashSet<(String, u64, i64)>,
    /// Source rel paths imported (with any content).
    paths: HashSet<String>,
    /// Content hashes imported.
    hashes: HashSet<String>,
    /// Frame key → (folder, stem) of its first import.
    stems: HashMap<String, (String, String)>,
}

impl Journal {
    fn load(path: &Path) -> Result<Journal> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(Error::Path {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let mut journal = Journal::default();
        // A line cut by a crash while it was appended does not parse: the frame it described
        // was not recorded, and its copies are adopted by the next run.
        for frame in text
            .lines()
            .filter_map(|l| serde_json::from_str::<JournalFrame>(l).ok())
        {
            journal.add(&frame);
        }
        Ok(journal)
    }

    fn add(&mut self, frame: &JournalFrame) {
        self.frames += 1;
        for f in &frame.files {
            self.known.insert((f.source.clone(), f.size, f.mtime_ns));
            self.paths.insert(f.source.clone());
            self.hashes.insert(f.sha256.clone());
        }
        self.stems
            .entry(frame.key.clone())
            .or_insert_with(|| (frame.folder.clone(), frame.stem.clone()));
    }
}

fn io_err(path: &Path, source: std::io::Error) -> Error {
    Error::Path {
        path: path.to_path_buf(),
        source,
    }
}

/// Test seam: called with each temporary copy after it is written and before it is verified.
pub(crate) type AfterWrite<'a> = &'a (dyn Fn(&Path) + Sync);

/// Imports new photos from `params.source` into `params.dest` (see the module docs).
///
/// Errors are for the whole job (a source that is not a folder, a destination that cannot be
/// created, a journal that cannot be written); a file that cannot be read, written or verified
/// is a [`FailedFile`] of the report and the import goes on.
pub fn import(
    params: &ImportParams,
    cancel: &CancelFlag,
    sink: &dyn ImportSink,
) -> Result<ImportReport> {
    import_with(params, cancel, sink, &|_| {})
}

/// [`import`] while the destination shoot is analyzed as the copies land: culling can begin
/// (in the catalog) before the copy ends. Returns the report and the destination's session.
pub fn import_analyzing(
    catalog: &mut Catalog,
    params: &ImportParams,
    open: &OpenParams,
    cancel: &CancelFlag,
    sink: &dyn ImportSink,
) -> Result<(ImportReport, Session)> {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    struct Forward<'a> {
        inner: &'a dyn ImportSink,
        tx: std::sync::Mutex<std::sync::mpsc::Sender<()>>,
    }
    impl ImportSink for Forward<'_> {
        fn progress(&self, p: ImportProgress) {
            self.inner.progress(p);
        }
        fn landed(&self, files: &[PathBuf]) {
            self.inner.landed(files);
            if let Ok(tx) = self.tx.lock() {
                let _ = tx.send(());
            }
        }
    }
    std::fs::create_dir_all(&params.dest).map_err(|e| io_err(&params.dest, e))?;
    let forward = Forward {
        inner: sink,
        tx: std::sync::Mutex::new(tx),
    };
    std::thread::scope(|scope| {
        let job = scope.spawn(|| {
            let report = import(params, cancel, &forward);
            drop(forward);
            report
        });
        // Each wake-up analyzes what landed since the last pass; the catalog reuses what was
        // analyzed before, so a pass costs only the new photos and a scan.
        while rx.recv().is_ok() {
            while rx.try_recv().is_ok() {}
            if cancel.is_cancelled() {
                break;
            }
            crate::open_shoot(catalog, &params.dest, open, cancel, &NoProgress)?;
        }
        let report = job.join().map_err(|_| Error::Encode {
            what: "the import (its thread panicked)",
            reason: String::new(),
        })??;
        let session = crate::open_shoot(catalog, &params.dest, open, cancel, &NoProgress)?;
        Ok((report, session))
    })
}

pub(crate) fn import_with(
    params: &ImportParams,
    cancel: &CancelFlag,
    sink: &dyn ImportSink,
    after_write: AfterWrite<'_>,
) -> Result<ImportReport> {
    let started = Instant::now();
    let source = std::fs::canonicalize(&params.source).map_err(|e| io_err(&params.source, e))?;
    std::fs::create_dir_all(&params.dest).map_err(|e| io_err(&params.dest, e))?;
    let dest = std::fs::canonicalize(&params.dest).map_err(|e| io_err(&params.dest, e))?;
    let backup = match &params.backup {
        Some(b) => {
            std::fs::create_dir_all(b).map_err(|e| io_err(b, e))?;
            Some(std::fs::canonicalize(b).map_err(|e| io_err(b, e))?)
        }
        None => None,
    };
    for d in std::iter::once(&dest).chain(backup.as_ref()) {
        if d.starts_with(&source) || source.starts_with(d) {
            return Err(Error::ImportOverlap {
                source_dir: source.clone(),
                dest: d.clone(),
            });
        }
    }
    if backup.as_ref() == Some(&dest) {
        return Err(Error::ImportOverlap {
            source_dir: dest.clone(),
            dest: dest.clone(),
        });
    }
    let mut report = ImportReport {
        source: source.clone(),
        dest: dest.clone(),
        ..ImportReport::default()
    };
    for d in std::iter::once(&dest).chain(backup.as_ref()) {
        report.cleaned_partial += clean_partials(d);
    }
    let journal_path = dest.join(JOURNAL_NAME);
    let mut journal = Journal::load(&journal_path)?;

    let scan = bestpick_core::scan(&source)?;
    for s in &scan.skipped {
        report.skipped.push(SkippedFile {
            source: s.path.clone(),
            reason: SkipReason::NotAPhoto,
        });
    }
    // Frames: photos of one folder and stem (a RAW+JPEG pair, several renderings) with their
    // sidecars, so they all get the same new stem.
    let mut frames: BTreeMap<String, Vec<SourceFile>> = BTreeMap::new();
    for photo in &scan.photos {
        let key = frame_key(&bestpick_core::scan::rel_path(&photo.path, &source));
        let entry = frames.entry(key).or_default();
        entry.push(SourceFile::new(&source, &photo.path, photo.kind)?);
        for c in &photo.companions {
            let kind = FileKind::from_path(c).unwrap_or(FileKind::Other);
            entry.push(SourceFile::new(&source, c, kind)?);
        }
    }
    let mut todo: Vec<(String, Vec<SourceFile>)> = Vec::new();
    let mut progress = ImportProgress {
        files_done: 0,
        files_total: frames.values().map(Vec::len).sum(),
        bytes_done: 0,
        bytes_total: 0,
    };
    for (key, files) in frames {
        let (known, new): (Vec<_>, Vec<_>) = files
            .into_iter()
            .partition(|f| journal.known.contains(&(f.rel.clone(), f.size, f.mtime_ns)));
        for f in known {
            report.skipped.push(SkippedFile {
                source: f.path,
                reason: SkipReason::AlreadyImported,
            });
            progress.files_done += 1;
        }
        if !new.is_empty() {
            progress.bytes_total += new.iter().map(|f| f.size).sum::<u64>();
            todo.push((key, new));
        }
    }
    sink.progress(progress);

    let mut journal_file = open_journal(&journal_path)?;
    let mut batch = Batch::default();
    for (key, files) in todo {
        if cancel.is_cancelled() {
            report.cancelled = true;
            break;
        }
        if batch.due() {
            batch.commit(&mut journal_file, &journal_path, sink)?;
        }
        let mut frame = FrameJob {
            key,
            files,
            dest: &dest,
            backup: backup.as_deref(),
            pattern: &params.pattern,
            after_write,
        };
        let landed = frame.run(&mut journal, &mut report, &mut progress, sink)?;
        if let Some((line, paths)) = landed {
            // Known at once (the next frame's number and names depend on it), durable with
            // the batch.
            journal.add(&line);
            let backup_dir = backup.as_ref().map(|b| b.join(&line.folder));
            batch.add(line, paths, backup_dir);
        }
    }
    batch.commit(&mut journal_file, &journal_path, sink)?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Frames whose copies are in place but not yet recorded. Recording costs two flushes (the
/// folders, so the renames are durable, then the journal); doing that per batch rather than per
/// frame triples the speed on a small-file card. A crash loses only the record of the batch, and
/// the next run adopts its copies.
#[derive(Default)]
struct Batch {
    lines: Vec<JournalFrame>,
    landed: Vec<PathBuf>,
    dirs: HashSet<PathBuf>,
    since: Option<Instant>,
}

impl Batch {
    const FRAMES: usize = 64;
    const SECONDS: f64 = 0.5;

    fn add(&mut self, line: JournalFrame, landed: Vec<PathBuf>, backup_dir: Option<PathBuf>) {
        self.since.get_or_insert_with(Instant::now);
        self.dirs.extend(
            landed
                .iter()
                .filter_map(|p| p.parent())
                .map(Path::to_path_buf),
        );
        self.dirs.extend(backup_dir);
        self.lines.push(line);
        self.landed.extend(landed);
    }

    fn due(&self) -> bool {
        self.lines.len() >= Self::FRAMES
            || self
                .since
                .is_some_and(|t| t.elapsed().as_secs_f64() >= Self::SECONDS)
    }

    fn commit(
        &mut self,
        file: &mut std::fs::File,
        path: &Path,
        sink: &dyn ImportSink,
    ) -> Result<()> {
        if self.lines.is_empty() {
            return Ok(());
        }
        for dir in &self.dirs {
            sync_dir(dir).map_err(|e| io_err(dir, e))?;
        }
        let mut text = String::new();
        for line in &self.lines {
            text.push_str(&serde_json::to_string(line).map_err(|e| Error::Encode {
                what: "the import journal",
                reason: e.to_string(),
            })?);
            text.push('\n');
        }
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| io_err(path, e))?;
        sink.landed(&self.landed);
        *self = Batch::default();
        Ok(())
    }
}

/// Folder + lower-case stem of a relative path.
fn frame_key(rel: &str) -> String {
    let (dir, file) = rel.rsplit_once('/').unwrap_or(("", rel));
    let stem = split_name(file).0.to_lowercase();
    if dir.is_empty() {
        stem
    } else {
        format!("{dir}/{stem}")
    }
}

/// A file name as stem and the suffix a copy keeps: `IMG_1.CR2` → (`IMG_1`, `.CR2`),
/// `IMG_1.JPG.xmp` → (`IMG_1`, `.JPG.xmp`), `a.b.jpg` → (`a.b`, `.jpg`).
fn split_name(name: &str) -> (&str, &str) {
    let Some(dot) = name.rfind('.') else {
        return (name, "");
    };
    let rest = &name[..dot];
    if let Some(inner) = rest.rfind('.')
        && FileKind::from_path(Path::new(name)).is_none()
        && FileKind::from_path(Path::new(rest)).is_some()
    {
        return (&name[..inner], &name[inner..]);
    }
    (rest, &name[dot..])
}

struct SourceFile {
    path: PathBuf,
    rel: String,
    size: u64,
    mtime_ns: i64,
    kind: FileKind,
}

impl SourceFile {
    fn new(root: &Path, path: &Path, kind: FileKind) -> Result<SourceFile> {
        let meta = std::fs::metadata(path).map_err(|e| io_err(path, e))?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        Ok(SourceFile {
            path: path.to_path_buf(),
            rel: bestpick_core::scan::rel_path(path, root),
            size: meta.len(),
            mtime_ns,
            kind,
        })
    }

    fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The file name after the original stem (`.CR2`, `.JPG.xmp`).
    fn suffix(&self) -> String {
        split_name(&self.file_name()).1.to_string()
    }

    fn stem(&self) -> String {
        split_name(&self.file_name()).0.to_string()
    }
}

/// A source file read into memory, with its hash.
struct ReadFile {
    src: SourceFile,
    data: Vec<u8>,
    sha256: String,
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Reads a source file once, read-only.
fn read_source(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = std::fs::OpenOptions::new().read(true).open(path)?;
    let mut data = Vec::new();
    file.read_to_end(&mut data)?;
    Ok(data)
}

struct FrameJob<'a> {
    key: String,
    files: Vec<SourceFile>,
    dest: &'a Path,
    backup: Option<&'a Path>,
    pattern: &'a RenamePattern,
    after_write: AfterWrite<'a>,
}

impl FrameJob<'_> {
    /// Copies the frame's files; returns its journal line and landed paths when at least one
    /// file landed.
    fn run(
        &mut self,
        journal: &mut Journal,
        report: &mut ImportReport,
        progress: &mut ImportProgress,
        sink: &dyn ImportSink,
    ) -> Result<Option<(JournalFrame, Vec<PathBuf>)>> {
        let mut read = Vec::new();
        for src in std::mem::take(&mut self.files) {
            match read_source(&src.path) {
                Ok(data) => {
                    progress.bytes_done += src.size;
                    let sha256 = sha256_hex(&data);
                    if journal.hashes.contains(&sha256) {
                        report.skipped.push(SkippedFile {
                            source: src.path,
                            reason: SkipReason::SameContent,
                        });
                        progress.files_done += 1;
                        sink.progress(*progress);
                        continue;
                    }
                    read.push(ReadFile { src, data, sha256 });
                }
                Err(e) => {
                    progress.bytes_done += src.size;
                    progress.files_done += 1;
                    report.failed.push(FailedFile {
                        reason: format!("cannot read {}: {e}", src.path.display()),
                        source: src.path,
                        verification: false,
                    });
                    sink.progress(*progress);
                }
            }
        }
        if read.is_empty() {
            return Ok(None);
        }
        let (folder, stem) = self.name(journal, &read);
        let dir = self.dest.join(&folder);
        std::fs::create_dir_all(&dir).map_err(|e| io_err(&dir, e))?;
        let backup_dir = self.backup.map(|b| b.join(&folder));
        if let Some(b) = &backup_dir {
            std::fs::create_dir_all(b).map_err(|e| io_err(b, e))?;
        }
        // The first numbered variant of the stem under which no file of the frame would
        // overwrite a different file (an identical one is a copy from an interrupted run).
        let mut chosen = stem.clone();
        for n in 1.. {
            let candidate = if n == 1 {
                stem.clone()
            } else {
                format!("{stem}-{n}")
            };
            let free = read.iter().all(|f| {
                let name = format!("{candidate}{}", f.src.suffix());
                std::iter::once(&dir)
                    .chain(backup_dir.as_ref())
                    .all(|d| !d.join(&name).exists() || same_content(&d.join(&name), &f.sha256))
            });
            if free {
                chosen = candidate;
                break;
            }
        }
        let mut line = JournalFrame {
            key: self.key.clone(),
            folder: folder.clone(),
            stem: chosen.clone(),
            files: Vec::new(),
        };
        let mut landed = Vec::new();
        for f in read {
            let name = format!("{chosen}{}", f.src.suffix());
            let target = dir.join(&name);
            let outcome = place(&f, &target, self.after_write).and_then(|adopted| {
                let backup_target = match &backup_dir {
                    Some(b) => {
                        let t = b.join(&name);
                        place(&f, &t, self.after_write)?;
                        Some(t)
                    }
                    None => None,
                };
                Ok((adopted, backup_target))
            });
            progress.files_done += 1;
            match outcome {
                Ok((adopted, backup_target)) => {
                    report.bytes_copied += f.src.size;
                    report.copied.push(CopiedFile {
                        source: f.src.path.clone(),
                        dest: target.clone(),
                        backup: backup_target,
                        size: f.src.size,
                        adopted,
                        changed_since_import: journal.paths.contains(&f.src.rel),
                    });
                    line.files.push(JournalFile {
                        source: f.src.rel,
                        size: f.src.size,
                        mtime_ns: f.src.mtime_ns,
                        sha256: f.sha256,
                        name,
                    });
                    landed.push(target);
                }
                Err(failure) => report.failed.push(FailedFile {
                    source: f.src.path,
                    reason: failure.reason,
                    verification: failure.verification,
                }),
            }
            sink.progress(*progress);
        }
        Ok(if line.files.is_empty() {
            None
        } else {
            Some((line, landed))
        })
    }

    /// The folder and stem of the frame: those of its earlier import (a sidecar added later,
    /// a file that failed before), else from its capture time and the pattern.
    fn name(&self, journal: &Journal, read: &[ReadFile]) -> (String, String) {
        if let Some((folder, stem)) = journal.stems.get(&self.key) {
            return (folder.clone(), stem.clone());
        }
        // EXIF from the rendered image, else the RAW, else any file of the frame.
        let primary = read
            .iter()
            .find(|f| f.src.kind == FileKind::Jpeg)
            .or_else(|| read.iter().find(|f| f.src.kind == FileKind::Raw))
            .or_else(|| read.iter().find(|f| f.src.kind != FileKind::Other))
            .unwrap_or(&read[0]);
        let exif = exif_of(primary);
        let (date, time) = exif
            .capture_time
            .as_ref()
            .and_then(|t| split_local(&t.local))
            .unwrap_or_else(|| utc_date_time(primary.src.mtime_ns));
        let facts = NameFacts {
            date: date.clone(),
            time,
            seq: journal.frames as u64 + 1,
            camera: exif.model.clone().or_else(|| exif.camera()),
            name: primary.src.stem(),
        };
        (date, self.pattern.render(&facts))
    }
}

fn exif_of(f: &ReadFile) -> bestpick_core::exif::ExifInfo {
    let info = bestpick_core::exif::from_container(&f.data).info;
    if info.capture_time.is_some() || f.src.kind != FileKind::Raw {
        return info;
    }
    let tiff = bestpick_core::exif::from_tiff(&f.data).info;
    if tiff.capture_time.is_some() {
        tiff
    } else {
        info
    }
}

/// `YYYY-MM-DDTHH:MM:SS…` → (`YYYY-MM-DD`, `HHMMSS`).
fn split_local(local: &str) -> Option<(String, String)> {
    let (date, time) = local.split_once('T')?;
    let hms: String = time.chars().take(8).filter(|c| *c != ':').collect();
    (date.len() == 10 && hms.len() == 6).then(|| (date.to_string(), hms))
}

/// A modification time as a UTC date and time.
fn utc_date_time(mtime_ns: i64) -> (String, String) {
    let secs = mtime_ns.div_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{:02}{:02}{:02}", rem / 3600, rem % 3600 / 60, rem % 60),
    )
}

fn same_content(path: &Path, sha256: &str) -> bool {
    read_source(path).is_ok_and(|d| sha256_hex(&d) == sha256)
}

struct PlaceFailure {
    reason: String,
    verification: bool,
}

/// Puts one copy at `target`: writes a temporary file beside it, syncs it, reads it back and
/// compares hashes, renames it into place and syncs the folder. Returns `true` when an
/// identical copy was already there (adopted from an interrupted run).
fn place(
    f: &ReadFile,
    target: &Path,
    after_write: AfterWrite<'_>,
) -> std::result::Result<bool, PlaceFailure> {
    let io = |what: &str, path: &Path, e: std::io::Error| PlaceFailure {
        reason: format!("cannot {what} {}: {e}", path.display()),
        verification: false,
    };
    if target.exists() {
        // The caller chose a name free of other content: this is our copy from before.
        return Ok(true);
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let part = dir.join(format!(".{name}{PART_SUFFIX}"));
    let result = (|| {
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&part)
            .map_err(|e| io("create", &part, e))?;
        out.write_all(&f.data).map_err(|e| io("write", &part, e))?;
        out.sync_all().map_err(|e| io("flush", &part, e))?;
        drop(out);
        after_write(&part);
        let back = read_source(&part).map_err(|e| io("read back", &part, e))?;
        let got = sha256_hex(&back);
        if got != f.sha256 {
            return Err(PlaceFailure {
                reason: format!(
                    "the copy {} does not match {}: {} bytes with SHA-256 {}…, the source has {} bytes with {}…",
                    target.display(),
                    f.src.path.display(),
                    back.len(),
                    &got[..12],
                    f.data.len(),
                    &f.sha256[..12]
                ),
                verification: true,
            });
        }
        // The folder is flushed with the batch, before the frame is recorded.
        std::fs::rename(&part, target).map_err(|e| io("rename into place", target, e))?;
        Ok(false)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    result
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Removes the temporary files an interrupted import left under `root`; returns how many.
fn clean_partials(root: &Path) -> usize {
    let mut removed = 0;
    let Ok(entries) = std::fs::read_dir(root) else {
        return 0;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            removed += clean_partials(&path);
        } else if kind.is_file()
            && entry.file_name().to_string_lossy().ends_with(PART_SUFFIX)
            && std::fs::remove_file(&path).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

fn open_journal(path: &Path) -> Result<std::fs::File> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
        .map_err(|e| io_err(path, e))?;
    // A line cut by a crash is ended, so the next line starts clean.
    let len = file.metadata().map_err(|e| io_err(path, e))?.len();
    if len > 0 {
        use std::io::{Seek, SeekFrom};
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(len - 1))
            .and_then(|_| file.read_exact(&mut last))
            .map_err(|e| io_err(path, e))?;
        if last[0] != b'\n' {
            file.write_all(b"\n").map_err(|e| io_err(path, e))?;
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests;
