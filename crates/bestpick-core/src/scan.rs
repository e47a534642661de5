//! Finding the photos of a shoot: a recursive walk that sorts files into photos (RAW+JPEG
//! pairs of one frame become one photo), companions (sidecars) and skipped files, each with a
//! reason.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, IoFailure, PhotoError, PhotoErrorKind, Result};

/// Image container of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum FileKind {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// TIFF.
    Tiff,
    /// WebP.
    Webp,
    /// HEIC / HEIF.
    Heic,
    /// AVIF.
    Avif,
    /// GIF or BMP (read, but rarely photos).
    Other,
    /// Camera RAW: analyzed through its embedded JPEG preview.
    Raw,
}

impl FileKind {
    /// Every kind.
    pub const ALL: [FileKind; 8] = [
        FileKind::Jpeg,
        FileKind::Png,
        FileKind::Tiff,
        FileKind::Webp,
        FileKind::Heic,
        FileKind::Avif,
        FileKind::Other,
        FileKind::Raw,
    ];

    /// The kind as one lowercase word, as it is serialized: `jpeg`, `png`, `tiff`, `webp`,
    /// `heic`, `avif`, `other`, `raw`.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Jpeg => "jpeg",
            FileKind::Png => "png",
            FileKind::Tiff => "tiff",
            FileKind::Webp => "webp",
            FileKind::Heic => "heic",
            FileKind::Avif => "avif",
            FileKind::Other => "other",
            FileKind::Raw => "raw",
        }
    }

    /// The kind of a file from its extension; `None` for files that are not images.
    pub fn from_path(path: &Path) -> Option<FileKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "jpg" | "jpeg" | "jpe" | "jfif" => FileKind::Jpeg,
            "png" => FileKind::Png,
            "tif" | "tiff" => FileKind::Tiff,
            "webp" => FileKind::Webp,
            "heic" | "heif" | "hif" => FileKind::Heic,
            "avif" => FileKind::Avif,
            "gif" | "bmp" => FileKind::Other,
            e if RAW_EXTENSIONS.contains(&e) => FileKind::Raw,
            _ => return None,
        })
    }
}

/// Camera RAW extensions (read through their embedded previews, never demosaiced).
pub const RAW_EXTENSIONS: &[&str] = &[
    "cr2", "cr3", "crw", "nef", "nrw", "arw", "srf", "sr2", "dng", "raf", "orf", "rw2", "pef",
    "srw", "3fr", "iiq", "rwl", "x3f", "erf", "mef", "mos", "kdc", "dcr",
];

const SIDECAR_EXTENSIONS: &[&str] = &[
    "xmp", "thm", "aae", "pp3", "dop", "cos", "on1", "xml", "json", "lrv", "pto",
];
const MEDIA_EXTENSIONS: &[&str] = &[
    "mov", "mp4", "m4v", "avi", "mts", "m2ts", "mkv", "wmv", "3gp", "wav", "mp3", "m4a", "aac",
];

/// A photo of the shoot: the file that is analyzed, plus the other files of the same frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoFile {
    /// The file analyzed (for a RAW+JPEG pair, the JPEG).
    pub path: PathBuf,
    /// Path relative to the shoot folder, with `/` separators.
    pub rel_path: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// Container kind of `path`.
    pub kind: FileKind,
    /// Other files of the same frame: the RAW of a RAW+JPEG pair, sidecars (`.xmp`, ...).
    pub companions: Vec<PathBuf>,
}

impl PhotoFile {
    /// Describes one file (size, time, kind) without looking inside it.
    pub fn from_path(path: &Path, root: &Path) -> std::io::Result<PhotoFile> {
        let meta = std::fs::metadata(path)?;
        let kind = FileKind::from_path(path).unwrap_or(FileKind::Other);
        Ok(PhotoFile {
            path: path.to_path_buf(),
            rel_path: rel_path(path, root),
            size: meta.len(),
            mtime_ns: mtime_ns(&meta),
            kind,
            companions: Vec::new(),
        })
    }

    /// The RAW file of this frame when there is one (the photo itself or its pair).
    pub fn raw_file(&self) -> Option<&Path> {
        if self.kind == FileKind::Raw {
            return Some(&self.path);
        }
        self.companions
            .iter()
            .find(|p| FileKind::from_path(p) == Some(FileKind::Raw))
            .map(PathBuf::as_path)
    }
}

/// A file that is not a photo, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why it was skipped, in plain words.
    pub reason: String,
}

/// What a scan found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScanReport {
    /// The photos, sorted by relative path.
    pub photos: Vec<PhotoFile>,
    /// Files that are not photos (sidecars paired with no photo, videos, documents...).
    pub skipped: Vec<Skipped>,
    /// Entries that could not be listed (permissions, symbolic link loops).
    pub errors: Vec<PhotoError>,
}

/// Lists the photos under `root`, recursively. Hidden files and folders (starting with `.`)
/// are ignored. Symbolic links are followed; loops are reported, not followed.
pub fn scan(root: &Path) -> Result<ScanReport> {
    let meta = std::fs::metadata(root).map_err(|source| Error::Folder {
        path: root.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(Error::Folder {
            path: root.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder"),
        });
    }
    let mut report = ScanReport::default();
    // The walk reads only directory entries; each file's size and time are read after it, on
    // every core (at 100 000 files the stat calls are most of a scan).
    let mut found: Vec<(PathBuf, usize)> = Vec::new();
    // Unsorted: the files are put in order below, by bytes (walkdir's sort takes each entry's
    // name apart again for every comparison).
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                let path = err
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.to_path_buf());
                let kind = if let Some(ancestor) = err.loop_ancestor() {
                    PhotoErrorKind::LinkLoop(format!("points back to {}", ancestor.display()))
                } else {
                    PhotoErrorKind::Unreadable(err.io_error().map_or_else(
                        || IoFailure::new(std::io::ErrorKind::Other, err.to_string()),
                        IoFailure::from,
                    ))
                };
                report.errors.push(PhotoError::new(path, kind));
                continue;
            }
        };
        if entry.file_type().is_dir() {
            continue;
        }
        if !entry.file_type().is_file() {
            // A FIFO, device or socket (perhaps behind a symbolic link) is never read: opening
            // a FIFO waits for a writer and a device never ends.
            report.skipped.push(Skipped {
                path: entry.path().to_path_buf(),
                reason: format!(
                    "not a regular file ({})",
                    crate::guard::file_type_name(&entry.file_type())
                ),
            });
            continue;
        }
        let name_len = entry.file_name().len();
        found.push((entry.into_path(), name_len));
    }
    // Symbolic links are followed, as in the walk.
    let metas: Vec<std::io::Result<std::fs::Metadata>> = found
        .par_iter()
        .map(|(p, _)| std::fs::metadata(p))
        .collect();
    // Files grouped by (folder, lower-case stem) to pair RAW+JPEG and attach sidecars. The
    // folder is the path less its name (the walk joined them), compared as bytes.
    let mut keys: Vec<(&[u8], String, &[u8], usize)> = Vec::with_capacity(found.len());
    for (i, ((path, name_len), meta)) in found.iter().zip(&metas).enumerate() {
        if let Err(err) = meta {
            report.errors.push(PhotoError::new(
                path.clone(),
                PhotoErrorKind::Unreadable(IoFailure::from(err)),
            ));
            continue;
        }
        let bytes = path.as_os_str().as_encoded_bytes();
        let (folder, name) = bytes.split_at(bytes.len().saturating_sub(*name_len));
        keys.push((folder, frame_stem(path), name, i));
    }
    keys.sort_unstable();
    let mut frames: Vec<Vec<usize>> = Vec::new();
    for (k, key) in keys.iter().enumerate() {
        match keys.get(k.wrapping_sub(1)) {
            Some(prev) if prev.0 == key.0 && prev.1 == key.1 => {
                if let Some(frame) = frames.last_mut() {
                    frame.push(key.3);
                }
            }
            _ => frames.push(vec![key.3]),
        }
    }
    drop(keys);
    let mut files: Vec<Option<(PathBuf, std::fs::Metadata)>> = found
        .into_iter()
        .zip(metas)
        .map(|((path, _), meta)| meta.ok().map(|m| (path, m)))
        .collect();
    for frame in frames {
        // In file-name order.
        let files = frame.iter().filter_map(|&i| files[i].take()).collect();
        collect_frame(root, files, &mut report);
    }
    report.photos.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    report.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    report.errors.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(report)
}

/// The lower-case stem that names a file's frame: `IMG_1` for `IMG_1.JPG`, `img_1.cr3`, and for
/// `IMG_1.JPG.xmp` (darktable's sidecar naming).
fn frame_stem(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match FileKind::from_path(Path::new(&stem)) {
        Some(_) if is_sidecar(path) => Path::new(&stem)
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or(stem),
        _ => stem,
    }
}

fn collect_frame(root: &Path, files: Vec<(PathBuf, std::fs::Metadata)>, report: &mut ScanReport) {
    let mut images: Vec<(PathBuf, std::fs::Metadata, FileKind)> = Vec::new();
    let mut sidecars = Vec::new();
    for (path, meta) in files {
        if let Some(reason) = skip_reason(&path) {
            if is_sidecar(&path) {
                sidecars.push(path);
            } else {
                report.skipped.push(Skipped { path, reason });
            }
            continue;
        }
        match FileKind::from_path(&path) {
            Some(kind) => images.push((path, meta, kind)),
            None => report.skipped.push(Skipped {
                path,
                reason: "not an image".into(),
            }),
        }
    }
    if images.is_empty() {
        for path in sidecars {
            report.skipped.push(Skipped {
                path,
                reason: "sidecar without its photo".into(),
            });
        }
        return;
    }
    // One RAW plus one rendered image (JPEG/HEIC/TIFF) of the same name = one frame; the
    // rendered image is analyzed (a full-size JPEG beats the RAW's embedded preview).
    let raws: Vec<usize> = (0..images.len())
        .filter(|&i| images[i].2 == FileKind::Raw)
        .collect();
    let rendered: Vec<usize> = (0..images.len())
        .filter(|&i| images[i].2 != FileKind::Raw)
        .collect();
    if raws.len() == 1 && rendered.len() == 1 {
        let (main, pair) = (rendered[0], raws[0]);
        let mut photo = make_photo(root, &images[main]);
        photo.companions.push(images[pair].0.clone());
        photo.companions.extend(sidecars);
        report.photos.push(photo);
        return;
    }
    for (i, image) in images.iter().enumerate() {
        let mut photo = make_photo(root, image);
        if i == 0 {
            photo.companions.extend(sidecars.iter().cloned());
        }
        report.photos.push(photo);
    }
}

fn make_photo(
    root: &Path,
    (path, meta, kind): &(PathBuf, std::fs::Metadata, FileKind),
) -> PhotoFile {
    PhotoFile {
        path: path.clone(),
        rel_path: rel_path(path, root),
        size: meta.len(),
        mtime_ns: mtime_ns(meta),
        kind: *kind,
        companions: Vec::new(),
    }
}

/// Path relative to `root` with `/` separators (the catalog key).
pub fn rel_path(path: &Path, root: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|s| s.starts_with('.'))
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn is_sidecar(path: &Path) -> bool {
    SIDECAR_EXTENSIONS.contains(&extension(path).as_str())
}

fn skip_reason(path: &Path) -> Option<String> {
    let ext = extension(path);
    if SIDECAR_EXTENSIONS.contains(&ext.as_str()) {
        return Some(format!("sidecar (.{ext})"));
    }
    if MEDIA_EXTENSIONS.contains(&ext.as_str()) {
        return Some(format!("video or audio (.{ext})"));
    }
    if FileKind::from_path(path).is_none() {
        return Some(if ext.is_empty() {
            "not an image (no extension)".to_string()
        } else {
            format!("not an image (.{ext})")
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, bytes).expect("write");
        p
    }

    #[test]
    fn kind_names_match_serde() {
        for kind in FileKind::ALL {
            assert_eq!(
                serde_json::to_string(&kind).ok(),
                Some(format!("\"{}\"", kind.as_str())),
                "case {kind:?}"
            );
        }
    }

    #[test]
    fn pairs_raw_and_jpeg_and_attaches_sidecars() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        touch(d, "IMG_0001.CR2", b"raw");
        touch(d, "IMG_0001.JPG", b"jpeg");
        touch(d, "IMG_0001.xmp", b"<x/>");
        touch(d, "IMG_0002.jpg", b"jpeg");
        touch(d, "IMG_0002.JPG.xmp", b"<x/>");
        touch(d, "notes.txt", b"hello");
        touch(d, "clip.MOV", b"video");
        touch(d, "orphan.xmp", b"<x/>");
        touch(d, ".DS_Store", b"x");
        touch(d, "sub/IMG_0003.nef", b"raw");
        let report = scan(d).expect("scan");
        let names: Vec<&str> = report.photos.iter().map(|p| p.rel_path.as_str()).collect();
        assert_eq!(names, ["IMG_0001.JPG", "IMG_0002.jpg", "sub/IMG_0003.nef"]);
        let first = &report.photos[0];
        assert_eq!(first.kind, FileKind::Jpeg);
        assert!(
            first.companions.iter().any(|p| p.ends_with("IMG_0001.CR2")),
            "RAW paired"
        );
        assert!(
            first.companions.iter().any(|p| p.ends_with("IMG_0001.xmp")),
            "sidecar attached"
        );
        assert_eq!(
            first.raw_file().map(|p| p.ends_with("IMG_0001.CR2")),
            Some(true)
        );
        assert!(
            report.photos[1]
                .companions
                .iter()
                .any(|p| p.ends_with("IMG_0002.JPG.xmp")),
            "darktable sidecar"
        );
        assert_eq!(report.photos[2].kind, FileKind::Raw);
        let skipped: Vec<(String, &str)> = report
            .skipped
            .iter()
            .map(|s| (rel_path(&s.path, d), s.reason.as_str()))
            .collect();
        assert!(
            skipped.contains(&("notes.txt".into(), "not an image (.txt)")),
            "{skipped:?}"
        );
        assert!(
            skipped.contains(&("clip.MOV".into(), "video or audio (.mov)")),
            "{skipped:?}"
        );
        assert!(
            skipped.contains(&("orphan.xmp".into(), "sidecar without its photo")),
            "{skipped:?}"
        );
        assert!(
            !skipped.iter().any(|(p, _)| p == ".DS_Store"),
            "hidden files are ignored"
        );
        assert!(report.errors.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn frames_pair_within_their_folder_only() {
        // The same names in sibling folders whose names share a prefix: each folder pairs its
        // own files; several images of one stem (no RAW pair) stay separate photos in name
        // order, the first taking the sidecar.
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        for folder in ["a", "a.b", "ab"] {
            touch(d, &format!("{folder}/IMG_1.CR3"), b"raw");
            touch(d, &format!("{folder}/IMG_1.jpg"), b"jpeg");
        }
        touch(d, "b/IMG_2.tif", b"tiff");
        touch(d, "b/IMG_2.PNG", b"png");
        touch(d, "b/IMG_2.xmp", b"<x/>");
        let report = scan(d).expect("scan");
        let names: Vec<&str> = report.photos.iter().map(|p| p.rel_path.as_str()).collect();
        assert_eq!(
            names,
            [
                "a.b/IMG_1.jpg",
                "a/IMG_1.jpg",
                "ab/IMG_1.jpg",
                "b/IMG_2.PNG",
                "b/IMG_2.tif"
            ]
        );
        for p in &report.photos[..3] {
            let folder = p.path.parent().expect("folder");
            assert_eq!(p.companions, [folder.join("IMG_1.CR3")], "{}", p.rel_path);
        }
        assert_eq!(report.photos[3].companions, [d.join("b/IMG_2.xmp")]);
        assert!(report.photos[4].companions.is_empty());
        assert!(report.skipped.is_empty() && report.errors.is_empty());
    }

    #[test]
    fn reports_symlink_loops_and_keeps_going() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        touch(d, "a/IMG_1.jpg", b"x");
        std::os::unix::fs::symlink(d.join("a"), d.join("a/loop")).expect("symlink");
        let report = scan(d).expect("scan");
        assert_eq!(report.photos.len(), 1);
        assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
        assert!(matches!(report.errors[0].kind, PhotoErrorKind::LinkLoop(_)));
    }

    #[test]
    fn missing_folder_is_an_error_naming_it() {
        let err = scan(Path::new("/definitely/not/here")).expect_err("missing folder");
        assert!(err.to_string().contains("/definitely/not/here"), "{err}");
    }
}
