//! A Random Forest classifier with scikit-learn's parameters and defaults, grown on per-feature
//! histograms: several times faster than scikit-learn's `RandomForestClassifier` on
//! Fashion-MNIST at the same accuracy.
//!
//! - Features are a `DMatrix<u8>` (one row per sample), used as is: a split is "value <= t" over
//!   the 256 possible values, exactly the splits scikit-learn considers on such data; or a
//!   `DMatrix<f32>`, binned into at most 256 quantile bins per feature at fit time. That binning
//!   is the one approximation of this crate, and it is exact when a feature has at most 256
//!   distinct values (pixels scaled to `[0, 1]`, cluster labels). NaN and ±inf are errors
//!   (`fmnist_core`'s [`InputError`](fmnist_core::InputError), in [`ForestError::Input`]).
//! - [`add_label_column`] appends cluster labels to pixel features (the study's "add");
//!   [`label_column`] makes the label alone a feature matrix ("replace").
//! - [`RandomForest::params`] gives scikit-learn's defaults (100 trees, Gini, `sqrt` features per
//!   split, fully grown trees, bootstrap); the builder methods carry scikit-learn's names.
//!   Splits are chosen as scikit-learn's `BestSplitter` chooses them (same feature drawing, same
//!   criteria, first best split wins), from a histogram of class counts per candidate feature
//!   instead of a sort.
//! - Trees grow in parallel on rayon's pool, each from its own generator seeded from
//!   [`RandomForestParams::seed`]: the same seed gives the same forest on any number of threads.
//! - A [`FittedRandomForest`] predicts classes and probabilities (the mean of the trees'), gives
//!   the mean decrease in impurity per feature, the out-of-bag accuracy if asked, tree statistics,
//!   and is saved and loaded with serde (with a checked
//!   [`FormatVersion`](fmnist_core::FormatVersion)).
//! - The estimator contract of `fmnist_core`: the parameters implement
//!   [`Fit`](fmnist_core::Fit) on [`Labelled`] data (features and labels), the fitted forest
//!   [`Predict`](fmnist_core::Predict) and [`PredictProba`](fmnist_core::PredictProba) on either
//!   kind of features; the inherent methods do the same without importing the traits.
//!
//! ```
//! use fmnist_forest::{RandomForest, MaxFeatures};
//! use nalgebra::DMatrix;
//!
//! // Two features; the class is whether the first exceeds 100.
//! let rows: Vec<[u8; 2]> = (0..200u32).map(|i| [(i * 37 % 256) as u8, (i % 7) as u8]).collect();
//! let x = DMatrix::from_row_iterator(rows.len(), 2, rows.iter().flatten().copied());
//! let y: Vec<u8> = rows.iter().map(|r| u8::from(r[0] > 100)).collect();
//!
//! let forest = RandomForest::params().n_trees(20).max_features(MaxFeatures::All).seed(7).fit(&x, &y)?;
//! assert_eq!(forest.predict(&x)?, y.iter().map(|&c| u32::from(c)).collect::<Vec<_>>());
//! let proba = forest.predict_proba(&x)?; // 200 x 2, rows sum to 1
//! assert!((proba.row(0).sum() - 1.0).abs() < 1e-9);
//! assert!(forest.feature_importances()[0] > 0.9);
//! # Ok::<(), fmnist_forest::ForestError>(())
//! ```

mod error;
mod features;
mod forest;
mod params;
mod tree;

pub use error::{ForestError, Result};
pub use features::{Binner, Features, MAX_BINS, add_label_column, label_column};
pub use forest::{FittedRandomForest, Labelled, RandomForest, TreeStats};
pub use params::{ClassWeight, Criterion, MaxFeatures, MaxSamples, RandomForestParams};
pub use tree::Tree;
