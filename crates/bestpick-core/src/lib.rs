//! bestpick-core: scan a shoot, read each photo once, measure what a culler judges (focus,
//! motion blur, exposure, noise, misfires), group bursts and near-duplicates, and pick the best
//! frame of each group with reasons in plain words.
//!
//! This crate has no UI, database or network dependency: front ends (the CLI, the desktop app)
//! configure a job, run it, and store its results where they like.
#![warn(missing_docs)]

pub mod decode;
