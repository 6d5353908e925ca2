//! The parameters of a forest, with scikit-learn's names and defaults.

use serde::{Deserialize, Serialize};

use crate::error::{ForestError, Result};

/// The impurity a split minimises (scikit-learn's `criterion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Criterion {
    /// Gini impurity `1 - sum p_c^2` (the default).
    #[default]
    Gini,
    /// Shannon entropy `-sum p_c log2 p_c` (scikit-learn's `"entropy"` and `"log_loss"`).
    Entropy,
}

/// How many features each split draws at random (scikit-learn's `max_features`).
///
/// The count is resolved against the number of features `d` as scikit-learn does, and is at
/// least 1. As in scikit-learn, features found constant in a node do not count: the drawing goes
/// on until that many non-constant features have been examined or none are left.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub enum MaxFeatures {
    /// `floor(sqrt(d))` (the default, `"sqrt"`).
    #[default]
    Sqrt,
    /// `floor(log2(d))` (`"log2"`).
    Log2,
    /// `floor(fraction * d)`, the fraction in `(0, 1]` (a float in scikit-learn).
    Fraction(f64),
    /// Exactly this many, at most `d` (an int in scikit-learn).
    Count(usize),
    /// Every feature (`None` in scikit-learn).
    All,
}

impl MaxFeatures {
    /// The number of features drawn per split among `d`.
    ///
    /// # Errors
    /// [`ForestError::InvalidParameter`] for a fraction outside `(0, 1]`, a count of 0 or above
    /// `d`.
    pub fn resolve(self, d: usize) -> Result<usize> {
        self.check()?;
        let count = match self {
            MaxFeatures::Sqrt => (d as f64).sqrt() as usize,
            MaxFeatures::Log2 => (d as f64).log2() as usize,
            MaxFeatures::Fraction(f) => (f * d as f64) as usize,
            MaxFeatures::Count(c) if c <= d => c,
            MaxFeatures::Count(c) => {
                return Err(ForestError::InvalidParameter(format!(
                    "max_features must be in 1..={d} for {d} features, got {c}"
                )));
            }
            MaxFeatures::All => d,
        };
        Ok(count.clamp(1, d.max(1)))
    }

    /// The checks that need no data: a fraction in `(0, 1]`, a count of at least 1.
    fn check(self) -> Result<()> {
        match self {
            MaxFeatures::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                Err(ForestError::InvalidParameter(format!(
                    "max_features fraction must be in (0, 1], got {f}"
                )))
            }
            MaxFeatures::Count(0) => Err(ForestError::InvalidParameter(
                "max_features must be at least 1, got 0".into(),
            )),
            _ => Ok(()),
        }
    }
}

/// How many rows each tree's bootstrap sample draws (scikit-learn's `max_samples`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub enum MaxSamples {
    /// As many as there are rows (the default, `None`).
    #[default]
    All,
    /// This many rows, at least 1 (an int).
    Count(usize),
    /// `max(1, round(fraction * n))` rows, ties to even as Python's `round`, the fraction in
    /// `(0, 1]` (a float).
    Fraction(f64),
}

impl MaxSamples {
    /// The bootstrap sample size for `n` rows.
    ///
    /// # Errors
    /// [`ForestError::InvalidParameter`] for a count of 0 or a fraction outside `(0, 1]`.
    pub fn resolve(self, n: usize) -> Result<usize> {
        self.check()?;
        Ok(match self {
            MaxSamples::All => n,
            MaxSamples::Count(c) => c,
            MaxSamples::Fraction(f) => ((f * n as f64).round_ties_even() as usize).max(1),
        })
    }

    /// The checks (all of them: none needs the data): a count of at least 1, a fraction in
    /// `(0, 1]`.
    fn check(self) -> Result<()> {
        let valid = match self {
            MaxSamples::All => true,
            MaxSamples::Count(c) => c >= 1,
            MaxSamples::Fraction(f) => f > 0.0 && f <= 1.0,
        };
        let given = match self {
            MaxSamples::All => "all".to_string(),
            MaxSamples::Count(c) => c.to_string(),
            MaxSamples::Fraction(f) => f.to_string(),
        };
        if valid {
            Ok(())
        } else {
            Err(ForestError::InvalidParameter(format!(
                "max_samples must be a count >= 1 or a fraction in (0, 1], got {given}"
            )))
        }
    }
}

/// Weights of the classes in the impurity (scikit-learn's `class_weight`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ClassWeight {
    /// Every sample weighs 1 (the default, `None`).
    #[default]
    Uniform,
    /// Class `c` weighs `n / (n_classes * n_c)` over the whole training set (`"balanced"`).
    Balanced,
}

/// The parameters of a Random Forest; build with [`crate::RandomForest::params`] (or
/// `Default`), set with the builder methods, then [`RandomForestParams::fit`], which runs
/// [`RandomForestParams::check`] first.
///
/// Names and defaults are scikit-learn's `RandomForestClassifier` (`n_trees` is its
/// `n_estimators`, `seed` its `random_state`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RandomForestParams {
    pub(crate) n_trees: usize,
    pub(crate) criterion: Criterion,
    pub(crate) max_features: MaxFeatures,
    pub(crate) max_depth: Option<usize>,
    pub(crate) min_samples_split: usize,
    pub(crate) min_samples_leaf: usize,
    pub(crate) bootstrap: bool,
    pub(crate) max_samples: MaxSamples,
    pub(crate) class_weight: ClassWeight,
    pub(crate) oob_score: bool,
    pub(crate) seed: u64,
}

impl Default for RandomForestParams {
    fn default() -> Self {
        Self {
            n_trees: 100,
            criterion: Criterion::Gini,
            max_features: MaxFeatures::Sqrt,
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            bootstrap: true,
            max_samples: MaxSamples::All,
            class_weight: ClassWeight::Uniform,
            oob_score: false,
            seed: 0,
        }
    }
}

impl RandomForestParams {
    /// Number of trees (default 100; scikit-learn's `n_estimators`).
    pub fn n_trees(mut self, n_trees: usize) -> Self {
        self.n_trees = n_trees;
        self
    }

    /// Split criterion (default [`Criterion::Gini`]).
    pub fn criterion(mut self, criterion: Criterion) -> Self {
        self.criterion = criterion;
        self
    }

    /// Features drawn per split (default [`MaxFeatures::Sqrt`]).
    pub fn max_features(mut self, max_features: MaxFeatures) -> Self {
        self.max_features = max_features;
        self
    }

    /// Maximum depth of a tree, the root at depth 0 (default `None`: grown until the leaves are
    /// pure or too small to split).
    pub fn max_depth(mut self, max_depth: Option<usize>) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// Fewest samples a node needs to be split (default 2, at least 2).
    pub fn min_samples_split(mut self, n: usize) -> Self {
        self.min_samples_split = n;
        self
    }

    /// Fewest samples in each child of a split (default 1, at least 1). As in scikit-learn, with
    /// bootstrap a sample drawn several times counts once.
    pub fn min_samples_leaf(mut self, n: usize) -> Self {
        self.min_samples_leaf = n;
        self
    }

    /// Whether each tree sees a bootstrap sample (default `true`) or every row once.
    pub fn bootstrap(mut self, bootstrap: bool) -> Self {
        self.bootstrap = bootstrap;
        self
    }

    /// Size of each bootstrap sample (default [`MaxSamples::All`]); ignored without bootstrap.
    pub fn max_samples(mut self, max_samples: MaxSamples) -> Self {
        self.max_samples = max_samples;
        self
    }

    /// Class weights (default [`ClassWeight::Uniform`]).
    pub fn class_weight(mut self, class_weight: ClassWeight) -> Self {
        self.class_weight = class_weight;
        self
    }

    /// Whether to compute the out-of-bag accuracy (default `false`; needs bootstrap).
    pub fn oob_score(mut self, oob_score: bool) -> Self {
        self.oob_score = oob_score;
        self
    }

    /// Seed of every random choice (default 0). The same seed gives the same forest on any
    /// number of threads: tree `i` draws from its own generator seeded from this one.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks the parameters alone, before any data is seen; [`RandomForestParams::fit`] runs
    /// it first.
    ///
    /// # Errors
    /// [`ForestError::InvalidParameter`] for 0 trees, `min_samples_split < 2`,
    /// `min_samples_leaf < 1`, `oob_score` without bootstrap, a `max_features` fraction outside
    /// `(0, 1]` or count of 0, a `max_samples` count of 0 or fraction outside `(0, 1]`. (A
    /// `max_features` count above the number of features is found when the data is.)
    pub fn check(&self) -> Result<()> {
        let fail = |message: String| Err(ForestError::InvalidParameter(message));
        if self.n_trees == 0 {
            return fail("n_trees must be at least 1".into());
        }
        if self.min_samples_split < 2 {
            return fail(format!(
                "min_samples_split must be at least 2, got {}",
                self.min_samples_split
            ));
        }
        if self.min_samples_leaf < 1 {
            return fail("min_samples_leaf must be at least 1".into());
        }
        if self.oob_score && !self.bootstrap {
            return fail("oob_score needs bootstrap".into());
        }
        self.max_features.check()?;
        self.max_samples.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_features_resolves_as_scikit_learn() {
        assert_eq!(MaxFeatures::Sqrt.resolve(785).unwrap(), 28);
        assert_eq!(MaxFeatures::Log2.resolve(785).unwrap(), 9);
        assert_eq!(MaxFeatures::Fraction(0.5).resolve(785).unwrap(), 392);
        assert_eq!(MaxFeatures::Fraction(0.01).resolve(10).unwrap(), 1);
        assert_eq!(MaxFeatures::All.resolve(785).unwrap(), 785);
        assert_eq!(MaxFeatures::Sqrt.resolve(1).unwrap(), 1);
        assert!(MaxFeatures::Count(0).resolve(5).is_err());
        assert!(MaxFeatures::Count(6).resolve(5).is_err());
        assert!(MaxFeatures::Fraction(1.5).resolve(5).is_err());
    }

    #[test]
    fn max_samples_resolves_as_scikit_learn() {
        assert_eq!(MaxSamples::All.resolve(48_000).unwrap(), 48_000);
        assert_eq!(MaxSamples::Fraction(0.5).resolve(5).unwrap(), 2);
        assert_eq!(MaxSamples::Fraction(0.001).resolve(5).unwrap(), 1);
        assert!(MaxSamples::Count(0).resolve(5).is_err());
        assert!(MaxSamples::Fraction(0.0).resolve(5).is_err());
    }

    #[test]
    fn defaults_are_scikit_learns() {
        let p = RandomForestParams::default();
        assert_eq!(p.n_trees, 100);
        assert_eq!(p.criterion, Criterion::Gini);
        assert_eq!(p.max_features, MaxFeatures::Sqrt);
        assert_eq!(p.max_depth, None);
        assert_eq!((p.min_samples_split, p.min_samples_leaf), (2, 1));
        assert!(p.bootstrap && !p.oob_score);
        assert!(p.check().is_ok());
        assert!(p.min_samples_split(1).check().is_err());
        assert!(p.bootstrap(false).oob_score(true).check().is_err());
        assert!(p.max_features(MaxFeatures::Fraction(0.0)).check().is_err());
        assert!(p.max_samples(MaxSamples::Count(0)).check().is_err());
    }
}
