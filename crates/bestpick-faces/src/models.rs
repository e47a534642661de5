//! Loading the four ONNX models once, and running them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::{TractErrorContext as _, bail};

use crate::depthwise::replace_depthwise;
use crate::error::{Error, Result};
use crate::maxpool::replace_maxpools;
use crate::prelu::replace_prelus;
use crate::upsample::replace_resizes;

/// BlazeFace full range: 192×192 input, 2304 anchors (one per 4×4 input pixels).
pub(crate) const DETECTOR_FILE: &str = "face_detection_full_range.onnx";
/// Face mesh: 192×192 face crop, 468 landmarks + face presence.
pub(crate) const MESH_FILE: &str = "face_landmark.onnx";
/// Iris landmarks: 64×64 eye crop, 71 contour points + 5 iris points.
pub(crate) const IRIS_FILE: &str = "iris_landmark.onnx";

/// Side of the detector's square input, and the longer side of its other inputs.
pub(crate) const DETECTOR_SIZE: usize = 192;
/// The detector's input sides must be multiples of this (five stride-2 stages, whose outputs
/// are upsampled back and added to the earlier ones). It places one anchor on every
/// `DETECTOR_STRIDE`×`DETECTOR_STRIDE` input pixels.
pub(crate) const DETECTOR_ALIGN: usize = 32;
/// Input pixels per anchor cell, per axis (48×48 cells on the 192×192 input).
pub(crate) const DETECTOR_STRIDE: usize = 4;
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
/// Loading parses and optimizes the three networks (about 0.3 s on two cores); each analysis then
/// only runs the prepared plans, so keep one `FaceModels` (for example in an `Arc` or a
/// `OnceLock`) for the whole run.
pub struct FaceModels {
    /// The detector network before shapes are fixed: every input size gets its own plan.
    detector_net: InferenceModel,
    /// Detector plans by input (height, width): those of `PREPARED_DETECTOR_SIZES` are made
    /// at load, the others when first asked for.
    detectors: Mutex<HashMap<(usize, usize), Plan>>,
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

/// Raw detector output for one input tensor of `h`×`w` pixels: one anchor per
/// `DETECTOR_STRIDE`² input pixels, row by row.
pub(crate) struct DetectorOutput {
    /// anchors × 16 regressors (box centre offset, size and 6 keypoint offsets, in input
    /// pixels).
    pub regressors: Vec<f32>,
    /// One score logit per anchor.
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
        let detector_path = dir.join(DETECTOR_FILE);
        let detector_net = load_detector(&detector_path)?;
        let mesh_path = dir.join(MESH_FILE);
        let iris_path = dir.join(IRIS_FILE);
        // Preparing a plan is ~0.1 s of one core: the plans are prepared side by side (the
        // analysis threads wait for the models meanwhile), and the detector's are those most
        // shoots need at once, so that the first photos do not each prepare them again.
        // Jobs: one per prepared detector size, then the mesh, then the iris model.
        let sizes = PREPARED_DETECTOR_SIZES.len();
        let path_of = |job: usize| match job.checked_sub(sizes) {
            None => &detector_path,
            Some(0) => &mesh_path,
            Some(_) => &iris_path,
        };
        let prepare = |job: usize| match job.checked_sub(sizes) {
            None => {
                let (h, w) = PREPARED_DETECTOR_SIZES[job];
                detector_plan_for(detector_net.clone(), &detector_path, h, w, Ops::Direct)
            }
            Some(0) => load_plan(&mesh_path, MESH_SIZE, MESH_OPS, Ops::Direct),
            Some(_) => load_plan(&iris_path, IRIS_SIZE, IRIS_OPS, Ops::Direct),
        };
        let plans = std::thread::scope(|s| {
            let threads: Vec<_> = (0..sizes + 2)
                .map(|job| std::thread::Builder::new().spawn_scoped(s, move || prepare(job)))
                .collect();
            threads
                .into_iter()
                .enumerate()
                .map(|(job, thread)| match thread {
                    Ok(thread) => thread.join().unwrap_or_else(|_| {
                        Err(Error::ModelLoad {
                            path: path_of(job).clone(),
                            source: "preparing the model's plan panicked".into(),
                        })
                    }),
                    // No thread to be had: prepare it here.
                    Err(_) => prepare(job),
                })
                // Every thread is joined before the first error is returned (a thread that
                // panicked and was not joined would make the scope panic).
                .collect::<Vec<Result<Plan>>>()
        });
        let mut plans = plans
            .into_iter()
            .collect::<Result<Vec<Plan>>>()?
            .into_iter();
        let detectors = PREPARED_DETECTOR_SIZES
            .into_iter()
            .zip(plans.by_ref())
            .collect();
        let (Some(mesh), Some(iris)) = (plans.next(), plans.next()) else {
            return Err(Error::ModelLoad {
                path: iris_path,
                source: "a model's plan is missing".into(),
            });
        };
        Ok(FaceModels {
            detector_net,
            detectors: Mutex::new(detectors),
            mesh,
            iris,
            dir: dir.to_path_buf(),
        })
    }

    /// Finds the models folder and loads it.
    ///
    /// Looks, in order, in `$BESTPICK_MODELS`, next to the executable (`<exe dir>/models`,
    /// `<exe dir>/../lib/bestpick/models` where the packages install them for the app and the
    /// CLI in `/usr/bin`, `<exe dir>/../share/bestpick/models`), and in this repository's
    /// `assets/models` (for builds run from a checkout). The first folder holding the detector
    /// wins.
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

    /// Runs the detector on an `h`×`w` input (NCHW data). Both sides must be multiples of
    /// `DETECTOR_ALIGN` and at most `DETECTOR_SIZE`; the first input of each new size
    /// prepares its plan (about 0.1 s), later ones reuse it.
    pub(crate) fn detect(&self, input: Vec<f32>, h: usize, w: usize) -> Result<DetectorOutput> {
        let plan = self.detector_plan(h, w)?;
        let out = run(&plan, "face_detection_full_range", input, h, w)?;
        let anchors = (h / DETECTOR_STRIDE) * (w / DETECTOR_STRIDE);
        let regressors = flat(&out, 0, anchors * 16, "face_detection_full_range")?;
        let logits = flat(&out, 1, anchors, "face_detection_full_range")?;
        Ok(DetectorOutput { regressors, logits })
    }

    fn detector_plan(&self, h: usize, w: usize) -> Result<Plan> {
        let fits = |s: usize| s > 0 && s <= DETECTOR_SIZE && s.is_multiple_of(DETECTOR_ALIGN);
        if !fits(h) || !fits(w) {
            return Err(Error::Inference {
                model: "face_detection_full_range",
                source: format!(
                    "input {w}×{h}: sides must be multiples of {DETECTOR_ALIGN} up to {DETECTOR_SIZE}"
                )
                .into(),
            });
        }
        // A poisoned lock only means another thread panicked while inserting a plan; the
        // plans in the map are whole. The lock is not held while a plan is prepared, so other
        // threads keep running theirs (two threads may prepare the same new size once).
        let lock = || {
            self.detectors
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if let Some(plan) = lock().get(&(h, w)) {
            return Ok(plan.clone());
        }
        let plan = detector_plan_for(
            self.detector_net.clone(),
            &self.dir.join(DETECTOR_FILE),
            h,
            w,
            Ops::Direct,
        )?;
        let plan = lock().entry((h, w)).or_insert(plan).clone();
        Ok(plan)
    }

    pub(crate) fn mesh(&self, input: Vec<f32>) -> Result<MeshOutput> {
        let out = run(&self.mesh, "face_landmark", input, MESH_SIZE, MESH_SIZE)?;
        let points = flat(&out, 0, MESH_POINTS * 3, "face_landmark")?;
        let presence = flat(&out, 1, 1, "face_landmark")?;
        Ok(MeshOutput {
            points,
            presence_logit: presence[0],
        })
    }

    pub(crate) fn iris(&self, input: Vec<f32>) -> Result<IrisOutput> {
        let out = run(&self.iris, "iris_landmark", input, IRIS_SIZE, IRIS_SIZE)?;
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
        // The packages' resource folder (Tauri's resource dir for `/usr/bin/bestpick-app`).
        dirs.push(exe_dir.join("../lib/bestpick/models"));
        dirs.push(exe_dir.join("../share/bestpick/models"));
    }
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/models"));
    dirs
}

fn load_plan(path: &Path, side: usize, direct: DirectOps, ops: Ops) -> Result<Plan> {
    let net = onnx().model_for_path(path).map_err(|e| Error::ModelLoad {
        path: path.to_path_buf(),
        source: e.into(),
    })?;
    plan_for(net, path, side, side, |model| match ops {
        Ops::Direct => direct.replace(model),
        Ops::Tract => Ok(()),
    })
}

/// The detector network with its input size left open.
///
/// The converted model's three `Resize` ops (the ×2 upsampling of its feature pyramid) name
/// their output sizes for a 192×192 input; they are rewritten here, in memory, to scale by 2
/// instead, which gives the same result at 192×192 and lets the convolutional network run on
/// any input whose sides are multiples of 32. The file itself is not changed.
fn load_detector(path: &Path) -> Result<InferenceModel> {
    let load = || -> TractResult<InferenceModel> {
        let mut proto = onnx().proto_model_for_path(path)?;
        let graph = proto.graph.as_mut().context("model has no graph")?;
        let scales_name = "bestpick_resize_scales_x2";
        let mut rewritten = 0;
        for node in graph.node.iter_mut().filter(|n| n.op_type == "Resize") {
            // `Upsample2x` replaces these in the plans: it computes exactly this mode.
            let text = |name: &str| {
                node.attribute
                    .iter()
                    .find(|a| a.name == name)
                    .map(|a| String::from_utf8_lossy(&a.s).into_owned())
            };
            if text("mode").as_deref() != Some("linear")
                || text("coordinate_transformation_mode").as_deref() != Some("half_pixel")
            {
                bail!(
                    "Resize node {} is not linear with half_pixel coordinates",
                    node.name
                );
            }
            // Inputs: X, roi, scales, sizes. Keep X and roi, scale by 2, drop sizes.
            if node.input.len() != 4 {
                bail!(
                    "Resize node {} has {} inputs, expected 4",
                    node.name,
                    node.input.len()
                );
            }
            node.input.truncate(2);
            node.input.push(scales_name.to_string());
            rewritten += 1;
        }
        if rewritten != DETECTOR_RESIZES {
            bail!("expected {DETECTOR_RESIZES} Resize nodes, found {rewritten}");
        }
        graph.initializer.push(tract_onnx::pb::TensorProto {
            name: scales_name.to_string(),
            dims: vec![4],
            data_type: tract_onnx::pb::tensor_proto::DataType::Float as i32,
            float_data: vec![1.0, 1.0, 2.0, 2.0],
            ..Default::default()
        });
        // The file records 192×192 shapes for its inner tensors: let tract infer them.
        graph.value_info.clear();
        for value in graph.input.iter_mut().chain(graph.output.iter_mut()) {
            if let Some(tract_onnx::pb::type_proto::Value::TensorType(t)) =
                value.r#type.as_mut().and_then(|t| t.value.as_mut())
            {
                t.shape = None;
            }
        }
        onnx().model_for_proto_model(&proto)
    };
    load().map_err(|e| Error::ModelLoad {
        path: path.to_path_buf(),
        source: e.into(),
    })
}

/// How a plan computes the detector's three ×2 upsamplings, every model's 3×3 depthwise
/// convolutions and 2×2 max pools, and the mesh's and iris model's PReLU activations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ops {
    /// [`Upsample2x`](crate::upsample::Upsample2x),
    /// [`Depthwise3x3`](crate::depthwise::Depthwise3x3),
    /// [`MaxPool2x2`](crate::maxpool::MaxPool2x2) and [`PRelu`](crate::prelu::PRelu): the
    /// same arithmetic as tract's `Resize`, `DepthWiseConv`, `MaxPool` and the
    /// comparison-product-select that spells a PReLU, without their per-element plans, zone
    /// scans, per-tap bounds tests and boolean maps.
    Direct,
    /// tract's own ops (kept to check that the two agree bit for bit).
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "the reference, used by the tests")
    )]
    Tract,
}

/// Detector input sizes (height, width) whose plans are made at load: 3:2 and 4:3 landscape
/// frames (192×128, 192×160) and the close-up pass's canvas, which every frame without a face
/// in the plain pass needs. Portrait frames, square tiles and other shapes get theirs when
/// first asked for.
const PREPARED_DETECTOR_SIZES: [(usize, usize); 3] = [
    (128, DETECTOR_SIZE),
    (160, DETECTOR_SIZE),
    (
        crate::detect::CLOSE_UP_CANVAS_PX as usize,
        crate::detect::CLOSE_UP_CANVAS_PX as usize,
    ),
];

/// Number of `Resize` nodes in the detector (checked when it is loaded).
const DETECTOR_RESIZES: usize = 3;
/// Number of 3×3 depthwise convolutions, 2×2 max pools and PReLU activations in an optimized
/// model, computed directly (checked for each plan).
#[derive(Debug, Clone, Copy)]
struct DirectOps {
    depthwise: usize,
    maxpools: usize,
    prelus: usize,
}
impl DirectOps {
    /// Replaces the ops in the optimized `model`, checking each count.
    fn replace(self, model: &mut TypedModel) -> TractResult<()> {
        replace_depthwise(model, self.depthwise)?;
        replace_maxpools(model, self.maxpools)?;
        replace_prelus(model, self.prelus)
    }
}

const DETECTOR_OPS: DirectOps = DirectOps {
    depthwise: 40,
    maxpools: 4,
    prelus: 0,
};
const MESH_OPS: DirectOps = DirectOps {
    depthwise: 20,
    maxpools: 5,
    prelus: 23,
};
const IRIS_OPS: DirectOps = DirectOps {
    depthwise: 26,
    maxpools: 6,
    prelus: 53,
};

/// A runnable detector plan of `net` (loaded from `path`) for `h`×`w` inputs.
fn detector_plan_for(
    net: InferenceModel,
    path: &Path,
    h: usize,
    w: usize,
    ops: Ops,
) -> Result<Plan> {
    plan_for(net, path, h, w, |model| match ops {
        Ops::Direct => {
            replace_resizes(model, DETECTOR_RESIZES)?;
            DETECTOR_OPS.replace(model)
        }
        Ops::Tract => Ok(()),
    })
}

/// A runnable plan of `net` (loaded from `path`) for `h`×`w` inputs; `rewrite` may change the
/// optimized model before it is made runnable.
fn plan_for(
    net: InferenceModel,
    path: &Path,
    h: usize,
    w: usize,
    rewrite: impl FnOnce(&mut TypedModel) -> TractResult<()>,
) -> Result<Plan> {
    let prepare = || -> TractResult<Plan> {
        let mut model = net
            .with_input_fact(0, f32::fact([1, 3, h, w]).into())?
            .into_optimized()?;
        rewrite(&mut model)?;
        model.into_runnable()
    };
    prepare().map_err(|e| Error::ModelLoad {
        path: path.to_path_buf(),
        source: e.into(),
    })
}

fn run(
    plan: &Plan,
    model: &'static str,
    input: Vec<f32>,
    h: usize,
    w: usize,
) -> Result<TVec<TValue>> {
    let infer = || -> TractResult<TVec<TValue>> {
        let tensor = Tensor::from_shape(&[1, 3, h, w], &input)?;
        let out = plan.run(tvec!(tensor.into()));
        clear_upper_vector_state();
        out
    };
    infer().map_err(|e| Error::Inference {
        model,
        source: e.into(),
    })
}

/// Tells the CPU that the upper halves of the vector registers are no longer in use.
///
/// tract's hand-written AVX-512 kernels can return with those halves dirty. The rest of the
/// program is built for plain x86-64, whose SSE instructions then each wait on the dirty upper
/// state: measured here, the JPEG measures took 13 ms per frame instead of 7.5 ms for as
/// long as faces were analyzed, and the decoder ~5 % longer. `vzeroupper` after each run
/// clears it.
fn clear_upper_vector_state() {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU supports AVX (checked above), which is all `_mm256_zeroupper`
        // needs; it only zeroes the upper halves of the vector registers, which no Rust code
        // holds live across this call.
        unsafe { std::arch::x86_64::_mm256_zeroupper() }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::{Norm, to_tensor};

    /// Rewriting the upsampling to scale factors changes nothing at the size the file was
    /// made for: on a real photo, the rewritten detector's output is the original's.
    #[test]
    fn the_rewritten_detector_matches_the_file_at_192() {
        let dir = FaceModels::find_dir().expect("models folder");
        let models = FaceModels::load(&dir).expect("models load");
        let side = DETECTOR_SIZE;
        let original = onnx()
            .model_for_path(dir.join(DETECTOR_FILE))
            .and_then(|m| m.with_input_fact(0, f32::fact([1, 3, side, side]).into()))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .expect("original model loads");
        let img = image::open(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/fr_two_people.jpg"
        ))
        .expect("fixture")
        .resize_exact(
            side as u32,
            side as u32,
            image::imageops::FilterType::Triangle,
        )
        .to_rgb8();
        let input = to_tensor(&img, Norm::SignedUnit);
        let want = run(&original, "original", input.clone(), side, side).expect("original runs");
        let got = models.detect(input, side, side).expect("rewritten runs");
        let anchors = (side / DETECTOR_STRIDE).pow(2);
        let want_reg = flat(&want, 0, anchors * 16, "original").expect("regressors");
        let want_logits = flat(&want, 1, anchors, "original").expect("logits");
        let worst = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0f32, f32::max)
        };
        assert!(worst(&got.regressors, &want_reg) < 1e-3);
        assert!(worst(&got.logits, &want_logits) < 1e-3);
        assert!(
            got.logits.iter().any(|&l| l > 0.0),
            "the photo's faces are detected"
        );
    }

    /// A licensed test photo squeezed to `w`×`h`, as a model input.
    fn fixture_input(name: &str, w: usize, h: usize, norm: Norm) -> Vec<f32> {
        let img = image::open(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name),
        )
        .expect("fixture")
        .resize_exact(w as u32, h as u32, image::imageops::FilterType::Triangle)
        .to_rgb8();
        to_tensor(&img, norm)
    }

    /// Every output of `plan` on `input`, as bits.
    fn output_bits(plan: &Plan, input: &[f32], h: usize, w: usize) -> Vec<Vec<u32>> {
        run(plan, "test", input.to_vec(), h, w)
            .expect("runs")
            .iter()
            .map(|t| {
                let t = t.try_as_plain_ram().expect("plain tensor");
                let v = t.as_slice::<f32>().expect("f32 output");
                v.iter().map(|x| x.to_bits()).collect()
            })
            .collect()
    }

    /// `Upsample2x`, `Depthwise3x3` and `MaxPool2x2` in place of tract's `Resize`,
    /// `DepthWiseConv` and `MaxPool` change no bit of the detector's output, at the input
    /// sizes the detection uses (landscape, portrait, square tiles, the close-up canvas, the
    /// narrowest panorama), on both licensed photos.
    #[test]
    fn direct_ops_give_the_detector_output_bit_for_bit() {
        let dir = FaceModels::find_dir().expect("models folder");
        let path = dir.join(DETECTOR_FILE);
        let net = load_detector(&path).expect("detector loads");
        for (h, w) in [(128, 192), (192, 128), (192, 192), (96, 96), (32, 192)] {
            let direct =
                detector_plan_for(net.clone(), &path, h, w, Ops::Direct).expect("direct plan");
            let tract =
                detector_plan_for(net.clone(), &path, h, w, Ops::Tract).expect("tract plan");
            for name in ["fr_two_people.jpg", "mpl_grace_hopper.jpg"] {
                let input = fixture_input(name, w, h, Norm::SignedUnit);
                let got = output_bits(&direct, &input, h, w);
                let want = output_bits(&tract, &input, h, w);
                assert_eq!(got.len(), 2, "{name} {w}×{h}: two outputs");
                assert!(got == want, "{name} {w}×{h}: outputs differ");
                let best = want[1]
                    .iter()
                    .map(|&b| f32::from_bits(b))
                    .fold(f32::MIN, f32::max);
                if h >= 128 && w >= 128 {
                    assert!(best > 0.0, "{name} {w}×{h}: the face is detected");
                }
            }
        }
    }

    /// Every input size the detection can ask for (the longer side 192, the other a multiple
    /// of 32; the close-up canvas) gets a plan with all 40 depthwise convolutions and 4 max
    /// pools computed directly (the plan builder checks the counts).
    #[test]
    fn direct_plans_are_made_at_every_detector_input_size() {
        let dir = FaceModels::find_dir().expect("models folder");
        let path = dir.join(DETECTOR_FILE);
        let net = load_detector(&path).expect("detector loads");
        let mut sizes = vec![(96, 96)];
        for short in (DETECTOR_ALIGN..=DETECTOR_SIZE).step_by(DETECTOR_ALIGN) {
            sizes.push((short, DETECTOR_SIZE));
            sizes.push((DETECTOR_SIZE, short));
        }
        for (h, w) in sizes {
            if let Err(e) = detector_plan_for(net.clone(), &path, h, w, Ops::Direct) {
                panic!("{w}×{h}: {e} ({:?})", std::error::Error::source(&e));
            }
        }
    }

    /// The same for the face mesh and the iris model: `Depthwise3x3`, `MaxPool2x2` and
    /// `PRelu` change no bit of any of their outputs.
    #[test]
    fn direct_ops_give_the_mesh_and_iris_outputs_bit_for_bit() {
        let dir = FaceModels::find_dir().expect("models folder");
        for (file, side, direct_ops, outputs) in [
            (MESH_FILE, MESH_SIZE, MESH_OPS, 2),
            (IRIS_FILE, IRIS_SIZE, IRIS_OPS, 2),
        ] {
            let path = dir.join(file);
            let direct = load_plan(&path, side, direct_ops, Ops::Direct).expect("direct plan");
            let tract = load_plan(&path, side, direct_ops, Ops::Tract).expect("tract plan");
            for name in ["fr_two_people.jpg", "mpl_grace_hopper.jpg"] {
                let input = fixture_input(name, side, side, Norm::Unit);
                let got = output_bits(&direct, &input, side, side);
                let want = output_bits(&tract, &input, side, side);
                assert_eq!(got.len(), outputs, "{file} on {name}: outputs");
                assert!(got == want, "{file} on {name}: outputs differ");
            }
        }
    }

    #[test]
    fn detector_inputs_of_other_sizes_are_refused_with_the_reason() {
        let models = FaceModels::locate().expect("models");
        for (h, w) in [(100, 192), (192, 224), (0, 192)] {
            let err = models
                .detect(vec![0.0; 3 * h * w], h, w)
                .err()
                .and_then(|e| std::error::Error::source(&e).map(ToString::to_string))
                .unwrap_or_default();
            assert!(err.contains("multiples of 32"), "{h}×{w}: {err}");
        }
    }

    /// Time per op kind of each model's plan, run on a constant input (release build:
    /// `cargo test --release -p bestpick-faces --lib op_latency -- --ignored --nocapture`).
    #[test]
    #[ignore = "timing report; run in release with --ignored --nocapture"]
    fn op_latency() {
        use std::collections::BTreeMap;
        use std::time::Instant;
        let dir = FaceModels::find_dir().expect("models folder");
        let path = dir.join(DETECTOR_FILE);
        let net = load_detector(&path).expect("detector loads");
        let close = crate::detect::CLOSE_UP_CANVAS_PX as usize;
        for (name, h, w) in [
            ("detector", 128, DETECTOR_SIZE),
            ("detector, close-up", close, close),
            ("face mesh", MESH_SIZE, MESH_SIZE),
            ("iris", IRIS_SIZE, IRIS_SIZE),
        ] {
            let plan = match name {
                "face mesh" => load_plan(&dir.join(MESH_FILE), h, MESH_OPS, Ops::Direct),
                "iris" => load_plan(&dir.join(IRIS_FILE), h, IRIS_OPS, Ops::Direct),
                _ => detector_plan_for(net.clone(), &path, h, w, Ops::Direct),
            }
            .expect("plan");
            let (warm, runs) = (10, 50);
            let mut times: BTreeMap<String, (f64, usize)> = BTreeMap::new();
            for i in 0..warm + runs {
                let input =
                    Tensor::from_shape(&[1, 3, h, w], &vec![0.1f32; 3 * h * w]).expect("input");
                let mut state =
                    tract_onnx::tract_core::plan::SimpleState::new(&plan).expect("state");
                state
                    .run_plan_with_eval(tvec!(input.into()), |ctx, st, node, inputs| {
                        let t = Instant::now();
                        let out = tract_onnx::tract_core::plan::eval(ctx, st, node, inputs);
                        if i >= warm {
                            let e = times.entry(node.op.name().to_string()).or_default();
                            e.0 += t.elapsed().as_secs_f64() * 1e3 / runs as f64;
                            e.1 += 1;
                        }
                        out
                    })
                    .expect("runs");
            }
            let total: f64 = times.values().map(|v| v.0).sum();
            println!("{name}, {w}×{h}: {total:.2} ms a run");
            let mut ops: Vec<_> = times.into_iter().collect();
            ops.sort_by(|a, b| b.1.0.total_cmp(&a.1.0));
            for (op, (ms, count)) in ops {
                println!("  {op:28} {ms:6.3} ms ({} nodes)", count / runs);
            }
        }
    }
}
