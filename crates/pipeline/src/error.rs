//! The pipeline's error type.

use std::path::PathBuf;

/// What can go wrong while running the study or writing its outputs.
///
/// A stage's failure says which stage in its message and carries the building block's error as
/// its [`source`](std::error::Error::source), which says what and where (print the chain, as
/// `anyhow`'s `{:#}` does).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Reading or writing data or outputs.
    #[error(transparent)]
    Io(#[from] fmnist_io::DataError),
    /// A metric could not be computed.
    #[error(transparent)]
    Eval(#[from] fmnist_eval::EvalError),
    /// PCA failed.
    #[error("PCA failed")]
    Decomp(#[from] fmnist_decomp::DecompError),
    /// K-Means or the Gaussian mixture failed.
    #[error("clustering failed")]
    Cluster(#[from] fmnist_cluster::ClusterError),
    /// A Random Forest failed.
    #[error("the random forest failed")]
    Forest(#[from] fmnist_forest::ForestError),
    /// The autoencoder failed.
    #[error("the autoencoder failed")]
    Autoencoder(#[from] fmnist_autoencoder::AutoencoderError),
    /// The UMAP embedding failed.
    #[error("UMAP failed")]
    Manifold(#[from] fmnist_manifold::ManifoldError),
    /// The patch features failed.
    #[error("the patch features failed")]
    Patches(#[from] fmnist_patches::PatchError),
    /// A model file could not be written or read.
    #[error(transparent)]
    Model(#[from] crate::model_file::ModelFileError),
    /// No pipeline has this name.
    #[error(
        "no pipeline is called {name:?}; the pipelines are {known} (`fmnist pipelines` describes them)"
    )]
    UnknownPipeline {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: String,
    },
    /// Images of another size than the model's.
    #[error("images of {found} pixels, but the model takes {rows} x {cols} = {} pixels", rows * cols)]
    ImageSize {
        /// Pixels per image given.
        found: usize,
        /// Rows of the model's images.
        rows: usize,
        /// Columns of the model's images.
        cols: usize,
    },
    /// A figure could not be drawn.
    #[error("figure: {0}")]
    Figure(String),
    /// A README lacks the markers around a generated section.
    #[error("README: {0}")]
    Readme(String),
    /// A JSON file could not be written or parsed (what serde_json reported is part of the
    /// message, and so not also the [`std::error::Error::source`]).
    #[error("{}: {error}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What serde_json reported.
        error: serde_json::Error,
    },
    /// A results file of another schema than `fmnist/v1`.
    #[error("{}: {found}; this version reads schema {}", path.display(), crate::schema::SCHEMA)]
    Schema {
        /// The file.
        path: PathBuf,
        /// What the file holds instead.
        found: String,
    },
}

/// Shorthand for `Result<T, fmnist_pipeline::PipelineError>`.
pub type Result<T, E = PipelineError> = std::result::Result<T, E>;

impl From<fmnist_core::FileError> for PipelineError {
    fn from(error: fmnist_core::FileError) -> Self {
        Self::Io(error.into())
    }
}
