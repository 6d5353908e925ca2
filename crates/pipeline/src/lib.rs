//! The Fashion-MNIST clustering study composed from the `fmnist-*` crates: its experiments,
//! `results.json`, the report and its figures.
//!
//! ```no_run
//! use fmnist_pipeline::figures;
//! figures::explained_variance(std::path::Path::new("variance.png"), &[0.29, 0.18, 0.06], 2)?;
//! # Ok::<(), fmnist_pipeline::Error>(())
//! ```

mod error;
pub mod figures;
pub mod paper;
pub mod report;
pub mod results;

pub use error::{Error, Result};
