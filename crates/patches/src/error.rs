//! The crate's error type.

/// Everything that can go wrong while fitting or applying patch features.
///
/// Bad input is always reported as one of these, never as a panic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PatchError {
    /// The image matrix has no rows.
    #[error("no images to {0}")]
    NoImages(&'static str),

    /// The image matrix's column count is not the configured image's pixel count.
    #[error("expected images of {rows} x {cols} = {} pixels per row, got {found} columns", rows * cols)]
    ShapeMismatch {
        /// Rows of the configured image shape.
        rows: usize,
        /// Columns of the configured image shape.
        cols: usize,
        /// Columns of the matrix passed in.
        found: usize,
    },

    /// A parameter is out of its range.
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParameter {
        /// The parameter's name (as its builder method).
        name: &'static str,
        /// Its value, as text.
        value: String,
        /// What the valid range is.
        reason: String,
    },

    /// A pixel is NaN or infinite.
    #[error("image {row} holds the non-finite value {value} at pixel {col}")]
    NonFinite {
        /// Row (image) of the offending value.
        row: usize,
        /// Column (pixel) of the offending value.
        col: usize,
        /// The value itself.
        value: f32,
    },

    /// The dictionary learner failed.
    #[error("learning the dictionary failed: {0}")]
    Dictionary(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// The dictionary learner returned a matrix of the wrong shape or with non-finite entries.
    #[error(
        "the dictionary learner returned {found}, expected a finite {expected_rows} x {expected_cols} matrix"
    )]
    BadDictionary {
        /// Centroids asked for.
        expected_rows: usize,
        /// Values per (whitened) patch.
        expected_cols: usize,
        /// What came back, in words.
        found: String,
    },

    /// The symmetric eigendecomposition of the whitening did not converge.
    #[error("the eigendecomposition of the patch covariance did not converge")]
    NoConvergence,
}

/// `Result` with [`PatchError`].
pub type Result<T> = std::result::Result<T, PatchError>;
