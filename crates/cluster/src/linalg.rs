//! The dense building blocks every estimator of the crate shares: a row-major copy of the data
//! (fmnist-core's [`to_row_major`]), squared norms (fmnist-core's lane sums,
//! [`fmnist_core::simd`]), column means, and a deterministic parallel pass over fixed groups of
//! rows. (K-Means' distances are its own kernel, `kmeans::kernel`.)
//!
//! Why this shape: a pass over n samples is bound by reading the data once. Rows are processed
//! in chunks of [`CHUNK`] rows, so that whatever a caller does next with a chunk (argmin,
//! accumulating sums) reads it again from cache. Rayon parallelises over *groups* of [`GROUP`]
//! rows whose size does not depend on the thread count; per-group partial results are combined
//! in group order, so that every result is bit-identical on any number of threads.
//!
//! The norm loop carries `#[multiversion(targets("x86_64+avx2+fma"))]`: compiled for the
//! baseline target and for AVX2 + FMA, one picked at run time, so that it vectorises 8 lanes
//! wide without `target-cpu=native`. Its sums use explicit lanes and Rust does not contract to
//! FMA, so both builds give bit-identical results.

use fmnist_core::linalg;
use fmnist_core::simd::sq_norm_f64;
use fmnist_core::to_row_major;
use multiversion::multiversion;
use nalgebra::DMatrix;
use rayon::prelude::*;

/// Rows per GEMM call: a 256 x 784 `f32` chunk (800 KB) stays in a core's L2 cache.
pub(crate) const CHUNK: usize = 256;

/// Rows per unit of parallel work and per partial result (16 chunks).
pub(crate) const GROUP: usize = 16 * CHUNK;

/// A row-major matrix (`f32` for K-Means, `f64` for the mixture's EM): sample `i` is
/// `data[i * d..(i + 1) * d]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rows<T = f32> {
    pub data: Vec<T>,
    pub n: usize,
    pub d: usize,
}

impl<T> Rows<T>
where
    T: Copy + Default + Send + Sync + From<f32> + std::ops::Sub<Output = T>,
{
    /// The rows of `x` (samples x features) minus `shift` (one value per feature), laid out
    /// row-major ([`fmnist_core::to_row_major`]).
    pub fn from_matrix(x: &DMatrix<f32>, shift: &[T]) -> Self {
        let (n, d) = x.shape();
        Self {
            data: to_row_major(x, shift),
            n,
            d,
        }
    }

    /// Sample `i`.
    pub fn row(&self, i: usize) -> &[T] {
        &self.data[i * self.d..(i + 1) * self.d]
    }
}

impl Rows<f32> {
    /// Squared Euclidean norm of every row, summed in `f64`.
    pub fn sq_norms(&self) -> Vec<f32> {
        let mut norms = vec![0f32; self.n];
        norms
            .par_chunks_mut(GROUP)
            .zip(self.data.par_chunks(GROUP * self.d))
            .for_each(|(out, rows)| row_sq_norms(rows, self.d, out));
        norms
    }
}

/// Mean of every column of `x`, summed in `f64` ([`fmnist_core::linalg::column_means`]) and
/// rounded to `f32`.
pub(crate) fn column_means(x: &DMatrix<f32>) -> Vec<f32> {
    linalg::column_means(x)
        .into_iter()
        .map(|m| m as f32)
        .collect()
}

/// `out[i]` = squared norm of row `i` of `rows` (`d` values per row), summed in `f64`.
#[multiversion(targets("x86_64+avx2+fma"))]
fn row_sq_norms(rows: &[f32], d: usize, out: &mut [f32]) {
    for (o, row) in out.iter_mut().zip(rows.chunks_exact(d)) {
        *o = sq_norm_f64(row) as f32;
    }
}

/// Runs `work(group_index, rows, norms, out)` on every group of [`GROUP`] rows in parallel,
/// where `out` is the group's share of `out` (`per_row` values per row), and returns the
/// per-group results in group order.
pub(crate) fn map_groups<T, O, F>(
    x: &Rows,
    norms: &[f32],
    out: &mut [O],
    per_row: usize,
    work: F,
) -> Vec<T>
where
    T: Send,
    O: Send,
    F: Fn(usize, &[f32], &[f32], &mut [O]) -> T + Sync,
{
    debug_assert_eq!(out.len(), x.n * per_row);
    x.data
        .par_chunks(GROUP * x.d)
        .zip(norms.par_chunks(GROUP))
        .zip(out.par_chunks_mut(GROUP * per_row))
        .enumerate()
        .map(|(g, ((rows, norms), out))| work(g, rows, norms, out))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_major_copy_subtracts_the_shift() {
        let x = DMatrix::from_fn(130, 3, |i, j| (i * 10 + j) as f32);
        let rows = Rows::from_matrix(&x, &[1.0, 2.0, 3.0]);
        assert_eq!(rows.row(129), &[1289.0, 1289.0, 1289.0]);
        assert_eq!(rows.row(0), &[-1.0, -1.0, -1.0]);
    }
}
