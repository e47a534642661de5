//! Runs tauri-build with the capabilities kept in `src-tauri/capabilities/`.
//!
//! The window's page is `ui/dist` (built by `npm --prefix ui run build`), which a fresh clone
//! does not have; `tauri::generate_context!` fails to compile without it. So that `cargo
//! build`, `clippy` and `test` work anyway, a placeholder page that says how to build the UI
//! is written there when the folder is missing.

use std::path::Path;

const PLACEHOLDER: &str = r#"<!doctype html><html><head><meta charset="utf-8"><title>bestpick</title></head>
<body style="background:#1d1e20;color:#d9d9db;font:14px sans-serif;padding:40px">
<h1 style="font-size:18px">The bestpick interface is not built</h1>
<p>Build it, then build the app again:</p>
<pre style="background:#2c2d31;padding:12px">npm --prefix ui install &amp;&amp; npm --prefix ui run build
cargo run -p bestpick-app</pre></body></html>
"#;

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=tauri.conf.json");
    println!("cargo:rerun-if-changed=ui/dist");
    let dist = Path::new("ui/dist");
    if !dist.join("index.html").exists()
        && let Err(error) = std::fs::create_dir_all(dist)
            .and_then(|()| std::fs::write(dist.join("index.html"), PLACEHOLDER))
    {
        println!("cargo:warning=cannot write a placeholder ui/dist/index.html: {error}");
    }
    let attributes =
        tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*");
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
