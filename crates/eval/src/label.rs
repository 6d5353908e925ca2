//! Label types and their compact encoding.

use std::fmt::{Debug, Display};
use std::hash::Hash;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::EvalError;

mod sealed {
    pub trait Sealed {}
}

/// A label: any unsigned integer type (`u8`, `u16`, `u32`, `u64`, `usize`).
///
/// Only the values matter, never their magnitude: labels `{0, 1}` and `{7, 1_000_000}` describe
/// the same partition. The trait is sealed; convert signed labels to unsigned ones first.
pub trait Label:
    sealed::Sealed
    + Copy
    + Ord
    + Hash
    + Debug
    + Display
    + Send
    + Sync
    + Serialize
    + DeserializeOwned
    + 'static
{
    /// The label as a `u64` (lossless).
    fn to_u64(self) -> u64;

    /// Converts back a value obtained from [`Label::to_u64`] of the same type.
    #[doc(hidden)]
    fn from_u64(value: u64) -> Self;
}

macro_rules! impl_label {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl Label for $t {
            #[inline]
            fn to_u64(self) -> u64 {
                self as u64
            }
            #[inline]
            fn from_u64(value: u64) -> Self {
                value as $t
            }
        }
    )*};
}

impl_label!(u8, u16, u32, u64, usize);

/// Checks the shared preconditions of every two-labeling metric.
pub(crate) fn check_pair(truth: usize, pred: usize) -> Result<(), EvalError> {
    if truth != pred {
        return Err(EvalError::LengthMismatch { truth, pred });
    }
    check_len(truth)
}

/// Checks that a labeling is non-empty and small enough for `u32` codes and exact `u64` pair
/// counts.
pub(crate) fn check_len(n: usize) -> Result<(), EvalError> {
    if n == 0 {
        return Err(EvalError::Empty);
    }
    if u32::try_from(n).is_err() || n == u32::MAX as usize {
        return Err(EvalError::TooManySamples(n));
    }
    Ok(())
}

/// The smallest label value and the number of values from it to the largest (saturating);
/// `(0, 0)` for no labels.
pub(crate) fn value_range<L: Label>(labels: &[L]) -> (u64, u64) {
    if labels.is_empty() {
        return (0, 0);
    }
    let (mut lo, mut hi) = (u64::MAX, 0u64);
    for &l in labels {
        let v = l.to_u64();
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (lo, (hi - lo).saturating_add(1))
}

/// How many samples carry each distinct label, in increasing label order.
pub(crate) fn label_counts<L: Label>(labels: &[L]) -> Vec<u64> {
    let (lo, span) = value_range(labels);
    if span > (2 * labels.len() as u64).max(1 << 12) {
        return encode(labels).counts;
    }
    let mut counts = vec![0u64; span as usize];
    for &l in labels {
        counts[(l.to_u64() - lo) as usize] += 1;
    }
    counts.retain(|&c| c > 0);
    counts
}

/// A labeling re-coded as `0..k` in increasing order of label value.
#[derive(Debug, Clone)]
pub(crate) struct Encoded {
    /// `codes[i]` is the rank of sample `i`'s label among the distinct labels.
    pub codes: Vec<u32>,
    /// The distinct label values, ascending.
    pub values: Vec<u64>,
    /// How many samples carry each distinct value.
    pub counts: Vec<u64>,
}

/// Re-codes labels as dense ranks: a lookup table when the values span a small range (the usual
/// case, O(n)), a sort of the distinct values otherwise (O(n log n)).
pub(crate) fn encode<L: Label>(labels: &[L]) -> Encoded {
    let n = labels.len();
    let (mut lo, mut hi) = (u64::MAX, 0u64);
    for &l in labels {
        let v = l.to_u64();
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if n == 0 {
        return Encoded {
            codes: Vec::new(),
            values: Vec::new(),
            counts: Vec::new(),
        };
    }
    let span = (hi - lo).saturating_add(1);
    let dense_limit = (2 * n as u64).max(1 << 12);
    if span <= dense_limit {
        let mut table = vec![0u32; span as usize];
        for &l in labels {
            table[(l.to_u64() - lo) as usize] = 1;
        }
        let mut values = Vec::new();
        for (offset, slot) in table.iter_mut().enumerate() {
            if *slot != 0 {
                *slot = values.len() as u32;
                values.push(lo + offset as u64);
            }
        }
        let mut counts = vec![0u64; values.len()];
        let codes: Vec<u32> = labels
            .iter()
            .map(|&l| {
                let code = table[(l.to_u64() - lo) as usize];
                counts[code as usize] += 1;
                code
            })
            .collect();
        Encoded {
            codes,
            values,
            counts,
        }
    } else {
        let mut values: Vec<u64> = labels.iter().map(|l| l.to_u64()).collect();
        values.sort_unstable();
        values.dedup();
        let mut counts = vec![0u64; values.len()];
        let codes: Vec<u32> = labels
            .iter()
            .map(|&l| {
                let code = values
                    .binary_search(&l.to_u64())
                    .expect("value was collected");
                counts[code] += 1;
                code as u32
            })
            .collect();
        Encoded {
            codes,
            values,
            counts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_encodings_agree() {
        let small: Vec<u64> = vec![5, 3, 5, 9, 3, 3];
        let e = encode(&small);
        assert_eq!(e.values, vec![3, 5, 9]);
        assert_eq!(e.codes, vec![1, 0, 1, 2, 0, 0]);
        assert_eq!(e.counts, vec![3, 2, 1]);
        let wide: Vec<u64> = small.iter().map(|&v| v << 40).collect();
        let w = encode(&wide);
        assert_eq!(w.codes, e.codes);
        assert_eq!(w.counts, e.counts);
        assert_eq!(w.values, vec![3 << 40, 5 << 40, 9 << 40]);
        let extreme: Vec<u64> = vec![u64::MAX, 0, u64::MAX];
        let x = encode(&extreme);
        assert_eq!(x.values, vec![0, u64::MAX]);
        assert_eq!(x.codes, vec![1, 0, 1]);
        assert_eq!(label_counts(&extreme), vec![1, 2]);
        assert_eq!(label_counts(&small), vec![3, 2, 1]);
    }

    #[test]
    fn length_checks() {
        assert_eq!(
            check_pair(3, 4),
            Err(EvalError::LengthMismatch { truth: 3, pred: 4 })
        );
        assert_eq!(check_pair(0, 0), Err(EvalError::Empty));
        assert_eq!(check_pair(2, 2), Ok(()));
    }
}
