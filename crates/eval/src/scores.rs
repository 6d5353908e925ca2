//! Every clustering metric of a pair of labelings at once.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::EvalError;
use crate::contingency::Contingency;
use crate::info::AverageMethod;
use crate::label::Label;

/// The four headline clustering scores of the study (the `results.json` fields).
///
/// AMI and NMI use the arithmetic normaliser (scikit-learn's default); `accuracy` is the
/// Hungarian (one-to-one) clustering accuracy — not AMI, which the original study's abstract
/// calls "accuracy".
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClusteringScores {
    /// Adjusted mutual information.
    pub ami: f64,
    /// Normalized mutual information.
    pub nmi: f64,
    /// Adjusted Rand index.
    pub ari: f64,
    /// Clustering accuracy under the best one-to-one cluster-to-class mapping.
    pub accuracy: f64,
}

impl ClusteringScores {
    /// Computes the four scores from one contingency table.
    ///
    /// # Errors
    /// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
    pub fn compute<A: Label, B: Label>(truth: &[A], pred: &[B]) -> Result<Self, EvalError> {
        Ok(Self::from_contingency(&Contingency::new(truth, pred)?))
    }

    /// The four scores of a contingency table.
    pub fn from_contingency(table: &Contingency) -> Self {
        ClusteringScores {
            ami: table.adjusted_mutual_info(AverageMethod::Arithmetic),
            nmi: table.normalized_mutual_info(AverageMethod::Arithmetic),
            ari: table.adjusted_rand_index(),
            accuracy: table.accuracy(),
        }
    }
}

/// Every clustering metric of the crate with default parameters, and the table's shape: what
/// `fmnist metrics --json` prints.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClusteringReport {
    /// Adjusted mutual information (arithmetic normaliser).
    pub ami: f64,
    /// Normalized mutual information (arithmetic normaliser).
    pub nmi: f64,
    /// Adjusted Rand index.
    pub ari: f64,
    /// Rand index.
    pub rand: f64,
    /// Homogeneity.
    pub homogeneity: f64,
    /// Completeness.
    pub completeness: f64,
    /// V-measure with `beta = 1`.
    pub v_measure: f64,
    /// Fowlkes–Mallows index.
    pub fowlkes_mallows: f64,
    /// Clustering accuracy (Hungarian, one-to-one).
    pub accuracy: f64,
    /// Purity (many-to-one accuracy).
    pub purity: f64,
    /// Number of samples.
    pub n_samples: u64,
    /// Number of distinct true labels.
    pub n_classes: usize,
    /// Number of distinct predicted labels.
    pub n_clusters: usize,
}

impl ClusteringReport {
    /// Computes every metric from one contingency table.
    ///
    /// # Errors
    /// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
    pub fn compute<A: Label, B: Label>(truth: &[A], pred: &[B]) -> Result<Self, EvalError> {
        Ok(Self::from_contingency(&Contingency::new(truth, pred)?))
    }

    /// Every metric of a contingency table.
    pub fn from_contingency(table: &Contingency) -> Self {
        let hcv = table.homogeneity_completeness_v_measure(1.0);
        ClusteringReport {
            ami: table.adjusted_mutual_info(AverageMethod::Arithmetic),
            nmi: table.normalized_mutual_info(AverageMethod::Arithmetic),
            ari: table.adjusted_rand_index(),
            rand: table.rand_index(),
            homogeneity: hcv.homogeneity,
            completeness: hcv.completeness,
            v_measure: hcv.v_measure,
            fowlkes_mallows: table.fowlkes_mallows(),
            accuracy: table.accuracy(),
            purity: table.purity(),
            n_samples: table.n_samples(),
            n_classes: table.n_classes(),
            n_clusters: table.n_clusters(),
        }
    }

    /// The headline scores.
    pub fn scores(&self) -> ClusteringScores {
        ClusteringScores {
            ami: self.ami,
            nmi: self.nmi,
            ari: self.ari,
            accuracy: self.accuracy,
        }
    }

    /// `(name, description, value)` for each metric, in display order.
    pub fn rows(&self) -> [(&'static str, &'static str, f64); 10] {
        [
            ("ami", "adjusted mutual information", self.ami),
            ("nmi", "normalized mutual information", self.nmi),
            ("ari", "adjusted Rand index", self.ari),
            ("rand", "Rand index", self.rand),
            ("homogeneity", "homogeneity", self.homogeneity),
            ("completeness", "completeness", self.completeness),
            ("v_measure", "V-measure (beta = 1)", self.v_measure),
            (
                "fowlkes_mallows",
                "Fowlkes-Mallows index",
                self.fowlkes_mallows,
            ),
            (
                "accuracy",
                "accuracy (best one-to-one mapping)",
                self.accuracy,
            ),
            ("purity", "purity (many-to-one accuracy)", self.purity),
        ]
    }
}

impl fmt::Display for ClusteringReport {
    /// A table of every metric; the precision (`{:.6}`, default 4) sets the digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = f.precision().unwrap_or(4);
        writeln!(
            f,
            "{} samples, {} classes, {} clusters",
            self.n_samples, self.n_classes, self.n_clusters
        )?;
        writeln!(f)?;
        for (name, description, value) in self.rows() {
            writeln!(
                f,
                "{name:<16} {value:>width$.digits$}  {description}",
                width = digits + 3
            )?;
        }
        Ok(())
    }
}
