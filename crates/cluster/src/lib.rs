//! Clustering of dense `f32` data: [`KMeans`] (k-means++ or random starts, `n_init` runs,
//! Lloyd iterations whose distance step is a blocked matrix product) and [`GaussianMixture`]
//! (EM with full, tied, diagonal or spherical covariances), in the estimator shape of the
//! fmnist-cluster workspace: parameters with builder methods and a `check()` that `fit` runs
//! before it touches the data, `fit` returning a fitted model that is serialisable with a
//! [`FormatVersion`], fmnist-core's traits ([`fmnist_core::Fit`], [`fmnist_core::Predict`],
//! [`fmnist_core::PredictProba`], [`fmnist_core::Transform`]) beside the inherent methods,
//! errors instead of panics.
//!
//! Data is a nalgebra `DMatrix<f32>` with one row per sample (`DMatrix::from_row_slice(n, d,
//! &data)` from a row-major buffer). Work runs in parallel in the current rayon thread pool;
//! every random choice takes a seed, and the same seed gives the same model on any number of
//! threads.
//!
//! ```
//! use fmnist_cluster::{Init, KMeans};
//! use nalgebra::DMatrix;
//!
//! let x = DMatrix::from_row_slice(4, 2, &[0.0, 0.0, 0.0, 1.0, 10.0, 10.0, 10.0, 11.0]);
//! let start = DMatrix::from_row_slice(2, 2, &[0.0, 0.0, 10.0, 10.0]);
//! let km = KMeans::params(2).init(Init::Centroids(start)).fit(&x)?;
//! assert_eq!(km.labels(), &[0, 0, 1, 1]);
//! assert_eq!(km.centroids()[(1, 1)], 10.5);
//! assert_eq!(km.inertia(), 1.0);
//! # Ok::<(), fmnist_cluster::ClusterError>(())
//! ```

mod error;
mod gmm;
mod kmeans;
mod linalg;
mod params;

pub use error::{ClusterError, Result};
pub use gmm::{ComponentSizes, Covariance, FittedGaussianMixture, GaussianMixture, GmmInit};
pub use kmeans::{Algorithm, FittedKMeans, Init, KMeans};

/// The layout version of a saved [`FittedKMeans`] or [`FittedGaussianMixture`] (their
/// `format_version` field, saved as the number 1): loading a model of another version is an
/// error; a model saved before the field existed has version 1's layout and loads as such.
pub type FormatVersion = fmnist_core::FormatVersion<1>;
