//! The bestpick desktop shell: a thin Tauri layer whose commands forward to the crates
//! (`bestpick-engine` over core and catalog; `bestpick-share` for contribution). No analysis,
//! SQL, image or crypto code lives here.
//!
//! Layout: `commands/<area>.rs` (the IPC surface), `dto/` (wire types by area, TypeScript
//! bindings generated into `ui/src/bindings/`), `state.rs` (the one managed [`AppState`]),
//! `open_job.rs` (the background job that opens a shoot), `protocol.rs` (the `bp://` scheme
//! serving thumbnails and previews), `contribution.rs` (glue to the share crate).

#![warn(missing_docs)]

pub mod commands;
pub mod contribution;
pub mod dto;
pub mod error;
pub mod open_job;
pub mod protocol;
pub mod state;

use std::path::PathBuf;

use tauri::Manager;

pub use state::{AppPaths, AppState};

/// Builds the app on any runtime, so tests can pass `tauri::test::mock_builder()`. `paths`
/// `None` = the platform's per-user folders (or everything under `$BESTPICK_HOME` when set);
/// `launch` is the folder given on the command line.
pub fn run_app<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    paths: Option<AppPaths>,
    launch: Option<PathBuf>,
) -> tauri::App<R> {
    // Given folders are managed at once (tests read the state right after `build`); the
    // platform's folders need the app's path resolver, so they are resolved in `setup`.
    let builder = match paths {
        Some(p) => builder.manage(AppState::new(p, launch)),
        None => builder.setup(move |app| {
            let paths = default_paths(app.handle())?;
            app.manage(AppState::new(paths, launch));
            Ok(())
        }),
    };
    builder
        .register_asynchronous_uri_scheme_protocol("bp", |ctx, request, responder| {
            let app = ctx.app_handle().clone();
            let path = request.uri().path().to_owned();
            // Off the main thread: a preview may be decoded and re-encoded.
            tauri::async_runtime::spawn_blocking(move || {
                responder.respond(protocol::respond(&app.state::<AppState>(), &path));
            });
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::startup,
            commands::app::recent_shoots,
            commands::app::pick_folder,
            commands::app::pick_open_file,
            commands::app::pick_save_file,
            commands::shoot::open_shoot,
            commands::shoot::cancel_job,
            commands::shoot::regroup,
            commands::shoot::current_view,
            commands::shoot::photo_detail,
            commands::decide::decide,
            commands::decide::undo,
            commands::decide::redo,
            commands::profiles::list_profiles,
            commands::profiles::choose_profile,
            commands::profiles::show_profile,
            commands::profiles::new_profile,
            commands::profiles::reset_profile,
            commands::profiles::delete_profile,
            commands::profiles::export_profile,
            commands::profiles::import_profile,
            commands::report::trust_report,
            commands::report::save_report_html,
            commands::export::plan_export,
            commands::export::run_export,
            commands::import::rename_example,
            commands::import::import_photos,
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::settings::forget_shoot,
            commands::contribute::contribution_terms,
            commands::contribute::contribution_status,
            commands::contribute::contribution_consent,
            commands::contribute::contribution_add,
            commands::contribute::contribution_clear,
            commands::contribute::contribution_preview,
            commands::contribute::contribution_send,
            commands::contribute::contribution_delete,
            commands::contribute::contribution_withdraw,
            commands::contribute::network_log,
        ])
        .build(tauri::generate_context!())
        .expect("the bundled tauri.conf.json is valid")
}

/// The per-user folders: `$BESTPICK_HOME/{config,cache,data}` when that is set, else the
/// platform's (the catalog is the one the CLI uses by default).
fn default_paths<R: tauri::Runtime>(
    app: &tauri::AppHandle<R>,
) -> Result<AppPaths, Box<dyn std::error::Error>> {
    let sample = sample_dir(app);
    if let Some(home) = std::env::var_os("BESTPICK_HOME") {
        return Ok(AppPaths::under(&PathBuf::from(home), sample));
    }
    let resolver = app.path();
    Ok(AppPaths {
        config_dir: resolver.app_config_dir()?,
        thumbnail_dir: resolver.app_cache_dir()?.join("thumbnails"),
        default_catalog: bestpick_engine::vocabulary::Catalog::default_path()?,
        sample,
    })
}

/// The bundled sample shoot: `$BESTPICK_SAMPLE`, the installed resources, or the source tree.
fn sample_dir<R: tauri::Runtime>(app: &tauri::AppHandle<R>) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("BESTPICK_SAMPLE").map(PathBuf::from),
        // `bundle.resources` in tauri.conf.json: `/usr/lib/bestpick/sample` when installed.
        app.path().resource_dir().ok().map(|d| d.join("sample")),
        Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("assets")
                .join("sample"),
        ),
    ];
    candidates.into_iter().flatten().find(|d| d.is_dir())
}

/// Starts the desktop app: `bestpick-app [FOLDER]`.
pub fn run() {
    let launch = std::env::args_os().nth(1).map(PathBuf::from);
    // Load the face models while the window comes up, so that the first shoot opened does
    // not wait for them before its first thumbnail.
    std::thread::spawn(|| bestpick_engine::vocabulary::face_models().is_ok());
    let builder = tauri::Builder::default().plugin(tauri_plugin_dialog::init());
    run_app(builder, None, launch).run(|_, _| {});
}
