//! The sample covariance of the columns of a matrix: blocks of centred rows through the
//! workspace's GEMM (faer, lower triangle only, `f32` products on all threads), accumulated in
//! `f64` block by block, so that 48,000 rows lose no digits.

use faer::linalg::matmul::triangular::{BlockStructure, matmul};
use faer::{Accum, Mat, MatRef, Par};
use nalgebra::DMatrix;
use rayon::prelude::*;

/// Rows per block: a 4096 x 784 `f32` block is 12.8 MB.
const BLOCK: usize = 4096;

/// Mean of every column, summed in `f64`.
pub(crate) fn column_means(x: &DMatrix<f32>) -> Vec<f64> {
    let n = x.nrows().max(1);
    x.as_slice()
        .par_chunks(n)
        .map(|col| col.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64)
        .collect()
}

/// The `d x d` sample covariance (divided by `n − 1`, or 1 for a single row) of the columns of
/// `x` about `mean`; only the lower triangle is filled.
pub(crate) fn covariance_lower(x: &DMatrix<f32>, mean: &[f64]) -> Mat<f64> {
    let (n, d) = x.shape();
    let mut total = Mat::<f64>::zeros(d, d);
    let mut block = vec![0f32; BLOCK.min(n) * d];
    let mut product = Mat::<f32>::zeros(d, d);
    for r0 in (0..n).step_by(BLOCK) {
        let m = BLOCK.min(n - r0);
        let block = &mut block[..m * d];
        centre_rows(x, mean, r0, block);
        let a = MatRef::from_column_major_slice(block, m, d);
        matmul(
            product.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Replace,
            a.transpose(),
            BlockStructure::Rectangular,
            a,
            BlockStructure::Rectangular,
            1.0f32,
            Par::rayon(0),
        );
        for j in 0..d {
            for i in j..d {
                total[(i, j)] += f64::from(product[(i, j)]);
            }
        }
    }
    let scale = 1.0 / (n.max(2) - 1) as f64;
    for j in 0..d {
        for i in j..d {
            total[(i, j)] *= scale;
        }
    }
    total
}

/// Rows `r0..r0 + m` of `x` minus `mean`, column-major `m x d`, into `out`.
pub(crate) fn centre_rows(x: &DMatrix<f32>, mean: &[f64], r0: usize, out: &mut [f32]) {
    let n = x.nrows();
    let m = out.len() / mean.len().max(1);
    out.par_chunks_mut(m.max(1))
        .zip(mean.par_iter())
        .enumerate()
        .for_each(|(j, (col, &mu))| {
            let src = &x.as_slice()[j * n + r0..j * n + r0 + m];
            let mu = mu as f32;
            for (c, &v) in col.iter_mut().zip(src) {
                *c = v - mu;
            }
        });
}
