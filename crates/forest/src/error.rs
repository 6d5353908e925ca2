//! The errors of this crate.

use thiserror::Error;

/// What can go wrong when fitting a forest or predicting with it.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    /// The feature matrix has no rows or no columns.
    #[error("no data: the feature matrix is {rows} x {cols}")]
    EmptyData {
        /// Rows (samples) of the matrix.
        rows: usize,
        /// Columns (features) of the matrix.
        cols: usize,
    },
    /// The number of labels differs from the number of rows.
    #[error("{labels} labels for {rows} rows")]
    LabelCountMismatch {
        /// Rows of the feature matrix.
        rows: usize,
        /// Labels given.
        labels: usize,
    },
    /// An `f32` feature is NaN (infinities are fine: they fall into the outer bins).
    #[error("feature {col} of row {row} is NaN")]
    NotANumber {
        /// Row of the first NaN.
        row: usize,
        /// Column of the first NaN.
        col: usize,
    },
    /// The matrix given to `predict` has another number of features than the one fitted on.
    #[error("the forest was fitted on {expected} features, got {found}")]
    FeatureCountMismatch {
        /// Features at fit time.
        expected: usize,
        /// Features given now.
        found: usize,
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

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
