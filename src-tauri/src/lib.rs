//! The bestpick desktop shell: a thin Tauri layer whose commands forward to the crates.

/// Builds the app on any runtime, so tests can pass `tauri::test::mock_builder()`.
pub fn run_app<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::App<R> {
    builder
        .build(tauri::generate_context!())
        .expect("the bundled tauri.conf.json is valid")
}

/// Starts the desktop app.
pub fn run() {
    run_app(tauri::Builder::default()).run(|_, _| {});
}
