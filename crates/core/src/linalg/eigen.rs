//! The symmetric eigendecomposition, largest eigenvalue first.

use faer::{Mat, Side};

/// Eigenvalues and eigenvectors of a symmetric matrix, in non-increasing order of eigenvalue.
#[derive(Debug, Clone)]
pub struct SymmetricEigen {
    /// Eigenvalues, largest first.
    pub values: Vec<f64>,
    /// `d x d`: column `c` is the unit eigenvector of `values[c]`.
    pub vectors: Mat<f64>,
}

impl SymmetricEigen {
    /// The decomposition of the symmetric `a`, of which only the lower triangle is read; `None`
    /// if it does not converge.
    pub fn of_lower(a: &Mat<f64>) -> Option<Self> {
        let eig = a.self_adjoint_eigen(Side::Lower).ok()?;
        let d = a.nrows();
        // faer's eigenvalues ascend: reverse them and their vectors.
        Some(Self {
            values: (0..d).map(|i| eig.S()[d - 1 - i]).collect(),
            vectors: Mat::from_fn(d, d, |t, c| eig.U()[(t, d - 1 - c)]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigenpairs_come_largest_first_and_satisfy_the_definition() {
        let a = Mat::<f64>::from_fn(3, 3, |i, j| {
            [[2.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 1.0]][i][j]
        });
        let eig = SymmetricEigen::of_lower(&a).unwrap();
        assert!(eig.values.windows(2).all(|w| w[0] >= w[1]));
        for c in 0..3 {
            for i in 0..3 {
                let av: f64 = (0..3).map(|j| a[(i, j)] * eig.vectors[(j, c)]).sum();
                assert!((av - eig.values[c] * eig.vectors[(i, c)]).abs() < 1e-12);
            }
        }
    }
}
