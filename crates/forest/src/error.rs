//! The errors of this crate.

use thiserror::Error;

/// What can go wrong when fitting a forest or predicting with it.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum ForestError {
    /// Features that no estimator can use: no rows or no columns, a NaN or ±inf `f32` feature
    /// (named by row and column), or another number of features than the forest was fitted on.
    #[error(transparent)]
    Input(#[from] fmnist_core::InputError),
    /// The number of labels differs from the number of rows.
    #[error("{labels} labels for {rows} rows")]
    LabelCountMismatch {
        /// Rows of the feature matrix.
        rows: usize,
        /// Labels given.
        labels: usize,
    },
    /// `predict` got `u8` features for a forest fitted on `f32` features, or the reverse.
    #[error("the forest was fitted on {expected} features, got {found} features")]
    FeatureKindMismatch {
        /// `"u8"` or `"f32"`: the kind fitted on.
        expected: &'static str,
        /// The kind given now.
        found: &'static str,
    },
    /// A label column cannot hold this cluster label (`u8` columns hold 0..=255).
    #[error("label {label} at row {row} does not fit a u8 feature column (at most 255)")]
    LabelTooLarge {
        /// Row of the label.
        row: usize,
        /// The label.
        label: u64,
    },
    /// A class label does not fit the `u32` labels the forest returns.
    #[error("class label {label} at row {row} is larger than u32::MAX")]
    ClassLabelTooLarge {
        /// Row of the label.
        row: usize,
        /// The label.
        label: u64,
    },
    /// A parameter is out of its range; the message says which and why.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
}

/// `Result` with this crate's [`ForestError`].
pub type Result<T> = std::result::Result<T, ForestError>;
