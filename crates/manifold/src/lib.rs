//! A UMAP-style embedding (McInnes, Healy and Melville 2018) of dense `f32` data with the
//! semantics of umap-learn 0.5, in the estimator shape of the fmnist-cluster workspace:
//! parameters with `Default`, builder methods and a `check()` that `fit` runs before it touches
//! the data ([`Umap`]), `fit` returning a fitted model ([`FittedUmap`]), serialisable with a
//! [`FormatVersion`], that embeds new points with [`FittedUmap::transform`] (fmnist-core's
//! [`fmnist_core::Fit`] and [`fmnist_core::Transform`] are implemented too), errors instead
//! of panics (bad data as [`ManifoldError::Input`]).
//!
//! The steps: the k nearest neighbours, exact by blocked matrix products or, above 128
//! features, approximate by NN-descent (or, when asked, by a search in 64 principal
//! directions re-ranked exactly) ([`nearest_neighbors_by`], [`NeighborSearch`]; new points
//! among reference points: [`neighbors_among`]); the fuzzy simplicial set — per-point ρ and σ
//! ([`smooth_knn_dist`]), memberships, fuzzy union ([`fuzzy_simplicial_set`]); the curve
//! parameters `a`, `b` ([`find_ab_params`]); a spectral (or PCA, or random) start; the
//! stochastic layout optimisation with negative sampling. Work runs in the current rayon
//! thread pool; every random choice takes a seed, and the same seed gives the same embedding
//! on any number of threads. [`trustworthiness`] measures how well an embedding keeps
//! neighbourhoods.
//!
//! Data is a nalgebra `DMatrix<f32>` with one row per sample (`DMatrix::from_row_slice(n, d,
//! &data)` from a row-major buffer).
//!
//! ```
//! use fmnist_manifold::{trustworthiness, Umap};
//! use nalgebra::DMatrix;
//!
//! // Three tight groups of 30 points in 5 dimensions.
//! let x = DMatrix::from_fn(90, 5, |i, j| {
//!     let group = (i / 30) as f32;
//!     group * 20.0 * (j == (i / 30)) as u8 as f32 + ((i * 13 + j * 7) % 17) as f32 * 0.05
//! });
//! let model = Umap::params().n_neighbors(10).seed(0).fit(&x)?;
//! let embedding = model.embedding();
//! assert_eq!(embedding.shape(), (90, 2));
//! assert!(trustworthiness(&x, embedding, 5)? > 0.8);
//! // New points land next to the training points they resemble.
//! let new = x.rows(0, 3).into_owned();
//! assert_eq!(model.transform(&new)?.shape(), (3, 2));
//! # Ok::<(), fmnist_manifold::ManifoldError>(())
//! ```

mod ab;
mod cells;
mod descent;
mod error;
mod forest;
mod graph;
mod graph_search;
mod init;
mod knn;
mod layout;
mod projection;
mod rng;
mod trustworthiness;
mod umap;

pub use ab::find_ab_params;
pub use error::{ManifoldError, Result};
pub use graph::{FuzzyGraph, fuzzy_simplicial_set, smooth_knn_dist};
pub use knn::{
    NeighborSearch, Neighbors, nearest_neighbors, nearest_neighbors_by, neighbors_among,
};
pub use trustworthiness::trustworthiness;
pub use umap::{FittedUmap, Init, Metric, Progress, Umap};

/// The layout version of a saved [`FittedUmap`] (its `format_version` field, saved as the
/// number 1): loading a model of another version is an error; a model saved before the field
/// existed has version 1's layout and loads as such.
pub type FormatVersion = fmnist_core::FormatVersion<1>;
