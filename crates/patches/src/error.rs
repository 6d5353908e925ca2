//! The crate's error type.

/// Everything that can go wrong while fitting or applying patch features.
///
/// Bad input is always reported as one of these, never as a panic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PatchError {
    /// Images that no estimator can use: none, a pixel count other than the image shape's, or
    /// a NaN or ±inf pixel (named by image and pixel).
    #[error(transparent)]
    Input(#[from] fmnist_core::InputError),

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
