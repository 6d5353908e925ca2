//! The data as the mixture sees it: row-major `f64`, centred by the training mean.
//!
//! EM sums products of many samples with large precisions; `f64` keeps those digits, and
//! centring keeps the expansions of the diagonal and tied models (E[x²] − E[x]²) accurate.

use nalgebra::DMatrix;
use rayon::prelude::*;

/// A row-major `f64` matrix: sample `i` is `data[i * d..(i + 1) * d]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rows64 {
    pub data: Vec<f64>,
    pub n: usize,
    pub d: usize,
}

impl Rows64 {
    /// The rows of `x` (samples x features, column-major) minus `shift`, row-major, in `f64`.
    pub fn from_matrix(x: &DMatrix<f32>, shift: &[f64]) -> Self {
        let (n, d) = x.shape();
        debug_assert_eq!(shift.len(), d);
        const BLOCK: usize = 64;
        let src = x.as_slice();
        let mut data = vec![0f64; n * d];
        data.par_chunks_mut(BLOCK * d.max(1))
            .enumerate()
            .for_each(|(b, out)| {
                let r0 = b * BLOCK;
                let rows = out.len() / d.max(1);
                for (j, &s) in shift.iter().enumerate() {
                    let col = &src[j * n + r0..j * n + r0 + rows];
                    for (r, &v) in col.iter().enumerate() {
                        out[r * d + j] = f64::from(v) - s;
                    }
                }
            });
        Self { data, n, d }
    }

    /// Sample `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.d..(i + 1) * self.d]
    }
}

/// The mean of every column of `x`, accumulated in `f64`.
pub(crate) fn column_means(x: &DMatrix<f32>) -> Vec<f64> {
    let n = x.nrows() as f64;
    x.column_iter()
        .map(|col| col.iter().map(|&v| f64::from(v)).sum::<f64>() / n)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_centred_and_row_major() {
        let x = DMatrix::from_fn(70, 2, |i, j| (i * 2 + j) as f32);
        let mean = column_means(&x);
        assert_eq!(mean, vec![69.0, 70.0]);
        let rows = Rows64::from_matrix(&x, &mean);
        assert_eq!(rows.row(0), &[-69.0, -69.0]);
        assert_eq!(rows.row(69), &[69.0, 69.0]);
    }
}
