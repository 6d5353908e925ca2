//! Homogeneity, completeness and V-measure (Rosenberg and Hirschberg 2007).

use serde::{Deserialize, Serialize};

use crate::EvalError;
use crate::contingency::Contingency;
use crate::label::Label;

/// Homogeneity, completeness and their weighted harmonic mean, the V-measure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HomogeneityCompleteness {
    /// Each cluster contains only members of a single class: `I(C; K) / H(C)` (1 if `H(C) = 0`).
    pub homogeneity: f64,
    /// All members of a class are in the same cluster: `I(C; K) / H(K)` (1 if `H(K) = 0`).
    pub completeness: f64,
    /// `(1 + beta) h c / (beta h + c)` (0 if `h + c = 0`, and 0 if `beta h + c = 0`, which
    /// happens only for `beta = 0` with a single true class and where scikit-learn raises
    /// `ZeroDivisionError`).
    pub v_measure: f64,
}

/// Homogeneity, completeness and V-measure with weight `beta` in one pass, as scikit-learn's
/// `homogeneity_completeness_v_measure`.
///
/// # Errors
/// [`EvalError::LengthMismatch`], [`EvalError::Empty`], or [`EvalError::InvalidParameter`] for
/// a negative or non-finite `beta`.
pub fn homogeneity_completeness_v_measure<A: Label, B: Label>(
    truth: &[A],
    pred: &[B],
    beta: f64,
) -> Result<HomogeneityCompleteness, EvalError> {
    check_beta(beta)?;
    Ok(Contingency::new(truth, pred)?.homogeneity_completeness_v_measure(beta))
}

/// Homogeneity of `pred` with respect to `truth`.
///
/// # Errors
/// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
pub fn homogeneity<A: Label, B: Label>(truth: &[A], pred: &[B]) -> Result<f64, EvalError> {
    Ok(homogeneity_completeness_v_measure(truth, pred, 1.0)?.homogeneity)
}

/// Completeness of `pred` with respect to `truth`.
///
/// # Errors
/// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
pub fn completeness<A: Label, B: Label>(truth: &[A], pred: &[B]) -> Result<f64, EvalError> {
    Ok(homogeneity_completeness_v_measure(truth, pred, 1.0)?.completeness)
}

/// V-measure with `beta = 1` (equal to NMI with the arithmetic mean).
///
/// # Errors
/// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
pub fn v_measure<A: Label, B: Label>(truth: &[A], pred: &[B]) -> Result<f64, EvalError> {
    v_measure_with_beta(truth, pred, 1.0)
}

/// V-measure weighting completeness `beta` times as much as homogeneity.
///
/// # Errors
/// [`EvalError::LengthMismatch`], [`EvalError::Empty`], or [`EvalError::InvalidParameter`] for
/// a negative or non-finite `beta`.
pub fn v_measure_with_beta<A: Label, B: Label>(
    truth: &[A],
    pred: &[B],
    beta: f64,
) -> Result<f64, EvalError> {
    Ok(homogeneity_completeness_v_measure(truth, pred, beta)?.v_measure)
}

fn check_beta(beta: f64) -> Result<(), EvalError> {
    if beta.is_finite() && beta >= 0.0 {
        Ok(())
    } else {
        Err(EvalError::InvalidParameter(format!(
            "beta must be finite and >= 0, got {beta}"
        )))
    }
}

impl Contingency {
    /// Homogeneity, completeness and V-measure (see [`homogeneity_completeness_v_measure`]);
    /// `beta` must be finite and non-negative.
    pub fn homogeneity_completeness_v_measure(&self, beta: f64) -> HomogeneityCompleteness {
        let (h_true, h_pred) = (self.entropy_true(), self.entropy_pred());
        let mi = self.mutual_info();
        let homogeneity = if h_true != 0.0 { mi / h_true } else { 1.0 };
        let completeness = if h_pred != 0.0 { mi / h_pred } else { 1.0 };
        let denominator = beta * homogeneity + completeness;
        let v_measure = if homogeneity + completeness == 0.0 || denominator == 0.0 {
            0.0
        } else {
            (1.0 + beta) * homogeneity * completeness / denominator
        };
        HomogeneityCompleteness {
            homogeneity,
            completeness,
            v_measure,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples() {
        let t = [0u8, 0, 1, 1];
        // scikit-learn 1.9 prints 0.9999999999999999 here too
        assert_eq!(
            homogeneity(&t, &[0u8, 1, 2, 3]).unwrap(),
            0.9999999999999999
        );
        assert!((completeness(&t, &[0u8, 1, 2, 3]).unwrap() - 0.5).abs() < 1e-15);
        assert_eq!(v_measure(&t, &[1u8, 1, 0, 0]).unwrap(), 1.0);
        assert!(v_measure_with_beta(&t, &t, -1.0).is_err());
        assert!(v_measure_with_beta(&t, &t, f64::NAN).is_err());
    }
}
