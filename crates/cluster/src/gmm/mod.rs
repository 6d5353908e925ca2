//! Gaussian mixtures fitted by EM: parameters ([`GaussianMixture`]), the fitted model
//! ([`FittedGaussianMixture`]), the covariance structure ([`Covariance`]), how to start
//! ([`GmmInit`]) and whether components may differ in size ([`ComponentSizes`]), with
//! scikit-learn's `GaussianMixture` semantics.

mod balance;
mod components;
mod em;
mod estep;
mod init;
mod mstep;
mod pruned;
mod rows;
mod sample;

use fmnist_core::linalg::column_means;
use fmnist_core::validate::{check_cluster_count, check_features, check_matrix, check_width};
use fmnist_core::{Fit, Predict, PredictProba};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::FormatVersion;
use crate::error::{ClusterError, Result};
use crate::params::{check_non_negative, check_runs, check_start, invalid};
use components::Components;
use rows::Rows64;

/// The structure of the components' covariance matrices (scikit-learn's `covariance_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Covariance {
    /// Each component has its own general covariance matrix (default).
    #[default]
    Full,
    /// All components share one general covariance matrix.
    Tied,
    /// Each component has its own diagonal covariance matrix.
    Diag,
    /// Each component has its own single variance.
    Spherical,
}

impl Covariance {
    /// scikit-learn's name: `full`, `tied`, `diag` or `spherical`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Tied => "tied",
            Self::Diag => "diag",
            Self::Spherical => "spherical",
        }
    }
}

impl std::str::FromStr for Covariance {
    type Err = ClusterError;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "full" => Ok(Self::Full),
            "tied" => Ok(Self::Tied),
            "diag" => Ok(Self::Diag),
            "spherical" => Ok(Self::Spherical),
            other => Err(ClusterError::InvalidParameter(format!(
                "unknown covariance type {other:?} (expected full, tied, diag or spherical)"
            ))),
        }
    }
}

/// Whether the components' sizes are free (scikit-learn's mixture) or equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ComponentSizes {
    /// Mixing weights are estimated (default).
    #[default]
    Free,
    /// For data known to hold equally frequent groups: each run first converges freely, then
    /// continues EM with the mixing weights fixed at `1 / k` and every E-step's
    /// responsibilities rescaled (per-component potentials found by Newton's method) so that
    /// each component receives `n / k` of the training samples — the equipartition constraint
    /// of Asano et al., "Self-labelling via simultaneous clustering and representation
    /// learning" (ICLR 2020). The lower bound is then the constrained one,
    /// `Σ_j q_ij (ln N(x_i | μ_j, Σ_j) − ln k − ln q_ij)` per sample. The constraint holds on
    /// the training samples only: prediction stays per sample (equal weights), so new data is
    /// labelled one row at a time.
    ///
    /// It is aimed at a free mixture's typical failure on balanced classes — one component for
    /// several similar classes while another class is split in two — but it is a modelling
    /// assumption, not a cure: with unequal groups it moves samples across true boundaries, and
    /// where a class is split into two far-apart islands (as in a UMAP embedding of
    /// Fashion-MNIST, where it lowers test AMI) the components widen to take their share
    /// instead.
    Equal,
}

impl ComponentSizes {
    /// The name used on command lines and in reports: `free` or `equal`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Equal => "equal",
        }
    }
}

impl std::str::FromStr for ComponentSizes {
    type Err = ClusterError;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "free" => Ok(Self::Free),
            "equal" => Ok(Self::Equal),
            other => Err(ClusterError::InvalidParameter(format!(
                "unknown component sizes {other:?} (expected free or equal)"
            ))),
        }
    }
}

/// How each EM run starts (scikit-learn's `init_params`, plus given starts and warm start).
///
/// Every start except [`GmmInit::Fitted`] gives initial responsibilities, from which a first
/// M-step estimates weights, means and covariances.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum GmmInit {
    /// Hard labels of the crate's own [`crate::KMeans`] (one k-means++ run, seeded from the
    /// mixture's seed) (default; scikit-learn's `'kmeans'`).
    #[default]
    KMeans,
    /// Each component starts on one k-means++ seed sample (scikit-learn's `'k-means++'`).
    KMeansPlusPlus,
    /// Uniform random responsibilities, normalised per sample (scikit-learn's `'random'`).
    Random,
    /// Each component starts on one distinct random sample (`'random_from_data'`).
    RandomFromData,
    /// These responsibilities (`samples x k`, non-negative), used as given; a single run.
    Responsibilities(DMatrix<f64>),
    /// Hard assignment of every sample to the nearest of these means (`k x features`); a
    /// single run.
    Means(DMatrix<f32>),
    /// Warm start: EM continues from this model's parameters (same `k`, features and
    /// covariance type); a single run.
    Fitted(Box<FittedGaussianMixture>),
}

/// Gaussian-mixture parameters: `GaussianMixture::params(k)`, then builder methods, then
/// [`GaussianMixture::fit`].
///
/// Each of `n_init` runs starts from its own initial responsibilities and iterates EM until the
/// mean log-likelihood per sample (the lower bound) changes by less than `tol`, or `max_iter`
/// times; the run with the highest lower bound wins. Responsibilities are computed in log space
/// (log-sum-exp), so tight or far-away components give no NaN or −∞; a covariance that stops
/// being positive definite is an error naming the component.
///
/// ```
/// use fmnist_cluster::{Covariance, GaussianMixture};
/// use nalgebra::DMatrix;
///
/// // Two blobs, the second one stretched along the first feature.
/// let x = DMatrix::from_row_slice(8, 2, &[0.0, 0.1, 0.1, 0.0, -0.1, 0.0, 0.0, -0.1,
///                                        5.0, 5.0, 7.0, 5.1, 3.0, 4.9, 5.0, 5.0]);
/// let gmm = GaussianMixture::params(2).covariance(Covariance::Diag).fit(&x)?;
/// let labels = gmm.predict(&x)?;
/// assert_eq!(labels[0], labels[3]);
/// assert_ne!(labels[0], labels[4]);
/// let proba = gmm.predict_proba(&x)?;
/// assert!((proba.row(4).sum() - 1.0).abs() < 1e-12);
/// assert!(gmm.converged());
/// # Ok::<(), fmnist_cluster::ClusterError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianMixture {
    k: usize,
    covariance: Covariance,
    tol: f64,
    reg_covar: f64,
    max_iter: usize,
    n_init: usize,
    init: GmmInit,
    sizes: ComponentSizes,
    seed: u64,
}

/// scikit-learn's default, one component, with [`GaussianMixture::params`]' other defaults.
impl Default for GaussianMixture {
    fn default() -> Self {
        Self::params(1)
    }
}

impl GaussianMixture {
    /// Parameters for `k` components: full covariances, `tol` 1e-3, `reg_covar` 1e-6,
    /// `max_iter` 100, `n_init` 1, K-Means start, free sizes, seed 0 (scikit-learn's
    /// defaults).
    pub fn params(k: usize) -> Self {
        Self {
            k,
            covariance: Covariance::Full,
            tol: 1e-3,
            reg_covar: 1e-6,
            max_iter: 100,
            n_init: 1,
            init: GmmInit::KMeans,
            sizes: ComponentSizes::Free,
            seed: 0,
        }
    }

    /// The covariance structure (default [`Covariance::Full`]).
    pub fn covariance(mut self, covariance: Covariance) -> Self {
        self.covariance = covariance;
        self
    }

    /// Convergence threshold on the change of the mean log-likelihood per sample between
    /// iterations (default 1e-3; 0 runs all `max_iter` iterations).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Non-negative value added to the diagonal of every covariance, keeping it positive
    /// definite (default 1e-6).
    pub fn reg_covar(mut self, reg_covar: f64) -> Self {
        self.reg_covar = reg_covar;
        self
    }

    /// Most EM iterations per run (default 100).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Number of runs; the one with the highest lower bound is kept (default 1).
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// How runs start (default [`GmmInit::KMeans`]).
    pub fn init(mut self, init: GmmInit) -> Self {
        self.init = init;
        self
    }

    /// Free or equal component sizes (default [`ComponentSizes::Free`]). With
    /// [`ComponentSizes::Equal`], `max_iter` and `tol` apply to each of the two phases.
    pub fn component_sizes(mut self, sizes: ComponentSizes) -> Self {
        self.sizes = sizes;
        self
    }

    /// Seed of every random choice (default 0). The same seed gives the same model on any
    /// number of threads.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Number of components.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Checks the parameters alone, as [`GaussianMixture::fit`] does before it touches the
    /// data.
    ///
    /// # Errors
    /// [`ClusterError::InvalidParameter`] for `k`, `n_init` or `max_iter` 0, a negative or
    /// non-finite `tol` or `reg_covar`, given responsibilities that are not `k` columns of
    /// finite non-negative values, given means that are not `k` rows of finite values, or a
    /// warm start from a model of another `k` or covariance type.
    pub fn check(&self) -> Result<()> {
        check_runs(self.k, self.n_init, self.max_iter, self.tol)?;
        check_non_negative("reg_covar", self.reg_covar)?;
        match &self.init {
            GmmInit::Responsibilities(r) => check_responsibilities(r, self.k),
            GmmInit::Means(m) => check_start("means", m, self.k),
            GmmInit::Fitted(model) => {
                if model.k() != self.k || model.covariance_type() != self.covariance {
                    return invalid(format!(
                        "warm start from a model with k = {} and {} covariances, but the parameters ask for k = {} and {}",
                        model.k(),
                        model.covariance_type().name(),
                        self.k,
                        self.covariance.name()
                    ));
                }
                Ok(())
            }
            GmmInit::KMeans
            | GmmInit::KMeansPlusPlus
            | GmmInit::Random
            | GmmInit::RandomFromData => Ok(()),
        }
    }

    /// Fits the mixture to `x` (samples x features). Runs in the current rayon thread pool.
    ///
    /// # Errors
    /// [`ClusterError::InvalidParameter`] as [`GaussianMixture::check`], and for given
    /// responsibilities with another number of rows than `x`; [`ClusterError::Input`] for an
    /// empty matrix, a NaN or infinite value, more components than samples, or given means or
    /// a warm-start model with another number of features than `x`;
    /// [`ClusterError::CollapsedComponent`] where a component's covariance stops being
    /// positive definite (a larger `reg_covar` helps), and with equal component sizes
    /// [`ClusterError::UnreachableEqualSizes`] where a nearly collapsed component cannot be
    /// given its share (likewise).
    pub fn fit(&self, x: &DMatrix<f32>) -> Result<FittedGaussianMixture> {
        self.check()?;
        self.check_data(x)?;
        let settings = em::Settings {
            max_iter: self.max_iter,
            tol: self.tol,
            reg_covar: self.reg_covar,
            sizes: self.sizes,
        };
        if let GmmInit::Fitted(model) = &self.init {
            let rows = Rows64::from_matrix(x, &model.offset);
            let run = em::run(&rows, model.components.parameters(), settings)?;
            return Ok(FittedGaussianMixture::from_run(model.offset.clone(), run));
        }
        let offset = column_means(x);
        let rows = Rows64::from_matrix(x, &offset);
        let n_init = match self.init {
            GmmInit::Responsibilities(_) | GmmInit::Means(_) => 1,
            _ => self.n_init,
        };
        let mut seeds = ChaCha8Rng::seed_from_u64(self.seed);
        let mut best: Option<em::Run> = None;
        for _ in 0..n_init {
            let mut rng = ChaCha8Rng::seed_from_u64(seeds.random());
            let resp = init::responsibilities(&self.init, x, &rows, &offset, self.k, &mut rng)?;
            let start = mstep::estimate(&rows, &resp, self.k, self.covariance, self.reg_covar);
            let run = em::run(&rows, start, settings)?;
            if best
                .as_ref()
                .is_none_or(|b| run.lower_bound > b.lower_bound)
            {
                best = Some(run);
            }
        }
        let best = best.expect("n_init >= 1 makes at least one run");
        Ok(FittedGaussianMixture::from_run(offset, best))
    }

    /// Checks `x` against the parameters: usable data, `k <= samples`, and a given start of
    /// the data's shape.
    fn check_data(&self, x: &DMatrix<f32>) -> Result<()> {
        check_matrix(x)?;
        check_cluster_count(self.k, x.nrows())?;
        match &self.init {
            GmmInit::Responsibilities(r) if r.nrows() != x.nrows() => invalid(format!(
                "initial responsibilities are {} x {}, expected {} x {} (samples x k)",
                r.nrows(),
                r.ncols(),
                x.nrows(),
                self.k
            )),
            GmmInit::Means(m) => Ok(check_width(m.ncols(), x.ncols())?),
            GmmInit::Fitted(model) => Ok(check_features(x, model.n_features())?),
            _ => Ok(()),
        }
    }
}

/// Checks given responsibilities: `k` columns of finite, non-negative values.
fn check_responsibilities(r: &DMatrix<f64>, k: usize) -> Result<()> {
    if r.ncols() != k {
        return invalid(format!(
            "initial responsibilities have {} columns for k = {k}",
            r.ncols()
        ));
    }
    match r.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
        None => Ok(()),
        Some(at) => invalid(format!(
            "initial responsibility at row {}, column {} is {}; responsibilities must be finite and non-negative",
            at % r.nrows(),
            at / r.nrows(),
            r.as_slice()[at]
        )),
    }
}

/// A fitted Gaussian mixture: weights, means, covariances and precision Cholesky factors,
/// convergence and lower bound.
///
/// Serialisable with serde, with a [`FormatVersion`] checked on load.
/// [`FittedGaussianMixture::predict`], [`FittedGaussianMixture::predict_proba`] (also through
/// fmnist-core's [`Predict`] and [`PredictProba`]), [`FittedGaussianMixture::score_samples`]
/// and friends apply it to new data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredGaussianMixture")]
pub struct FittedGaussianMixture {
    #[serde(default)]
    format_version: FormatVersion,
    /// The training mean; the components live in coordinates centred by it.
    offset: Vec<f64>,
    components: Components,
    converged: bool,
    n_iter: usize,
    lower_bound: f64,
    lower_bound_history: Vec<f64>,
    /// What the E-step multiplies by, built on first use.
    #[serde(skip)]
    estep: estep::Cached,
}

/// [`FittedGaussianMixture`] as read, before its arrays are checked against its counts.
#[derive(Deserialize)]
struct StoredGaussianMixture {
    #[serde(default)]
    format_version: FormatVersion,
    offset: Vec<f64>,
    components: Components,
    converged: bool,
    n_iter: usize,
    lower_bound: f64,
    lower_bound_history: Vec<f64>,
}

impl TryFrom<StoredGaussianMixture> for FittedGaussianMixture {
    type Error = String;

    fn try_from(s: StoredGaussianMixture) -> std::result::Result<Self, String> {
        s.components.check_sizes()?;
        if s.offset.len() != s.components.d {
            return Err(format!(
                "the mixture's offset has {} values for {} features",
                s.offset.len(),
                s.components.d
            ));
        }
        Ok(Self {
            format_version: s.format_version,
            offset: s.offset,
            components: s.components,
            converged: s.converged,
            n_iter: s.n_iter,
            lower_bound: s.lower_bound,
            lower_bound_history: s.lower_bound_history,
            estep: estep::Cached::default(),
        })
    }
}

impl FittedGaussianMixture {
    fn from_run(offset: Vec<f64>, run: em::Run) -> Self {
        Self {
            format_version: FormatVersion::default(),
            offset,
            components: run.components,
            converged: run.converged,
            n_iter: run.n_iter,
            lower_bound: run.lower_bound,
            lower_bound_history: run.history,
            estep: estep::Cached::default(),
        }
    }

    /// The layout version of this model (saved with it, checked on load).
    pub fn format_version(&self) -> FormatVersion {
        self.format_version
    }

    /// Number of components.
    pub fn k(&self) -> usize {
        self.components.k()
    }

    /// Number of features the model was fitted on.
    pub fn n_features(&self) -> usize {
        self.components.d
    }

    /// The covariance structure.
    pub fn covariance_type(&self) -> Covariance {
        self.components.kind
    }

    /// Mixing weights (sum 1).
    pub fn weights(&self) -> &[f64] {
        &self.components.weights
    }

    /// Component means, `k x features`.
    pub fn means(&self) -> DMatrix<f64> {
        let d = self.n_features();
        DMatrix::from_fn(self.k(), d, |j, t| {
            self.components.mean(j)[t] + self.offset[t]
        })
    }

    /// Covariances in scikit-learn's `covariances_` layout, row-major: `Full` k·d·d, `Tied`
    /// d·d, `Diag` k·d, `Spherical` k values.
    pub fn covariances(&self) -> &[f64] {
        &self.components.covariances
    }

    /// Component `j`'s covariance as a dense `features x features` matrix, whatever the
    /// covariance type (`None` for `j >= k`).
    pub fn covariance(&self, j: usize) -> Option<DMatrix<f64>> {
        let d = self.n_features();
        (j < self.k()).then(|| DMatrix::from_row_slice(d, d, &self.components.dense_covariance(j)))
    }

    /// Cholesky factors of the precisions in scikit-learn's `precisions_cholesky_` layout
    /// (as [`FittedGaussianMixture::covariances`]; `Full`/`Tied` factors are upper triangular
    /// `U` with `U Uᵀ = Σ⁻¹`).
    pub fn precisions_cholesky(&self) -> &[f64] {
        &self.components.precisions_cholesky
    }

    /// Whether the best run met the convergence rule before `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// EM iterations of the best run.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Mean log-likelihood per training sample at the last E-step of the best run
    /// (scikit-learn's `lower_bound_`); with [`ComponentSizes::Equal`], the constrained bound.
    pub fn lower_bound(&self) -> f64 {
        self.lower_bound
    }

    /// The lower bound at every iteration of the best run (non-decreasing up to rounding).
    pub fn lower_bound_history(&self) -> &[f64] {
        &self.lower_bound_history
    }

    /// Number of free parameters (weights, means, covariances).
    pub fn n_parameters(&self) -> usize {
        self.components.n_parameters()
    }

    /// `ln w_j + ln N(x_i | μ_j, Σ_j)`, `samples x k`, row-major, exact where `wanted` needs
    /// it.
    fn weighted_log_prob(&self, x: &DMatrix<f32>, wanted: estep::Wanted) -> Result<Vec<f64>> {
        check_features(x, self.n_features())?;
        check_matrix(x)?;
        let rows = Rows64::from_matrix(x, &self.offset);
        let mut out = vec![0.0; rows.n * self.k()];
        estep::weighted_log_prob(&rows, self.estep.get(&self.components), wanted, &mut out);
        Ok(out)
    }

    /// The most probable component of every row of `x`.
    ///
    /// # Errors
    /// [`ClusterError::Input`] for the wrong number of columns, no rows or a non-finite value.
    pub fn predict(&self, x: &DMatrix<f32>) -> Result<Vec<usize>> {
        let k = self.k();
        Ok(self
            .weighted_log_prob(x, estep::Wanted::Labels)?
            .chunks_exact(k)
            .map(estep::first_max)
            .collect())
    }

    /// The posterior probability of every component for every row of `x` (`samples x k`,
    /// rows sum to 1).
    ///
    /// # Errors
    /// As [`FittedGaussianMixture::predict`].
    pub fn predict_proba(&self, x: &DMatrix<f32>) -> Result<DMatrix<f64>> {
        let k = self.k();
        let mut w = self.weighted_log_prob(x, estep::Wanted::Responsibilities)?;
        estep::normalise(&mut w, k);
        Ok(DMatrix::from_row_slice(x.nrows(), k, &w))
    }

    /// The log-likelihood `ln p(x_i)` of every row of `x`.
    ///
    /// # Errors
    /// As [`FittedGaussianMixture::predict`].
    pub fn score_samples(&self, x: &DMatrix<f32>) -> Result<Vec<f64>> {
        let k = self.k();
        let mut w = self.weighted_log_prob(x, estep::Wanted::Responsibilities)?;
        Ok(estep::normalise(&mut w, k))
    }

    /// [`FittedGaussianMixture::predict`] and [`FittedGaussianMixture::score_samples`] of `x`
    /// from one E-step (for the cost of `score_samples` alone): the most probable component
    /// and `ln p(x_i)` of every row.
    ///
    /// # Errors
    /// As [`FittedGaussianMixture::predict`].
    pub fn predict_scored(&self, x: &DMatrix<f32>) -> Result<(Vec<usize>, Vec<f64>)> {
        let k = self.k();
        let mut w = self.weighted_log_prob(x, estep::Wanted::Responsibilities)?;
        // Components left out are −∞: never a row's argmax.
        let labels = w.chunks_exact(k).map(estep::first_max).collect();
        let log_likelihood = estep::normalise(&mut w, k);
        Ok((labels, log_likelihood))
    }

    /// The mean log-likelihood per row of `x`.
    ///
    /// # Errors
    /// As [`FittedGaussianMixture::predict`].
    pub fn score(&self, x: &DMatrix<f32>) -> Result<f64> {
        Ok(Self::mean_score(&self.score_samples(x)?))
    }

    /// The mean of per-row log-likelihoods (from [`FittedGaussianMixture::predict_scored`],
    /// say), summed in the order [`FittedGaussianMixture::score`] sums them.
    pub fn mean_score(samples: &[f64]) -> f64 {
        estep::mean(samples)
    }

    /// Bayesian information criterion on `x`: `−2 · n · score + parameters · ln n` (lower is
    /// better).
    ///
    /// # Errors
    /// As [`FittedGaussianMixture::predict`].
    pub fn bic(&self, x: &DMatrix<f32>) -> Result<f64> {
        Ok(self.bic_of_score(self.score(x)?, x.nrows()))
    }

    /// [`FittedGaussianMixture::bic`] of `n` rows whose [`score`](FittedGaussianMixture::score)
    /// is already known (from [`FittedGaussianMixture::predict_scored`], say).
    pub fn bic_of_score(&self, score: f64, n: usize) -> f64 {
        let n = n as f64;
        -2.0 * score * n + self.n_parameters() as f64 * n.ln()
    }

    /// Akaike information criterion on `x`: `−2 · n · score + 2 · parameters` (lower is
    /// better).
    ///
    /// # Errors
    /// As [`FittedGaussianMixture::predict`].
    pub fn aic(&self, x: &DMatrix<f32>) -> Result<f64> {
        let n = x.nrows() as f64;
        Ok(-2.0 * self.score(x)? * n + 2.0 * self.n_parameters() as f64)
    }

    /// `n` samples drawn from the mixture with `seed`, grouped by component, and the component
    /// of each.
    pub fn sample(&self, n: usize, seed: u64) -> (DMatrix<f32>, Vec<usize>) {
        sample::draw(&self.components, &self.offset, n, seed)
    }
}

impl Fit<DMatrix<f32>> for GaussianMixture {
    type Fitted = FittedGaussianMixture;
    type Error = ClusterError;

    /// [`GaussianMixture::fit`].
    fn fit(&self, x: &DMatrix<f32>) -> Result<FittedGaussianMixture> {
        GaussianMixture::fit(self, x)
    }
}

impl Predict<DMatrix<f32>> for FittedGaussianMixture {
    type Output = Vec<usize>;
    type Error = ClusterError;

    /// [`FittedGaussianMixture::predict`].
    fn predict(&self, x: &DMatrix<f32>) -> Result<Vec<usize>> {
        FittedGaussianMixture::predict(self, x)
    }
}

impl PredictProba<DMatrix<f32>> for FittedGaussianMixture {
    type Output = DMatrix<f64>;
    type Error = ClusterError;

    /// [`FittedGaussianMixture::predict_proba`].
    fn predict_proba(&self, x: &DMatrix<f32>) -> Result<DMatrix<f64>> {
        FittedGaussianMixture::predict_proba(self, x)
    }
}
