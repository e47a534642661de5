//! Loading the four ONNX models once, and running them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tract_onnx::prelude::*;

use crate::error::{Error, Result};

/// BlazeFace full range: 192×192 input, 2304 anchors.
pub(crate) const DETECTOR_FILE: &str = "face_detection_full_range.onnx";
/// Face mesh: 192×192 face crop, 468 landmarks + face presence.
pub(crate) const MESH_FILE: &str = "face_landmark.onnx";
/// Iris landmarks: 64×64 eye crop, 71 contour points + 5 iris points.
pub(crate) const IRIS_FILE: &str = "iris_landmark.onnx";

/// Side of the detector's square input.
pub(crate) const DETECTOR_SIZE: usize = 192;
/// Number of detector anchors (48×48 cells, one anchor each).
pub(crate) const DETECTOR_ANCHORS: usize = 2304;
/// Side of the face mesh's square input.
pub(crate) const MESH_SIZE: usize = 192;
/// Number of face mesh landmarks.
pub(crate) const MESH_POINTS: usize = 468;
/// Side of the iris model's square input.
pub(crate) const IRIS_SIZE: usize = 64;
/// Number of eye contour (and brow) points from the iris model.
pub(crate) const IRIS_CONTOUR_POINTS: usize = 71;
/// Number of iris points (centre first).
pub(crate) const IRIS_POINTS: usize = 5;

type Plan = Arc<TypedRunnableModel>;

/// The face models, loaded and optimized once per process and shared by all threads.
///
/// Loading parses and optimizes the three networks (about half a second); each analysis then
/// only runs the prepared plans, so keep one `FaceModels` (for example in an `Arc` or a
/// `OnceLock`) for the whole run.
pub struct FaceModels {
    detector: Plan,
    mesh: Plan,
    iris: Plan,
    dir: PathBuf,
}

impl std::fmt::Debug for FaceModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceModels")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Raw detector output for one input tensor.
pub(crate) struct DetectorOutput {
    /// `DETECTOR_ANCHORS` × 16 regressors (box centre, size and 6 keypoints, in input pixels).
    pub regressors: Vec<f32>,
    /// `DETECTOR_ANCHORS` score logits.
    pub logits: Vec<f32>,
}

/// Raw face mesh output.
pub(crate) struct MeshOutput {
    /// `MESH_POINTS` × (x, y, z) in crop pixels.
    pub points: Vec<f32>,
    /// Face presence logit.
    pub presence_logit: f32,
}

/// Raw iris model output.
pub(crate) struct IrisOutput {
    /// `IRIS_CONTOUR_POINTS` × (x, y, z) in crop pixels.
    pub contour: Vec<f32>,
    /// `IRIS_POINTS` × (x, y, z) in crop pixels, centre first.
    pub iris: Vec<f32>,
}

impl FaceModels {
    /// Loads the models from `dir`, which must hold `face_detection_full_range.onnx`,
    /// `face_landmark.onnx` and `iris_landmark.onnx` (the shipped `assets/models` folder also
    /// holds the short-range detector, which this crate does not use).
    pub fn load(dir: &Path) -> Result<FaceModels> {
        Ok(FaceModels {
            detector: load_plan(&dir.join(DETECTOR_FILE), DETECTOR_SIZE)?,
            mesh: load_plan(&dir.join(MESH_FILE), MESH_SIZE)?,
            iris: load_plan(&dir.join(IRIS_FILE), IRIS_SIZE)?,
            dir: dir.to_path_buf(),
        })
    }

    /// Finds the models folder and loads it.
    ///
    /// Looks, in order, in `$BESTPICK_MODELS`, next to the executable (`<exe dir>/models`,
    /// `<exe dir>/../share/bestpick/models`), and in this repository's `assets/models` (for
    /// builds run from a checkout). The first folder holding the detector wins.
    pub fn locate() -> Result<FaceModels> {
        FaceModels::load(&FaceModels::find_dir()?)
    }

    /// The folder [`FaceModels::locate`] would load, without loading anything (a few `stat`
    /// calls): for callers that want to know whether faces can be analyzed before they have
    /// a photo that needs it.
    pub fn find_dir() -> Result<PathBuf> {
        let searched = candidate_dirs();
        match searched.iter().find(|d| d.join(DETECTOR_FILE).is_file()) {
            Some(dir) => Ok(dir.clone()),
            None => Err(Error::ModelsNotFound {
                file: DETECTOR_FILE,
                searched,
            }),
        }
    }

    /// The folder the models were loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn detect(&self, input: Vec<f32>) -> Result<DetectorOutput> {
        let out = run(
            &self.detector,
            "face_detection_full_range",
            input,
            DETECTOR_SIZE,
        )?;
        let regressors = flat(&out, 0, DETECTOR_ANCHORS * 16, "face_detection_full_range")?;
        let logits = flat(&out, 1, DETECTOR_ANCHORS, "face_detection_full_range")?;
        Ok(DetectorOutput { regressors, logits })
    }

    pub(crate) fn mesh(&self, input: Vec<f32>) -> Result<MeshOutput> {
        let out = run(&self.mesh, "face_landmark", input, MESH_SIZE)?;
        let points = flat(&out, 0, MESH_POINTS * 3, "face_landmark")?;
        let presence = flat(&out, 1, 1, "face_landmark")?;
        Ok(MeshOutput {
            points,
            presence_logit: presence[0],
        })
    }

    pub(crate) fn iris(&self, input: Vec<f32>) -> Result<IrisOutput> {
        let out = run(&self.iris, "iris_landmark", input, IRIS_SIZE)?;
        Ok(IrisOutput {
            contour: flat(&out, 0, IRIS_CONTOUR_POINTS * 3, "iris_landmark")?,
            iris: flat(&out, 1, IRIS_POINTS * 3, "iris_landmark")?,
        })
    }
}

/// Where [`FaceModels::locate`] looks, in order.
fn candidate_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("BESTPICK_MODELS") {
        dirs.push(PathBuf::from(dir));
    }
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        dirs.push(exe_dir.join("models"));
        dirs.push(exe_dir.join("../share/bestpick/models"));
    }
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/models"));
    dirs
}

fn load_plan(path: &Path, side: usize) -> Result<Plan> {
    let load = || -> TractResult<Plan> {
        onnx()
            .model_for_path(path)?
            .with_input_fact(0, f32::fact([1, 3, side, side]).into())?
            .into_optimized()?
            .into_runnable()
    };
    load().map_err(|e| Error::ModelLoad {
        path: path.to_path_buf(),
        source: e.into(),
    })
}

fn run(plan: &Plan, model: &'static str, input: Vec<f32>, side: usize) -> Result<TVec<TValue>> {
    let infer = || -> TractResult<TVec<TValue>> {
        let tensor = Tensor::from_shape(&[1, 3, side, side], &input)?;
        plan.run(tvec!(tensor.into()))
    };
    infer().map_err(|e| Error::Inference {
        model,
        source: e.into(),
    })
}

/// Output `index` as a flat `f32` vector of exactly `len` values.
fn flat(out: &TVec<TValue>, index: usize, len: usize, model: &'static str) -> Result<Vec<f32>> {
    let values = out
        .get(index)
        .ok_or_else(|| format!("missing output {index}"))
        .and_then(|t| {
            t.to_plain_array_view::<f32>()
                .map(|v| v.iter().copied().collect::<Vec<f32>>())
                .map_err(|e| e.to_string())
        })
        .and_then(|v| {
            if v.len() == len {
                Ok(v)
            } else {
                Err(format!(
                    "output {index} has {} values, expected {len}",
                    v.len()
                ))
            }
        });
    values.map_err(|msg| Error::Inference {
        model,
        source: msg.into(),
    })
}
