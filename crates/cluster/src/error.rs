//! The crate's error type, shared by every estimator in it.

/// Everything that can go wrong while fitting or applying a clustering model.
///
/// Bad input is always reported as one of these, never as a panic.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The data cannot be used: empty, non-finite, of the wrong width, or fewer samples than
    /// clusters (given centroids or means of the wrong width included).
    #[error(transparent)]
    Input(#[from] fmnist_core::InputError),

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
