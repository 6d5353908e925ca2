//! The crate's error type.

/// Everything that can go wrong while fitting or applying an embedding.
///
/// Bad input is always reported as one of these, never as a panic.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifoldError {
    /// The data matrix has no rows.
    #[error("the data has no samples (0 rows)")]
    EmptyInput,

    /// The data matrix has no columns.
    #[error("the data has no features (0 columns)")]
    NoFeatures,

    /// A feature is NaN or infinite.
    #[error("the data contains the non-finite value {value} at row {row}, column {col}")]
    NonFinite {
        /// Row (sample) of the offending value.
        row: usize,
        /// Column (feature) of the offending value.
        col: usize,
        /// The value itself (NaN or ±infinity).
        value: f32,
    },

    /// Too few samples for the neighbourhood size: each sample needs `n_neighbors - 1` others
    /// (the sample itself is its own first neighbour, as in umap-learn).
    #[error(
        "{n_samples} samples are too few for n_neighbors = {n_neighbors}: at least n_neighbors + 1 are needed"
    )]
    TooFewSamples {
        /// Samples given.
        n_samples: usize,
        /// The requested neighbourhood size.
        n_neighbors: usize,
    },

    /// The data has a different number of features from the data the model was fitted on.
    #[error("expected {expected} features, got {found}")]
    FeatureMismatch {
        /// Features of the fitted model.
        expected: usize,
        /// Features of the data passed in.
        found: usize,
    },

    /// A parameter is out of its valid range; the message says which and why.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
}

/// `Result` with [`ManifoldError`].
pub type Result<T> = std::result::Result<T, ManifoldError>;
