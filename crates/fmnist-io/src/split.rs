//! A seeded, stratified train/validation split that is the same on every platform.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{DataError, Result};

/// Parameters of a stratified split: which fraction of each class goes to validation, and the
/// seed of the shuffle that picks them.
///
/// The total validation size is `round(n * validation_fraction)`, shared among the classes in
/// proportion to their sizes (largest remainder first, ties to the lower label), so that every
/// class keeps its share. The shuffle uses ChaCha8 and 32-bit index draws, so the same seed gives
/// the same split on every platform and thread count.
///
/// ```
/// use fmnist_io::StratifiedSplit;
/// let labels: Vec<u8> = (0..100).map(|i| (i % 4) as u8).collect();
/// let split = StratifiedSplit::new().validation_fraction(0.2).seed(7).split(&labels)?;
/// assert_eq!((split.train.len(), split.validation.len()), (80, 20));
/// assert_eq!(split, StratifiedSplit::new().validation_fraction(0.2).seed(7).split(&labels)?);
/// # Ok::<(), fmnist_io::DataError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StratifiedSplit {
    validation_fraction: f64,
    seed: u64,
}

/// The two index sets of a split, each sorted ascending; together they are `0..n` exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    /// Indices of the training rows.
    pub train: Vec<usize>,
    /// Indices of the validation rows.
    pub validation: Vec<usize>,
}

impl Default for StratifiedSplit {
    /// The study's split: 20 % validation, seed 0.
    fn default() -> Self {
        Self {
            validation_fraction: 0.2,
            seed: 0,
        }
    }
}

impl StratifiedSplit {
    /// The default split: 20 % validation, seed 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fraction of each class that goes to validation, in `[0, 1]` (default 0.2).
    pub fn validation_fraction(mut self, fraction: f64) -> Self {
        self.validation_fraction = fraction;
        self
    }

    /// Seed of the shuffle (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Splits the row indices `0..labels.len()`.
    ///
    /// # Errors
    /// [`DataError::InvalidParameter`] if the fraction is not in `[0, 1]` or there are more than
    /// `u32::MAX` rows.
    pub fn split<L: Copy + Into<u64>>(&self, labels: &[L]) -> Result<Split> {
        let fraction = self.validation_fraction;
        if !(0.0..=1.0).contains(&fraction) {
            return Err(DataError::InvalidParameter(format!(
                "validation fraction must be in [0, 1], got {fraction}"
            )));
        }
        if u32::try_from(labels.len()).is_err() {
            return Err(DataError::InvalidParameter(format!(
                "cannot split {} rows: at most {} are supported",
                labels.len(),
                u32::MAX
            )));
        }
        let mut by_class: Vec<(u64, Vec<usize>)> = Vec::new();
        {
            let mut sorted: Vec<(u64, usize)> = labels
                .iter()
                .enumerate()
                .map(|(i, &l)| (l.into(), i))
                .collect();
            sorted.sort_unstable();
            for (label, index) in sorted {
                match by_class.last_mut() {
                    Some((l, members)) if *l == label => members.push(index),
                    _ => by_class.push((label, vec![index])),
                }
            }
        }
        let sizes: Vec<usize> = by_class.iter().map(|(_, m)| m.len()).collect();
        let quotas = allocate(&sizes, fraction);

        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut split = Split {
            train: Vec::with_capacity(labels.len()),
            validation: Vec::new(),
        };
        for ((_, mut members), quota) in by_class.into_iter().zip(quotas) {
            shuffle(&mut members, &mut rng);
            split.validation.extend_from_slice(&members[..quota]);
            split.train.extend_from_slice(&members[quota..]);
        }
        split.train.sort_unstable();
        split.validation.sort_unstable();
        Ok(split)
    }
}

/// Shares `round(total * fraction)` among groups of the given sizes in proportion to them,
/// by the largest-remainder method (ties to the earlier group).
fn allocate(sizes: &[usize], fraction: f64) -> Vec<usize> {
    let total: usize = sizes.iter().sum();
    let target = ((total as f64) * fraction).round() as usize;
    let exact: Vec<f64> = sizes.iter().map(|&s| s as f64 * fraction).collect();
    let mut quotas: Vec<usize> = exact
        .iter()
        .zip(sizes)
        .map(|(&e, &s)| (e.floor() as usize).min(s))
        .collect();
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    // The floors fall short of the target by at most the number of groups with a remainder.
    let missing = target.saturating_sub(quotas.iter().sum());
    let topped_up: Vec<usize> = order
        .into_iter()
        .filter(|&g| quotas[g] < sizes[g])
        .take(missing)
        .collect();
    for g in topped_up {
        quotas[g] += 1;
    }
    quotas
}

/// Fisher–Yates with 32-bit draws, so the permutation does not depend on `usize`'s width.
pub(crate) fn shuffle(items: &mut [usize], rng: &mut ChaCha8Rng) {
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i as u32) as usize;
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn split_is_stratified_and_exact_for_the_study() {
        // 6,000 of each of 10 classes, as Fashion-MNIST's training set.
        let labels: Vec<u8> = (0..60_000).map(|i| (i % 10) as u8).collect();
        let split = StratifiedSplit::new().split(&labels).unwrap();
        assert_eq!(split.train.len(), 48_000);
        assert_eq!(split.validation.len(), 12_000);
        let mut per_class = [0usize; 10];
        for &i in &split.validation {
            per_class[usize::from(labels[i])] += 1;
        }
        assert_eq!(per_class, [1_200; 10]);
    }

    #[test]
    fn the_seed_decides_and_is_stable() {
        let labels: Vec<u8> = (0..1_000).map(|i| (i % 7) as u8).collect();
        let a = StratifiedSplit::new().seed(1).split(&labels).unwrap();
        let b = StratifiedSplit::new().seed(1).split(&labels).unwrap();
        let c = StratifiedSplit::new().seed(2).split(&labels).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        // Pinned: the split must not change across platforms or releases without notice.
        assert_eq!(&a.validation[..8], &[4, 5, 14, 18, 33, 38, 51, 61]);
    }

    #[test]
    fn fraction_out_of_range_is_an_error() {
        assert!(
            StratifiedSplit::new()
                .validation_fraction(1.5)
                .split(&[0u8])
                .is_err()
        );
        assert!(
            StratifiedSplit::new()
                .validation_fraction(f64::NAN)
                .split(&[0u8])
                .is_err()
        );
    }

    proptest! {
        #[test]
        fn split_partitions_and_balances(
            labels in proptest::collection::vec(0u8..6, 0..400),
            fraction in 0.0f64..=1.0,
            seed in any::<u64>(),
        ) {
            let split = StratifiedSplit::new().validation_fraction(fraction).seed(seed).split(&labels).unwrap();
            let mut all: Vec<usize> = split.train.iter().chain(&split.validation).copied().collect();
            all.sort_unstable();
            prop_assert_eq!(all, (0..labels.len()).collect::<Vec<_>>());
            prop_assert_eq!(split.validation.len(), (labels.len() as f64 * fraction).round() as usize);
            for class in 0u8..6 {
                let n = labels.iter().filter(|&&l| l == class).count();
                let v = split.validation.iter().filter(|&&i| labels[i] == class).count();
                let share = n as f64 * fraction;
                prop_assert!((v as f64 - share).abs() < 1.0 + 1e-9, "class {} got {} of {}", class, v, share);
            }
        }
    }
}
