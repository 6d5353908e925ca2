//! Checks of input data: non-empty, finite, right width.

use nalgebra::DMatrix;
use rayon::prelude::*;

use crate::error::{ManifoldError, Result};

/// Checks that `x` has at least one row and one column and only finite values.
pub(crate) fn check_data(x: &DMatrix<f32>) -> Result<()> {
    if x.nrows() == 0 {
        return Err(ManifoldError::EmptyInput);
    }
    if x.ncols() == 0 {
        return Err(ManifoldError::NoFeatures);
    }
    const BLOCK: usize = 4096;
    // Blocks in parallel (a branch-free scan vectorises), then the first offender in the first
    // bad block.
    let bad_block = x
        .as_slice()
        .par_chunks(BLOCK)
        .position_first(|block| block.iter().fold(false, |bad, v| bad | !v.is_finite()));
    let first = bad_block.and_then(|b| {
        let start = b * BLOCK;
        x.as_slice()[start..]
            .iter()
            .position(|v| !v.is_finite())
            .map(|i| start + i)
    });
    match first {
        None => Ok(()),
        Some(at) => Err(ManifoldError::NonFinite {
            row: at % x.nrows(),
            col: at / x.nrows(),
            value: x.as_slice()[at],
        }),
    }
}

/// Checks that `x` has `expected` columns.
pub(crate) fn check_features(x: &DMatrix<f32>, expected: usize) -> Result<()> {
    if x.ncols() == expected {
        Ok(())
    } else {
        Err(ManifoldError::FeatureMismatch {
            expected,
            found: x.ncols(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_non_finite_value_is_located() {
        let mut x = DMatrix::<f32>::zeros(3, 2);
        x[(2, 1)] = f32::NAN;
        x[(1, 1)] = f32::INFINITY;
        let err = check_data(&x).unwrap_err();
        assert!(matches!(
            err,
            ManifoldError::NonFinite { row: 1, col: 1, value } if value.is_infinite()
        ));
        assert_eq!(
            check_data(&DMatrix::zeros(0, 3)),
            Err(ManifoldError::EmptyInput)
        );
        assert_eq!(
            check_data(&DMatrix::zeros(3, 0)),
            Err(ManifoldError::NoFeatures)
        );
        assert!(check_features(&DMatrix::zeros(2, 3), 4).is_err());
    }
}
