// Prevents an extra console window on Windows in release.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// Per-thread memory reuse: the analysis allocates ~20 MB of block data per 24 MP photo, and
/// with the system allocator the mapping and unmapping serializes the worker threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Gives the memory mimalloc holds freed back to the system now, after a large photo's decode,
/// before the decode waiting for its share of the memory budget starts (`on_large_release`).
fn give_back_freed_memory() {
    // SAFETY: `mi_collect` only walks the allocator's own structures; mimalloc allows it on any
    // thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

fn main() {
    bestpick_engine::vocabulary::on_large_release(give_back_freed_memory);
    bestpick_app::run();
}
