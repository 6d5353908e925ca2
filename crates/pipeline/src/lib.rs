//! The Fashion-MNIST clustering study composed from the `fmnist-*` crates: its experiments,
//! `results.json`, the report and its figures.
//!
//! ```no_run
//! use fmnist_pipeline::figures;
//! figures::explained_variance(std::path::Path::new("variance.png"), &[0.29, 0.18, 0.06], 2)?;
//! # Ok::<(), fmnist_pipeline::PipelineError>(())
//! ```

mod config;
mod embedding;
mod error;
pub mod figures;
pub mod paper;
mod patch_features;
mod progress;
pub mod report;
pub mod results;
mod study;

pub use config::{GmmFeatures, StudyConfig};
pub use embedding::{EmbeddingConfig, Splits, square_root};
pub use error::{PipelineError, Result};
pub use patch_features::{FittedPatchPca, PatchConfig};
pub use progress::{Progress, Silent};
pub use results::Results;
pub use study::{REPORT_FILE, RESULTS_FILE, run};
