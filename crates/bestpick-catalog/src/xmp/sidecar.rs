//! Planning, rendering and writing sidecars; reading our values back.

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use time::UtcDateTime;

use super::merge::{self, Change, Prop, Want};
use super::{
    MAX_SIDECAR_BYTES, PlannedSidecar, SidecarAction, SidecarNaming, SidecarValues, XmpError,
    XmpValues, darktable_label_index, doc, lightroom_label,
};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::types::{ColorLabel, Decision};
use crate::{ExportFailure, ExportReport, Exported};

const XMP_NS: &str = "http://ns.adobe.com/xap/1.0/";
const DARKTABLE_NS: &str = "http://darktable.sf.net/";
const DIGIKAM_NS: &str = "http://www.digikam.org/ns/1.0/";

const RATING: Prop = Prop {
    ns: XMP_NS,
    prefix: "xmp",
    local: "Rating",
};
const LABEL: Prop = Prop {
    ns: XMP_NS,
    prefix: "xmp",
    local: "Label",
};
const METADATA_DATE: Prop = Prop {
    ns: XMP_NS,
    prefix: "xmp",
    local: "MetadataDate",
};
const DARKTABLE_COLORLABELS: Prop = Prop {
    ns: DARKTABLE_NS,
    prefix: "darktable",
    local: "colorlabels",
};
const DIGIKAM_PICK_LABEL: Prop = Prop {
    ns: DIGIKAM_NS,
    prefix: "digiKam",
    local: "PickLabel",
};
const DIGIKAM_COLOR_LABEL: Prop = Prop {
    ns: DIGIKAM_NS,
    prefix: "digiKam",
    local: "ColorLabel",
};

/// The sidecar to use: the computed path, or an existing variant spelled `.XMP` (cameras and
/// some Windows tools write upper case) so we merge into it instead of creating a twin.
fn resolve(naming: SidecarNaming, image: &Path) -> PathBuf {
    let path = naming.sidecar_path(image);
    if exists(&path) {
        return path;
    }
    let upper = match naming {
        SidecarNaming::Adobe => image.with_extension("XMP"),
        SidecarNaming::Darktable => {
            let mut name = image.as_os_str().to_owned();
            name.push(".XMP");
            PathBuf::from(name)
        }
    };
    if exists(&upper) { upper } else { path }
}

fn exists(path: &Path) -> bool {
    // An unreadable entry counts as existing: never plan to create over it.
    !matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == io::ErrorKind::NotFound)
}

/// digiKam's colour id (`digiKam:ColorLabel`; purple is its magenta).
fn digikam_label_id(label: Option<ColorLabel>) -> u8 {
    match label {
        None => 0,
        Some(ColorLabel::Red) => 1,
        Some(ColorLabel::Yellow) => 3,
        Some(ColorLabel::Green) => 4,
        Some(ColorLabel::Blue) => 5,
        Some(ColorLabel::Purple) => 6,
    }
}

/// Plan the sidecars for `items` (image path, decision). Nothing is written.
pub fn plan_xmp(items: &[(PathBuf, Decision)], naming: SidecarNaming) -> Vec<PlannedSidecar> {
    let mut plan: Vec<PlannedSidecar> = Vec::with_capacity(items.len());
    let mut claimed: HashMap<PathBuf, usize> = HashMap::new();
    for (image, decision) in items {
        let values = XmpValues::from(decision);
        let sidecar = resolve(naming, image);
        if let Some(&i) = claimed.get(&sidecar) {
            if plan[i].values == values {
                plan[i].images.push(image.clone());
                continue;
            }
            plan.push(PlannedSidecar {
                images: vec![image.clone()],
                sidecar,
                naming,
                action: SidecarAction::Conflict {
                    other_image: plan[i].images[0].clone(),
                },
                values,
            });
            continue;
        }
        let action = if exists(&sidecar) {
            SidecarAction::Merge
        } else {
            SidecarAction::Create
        };
        claimed.insert(sidecar.clone(), plan.len());
        plan.push(PlannedSidecar {
            images: vec![image.clone()],
            sidecar,
            naming,
            action,
            values,
        });
    }
    plan
}

/// Write the planned sidecars. Each is written atomically (temp file, fsync, rename); one that
/// fails (unparsable, oversized or special existing sidecar, I/O error, conflict) is reported
/// and the rest go on. A sidecar that is a symbolic link is written through (the link's target
/// gets the new content). Temp files a crashed run left in the folders written to are removed.
pub fn write_xmp(plan: &[PlannedSidecar]) -> ExportReport {
    let mut report = ExportReport::default();
    let date = xmp_date(SystemTime::now());
    // Temp files of a run that crashed before renaming them: once per folder written to.
    let mut folders = BTreeSet::new();
    for entry in plan {
        folders.insert(fsutil::parent_dir(&entry.sidecar).to_path_buf());
        if let Ok(target) = fsutil::resolve_links(&entry.sidecar) {
            folders.insert(fsutil::parent_dir(&target).to_path_buf());
        }
    }
    for folder in &folders {
        fsutil::remove_stale_temps(folder, fsutil::TMP_TAG);
    }
    for entry in plan {
        let source = entry.images.first().cloned().unwrap_or_default();
        match write_one(entry, &date) {
            Ok(()) => report.done.push(Exported {
                source,
                dest: entry.sidecar.clone(),
            }),
            Err(error) => report.failed.push(ExportFailure { source, error }),
        }
    }
    report
}

fn write_one(entry: &PlannedSidecar, date: &str) -> Result<()> {
    if let SidecarAction::Conflict { other_image } = &entry.action {
        return Err(Error::SidecarConflict {
            sidecar: entry.sidecar.clone(),
            image: entry.images.first().cloned().unwrap_or_default(),
            other_image: other_image.clone(),
        });
    }
    if let Some(image) = entry.images.iter().find(|i| **i == entry.sidecar) {
        return Err(Error::SidecarIsImage {
            path: image.clone(),
        });
    }
    // Read now, not at planning time: the file may have appeared or changed since.
    let existing = fsutil::read_capped(&entry.sidecar, MAX_SIDECAR_BYTES)?;
    // A linked sidecar is written through, but only to an .xmp file: never to an image or
    // anything else a link may point at.
    let target = fsutil::resolve_links(&entry.sidecar)?;
    if target != entry.sidecar {
        let is_xmp = target
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xmp"));
        if !is_xmp || entry.images.iter().any(|i| fsutil::same_entry(i, &target)) {
            return Err(Error::SidecarLink {
                path: entry.sidecar.clone(),
                target,
            });
        }
    }
    let existing = match existing {
        Some(bytes) => Some(utf8(bytes).map_err(|e| e.in_sidecar(&entry.sidecar))?),
        None => None,
    };
    let text = render(existing.as_deref(), &entry.values, entry.naming, date)
        .map_err(|e| e.in_sidecar(&entry.sidecar))?;
    fsutil::write_atomic(&target, text.as_bytes())
}

/// The sidecar text for `values`: `existing` with our properties set, or a new packet.
/// `date` is the `xmp:MetadataDate` value.
fn render(
    existing: Option<&str>,
    values: &XmpValues,
    naming: SidecarNaming,
    date: &str,
) -> std::result::Result<String, XmpError> {
    let template;
    let base = match existing {
        Some(text) => text,
        None => {
            template = new_packet(naming);
            &template
        }
    };
    merge::merge(base, &changes(values, naming, date))
}

/// The property changes that write `values`.
fn changes(values: &XmpValues, naming: SidecarNaming, date: &str) -> Vec<Change> {
    let set = |prop, want| Change {
        prop,
        want,
        only_if_present: false,
    };
    vec![
        set(RATING, Want::Text(values.rating.to_string())),
        set(
            LABEL,
            match values.label {
                Some(label) => Want::Text(lightroom_label(label).to_owned()),
                None => Want::Remove,
            },
        ),
        set(METADATA_DATE, Want::Text(date.to_owned())),
        Change {
            prop: DARKTABLE_COLORLABELS,
            want: match values.label {
                Some(label) => Want::Seq(vec![darktable_label_index(label).to_string()]),
                None => Want::Remove,
            },
            only_if_present: naming == SidecarNaming::Adobe,
        },
        set(
            DIGIKAM_PICK_LABEL,
            Want::Text(values.pick_label().to_string()),
        ),
        Change {
            prop: DIGIKAM_COLOR_LABEL,
            want: Want::Text(digikam_label_id(values.label).to_string()),
            only_if_present: true,
        },
    ]
}

/// An empty packet with our namespaces declared, in the layout ExifTool and darktable use.
fn new_packet(naming: SidecarNaming) -> String {
    let darktable = match naming {
        SidecarNaming::Darktable => format!("\n    xmlns:darktable=\"{DARKTABLE_NS}\""),
        SidecarNaming::Adobe => String::new(),
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"bestpick {version}\">\n \
         <rdf:RDF xmlns:rdf=\"{rdf}\">\n  \
         <rdf:Description rdf:about=\"\"\n    \
         xmlns:xmp=\"{XMP_NS}\"\n    \
         xmlns:digiKam=\"{DIGIKAM_NS}\"{darktable}>\n  \
         </rdf:Description>\n \
         </rdf:RDF>\n\
         </x:xmpmeta>\n",
        version = env!("CARGO_PKG_VERSION"),
        rdf = doc::RDF_NS,
    )
}

/// Read our properties from the sidecar at `path`.
pub fn read_sidecar(path: &Path) -> Result<SidecarValues> {
    let bytes = fsutil::read_capped(path, MAX_SIDECAR_BYTES)?.ok_or_else(|| Error::Read {
        path: path.to_path_buf(),
        source: io::ErrorKind::NotFound.into(),
    })?;
    parse_sidecar(&utf8(bytes).map_err(|e| e.in_sidecar(path))?).map_err(|e| e.in_sidecar(path))
}

/// The sidecar's bytes as text.
fn utf8(bytes: Vec<u8>) -> std::result::Result<String, XmpError> {
    String::from_utf8(bytes).map_err(|e| XmpError::NotUtf8 {
        position: e.utf8_error().valid_up_to(),
    })
}

/// Our properties' values in a parsed packet (first occurrence of each).
fn values_of(doc: &doc::Doc) -> SidecarValues {
    let find = |prop: Prop| {
        doc.descriptions
            .iter()
            .flat_map(|d| &d.props)
            .find(|f| f.ns == prop.ns && f.local == prop.local)
    };
    SidecarValues {
        rating: find(RATING).and_then(|f| f.text.trim().parse().ok()),
        label: find(LABEL).map(|f| f.text.clone()),
        metadata_date: find(METADATA_DATE).map(|f| f.text.clone()),
        darktable_colorlabels: find(DARKTABLE_COLORLABELS).map(|f| {
            f.items
                .iter()
                .filter_map(|i| i.trim().parse().ok())
                .collect()
        }),
        pick_label: find(DIGIKAM_PICK_LABEL).and_then(|f| f.text.trim().parse().ok()),
    }
}

/// What [`write_xmp`] writes for `values` over the sidecar text `existing` (or a new packet),
/// without touching the file system; the error is the reason it would report. For the fuzz
/// targets.
#[doc(hidden)]
pub fn render_sidecar(
    existing: Option<&str>,
    values: &XmpValues,
    naming: SidecarNaming,
    date: &str,
) -> std::result::Result<String, XmpError> {
    render(existing, values, naming, date)
}

/// What [`read_sidecar`] reads from the sidecar text `text`. For the fuzz targets.
#[doc(hidden)]
pub fn parse_sidecar(text: &str) -> std::result::Result<SidecarValues, XmpError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = doc::scan(body)?;
    Ok(values_of(&doc))
}

/// `time` as an XMP date (ISO 8601, UTC, seconds): `2024-05-01T12:34:56Z`. A clock set before
/// 1970 gives 1970-01-01, one past the year 9999 the last second of 9999.
pub(super) fn xmp_date(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let t = UtcDateTime::from_unix_timestamp(secs).unwrap_or(UtcDateTime::MAX);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
