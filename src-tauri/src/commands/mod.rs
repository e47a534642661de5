//! The commands, one module per area; each forwards to the crates in a few lines.

pub mod app;
pub mod contribute;
pub mod decide;
pub mod export;
pub mod import;
pub mod profiles;
pub mod report;
pub mod settings;
pub mod shoot;
