//! The Import drawer: a live example of the renaming pattern, and the import itself (a
//! blocking job streaming progress; the window opens the destination shoot as soon as the
//! first frames land and refreshes it as more do, so culling begins before the copy ends).

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use bestpick_engine::{ImportParams, ImportProgress, ImportSink, RenamePattern};
use tauri::State;
use tauri::ipc::Channel;

use crate::dto::{ImportProgressDto, ImportReportDto, ImportRequestDto};
use crate::error::{Error, Result};
use crate::state::{AppState, lock};

/// The name the pattern gives a sample RAW file (or why the pattern is refused).
#[tauri::command]
pub fn rename_example(pattern: String) -> Result<String> {
    Ok(RenamePattern::parse(&pattern)?.example())
}

/// Sends progress with the job id and the files landed so far; a landed batch sends the last
/// progress again so the window hears of it at once.
struct ChannelSink<'a> {
    channel: &'a Channel<ImportProgressDto>,
    job: u32,
    landed: AtomicUsize,
    last: Mutex<ImportProgress>,
}

impl ChannelSink<'_> {
    fn send(&self, p: ImportProgress) {
        let landed = self.landed.load(Ordering::SeqCst);
        // A closed window drops the channel; the import still finishes.
        let _ = self
            .channel
            .send(ImportProgressDto::new(self.job, landed, p));
    }
}

impl ImportSink for ChannelSink<'_> {
    fn progress(&self, p: ImportProgress) {
        *lock(&self.last) = p;
        self.send(p);
        e2e_pace();
    }

    fn landed(&self, files: &[PathBuf]) {
        self.landed.fetch_add(files.len(), Ordering::SeqCst);
        let p = *lock(&self.last);
        self.send(p);
    }
}

/// The end-to-end suite slows imports down (`BESTPICK_E2E_IMPORT_PACE_MS` per file) to see
/// culling begin while one runs and to stop one halfway; debug builds only.
fn e2e_pace() {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("BESTPICK_E2E_IMPORT_PACE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Imports `request.source` into `request.dest` (see `bestpick_engine::import`). The first
/// progress message carries the job id: `cancel_job` with it stops the import after the file
/// being copied (what is in place stays, and a later import resumes).
#[tauri::command]
pub async fn import_photos(
    state: State<'_, AppState>,
    request: ImportRequestDto,
    on_progress: Channel<ImportProgressDto>,
) -> Result<ImportReportDto> {
    let params = ImportParams {
        source: PathBuf::from(&request.source),
        dest: PathBuf::from(&request.dest),
        backup: request.backup.as_ref().map(PathBuf::from),
        pattern: RenamePattern::parse(&request.pattern)?,
    };
    let (job, cancel) = state.jobs.start();
    let task = tauri::async_runtime::spawn_blocking(move || {
        let sink = ChannelSink {
            channel: &on_progress,
            job,
            landed: AtomicUsize::new(0),
            last: Mutex::new(ImportProgress::default()),
        };
        sink.send(ImportProgress::default());
        bestpick_engine::import(&params, &cancel, &sink)
    });
    let report = task.await.map_err(|e| Error::Internal(e.to_string()));
    state.jobs.finish(job);
    Ok(ImportReportDto::from(&report??))
}
