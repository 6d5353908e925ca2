//! The crate's error type.

/// Everything that can go wrong while fitting or applying an embedding.
///
/// Bad input is always reported as one of these, never as a panic.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifoldError {
    /// The data cannot be used: empty, non-finite, or of another width than the data the model
    /// was fitted on.
    #[error(transparent)]
    Input(#[from] fmnist_core::InputError),

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

    /// A point lies so far from the centre of the reference data (after the shift by its
    /// column means) that its `f32` squared distances could overflow: its squared norm is above
    /// about 4.3e37 (a distance of about 6.5e18), or not finite.
    #[error(
        "row {row} lies too far from the centre of the data for f32 distances (squared distance {sq_norm:e}, at most about 4.3e37)"
    )]
    TooFar {
        /// The row of the data.
        row: usize,
        /// Its squared distance from the centre.
        sq_norm: f32,
    },

    /// A parameter is out of its valid range; the message says which and why.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
}

/// `Result` with [`ManifoldError`].
pub type Result<T> = std::result::Result<T, ManifoldError>;
