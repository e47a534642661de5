//! End-to-end tests of the `bestpick` binary on real photos (one integration binary, as
//! ripgrep does): JSON report, catalog reuse, bad input and exit codes, decisions, XMP export,
//! copying picks, crash/kill safety, and the offline promise (no network, under strace).

mod util;

mod analyze;
mod bench;
mod contribute;
mod decisions;
mod hostile;
mod import;
mod offline;
mod profiles;
mod safety;
