//! Trustworthiness of an embedding (Venna and Kaski 2001), as scikit-learn's
//! `sklearn.manifold.trustworthiness` with the Euclidean metric.

use fmnist_core::validate::check_matrix;
use nalgebra::DMatrix;
use rayon::prelude::*;

use crate::error::{ManifoldError, Result};
use fmnist_core::linalg::dot_rows;

use crate::knn::{Metric, NeighborSearch, Points, search};

/// Query rows per block of full distance rows.
const BLOCK: usize = 64;

/// How well the `k` nearest neighbours in `embedding` are neighbours in `x` (same rows, any
/// widths): 1 − 2 / (n·k·(2n − 3k − 1)) · Σᵢ Σ_{j ∈ Nₖᵉ(i)} max(0, r(i, j) − k), where
/// r(i, j) is the rank of `j` among the neighbours of `i` in `x` by Euclidean distance.
/// 1 means every embedded neighbourhood is a neighbourhood of the data.
///
/// # Errors
/// [`ManifoldError::Input`] for empty or non-finite data; [`ManifoldError::InvalidParameter`] when the row
/// counts differ or unless `1 <= k < samples / 2` (scikit-learn's bound);
/// [`ManifoldError::TooFar`] for a row too far from the mean for `f32` distances.
pub fn trustworthiness(x: &DMatrix<f32>, embedding: &DMatrix<f32>, k: usize) -> Result<f64> {
    check_matrix(x)?;
    check_matrix(embedding)?;
    let n = x.nrows();
    if embedding.nrows() != n {
        return Err(ManifoldError::InvalidParameter(format!(
            "the data has {n} rows but the embedding {}",
            embedding.nrows()
        )));
    }
    if k == 0 || 2 * k >= n {
        return Err(ManifoldError::InvalidParameter(format!(
            "k must be at least 1 and below half the samples ({n}), got {k}"
        )));
    }
    let (emb, _) = Points::new(embedding, Metric::Euclidean, None)?;
    let embedded = search(
        &emb,
        &emb,
        k + 1,
        Metric::Euclidean,
        true,
        NeighborSearch::Exact,
        0,
    );
    let (points, _) = Points::new(x, Metric::Euclidean, None)?;
    let d = points.d;
    let penalty: f64 = embedded
        .indices()
        .par_chunks(BLOCK * (k + 1))
        .enumerate()
        .map(|(b, neighbours)| {
            let q0 = b * BLOCK;
            let rows = neighbours.len() / (k + 1);
            let mut dist = vec![0f32; rows * n];
            dot_rows(
                &points.data[q0 * d..(q0 + rows) * d],
                &points.data,
                d,
                &mut dist,
            );
            let mut sum = 0f64;
            for (r, row) in dist.chunks_exact_mut(n).enumerate() {
                let i = q0 + r;
                let qn = points.norms[i];
                for (v, &rn) in row.iter_mut().zip(&points.norms) {
                    *v = qn + rn - 2.0 * *v;
                }
                row[i] = f32::INFINITY;
                for &j in &neighbours[r * (k + 1) + 1..(r + 1) * (k + 1)] {
                    let dj = row[j as usize];
                    // Rank among the other points: 1 + those strictly closer (ties before j
                    // by index, as a stable sort).
                    let rank = 1 + row
                        .iter()
                        .enumerate()
                        .filter(|&(l, &v)| v < dj || (v == dj && l < j as usize))
                        .count();
                    sum += rank.saturating_sub(k) as f64;
                }
            }
            sum
        })
        .collect::<Vec<_>>()
        .iter()
        .sum();
    let (n, k) = (n as f64, k as f64);
    Ok(1.0 - penalty * 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)))
}
