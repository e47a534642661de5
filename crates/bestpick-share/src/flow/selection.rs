//! The photos chosen for contribution: kept (encrypted) in the vault until a preview.

use super::*;

impl Contributor<'_> {
    /// The selected photos.
    pub fn selection(&self) -> Result<Vec<PathBuf>> {
        match self.vault.get(SELECTION)? {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(Error::json("selection")),
            None => Ok(Vec::new()),
        }
    }

    pub(super) fn save_selection(&self, paths: &[PathBuf]) -> Result<()> {
        if paths.is_empty() {
            return self.vault.remove(SELECTION);
        }
        let bytes = serde_json::to_vec(paths).map_err(Error::json("selection"))?;
        self.vault.put(SELECTION, &bytes)
    }

    /// Adds photos to the selection. RAW, HEIF, sidecars and unreadable files are refused
    /// with their reason; the full anonymize check runs at preview.
    ///
    /// A folder stands for the photos in it and in its subfolders, as `bestpick analyze` finds
    /// a shoot: the JPEG, PNG, TIFF and WebP files by name, hidden files and folders left out,
    /// symbolic links to folders not followed. Other files in it (RAW, HEIC, sidecars) are
    /// counted in [`AddReport::skipped`], not refused one by one.
    pub fn add(&mut self, paths: &[PathBuf]) -> Result<AddReport> {
        self.require_consent()?;
        let mut selection = self.selection()?;
        let mut report = AddReport::default();
        let mut files = Vec::new();
        for path in paths {
            if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
                let mut skipped = 0;
                if let Err(e) = photos_in(path, &mut files, &mut skipped) {
                    report.refused.push((path.clone(), e.to_string()));
                }
                if skipped > 0 {
                    report.skipped.push((path.clone(), skipped));
                }
            } else {
                files.push(path.clone());
            }
        }
        // A photo given twice (alone and in its folder) is looked at once.
        let mut seen = std::collections::HashSet::new();
        files.retain(|p| seen.insert(p.clone()));
        for path in &files {
            let canonical = match path.canonicalize() {
                Ok(p) => p,
                Err(e) => {
                    report.refused.push((path.clone(), e.to_string()));
                    continue;
                }
            };
            // Only regular files are opened (a FIFO would block the read), and only their head.
            let head = match read_head(&canonical) {
                Ok(head) => head,
                Err(e) => {
                    report.refused.push((path.clone(), e.to_string()));
                    continue;
                }
            };
            if let Err(reason) = anonymize::check_kind(&canonical, &head) {
                report.refused.push((path.clone(), reason.to_string()));
                continue;
            }
            if !selection.contains(&canonical) {
                selection.push(canonical.clone());
                report.added.push(canonical);
            }
        }
        self.save_selection(&selection)?;
        report.selected = selection.len();
        Ok(report)
    }

    /// Empties the selection.
    pub fn clear_selection(&mut self) -> Result<()> {
        self.save_selection(&[])
    }
}

/// File name extensions of the kinds a contribution may carry (checked again by content at
/// preview).
const PHOTO_EXTENSIONS: &[&str] = &["jpg", "jpeg", "jpe", "png", "tif", "tiff", "webp"];

/// Appends the photos under `dir` (recursively, in name order) to `files`; counts the other
/// files in `skipped`. An unreadable subfolder is an error naming it.
fn photos_in(dir: &Path, files: &mut Vec<PathBuf>, skipped: &mut usize) -> Result<()> {
    let mut entries = std::fs::read_dir(dir)
        .and_then(|entries| entries.collect::<std::io::Result<Vec<_>>>())
        .map_err(Error::io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            *skipped += 1;
            continue;
        }
        // The entry's own type: a symbolic link to a folder is not followed (no loops).
        let file_type = entry.file_type().map_err(Error::io(&path))?;
        if file_type.is_dir() {
            photos_in(&path, files, skipped)?;
            continue;
        }
        let photo = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| PHOTO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
        if photo && !std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
            files.push(path);
        } else {
            *skipped += 1;
        }
    }
    Ok(())
}
