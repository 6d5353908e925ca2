//! The crate's error type.

use fmnist_core::InputError;

/// Everything that can go wrong while fitting or applying a decomposition.
///
/// Bad input is always reported as one of these, never as a panic.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DecompError {
    /// Data that no estimator can use: empty, non-finite, or of another width than the model's
    /// (features for `transform`, components for `inverse_transform`).
    #[error(transparent)]
    Input(#[from] InputError),

    /// A parameter is out of its range, whatever the data.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter's name (as its builder method).
        name: &'static str,
        /// What the valid range is.
        reason: &'static str,
    },

    /// The number of components is larger than `min(samples, features)`.
    #[error("cannot keep {n_components} components of {n_samples} samples x {n_features} features: it must be between 1 and {}", n_samples.min(n_features))]
    InvalidComponentCount {
        /// The requested number of components.
        n_components: usize,
        /// Samples of the data.
        n_samples: usize,
        /// Features of the data.
        n_features: usize,
    },

    /// The eigen- or singular value decomposition did not converge.
    #[error("the {0} did not converge")]
    NoConvergence(&'static str),
}

/// `Result` with [`DecompError`].
pub type Result<T> = std::result::Result<T, DecompError>;
