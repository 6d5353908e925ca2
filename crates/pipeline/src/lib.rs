//! The Fashion-MNIST clustering study composed from the `fmnist-*` crates: features
//! ([`FeatureSpec`] → [`FittedFeatures`]), clustering ([`ClusterSpec`] → [`FittedClusterer`]),
//! named pipelines ([`named`], [`PIPELINES`], [`BEST`]) fitted into a [`FittedPipeline`] that
//! is saved, loaded and applied to new images, forests on the clusters ([`ForestTask`]), the
//! study's experiments, `results.json`, the report and its figures.
//!
//! Fit once, predict anywhere: a named pipeline fitted to the training split, saved to one
//! model file, loaded back and applied to new images, which get the same clusters:
//!
//! ```
//! use fmnist_io::StratifiedSplit;
//! use fmnist_pipeline::{FittedPipeline, Silent, SplitData, StudyConfig, named};
//!
//! let data = fmnist_io::fixtures::small()?; // 800 training, 200 validation, 200 test images
//! let parts = SplitData::new(&data, &StratifiedSplit::new())?;
//! let mut config = StudyConfig::quick(); // the reduced settings of `fmnist reproduce --quick`
//! config.clusters = 10;
//! let (fitted, run) = FittedPipeline::fit(named("kmeans-raw")?, &parts, &config, &Silent)?;
//! println!("test AMI {:.4}", run.result.scores.test.ami);
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("kmeans-raw.model");
//! fitted.save(&path)?;
//! let loaded = FittedPipeline::load(&path)?;
//! assert_eq!(loaded.manifest().pipeline, "kmeans-raw");
//! let clusters = loaded.predict(&parts.pixels.test)?;
//! let expected: Vec<usize> = run.clusters.test.iter().map(|&c| c as usize).collect();
//! assert_eq!(clusters, expected);
//! println!("the first test image is in cluster {} ({})", clusters[0], loaded.cluster_names().unwrap()[clusters[0]]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Every estimator of the workspace has one shape ([`fmnist_core`]'s traits): one generic
//! function fits and applies a K-Means, a Gaussian mixture and a Random Forest alike.
//!
//! ```
//! use fmnist_cluster::{Covariance, GaussianMixture, KMeans};
//! use fmnist_core::{Fit, Predict};
//! use fmnist_forest::{Labelled, RandomForest};
//! use nalgebra::DMatrix;
//!
//! /// Fits `params` to `data` and labels `x`.
//! fn fit_predict<D, P, L>(params: &P, data: &D, x: &DMatrix<f32>) -> Result<Vec<L>, Box<dyn std::error::Error>>
//! where
//!     P: Fit<D>,
//!     P::Error: 'static,
//!     P::Fitted: Predict<DMatrix<f32>, Output = Vec<L>>,
//!     <P::Fitted as Predict<DMatrix<f32>>>::Error: 'static,
//! {
//!     Ok(params.fit(data)?.predict(x)?)
//! }
//!
//! // Three well separated groups of 20 points.
//! let x = DMatrix::from_fn(60, 2, |i, j| (i / 20) as f32 * 10.0 + ((i * 7 + j * 3) % 5) as f32 * 0.1);
//! let classes: Vec<u8> = (0..60).map(|i| (i / 20) as u8).collect();
//! let same_within_groups = |labels: &[usize]| labels.chunks(20).all(|g| g.iter().all(|&l| l == g[0]));
//!
//! let kmeans = fit_predict(&KMeans::params(3).seed(0), &x, &x)?;
//! let mixture = fit_predict(&GaussianMixture::params(3).covariance(Covariance::Diag).seed(0), &x, &x)?;
//! let forest = fit_predict(&RandomForest::params().n_trees(10).seed(0), &Labelled::new(&x, &classes), &x)?;
//! assert!(same_within_groups(&kmeans) && same_within_groups(&mixture));
//! assert_eq!(forest, classes.iter().map(|&c| u32::from(c)).collect::<Vec<_>>());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Any features and clustering compose the same way, without a name:
//!
//! ```no_run
//! use fmnist_io::{Locator, StratifiedSplit};
//! use fmnist_pipeline::{ClusterSpec, FeatureSpec, Silent, SplitData, cluster};
//!
//! let (data, _) = Locator::new().offline().load()?;
//! let parts = SplitData::new(&data, &StratifiedSplit::new())?;
//! let features = FeatureSpec::Pca { components: 40 };
//! let run = cluster(&parts, &features, &ClusterSpec::kmeans(10).seed(0), &Silent)?;
//! println!("test AMI {:.4}", run.result.scores.test.ami);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod clustering;
mod config;
mod embedding;
mod error;
mod features;
pub mod figures;
mod fitted;
mod forest;
mod model_file;
mod named;
pub mod paper;
mod patch_features;
mod progress;
pub mod readme;
pub mod report;
pub mod results;
pub mod schema;
mod splits;
mod study;

pub use clustering::{ClusterMethod, ClusterSpec, ClusteringRun, FittedClusterer, cluster};
pub use config::{GmmFeatures, StudyConfig};
pub use embedding::{Embedding, EmbeddingConfig, TRUSTWORTHINESS_K};
pub use error::{PipelineError, Result};
pub use features::{FeatureSpec, FittedFeatures, square_root};
pub use fitted::{FittedPipeline, MODEL_VERSION, Manifest, SoftAssignment};
pub use forest::{ClusterLabels, ForestEvaluation, ForestTask};
pub use model_file::ModelFileError;
pub use named::{BEST, NamedPipeline, PIPELINES, named};
pub use patch_features::{FittedPatchPca, PatchConfig};
pub use progress::{Progress, Silent};
pub use results::{Build, Results};
pub use splits::{SplitData, Splits};
pub use study::{REPORT_FILE, RESULTS_FILE, run};
