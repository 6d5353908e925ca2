//! One EM run: alternate E- and M-steps until the mean log-likelihood (the lower bound) changes
//! by less than `tol`, as scikit-learn's `BaseMixture.fit`; for equal-size components, a free
//! run and then a constrained one.

use super::ComponentSizes;
use super::balance::balance;
use super::components::Components;
use super::estep::{Wanted, mean, normalise, weighted_log_prob};
use super::rows::Rows64;
use crate::error::{ClusterError, Result};

/// What one run ends with.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub components: Components,
    pub lower_bound: f64,
    pub history: Vec<f64>,
    pub n_iter: usize,
    pub converged: bool,
}

/// Settings of a run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub max_iter: usize,
    pub tol: f64,
    pub reg_covar: f64,
    pub sizes: ComponentSizes,
}

/// Iterates EM from `start` on `x` with the component sizes of `s`: for
/// [`ComponentSizes::Equal`], free EM to convergence and then EM under the equal-size
/// constraint from where it stopped (one history, `n_iter` counting both).
///
/// # Errors
/// As [`iterate`].
pub(crate) fn run(x: &Rows64, start: Components, s: Settings) -> Result<Run> {
    let free = iterate(x, start, s, false)?;
    if s.sizes == ComponentSizes::Free {
        return Ok(free);
    }
    let mut equal = iterate(x, free.components, s, true)?;
    let mut history = free.history;
    history.append(&mut equal.history);
    Ok(Run {
        history,
        n_iter: free.n_iter + equal.n_iter,
        ..equal
    })
}

/// Iterates EM from `start` on `x`; `balanced`: with weights fixed at `1 / k` and balanced
/// responsibilities, the lower bound being the constrained one.
///
/// # Errors
/// [`ClusterError::CollapsedComponent`] where a covariance stops being positive definite or
/// the likelihood stops being finite, [`ClusterError::UnreachableEqualSizes`] where the
/// balanced E-step does not converge.
fn iterate(x: &Rows64, start: Components, s: Settings, balanced: bool) -> Result<Run> {
    let k = start.k();
    let uniform = |c: &mut Components| c.weights.fill(1.0 / k as f64);
    let mut components = start;
    if balanced {
        uniform(&mut components);
    }
    let mut potentials = vec![0.0; k];
    let mut resp = vec![0.0; x.n * k];
    let mut lower_bound = f64::NEG_INFINITY;
    let mut history = Vec::new();
    let mut converged = false;
    let mut n_iter = 0;
    for _ in 0..s.max_iter {
        n_iter += 1;
        let previous = lower_bound;
        weighted_log_prob(x, &components, Wanted::Responsibilities, &mut resp);
        lower_bound = mean(&if balanced {
            balance(&mut resp, k, &mut potentials).map_err(|e| {
                ClusterError::UnreachableEqualSizes {
                    relative_error: e.relative_error,
                    reg_covar: s.reg_covar,
                }
            })?
        } else {
            normalise(&mut resp, k)
        });
        if !lower_bound.is_finite() {
            return Err(ClusterError::CollapsedComponent {
                component: narrowest(&components),
                reg_covar: s.reg_covar,
            });
        }
        history.push(lower_bound);
        components = super::mstep::estimate(x, &resp, k, components.kind, s.reg_covar)?;
        if balanced {
            uniform(&mut components);
        }
        if (lower_bound - previous).abs() < s.tol {
            converged = true;
            break;
        }
    }
    Ok(Run {
        components,
        lower_bound,
        history,
        n_iter,
        converged,
    })
}

/// The component with the largest precision determinant: the likeliest culprit of an
/// infinite likelihood.
fn narrowest(c: &Components) -> usize {
    (0..c.k())
        .map(|j| (c.log_det_precision_cholesky(j), j))
        .fold((f64::NEG_INFINITY, 0), |best, v| {
            if v.0 > best.0 || v.0.is_nan() {
                v
            } else {
                best
            }
        })
        .1
}
