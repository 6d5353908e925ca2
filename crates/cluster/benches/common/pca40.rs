//! PCA of the training features for the GMM bench and example (the study's PCA-40): the
//! covariance in `f64` by faer's GEMM, the leading eigenvectors by faer's self-adjoint
//! eigendecomposition; the projection of any data on them. Kept here rather than taking a
//! dependency on `fmnist-decomp`, which the cluster crate does not need.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par, Side};
use nalgebra::DMatrix;

/// The mean and the `components` leading principal axes (`features x components`) of `x`.
pub struct Pca {
    mean: Vec<f64>,
    axes: Mat<f64>,
}

impl Pca {
    /// Fits the axes on `x` (samples x features).
    pub fn fit(x: &DMatrix<f32>, components: usize) -> Self {
        let (n, d) = x.shape();
        let mean: Vec<f64> = x
            .column_iter()
            .map(|c| c.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64)
            .collect();
        let centred = Mat::<f64>::from_fn(n, d, |i, j| f64::from(x[(i, j)]) - mean[j]);
        let mut cov = Mat::<f64>::zeros(d, d);
        matmul(
            cov.as_mut(),
            Accum::Replace,
            centred.transpose(),
            centred.as_ref(),
            1.0 / (n as f64 - 1.0),
            Par::rayon(0),
        );
        let eigen = cov
            .self_adjoint_eigen(Side::Lower)
            .expect("a covariance is symmetric");
        let u = eigen.U();
        // Eigenvalues ascend: the leading axes are the last columns.
        let axes = Mat::<f64>::from_fn(d, components, |t, c| u[(t, d - 1 - c)]);
        Self { mean, axes }
    }

    /// The coordinates of `x` (samples x features) on the axes, `samples x components`.
    pub fn transform(&self, x: &DMatrix<f32>) -> DMatrix<f32> {
        let (n, d) = x.shape();
        let centred = Mat::<f64>::from_fn(n, d, |i, j| f64::from(x[(i, j)]) - self.mean[j]);
        let mut z = Mat::<f64>::zeros(n, self.axes.ncols());
        matmul(
            z.as_mut(),
            Accum::Replace,
            centred.as_ref(),
            self.axes.as_ref(),
            1.0,
            Par::rayon(0),
        );
        DMatrix::from_fn(n, self.axes.ncols(), |i, c| z[(i, c)] as f32)
    }
}
