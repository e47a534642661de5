//! What the contribution flow takes and gives: the consent request and the reports of each
//! step (add, preview, send, status, withdraw).

use super::*;

/// How old the contributor says they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Age {
    /// 18 or older.
    Adult,
    /// 13 to 17; contribution needs a parent's or guardian's permission.
    Teen {
        /// The contributor confirms a parent or guardian gave permission.
        parent_permission: bool,
    },
    /// Under 13: contribution is not possible.
    Under13,
}

/// What the contributor agrees to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRequest {
    /// The terms version shown and accepted (must be [`terms::CURRENT_VERSION`]).
    pub terms_version: u32,
    /// Age group.
    pub age: Age,
    /// Optional buckets sent with every bundle; each may stay blank.
    pub buckets: Buckets,
}

/// One image of a preview: exactly what will leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewImage {
    /// The original photo (local only; never sent).
    pub source: PathBuf,
    /// Keyed name inside the bundle.
    pub name: String,
    /// Size after orientation.
    pub width: u32,
    /// Size after orientation.
    pub height: u32,
    /// Where the preview copy was written.
    pub preview_path: PathBuf,
}

/// What `preview` built and staged.
#[derive(Debug, Clone)]
pub struct PreviewReport {
    /// The bundle's anonymous id.
    pub anonymous_id: String,
    /// Folder holding the preview copies and `manifest.json`.
    pub dir: PathBuf,
    /// Images in the bundle.
    pub images: Vec<PreviewImage>,
    /// Photos left out, with the reason.
    pub refused: Vec<(PathBuf, String)>,
    /// The manifest exactly as it will be sent.
    pub manifest_json: String,
    /// Size of the sealed bundle.
    pub sealed_bytes: usize,
}

/// What `send` did.
#[derive(Debug, Clone, Default)]
pub struct SendReport {
    /// `(anonymous id, collector bundle id, image count)` of confirmed bundles.
    pub sent: Vec<(String, String, u32)>,
    /// `(anonymous id, reason)` of bundles that stay staged.
    pub failed: Vec<(String, String)>,
}

/// What `withdraw` did.
#[derive(Debug, Clone, Default)]
pub struct WithdrawReport {
    /// Bundles deleted at the collector.
    pub deleted: Vec<String>,
    /// Staged bundles discarded locally (never sent).
    pub discarded: Vec<String>,
    /// `(bundle, reason)` deletions that failed; run withdraw again to retry them.
    pub failed: Vec<(String, String)>,
}

/// Result of `add`.
#[derive(Debug, Clone, Default)]
pub struct AddReport {
    /// Photos now selected (newly added).
    pub added: Vec<PathBuf>,
    /// Photos refused, with the reason.
    pub refused: Vec<(PathBuf, String)>,
    /// Files passed over in the folders given: not of a kind that is ever sent (RAW, HEIC,
    /// sidecars, videos, anything not JPEG, PNG, TIFF or WebP by name), and hidden ones. By folder.
    pub skipped: Vec<(PathBuf, usize)>,
    /// Size of the whole selection.
    pub selected: usize,
}

/// Status of every contribution, refreshed from the collector where possible.
#[derive(Debug, Clone, Default)]
pub struct StatusReport {
    /// Every bundle, oldest first.
    pub contributions: Vec<Contribution>,
    /// Problems refreshing (collector unreachable, …); local records are still shown.
    pub problems: Vec<String>,
}
