//! The E-step: weighted log-densities `ln w_j + ln N(x_i | μ_j, Σ_j)` for every sample and
//! component, and responsibilities by log-sum-exp, as scikit-learn's
//! `_estimate_weighted_log_prob` and `_estimate_log_prob_resp`.
//!
//! Rows are processed in chunks, in parallel; each chunk's Mahalanobis terms come from matrix
//! products: `(x − μ) U` with the upper-triangular precision factor `U` (full: triangular GEMMs
//! per chunk and component on rows centred per component, in `f32` from [`F32_FROM_FEATURES`]
//! features on, pruned where a component cannot matter, [`super::pruned`]; tied: one GEMM per
//! chunk of [`CHUNK`] rows), or `[x², x] · [p, −2 μ p]ᵀ` for the diagonal types (one GEMM per
//! chunk). Each chunk writes only its own rows: the result is the same on any number of threads.

use std::f64::consts::PI;
use std::sync::OnceLock;

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{BlockStructure, matmul as triangular_matmul};
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::Covariance;
use super::components::{Components, Parameters};
use super::pruned::{Ordered, Prune};
use super::rows::{F32_FROM_FEATURES, Rows64, Scalar};
use crate::error::{ClusterError, Result};
use crate::linalg::CHUNK;

/// What the caller of [`weighted_log_prob`] takes from it, which decides how far full
/// covariances may be pruned (see [`super::pruned`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// Responsibilities and log-likelihoods: every log-density within [`negligible`] of its
    /// row's best is exact, the others are −∞ (a responsibility of exactly 0 instead of one
    /// below 2⁻⁶⁰ of the row's total, all of them together).
    Responsibilities,
    /// Responsibilities to be balanced: every log-density within [`WIDE`] of its row's best is
    /// exact, the others stay upper bounds (the balancing shifts components by per-component
    /// potentials, and `exp` of anything below −745 is 0 in `f64`).
    Balanced,
    /// Each row's most likely component only: log-densities that cannot exceed the row's
    /// best stay bounds (below it), so the argmax is that of the exact values, ties included.
    Labels,
}

impl Wanted {
    /// The pruning this caller allows with `k` components.
    fn prune(self, k: usize) -> Prune {
        let (margin, as_minus_infinity) = match self {
            Self::Responsibilities => (negligible(k), true),
            Self::Balanced => (WIDE, false),
            Self::Labels => (0.0, false),
        };
        Prune {
            margin,
            as_minus_infinity,
        }
    }
}

/// The margin below a row's best log-density past which `k − 1` components together hold less
/// than 2⁻⁶⁰ of the row's probability: `60 ln 2 + ln k`.
fn negligible(k: usize) -> f64 {
    60.0 * std::f64::consts::LN_2 + (k as f64).ln()
}

/// The margin of [`Wanted::Balanced`]: past −745, `exp` is 0 in `f64`.
const WIDE: f64 = 800.0;

/// What an E-step multiplies by: for full covariances the factors in the Fisher order
/// ([`super::pruned`]), for the other types the components' own.
#[derive(Debug, Clone)]
pub(crate) enum EStep {
    /// Full covariances.
    Full(Ordered),
    /// Tied, diagonal and spherical covariances.
    Factored(Components),
}

impl EStep {
    /// The E-step of parameters from an M-step.
    ///
    /// # Errors
    /// [`ClusterError::CollapsedComponent`] where a covariance is not positive definite.
    pub fn new(p: &Parameters, reg_covar: f64) -> Result<Self> {
        match p.kind {
            Covariance::Full => Ordered::new(p).map(Self::Full).map_err(|component| {
                ClusterError::CollapsedComponent {
                    component,
                    reg_covar,
                }
            }),
            _ => Components::new(p.clone(), reg_covar).map(Self::Factored),
        }
    }

    /// The E-step of a fitted mixture.
    pub fn of(c: &Components) -> Self {
        match c.kind {
            Covariance::Full => Self::Full(Ordered::of(c)),
            _ => Self::Factored(c.clone()),
        }
    }

    /// `ln det U_j`: half the log-determinant of component `j`'s precision.
    pub fn log_det_precision_cholesky(&self, j: usize) -> f64 {
        match self {
            Self::Full(e) => e.log_det_precision_cholesky(j),
            Self::Factored(c) => c.log_det_precision_cholesky(j),
        }
    }
}

/// A fitted mixture's [`EStep`], built on first use and kept. It follows from the components,
/// so it takes no part in comparisons, and a clone builds its own.
#[derive(Default)]
pub(crate) struct Cached(OnceLock<EStep>);

impl Cached {
    /// The E-step of `c`, the components this cache belongs to.
    pub fn get(&self, c: &Components) -> &EStep {
        self.0.get_or_init(|| EStep::of(c))
    }
}

impl Clone for Cached {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl PartialEq for Cached {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Cached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Cached(built)"
        } else {
            "Cached(empty)"
        })
    }
}

/// `out[i * k + j] = ln w_j + ln N(x_i | μ_j, Σ_j)` for every row of `x`, exact where `wanted`
/// needs it; elsewhere (full covariances only) what [`Wanted`] says.
pub(crate) fn weighted_log_prob(x: &Rows64, e: &EStep, wanted: Wanted, out: &mut [f64]) {
    let c = match e {
        EStep::Full(ordered) => {
            let prune = wanted.prune(ordered.k());
            if x.d >= F32_FROM_FEATURES {
                ordered.weighted_log_prob::<f32>(x, prune, out);
            } else {
                ordered.weighted_log_prob::<f64>(x, prune, out);
            }
            return;
        }
        EStep::Factored(c) => c,
    };
    let (d, k) = (x.d, c.k());
    debug_assert_eq!(out.len(), x.n * k);
    // −½ d ln 2π + ln det U_j + ln w_j, the part that does not depend on the sample.
    let constants: Vec<f64> = (0..k)
        .map(|j| {
            -0.5 * d as f64 * (2.0 * PI).ln() + c.log_det_precision_cholesky(j) + c.weights[j].ln()
        })
        .collect();
    match c.kind {
        Covariance::Tied => tied(x, c, &constants, out),
        _ => diagonal(x, c, &constants, out),
    }
}

/// The index of the largest value of `row` (the first one on ties).
pub(crate) fn first_max(row: &[f64]) -> usize {
    (1..row.len()).fold(0, |b, j| if row[j] > row[b] { j } else { b })
}

/// Tied covariance: `out[i * k + j] = constants[j] − ½ ‖x_i U − b_j‖²` with the one factor
/// `U` and `b_j = μ_j U`, so that `(x − μ_j) U = x U − b_j`: one GEMM per chunk of rows.
fn tied(x: &Rows64, c: &Components, constants: &[f64], out: &mut [f64]) {
    let (d, k) = (x.d, c.k());
    let u = &c.precisions_cholesky[..];
    let shifts: Vec<f64> = (0..k)
        .flat_map(|j| {
            let mean = c.mean(j);
            (0..d).map(move |col| (0..=col).map(|t| mean[t] * u[t * d + col]).sum::<f64>())
        })
        .collect();
    x.data
        .par_chunks(CHUNK * d)
        .zip(out.par_chunks_mut(CHUNK * k))
        .for_each(|(rows, out)| {
            let mut y = vec![0.0; rows.len()];
            times_upper(rows, u, d, &mut y);
            for j in 0..k {
                let b = &shifts[j * d..(j + 1) * d];
                for (o, yr) in out.iter_mut().skip(j).step_by(k).zip(y.chunks_exact(d)) {
                    let maha: f64 = yr.iter().zip(b).map(|(&v, &s)| (v - s) * (v - s)).sum();
                    *o = constants[j] - 0.5 * maha;
                }
            }
        });
}

/// Diagonal and spherical covariances: the Mahalanobis terms of a chunk of rows are
/// `[x², x] · [p_j, −2 μ_j p_j]ᵀ + Σ_t μ_jt² p_jt` with `p = U²` per feature: one GEMM per
/// chunk.
fn diagonal(x: &Rows64, c: &Components, constants: &[f64], out: &mut [f64]) {
    let (d, k) = (x.d, c.k());
    // B_j = [p_j, −2 μ_j p_j] and e_j = Σ_t μ_jt² p_jt, with p = U² per feature.
    let precision = |j: usize, t: usize| {
        let u = match c.kind {
            Covariance::Diag => c.precisions_cholesky[j * d + t],
            _ => c.precisions_cholesky[j],
        };
        u * u
    };
    let mut b = vec![0.0; k * 2 * d];
    let mut e = vec![0.0; k];
    for j in 0..k {
        for (t, &mu) in c.mean(j).iter().enumerate() {
            let p = precision(j, t);
            b[j * 2 * d + t] = p;
            b[j * 2 * d + d + t] = -2.0 * mu * p;
            e[j] += mu * mu * p;
        }
    }
    x.data
        .par_chunks(CHUNK * d)
        .zip(out.par_chunks_mut(CHUNK * k))
        .for_each(|(rows, out)| {
            let m = rows.len() / d;
            let mut a = vec![0.0; m * 2 * d];
            for (ar, row) in a.chunks_exact_mut(2 * d).zip(rows.chunks_exact(d)) {
                let (sq, lin) = ar.split_at_mut(d);
                for ((s, l), &v) in sq.iter_mut().zip(lin.iter_mut()).zip(row) {
                    *s = v * v;
                    *l = v;
                }
            }
            let lhs = MatRef::from_row_major_slice(&a, m, 2 * d);
            let rhs = MatRef::from_row_major_slice(&b, k, 2 * d);
            let dst = MatMut::from_row_major_slice_mut(out, m, k);
            matmul(dst, Accum::Replace, lhs, rhs.transpose(), 1.0, Par::Seq);
            for row in out.chunks_exact_mut(k) {
                for (j, o) in row.iter_mut().enumerate() {
                    // Rounding can push a tiny Mahalanobis term below 0.
                    *o = constants[j] - 0.5 * (*o + e[j]).max(0.0);
                }
            }
        });
}

/// `y (m x d) = rows (m x d) · u (d x d, upper triangular)`, row-major, on the calling thread.
fn times_upper<T: Scalar>(rows: &[T], u: &[T], d: usize, y: &mut [T]) {
    let m = rows.len() / d;
    triangular_matmul(
        MatMut::from_row_major_slice_mut(y, m, d),
        BlockStructure::Rectangular,
        Accum::Replace,
        MatRef::from_row_major_slice(rows, m, d),
        BlockStructure::Rectangular,
        MatRef::from_row_major_slice(u, d, d),
        BlockStructure::TriangularUpper,
        T::of(1.0),
        Par::Seq,
    );
}

/// Turns weighted log-densities (`n x k`, row-major) into responsibilities in place, by
/// log-sum-exp per row, and returns `ln p(x_i)` of every row.
pub(crate) fn normalise(weighted: &mut [f64], k: usize) -> Vec<f64> {
    let mut log_norm = vec![0.0; weighted.len() / k];
    weighted
        .par_chunks_mut(CHUNK * k)
        .zip(log_norm.par_chunks_mut(CHUNK))
        .for_each(|(rows, norms)| {
            for (row, norm) in rows.chunks_exact_mut(k).zip(norms) {
                *norm = log_sum_exp(row);
                row.iter_mut().for_each(|v| *v = (*v - *norm).exp());
            }
        });
    log_norm
}

/// `ln Σ exp(v)`, shifted by the maximum so that nothing overflows or underflows to −∞.
pub(crate) fn log_sum_exp(v: &[f64]) -> f64 {
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + v.iter().map(|&a| (a - max).exp()).sum::<f64>().ln()
}

/// The mean of `values`, summed in chunk order (the same on any number of threads).
pub(crate) fn mean(values: &[f64]) -> f64 {
    let partial: Vec<f64> = values.par_chunks(CHUNK).map(|c| c.iter().sum()).collect();
    partial.iter().sum::<f64>() / values.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gmm::Covariance;

    /// `k` full components in `d` dimensions with correlated covariances and means `spread`
    /// apart, and `n` rows drawn around them (deterministic).
    fn mixture(d: usize, k: usize, n: usize, spread: f64) -> (Rows64, Components) {
        let wave = |a: usize, b: usize| ((a * 31 + b * 17) as f64 * 0.37).sin();
        let mut covariances = Vec::new();
        for j in 0..k {
            // A Aᵀ / d + 0.1 I: positive definite, correlated.
            for r in 0..d {
                for col in 0..d {
                    let dot: f64 = (0..d).map(|t| wave(r + j, t) * wave(col + j, t)).sum();
                    covariances.push(dot / d as f64 + if r == col { 0.1 } else { 0.0 });
                }
            }
        }
        let means: Vec<f64> = (0..k * d).map(|a| spread * wave(a, 3)).collect();
        let data: Vec<f64> = (0..n * d)
            .map(|a| means[(a / d % k) * d + a % d] + wave(a, 5))
            .collect();
        let p = Parameters {
            kind: Covariance::Full,
            d,
            weights: vec![1.0 / k as f64; k],
            means,
            covariances,
        };
        let c = Components::new(p, 0.0).unwrap();
        (Rows64 { data, n, d }, c)
    }

    /// `ln w_j + ln N(x_i | μ_j, Σ_j)` straight from the definition, in `f64`.
    fn direct(x: &Rows64, c: &Components) -> Vec<f64> {
        let (d, k) = (x.d, c.k());
        let mut out = Vec::new();
        for row in x.data.chunks_exact(d) {
            for j in 0..k {
                let u = &c.precisions_cholesky[j * d * d..(j + 1) * d * d];
                let maha: f64 = (0..d)
                    .map(|col| {
                        let y: f64 = (0..=col)
                            .map(|t| (row[t] - c.mean(j)[t]) * u[t * d + col])
                            .sum();
                        y * y
                    })
                    .sum();
                out.push(
                    c.weights[j].ln() + c.log_det_precision_cholesky(j)
                        - 0.5 * (d as f64 * (2.0 * PI).ln() + maha),
                );
            }
        }
        out
    }

    #[test]
    fn full_log_densities_match_the_definition_in_f64_and_f32_with_pruning() {
        // d = 12 runs in f64, d = 140 in f32; far-apart means make pass 2 skip components.
        for (d, tolerance) in [(12, 1e-9), (140, 1e-4)] {
            let (x, c) = mixture(d, 4, 300, 40.0);
            let mut ours = vec![0.0; x.n * c.k()];
            weighted_log_prob(&x, &EStep::of(&c), Wanted::Responsibilities, &mut ours);
            let mut expected = direct(&x, &c);
            let ours_norm = normalise(&mut ours, c.k());
            let expected_norm = normalise(&mut expected, c.k());
            for (a, b) in ours_norm.iter().zip(&expected_norm) {
                assert!(
                    (a - b).abs() <= tolerance * b.abs().max(1.0),
                    "d {d}: {a} vs {b}"
                );
            }
            for (a, b) in ours.iter().zip(&expected) {
                assert!(
                    (a - b).abs() <= tolerance,
                    "d {d}: responsibility {a} vs {b}"
                );
            }
            assert!(
                expected.iter().filter(|&&r| r == 0.0).count() > x.n,
                "d {d}: pruning untested"
            );
        }
    }

    #[test]
    fn labels_only_pruning_keeps_the_exact_argmax() {
        // Means close enough that many rows have several plausible components.
        for d in [12, 140] {
            let (x, c) = mixture(d, 5, 400, 1.5);
            let mut bounds = vec![0.0; x.n * c.k()];
            weighted_log_prob(&x, &EStep::of(&c), Wanted::Labels, &mut bounds);
            let exact = direct(&x, &c);
            let ours: Vec<usize> = bounds.chunks_exact(c.k()).map(first_max).collect();
            let expected: Vec<usize> = exact.chunks_exact(c.k()).map(first_max).collect();
            assert_eq!(ours, expected, "d {d}");
            assert!(
                bounds.iter().zip(&exact).any(|(b, e)| (b - e).abs() > 1.0),
                "d {d}: pruning untested"
            );
        }
    }

    #[test]
    fn log_sum_exp_survives_far_away_components() {
        let v = [-1.0e4, -1.0e4 + 2f64.ln(), -1.0e9];
        let lse = log_sum_exp(&v);
        assert!((lse - (-1.0e4 + 3f64.ln())).abs() < 1e-9);
        let mut w = v.to_vec();
        let norm = normalise(&mut w, 3);
        assert!((norm[0] - lse).abs() < 1e-12);
        assert!((w[0] - 1.0 / 3.0).abs() < 1e-12 && (w[1] - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(w[2], 0.0);
    }
}
