//! The crate's error type, shared by every estimator in it.

/// Everything that can go wrong while fitting or applying a clustering model.
///
/// Bad input is always reported as one of these, never as a panic.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The data matrix has no rows.
    #[error("the data has no samples (0 rows)")]
    EmptyInput,

    /// The data matrix has no columns.
    #[error("the data has no features (0 columns)")]
    NoFeatures,

    /// The number of clusters is 0 or larger than the number of samples.
    #[error(
        "cannot make {k} clusters from {n_samples} samples: k must be between 1 and the number of samples"
    )]
    InvalidClusterCount {
        /// The requested number of clusters.
        k: usize,
        /// The number of samples available.
        n_samples: usize,
    },

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

    /// The data has a different number of features from the data the model was fitted on
    /// (or from the given initial centroids).
    #[error("expected {expected} features, got {found}")]
    FeatureMismatch {
        /// Features of the fitted model.
        expected: usize,
        /// Features of the data passed in.
        found: usize,
    },

    /// A mixture component's covariance stopped being positive definite (too few samples, or
    /// samples that coincide along some direction); a larger `reg_covar` keeps it invertible.
    #[error(
        "mixture component {component} collapsed: its covariance is not positive definite (too few or identical samples); increase reg_covar (now {reg_covar:e}) or reduce the number of components"
    )]
    CollapsedComponent {
        /// Index of the collapsed component.
        component: usize,
        /// The `reg_covar` the fit used.
        reg_covar: f64,
    },

    /// Equal component sizes could not be reached: the balanced E-step did not converge,
    /// because a nearly collapsed component's log-densities lie so far below the others' that
    /// the shift it needs swamps them in floating point.
    #[error(
        "equal component sizes could not be reached: a component's share is still off by {relative_error:e} of n/k, as a nearly collapsed component's densities are too far below the others'; increase reg_covar (now {reg_covar:e}) or use free component sizes"
    )]
    UnreachableEqualSizes {
        /// The largest error of a component's share, relative to `n / k`, when it stopped.
        relative_error: f64,
        /// The `reg_covar` the fit used.
        reg_covar: f64,
    },

    /// A parameter is out of its valid range; the message says which and why.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
}

/// `Result` with [`ClusterError`].
pub type Result<T> = std::result::Result<T, ClusterError>;
