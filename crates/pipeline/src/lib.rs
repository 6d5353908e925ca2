//! The Fashion-MNIST clustering study composed from the `fmnist-*` crates: features
//! ([`FeatureSpec`] → [`FittedFeatures`]), clustering ([`ClusterSpec`] → [`FittedClusterer`]),
//! forests on the clusters ([`ForestTask`]), the study's experiments, `results.json`, the
//! report and its figures.
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
pub mod report;
pub mod results;
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
pub use results::Results;
pub use splits::{SplitData, Splits};
pub use study::{REPORT_FILE, RESULTS_FILE, run};
