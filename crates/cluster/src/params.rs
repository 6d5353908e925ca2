//! Checks of the parameters that K-Means and the Gaussian mixture share: the number of
//! clusters, of runs and of iterations, tolerances, and given starting points.

use nalgebra::DMatrix;

use crate::error::{ClusterError, Result};

/// `Err(InvalidParameter(message))`.
pub(crate) fn invalid<T>(message: String) -> Result<T> {
    Err(ClusterError::InvalidParameter(message))
}

/// Checks `k`, `n_init` and `max_iter` (each at least 1) and `tol` (finite, non-negative).
pub(crate) fn check_runs(k: usize, n_init: usize, max_iter: usize, tol: f64) -> Result<()> {
    for (name, value) in [("k", k), ("n_init", n_init), ("max_iter", max_iter)] {
        if value == 0 {
            return invalid(format!("{name} must be at least 1"));
        }
    }
    check_non_negative("tol", tol)
}

/// Checks that the parameter `name` is finite and non-negative.
pub(crate) fn check_non_negative(name: &str, value: f64) -> Result<()> {
    if value >= 0.0 && value.is_finite() {
        Ok(())
    } else {
        invalid(format!(
            "{name} must be finite and non-negative, got {value}"
        ))
    }
}

/// Checks given starting points (`what`: "centroids", "means"): `k` rows of finite values.
pub(crate) fn check_start(what: &str, start: &DMatrix<f32>, k: usize) -> Result<()> {
    if start.nrows() != k {
        return invalid(format!(
            "{} initial {what} given for k = {k}",
            start.nrows()
        ));
    }
    match fmnist_core::validate::first_non_finite(start.as_slice()) {
        None => Ok(()),
        Some(at) => invalid(format!(
            "initial {what} hold the non-finite value {} at row {}, column {}",
            start.as_slice()[at],
            at % k,
            at / k
        )),
    }
}
