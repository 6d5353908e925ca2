//! The one input validation of the workspace: non-empty, finite, the expected width,
//! `1 <= k <= n`. Every crate's error enum wraps [`InputError`], so a bad input reads the same
//! whichever estimator meets it, and names the offending row and column.

use nalgebra::DMatrix;
use rayon::prelude::*;

/// Data that no estimator can use. The message names the place (row, column) where there is one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The data matrix has no rows.
    #[error("the data has no samples (0 rows)")]
    NoSamples,

    /// The data matrix has no columns.
    #[error("the data has no features (0 columns)")]
    NoFeatures,

    /// A value is NaN or infinite.
    #[error("the data contains the non-finite value {value} at row {row}, column {col}")]
    NonFinite {
        /// Row (sample) of the offending value.
        row: usize,
        /// Column (feature) of the offending value.
        col: usize,
        /// The value itself (NaN or ±infinity).
        value: f32,
    },

    /// The data has a different number of features from the data the model was fitted on.
    #[error("expected {expected} features, got {found}")]
    FeatureMismatch {
        /// Features of the fitted model.
        expected: usize,
        /// Features of the data passed in.
        found: usize,
    },

    /// The number of clusters (or components) is 0 or larger than the number of samples.
    #[error(
        "cannot make {k} clusters from {n_samples} samples: k must be between 1 and the number of samples"
    )]
    ClusterCount {
        /// The requested number of clusters.
        k: usize,
        /// The number of samples available.
        n_samples: usize,
    },

    /// A row-major buffer's length is not `rows x cols`.
    #[error("{len} values cannot be {rows} rows of {cols} columns")]
    Shape {
        /// Length of the buffer.
        len: usize,
        /// Rows asked for.
        rows: usize,
        /// Columns asked for.
        cols: usize,
    },
}

/// Checks that `x` has at least one row and one column and only finite values.
///
/// # Errors
/// [`InputError::NoSamples`], [`InputError::NoFeatures`] or the first
/// [`InputError::NonFinite`] value in column-major order.
pub fn check_matrix(x: &DMatrix<f32>) -> Result<(), InputError> {
    if x.nrows() == 0 {
        return Err(InputError::NoSamples);
    }
    if x.ncols() == 0 {
        return Err(InputError::NoFeatures);
    }
    check_finite(x)
}

/// Checks that every value of `x` is finite, naming the first offender (column-major order).
///
/// # Errors
/// [`InputError::NonFinite`] with the offender's row and column.
pub fn check_finite(x: &DMatrix<f32>) -> Result<(), InputError> {
    match first_non_finite(x.as_slice()) {
        None => Ok(()),
        Some(at) => Err(InputError::NonFinite {
            row: at % x.nrows(),
            col: at / x.nrows(),
            value: x.as_slice()[at],
        }),
    }
}

/// Checks that the row-major `values` (`cols` per row) are all finite.
///
/// # Errors
/// [`InputError::NonFinite`] with the first offender's row and column.
pub fn check_finite_rows(values: &[f32], cols: usize) -> Result<(), InputError> {
    match first_non_finite(values) {
        None => Ok(()),
        Some(at) => Err(InputError::NonFinite {
            row: at / cols.max(1),
            col: at % cols.max(1),
            value: values[at],
        }),
    }
}

/// Index of the first NaN or infinite value. Blocks are scanned in parallel (a branch-free scan
/// vectorises), then the first offender is located in the first bad block.
pub fn first_non_finite(values: &[f32]) -> Option<usize> {
    const BLOCK: usize = 4096;
    let bad_block = values
        .par_chunks(BLOCK)
        .position_first(|block| block.iter().fold(false, |bad, v| bad | !v.is_finite()))?;
    let start = bad_block * BLOCK;
    values[start..]
        .iter()
        .position(|v| !v.is_finite())
        .map(|i| start + i)
}

/// Checks that `x` has `expected` columns.
///
/// # Errors
/// [`InputError::FeatureMismatch`].
pub fn check_features(x: &DMatrix<f32>, expected: usize) -> Result<(), InputError> {
    check_width(x.ncols(), expected)
}

/// Checks that data of `found` features matches a model of `expected` features.
///
/// # Errors
/// [`InputError::FeatureMismatch`].
pub fn check_width(found: usize, expected: usize) -> Result<(), InputError> {
    if found == expected {
        Ok(())
    } else {
        Err(InputError::FeatureMismatch { expected, found })
    }
}

/// Checks `1 <= k <= n_samples`.
///
/// # Errors
/// [`InputError::ClusterCount`].
pub fn check_cluster_count(k: usize, n_samples: usize) -> Result<(), InputError> {
    if k == 0 || k > n_samples {
        Err(InputError::ClusterCount { k, n_samples })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn first_non_finite_value_is_located() {
        let mut x = DMatrix::<f32>::zeros(3, 2);
        x[(2, 1)] = f32::NAN;
        x[(1, 1)] = f32::INFINITY;
        let err = check_matrix(&x).unwrap_err();
        assert!(matches!(
            err,
            InputError::NonFinite { row: 1, col: 1, value } if value.is_infinite()
        ));
    }

    #[test]
    fn empty_and_narrow_inputs_are_errors() {
        assert_eq!(
            check_matrix(&DMatrix::zeros(0, 3)),
            Err(InputError::NoSamples)
        );
        assert_eq!(
            check_matrix(&DMatrix::zeros(3, 0)),
            Err(InputError::NoFeatures)
        );
        assert!(check_features(&DMatrix::zeros(2, 3), 4).is_err());
        assert!(check_cluster_count(0, 5).is_err());
        assert!(check_cluster_count(6, 5).is_err());
        assert!(check_cluster_count(5, 5).is_ok());
    }

    #[test]
    fn row_major_offenders_are_named_by_row_and_column() {
        let values = [0.0, 1.0, 2.0, f32::NEG_INFINITY, 4.0, 5.0];
        assert!(matches!(
            check_finite_rows(&values, 2),
            Err(InputError::NonFinite { row: 1, col: 1, .. })
        ));
    }

    proptest! {
        #[test]
        fn the_first_offender_is_found_in_any_block(len in 1usize..20_000, at in 0usize..20_000) {
            let mut values = vec![1.0f32; len];
            let at = at % len;
            values[at] = f32::NAN;
            if at + 1 < len {
                values[len - 1] = f32::INFINITY;
            }
            prop_assert_eq!(first_non_finite(&values), Some(at));
        }
    }
}
