//! The file an upload's body is received into.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::{StoreError, StoreResult};

/// The body of one upload while it is received: a new file on the store's volume, removed
/// when dropped unless [`Store::insert`](super::Store::insert) took it over.
#[derive(Debug)]
pub struct PartialFile {
    path: PathBuf,
    file: File,
    pub(super) keep: bool,
}

impl PartialFile {
    /// Creates `path` (which must not exist yet).
    pub fn create(path: PathBuf) -> StoreResult<PartialFile> {
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
        Ok(PartialFile {
            path,
            file,
            keep: false,
        })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file, for writing the body and reading it back.
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// An I/O error on this file, with its path.
    pub fn io_error(&self, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
