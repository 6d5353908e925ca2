//! The data as the mixture sees it: row-major `f64`, centred by the training mean.
//!
//! EM sums products of many samples with large precisions; `f64` keeps those digits, and
//! centring keeps the expansions of the diagonal and tied models (E[x²] − E[x]²) accurate.

use nalgebra::DMatrix;

/// The data in `f64`, row-major: sample `i` is `data[i * d..(i + 1) * d]`.
pub(crate) type Rows64 = crate::linalg::Rows<f64>;

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
