//! `fmnist cluster`: fit a clustering model (K-Means or a Gaussian mixture) on the training
//! split (raw pixels, PCA features or autoencoder codes), predict the validation and test sets,
//! and score all three against the classes.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, ValueEnum};
use fmnist_cluster::{Algorithm, ComponentSizes, Covariance};
use fmnist_io::StratifiedSplit;
use fmnist_pipeline::results::ClusteringResult;
use fmnist_pipeline::{
    ClusterMethod, ClusterSpec, ClusteringRun, FittedPipeline, NamedPipeline, SplitData, Splits,
    named,
};

use crate::commands::fit::study_config;
use crate::data_source::DataSourceArgs;
use crate::feature_args::{FeatureArgs, Features};
use crate::output::print_result;
use crate::outputs::given;
use crate::progress::StudyProgress;

#[derive(Debug, Args)]
pub struct ClusterArgs {
    #[command(flatten)]
    data: DataSourceArgs,
    /// A named pipeline instead of --features and --method: `fmnist pipelines` lists them
    /// (kmeans-raw, ae-gmm, patches-umap-gmm, ..., and best), run with the study's settings.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["features", "method", "covariance", "component_sizes", "n_init", "max_iter", "algorithm"])]
    pipeline: Option<String>,
    /// With --pipeline: the reduced settings of `fmnist reproduce --quick` (seconds, not minutes).
    #[arg(long, requires = "pipeline")]
    quick: bool,
    /// Features to cluster (fitted on the training split): raw pixels in [0, 1], a PCA of
    /// them or of their square roots, an autoencoder's codes (--model), or a UMAP embedding of
    /// --umap-from features (the best pipeline: `--features umap --method gmm`).
    #[arg(long, value_enum, default_value_t = Features::Raw)]
    features: Features,
    #[command(flatten)]
    feature_args: FeatureArgs,
    /// Clustering method.
    #[arg(long, value_enum, default_value_t = Method::Kmeans)]
    method: Method,
    /// Number of clusters [default: the data set's number of classes, 10 for Fashion-MNIST].
    #[arg(long)]
    k: Option<usize>,
    /// Seed of the model's random choices (the train/validation split is the study's, seed 0).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Runs from different starts; the best (by inertia, or by likelihood for a mixture) is
    /// kept [default: 10 for kmeans, 1 for gmm].
    #[arg(long, value_name = "N")]
    n_init: Option<usize>,
    /// Most iterations per run [default: 300 for kmeans, 100 for gmm].
    #[arg(long, value_name = "N")]
    max_iter: Option<usize>,
    /// How K-Means assigns samples to centres (--method kmeans), by scikit-learn's names: all
    /// give the same clusters; Elkan's and Hamerly's bounds skip most distances.
    #[arg(long, value_enum, default_value_t = AlgorithmArg::Auto)]
    algorithm: AlgorithmArg,
    /// Covariance of each mixture component (--method gmm).
    #[arg(long, value_enum, default_value_t = CovarianceArg::Full)]
    covariance: CovarianceArg,
    /// Sizes of the mixture's components (--method gmm): free, or equal for data known to
    /// hold equally frequent classes (as Fashion-MNIST's ten).
    #[arg(long, value_enum, default_value_t = SizesArg::Free)]
    component_sizes: SizesArg,
    /// Print one JSON object on stdout (results.json naming); the table goes to stderr.
    #[arg(long)]
    json: bool,
    /// Write the fitted pipeline (features and clustering) to this model file, which
    /// `fmnist predict --model` reads: safetensors arrays with a JSON manifest.
    #[arg(long, value_name = "MODEL")]
    save: Option<PathBuf>,
    /// Write the cluster of every image to this text file, one per line: the 60,000 training-set
    /// images in the data set's order (validation included), then the 10,000 test images —
    /// what `fmnist classify --clusters-from` reads.
    #[arg(long, value_name = "FILE")]
    labels_out: Option<PathBuf>,
}

/// Clustering method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// K-Means (k-means++, n_init runs, --algorithm).
    Kmeans,
    /// Gaussian mixture fitted by EM (--covariance), started from K-Means.
    Gmm,
}

/// K-Means' assignment algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlgorithmArg {
    /// Every distance, every iteration.
    Lloyd,
    /// One lower bound per sample (little memory).
    Hamerly,
    /// One lower bound per sample and centre (the fastest on images).
    Elkan,
    /// The fastest measured: elkan.
    Auto,
}

impl From<AlgorithmArg> for Algorithm {
    fn from(arg: AlgorithmArg) -> Self {
        match arg {
            AlgorithmArg::Lloyd => Algorithm::Lloyd,
            AlgorithmArg::Hamerly => Algorithm::Hamerly,
            AlgorithmArg::Elkan => Algorithm::Elkan,
            AlgorithmArg::Auto => Algorithm::Auto,
        }
    }
}

/// Covariance structure of a Gaussian mixture's components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CovarianceArg {
    /// A general covariance matrix per component.
    Full,
    /// One general covariance matrix shared by all components.
    Tied,
    /// A diagonal covariance matrix per component.
    Diag,
    /// A single variance per component.
    Spherical,
}

impl From<CovarianceArg> for Covariance {
    fn from(arg: CovarianceArg) -> Self {
        match arg {
            CovarianceArg::Full => Covariance::Full,
            CovarianceArg::Tied => Covariance::Tied,
            CovarianceArg::Diag => Covariance::Diag,
            CovarianceArg::Spherical => Covariance::Spherical,
        }
    }
}

/// Sizes of a Gaussian mixture's components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SizesArg {
    /// Mixing weights estimated by EM (scikit-learn's mixture).
    Free,
    /// Equal: after converging freely, EM continues with weights 1/k and responsibilities
    /// balanced so that every component takes a k-th of the training samples.
    Equal,
}

impl From<SizesArg> for ComponentSizes {
    fn from(arg: SizesArg) -> Self {
        match arg {
            SizesArg::Free => ComponentSizes::Free,
            SizesArg::Equal => ComponentSizes::Equal,
        }
    }
}

impl ClusterArgs {
    /// The clustering model these arguments ask for, with `k` clusters.
    fn spec(&self, k: usize) -> ClusterSpec {
        let method = match self.method {
            Method::Kmeans => ClusterMethod::KMeans,
            Method::Gmm => ClusterMethod::GaussianMixture {
                covariance: self.covariance.into(),
                sizes: self.component_sizes.into(),
            },
        };
        ClusterSpec {
            method,
            k,
            n_init: self.n_init,
            max_iter: self.max_iter,
            seed: self.seed,
            algorithm: self.algorithm.into(),
        }
    }
}

pub fn run(args: ClusterArgs) -> Result<()> {
    let pipeline = args.pipeline.as_deref().map(named).transpose()?;
    // The parameters are checked before the data set is loaded (k, when not given, is the
    // data set's class count: any k of at least 1 checks the rest).
    args.cluster_spec(pipeline, args.k.unwrap_or(1)).check()?;
    let (data, _) = args.data.load_for(&args.outputs(), &[])?;
    let parts = SplitData::new(&data, &StratifiedSplit::new())?;
    let k = args.k.unwrap_or_else(|| data.train.n_classes());
    let (fitted, run) = match pipeline {
        Some(pipeline) => {
            eprintln!(
                "clustering {} training images with {}, k = {k}",
                parts.pixels.train.nrows(),
                pipeline.name
            );
            let config = study_config(args.quick, args.seed, k);
            StudyProgress::bars_only().stage("clustering", |progress| {
                Ok(FittedPipeline::fit(pipeline, &parts, &config, progress)?)
            })?
        }
        None => args.custom(&parts, k)?,
    };
    // Every output is made before the first is written, so that a failure replaces none.
    let labels = args
        .labels_out
        .as_ref()
        .map(|_| labels_text(&parts, &run.clusters));
    let model = args.save.as_ref().map(|_| fitted.to_bytes()).transpose()?;
    for (path, bytes, what) in [
        (
            &args.labels_out,
            labels.map(String::into_bytes),
            "the cluster labels",
        ),
        (&args.save, model, "the fitted pipeline"),
    ] {
        if let (Some(path), Some(bytes)) = (path, bytes) {
            fmnist_core::write_bytes_atomically(path, &bytes)?;
            eprintln!("wrote {what} to {}", path.display());
        }
    }
    print_result(args.json, &render(&run.result), &run.result)
}

impl ClusterArgs {
    /// The clustering of `pipeline`, or of --method and its options, with `k` clusters.
    fn cluster_spec(&self, pipeline: Option<&NamedPipeline>, k: usize) -> ClusterSpec {
        match pipeline {
            Some(p) => p.cluster_spec(&study_config(self.quick, self.seed, k)),
            None => self.spec(k),
        }
    }

    /// The outputs this command writes, by flag.
    fn outputs(&self) -> Vec<(&'static str, &Path)> {
        given(&[("--save", &self.save), ("--labels-out", &self.labels_out)])
    }

    /// The pipeline of --features and --method, fitted to `parts` with `k` clusters.
    fn custom(&self, parts: &SplitData<'_>, k: usize) -> Result<(FittedPipeline, ClusteringRun)> {
        let features = self.feature_args.spec(self.features, parts.shape())?;
        let spec = self.spec(k);
        eprintln!(
            "clustering {} training images ({} features) with {}, k = {k}",
            parts.pixels.train.nrows(),
            features.name(),
            spec.method.describe(),
        );
        let run = StudyProgress::bars_only().stage("clustering", |progress| {
            Ok(fmnist_pipeline::cluster(parts, &features, &spec, progress)?)
        })?;
        let fitted = FittedPipeline::from_run("custom", &features, &spec, &run, parts);
        Ok((fitted, run))
    }
}

/// The cluster of every image, one per line: the training set's images in the data set's order
/// (training and validation split together), then the test images.
fn labels_text(parts: &SplitData<'_>, clusters: &Splits<Vec<u32>>) -> String {
    let mut by_image = vec![0u32; parts.data.train.len()];
    for (rows, labels) in [
        (&parts.split.train, &clusters.train),
        (&parts.split.validation, &clusters.validation),
    ] {
        for (&row, &label) in rows.iter().zip(labels) {
            by_image[row] = label;
        }
    }
    by_image
        .iter()
        .chain(&clusters.test)
        .map(|label| format!("{label}\n"))
        .collect()
}

/// The scores of the three parts and the fit's diagnostics, as a table.
pub fn render(o: &ClusteringResult) -> String {
    let mut s = format!(
        "{:<12} {:>8} {:>8} {:>8} {:>9}\n",
        "split", "AMI", "NMI", "ARI", "accuracy"
    );
    for (name, sc) in [
        ("train", &o.scores.train),
        ("validation", &o.scores.validation),
        ("test", &o.scores.test),
    ] {
        s += &format!(
            "{name:<12} {:>8.4} {:>8.4} {:>8.4} {:>9.4}\n",
            sc.ami, sc.nmi, sc.ari, sc.accuracy
        );
    }
    let fit = &o.fit;
    let line = match (fit.inertia, fit.log_likelihood, fit.bic) {
        (Some(inertia), _, _) => format!("inertia {inertia:.2}"),
        (_, Some(ll), Some(bic)) => format!(
            "{} covariance, {} sizes, log-likelihood {ll:.4} per sample, BIC {bic:.1}",
            fit.covariance_type.as_deref().unwrap_or("?"),
            fit.component_sizes.as_deref().unwrap_or("?")
        ),
        _ => String::new(),
    };
    s += &format!(
        "{line}, {} iterations ({}), {:.2} s\n",
        fit.n_iter,
        if fit.converged {
            "converged"
        } else {
            "not converged"
        },
        o.seconds
    );
    s
}
