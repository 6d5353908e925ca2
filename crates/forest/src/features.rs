//! Feature matrices the forest accepts (`u8` as is, `f32` through quantile bins) and the helpers
//! that turn cluster labels into feature columns.

use std::borrow::Cow;

use fmnist_core::validate;
use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{ForestError, Result};

/// The most bins a feature has: every bin is one `u8` value.
pub const MAX_BINS: usize = 256;

/// A feature matrix, one row per sample: `DMatrix<u8>` (used as is: splits are exact over its
/// 256 values) or `DMatrix<f32>` (binned into at most 256 quantile bins per feature, learnt at
/// fit time: the one approximation of this crate, exact for features of at most 256 distinct
/// values such as pixels scaled to `[0, 1]` or cluster labels; a NaN or ±inf is an error).
///
/// The trait is sealed: these two are the kinds of features there are.
pub trait Features: sealed::Sealed {
    /// Rows (samples) and columns (features).
    fn shape(&self) -> (usize, usize);

    /// Bins learnt from these features and the binned values, column-major.
    #[doc(hidden)]
    fn bin_for_fit(&self) -> Result<(Option<Binner>, Cow<'_, [u8]>)>;

    /// The binned values, column-major, with the bins learnt at fit time.
    #[doc(hidden)]
    fn bin_for_predict(&self, binner: Option<&Binner>) -> Result<Cow<'_, [u8]>>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for nalgebra::DMatrix<u8> {}
    impl Sealed for nalgebra::DMatrix<f32> {}
}

impl Features for DMatrix<u8> {
    fn shape(&self) -> (usize, usize) {
        self.shape()
    }

    fn bin_for_fit(&self) -> Result<(Option<Binner>, Cow<'_, [u8]>)> {
        Ok((None, Cow::Borrowed(self.as_slice())))
    }

    fn bin_for_predict(&self, binner: Option<&Binner>) -> Result<Cow<'_, [u8]>> {
        match binner {
            None => Ok(Cow::Borrowed(self.as_slice())),
            Some(_) => Err(ForestError::FeatureKindMismatch {
                expected: "f32",
                found: "u8",
            }),
        }
    }
}

impl Features for DMatrix<f32> {
    fn shape(&self) -> (usize, usize) {
        self.shape()
    }

    fn bin_for_fit(&self) -> Result<(Option<Binner>, Cow<'_, [u8]>)> {
        validate::check_finite(self)?;
        let binner = Binner::fit(self);
        let binned = binner.transform(self);
        Ok((Some(binner), Cow::Owned(binned)))
    }

    fn bin_for_predict(&self, binner: Option<&Binner>) -> Result<Cow<'_, [u8]>> {
        let binner = binner.ok_or(ForestError::FeatureKindMismatch {
            expected: "u8",
            found: "f32",
        })?;
        validate::check_finite(self)?;
        Ok(Cow::Owned(binner.transform(self)))
    }
}

/// Per-feature bin edges learnt from `f32` features: value `v` of feature `j` falls into bin
/// `#{edges[j] < v}`, so a split `bin <= b` is the real split `v <= edges[j][b]`.
///
/// A feature of at most 256 distinct values gets one bin per value (edges halfway between
/// neighbours), which makes the splits exactly scikit-learn's; otherwise the edges are 255
/// quantiles of its values (ties merged).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binner {
    edges: Vec<Vec<f32>>,
}

impl Binner {
    fn fit(x: &DMatrix<f32>) -> Self {
        let edges = x
            .column_iter()
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|column| {
                let mut values: Vec<f32> = column.iter().copied().collect();
                values.sort_unstable_by(f32::total_cmp);
                column_edges(&values)
            })
            .collect();
        Self { edges }
    }

    /// The bin edges of each feature.
    pub fn edges(&self) -> &[Vec<f32>] {
        &self.edges
    }

    fn transform(&self, x: &DMatrix<f32>) -> Vec<u8> {
        let n = x.nrows();
        let mut out = vec![0u8; x.len()];
        out.par_chunks_mut(n.max(1))
            .zip(x.as_slice().par_chunks(n.max(1)))
            .zip(self.edges.par_iter())
            .for_each(|((out, column), edges)| {
                for (o, &v) in out.iter_mut().zip(column) {
                    // At most 255 edges, so the bin fits a u8.
                    *o = edges.partition_point(|&e| e < v) as u8;
                }
            });
        out
    }
}

/// Edges of one feature from its sorted values.
fn column_edges(sorted: &[f32]) -> Vec<f32> {
    let mut distinct = sorted.to_vec();
    distinct.dedup();
    if distinct.len() <= MAX_BINS {
        return distinct
            .windows(2)
            .map(|w| {
                let mid = (f64::from(w[0]) + f64::from(w[1])) / 2.0;
                let mid = mid as f32;
                // Rounding may reach the upper value; the lower one separates them as well.
                if mid < w[1] { mid } else { w[0] }
            })
            .collect();
    }
    let n = sorted.len();
    let mut edges: Vec<f32> = (1..MAX_BINS)
        .map(|q| sorted[(q * n / MAX_BINS).min(n - 1)])
        .collect();
    edges.dedup();
    // The largest value must stay in the last bin, not be an edge of its own.
    if edges.last() == sorted.last() {
        edges.pop();
    }
    edges
}

/// Pixel features with one more column: the cluster label of each row (the study's "add").
///
/// # Errors
/// [`ForestError::LabelCountMismatch`] if there is not one label per row,
/// [`ForestError::LabelTooLarge`] for a label above 255.
///
/// ```
/// use nalgebra::DMatrix;
/// let x = DMatrix::from_row_slice(2, 2, &[1u8, 2, 3, 4]);
/// let with = fmnist_forest::add_label_column(&x, &[7u32, 9])?;
/// assert_eq!(with, DMatrix::from_row_slice(2, 3, &[1u8, 2, 7, 3, 4, 9]));
/// # Ok::<(), fmnist_forest::ForestError>(())
/// ```
pub fn add_label_column<L: Copy + Into<u64>>(x: &DMatrix<u8>, labels: &[L]) -> Result<DMatrix<u8>> {
    if labels.len() != x.nrows() {
        return Err(ForestError::LabelCountMismatch {
            rows: x.nrows(),
            labels: labels.len(),
        });
    }
    let column = label_column(labels)?;
    let mut data = Vec::with_capacity(x.len() + labels.len());
    data.extend_from_slice(x.as_slice());
    data.extend_from_slice(column.as_slice());
    Ok(DMatrix::from_vec(x.nrows(), x.ncols() + 1, data))
}

/// The cluster label alone as a one-column feature matrix (the study's "replace").
///
/// # Errors
/// [`ForestError::LabelTooLarge`] for a label above 255.
pub fn label_column<L: Copy + Into<u64>>(labels: &[L]) -> Result<DMatrix<u8>> {
    let data = narrow_labels(labels, |row, label| ForestError::LabelTooLarge {
        row,
        label,
    })?;
    Ok(DMatrix::from_vec(labels.len(), 1, data))
}

/// Every label as a `T`; `too_large(row, label)` for the first that `T` cannot hold.
pub(crate) fn narrow_labels<L: Copy + Into<u64>, T: TryFrom<u64>>(
    labels: &[L],
    too_large: fn(usize, u64) -> ForestError,
) -> Result<Vec<T>> {
    labels
        .iter()
        .enumerate()
        .map(|(row, &label)| {
            let label: u64 = label.into();
            T::try_from(label).map_err(|_| too_large(row, label))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fmnist_core::InputError;

    #[test]
    fn few_distinct_values_get_one_bin_each() {
        let x = DMatrix::from_column_slice(5, 1, &[0.5f32, 0.0, 1.0, 0.5, 0.25]);
        let (binner, binned) = x.bin_for_fit().unwrap();
        assert_eq!(binner.unwrap().edges()[0], vec![0.125, 0.375, 0.75]);
        assert_eq!(&binned[..], &[2, 0, 3, 2, 1]);
    }

    #[test]
    fn many_distinct_values_get_quantile_bins() {
        let values: Vec<f32> = (0..10_000).map(|i| i as f32 * 0.5).collect();
        let x = DMatrix::from_column_slice(values.len(), 1, &values);
        let (binner, binned) = x.bin_for_fit().unwrap();
        let binner = binner.unwrap();
        assert_eq!(binner.edges()[0].len(), 255);
        assert_eq!((binned[0], binned[values.len() - 1]), (0, 255));
        // Monotone, and each bin holds about n / 256 values.
        assert!(binned.windows(2).all(|w| w[0] <= w[1]));
        let first_bin = binned.iter().filter(|&&b| b == 0).count();
        assert!((39..=40).contains(&first_bin), "{first_bin}");
        // Unseen values at predict time land in the outer bins.
        let y = DMatrix::from_column_slice(2, 1, &[-1e9f32, 1e9]);
        assert_eq!(&y.bin_for_predict(Some(&binner)).unwrap()[..], &[0, 255]);
    }

    #[test]
    fn non_finite_values_are_errors_and_kinds_must_match() {
        let x = DMatrix::from_row_slice(2, 2, &[0.0f32, 1.0, f32::NAN, 2.0]);
        assert!(matches!(
            x.bin_for_fit().unwrap_err(),
            ForestError::Input(InputError::NonFinite { row: 1, col: 0, .. })
        ));
        let u = DMatrix::from_row_slice(1, 1, &[0u8]);
        assert!(
            u.bin_for_predict(Some(&Binner {
                edges: vec![vec![]]
            }))
            .is_err()
        );
        let f = DMatrix::from_row_slice(1, 1, &[0f32]);
        assert!(f.bin_for_predict(None).is_err());
    }

    #[test]
    fn label_columns() {
        let x = DMatrix::from_row_slice(2, 1, &[5u8, 6]);
        assert_eq!(
            add_label_column(&x, &[1u8, 2]).unwrap(),
            DMatrix::from_row_slice(2, 2, &[5u8, 1, 6, 2])
        );
        assert!(matches!(
            add_label_column(&x, &[1u8]),
            Err(ForestError::LabelCountMismatch { rows: 2, labels: 1 })
        ));
        assert_eq!(
            label_column(&[0u32, 300]).unwrap_err(),
            ForestError::LabelTooLarge { row: 1, label: 300 }
        );
    }
}
