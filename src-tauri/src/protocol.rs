//! The `bp://` URI scheme: thumbnails and previews straight from disk to the web view (never
//! base64 over IPC).
//!
//! - `bp://localhost/thumb/<shoot>/<photo>`: the cached JPEG thumbnail (404 until it exists).
//! - `bp://localhost/preview/<photo>`: the loupe preview of a photo of the open shoot.
//! - `bp://localhost/contrib/<bundle>/<file>`: a contribution preview copy.
//!
//! (On Windows the web view spells these `http://bp.localhost/…`; the UI builds the URLs.)

use bestpick_engine::vocabulary::{PhotoId, ShootId};
use tauri::http::{Response, StatusCode, header};

use crate::state::AppState;

/// Answers one request.
pub fn respond(state: &AppState, path: &str) -> Response<Vec<u8>> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let id = |s: &str| s.parse::<i64>().ok();
    match parts.as_slice() {
        ["thumb", shoot, photo] => match (id(shoot), id(photo)) {
            (Some(s), Some(p)) => {
                let file = bestpick_engine::thumbnail_path(
                    &state.paths.thumbnail_dir,
                    ShootId(s),
                    PhotoId(p),
                );
                match std::fs::read(&file) {
                    Ok(bytes) => jpeg(bytes, "max-age=31536000"),
                    Err(_) => status(StatusCode::NOT_FOUND, "no thumbnail yet"),
                }
            }
            _ => status(StatusCode::BAD_REQUEST, "bad thumbnail address"),
        },
        ["preview", photo] => {
            match id(photo).map(|p| crate::commands::shoot::preview_bytes(state, p)) {
                Some(Ok(bytes)) => jpeg(bytes, "no-cache"),
                Some(Err(e)) => status(StatusCode::NOT_FOUND, &e.to_string()),
                None => status(StatusCode::BAD_REQUEST, "bad preview address"),
            }
        }
        // The contribution preview copies: exactly what would be sent, shown before sending.
        ["contrib", bundle, file] if plain(bundle) && plain(file) => {
            match std::fs::read(
                crate::contribution::preview_dir(state)
                    .join(bundle)
                    .join(file),
            ) {
                Ok(bytes) => jpeg(bytes, "no-cache"),
                Err(_) => status(StatusCode::NOT_FOUND, "no such preview"),
            }
        }
        _ => status(StatusCode::NOT_FOUND, "unknown address"),
    }
}

/// A single file or folder name: no separators, not `.` or `..`.
fn plain(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\'])
}

fn jpeg(bytes: Vec<u8>, cache: &str) -> Response<Vec<u8>> {
    Response::builder()
        .header(header::CONTENT_TYPE, "image/jpeg")
        .header(header::CACHE_CONTROL, cache)
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .body(bytes)
        .unwrap_or_default()
}

fn status(code: StatusCode, message: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(code)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .body(message.as_bytes().to_vec())
        .unwrap_or_default()
}
