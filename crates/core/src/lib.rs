//! The base of the fmnist-cluster workspace: what every building block (PCA, K-Means, Gaussian
//! mixtures, the forest, UMAP, patch features, the autoencoder, IDX data) shares, written once.
//!
//! - **The estimator contract** ([`Fit`], [`Predict`], [`PredictProba`], [`Transform`],
//!   [`InverseTransform`]), after scikit-learn's `fit` / `predict` / `transform` and linfa's
//!   traits: *parameters* are plain values with `Default`, builder methods and a `check()` that
//!   runs before any data is touched; [`Fit::fit`] takes the data by reference and returns a
//!   separate *fitted model*; fitted models apply themselves to new data and are
//!   serde-serialisable with a format version.
//! - **The format version** of saved fitted models ([`FormatVersion`]): a zero-sized field
//!   that saves as a number, defaults to the current version for models saved before the field
//!   existed, and refuses any other version when a model is loaded.
//! - **The matrix view** that crosses crate boundaries: [`RowMajor`], a shape and a row-major
//!   slice, with conversions from and to nalgebra's `DMatrix` and from `u8` images
//!   ([`to_row_major`], [`from_rows`]: blocked and parallel).
//! - **Input validation** ([`validate`]): non-empty, finite, the expected width, `1 <= k <= n`,
//!   as one [`InputError`] that every crate's error enum wraps.
//! - **Atomic file writes** ([`write_atomically`]): nothing already written is lost.
//! - **Dense linear algebra** ([`linalg`]): column means, the blocked covariance, the symmetric
//!   eigendecomposition and the randomized SVD.
//! - **SIMD kernels** ([`simd`]): lane sums and distances that vectorise, with run-time CPU
//!   dispatch (no `target-cpu=native`).
//!
//! # The contract in one example
//!
//! A new estimator implements [`Fit`] on its parameters and [`Predict`] on its fitted model;
//! every function written against the traits then works with it, as with the workspace's own
//! K-Means, Gaussian mixture and Random Forest:
//!
//! ```
//! use fmnist_core::{Fit, InputError, Predict, validate};
//! use nalgebra::DMatrix;
//!
//! /// Assigns each sample to the nearer of two thresholds on its first feature.
//! #[derive(Debug, Clone, Default)]
//! struct Threshold { at: f32 }
//!
//! impl Threshold {
//!     fn check(&self) -> Result<(), InputError> { Ok(()) }
//! }
//!
//! struct FittedThreshold { at: f32 }
//!
//! impl Fit<DMatrix<f32>> for Threshold {
//!     type Fitted = FittedThreshold;
//!     type Error = InputError;
//!     fn fit(&self, x: &DMatrix<f32>) -> Result<FittedThreshold, InputError> {
//!         self.check()?;
//!         validate::check_matrix(x)?;
//!         let mean = x.column(0).mean();
//!         Ok(FittedThreshold { at: self.at + mean })
//!     }
//! }
//!
//! impl Predict<DMatrix<f32>> for FittedThreshold {
//!     type Output = Vec<usize>;
//!     type Error = InputError;
//!     fn predict(&self, x: &DMatrix<f32>) -> Result<Vec<usize>, InputError> {
//!         validate::check_matrix(x)?;
//!         Ok(x.column(0).iter().map(|&v| usize::from(v > self.at)).collect())
//!     }
//! }
//!
//! /// Any estimator: fit on one set, label another.
//! fn fit_predict<P>(params: &P, train: &DMatrix<f32>, test: &DMatrix<f32>) -> Result<Vec<usize>, P::Error>
//! where
//!     P: Fit<DMatrix<f32>>,
//!     P::Fitted: Predict<DMatrix<f32>, Output = Vec<usize>, Error = P::Error>,
//! {
//!     params.fit(train)?.predict(test)
//! }
//!
//! let train = DMatrix::from_row_slice(4, 1, &[0.0, 1.0, 2.0, 3.0]);
//! let test = DMatrix::from_row_slice(2, 1, &[0.5, 2.5]);
//! assert_eq!(fit_predict(&Threshold::default(), &train, &test)?, vec![0, 1]);
//!
//! // Bad input is an error that names the place, never a panic.
//! let bad = DMatrix::from_row_slice(2, 1, &[0.5, f32::NAN]);
//! let err = fit_predict(&Threshold::default(), &bad, &test).unwrap_err();
//! assert_eq!(err.to_string(), "the data contains the non-finite value NaN at row 1, column 0");
//! # Ok::<(), InputError>(())
//! ```

#![warn(missing_docs)]

mod estimator;
mod format;
mod fs;
pub mod linalg;
mod matrix;
pub mod simd;
mod staging;
pub mod validate;

pub use estimator::{Fit, InverseTransform, Predict, PredictProba, Transform};
pub use format::FormatVersion;
pub use fs::{FileError, temp_file_in, write_atomically, write_bytes_atomically};
pub use matrix::{RowMajor, from_rows, to_row_major};
pub use staging::Staging;
pub use validate::InputError;
