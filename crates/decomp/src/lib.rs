//! Principal component analysis of dense `f32` data, in the estimator shape of the
//! fmnist-cluster workspace: [`Pca::params`] with builder methods and [`Pca::check`],
//! [`Pca::fit`] returning a serialisable, versioned [`FittedPca`], errors instead of panics.
//! `Pca` implements `fmnist_core`'s `Fit`, `FittedPca` its `Transform` and
//! `InverseTransform` (the inherent methods do the same without importing the traits).
//!
//! With few features (up to 1,000, such as 784 pixels) the covariance matrix is one matrix
//! product (the workspace's GEMM, faer, lower triangle only, accumulated in `f64`) followed by
//! a symmetric eigendecomposition; with many, a seeded randomized SVD. Both are
//! `fmnist_core::linalg`'s, shared with the other building blocks. Conventions follow
//! scikit-learn's `PCA` (sample variance with `n − 1`, the sign of `svd_flip`, the noise
//! variance), so results can be compared one to one.
//!
//! ```
//! use fmnist_decomp::{Method, Pca};
//! use nalgebra::DMatrix;
//!
//! let x = DMatrix::from_fn(50, 3, |i, j| ((i * (j + 1)) % 7) as f32 + if j == 2 { i as f32 } else { 0.0 });
//! let pca = Pca::params(2).method(Method::Covariance).fit(&x)?;
//! assert_eq!(pca.components().shape(), (2, 3));
//! assert_eq!(pca.all_explained_variance_ratio().len(), 3);
//! let ratios = pca.explained_variance_ratio();
//! assert!(ratios[0] >= ratios[1]);
//! let z = pca.transform(&x)?;
//! assert_eq!(z.shape(), (50, 2));
//! # Ok::<(), fmnist_decomp::DecompError>(())
//! ```

mod error;
mod pca;

pub use error::{DecompError, Result};
pub use pca::{FittedPca, Method, Pca};
