//! The Import drawer: a live example of the renaming pattern, and the import itself (a
//! blocking job streaming progress; the UI opens the destination shoot when it is done).

use std::path::PathBuf;

use bestpick_engine::vocabulary::CancelFlag;
use bestpick_engine::{ImportParams, ImportProgress, ImportSink, RenamePattern};
use tauri::ipc::Channel;

use crate::dto::{ImportProgressDto, ImportReportDto, ImportRequestDto};
use crate::error::{Error, Result};

/// The name the pattern gives a sample RAW file (or why the pattern is refused).
#[tauri::command]
pub fn rename_example(pattern: String) -> Result<String> {
    Ok(RenamePattern::parse(&pattern)?.example())
}

struct ChannelSink<'a>(&'a Channel<ImportProgressDto>);

impl ImportSink for ChannelSink<'_> {
    fn progress(&self, p: ImportProgress) {
        let _ = self.0.send(ImportProgressDto::from(p));
    }
}

/// Imports `request.source` into `request.dest` (see `bestpick_engine::import`).
#[tauri::command]
pub async fn import_photos(
    request: ImportRequestDto,
    on_progress: Channel<ImportProgressDto>,
) -> Result<ImportReportDto> {
    let params = ImportParams {
        source: PathBuf::from(&request.source),
        dest: PathBuf::from(&request.dest),
        backup: request.backup.as_ref().map(PathBuf::from),
        pattern: RenamePattern::parse(&request.pattern)?,
    };
    let job = tauri::async_runtime::spawn_blocking(move || {
        bestpick_engine::import(&params, &CancelFlag::new(), &ChannelSink(&on_progress))
    });
    let report = job.await.map_err(|e| Error::Internal(e.to_string()))??;
    Ok(ImportReportDto::from(&report))
}
