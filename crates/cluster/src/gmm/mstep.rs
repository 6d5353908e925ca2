//! The M-step: weights, means and covariances from responsibilities, as scikit-learn's
//! `_estimate_gaussian_parameters`, with every sum over samples a blocked matrix product.
//!
//! Sums over samples run over fixed groups of [`GROUP`] rows in parallel and are combined in
//! group order (full covariances: one component per task, rows in order), so the result is
//! bit-identical on any number of threads.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{BlockStructure, matmul as triangular_matmul};
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::Covariance;
use super::components::Parameters;
use super::rows::Rows64;
use crate::linalg::{CHUNK, GROUP};

/// `out (a x b) += lhs (m x a)ᵀ · rhs (m x b)`, row-major slices, on the calling thread.
fn add_transposed_product(lhs: &[f64], a: usize, rhs: &[f64], b: usize, out: &mut [f64]) {
    let m = lhs.len() / a;
    let lhs = MatRef::from_row_major_slice(lhs, m, a);
    let rhs = MatRef::from_row_major_slice(rhs, m, b);
    let out = MatMut::from_row_major_slice_mut(out, a, b);
    matmul(out, Accum::Add, lhs.transpose(), rhs, 1.0, Par::Seq);
}

/// The lower triangle of `out (d x d) += wᵀ w` for a row-major `m x d` block `w`.
fn add_gram_lower(w: &[f64], d: usize, out: &mut [f64]) {
    let m = w.len() / d;
    let w = MatRef::from_row_major_slice(w, m, d);
    let out = MatMut::from_row_major_slice_mut(out, d, d);
    triangular_matmul(
        out,
        BlockStructure::TriangularLower,
        Accum::Add,
        w.transpose(),
        BlockStructure::Rectangular,
        w,
        BlockStructure::Rectangular,
        1.0,
        Par::Seq,
    );
}

/// Sums `f(first row, group rows, partial)` (a `len`-vector) over the groups of rows, in
/// parallel, combining the partial sums in group order.
fn sum_groups<F>(x: &Rows64, len: usize, f: F) -> Vec<f64>
where
    F: Fn(usize, &[f64], &mut [f64]) + Sync,
{
    let partials: Vec<Vec<f64>> = x
        .data
        .par_chunks(GROUP * x.d)
        .enumerate()
        .map(|(g, rows)| {
            let mut acc = vec![0.0; len];
            f(g * GROUP, rows, &mut acc);
            acc
        })
        .collect();
    let mut total = vec![0.0; len];
    for p in partials {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

/// Mirrors the lower triangle of a row-major `d x d` matrix into its upper triangle, divides
/// by `scale` and adds `reg` to the diagonal.
fn finish_symmetric(c: &mut [f64], d: usize, scale: f64, reg: f64) {
    for r in 0..d {
        for col in 0..r {
            let v = c[r * d + col] / scale;
            c[r * d + col] = v;
            c[col * d + r] = v;
        }
        c[r * d + r] = c[r * d + r] / scale + reg;
    }
}

/// Weights (normalised), means and covariances from the responsibilities `resp` (`n x k`,
/// row-major).
pub(crate) fn estimate(
    x: &Rows64,
    resp: &[f64],
    k: usize,
    kind: Covariance,
    reg_covar: f64,
) -> Parameters {
    let d = x.d;
    // nk, Σ r x (and Σ r x² for the diagonal types) in one pass over the data.
    let with_squares = matches!(kind, Covariance::Diag | Covariance::Spherical);
    let len = k + k * d * if with_squares { 2 } else { 1 };
    let sums = sum_groups(x, len, |first, rows, acc| {
        let r = &resp[first * k..(first + rows.len() / d) * k];
        let (nk, rest) = acc.split_at_mut(k);
        let (sx, sxx) = rest.split_at_mut(k * d);
        for rr in r.chunks_exact(k) {
            for (a, &v) in nk.iter_mut().zip(rr) {
                *a += v;
            }
        }
        let mut squares = vec![0.0; if with_squares { CHUNK * d } else { 0 }];
        for (rows, r) in rows.chunks(CHUNK * d).zip(r.chunks(CHUNK * k)) {
            add_transposed_product(r, k, rows, d, sx);
            if with_squares {
                let sq = &mut squares[..rows.len()];
                for (s, &v) in sq.iter_mut().zip(rows) {
                    *s = v * v;
                }
                add_transposed_product(r, k, sq, d, sxx);
            }
        }
    });
    let nk: Vec<f64> = sums[..k].iter().map(|&v| v + 10.0 * f64::EPSILON).collect();
    let mut means = sums[k..k + k * d].to_vec();
    for (mean, &n) in means.chunks_exact_mut(d).zip(&nk) {
        mean.iter_mut().for_each(|v| *v /= n);
    }
    let covariances = match kind {
        Covariance::Full => full(x, resp, &nk, &means, reg_covar),
        Covariance::Tied => tied(x, &nk, &means, reg_covar),
        Covariance::Diag | Covariance::Spherical => {
            let sxx = &sums[k + k * d..];
            let mut diag = vec![0.0; k * d];
            for j in 0..k {
                for t in 0..d {
                    let m = means[j * d + t];
                    diag[j * d + t] = sxx[j * d + t] / nk[j] - m * m + reg_covar;
                }
            }
            if kind == Covariance::Diag {
                diag
            } else {
                diag.chunks_exact(d)
                    .map(|c| c.iter().sum::<f64>() / d as f64)
                    .collect()
            }
        }
    };
    let total: f64 = nk.iter().sum();
    let weights = nk.iter().map(|&v| v / total).collect();
    Parameters {
        kind,
        d,
        weights,
        means,
        covariances,
    }
}

/// Σ_i r_ij (x_i − μ_j)(x_i − μ_j)ᵀ / n_j + reg·I for every component `j`, one component per
/// parallel task (the heaviest first, so that the tasks balance).
///
/// These stay in `f64` at any size: with `reg_covar` 1e-6 the covariances of 784 pixels have
/// condition numbers near 1e7, and `f32` sums moved the EM path's lower bound by up to 3e-3 per
/// sample within three iterations (`f64`: under 1e-5 of the all-`f64` path).
fn full(x: &Rows64, resp: &[f64], nk: &[f64], means: &[f64], reg: f64) -> Vec<f64> {
    let (d, k) = (x.d, nk.len());
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| nk[b].total_cmp(&nk[a]));
    let mut covariances: Vec<(usize, Vec<f64>)> = order
        .into_par_iter()
        .map(|j| {
            let mut c = weighted_gram(x, resp, k, j, &means[j * d..(j + 1) * d]);
            finish_symmetric(&mut c, d, nk[j], reg);
            (j, c)
        })
        .collect();
    covariances.sort_by_key(|&(j, _)| j);
    covariances.into_iter().flat_map(|(_, c)| c).collect()
}

/// The lower triangle of Σ_i r_ij (x_i − μ_j)(x_i − μ_j)ᵀ (row-major `d x d`): rows weighted
/// by `√r_ij` and centred, gathered into blocks of [`CHUNK`] rows, one Gram product per block.
/// Rows with `r_ij = 0` (most of them once responsibilities are nearly hard) are skipped: they
/// would add exact zeros.
fn weighted_gram(x: &Rows64, resp: &[f64], k: usize, j: usize, mean: &[f64]) -> Vec<f64> {
    let d = x.d;
    let mut total = vec![0.0; d * d];
    let mut block = vec![0.0; CHUNK * d];
    let mut filled = 0;
    for (i, row) in x.data.chunks_exact(d).enumerate() {
        let s = resp[i * k + j].sqrt();
        if s == 0.0 {
            continue;
        }
        let out = &mut block[filled * d..(filled + 1) * d];
        for ((o, &v), &mu) in out.iter_mut().zip(row).zip(mean) {
            *o = s * (v - mu);
        }
        filled += 1;
        if filled == CHUNK {
            add_gram_lower(&block, d, &mut total);
            filled = 0;
        }
    }
    if filled > 0 {
        add_gram_lower(&block[..filled * d], d, &mut total);
    }
    total
}

/// (Σ_i x_i x_iᵀ − Σ_j n_j μ_j μ_jᵀ) / n + reg·I, shared by all components.
fn tied(x: &Rows64, nk: &[f64], means: &[f64], reg: f64) -> Vec<f64> {
    let d = x.d;
    let k = nk.len();
    let mut c = sum_groups(x, d * d, |_, rows, acc| {
        for block in rows.chunks(CHUNK * d) {
            add_gram_lower(block, d, acc);
        }
    });
    for j in 0..k {
        let mean = &means[j * d..(j + 1) * d];
        for r in 0..d {
            for col in 0..=r {
                c[r * d + col] -= nk[j] * mean[r] * mean[col];
            }
        }
    }
    finish_symmetric(&mut c, d, nk.iter().sum(), reg);
    c
}
