//! The crate's error type.

/// Everything that can go wrong while fitting or applying a decomposition.
///
/// Bad input is always reported as one of these, never as a panic.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DecompError {
    /// The data matrix has no rows or no columns.
    #[error("the data is empty ({rows} x {cols})")]
    EmptyInput {
        /// Rows of the data.
        rows: usize,
        /// Columns of the data.
        cols: usize,
    },

    /// The number of components is 0 or larger than `min(samples, features)`.
    #[error("cannot keep {n_components} components of {n_samples} samples x {n_features} features: it must be between 1 and {}", n_samples.min(n_features))]
    InvalidComponentCount {
        /// The requested number of components.
        n_components: usize,
        /// Samples of the data.
        n_samples: usize,
        /// Features of the data.
        n_features: usize,
    },

    /// A feature is NaN or infinite.
    #[error("the data contains the non-finite value {value} at row {row}, column {col}")]
    NonFinite {
        /// Row (sample) of the offending value.
        row: usize,
        /// Column (feature) of the offending value.
        col: usize,
        /// The value itself.
        value: f32,
    },

    /// The data has a different number of columns from what the model expects.
    #[error("expected {expected} columns, got {found}")]
    ShapeMismatch {
        /// Columns the model expects (features for `transform`, components for
        /// `inverse_transform`).
        expected: usize,
        /// Columns of the data passed in.
        found: usize,
    },

    /// The eigen- or singular value decomposition did not converge.
    #[error("the {0} did not converge")]
    NoConvergence(&'static str),
}

/// `Result` with [`DecompError`].
pub type Result<T> = std::result::Result<T, DecompError>;
