//! The words the front ends speak: the core and catalog types and entry points the CLI and the
//! app use, re-exported from one place. A front end depends on the engine only,
//! so Cargo enforces the README's map: ui → src-tauri / cli → engine → catalog / core.

pub use bestpick_catalog::export::PickMode;
pub use bestpick_catalog::xmp::{SidecarAction, SidecarNaming};
pub use bestpick_catalog::{
    Catalog, ColorLabel, Decision, DecisionChange, Error as CatalogError, ExportReport, Flag,
    PhotoId, ShootId, ShootInfo,
};
pub use bestpick_core::analyze::{analyze_photo, measure_photo};
pub use bestpick_core::decode::{BlockSource, DecodeOptions, default_budget};
pub use bestpick_core::exif::ExifInfo;
pub use bestpick_core::faces::{Face, available as faces_available, models as face_models};
pub use bestpick_core::guard::on_large_release;
pub use bestpick_core::signals::Misfire;
pub use bestpick_core::{
    AnalyzeParams, CancelFlag, FaceVerdict, FileKind, GroupSummary, JudgedFace, PhotoFile,
    Progress, ProgressSink, SetKind, Stage, Strictness, Suggestion, analyze_path, scan,
};
