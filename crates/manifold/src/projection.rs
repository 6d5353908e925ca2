//! The leading principal directions of a point set, by a randomized range finder (Halko,
//! Martinsson & Tropp 2011, with power iterations), for the candidate stage of
//! [`NeighborSearch::Projected`](crate::NeighborSearch::Projected).
//!
//! Every matrix product is split into fixed blocks of rows whose partial results are added in
//! block order, so the directions are the same on any number of threads.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use crate::knn::{Points, dot_rows};
use crate::rng::SplitMix;

/// Rows per unit of parallel work.
const ROWS: usize = 2048;
/// Power iterations: with two, the captured subspace is close to the leading one even where
/// the spectrum decays slowly (images).
const POWER_ITERATIONS: usize = 2;
/// Random stream of the starting matrix (fixed: the directions are a function of the data).
const STREAM: u64 = 0x7072_6f6a;

/// `dims` orthonormal directions (`d x dims`, row-major) spanning approximately the leading
/// principal subspace of the (centred) `points`.
pub(crate) fn principal_directions(points: &Points, dims: usize) -> Vec<f32> {
    let d = points.d;
    let mut rng = SplitMix::new(0, STREAM, 0);
    let mut basis: Vec<f64> = (0..d * dims).map(|_| rng.normal()).collect();
    orthonormalise(&mut basis, d, dims);
    for _ in 0..=POWER_ITERATIONS {
        let single: Vec<f32> = basis.iter().map(|&v| v as f32).collect();
        let projected = project(points, &single, dims);
        basis = transposed_product(points, &projected, dims);
        orthonormalise(&mut basis, d, dims);
    }
    basis.iter().map(|&v| v as f32).collect()
}

/// The rows of `points` in the coordinates of `basis` (`d x dims`, row-major): `n x dims`.
pub(crate) fn project(points: &Points, basis: &[f32], dims: usize) -> Vec<f32> {
    let d = points.d;
    // dot_rows multiplies by the transpose of its second argument: pass basisᵀ (dims x d).
    let transposed: Vec<f32> = (0..dims)
        .flat_map(|j| (0..d).map(move |i| basis[i * dims + j]))
        .collect();
    let mut out = vec![0f32; points.n * dims];
    out.par_chunks_mut(ROWS * dims)
        .zip(points.data.par_chunks(ROWS * d))
        .for_each(|(out, rows)| dot_rows(rows, &transposed, d, out));
    out
}

/// `pointsᵀ · y` (`d x dims`, row-major, in `f64`) for `y` = `n x dims` row-major: one GEMM
/// per block of rows, the blocks' products added in block order.
fn transposed_product(points: &Points, y: &[f32], dims: usize) -> Vec<f64> {
    let d = points.d;
    let partials: Vec<Vec<f32>> = points
        .data
        .par_chunks(ROWS * d)
        .zip(y.par_chunks(ROWS * dims))
        .map(|(rows, y)| {
            let n = rows.len() / d;
            let mut partial = vec![0f32; d * dims];
            matmul(
                MatMut::from_row_major_slice_mut(&mut partial, d, dims),
                Accum::Replace,
                MatRef::from_row_major_slice(rows, n, d).transpose(),
                MatRef::from_row_major_slice(y, n, dims),
                1.0f32,
                Par::Seq,
            );
            partial
        })
        .collect();
    let mut total = vec![0f64; d * dims];
    for partial in partials {
        for (t, p) in total.iter_mut().zip(partial) {
            *t += f64::from(p);
        }
    }
    total
}

/// Orthonormalises the columns of `m` (`rows x cols`, row-major) by modified Gram–Schmidt,
/// twice for accuracy. A column that vanishes (data of lower rank than `cols`) becomes zero:
/// it adds nothing to any distance.
fn orthonormalise(m: &mut [f64], rows: usize, cols: usize) {
    for j in 0..cols {
        let before = (0..rows)
            .map(|r| m[r * cols + j].powi(2))
            .sum::<f64>()
            .sqrt();
        for _ in 0..2 {
            for i in 0..j {
                let dot: f64 = (0..rows).map(|r| m[r * cols + i] * m[r * cols + j]).sum();
                for r in 0..rows {
                    m[r * cols + j] -= dot * m[r * cols + i];
                }
            }
        }
        let norm = (0..rows)
            .map(|r| m[r * cols + j].powi(2))
            .sum::<f64>()
            .sqrt();
        let scale = if norm > 1e-6 * before {
            1.0 / norm
        } else {
            0.0
        };
        (0..rows).for_each(|r| m[r * cols + j] *= scale);
    }
}
