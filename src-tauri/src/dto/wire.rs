//! Small conversions shared by the wire types: counts and paths as the UI reads them.

/// A count for the wire (saturating at `u32::MAX`).
pub fn count(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// A path as the UI shows it.
pub(super) fn path_string(p: &std::path::Path) -> String {
    p.to_string_lossy().into_owned()
}
