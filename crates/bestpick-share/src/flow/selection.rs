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
    pub fn add(&mut self, paths: &[PathBuf]) -> Result<AddReport> {
        self.require_consent()?;
        let mut selection = self.selection()?;
        let mut report = AddReport::default();
        for path in paths {
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
