//! The E-step of equal-size mixtures ([`super::ComponentSizes::Equal`]): responsibilities
//! rescaled by Sinkhorn–Knopp so that every component receives `n / k` of the samples, the
//! equipartition constraint of Asano, Rupprecht & Vedaldi, "Self-labelling via simultaneous
//! clustering and representation learning" (ICLR 2020).
//!
//! With log-densities `ℓ_ij` the constrained E-step maximises `Σ_ij q_ij (ℓ_ij − ln q_ij)` over
//! responsibilities `q` whose rows sum to 1 and whose columns sum to `t = n / k`. Its solution
//! is `q_ij = exp(ℓ_ij + b_j − c_i)` with the row normalisers `c_i = ln Σ_j exp(ℓ_ij + b_j)`
//! and per-component potentials `b` that minimise the convex dual
//! `f(b) = Σ_i c_i(b) − t Σ_j b_j`, whose gradient is the column sums of `q` minus `t`.
//!
//! Alternating row and column normalisations (Sinkhorn–Knopp) reaches `b` only slowly when
//! components are far apart — hundreds of thousands of sweeps to reach 1e-13 on three separated
//! blobs — so `b` is found by Newton's method on `f` instead: the Hessian is
//! `diag(Σ_i q_i) − Σ_i q_i q_iᵀ` (`k x k`), the last potential is held at its value (`f` does
//! not change when every `b_j` moves together), and a backtracking line search keeps every
//! step a descent. Each evaluation is one parallel pass over the samples; a few passes suffice.

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use super::estep::log_sum_exp;
use crate::linalg::CHUNK;

/// The balancing stops once every component's share is within this relative error of `n / k`.
pub(crate) const TOLERANCE: f64 = 1e-10;

/// Newton steps at most per E-step.
const MAX_STEPS: usize = 100;

/// Halvings of a Newton step at most before it is taken anyway.
const MAX_HALVINGS: usize = 60;

/// The balancing did not converge within [`MAX_STEPS`] Newton steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Unbalanced {
    /// The largest error of a component's share, relative to `n / k`.
    pub relative_error: f64,
}

/// Turns log-densities (`n x k`, row-major) into balanced responsibilities in place and returns
/// each row's term of the constrained lower bound, `Σ_j q_ij (ℓ_ij − ln q_ij)`.
///
/// `potentials` (`k` values) carries the component potentials from one E-step to the next:
/// they change little between EM iterations, so later E-steps take few Newton steps.
///
/// # Errors
/// [`Unbalanced`] where the shares are not within [`TOLERANCE`] after [`MAX_STEPS`] steps:
/// in practice a nearly collapsed component whose log-densities span so many nats (1e17 has
/// been seen with `reg_covar` 0) that the potential it needs swamps every other difference in
/// floating point. The responsibilities are then left as they are.
pub(crate) fn balance(
    log_prob: &mut [f64],
    k: usize,
    potentials: &mut [f64],
) -> Result<Vec<f64>, Unbalanced> {
    let target = (log_prob.len() / k) as f64 / k as f64;
    let mut at = Dual::evaluate(log_prob, k, potentials);
    let mut steps = 0;
    loop {
        let gradient: Vec<f64> = at.mass.iter().map(|m| m - target).collect();
        let relative_error = gradient.iter().fold(0.0f64, |e, g| e.max(g.abs())) / target;
        if k == 1 || relative_error <= TOLERANCE {
            break;
        }
        if steps == MAX_STEPS {
            return Err(Unbalanced { relative_error });
        }
        steps += 1;
        let step = newton_step(&at, &gradient, k);
        let slope: f64 = step.iter().zip(&gradient).map(|(s, g)| s * g).sum();
        let mut scale = 1.0;
        let mut trial: Vec<f64>;
        let mut next;
        let mut halvings = 0;
        loop {
            trial = potentials
                .iter()
                .zip(&step)
                .map(|(b, s)| b + scale * s)
                .collect();
            next = Dual::evaluate(log_prob, k, &trial);
            // Armijo's rule, with room for the rounding of two sums over every sample.
            let slack = 1e-13 * (at.magnitude + next.magnitude);
            let descent = next.objective(&trial, target)
                <= at.objective(potentials, target) + 1e-4 * scale * slope + slack;
            if descent || halvings == MAX_HALVINGS {
                break;
            }
            scale *= 0.5;
            halvings += 1;
        }
        potentials.copy_from_slice(&trial);
        at = next;
    }
    let mut terms = vec![0.0; log_prob.len() / k];
    log_prob
        .par_chunks_mut(CHUNK * k)
        .zip(terms.par_chunks_mut(CHUNK))
        .for_each(|(rows, terms)| {
            let mut shifted = vec![0.0; k];
            for (row, term) in rows.chunks_exact_mut(k).zip(terms) {
                let norm = shift(row, potentials, &mut shifted);
                // ℓ_ij − ln q_ij = c_i − b_j.
                *term = 0.0;
                for ((v, &s), &b) in row.iter_mut().zip(&shifted).zip(potentials.iter()) {
                    *v = (s - norm).exp();
                    if *v > 0.0 {
                        *term += *v * (norm - b);
                    }
                }
            }
        });
    Ok(terms)
}

/// The dual at some potentials: `Σ_i c_i`, the column sums of `q` and `Σ_i q_i q_iᵀ`, summed
/// per chunk and then in chunk order (the same on any number of threads).
struct Dual {
    sum_norms: f64,
    /// `Σ_i |c_i|`, the size of the rounding in `sum_norms`.
    magnitude: f64,
    mass: Vec<f64>,
    /// `k x k`, row-major.
    outer: Vec<f64>,
}

impl Dual {
    fn zero(k: usize) -> Self {
        Dual {
            sum_norms: 0.0,
            magnitude: 0.0,
            mass: vec![0.0; k],
            outer: vec![0.0; k * k],
        }
    }

    fn evaluate(log_prob: &[f64], k: usize, potentials: &[f64]) -> Self {
        let partial: Vec<Dual> = log_prob
            .par_chunks(CHUNK * k)
            .map(|rows| {
                let mut part = Dual::zero(k);
                let mut q = vec![0.0; k];
                for row in rows.chunks_exact(k) {
                    let norm = shift(row, potentials, &mut q);
                    part.sum_norms += norm;
                    part.magnitude += norm.abs();
                    q.iter_mut().for_each(|v| *v = (*v - norm).exp());
                    for (a, &qa) in q.iter().enumerate() {
                        part.mass[a] += qa;
                        for (o, &qb) in part.outer[a * k..(a + 1) * k].iter_mut().zip(&q) {
                            *o += qa * qb;
                        }
                    }
                }
                part
            })
            .collect();
        partial.iter().fold(Dual::zero(k), |mut total, part| {
            total.sum_norms += part.sum_norms;
            total.magnitude += part.magnitude;
            for (t, p) in total.mass.iter_mut().zip(&part.mass) {
                *t += p;
            }
            for (t, p) in total.outer.iter_mut().zip(&part.outer) {
                *t += p;
            }
            total
        })
    }

    /// `f(b) = Σ_i c_i − t Σ_j b_j`.
    fn objective(&self, potentials: &[f64], target: f64) -> f64 {
        self.sum_norms - target * potentials.iter().sum::<f64>()
    }
}

/// The Newton direction for the first `k − 1` potentials (the last one held), solving
/// `H d = −g` with a ridge of 1e-12 of a component's share, which keeps the system definite
/// where a component holds no mass at all.
fn newton_step(at: &Dual, gradient: &[f64], k: usize) -> Vec<f64> {
    let m = k - 1;
    let share = at.mass.iter().sum::<f64>() / k as f64;
    let hessian = DMatrix::from_fn(m, m, |a, b| {
        let diagonal = if a == b {
            at.mass[a] + 1e-12 * share
        } else {
            0.0
        };
        diagonal - at.outer[a * k + b]
    });
    let rhs = DVector::from_fn(m, |a, _| -gradient[a]);
    let mut step = match hessian.cholesky() {
        Some(factor) => factor.solve(&rhs).iter().copied().collect::<Vec<f64>>(),
        // Not definite after rounding: fall back to a scaled gradient step.
        None => (0..m).map(|a| -gradient[a] / share).collect(),
    };
    step.push(0.0);
    step
}

/// `out_j = row_j + potentials_j`; returns `ln Σ_j exp(out_j)`.
fn shift(row: &[f64], potentials: &[f64], out: &mut [f64]) -> f64 {
    for ((o, &v), &b) in out.iter_mut().zip(row).zip(potentials) {
        *o = v + b;
    }
    log_sum_exp(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Log-densities of 6 samples under 2 components, 5 of the samples near component 0.
    fn lopsided() -> Vec<f64> {
        vec![
            0.0, -9.0, 0.0, -8.0, 0.0, -7.0, 0.0, -6.0, 0.0, -5.0, -9.0, 0.0,
        ]
    }

    #[test]
    fn rows_sum_to_one_and_columns_to_n_over_k() {
        let mut q = lopsided();
        let mut b = vec![0.0; 2];
        balance(&mut q, 2, &mut b).unwrap();
        for row in q.chunks_exact(2) {
            assert!((row[0] + row[1] - 1.0).abs() < 1e-12);
        }
        for j in 0..2 {
            let column: f64 = q.iter().skip(j).step_by(2).sum();
            assert!((column - 3.0).abs() < 1e-6, "column {j} sums to {column}");
        }
        // The samples least attached to component 0 move first: the order is kept.
        let moved: Vec<f64> = q.chunks_exact(2).map(|r| r[1]).collect();
        assert!(moved.windows(2).take(4).all(|w| w[0] <= w[1]), "{moved:?}");
    }

    #[test]
    fn terms_are_the_constrained_lower_bound() {
        let log_prob = lopsided();
        let mut q = log_prob.clone();
        let terms = balance(&mut q, 2, &mut [0.0; 2]).unwrap();
        for ((row, l), term) in q.chunks_exact(2).zip(log_prob.chunks_exact(2)).zip(&terms) {
            let expected: f64 = row
                .iter()
                .zip(l)
                .filter(|(q, _)| **q > 0.0)
                .map(|(q, l)| q * (l - q.ln()))
                .sum();
            assert!((term - expected).abs() < 1e-9, "{term} vs {expected}");
        }
    }

    #[test]
    fn shares_that_floating_point_cannot_balance_are_an_error() {
        // A nearly collapsed component 1e17 nats below the other for most samples: the shift
        // it needs leaves no digits for the differences between samples.
        let mut q = vec![
            0.0, -1e17, 0.0, -2e17, 0.0, -3e17, 0.0, -4e17, 0.0, 0.0, -5.0, 0.0,
        ];
        let error = balance(&mut q, 2, &mut [0.0; 2]).unwrap_err();
        assert!(error.relative_error > TOLERANCE, "{error:?}");
    }

    #[test]
    fn a_component_far_from_every_sample_still_gets_its_share() {
        // ln N of −2000 underflows exp() directly: log space must carry it.
        let mut q = vec![0.0, -2000.0, 0.0, -2001.0, 0.0, -2002.0, 0.0, -2003.0];
        let mut b = vec![0.0; 2];
        balance(&mut q, 2, &mut b).unwrap();
        assert!(q.iter().all(|v| v.is_finite()));
        let column: f64 = q.iter().skip(1).step_by(2).sum();
        assert!((column - 2.0).abs() < 1e-6, "{column}");
    }
}
