//! Entropy, mutual information and its normalised and adjusted forms.

use serde::{Deserialize, Serialize};

use crate::EvalError;
use crate::contingency::Contingency;
use crate::label::{Label, check_len, label_counts};
use crate::sum::{Sum, numpy_sum};

/// How NMI and AMI turn the two entropies into one normaliser (scikit-learn's
/// `average_method`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AverageMethod {
    /// `(H(U) + H(V)) / 2`, scikit-learn's default.
    #[default]
    Arithmetic,
    /// `sqrt(H(U) H(V))`.
    Geometric,
    /// `min(H(U), H(V))`.
    Min,
    /// `max(H(U), H(V))`.
    Max,
}

impl AverageMethod {
    /// All four methods, in the order of scikit-learn's documentation.
    pub const ALL: [AverageMethod; 4] = [
        AverageMethod::Arithmetic,
        AverageMethod::Geometric,
        AverageMethod::Min,
        AverageMethod::Max,
    ];

    /// The generalised mean of two entropies.
    pub fn average(self, u: f64, v: f64) -> f64 {
        match self {
            AverageMethod::Arithmetic => (u + v) / 2.0,
            AverageMethod::Geometric => (u * v).sqrt(),
            AverageMethod::Min => u.min(v),
            AverageMethod::Max => u.max(v),
        }
    }

    /// scikit-learn's name for the method.
    pub fn name(self) -> &'static str {
        match self {
            AverageMethod::Arithmetic => "arithmetic",
            AverageMethod::Geometric => "geometric",
            AverageMethod::Min => "min",
            AverageMethod::Max => "max",
        }
    }
}

impl std::fmt::Display for AverageMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for AverageMethod {
    type Err = EvalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AverageMethod::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                EvalError::InvalidParameter(format!(
                    "average method {s:?}: expected arithmetic, geometric, min or max"
                ))
            })
    }
}

/// Entropy (natural logarithm) of a distribution given by its counts; 0 for a single count.
pub(crate) fn entropy_of_counts(counts: &[u64]) -> f64 {
    if counts.len() <= 1 {
        return 0.0;
    }
    let total = counts.iter().sum::<u64>() as f64;
    let ln_total = total.ln();
    let terms: Vec<f64> = counts
        .iter()
        .map(|&c| {
            let c = c as f64;
            c / total * (c.ln() - ln_total)
        })
        .collect();
    -numpy_sum(&terms)
}

/// Shannon entropy of a labeling in nats, as scikit-learn's `entropy` (0 for a single label).
///
/// # Errors
/// [`EvalError::Empty`] for no labels.
pub fn entropy<L: Label>(labels: &[L]) -> Result<f64, EvalError> {
    check_len(labels.len())?;
    Ok(entropy_of_counts(&label_counts(labels)))
}

/// Mutual information of two labelings in nats, as scikit-learn's `mutual_info_score`.
///
/// # Errors
/// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
pub fn mutual_info<A: Label, B: Label>(truth: &[A], pred: &[B]) -> Result<f64, EvalError> {
    Ok(Contingency::new(truth, pred)?.mutual_info())
}

/// The expected mutual information of two labelings under the permutation model (random
/// labelings with the same cluster sizes), as scikit-learn's `expected_mutual_information`.
///
/// # Errors
/// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
pub fn expected_mutual_info<A: Label, B: Label>(truth: &[A], pred: &[B]) -> Result<f64, EvalError> {
    Ok(Contingency::new(truth, pred)?.expected_mutual_info())
}

/// Normalized mutual information with the arithmetic mean of the entropies (scikit-learn's
/// default `normalized_mutual_info_score`).
///
/// # Errors
/// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
pub fn normalized_mutual_info<A: Label, B: Label>(
    truth: &[A],
    pred: &[B],
) -> Result<f64, EvalError> {
    normalized_mutual_info_with(truth, pred, AverageMethod::Arithmetic)
}

/// Normalized mutual information with the given normaliser.
///
/// # Errors
/// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
pub fn normalized_mutual_info_with<A: Label, B: Label>(
    truth: &[A],
    pred: &[B],
    method: AverageMethod,
) -> Result<f64, EvalError> {
    Ok(Contingency::new(truth, pred)?.normalized_mutual_info(method))
}

/// Adjusted mutual information (Vinh, Epps and Bailey 2010) with the arithmetic normaliser, as
/// scikit-learn's default `adjusted_mutual_info_score`.
///
/// # Errors
/// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
pub fn adjusted_mutual_info<A: Label, B: Label>(truth: &[A], pred: &[B]) -> Result<f64, EvalError> {
    adjusted_mutual_info_with(truth, pred, AverageMethod::Arithmetic)
}

/// Adjusted mutual information with the given normaliser.
///
/// # Errors
/// [`EvalError::LengthMismatch`] or [`EvalError::Empty`].
pub fn adjusted_mutual_info_with<A: Label, B: Label>(
    truth: &[A],
    pred: &[B],
    method: AverageMethod,
) -> Result<f64, EvalError> {
    Ok(Contingency::new(truth, pred)?.adjusted_mutual_info(method))
}

impl Contingency {
    /// Entropy of the true labels (rows).
    pub fn entropy_true(&self) -> f64 {
        entropy_of_counts(self.class_sizes())
    }

    /// Entropy of the predicted labels (columns).
    pub fn entropy_pred(&self) -> f64 {
        entropy_of_counts(self.cluster_sizes())
    }

    /// Mutual information in nats.
    ///
    /// Term by term as scikit-learn's `mutual_info_score`: terms below machine epsilon in
    /// magnitude count as 0 and the sum is clipped at 0, so that independent labelings give
    /// exactly 0.
    pub fn mutual_info(&self) -> f64 {
        if self.n_classes() == 1 || self.n_clusters() == 1 {
            return 0.0;
        }
        let n = self.n_samples() as f64;
        let ln_n = n.ln();
        let (a, b) = (self.class_sizes(), self.cluster_sizes());
        let terms: Vec<f64> = self
            .nonzeros()
            .map(|(i, j, nij)| {
                let p = nij as f64 / n;
                let outer = (a[i] * b[j]) as f64;
                let log_outer = -outer.ln() + ln_n + ln_n;
                let term = p * ((nij as f64).ln() - ln_n) + p * log_outer;
                if term.abs() < f64::EPSILON { 0.0 } else { term }
            })
            .collect();
        numpy_sum(&terms).max(0.0)
    }

    /// Expected mutual information under the permutation model (the hypergeometric model of
    /// Vinh, Epps and Bailey 2010).
    ///
    /// `EMI = sum_ij sum_nij P(nij | a_i, b_j, N) (nij / N) ln(N nij / (a_i b_j))`. scikit-learn
    /// evaluates every hypergeometric probability from log-gamma values; here each distinct pair
    /// of row and column sizes is evaluated once, from the mode of its distribution outwards with
    /// the exact ratio of successive probabilities, normalised by their sum and stopped where
    /// the probabilities fall below 1e-22 of the mode, with `ln(N nij / (a b))` split into an
    /// `ln_1p` of an exact integer difference and a running sum of `ln(1 + 1/j)`. That is
    /// O(sqrt N) terms per pair instead of O(N), needs no log-gamma, and is accurate to about
    /// 1e-14 relative (scikit-learn's own evaluation is off by up to 2e-10 relative at
    /// N = 70,000; see the crate README).
    pub fn expected_mutual_info(&self) -> f64 {
        if self.n_classes() == 1 || self.n_clusters() == 1 {
            return 0.0;
        }
        let n = self.n_samples();
        let a = value_counts(self.class_sizes());
        let b = value_counts(self.cluster_sizes());
        let largest = a.last().map_or(0, |x| x.0).min(b.last().map_or(0, |x| x.0));
        let mut steps = LogSteps::new(largest);
        let mut total = Sum::default();
        for &(ai, ma) in &a {
            for &(bj, mb) in &b {
                let e = emi_pair(n, ai, bj, &mut steps);
                total.add((ma * mb) as f64 * e);
            }
        }
        total.value()
    }

    /// Normalized mutual information, with scikit-learn's conventions: 1 when both labelings
    /// have a single cluster, 0 when the mutual information is 0.
    pub fn normalized_mutual_info(&self, method: AverageMethod) -> f64 {
        if self.n_classes() == 1 && self.n_clusters() == 1 {
            return 1.0;
        }
        let mi = self.mutual_info();
        if mi == 0.0 {
            return 0.0;
        }
        mi / method.average(self.entropy_true(), self.entropy_pred())
    }

    /// Adjusted mutual information, with scikit-learn's conventions: 1 when both labelings have a
    /// single cluster, 0 when exactly one has, and numerator and denominator kept at least
    /// machine epsilon away from 0 (with their sign), so that two all-distinct labelings score 1.
    ///
    /// When exactly one labeling is all-distinct, every labeling with the same sizes has the same
    /// mutual information, so MI = EMI exactly and the result is 0 for every normaliser. (With
    /// the min normaliser that is 0/0, and scikit-learn returns rounding noise there, anywhere
    /// from -1 to 1 and different when the labelings are swapped.)
    pub fn adjusted_mutual_info(&self, method: AverageMethod) -> f64 {
        let (r, c) = (self.n_classes(), self.n_clusters());
        if r == 1 && c == 1 {
            return 1.0;
        }
        if r == 1 || c == 1 {
            return 0.0;
        }
        let n = self.n_samples();
        if (r as u64 == n) != (c as u64 == n) {
            return 0.0;
        }
        let mi = self.mutual_info();
        let emi = self.expected_mutual_info();
        let normalizer = method.average(self.entropy_true(), self.entropy_pred());
        let away_from_zero = |x: f64| {
            if x < 0.0 {
                x.min(-f64::EPSILON)
            } else {
                x.max(f64::EPSILON)
            }
        };
        away_from_zero(mi - emi) / away_from_zero(normalizer - emi)
    }
}

/// Distinct values of `sizes` with their multiplicities, ascending.
fn value_counts(sizes: &[u64]) -> Vec<(u64, u64)> {
    let mut sorted = sizes.to_vec();
    sorted.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::new();
    for v in sorted {
        match out.last_mut() {
            Some((last, count)) if *last == v => *count += 1,
            _ => out.push((v, 1)),
        }
    }
    out
}

/// Probabilities this far below the mode's end the sum (the remaining tail is below 1e-18 of
/// the total even for the flattest hypergeometric distributions of 2^32 samples).
const TAIL: f64 = 1e-22;

/// `sum_k P(k) (k / N) ln(N k / (a b))` for `k` hypergeometric: the number of the `b` samples of
/// a cluster that fall in a class of `a` samples out of `N`.
fn emi_pair(n: u64, a: u64, b: u64, steps: &mut LogSteps) -> f64 {
    // support of the hypergeometric distribution
    let lo = (a + b).saturating_sub(n);
    let hi = a.min(b);
    // N - a - b, which may be negative (then the support starts above 0)
    let rest_signed = n as i128 - a as i128 - b as i128;
    // mode: floor((a + 1)(b + 1) / (N + 2)), clamped to the support
    let mode = ((u128::from(a) + 1) * (u128::from(b) + 1) / (u128::from(n) + 2)) as u64;
    let mode = mode.clamp(lo, hi);
    // ln(N k / (a b)) = ln(k / r) + ln(r N / (a b)) around the reference r = max(mode, 1): the
    // constant as ln_1p of an exact integer difference, ln(k / r) as a running sum of
    // ln(1 + 1/j) from the reference. Both stay accurate near the mean, where the logs are
    // near 0 and the sum cancels.
    let reference = mode.max(1);
    let ab = u128::from(a) * u128::from(b);
    let constant =
        (((u128::from(n) * u128::from(reference)) as i128 - ab as i128) as f64 / ab as f64).ln_1p();
    let mut z = Sum::default();
    let mut s = Sum::default();
    let mut term = |k: u64, w: f64, log_k_over_r: f64| {
        z.add(w);
        if k > 0 {
            s.add(w * k as f64 * (log_k_over_r + constant));
        }
    };
    term(mode, 1.0, 0.0);
    // upwards: P(k+1)/P(k) = (a-k)(b-k) / ((k+1)(N-a-b+k+1))
    let (mut w, mut k, mut log_k) = (1.0, mode, 0.0);
    while k < hi {
        let num = (a - k) as f64 * (b - k) as f64;
        let den = (k + 1) as f64 * (rest_signed + k as i128 + 1) as f64;
        w *= num / den;
        if k >= 1 {
            log_k += steps.get(k);
        }
        k += 1;
        term(k, w, log_k);
        if w < TAIL {
            break;
        }
    }
    // downwards: P(k-1)/P(k) = k (N-a-b+k) / ((a-k+1)(b-k+1))
    let (mut w, mut k, mut log_k) = (1.0, mode, 0.0);
    while k > lo {
        let num = k as f64 * (rest_signed + k as i128) as f64;
        let den = (a - k + 1) as f64 * (b - k + 1) as f64;
        w *= num / den;
        k -= 1;
        if k >= 1 {
            log_k -= steps.get(k);
        }
        term(k, w, log_k);
        if w < TAIL {
            break;
        }
    }
    s.value() / (z.value() * n as f64)
}

/// `ln(1 + 1/j) = ln((j + 1) / j)`, computed on first use (the windows of different size pairs
/// overlap, so each is computed once).
struct LogSteps {
    values: Vec<f64>,
}

impl LogSteps {
    fn new(max: u64) -> Self {
        LogSteps {
            values: vec![f64::NAN; max as usize + 1],
        }
    }

    #[inline]
    fn get(&mut self, j: u64) -> f64 {
        let slot = &mut self.values[j as usize];
        if slot.is_nan() {
            *slot = (1.0 / j as f64).ln_1p();
        }
        *slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact EMI by brute force over all permutations of `pred`.
    fn emi_by_permutations(truth: &[u32], pred: &[u32]) -> f64 {
        fn permute(k: usize, v: &mut Vec<u32>, truth: &[u32], acc: &mut (f64, u64)) {
            if k == v.len() {
                acc.0 += mutual_info(truth, v).unwrap();
                acc.1 += 1;
                return;
            }
            for i in k..v.len() {
                v.swap(k, i);
                permute(k + 1, v, truth, acc);
                v.swap(k, i);
            }
        }
        let mut acc = (0.0, 0);
        permute(0, &mut pred.to_vec(), truth, &mut acc);
        acc.0 / acc.1 as f64
    }

    const CASES: [(&[u32], &[u32], f64); 4] = [
        // exact values: Python's decimal module at 50 digits (see fixtures/eval/make_golden.py)
        (
            &[0, 0, 1, 1, 2, 2, 2],
            &[0, 1, 1, 1, 2, 2, 0],
            0.4443159762072278,
        ),
        (
            &[0, 0, 0, 0, 1, 1, 2],
            &[0, 1, 2, 3, 4, 5, 5],
            0.8236718567201637,
        ),
        (
            &[0, 1, 1, 1, 1, 1, 1, 2],
            &[0, 0, 0, 1, 1, 1, 1, 1],
            0.18395070360564564,
        ),
        (&[0, 1, 2, 3, 4, 5], &[0, 0, 0, 0, 0, 1], 0.4505612088663047),
    ];

    #[test]
    fn emi_is_exact() {
        for (t, p, exact) in CASES {
            let got = expected_mutual_info(t, p).unwrap();
            assert!(
                (got - exact).abs() <= 4.0 * f64::EPSILON * exact,
                "{got} vs {exact}"
            );
        }
    }

    #[test]
    fn emi_is_the_mean_mutual_information_over_permutations() {
        // (mutual_info zeroes terms below machine epsilon, as scikit-learn, hence the tolerance)
        for (t, p, _) in CASES {
            let mean = emi_by_permutations(t, p);
            let got = expected_mutual_info(t, p).unwrap();
            assert!((got - mean).abs() < 1e-12 * mean, "{got} vs {mean}");
        }
    }

    #[test]
    fn conventions() {
        let one = [3u8; 5];
        let many = [0u8, 1, 2, 3, 4];
        assert_eq!(adjusted_mutual_info(&one, &one).unwrap(), 1.0);
        assert_eq!(adjusted_mutual_info(&one, &many).unwrap(), 0.0);
        assert_eq!(adjusted_mutual_info(&many, &many).unwrap(), 1.0);
        assert_eq!(normalized_mutual_info(&one, &one).unwrap(), 1.0);
        assert_eq!(normalized_mutual_info(&one, &many).unwrap(), 0.0);
        assert_eq!(entropy(&one).unwrap(), 0.0);
        assert!((entropy(&[0u8, 1]).unwrap() - 2f64.ln()).abs() < 1e-15);
        assert_eq!(mutual_info(&[0u8, 0, 1, 1], &[0u8, 1, 0, 1]).unwrap(), 0.0);
        assert_eq!(
            "geometric".parse::<AverageMethod>().unwrap(),
            AverageMethod::Geometric
        );
        assert!("mean".parse::<AverageMethod>().is_err());
    }
}
