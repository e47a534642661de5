//! The crate's one error type.

use std::path::PathBuf;

/// Boxed source error (tract reports `anyhow`-style errors, which are not `std::error::Error`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong while loading the models or analysing one image.
///
/// Sorted by who must act: a missing or broken model file is an installation problem (the
/// packager's), an inference failure is a bug or a corrupt model (ours).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No directory holding the four model files was found.
    #[error(
        "face models not found (set BESTPICK_MODELS to the folder holding {file}); searched: {}",
        searched.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    ModelsNotFound {
        /// The first model file looked for.
        file: &'static str,
        /// Every directory that was tried, in order.
        searched: Vec<PathBuf>,
    },
    /// A model file exists but could not be read, parsed or optimized.
    #[error("cannot load face model {}", path.display())]
    ModelLoad {
        /// The `.onnx` file.
        path: PathBuf,
        /// What tract said.
        #[source]
        source: BoxError,
    },
    /// A model ran but failed, or returned tensors of an unexpected shape.
    #[error("face model {model} failed to run")]
    Inference {
        /// The model's file stem (e.g. `face_landmark`).
        model: &'static str,
        /// What tract said.
        #[source]
        source: BoxError,
    },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
