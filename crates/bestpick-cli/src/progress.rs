//! Progress on stderr with indicatif (drawn only when stderr is a terminal), and Ctrl-C.

use bestpick_engine::vocabulary::{CancelFlag, Progress, ProgressSink, Stage};
use indicatif::{ProgressBar, ProgressStyle};

/// An indicatif bar fed by the engine's progress.
pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    pub fn new() -> Self {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg:12} [{bar:30}] {pos}/{len} {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Bar { bar }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl ProgressSink for Bar {
    fn progress(&self, p: Progress) {
        match p.stage {
            Stage::Scanning => {
                self.bar.set_message("scanning");
                self.bar.tick();
            }
            Stage::Analyzing => {
                if self.bar.length() != Some(p.total as u64) {
                    self.bar.set_length(p.total as u64);
                    self.bar.set_message("analyzing");
                }
                self.bar.set_position(p.done as u64);
            }
            Stage::Ranking => self.bar.set_message("ranking"),
            Stage::Done => self.bar.finish_and_clear(),
        }
    }
}

/// Installs the Ctrl-C handler: the first press cancels the job (finished photos are kept), a
/// second one quits at once.
pub fn cancel_on_ctrl_c() -> CancelFlag {
    let cancel = CancelFlag::new();
    let flag = cancel.clone();
    let installed = ctrlc::set_handler(move || {
        if flag.is_cancelled() {
            std::process::exit(130);
        }
        flag.cancel();
        eprintln!(
            "\nbestpick: stopping after the photos in progress (press Ctrl-C again to quit now)"
        );
    });
    if let Err(e) = installed {
        eprintln!("bestpick: warning: Ctrl-C handler not installed: {e}");
    }
    cancel
}
