//! The row-major product `A · Bᵀ` that distance computations are built on.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

/// `out (m x k) = a (m x d) · b (k x d)ᵀ`, all row-major, on the calling thread (the callers
/// parallelise over blocks of rows, so that results do not depend on the thread count).
///
/// ```
/// let (a, b) = ([1.0f32, 2.0, 3.0, 4.0], [1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0]);
/// let mut out = [0f32; 6];
/// fmnist_core::linalg::dot_rows(&a, &b, 2, &mut out);
/// assert_eq!(out, [1.0, 2.0, 3.0, 3.0, 4.0, 7.0]);
/// ```
pub fn dot_rows(a: &[f32], b: &[f32], d: usize, out: &mut [f32]) {
    let m = a.len() / d;
    let k = b.len() / d;
    debug_assert_eq!(out.len(), m * k);
    let a = MatRef::from_row_major_slice(a, m, d);
    let b = MatRef::from_row_major_slice(b, k, d);
    let out = MatMut::from_row_major_slice_mut(out, m, k);
    matmul(out, Accum::Replace, a, b.transpose(), 1.0f32, Par::Seq);
}
