//! One EM run: alternate E- and M-steps until the mean log-likelihood (the lower bound) changes
//! by less than `tol`, as scikit-learn's `BaseMixture.fit`; for equal-size components, a free
//! run and then a constrained one.

use super::ComponentSizes;
use super::balance::balance;
use super::components::{Components, Parameters};
use super::estep::{EStep, Wanted, mean, normalise, weighted_log_prob};
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

/// What [`iterate`] ends with: [`Run`] before the last parameters are factored.
struct Iterated {
    parameters: Parameters,
    lower_bound: f64,
    history: Vec<f64>,
    n_iter: usize,
    converged: bool,
}

/// Iterates EM from `start` on `x` with the component sizes of `s`: for
/// [`ComponentSizes::Equal`], free EM to convergence and then EM under the equal-size
/// constraint from where it stopped (one history, `n_iter` counting both).
///
/// # Errors
/// As [`iterate`], and [`ClusterError::CollapsedComponent`] where the last covariances are not
/// positive definite.
pub(crate) fn run(x: &Rows64, start: Parameters, s: Settings) -> Result<Run> {
    let mut end = iterate(x, start, s, false)?;
    if s.sizes == ComponentSizes::Equal {
        let equal = iterate(x, end.parameters, s, true)?;
        let mut history = end.history;
        history.extend(equal.history);
        end = Iterated {
            history,
            n_iter: end.n_iter + equal.n_iter,
            ..equal
        };
    }
    Ok(Run {
        components: Components::new(end.parameters, s.reg_covar)?,
        lower_bound: end.lower_bound,
        history: end.history,
        n_iter: end.n_iter,
        converged: end.converged,
    })
}

/// Iterates EM from `start` on `x`; `balanced`: with weights fixed at `1 / k` and balanced
/// responsibilities, the lower bound being the constrained one.
///
/// # Errors
/// [`ClusterError::CollapsedComponent`] where a covariance stops being positive definite or
/// the likelihood stops being finite, [`ClusterError::UnreachableEqualSizes`] where the
/// balanced E-step does not converge.
fn iterate(x: &Rows64, start: Parameters, s: Settings, balanced: bool) -> Result<Iterated> {
    let k = start.k();
    let uniform = |p: &mut Parameters| p.weights.fill(1.0 / k as f64);
    let mut parameters = start;
    if balanced {
        uniform(&mut parameters);
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
        let wanted = if balanced {
            Wanted::Balanced
        } else {
            Wanted::Responsibilities
        };
        let estep = EStep::new(&parameters, s.reg_covar)?;
        weighted_log_prob(x, &estep, wanted, &mut resp);
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
                component: narrowest(&estep, k),
                reg_covar: s.reg_covar,
            });
        }
        history.push(lower_bound);
        parameters = super::mstep::estimate(x, &resp, k, parameters.kind, s.reg_covar);
        if balanced {
            uniform(&mut parameters);
        }
        if (lower_bound - previous).abs() < s.tol {
            converged = true;
            break;
        }
    }
    Ok(Iterated {
        parameters,
        lower_bound,
        history,
        n_iter,
        converged,
    })
}

/// The component with the largest precision determinant: the likeliest culprit of an
/// infinite likelihood.
fn narrowest(e: &EStep, k: usize) -> usize {
    (0..k)
        .map(|j| (e.log_det_precision_cholesky(j), j))
        .fold((f64::NEG_INFINITY, 0), |best, v| {
            if v.0 > best.0 || v.0.is_nan() {
                v
            } else {
                best
            }
        })
        .1
}
