//! `fmnist cluster`: fit a clustering model (K-Means or a Gaussian mixture) on the training
//! split (raw pixels, PCA features or autoencoder codes), predict the validation and test sets,
//! and score all three against the classes.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use fmnist_cluster::{
    ComponentSizes, Covariance, FittedGaussianMixture, FittedKMeans, GaussianMixture, KMeans,
};
use fmnist_decomp::FittedPca;
use fmnist_eval::ClusteringScores;
use fmnist_manifold::FittedUmap;
use fmnist_pipeline::{FittedPatchPca, Splits};
use nalgebra::DMatrix;
use serde::Serialize;

use crate::data_source::DataSourceArgs;
use crate::features::{FeatureArgs, Features, image_shape, study_split};
use crate::output::print_result;

#[derive(Debug, Args)]
pub struct ClusterArgs {
    #[command(flatten)]
    data: DataSourceArgs,
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
    /// Write the fitted model (and the PCA and UMAP, if any) to this JSON file.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    /// Write the cluster of every image to this text file, one per line: the 60,000 training-set
    /// images in the data set's order (validation included), then the 10,000 test images —
    /// what `fmnist classify --clusters-from` reads.
    #[arg(long, value_name = "FILE")]
    labels_out: Option<PathBuf>,
}

/// Clustering method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// K-Means (k-means++, n_init runs, Lloyd iterations).
    Kmeans,
    /// Gaussian mixture fitted by EM (--covariance), started from K-Means.
    Gmm,
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

/// A fitted model of either method.
#[derive(Debug, Serialize)]
#[serde(rename_all = "lowercase")]
enum Model {
    Kmeans(FittedKMeans),
    Gmm(FittedGaussianMixture),
}

impl Model {
    fn predict(&self, x: &DMatrix<f32>) -> fmnist_cluster::Result<Vec<usize>> {
        match self {
            Model::Kmeans(km) => km.predict(x),
            Model::Gmm(gmm) => gmm.predict(x),
        }
    }

    fn iterations(&self) -> usize {
        match self {
            Model::Kmeans(km) => km.n_iter(),
            Model::Gmm(gmm) => gmm.n_iter(),
        }
    }

    fn converged(&self) -> bool {
        match self {
            Model::Kmeans(km) => km.converged(),
            Model::Gmm(gmm) => gmm.converged(),
        }
    }
}

/// The printed result, in the naming of results.json.
#[derive(Debug, Serialize)]
struct Output {
    method: Method,
    features: Features,
    k: usize,
    seed: u64,
    train: ClusteringScores,
    validation: ClusteringScores,
    test: ClusteringScores,
    /// K-Means: sum of squared distances to the nearest centroid (training split).
    #[serde(skip_serializing_if = "Option::is_none")]
    inertia: Option<f64>,
    /// Mixture: covariance structure.
    #[serde(skip_serializing_if = "Option::is_none")]
    covariance: Option<&'static str>,
    /// Mixture: `free` or `equal` component sizes.
    #[serde(skip_serializing_if = "Option::is_none")]
    component_sizes: Option<&'static str>,
    /// Mixture: mean log-likelihood per sample of the training split.
    #[serde(skip_serializing_if = "Option::is_none")]
    log_likelihood: Option<f64>,
    /// Mixture: Bayesian information criterion on the training split.
    #[serde(skip_serializing_if = "Option::is_none")]
    bic: Option<f64>,
    iterations: usize,
    converged: bool,
    /// Seconds to fit (PCA included), not counting loading and scoring.
    seconds: f64,
}

/// What `--save` writes.
#[derive(Debug, Serialize)]
struct Saved<'a> {
    pca: Option<&'a FittedPca>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patches: Option<&'a FittedPatchPca>,
    umap: Option<&'a FittedUmap>,
    #[serde(flatten)]
    model: &'a Model,
}

pub fn run(args: ClusterArgs) -> Result<()> {
    let (data, _) = args.data.load()?;
    let (split, pixels) = study_split(&data)?;
    let k = args.k.unwrap_or_else(|| data.train.n_classes());
    let truth_train: Vec<u8> = split
        .train
        .iter()
        .map(|&i| data.train.labels()[i])
        .collect();
    let truth_val: Vec<u8> = split
        .validation
        .iter()
        .map(|&i| data.train.labels()[i])
        .collect();
    eprintln!(
        "clustering {} training images ({:?} features) with {:?}, k = {}",
        pixels.train.nrows(),
        args.features,
        args.method,
        k
    );
    let start = Instant::now();
    let extracted =
        args.feature_args
            .extract(args.features, pixels, image_shape(&data), args.seed)?;
    let Splits {
        train: x_train,
        validation: x_val,
        test: x_test,
    } = &extracted.splits;
    let model = match args.method {
        Method::Kmeans => Model::Kmeans(
            KMeans::params(k)
                .n_init(args.n_init.unwrap_or(10))
                .max_iter(args.max_iter.unwrap_or(300))
                .seed(args.seed)
                .fit(x_train)
                .context("fitting K-Means")?,
        ),
        Method::Gmm => Model::Gmm(
            GaussianMixture::params(k)
                .covariance(args.covariance.into())
                .component_sizes(args.component_sizes.into())
                .n_init(args.n_init.unwrap_or(1))
                .max_iter(args.max_iter.unwrap_or(100))
                .seed(args.seed)
                .fit(x_train)
                .context("fitting the Gaussian mixture")?,
        ),
    };
    let seconds = start.elapsed().as_secs_f64();
    let train_labels = model.predict(x_train)?;
    let (inertia, covariance, component_sizes, log_likelihood, bic) = match &model {
        Model::Kmeans(km) => (Some(km.inertia()), None, None, None, None),
        Model::Gmm(gmm) => (
            None,
            Some(gmm.covariance_type().name()),
            Some(ComponentSizes::from(args.component_sizes).name()),
            Some(gmm.score(x_train)?),
            Some(gmm.bic(x_train)?),
        ),
    };
    let validation_labels = model.predict(x_val)?;
    let test_labels = model.predict(x_test)?;
    if let Some(path) = &args.labels_out {
        let mut by_image = vec![0usize; data.train.len()];
        for (&row, &label) in split.train.iter().zip(&train_labels) {
            by_image[row] = label;
        }
        for (&row, &label) in split.validation.iter().zip(&validation_labels) {
            by_image[row] = label;
        }
        let text: String = by_image
            .iter()
            .chain(&test_labels)
            .map(|label| format!("{label}\n"))
            .collect();
        fmnist_io::write_atomically(path, |file| {
            std::io::Write::write_all(file, text.as_bytes())
        })?;
        eprintln!("wrote the cluster labels to {}", path.display());
    }
    let output = Output {
        method: args.method,
        features: args.features,
        k,
        seed: args.seed,
        train: ClusteringScores::compute(&truth_train, &train_labels)?,
        validation: ClusteringScores::compute(&truth_val, &validation_labels)?,
        test: ClusteringScores::compute(data.test.labels(), &test_labels)?,
        inertia,
        covariance,
        component_sizes,
        log_likelihood,
        bic,
        iterations: model.iterations(),
        converged: model.converged(),
        seconds,
    };
    if let Some(path) = &args.save {
        let saved = Saved {
            pca: extracted.pca.as_ref(),
            patches: extracted.patches.as_ref(),
            umap: extracted.umap.as_ref(),
            model: &model,
        };
        let json = serde_json::to_vec(&saved)?;
        fmnist_io::write_atomically(path, |file| std::io::Write::write_all(file, &json))?;
        eprintln!("saved the model to {}", path.display());
    }
    print_result(args.json, &render(&output), &output)
}

fn render(o: &Output) -> String {
    let mut s = format!(
        "{:<12} {:>8} {:>8} {:>8} {:>9}\n",
        "split", "AMI", "NMI", "ARI", "accuracy"
    );
    for (name, sc) in [
        ("train", &o.train),
        ("validation", &o.validation),
        ("test", &o.test),
    ] {
        s += &format!(
            "{name:<12} {:>8.4} {:>8.4} {:>8.4} {:>9.4}\n",
            sc.ami, sc.nmi, sc.ari, sc.accuracy
        );
    }
    let fit = match (o.inertia, o.log_likelihood, o.bic) {
        (Some(inertia), _, _) => format!("inertia {inertia:.2}"),
        (_, Some(ll), Some(bic)) => format!(
            "{} covariance, {} sizes, log-likelihood {ll:.4} per sample, BIC {bic:.1}",
            o.covariance.unwrap_or("?"),
            o.component_sizes.unwrap_or("?")
        ),
        _ => String::new(),
    };
    s += &format!(
        "{fit}, {} iterations ({}), {:.2} s\n",
        o.iterations,
        if o.converged {
            "converged"
        } else {
            "not converged"
        },
        o.seconds
    );
    s
}
