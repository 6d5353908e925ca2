//! K-Means: parameters ([`KMeans`]), the fitted model ([`FittedKMeans`]) and how to start
//! ([`Init`]).

mod assign;
mod init;
mod kernel;
mod run;

pub(crate) use init::plus_plus;

use fmnist_core::validate::{check_cluster_count, check_features, check_matrix, check_width};
use fmnist_core::{Fit, Predict, Transform};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::FormatVersion;
use crate::error::{ClusterError, Result};
use crate::linalg::{CHUNK, Rows, column_means, map_groups};
use crate::params::{check_runs, check_start};
use assign::{Assignments, Method};
use kernel::{Centres, sq_distances};

/// How the centres of each run are chosen.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Init {
    /// Greedy k-means++ with `2 + ln k` local trials per centre, as scikit-learn (default).
    #[default]
    KMeansPlusPlus,
    /// `k` distinct samples drawn uniformly at random.
    Random,
    /// These centres (`k x features`); the fit then makes a single run whatever `n_init` says.
    Centroids(DMatrix<f32>),
}

/// Which algorithm assigns the samples to centres, by scikit-learn's names. All give the same
/// labels, centres and iterations: Hamerly's and Elkan's skip the distances that bounds prove
/// cannot change a label (computed to the same bits as Lloyd's where they are computed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// Every distance, every iteration (a blocked product of the samples and the centres).
    Lloyd,
    /// Hamerly (2010): per sample, an upper bound on the distance to its centre and one lower
    /// bound on the distance to all others; little memory (two numbers per sample).
    Hamerly,
    /// Elkan (2003): per sample, a lower bound on the distance to each centre, and the
    /// distances between centres; `k` numbers per sample.
    Elkan,
    /// The fastest measured (default): [`Algorithm::Elkan`], faster than Hamerly's and Lloyd's
    /// on the 48,000 x 784 pixels with k = 10 (the crate README has the measurement).
    #[default]
    Auto,
}

impl Algorithm {
    /// The algorithm that runs.
    fn method(self) -> Method {
        match self {
            Self::Lloyd => Method::Lloyd,
            Self::Hamerly => Method::Hamerly,
            Self::Elkan | Self::Auto => Method::Elkan,
        }
    }
}

/// K-Means parameters: `KMeans::params(k)`, then builder methods, then [`KMeans::fit`].
///
/// Each of `n_init` runs starts from its own initial centres and iterates Lloyd's algorithm;
/// the run with the lowest inertia wins. A run stops when no label changes, when the centres
/// move by at most `tol` times the mean feature variance (total squared distance, scikit-learn's
/// rule), or after `max_iter` iterations.
///
/// ```
/// use fmnist_cluster::KMeans;
/// use nalgebra::DMatrix;
///
/// // Two well-separated blobs.
/// let x = DMatrix::from_row_slice(6, 2, &[0.0, 0.1, 0.2, 0.0, 0.1, 0.2,
///                                        5.0, 5.1, 5.2, 5.0, 5.1, 5.2]);
/// let km = KMeans::params(2).n_init(3).seed(0).fit(&x)?;
/// let labels = km.labels();
/// assert_eq!(labels[0], labels[2]);
/// assert_ne!(labels[0], labels[5]);
/// assert_eq!(km.predict(&x)?, labels);
/// # Ok::<(), fmnist_cluster::ClusterError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KMeans {
    k: usize,
    n_init: usize,
    max_iter: usize,
    tol: f64,
    init: Init,
    seed: u64,
    algorithm: Algorithm,
}

/// scikit-learn's default, 8 clusters, with [`KMeans::params`]' other defaults.
impl Default for KMeans {
    fn default() -> Self {
        Self::params(8)
    }
}

impl KMeans {
    /// Parameters for `k` clusters: `n_init` 10, `max_iter` 300, `tol` 1e-4, k-means++, seed 0,
    /// [`Algorithm::Auto`].
    pub fn params(k: usize) -> Self {
        Self {
            k,
            n_init: 10,
            max_iter: 300,
            tol: 1e-4,
            init: Init::KMeansPlusPlus,
            seed: 0,
            algorithm: Algorithm::Auto,
        }
    }

    /// Which algorithm assigns samples to centres (default [`Algorithm::Auto`]); it changes
    /// the speed, not the result.
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Number of runs from different initial centres; the best by inertia is kept (default 10).
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// Most Lloyd iterations per run (default 300).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Convergence tolerance relative to the mean variance of the features, as scikit-learn's
    /// `tol` (default 1e-4; 0 iterates until the labels stop changing).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// How initial centres are chosen (default [`Init::KMeansPlusPlus`]).
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// Seed of every random choice (default 0). The same seed gives the same model on any
    /// number of threads.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Number of clusters.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Checks the parameters alone, as [`KMeans::fit`] does before it touches the data.
    ///
    /// # Errors
    /// [`ClusterError::InvalidParameter`] for `k`, `n_init` or `max_iter` 0, a negative or
    /// non-finite `tol`, or given centroids that are not `k` rows of finite values.
    pub fn check(&self) -> Result<()> {
        check_runs(self.k, self.n_init, self.max_iter, self.tol)?;
        match &self.init {
            Init::Centroids(c) => check_start("centroids", c, self.k),
            Init::KMeansPlusPlus | Init::Random => Ok(()),
        }
    }

    /// Fits the model to `x` (samples x features). Runs in the current rayon thread pool.
    ///
    /// # Errors
    /// [`ClusterError::InvalidParameter`] as [`KMeans::check`]; [`ClusterError::Input`] for an
    /// empty matrix, a NaN or infinite value, more clusters than samples, or given centroids
    /// with another number of columns than `x`.
    pub fn fit(&self, x: &DMatrix<f32>) -> Result<FittedKMeans> {
        self.check()?;
        check_matrix(x)?;
        check_cluster_count(self.k, x.nrows())?;
        if let Init::Centroids(c) = &self.init {
            check_width(c.ncols(), x.ncols())?;
        }
        let (n, d) = x.shape();
        let mean = column_means(x);
        let rows = Rows::from_matrix(x, &mean);
        let norms = rows.sq_norms();
        let total_norm = norms.iter().map(|&v| f64::from(v)).sum::<f64>();
        let tol = self.tol * total_norm / (n * d) as f64;
        let data = run::Data {
            x: &rows,
            norms: &norms,
            total_norm,
        };
        let n_init = if matches!(self.init, Init::Centroids(_)) {
            1
        } else {
            self.n_init
        };
        let mut seeds = ChaCha8Rng::seed_from_u64(self.seed);
        let seeds: Vec<u64> = (0..n_init).map(|_| seeds.random()).collect();
        let runs: Vec<run::Run> = seeds
            .par_iter()
            .map(|&seed| self.run(&data, &mean, seed, tol))
            .collect();
        // The lowest inertia; ties to the first run.
        let best = runs.into_iter().reduce(|best, run| {
            if run.inertia < best.inertia {
                run
            } else {
                best
            }
        });
        let best = best.expect("n_init >= 1 makes at least one run");
        Ok(FittedKMeans {
            format_version: FormatVersion::default(),
            n_features: d,
            centred: best.centres,
            mean,
            labels: best.labels.iter().map(|&l| l as usize).collect(),
            inertia: best.inertia,
            n_iter: best.n_iter,
            converged: best.converged,
            inertia_history: best.history,
        })
    }
}

impl KMeans {
    /// One run from the initial centres that `seed` draws.
    fn run(&self, data: &run::Data, mean: &[f32], seed: u64, tol: f64) -> run::Run {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let centres = match &self.init {
            Init::KMeansPlusPlus => init::plus_plus(data.x, data.norms, self.k, &mut rng),
            Init::Random => init::random(data.x, self.k, &mut rng),
            Init::Centroids(c) => Rows::from_matrix(c, mean).data,
        };
        let method = self.algorithm.method();
        run::run(data, centres, method, self.max_iter, tol)
    }
}

/// A fitted K-Means model: centroids, training labels, inertia and convergence.
///
/// Serialisable with serde, with a [`FormatVersion`] checked on load, and the centroids'
/// size checked against the feature count;
/// [`FittedKMeans::predict`], [`FittedKMeans::transform`] and [`FittedKMeans::score`] (also
/// through fmnist-core's [`Predict`] and [`Transform`]) apply it to new data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredKMeans")]
pub struct FittedKMeans {
    #[serde(default)]
    format_version: FormatVersion,
    n_features: usize,
    /// Centroids minus `mean`, `k x n_features` row-major: distances are computed on data
    /// centred by the training mean, which keeps the expansion ‖x‖² − 2·x·c + ‖c‖² accurate.
    centred: Vec<f32>,
    mean: Vec<f32>,
    labels: Vec<usize>,
    inertia: f64,
    n_iter: usize,
    converged: bool,
    inertia_history: Vec<f64>,
}

/// [`FittedKMeans`] as read, before its arrays are checked against its feature count.
#[derive(Deserialize)]
struct StoredKMeans {
    #[serde(default)]
    format_version: FormatVersion,
    n_features: usize,
    centred: Vec<f32>,
    mean: Vec<f32>,
    labels: Vec<usize>,
    inertia: f64,
    n_iter: usize,
    converged: bool,
    inertia_history: Vec<f64>,
}

impl TryFrom<StoredKMeans> for FittedKMeans {
    type Error = String;

    fn try_from(s: StoredKMeans) -> std::result::Result<Self, String> {
        let d = s.n_features;
        if d == 0 || s.centred.is_empty() || !s.centred.len().is_multiple_of(d) || s.mean.len() != d
        {
            return Err(format!(
                "the K-Means centroids ({} values) and mean ({} values) are not of {d} features",
                s.centred.len(),
                s.mean.len()
            ));
        }
        Ok(Self {
            format_version: s.format_version,
            n_features: s.n_features,
            centred: s.centred,
            mean: s.mean,
            labels: s.labels,
            inertia: s.inertia,
            n_iter: s.n_iter,
            converged: s.converged,
            inertia_history: s.inertia_history,
        })
    }
}

impl FittedKMeans {
    /// The layout version of this model (saved with it, checked on load).
    pub fn format_version(&self) -> FormatVersion {
        self.format_version
    }

    /// Number of clusters.
    pub fn k(&self) -> usize {
        self.centred.len() / self.n_features
    }

    /// Number of features the model was fitted on.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The centroids, `k x features`.
    pub fn centroids(&self) -> DMatrix<f32> {
        let d = self.n_features;
        DMatrix::from_fn(self.k(), d, |j, t| self.centred[j * d + t] + self.mean[t])
    }

    /// The cluster of every training sample, in `0..k`.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// Sum of squared distances of the training samples to their centroids.
    pub fn inertia(&self) -> f64 {
        self.inertia
    }

    /// Lloyd iterations of the winning run.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Whether the winning run met the convergence rule before `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Inertia at the assignment step of each iteration of the winning run (non-increasing up
    /// to rounding); the final [`FittedKMeans::inertia`] is at most the last of them.
    pub fn inertia_history(&self) -> &[f64] {
        &self.inertia_history
    }

    /// The nearest centroid of every row of `x`.
    ///
    /// # Errors
    /// [`ClusterError::Input`] for the wrong number of columns, no rows or a non-finite value.
    pub fn predict(&self, x: &DMatrix<f32>) -> Result<Vec<usize>> {
        let (rows, norms) = self.prepare(x)?;
        let labels = self.nearest(&rows, &norms);
        Ok(labels.iter().map(|&l| l as usize).collect())
    }

    /// Euclidean distances of every row of `x` to every centroid (`samples x k`).
    ///
    /// # Errors
    /// As [`FittedKMeans::predict`].
    pub fn transform(&self, x: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        let (rows, norms) = self.prepare(x)?;
        let d = self.n_features;
        let k = self.k();
        let centres = Centres::new(self.centred.clone(), d);
        let mut dist = vec![0f32; rows.n * k];
        map_groups(&rows, &norms, &mut dist, k, |_, group, group_norms, out| {
            for ((chunk, chunk_norms), out) in group
                .chunks(CHUNK * d)
                .zip(group_norms.chunks(CHUNK))
                .zip(out.chunks_mut(CHUNK * k))
            {
                sq_distances(chunk, chunk_norms, &centres, out);
            }
        });
        Ok(DMatrix::from_fn(rows.n, k, |i, j| dist[i * k + j].sqrt()))
    }

    /// Minus the inertia of `x` under this model (higher is better), as scikit-learn's `score`.
    ///
    /// # Errors
    /// As [`FittedKMeans::predict`].
    pub fn score(&self, x: &DMatrix<f32>) -> Result<f64> {
        let (rows, norms) = self.prepare(x)?;
        let labels = self.nearest(&rows, &norms);
        Ok(-run::inertia(&rows, &self.centred, &labels))
    }

    /// The nearest centroid of every row, as the fit's last assignment step computes it.
    fn nearest(&self, rows: &Rows, norms: &[f32]) -> Vec<u32> {
        let centres = Centres::new(self.centred.clone(), self.n_features);
        let mut assignments = Assignments::new(Method::Lloyd, rows.n, centres.k());
        assignments.step(rows, norms, &centres, false);
        assignments.labels
    }

    fn prepare(&self, x: &DMatrix<f32>) -> Result<(Rows, Vec<f32>)> {
        check_features(x, self.n_features)?;
        check_matrix(x)?;
        let rows = Rows::from_matrix(x, &self.mean);
        let norms = rows.sq_norms();
        Ok((rows, norms))
    }
}

impl Fit<DMatrix<f32>> for KMeans {
    type Fitted = FittedKMeans;
    type Error = ClusterError;

    /// [`KMeans::fit`].
    fn fit(&self, x: &DMatrix<f32>) -> Result<FittedKMeans> {
        KMeans::fit(self, x)
    }
}

impl Predict<DMatrix<f32>> for FittedKMeans {
    type Output = Vec<usize>;
    type Error = ClusterError;

    /// [`FittedKMeans::predict`].
    fn predict(&self, x: &DMatrix<f32>) -> Result<Vec<usize>> {
        FittedKMeans::predict(self, x)
    }
}

impl Transform<DMatrix<f32>> for FittedKMeans {
    type Output = DMatrix<f32>;
    type Error = ClusterError;

    /// [`FittedKMeans::transform`]: the distances to the centroids.
    fn transform(&self, x: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        FittedKMeans::transform(self, x)
    }
}
