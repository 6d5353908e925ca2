//! Pair-counting metrics: Rand index, adjusted Rand index, Fowlkes–Mallows index.

use crate::EvalError;
use crate::contingency::Contingency;
use crate::label::Label;

/// The 2 x 2 pair confusion matrix, as scikit-learn's `pair_confusion_matrix`: entry `[t][p]`
/// counts ordered pairs of distinct samples that are together in the truth (`t = 1`) or not
/// (`t = 0`) and together in the prediction (`p = 1`) or not (`p = 0`).
///
/// # Errors
/// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
pub fn pair_confusion_matrix<A: Label, B: Label>(
    truth: &[A],
    pred: &[B],
) -> Result<[[u64; 2]; 2], EvalError> {
    Ok(Contingency::new(truth, pred)?.pair_confusion())
}

/// Rand index: the fraction of sample pairs on which the labelings agree.
///
/// # Errors
/// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
pub fn rand_index<A: Label, B: Label>(truth: &[A], pred: &[B]) -> Result<f64, EvalError> {
    Ok(Contingency::new(truth, pred)?.rand_index())
}

/// Adjusted Rand index (Hubert and Arabie 1985): the Rand index corrected for chance.
///
/// # Errors
/// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
pub fn adjusted_rand_index<A: Label, B: Label>(truth: &[A], pred: &[B]) -> Result<f64, EvalError> {
    Ok(Contingency::new(truth, pred)?.adjusted_rand_index())
}

/// Fowlkes–Mallows index: the geometric mean of pairwise precision and recall.
///
/// # Errors
/// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
pub fn fowlkes_mallows<A: Label, B: Label>(truth: &[A], pred: &[B]) -> Result<f64, EvalError> {
    Ok(Contingency::new(truth, pred)?.fowlkes_mallows())
}

impl Contingency {
    /// `(sum n_ij^2, sum a_i^2, sum b_j^2)`, exact (each is at most n^2 < 2^64).
    fn sums_of_squares(&self) -> (u64, u64, u64) {
        let cells = self.nonzeros().map(|(_, _, c)| c * c).sum();
        let rows = self.class_sizes().iter().map(|&a| a * a).sum();
        let cols = self.cluster_sizes().iter().map(|&b| b * b).sum();
        (cells, rows, cols)
    }

    /// The pair confusion matrix (see [`pair_confusion_matrix`]).
    pub fn pair_confusion(&self) -> [[u64; 2]; 2] {
        let n = self.n_samples();
        let (cells, rows, cols) = self.sums_of_squares();
        let both = cells - n;
        // pairs together in the prediction but not in the truth, and the reverse
        let pred_only = cols - cells;
        let true_only = rows - cells;
        let neither = n * n - pred_only - true_only - cells;
        [[neither, pred_only], [true_only, both]]
    }

    /// Rand index (1 when there are no pairs, as scikit-learn).
    pub fn rand_index(&self) -> f64 {
        let [[tn, fp], [fn_, tp]] = self.pair_confusion();
        let agree = tn + tp;
        let total = tn + fp + fn_ + tp;
        if agree == total || total == 0 {
            return 1.0;
        }
        agree as f64 / total as f64
    }

    /// Adjusted Rand index, in exact integer arithmetic as scikit-learn (which uses Python
    /// integers): `2 (tp tn - fn fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn))`, 1 when the
    /// labelings agree on every pair.
    pub fn adjusted_rand_index(&self) -> f64 {
        let [[tn, fp], [fn_, tp]] = self.pair_confusion();
        if fn_ == 0 && fp == 0 {
            return 1.0;
        }
        let (tn, fp, fn_, tp) = (
            i128::from(tn),
            i128::from(fp),
            i128::from(fn_),
            i128::from(tp),
        );
        let numerator = tp * tn - fn_ * fp;
        let denominator = (tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn);
        2.0 * numerator as f64 / denominator as f64
    }

    /// Fowlkes–Mallows index (0 when no pair of samples is together in both labelings).
    pub fn fowlkes_mallows(&self) -> f64 {
        let n = self.n_samples();
        let (cells, rows, cols) = self.sums_of_squares();
        let tk = cells - n;
        if tk == 0 {
            return 0.0;
        }
        let (tk, pk, qk) = (tk as f64, (cols - n) as f64, (rows - n) as f64);
        (tk / pk).sqrt() * (tk / qk).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_examples_from_scikit_learn_docs() {
        let t = [0u8, 0, 1, 2];
        let p = [0u8, 0, 1, 1];
        assert_eq!(pair_confusion_matrix(&t, &p).unwrap(), [[8, 2], [0, 2]]);
        assert!((rand_index(&t, &p).unwrap() - 0.8333333333333334).abs() < 1e-15);
        assert!(
            (adjusted_rand_index(&[0u8, 0, 1, 1], &[0u8, 0, 1, 2]).unwrap() - 0.5714285714285714)
                .abs()
                < 1e-15
        );
        assert_eq!(
            adjusted_rand_index(&[0u8, 0, 1, 1], &[1u8, 1, 0, 0]).unwrap(),
            1.0
        );
        assert_eq!(
            fowlkes_mallows(&[0u8, 0, 1, 1], &[0u8, 0, 1, 1]).unwrap(),
            1.0
        );
        assert_eq!(
            fowlkes_mallows(&[0u8, 0, 0, 0], &[0u8, 1, 2, 3]).unwrap(),
            0.0
        );
        assert_eq!(rand_index(&[4u8], &[9u8]).unwrap(), 1.0);
    }
}
