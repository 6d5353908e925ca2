//! Clustering accuracy (best one-to-one mapping of clusters to classes) and purity (many-to-one).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::EvalError;
use crate::assignment::max_weight_matching;
use crate::contingency::Contingency;
use crate::label::Label;

/// Clustering accuracy and the cluster-to-class mapping that achieves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "A: Label, B: Label", deserialize = "A: Label, B: Label"))]
pub struct ClusterAccuracy<A, B> {
    /// `correct / n_samples`.
    pub accuracy: f64,
    /// Samples whose cluster is mapped to their class.
    pub correct: u64,
    /// Number of samples.
    pub n_samples: u64,
    /// Each matched cluster's class. With at least as many classes as clusters every cluster is
    /// mapped; with more clusters than classes, as many clusters as there are classes are.
    pub mapping: BTreeMap<B, A>,
    /// The clusters left without a class (only when there are more clusters than classes).
    pub unmatched_clusters: Vec<B>,
}

impl<A: Label, B: Label> ClusterAccuracy<A, B> {
    /// The class that `cluster` is mapped to.
    pub fn class_of(&self, cluster: B) -> Option<A> {
        self.mapping.get(&cluster).copied()
    }

    /// Translates predicted clusters into classes (`None` for unmatched clusters).
    pub fn relabel(&self, pred: &[B]) -> Vec<Option<A>> {
        pred.iter().map(|&p| self.class_of(p)).collect()
    }
}

/// Clustering accuracy: the fraction of samples correctly labelled under the best one-to-one
/// mapping of clusters to classes (the linear assignment problem on the contingency table, as
/// SciPy's `linear_sum_assignment` on its negation), with the mapping.
///
/// Works for any numbers of clusters and classes; the total is exact, and on ties the mapping
/// is one of the optimal ones.
///
/// # Errors
/// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
pub fn clustering_accuracy<A: Label, B: Label>(
    truth: &[A],
    pred: &[B],
) -> Result<ClusterAccuracy<A, B>, EvalError> {
    let table = Contingency::new(truth, pred)?;
    let (cluster_to_class, correct) = table.one_to_one_matching();
    let mut mapping = BTreeMap::new();
    let mut unmatched_clusters = Vec::new();
    for (j, class) in cluster_to_class.iter().enumerate() {
        let cluster = B::from_u64(table.clusters()[j]);
        match class {
            Some(i) => {
                mapping.insert(cluster, A::from_u64(table.classes()[*i]));
            }
            None => unmatched_clusters.push(cluster),
        }
    }
    Ok(ClusterAccuracy {
        accuracy: correct as f64 / table.n_samples() as f64,
        correct,
        n_samples: table.n_samples(),
        mapping,
        unmatched_clusters,
    })
}

/// Purity: the fraction of samples in the majority class of their cluster (many-to-one
/// accuracy; 1 for all-distinct clusters).
///
/// # Errors
/// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
pub fn purity<A: Label, B: Label>(truth: &[A], pred: &[B]) -> Result<f64, EvalError> {
    Ok(Contingency::new(truth, pred)?.purity())
}

impl Contingency {
    /// The best one-to-one matching of clusters (columns) to classes (rows): for each cluster
    /// index its class index, and the number of samples on matched pairs.
    ///
    /// Exactly `min(n_classes, n_clusters)` clusters are matched; pairs that share no sample
    /// complete the matching in increasing order where the optimum leaves a choice.
    pub fn one_to_one_matching(&self) -> (Vec<Option<usize>>, u64) {
        let adjacency: Vec<Vec<(u32, i64)>> = (0..self.n_classes())
            .map(|i| self.row(i).map(|(j, c)| (j as u32, c as i64)).collect())
            .collect();
        let (class_to_cluster, correct) = max_weight_matching(&adjacency, self.n_clusters());
        let mut cluster_to_class = vec![None; self.n_clusters()];
        for (i, j) in class_to_cluster.iter().enumerate() {
            if let Some(j) = *j {
                cluster_to_class[j] = Some(i);
            }
        }
        // complete with zero-overlap pairs
        let mut free_classes = class_to_cluster
            .iter()
            .enumerate()
            .filter(|(_, j)| j.is_none())
            .map(|(i, _)| i);
        for slot in cluster_to_class.iter_mut() {
            if slot.is_none() {
                match free_classes.next() {
                    Some(i) => *slot = Some(i),
                    None => break,
                }
            }
        }
        (cluster_to_class, correct)
    }

    /// Clustering accuracy under the best one-to-one mapping (see [`clustering_accuracy`]).
    pub fn accuracy(&self) -> f64 {
        self.one_to_one_matching().1 as f64 / self.n_samples() as f64
    }

    /// Purity (see [`purity`]).
    pub fn purity(&self) -> f64 {
        let mut best = vec![0u64; self.n_clusters()];
        for (_, j, c) in self.nonzeros() {
            best[j] = best[j].max(c);
        }
        best.iter().sum::<u64>() as f64 / self.n_samples() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_clusters_than_classes_and_the_reverse() {
        let truth = [0u8, 0, 0, 1, 1, 1];
        let pred = [5u32, 5, 6, 7, 7, 8];
        let acc = clustering_accuracy(&truth, &pred).unwrap();
        assert_eq!(acc.correct, 4);
        assert_eq!(acc.mapping.get(&5), Some(&0));
        assert_eq!(acc.mapping.get(&7), Some(&1));
        assert_eq!(acc.unmatched_clusters, vec![6, 8]);
        assert_eq!(purity(&truth, &pred).unwrap(), 1.0);

        let rev = clustering_accuracy(&pred, &truth).unwrap();
        assert_eq!(rev.correct, 4);
        assert_eq!(rev.mapping.len(), 2);
        assert!(rev.unmatched_clusters.is_empty());
        assert!((purity(&pred, &truth).unwrap() - 4.0 / 6.0).abs() < 1e-15);
        assert_eq!(acc.relabel(&[5, 6]), vec![Some(0), None]);
    }

    #[test]
    fn zero_overlap_pairs_complete_the_mapping() {
        // cluster 9 shares no sample with class 1, but is the only cluster left for it
        let truth = [0u8, 0, 0, 0, 1];
        let pred = [0u8, 0, 0, 9, 0];
        let acc = clustering_accuracy(&truth, &pred).unwrap();
        assert_eq!(acc.correct, 3);
        assert_eq!(acc.class_of(0), Some(0));
        assert_eq!(acc.class_of(9), Some(1));
        assert!(acc.unmatched_clusters.is_empty());
        let json = serde_json::to_string(&acc).unwrap();
        let back: ClusterAccuracy<u8, u8> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, acc);
    }
}
