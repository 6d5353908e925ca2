//! The E-step: weighted log-densities `ln w_j + ln N(x_i | μ_j, Σ_j)` for every sample and
//! component, and responsibilities by log-sum-exp, as scikit-learn's
//! `_estimate_weighted_log_prob` and `_estimate_log_prob_resp`.
//!
//! Rows are processed in chunks of [`CHUNK`], in parallel; each chunk's Mahalanobis terms come
//! from matrix products: `(x − μ) U` with the upper-triangular precision factor `U` (full and
//! tied: one triangular GEMM per chunk and component), or `[x², x] · [p, −2 μ p]ᵀ` for the
//! diagonal types (one GEMM per chunk). Each chunk writes only its own rows: the result is the
//! same on any number of threads.

use std::f64::consts::PI;

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{BlockStructure, matmul as triangular_matmul};
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::Covariance;
use super::components::Components;
use super::rows::Rows64;
use crate::linalg::CHUNK;

/// `out[i * k + j] = ln w_j + ln N(x_i | μ_j, Σ_j)` for every row of `x`.
pub(crate) fn weighted_log_prob(x: &Rows64, c: &Components, out: &mut [f64]) {
    let (d, k) = (x.d, c.k());
    debug_assert_eq!(out.len(), x.n * k);
    // −½ d ln 2π + ln det U_j + ln w_j, the part that does not depend on the sample.
    let constants: Vec<f64> = (0..k)
        .map(|j| {
            -0.5 * d as f64 * (2.0 * PI).ln() + c.log_det_precision_cholesky(j) + c.weights[j].ln()
        })
        .collect();
    match c.kind {
        Covariance::Full | Covariance::Tied => {
            // b_j = μ_j U_j, so that (x − μ_j) U_j = x U_j − b_j.
            let factor = |j: usize| match c.kind {
                Covariance::Full => &c.precisions_cholesky[j * d * d..(j + 1) * d * d],
                _ => &c.precisions_cholesky[..],
            };
            let shifts: Vec<f64> = (0..k)
                .flat_map(|j| {
                    let u = factor(j);
                    let mean = c.mean(j);
                    (0..d).map(move |col| (0..=col).map(|t| mean[t] * u[t * d + col]).sum::<f64>())
                })
                .collect();
            let shared = c.kind == Covariance::Tied;
            x.data
                .par_chunks(CHUNK * d)
                .zip(out.par_chunks_mut(CHUNK * k))
                .for_each(|(rows, out)| {
                    let m = rows.len() / d;
                    let mut y = vec![0.0; m * d];
                    for j in 0..k {
                        if j == 0 || !shared {
                            times_upper(rows, factor(j), d, &mut y);
                        }
                        let b = &shifts[j * d..(j + 1) * d];
                        for (o, yr) in out.iter_mut().skip(j).step_by(k).zip(y.chunks_exact(d)) {
                            let maha: f64 =
                                yr.iter().zip(b).map(|(&v, &s)| (v - s) * (v - s)).sum();
                            *o = constants[j] - 0.5 * maha;
                        }
                    }
                });
        }
        Covariance::Diag | Covariance::Spherical => {
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
    }
}

/// `y (m x d) = rows (m x d) · u (d x d, upper triangular)`, row-major, on the calling thread.
fn times_upper(rows: &[f64], u: &[f64], d: usize, y: &mut [f64]) {
    let m = rows.len() / d;
    triangular_matmul(
        MatMut::from_row_major_slice_mut(y, m, d),
        BlockStructure::Rectangular,
        Accum::Replace,
        MatRef::from_row_major_slice(rows, m, d),
        BlockStructure::Rectangular,
        MatRef::from_row_major_slice(u, d, d),
        BlockStructure::TriangularUpper,
        1.0,
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
