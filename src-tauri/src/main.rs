// Prevents an extra console window on Windows in release.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// Per-thread memory reuse: the analysis allocates ~20 MB of block data per 24 MP photo, and
/// with the system allocator the mapping and unmapping serializes the worker threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    bestpick_app::run();
}
