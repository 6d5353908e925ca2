//! The leading principal directions of a point set, for the candidate stage of
//! [`NeighborSearch::Projected`](crate::NeighborSearch::Projected): the right singular vectors
//! of the (centred) points by fmnist-core's randomized SVD (Halko, Martinsson & Tropp 2011,
//! with power iterations), and the points' coordinates in them.
//!
//! The sketch is drawn from a fixed seed, so the directions are a function of the data; the
//! randomized SVD is the same on any number of threads, and so is the projection (one GEMM per
//! fixed block of rows).

use faer::MatRef;
use fmnist_core::linalg::randomized_svd;
use rayon::prelude::*;

use fmnist_core::linalg::dot_rows;

use crate::knn::Points;

/// Rows per unit of parallel work.
const ROWS: usize = 2048;
/// Power iterations: with two, the captured subspace is close to the leading one even where
/// the spectrum decays slowly (images).
const POWER_ITERATIONS: usize = 2;
/// Seed of the random sketch (fixed: the directions are a function of the data).
const SEED: u64 = 0x7072_6f6a;

/// Orthonormal principal directions of the (centred) `points`, one per row (`dims x d`,
/// row-major), `dims` being `wanted` or, for fewer points than that, the number of points;
/// `None` where the small SVD does not converge.
pub(crate) fn principal_directions(points: &Points, wanted: usize) -> Option<Vec<f32>> {
    let (n, d) = (points.n, points.d);
    let rows = MatRef::from_row_major_slice(&points.data, n, d);
    let svd = randomized_svd(rows, wanted.min(n), POWER_ITERATIONS, SEED)?;
    let (dims, d) = svd.vt.shape();
    Some(
        (0..dims)
            .flat_map(|c| (0..d).map(move |t| (c, t)))
            .map(|(c, t)| svd.vt[(c, t)] as f32)
            .collect(),
    )
}

/// The rows of `points` in the coordinates of `directions` (`dims x d`, row-major): `n x dims`.
pub(crate) fn project(points: &Points, directions: &[f32]) -> Vec<f32> {
    let d = points.d;
    let dims = directions.len() / d;
    let mut out = vec![0f32; points.n * dims];
    out.par_chunks_mut(ROWS * dims)
        .zip(points.data.par_chunks(ROWS * d))
        .for_each(|(out, rows)| dot_rows(rows, directions, d, out));
    out
}
