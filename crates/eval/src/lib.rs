//! Clustering and classification metrics that agree with scikit-learn to 1e-9.
//!
//! Every number the study prints comes from here. Labels are plain slices of any unsigned
//! integer type ([`Label`]); the two labelings of a clustering metric may use different types
//! and different numbers of distinct values. Mismatched lengths and empty input are
//! [`EvalError`]s, never panics.
//!
//! # Clustering
//! * [`Contingency`]: the sparse contingency table (one pass for small tables; 70,000 labels
//!   with 10 x 10 clusters take well under a millisecond); every metric is also a method on it.
//! * [`entropy`], [`mutual_info`], [`normalized_mutual_info`], [`adjusted_mutual_info`] (with
//!   the exact expected mutual information, [`expected_mutual_info`]) and their `_with`
//!   variants taking an [`AverageMethod`].
//! * [`adjusted_rand_index`], [`rand_index`], [`pair_confusion_matrix`], [`fowlkes_mallows`].
//! * [`homogeneity`], [`completeness`], [`v_measure`], [`v_measure_with_beta`],
//!   [`homogeneity_completeness_v_measure`].
//! * [`clustering_accuracy`] (Hungarian, with the mapping) and [`purity`].
//! * [`ClusteringScores`] (AMI, NMI, ARI, accuracy: the `results.json` fields) and
//!   [`ClusteringReport`] (everything, what `fmnist metrics --json` prints).
//!
//! # Classification
//! [`confusion_matrix`] and [`ClassificationReport`] (per-class precision, recall, F1, support,
//! accuracy, macro and weighted averages, scikit-learn's `zero_division`, the text layout of
//! scikit-learn's `classification_report`, serde).
//!
//! ```
//! use fmnist_eval::{adjusted_mutual_info, clustering_accuracy, ClusteringScores};
//!
//! let truth: Vec<u8> = vec![0, 0, 1, 1, 2, 2];
//! let pred: Vec<u32> = vec![7, 7, 3, 3, 3, 9];
//! let ami = adjusted_mutual_info(&truth, &pred)?;
//! let acc = clustering_accuracy(&truth, &pred)?;
//! assert_eq!(acc.correct, 5);
//! assert_eq!(acc.class_of(7), Some(0));
//! let scores = ClusteringScores::compute(&truth, &pred)?;
//! assert_eq!(scores.ami, ami);
//! # Ok::<(), fmnist_eval::EvalError>(())
//! ```

#![warn(missing_docs)]

mod accuracy;
mod assignment;
mod classification;
mod contingency;
mod error;
mod info;
mod label;
mod pairs;
mod scores;
mod sum;
mod vmeasure;

pub use accuracy::{ClusterAccuracy, clustering_accuracy, purity};
pub use classification::{
    AverageScores, ClassScores, ClassificationReport, ConfusionMatrix, Metric, ReportOptions,
    UndefinedMetric, ZeroDivision, confusion_matrix,
};
pub use contingency::Contingency;
pub use error::EvalError;
pub use info::{
    AverageMethod, adjusted_mutual_info, adjusted_mutual_info_with, entropy, expected_mutual_info,
    mutual_info, normalized_mutual_info, normalized_mutual_info_with,
};
pub use label::Label;
pub use pairs::{adjusted_rand_index, fowlkes_mallows, pair_confusion_matrix, rand_index};
pub use scores::{ClusteringReport, ClusteringScores};
pub use vmeasure::{
    HomogeneityCompleteness, completeness, homogeneity, homogeneity_completeness_v_measure,
    v_measure, v_measure_with_beta,
};
