//! The parameters of a mixture — weights, means, covariances — and the Cholesky factors of the
//! precisions that the E-step multiplies by, with scikit-learn's layouts.

use faer::linalg::triangular_inverse::invert_lower_triangular;
use faer::{Mat, MatRef, Par, Side};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Covariance;
use crate::error::{ClusterError, Result};

/// Weights, means and covariances of `k` Gaussians in `d` dimensions, as the M-step estimates
/// them (means in the centred coordinates of [`super::rows::Rows64`]), with the layouts of
/// [`Components`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parameters {
    pub kind: Covariance,
    pub d: usize,
    pub weights: Vec<f64>,
    pub means: Vec<f64>,
    pub covariances: Vec<f64>,
}

impl Parameters {
    /// Number of components.
    pub fn k(&self) -> usize {
        self.weights.len()
    }
}

/// [`Parameters`] and the Cholesky factors of the precisions: a fitted mixture's state.
///
/// Layouts, all row-major, as scikit-learn's `covariances_` / `precisions_cholesky_`:
/// `Full` k·d·d, `Tied` d·d, `Diag` k·d, `Spherical` k. For `Full` and `Tied` the precision
/// factor `U` is upper triangular with `U Uᵀ = Σ⁻¹`, so `‖(x − μ) U‖²` is the Mahalanobis term.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Components {
    pub kind: Covariance,
    pub d: usize,
    pub weights: Vec<f64>,
    pub means: Vec<f64>,
    pub covariances: Vec<f64>,
    pub precisions_cholesky: Vec<f64>,
}

impl Components {
    /// Factors the precisions of `p`.
    ///
    /// # Errors
    /// [`ClusterError::CollapsedComponent`] where a covariance is not positive definite.
    pub fn new(p: Parameters, reg_covar: f64) -> Result<Self> {
        let precisions_cholesky = precision_cholesky(p.kind, p.d, &p.covariances, reg_covar)?;
        let Parameters {
            kind,
            d,
            weights,
            means,
            covariances,
        } = p;
        Ok(Self {
            kind,
            d,
            weights,
            means,
            covariances,
            precisions_cholesky,
        })
    }

    /// Checks that every array has the size that `kind`, `d` and the number of weights say (a
    /// model read from a file).
    ///
    /// # Errors
    /// What does not agree, in one line.
    pub fn check_sizes(&self) -> std::result::Result<(), String> {
        let (k, d) = (self.k(), self.d);
        let per_component = match self.kind {
            Covariance::Full => d.checked_mul(d),
            Covariance::Tied => Some(0),
            Covariance::Diag => Some(d),
            Covariance::Spherical => Some(1),
        };
        let shared = if self.kind == Covariance::Tied {
            d.checked_mul(d)
        } else {
            Some(0)
        };
        let covariance = per_component
            .and_then(|c| c.checked_mul(k))
            .zip(shared)
            .and_then(|(a, b)| a.checked_add(b));
        let expected = [k.checked_mul(d), covariance, covariance];
        let found = [
            self.means.len(),
            self.covariances.len(),
            self.precisions_cholesky.len(),
        ];
        if k == 0 || d == 0 || expected.iter().zip(&found).any(|(e, &f)| *e != Some(f)) {
            return Err(format!(
                "the mixture's means, covariances and precision factors ({} / {} / {} values) are not those of {k} {} components of {d} features",
                found[0],
                found[1],
                found[2],
                self.kind.name()
            ));
        }
        Ok(())
    }

    /// The parameters, without the factors.
    pub fn parameters(&self) -> Parameters {
        Parameters {
            kind: self.kind,
            d: self.d,
            weights: self.weights.clone(),
            means: self.means.clone(),
            covariances: self.covariances.clone(),
        }
    }

    /// Number of components.
    pub fn k(&self) -> usize {
        self.weights.len()
    }

    /// Mean of component `j`.
    pub fn mean(&self, j: usize) -> &[f64] {
        &self.means[j * self.d..(j + 1) * self.d]
    }

    /// `ln det U_j`: half the log-determinant of component `j`'s precision.
    pub fn log_det_precision_cholesky(&self, j: usize) -> f64 {
        let d = self.d;
        let p = &self.precisions_cholesky;
        match self.kind {
            Covariance::Full => (0..d).map(|t| p[j * d * d + t * d + t].ln()).sum(),
            Covariance::Tied => (0..d).map(|t| p[t * d + t].ln()).sum(),
            Covariance::Diag => p[j * d..(j + 1) * d].iter().map(|v| v.ln()).sum(),
            Covariance::Spherical => d as f64 * p[j].ln(),
        }
    }

    /// Component `j`'s covariance as a dense `d x d` row-major matrix, whatever the type.
    pub fn dense_covariance(&self, j: usize) -> Vec<f64> {
        let d = self.d;
        let c = &self.covariances;
        match self.kind {
            Covariance::Full => c[j * d * d..(j + 1) * d * d].to_vec(),
            Covariance::Tied => c.clone(),
            Covariance::Diag | Covariance::Spherical => {
                let mut out = vec![0.0; d * d];
                for t in 0..d {
                    out[t * d + t] = if self.kind == Covariance::Diag {
                        c[j * d + t]
                    } else {
                        c[j]
                    };
                }
                out
            }
        }
    }

    /// Number of free parameters, as scikit-learn's `_n_parameters`.
    pub fn n_parameters(&self) -> usize {
        let (k, d) = (self.k(), self.d);
        let covariance = match self.kind {
            Covariance::Full => k * d * (d + 1) / 2,
            Covariance::Tied => d * (d + 1) / 2,
            Covariance::Diag => k * d,
            Covariance::Spherical => k,
        };
        covariance + k * d + k - 1
    }
}

/// The lower Cholesky factor `L` (`L Lᵀ = cov`) of a `d x d` row-major symmetric matrix, or
/// `None` where it is not positive definite.
pub(crate) fn cholesky_lower(cov: &[f64], d: usize) -> Option<Mat<f64>> {
    let llt = MatRef::from_row_major_slice(cov, d, d)
        .llt(Side::Lower)
        .ok()?;
    let l = llt.L();
    (0..d)
        .all(|t| l[(t, t)].is_finite() && l[(t, t)] > 0.0)
        .then(|| l.to_owned())
}

/// `U = L⁻ᵀ` of one `d x d` covariance, row-major, or `None` where it is not positive definite.
pub(crate) fn upper_precision_factor(cov: &[f64], d: usize) -> Option<Vec<f64>> {
    let l = cholesky_lower(cov, d)?;
    let mut inv = Mat::<f64>::zeros(d, d);
    invert_lower_triangular(inv.as_mut(), l.as_ref(), Par::Seq);
    // U[r][c] = L⁻¹[c][r]: the row-major U is L⁻¹ read column by column.
    let mut u = Vec::with_capacity(d * d);
    for r in 0..d {
        u.extend((0..d).map(|c| inv[(c, r)]));
    }
    u.iter().all(|v| v.is_finite()).then_some(u)
}

/// scikit-learn's `_compute_precision_cholesky`, in parallel over components.
fn precision_cholesky(
    kind: Covariance,
    d: usize,
    covariances: &[f64],
    reg_covar: f64,
) -> Result<Vec<f64>> {
    let collapsed = |component| ClusterError::CollapsedComponent {
        component,
        reg_covar,
    };
    match kind {
        Covariance::Full => {
            let factors: Vec<Option<Vec<f64>>> = covariances
                .par_chunks(d * d)
                .map(|cov| upper_precision_factor(cov, d))
                .collect();
            let mut out = Vec::with_capacity(covariances.len());
            for (j, f) in factors.into_iter().enumerate() {
                out.extend(f.ok_or_else(|| collapsed(j))?);
            }
            Ok(out)
        }
        Covariance::Tied => upper_precision_factor(covariances, d).ok_or_else(|| collapsed(0)),
        Covariance::Diag | Covariance::Spherical => {
            let per = if kind == Covariance::Diag { d } else { 1 };
            covariances
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    if v > 0.0 && v.is_finite() {
                        Ok(1.0 / v.sqrt())
                    } else {
                        Err(collapsed(i / per))
                    }
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parameters with zero means.
    fn parameters(
        kind: Covariance,
        d: usize,
        weights: Vec<f64>,
        covariances: Vec<f64>,
    ) -> Parameters {
        Parameters {
            kind,
            d,
            means: vec![0.0; weights.len() * d],
            weights,
            covariances,
        }
    }

    #[test]
    fn full_precision_factor_inverts_the_covariance() {
        let cov = vec![4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let c =
            Components::new(parameters(Covariance::Full, 3, vec![1.0], cov.clone()), 0.0).unwrap();
        let u = &c.precisions_cholesky;
        // cov · U Uᵀ = I
        for r in 0..3 {
            for col in 0..3 {
                let mut v = 0.0;
                for a in 0..3 {
                    let prec: f64 = (0..3).map(|b| u[a * 3 + b] * u[col * 3 + b]).sum();
                    v += cov[r * 3 + a] * prec;
                }
                let expected = if r == col { 1.0 } else { 0.0 };
                assert!((v - expected).abs() < 1e-12, "{r},{col}: {v}");
            }
        }
        assert!(
            u[3] == 0.0 && u[6] == 0.0 && u[7] == 0.0,
            "upper triangular"
        );
        let det: f64 = 4.0 * (5.0 * 3.0 - 1.0) - 2.0 * (2.0 * 3.0 - 0.6) + 0.6 * (2.0 - 3.0);
        assert!((c.log_det_precision_cholesky(0) + 0.5 * det.ln()).abs() < 1e-12);
    }

    #[test]
    fn singular_covariances_name_their_component() {
        let singular = vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        let err = Components::new(
            parameters(Covariance::Full, 2, vec![0.5; 2], singular),
            1e-6,
        )
        .unwrap_err();
        assert_eq!(
            err,
            ClusterError::CollapsedComponent {
                component: 1,
                reg_covar: 1e-6
            }
        );
        let diagonals = vec![1.0, 1.0, 1.0, 0.0];
        let err = Components::new(
            parameters(Covariance::Diag, 2, vec![0.5; 2], diagonals),
            0.0,
        )
        .unwrap_err();
        assert!(err.to_string().contains("component 1"));
        assert!(err.to_string().contains("reg_covar"));
    }
}
