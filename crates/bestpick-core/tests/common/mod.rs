//! Shared helpers of core's integration tests.
#![allow(dead_code, reason = "each test binary uses a different subset")]

#[allow(unused_imports, reason = "each test binary uses a different subset")]
pub use bestpick_testkit::photos as fixtures;

use std::path::{Path, PathBuf};

/// The shared photo corpus, when present (CI has it; a fresh clone may not).
pub fn corpus() -> Option<PathBuf> {
    bestpick_testkit::shared("")
}

pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A folder analyzed (every photo must analyze) and culled at the default strictness.
pub struct Culled {
    /// Relative paths, in scan order.
    pub names: Vec<String>,
    pub analyses: Vec<bestpick_core::Analysis>,
    pub suggestions: Vec<bestpick_core::Suggestion>,
    pub groups: Vec<bestpick_core::GroupSummary>,
}

impl Culled {
    /// The suggestion for the photo whose name ends in `{stem}_{suffix}.jpg`.
    pub fn frame(&self, stem: &str, suffix: &str) -> &bestpick_core::Suggestion {
        let name = format!("{stem}_{suffix}.jpg");
        self.names
            .iter()
            .position(|n| n.ends_with(&name))
            .map(|i| &self.suggestions[i])
            .unwrap_or_else(|| panic!("no frame {name}"))
    }
}

/// Saves `img` as `dir/{stem}_{suffix}.jpg` at JPEG `quality`.
pub fn save_jpeg(dir: &Path, stem: &str, suffix: &str, img: &image::RgbImage, quality: u8) {
    let path = dir.join(format!("{stem}_{suffix}.jpg"));
    let file = std::fs::File::create(&path)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
    image::codecs::jpeg::JpegEncoder::new_with_quality(file, quality)
        .encode_image(img)
        .unwrap_or_else(|e| panic!("cannot encode {}: {e}", path.display()));
}

/// Scans `dir`, analyzes every photo (with faces when `faces`) and culls the shoot.
pub fn analyze_and_cull(dir: &Path, faces: bool) -> Culled {
    use bestpick_core::{AnalyzeParams, CancelFlag, NoProgress, Strictness};
    let report = bestpick_core::scan(dir).expect("scan");
    let results = std::sync::Mutex::new(vec![None; report.photos.len()]);
    let params = AnalyzeParams {
        faces,
        ..AnalyzeParams::default()
    };
    bestpick_core::analyze_files(
        &report.photos,
        &params,
        &CancelFlag::new(),
        &NoProgress,
        |i, r| results.lock().expect("lock")[i] = Some(r.expect("analyzed").analysis),
    );
    let analyses: Vec<bestpick_core::Analysis> = results
        .into_inner()
        .expect("lock")
        .into_iter()
        .map(|a| a.expect("every photo analyzed"))
        .collect();
    let refs: Vec<Option<&bestpick_core::Analysis>> = analyses.iter().map(Some).collect();
    let names: Vec<String> = report.photos.iter().map(|p| p.rel_path.clone()).collect();
    let rels: Vec<&str> = names.iter().map(String::as_str).collect();
    let (suggestions, groups) = bestpick_core::cull(&refs, &rels, Strictness::NORMAL);
    Culled {
        names,
        analyses,
        suggestions: suggestions
            .into_iter()
            .map(|s| s.expect("ranked"))
            .collect(),
        groups,
    }
}

/// `img` scaled down so its long side is at most `long` pixels.
pub fn at_most(img: image::RgbImage, long: u32) -> image::RgbImage {
    if img.width().max(img.height()) <= long {
        return img;
    }
    let k = long as f32 / img.width().max(img.height()) as f32;
    image::imageops::resize(
        &img,
        (img.width() as f32 * k).round() as u32,
        (img.height() as f32 * k).round() as u32,
        image::imageops::FilterType::Triangle,
    )
}

/// Photo `name` of the shared corpus's `images/` scaled to at most `long` pixels, and the folder
/// `dir/<stem>/` (`stem`: the name without `.jpg`) made for its copies.
pub fn photo_and_folder(
    shared: &Path,
    name: &str,
    long: u32,
    dir: &Path,
) -> (image::RgbImage, PathBuf) {
    let path = shared.join("images").join(name);
    let img = image::open(&path)
        .unwrap_or_else(|e| panic!("cannot decode {}: {e}", path.display()))
        .to_rgb8();
    let out = dir.join(name.trim_end_matches(".jpg"));
    std::fs::create_dir_all(&out).unwrap_or_else(|e| panic!("cannot make {}: {e}", out.display()));
    (at_most(img, long), out)
}
