//! Clustering the features: K-Means or a Gaussian mixture fitted to the training split and
//! applied to the three parts, and [`cluster`], the whole of `fmnist cluster` (features, model,
//! labels, scores).

use std::time::Instant;

use fmnist_cluster::{
    Algorithm, ComponentSizes, Covariance, FittedGaussianMixture, FittedKMeans, GaussianMixture,
    KMeans,
};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::features::{FeatureSpec, FittedFeatures};
use crate::progress::Progress;
use crate::results::{ClusteringResult, FitDiagnostics, SplitScores};
use crate::schema::SchemaTag;
use crate::splits::{SplitData, Splits};

/// The clustering model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterMethod {
    /// K-Means: k-means++ starts, then the iterations of [`ClusterSpec::algorithm`].
    KMeans,
    /// A Gaussian mixture fitted by EM, started from K-Means.
    GaussianMixture {
        /// The covariance structure of each component.
        covariance: Covariance,
        /// Free or equal component sizes.
        sizes: ComponentSizes,
    },
}

impl ClusterMethod {
    /// `kmeans` or `gmm`, the name in `fmnist cluster`'s output and in a saved model.
    pub fn name(self) -> &'static str {
        match self {
            ClusterMethod::KMeans => "kmeans",
            ClusterMethod::GaussianMixture { .. } => "gmm",
        }
    }

    /// The model in words ("K-Means", "full-covariance Gaussian mixture").
    pub fn describe(self) -> String {
        match self {
            ClusterMethod::KMeans => "K-Means".to_string(),
            ClusterMethod::GaussianMixture { covariance, sizes } => format!(
                "{}-covariance Gaussian mixture{}",
                covariance.name(),
                match sizes {
                    ComponentSizes::Free => "",
                    ComponentSizes::Equal => " of equal component sizes",
                }
            ),
        }
    }
}

/// Which clustering model to fit, with its parameters. Build with [`ClusterSpec::kmeans`] or
/// [`ClusterSpec::gaussian_mixture`] and the builder methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSpec {
    /// The model.
    pub method: ClusterMethod,
    /// Number of clusters.
    pub k: usize,
    /// Runs from different starts, the best kept (default `None`: the model's own default, 10
    /// for K-Means and 1 for a mixture).
    pub n_init: Option<usize>,
    /// Most iterations per run (default `None`: the model's own default, 300 for K-Means and
    /// 100 for a mixture).
    pub max_iter: Option<usize>,
    /// Seed of every random choice (default 0).
    pub seed: u64,
    /// K-Means' assignment algorithm (default [`Algorithm::Auto`]). It changes the speed, not
    /// the model, so a saved model does not record it.
    #[serde(skip)]
    pub algorithm: Algorithm,
}

impl ClusterSpec {
    /// K-Means with `k` clusters and the model's defaults.
    pub fn kmeans(k: usize) -> Self {
        Self {
            method: ClusterMethod::KMeans,
            k,
            n_init: None,
            max_iter: None,
            seed: 0,
            algorithm: Algorithm::Auto,
        }
    }

    /// A Gaussian mixture of `k` components with `covariance`, free component sizes and the
    /// model's defaults.
    pub fn gaussian_mixture(k: usize, covariance: Covariance) -> Self {
        Self {
            method: ClusterMethod::GaussianMixture {
                covariance,
                sizes: ComponentSizes::Free,
            },
            ..Self::kmeans(k)
        }
    }

    /// Sets [`ClusterSpec::n_init`].
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = Some(n_init);
        self
    }

    /// Sets [`ClusterSpec::max_iter`].
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = Some(max_iter);
        self
    }

    /// Sets [`ClusterSpec::seed`].
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets [`ClusterSpec::algorithm`].
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The building block's parameters.
    fn params(&self) -> Params {
        match self.method {
            ClusterMethod::KMeans => {
                let mut params = KMeans::params(self.k)
                    .seed(self.seed)
                    .algorithm(self.algorithm);
                if let Some(n_init) = self.n_init {
                    params = params.n_init(n_init);
                }
                if let Some(max_iter) = self.max_iter {
                    params = params.max_iter(max_iter);
                }
                Params::KMeans(params)
            }
            ClusterMethod::GaussianMixture { covariance, sizes } => {
                let mut params = GaussianMixture::params(self.k)
                    .covariance(covariance)
                    .component_sizes(sizes)
                    .seed(self.seed);
                if let Some(n_init) = self.n_init {
                    params = params.n_init(n_init);
                }
                if let Some(max_iter) = self.max_iter {
                    params = params.max_iter(max_iter);
                }
                Params::GaussianMixture(params)
            }
        }
    }

    /// Checks the parameters alone (`k` at least 1, at least one start and iteration), before
    /// any data is loaded.
    ///
    /// # Errors
    /// [`crate::PipelineError::Cluster`] naming the parameter.
    pub fn check(&self) -> Result<()> {
        match self.params() {
            Params::KMeans(params) => params.check()?,
            Params::GaussianMixture(params) => params.check()?,
        }
        Ok(())
    }

    /// Fits the model to `x` (one sample per row).
    ///
    /// # Errors
    /// [`crate::PipelineError::Cluster`] for parameters out of range (`k` 0 or above the
    /// number of samples) and data the model cannot take (NaN values).
    pub fn fit(&self, x: &DMatrix<f32>) -> Result<FittedClusterer> {
        Ok(match self.params() {
            Params::KMeans(params) => FittedClusterer::KMeans(params.fit(x)?),
            Params::GaussianMixture(params) => FittedClusterer::GaussianMixture(params.fit(x)?),
        })
    }

    /// Fits the model to `x.train` and gives the cluster of every row of the three parts.
    ///
    /// # Errors
    /// As [`ClusterSpec::fit`].
    pub fn fit_splits(&self, x: &Splits) -> Result<(FittedClusterer, Splits<Vec<u32>>)> {
        let fitted = self.fit(&x.train)?;
        let clusters = fitted.predict_splits(x)?;
        Ok((fitted, clusters))
    }
}

/// The parameters of the building block a [`ClusterSpec`] stands for.
enum Params {
    KMeans(KMeans),
    GaussianMixture(GaussianMixture),
}

/// A fitted clustering model; serialised as `{"kmeans": …}` or `{"gmm": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FittedClusterer {
    /// A fitted K-Means.
    #[serde(rename = "kmeans")]
    KMeans(FittedKMeans),
    /// A fitted Gaussian mixture.
    #[serde(rename = "gmm")]
    GaussianMixture(FittedGaussianMixture),
}

impl FittedClusterer {
    /// The cluster of every row of `x`, in `0..k`.
    ///
    /// # Errors
    /// [`crate::PipelineError::Cluster`] for the wrong number of columns or NaN values.
    pub fn predict(&self, x: &DMatrix<f32>) -> Result<Vec<usize>> {
        Ok(match self {
            Self::KMeans(km) => km.predict(x)?,
            Self::GaussianMixture(gmm) => gmm.predict(x)?,
        })
    }

    /// The cluster of every row of the three parts.
    ///
    /// # Errors
    /// As [`FittedClusterer::predict`].
    pub fn predict_splits(&self, x: &Splits) -> Result<Splits<Vec<u32>>> {
        x.map(|part| Ok(as_u32(self.predict(part)?)))
    }

    /// Iterations of the winning run.
    pub fn n_iter(&self) -> usize {
        match self {
            Self::KMeans(km) => km.n_iter(),
            Self::GaussianMixture(gmm) => gmm.n_iter(),
        }
    }

    /// Whether the winning run converged before the iteration limit.
    pub fn converged(&self) -> bool {
        match self {
            Self::KMeans(km) => km.converged(),
            Self::GaussianMixture(gmm) => gmm.converged(),
        }
    }

    /// One line on the fit for the progress output (`features`, what it was fitted on, in
    /// words, named by a mixture's line).
    pub fn summary(&self, features: &str) -> String {
        match self {
            Self::KMeans(km) => format!(
                "inertia {:.1} after {} iterations",
                km.inertia(),
                km.n_iter()
            ),
            Self::GaussianMixture(gmm) => format!(
                "{} covariance on {features}: lower bound {:.4}, {} iterations{}",
                gmm.covariance_type().name(),
                gmm.lower_bound(),
                gmm.n_iter(),
                if gmm.converged() {
                    ""
                } else {
                    " (not converged)"
                }
            ),
        }
    }
}

/// Features and a clustering model fitted to a training split, with the clusters of the three
/// parts and their scores: what [`cluster`] gives.
#[derive(Debug, Clone)]
pub struct ClusteringRun {
    /// The fitted features.
    pub features: FittedFeatures,
    /// The fitted clustering model.
    pub clusterer: FittedClusterer,
    /// The cluster of every image of each part.
    pub clusters: Splits<Vec<u32>>,
    /// The scores and the fit's diagnostics, as `fmnist cluster --json` prints them.
    pub result: ClusteringResult,
}

/// Fits `features` and then `clusterer` to the training split of `data` (the features with the
/// clusterer's seed), clusters the three parts and scores them against the classes.
///
/// # Errors
/// As [`FeatureSpec::fit`] and [`ClusterSpec::fit`].
pub fn cluster(
    data: &SplitData<'_>,
    features: &FeatureSpec,
    clusterer: &ClusterSpec,
    progress: &dyn Progress,
) -> Result<ClusteringRun> {
    let started = Instant::now();
    let (fitted_features, x) = features.fit(&data.pixels, clusterer.seed, progress)?;
    let fitted = clusterer.fit(&x.train)?;
    let seconds = started.elapsed().as_secs_f64();
    let (train_clusters, fit) = diagnostics(clusterer, &fitted, &x.train)?;
    let clusters = Splits {
        train: train_clusters,
        validation: as_u32(fitted.predict(&x.validation)?),
        test: as_u32(fitted.predict(&x.test)?),
    };
    let result = ClusteringResult {
        method: clusterer.method.name().to_string(),
        features: features.name().to_string(),
        schema: SchemaTag,
        n_clusters: clusterer.k,
        seed: clusterer.seed,
        scores: SplitScores::compute(&data.labels, &clusters)?,
        fit,
        seconds,
    };
    Ok(ClusteringRun {
        features: fitted_features,
        clusterer: fitted,
        clusters,
        result,
    })
}

/// The clusters of `train` and how the fit of `fitted` (by `spec`, to `train`) went:
/// K-Means' inertia, or the mixture's covariance, component sizes and its log-likelihood and
/// BIC on `train` (from the same E-step as its clusters); iterations and convergence for both.
fn diagnostics(
    spec: &ClusterSpec,
    fitted: &FittedClusterer,
    train: &DMatrix<f32>,
) -> Result<(Vec<u32>, FitDiagnostics)> {
    let sizes = match spec.method {
        ClusterMethod::GaussianMixture { sizes, .. } => Some(sizes.name().to_string()),
        ClusterMethod::KMeans => None,
    };
    let mut diagnostics = FitDiagnostics {
        inertia: None,
        covariance_type: None,
        component_sizes: None,
        log_likelihood: None,
        bic: None,
        n_iter: fitted.n_iter(),
        converged: fitted.converged(),
    };
    let clusters = match fitted {
        FittedClusterer::KMeans(km) => {
            diagnostics.inertia = Some(km.inertia());
            km.predict(train)?
        }
        FittedClusterer::GaussianMixture(gmm) => {
            let (clusters, log_likelihoods) = gmm.predict_scored(train)?;
            let score = FittedGaussianMixture::mean_score(&log_likelihoods);
            diagnostics.component_sizes = sizes;
            diagnostics.covariance_type = Some(gmm.covariance_type().name().to_string());
            diagnostics.log_likelihood = Some(score);
            diagnostics.bic = Some(gmm.bic_of_score(score, train.nrows()));
            clusters
        }
    };
    Ok((as_u32(clusters), diagnostics))
}

/// Cluster labels as the `u32` the results hold.
fn as_u32(labels: Vec<usize>) -> Vec<u32> {
    labels.into_iter().map(|label| label as u32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two blobs of three points each, in each part.
    fn blobs() -> Splits {
        let part = || {
            DMatrix::from_row_slice(
                6,
                2,
                &[0.0, 0.1, 0.2, 0.0, 0.1, 0.2, 5.0, 5.1, 5.2, 5.0, 5.1, 5.2],
            )
        };
        Splits {
            train: part(),
            validation: part(),
            test: part(),
        }
    }

    #[test]
    fn the_spec_builds_the_models_parameters() {
        let x = blobs();
        let spec = ClusterSpec::kmeans(2).n_init(3).max_iter(20).seed(4);
        let FittedClusterer::KMeans(km) = spec.fit(&x.train).unwrap() else {
            panic!("K-Means expected");
        };
        let expected = KMeans::params(2)
            .n_init(3)
            .max_iter(20)
            .seed(4)
            .fit(&x.train);
        assert_eq!(km, expected.unwrap());
        let spec = ClusterSpec::gaussian_mixture(2, Covariance::Diag).seed(1);
        let FittedClusterer::GaussianMixture(gmm) = spec.fit(&x.train).unwrap() else {
            panic!("a mixture expected");
        };
        let expected = GaussianMixture::params(2)
            .covariance(Covariance::Diag)
            .seed(1)
            .fit(&x.train);
        assert_eq!(gmm, expected.unwrap());
    }

    #[test]
    fn every_part_is_clustered_and_a_bad_k_is_an_error() {
        let x = blobs();
        let (fitted, clusters) = ClusterSpec::kmeans(2).fit_splits(&x).unwrap();
        assert_eq!(clusters.train, clusters.test);
        assert_ne!(clusters.train[0], clusters.train[5]);
        assert!(fitted.converged() && fitted.n_iter() >= 1);
        assert!(ClusterSpec::kmeans(0).fit(&x.train).is_err());
        let saved = serde_json::to_value(&fitted).unwrap();
        assert!(saved.get("kmeans").is_some(), "{saved}");
    }
}
