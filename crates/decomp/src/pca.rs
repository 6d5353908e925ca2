//! PCA: parameters ([`Pca`]), solver choice ([`Method`]) and the fitted model ([`FittedPca`]).

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use fmnist_core::linalg::{
    SymmetricEigen, centre_rows, column_means, covariance_lower, randomized_svd,
};
use fmnist_core::{Fit, FormatVersion, InverseTransform, Transform, simd, validate};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::error::{DecompError, Result};

/// How the principal axes are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Method {
    /// [`Method::Covariance`] for up to 1,000 features, else [`Method::Randomized`] (default).
    #[default]
    Auto,
    /// The `features x features` covariance (one matrix product, accumulated in `f64`) and its
    /// symmetric eigendecomposition: exact, and fastest when features are few. scikit-learn's
    /// `covariance_eigh`. Gives the explained variance ratio of every component.
    Covariance,
    /// Randomized truncated SVD of the centred data (scikit-learn's `randomized`): for many
    /// features; approximate, seeded.
    Randomized,
}

/// PCA parameters: `Pca::params(n_components)`, then builder methods, then [`Pca::fit`].
///
/// ```
/// use fmnist_decomp::Pca;
/// use nalgebra::DMatrix;
///
/// // Points on the line y = 2x, plus a little noise in y.
/// let x = DMatrix::from_row_slice(4, 2, &[0.0, 0.1, 1.0, 1.9, 2.0, 4.1, 3.0, 5.9]);
/// let pca = Pca::params(1).fit(&x)?;
/// assert!(pca.explained_variance_ratio()[0] > 0.99);
/// let z = pca.transform(&x)?; // 4 x 1
/// let back = pca.inverse_transform(&z)?; // 4 x 2, close to x
/// assert!((back[(3, 1)] - 5.9).abs() < 0.1);
/// # Ok::<(), fmnist_decomp::DecompError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    n_components: usize,
    whiten: bool,
    method: Method,
    n_oversamples: usize,
    n_power_iter: Option<usize>,
    seed: u64,
}

impl Pca {
    /// Parameters for `n_components` components: no whitening, [`Method::Auto`], and for the
    /// randomized method 10 oversamples, scikit-learn's automatic power iterations, seed 0.
    pub fn params(n_components: usize) -> Self {
        Self {
            n_components,
            whiten: false,
            method: Method::Auto,
            n_oversamples: 10,
            n_power_iter: None,
            seed: 0,
        }
    }

    /// Whether [`FittedPca::transform`] scales each component to unit variance (default false).
    pub fn whiten(mut self, whiten: bool) -> Self {
        self.whiten = whiten;
        self
    }

    /// The solver (default [`Method::Auto`]).
    pub fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// Extra sketch columns of the randomized method (default 10).
    pub fn n_oversamples(mut self, n_oversamples: usize) -> Self {
        self.n_oversamples = n_oversamples;
        self
    }

    /// Power iterations of the randomized method (default: 7 when `n_components` is below 10 %
    /// of `min(samples, features)`, else 4, as scikit-learn).
    pub fn n_power_iter(mut self, n_power_iter: usize) -> Self {
        self.n_power_iter = Some(n_power_iter);
        self
    }

    /// Seed of the randomized method's sketch (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks the parameters alone, before any data is seen: at least one component.
    /// [`Pca::fit`] runs it first.
    ///
    /// # Errors
    /// [`DecompError::InvalidParameter`] for `n_components == 0`.
    pub fn check(&self) -> Result<()> {
        if self.n_components == 0 {
            return Err(DecompError::InvalidParameter {
                name: "n_components",
                reason: "must be at least 1",
            });
        }
        Ok(())
    }

    /// Fits the model to `x` (samples x features). Runs in the current rayon thread pool.
    ///
    /// # Errors
    /// [`DecompError::InvalidParameter`] from [`Pca::check`], [`DecompError::Input`] for empty
    /// or non-finite data, [`DecompError::InvalidComponentCount`] unless `n_components <=
    /// min(samples, features)`, [`DecompError::NoConvergence`] if the decomposition fails.
    pub fn fit(&self, x: &DMatrix<f32>) -> Result<FittedPca> {
        self.check()?;
        let (n, d) = x.shape();
        let mean = column_means(x);
        // Only a NaN or ±inf makes a column's mean non-finite: the data is searched for the
        // offender only then (or when it is empty), so a good fit makes no separate scan.
        if x.is_empty() || !mean.iter().all(|m| m.is_finite()) {
            validate::check_matrix(x)?;
        }
        if self.n_components > n.min(d) {
            return Err(DecompError::InvalidComponentCount {
                n_components: self.n_components,
                n_samples: n,
                n_features: d,
            });
        }
        let method = match self.method {
            Method::Auto if d <= 1000 => Method::Covariance,
            Method::Auto => Method::Randomized,
            m => m,
        };
        let spectrum = match method {
            Method::Covariance => self.covariance_spectrum(x, &mean)?,
            _ => self.randomized_spectrum(x, &mean)?,
        };
        Ok(FittedPca::new(self.whiten, method, &mean, n, spectrum))
    }

    /// The exact spectrum: the covariance and its symmetric eigendecomposition, every
    /// variance up to the rank.
    fn covariance_spectrum(&self, x: &DMatrix<f32>, mean: &[f64]) -> Result<Spectrum> {
        let (n, d) = x.shape();
        let cov = covariance_lower(x, mean);
        let total_variance: f64 = (0..d).map(|j| cov[(j, j)]).sum();
        let eig = SymmetricEigen::of_lower(&cov)
            .ok_or(DecompError::NoConvergence("symmetric eigendecomposition"))?;
        // Largest first; rounding below 0 clamped; the rank's worth kept.
        let variances: Vec<f64> = eig.values[..n.min(d)].iter().map(|v| v.max(0.0)).collect();
        let axes = Mat::<f64>::from_fn(self.n_components, d, |c, j| eig.vectors[(j, c)]);
        Ok(Spectrum {
            axes,
            variances,
            total_variance,
        })
    }

    /// The approximate spectrum: the randomized SVD of the centred data, the kept components
    /// and the oversamples.
    fn randomized_spectrum(&self, x: &DMatrix<f32>, mean: &[f64]) -> Result<Spectrum> {
        let (n, d) = x.shape();
        let (k, rank, dof) = (self.n_components, n.min(d), degrees_of_freedom(n));
        let mut centred = vec![0f32; n * d];
        centre_rows(x, mean, 0, &mut centred);
        let total_variance: f64 = centred
            .chunks_exact(n)
            .map(|col| {
                col.iter()
                    .map(|&v| f64::from(v) * f64::from(v))
                    .sum::<f64>()
                    / dof
            })
            .sum();
        let l = (k + self.n_oversamples).min(rank);
        let n_iter = self
            .n_power_iter
            .unwrap_or(if (k as f64) < 0.1 * rank as f64 { 7 } else { 4 });
        let a = MatRef::from_column_major_slice(&centred, n, d);
        let svd = randomized_svd(a, l, n_iter, self.seed)
            .ok_or(DecompError::NoConvergence("singular value decomposition"))?;
        Ok(Spectrum {
            axes: Mat::<f64>::from_fn(k, d, |c, j| svd.vt[(c, j)]),
            variances: svd.s.iter().map(|s| s * s / dof).collect(),
            total_variance,
        })
    }
}

/// What a solver finds: the kept axes and the variances it knows.
struct Spectrum {
    /// `n_components x features`: the principal axes, largest variance first, signs as found.
    axes: Mat<f64>,
    /// Variances along the axes, largest first: every one up to the rank for
    /// [`Method::Covariance`], the kept components and the oversamples for
    /// [`Method::Randomized`].
    variances: Vec<f64>,
    /// The data's total variance (the covariance's trace).
    total_variance: f64,
}

/// `n − 1`, the divisor of the sample variance (1 for a single row).
fn degrees_of_freedom(n: usize) -> f64 {
    (n.max(2) - 1) as f64
}

/// scikit-learn's `svd_flip(u_based_decision=False)`: each axis (row) is negated if needed so
/// that its entry of largest magnitude (the first of equals) is positive.
fn flip_signs(mut axes: MatMut<'_, f64>) {
    for c in 0..axes.nrows() {
        let mut at = 0;
        for j in 1..axes.ncols() {
            if axes[(c, j)].abs() > axes[(c, at)].abs() {
                at = j;
            }
        }
        if axes[(c, at)] < 0.0 {
            for j in 0..axes.ncols() {
                axes[(c, j)] = -axes[(c, j)];
            }
        }
    }
}

/// A fitted PCA: the mean, the principal axes and the variance each explains.
///
/// Serialisable with serde, with a format version ([`FormatVersion`], 1) that loading checks;
/// a form without it, from before the field existed, is version 1. Loading also checks that the
/// arrays have the sizes the feature and component counts say. Field meanings follow
/// scikit-learn's `PCA` attributes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredPca")]
pub struct FittedPca {
    #[serde(default)]
    format_version: FormatVersion<1>,
    n_features: usize,
    n_samples: usize,
    whiten: bool,
    method: Method,
    mean: Vec<f32>,
    /// `n_components x n_features`, row-major, unit rows.
    components: Vec<f32>,
    singular_values: Vec<f64>,
    explained_variance: Vec<f64>,
    explained_variance_ratio: Vec<f64>,
    all_explained_variance_ratio: Vec<f64>,
    noise_variance: f64,
}

impl FittedPca {
    /// The model of a solver's `spectrum` of `n` samples about `mean`: signs flipped to
    /// scikit-learn's convention, ratios of the total variance, the noise variance.
    fn new(whiten: bool, method: Method, mean: &[f64], n: usize, spectrum: Spectrum) -> Self {
        let Spectrum {
            mut axes,
            variances,
            total_variance,
        } = spectrum;
        let (k, d) = axes.shape();
        let rank = n.min(d);
        let dof = degrees_of_freedom(n);
        flip_signs(axes.as_mut());
        let ratio = |v: &f64| {
            if total_variance > 0.0 {
                v / total_variance
            } else {
                0.0
            }
        };
        let explained_variance = variances[..k].to_vec();
        let noise_variance = if k < rank {
            match method {
                Method::Covariance => variances[k..].iter().sum::<f64>() / (rank - k) as f64,
                _ => {
                    (total_variance - explained_variance.iter().sum::<f64>()).max(0.0)
                        / (rank - k) as f64
                }
            }
        } else {
            0.0
        };
        FittedPca {
            format_version: FormatVersion,
            n_features: d,
            n_samples: n,
            whiten,
            method,
            mean: mean.iter().map(|&m| m as f32).collect(),
            components: (0..k * d).map(|i| axes[(i / d, i % d)] as f32).collect(),
            singular_values: explained_variance
                .iter()
                .map(|v| (v * dof).sqrt())
                .collect(),
            explained_variance_ratio: explained_variance.iter().map(ratio).collect(),
            all_explained_variance_ratio: variances.iter().map(ratio).collect(),
            explained_variance,
            noise_variance,
        }
    }

    /// Number of components kept.
    pub fn n_components(&self) -> usize {
        self.explained_variance.len()
    }

    /// Number of features of the data the model was fitted on.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of samples the model was fitted on.
    pub fn n_samples(&self) -> usize {
        self.n_samples
    }

    /// The solver that was used ([`Method::Auto`] resolved).
    pub fn method(&self) -> Method {
        self.method
    }

    /// Whether `transform` whitens.
    pub fn whitened(&self) -> bool {
        self.whiten
    }

    /// Per-feature mean of the training data.
    pub fn mean(&self) -> &[f32] {
        &self.mean
    }

    /// The principal axes, `n_components x features`, unit rows, largest variance first; each
    /// axis's entry of largest magnitude is positive (scikit-learn's sign convention).
    pub fn components(&self) -> DMatrix<f32> {
        DMatrix::from_row_slice(self.n_components(), self.n_features, &self.components)
    }

    /// Singular values of the centred training data for the kept components.
    pub fn singular_values(&self) -> &[f64] {
        &self.singular_values
    }

    /// Variance along each kept component (sample variance, divided by `n − 1`).
    pub fn explained_variance(&self) -> &[f64] {
        &self.explained_variance
    }

    /// Fraction of the total variance explained by each kept component.
    pub fn explained_variance_ratio(&self) -> &[f64] {
        &self.explained_variance_ratio
    }

    /// Fraction of the total variance explained by every component up to `min(samples,
    /// features)` — the "cutoff" curve. The covariance method knows them all; the randomized
    /// one only the kept components (and a few oversamples).
    pub fn all_explained_variance_ratio(&self) -> &[f64] {
        &self.all_explained_variance_ratio
    }

    /// Cumulative explained variance ratio of the kept components.
    pub fn cumulative_explained_variance_ratio(&self) -> f64 {
        self.explained_variance_ratio.iter().sum()
    }

    /// The probabilistic-PCA noise variance: mean variance of the discarded directions.
    pub fn noise_variance(&self) -> f64 {
        self.noise_variance
    }

    /// Coordinates of the rows of `x` on the components (`samples x n_components`), divided
    /// by the components' standard deviations when whitening.
    ///
    /// # Errors
    /// [`DecompError::Input`] if `x` does not have the fitted feature count, is empty or holds
    /// a non-finite value.
    pub fn transform(&self, x: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        validate::check_features(x, self.n_features)?;
        validate::check_matrix(x)?;
        let (n, d) = x.shape();
        let k = self.n_components();
        let mean: Vec<f64> = self.mean.iter().map(|&m| f64::from(m)).collect();
        let mut centred = vec![0f32; n * d];
        centre_rows(x, &mean, 0, &mut centred);
        let a = MatRef::from_column_major_slice(&centred, n, d);
        let w = MatRef::from_row_major_slice(&self.components, k, d);
        let mut z = DMatrix::<f32>::zeros(n, k);
        let out = MatMut::from_column_major_slice_mut(z.as_mut_slice(), n, k);
        matmul(out, Accum::Replace, a, w.transpose(), 1.0f32, Par::rayon(0));
        if self.whiten {
            for (mut col, &v) in z.column_iter_mut().zip(&self.explained_variance) {
                col /= v.sqrt().max(f64::MIN_POSITIVE) as f32;
            }
        }
        Ok(z)
    }

    /// Rows of feature space from component coordinates (`samples x n_components` in,
    /// `samples x features` out): the mean plus the combination of the axes.
    ///
    /// # Errors
    /// [`DecompError::Input`] if `z` does not have `n_components` columns, is empty or holds
    /// a non-finite value.
    pub fn inverse_transform(&self, z: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        let k = self.n_components();
        validate::check_features(z, k)?;
        validate::check_matrix(z)?;
        let n = z.nrows();
        let d = self.n_features;
        let mut scaled = z.clone();
        if self.whiten {
            for (mut col, &v) in scaled.column_iter_mut().zip(&self.explained_variance) {
                col *= v.sqrt() as f32;
            }
        }
        let a = MatRef::from_column_major_slice(scaled.as_slice(), n, k);
        let w = MatRef::from_row_major_slice(&self.components, k, d);
        let mut x = DMatrix::<f32>::from_fn(n, d, |_, j| self.mean[j]);
        let out = MatMut::from_column_major_slice_mut(x.as_mut_slice(), n, d);
        matmul(out, Accum::Add, a, w, 1.0f32, Par::rayon(0));
        Ok(x)
    }

    /// Mean over the rows of `x` of the squared distance between a row and its reconstruction
    /// from the kept components (`inverse_transform(transform(x))`).
    ///
    /// # Errors
    /// As [`FittedPca::transform`].
    pub fn reconstruction_error(&self, x: &DMatrix<f32>) -> Result<f64> {
        let back = self.inverse_transform(&self.transform(x)?)?;
        Ok(simd::sq_dist_f64(x.as_slice(), back.as_slice()) / x.nrows() as f64)
    }
}

/// [`FittedPca`] as read, before its arrays are checked against each other.
#[derive(Deserialize)]
struct StoredPca {
    #[serde(default)]
    format_version: FormatVersion<1>,
    n_features: usize,
    n_samples: usize,
    whiten: bool,
    method: Method,
    mean: Vec<f32>,
    components: Vec<f32>,
    singular_values: Vec<f64>,
    explained_variance: Vec<f64>,
    explained_variance_ratio: Vec<f64>,
    all_explained_variance_ratio: Vec<f64>,
    noise_variance: f64,
}

impl TryFrom<StoredPca> for FittedPca {
    type Error = String;

    fn try_from(s: StoredPca) -> std::result::Result<Self, String> {
        let (d, k) = (s.n_features, s.explained_variance.len());
        let per_component = [s.singular_values.len(), s.explained_variance_ratio.len()];
        if s.mean.len() != d
            || Some(s.components.len()) != k.checked_mul(d)
            || per_component.iter().any(|&len| len != k)
            || s.all_explained_variance_ratio.len() < k
        {
            return Err(format!(
                "the PCA's arrays do not hold {k} components of {d} features"
            ));
        }
        Ok(Self {
            format_version: s.format_version,
            n_features: s.n_features,
            n_samples: s.n_samples,
            whiten: s.whiten,
            method: s.method,
            mean: s.mean,
            components: s.components,
            singular_values: s.singular_values,
            explained_variance: s.explained_variance,
            explained_variance_ratio: s.explained_variance_ratio,
            all_explained_variance_ratio: s.all_explained_variance_ratio,
            noise_variance: s.noise_variance,
        })
    }
}

impl Fit<DMatrix<f32>> for Pca {
    type Fitted = FittedPca;
    type Error = DecompError;

    /// [`Pca::fit`].
    fn fit(&self, x: &DMatrix<f32>) -> Result<FittedPca> {
        Pca::fit(self, x)
    }
}

impl Transform<DMatrix<f32>> for FittedPca {
    type Output = DMatrix<f32>;
    type Error = DecompError;

    /// [`FittedPca::transform`].
    fn transform(&self, x: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        FittedPca::transform(self, x)
    }
}

impl InverseTransform<DMatrix<f32>> for FittedPca {
    type Output = DMatrix<f32>;
    type Error = DecompError;

    /// [`FittedPca::inverse_transform`].
    fn inverse_transform(&self, z: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        FittedPca::inverse_transform(self, z)
    }
}
