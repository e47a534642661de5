//! XMP sidecar export: decisions written where Lightroom, darktable and digiKam read them.
//!
//! Plan first ([`plan_xmp`]: which sidecar, created or merged, with which values), then write
//! ([`write_xmp`]: one report, per-file errors, never aborting the batch). Image files are never
//! opened for writing.
//!
//! Layout: this file holds the types; `sidecar.rs` plans, renders, writes and reads back;
//! `merge.rs` edits an existing packet in place; `doc.rs` maps a packet's byte positions;
//! `error.rs` says what can be wrong with a packet ([`XmpError`]).
//!
//! Properties written, and who reads them:
//! - `xmp:Rating` (namespace `http://ns.adobe.com/xap/1.0/`): stars 0–5, `-1` for rejected.
//!   ExifTool's XMP table documents it as "a value from 0 to 5, or -1 for rejected"
//!   (`Image/ExifTool/XMP.pm`); darktable maps `-1` to its reject flag when reading
//!   (darktable-org/darktable `src/common/exif.cc`, `dt_exif_read_xmp_data`:
//!   `stars = (stars == -1) ? 6 : stars`).
//! - `xmp:Label`: Lightroom's default label set names, `Red`, `Yellow`, `Green`, `Blue`,
//!   `Purple` (case-sensitive); removed when the label is cleared. darktable reads exactly these
//!   names (same function) and digiKam too, mapping `Purple` to its magenta label
//!   (KDE/digikam `core/libs/metadataengine/dmetadata/dmetadata_labels.cpp`).
//! - `xmp:MetadataDate`: when the metadata last changed, ISO 8601 in UTC.
//! - `darktable:colorlabels` (namespace `http://darktable.sf.net/`): an `rdf:Seq` of colour
//!   indices, red = 0, yellow = 1, green = 2, blue = 3, purple = 4 (the same
//!   `dt_exif_read_xmp_data` maps `xmp:Label` "Red" … "Purple" to labels 0 … 4, and
//!   `dt_xmp_keys` lists `Xmp.darktable.colorlabels` among its sequence keys). Written with
//!   [`SidecarNaming::Darktable`]; with Adobe naming only kept in step if the file has it.
//!   Newer darktable reads `xmp:Label` first and falls back to this sequence, older ones read
//!   both; writing the same colour in both is consistent either way.
//! - `digiKam:PickLabel` (namespace `http://www.digikam.org/ns/1.0/`): 0 none, 1 rejected,
//!   3 accepted (digiKam's `PickLabel` enum in `digikam_globals.h`: No, Rejected, Pending,
//!   Accepted; read by `DMetadata::getItemPickLabel`).
//! - `digiKam:ColorLabel` is only kept in step when already present, because digiKam prefers it
//!   over `xmp:Label` (red = 1, yellow = 3, green = 4, blue = 5, magenta = 6, none = 0).

mod doc;
mod error;
mod merge;
mod sidecar;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::types::{ColorLabel, Decision, Flag};

pub use error::XmpError;
#[doc(hidden)]
pub use sidecar::{parse_sidecar, render_sidecar};
pub use sidecar::{plan_xmp, read_sidecar, write_xmp};

/// The largest sidecar read (8 MiB). Real ones are a few KB, darktable's with a long history
/// some hundreds; a larger file is refused with [`crate::Error::TooLarge`] and left as it is.
pub const MAX_SIDECAR_BYTES: u64 = 8 << 20;

/// How sidecars are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SidecarNaming {
    /// Extension replaced: `IMG_1.CR2` → `IMG_1.xmp` (Lightroom, Bridge, Capture One).
    Adobe,
    /// Extension appended: `IMG_1.CR2` → `IMG_1.CR2.xmp` (darktable; digiKam reads both).
    Darktable,
}

impl SidecarNaming {
    /// The sidecar path for `image` under this naming.
    pub fn sidecar_path(self, image: &Path) -> PathBuf {
        match self {
            SidecarNaming::Adobe => image.with_extension("xmp"),
            SidecarNaming::Darktable => {
                let mut name = image.as_os_str().to_owned();
                name.push(".xmp");
                PathBuf::from(name)
            }
        }
    }
}

/// The values written to a sidecar, derived from a [`Decision`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct XmpValues {
    /// `xmp:Rating`: -1 when rejected, else the stars.
    pub rating: i8,
    /// `xmp:Label` (and darktable's colour index).
    pub label: Option<ColorLabel>,
    /// The flag, for `digiKam:PickLabel`.
    pub flag: Flag,
}

impl From<&Decision> for XmpValues {
    fn from(decision: &Decision) -> Self {
        let rating = match decision.flag {
            Flag::Reject => -1,
            Flag::None | Flag::Pick => i8::try_from(decision.stars.min(5)).unwrap_or(5),
        };
        XmpValues {
            rating,
            label: decision.label,
            flag: decision.flag,
        }
    }
}

impl XmpValues {
    /// `digiKam:PickLabel`: 0 none, 1 rejected, 3 accepted.
    pub fn pick_label(&self) -> u8 {
        match self.flag {
            Flag::None => 0,
            Flag::Reject => 1,
            Flag::Pick => 3,
        }
    }
}

/// Lightroom's name for a label (`xmp:Label`).
pub fn lightroom_label(label: ColorLabel) -> &'static str {
    match label {
        ColorLabel::Red => "Red",
        ColorLabel::Yellow => "Yellow",
        ColorLabel::Green => "Green",
        ColorLabel::Blue => "Blue",
        ColorLabel::Purple => "Purple",
    }
}

/// darktable's colour index (`darktable:colorlabels`).
pub fn darktable_label_index(label: ColorLabel) -> u8 {
    match label {
        ColorLabel::Red => 0,
        ColorLabel::Yellow => 1,
        ColorLabel::Green => 2,
        ColorLabel::Blue => 3,
        ColorLabel::Purple => 4,
    }
}

/// Whether a planned sidecar is new, merged into an existing file, or skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SidecarAction {
    /// No sidecar yet: one will be created.
    Create,
    /// A sidecar exists: our properties will be set in it, everything else kept.
    Merge,
    /// An earlier item of the plan claims the same sidecar with other values; this item is
    /// reported as an error and nothing is written for it.
    Conflict {
        /// The image that claimed the sidecar first.
        other_image: PathBuf,
    },
}

/// One sidecar to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedSidecar {
    /// The images this sidecar describes (several when a RAW+JPEG pair shares an Adobe-named
    /// sidecar and has the same decision).
    pub images: Vec<PathBuf>,
    /// The sidecar path.
    pub sidecar: PathBuf,
    /// Naming scheme (decides whether `darktable:colorlabels` is written).
    pub naming: SidecarNaming,
    /// Create, merge or conflict.
    pub action: SidecarAction,
    /// The values to write.
    pub values: XmpValues,
}

/// The values of our properties found in an existing sidecar (first occurrence of each).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SidecarValues {
    /// `xmp:Rating`, if present and an integer.
    pub rating: Option<i8>,
    /// `xmp:Label`, verbatim.
    pub label: Option<String>,
    /// `xmp:MetadataDate`, verbatim.
    pub metadata_date: Option<String>,
    /// `darktable:colorlabels` items that are integers.
    pub darktable_colorlabels: Option<Vec<u8>>,
    /// `digiKam:PickLabel`, if present and an integer.
    pub pick_label: Option<u8>,
}

#[cfg(test)]
mod tests;
