//! `fmnist embed`: a UMAP embedding of the study's split, fitted on the training split, with the
//! validation and test images embedded by `transform`; written as `.npy`, drawn, and scored by
//! trustworthiness.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use fmnist_core::Staging;
use fmnist_io::{Dataset, StratifiedSplit};
use fmnist_pipeline::schema::SchemaTag;
use fmnist_pipeline::{SplitData, TRUSTWORTHINESS_K, figures};
use nalgebra::DMatrix;
use schemars::JsonSchema;
use serde::Serialize;

use crate::data_source::DataSourceArgs;
use crate::feature_args::{FeatureArgs, Features};
use crate::npy::write_npy;
use crate::output::print_result;
use crate::outputs::given;
use crate::progress::StudyProgress;

#[derive(Debug, Args)]
pub struct EmbedArgs {
    #[command(flatten)]
    data: DataSourceArgs,
    /// Embedding method.
    #[arg(long, value_enum, default_value_t = Method::Umap)]
    method: Method,
    /// Features to embed (fitted on the training split): raw pixels in [0, 1], a PCA of them
    /// or of their square roots, or an autoencoder's codes (--model).
    #[arg(long, value_enum, default_value_t = Features::RootPca)]
    features: Features,
    #[command(flatten)]
    feature_args: FeatureArgs,
    /// Seed of the embedding's random choices (the split is the study's, seed 0).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Write the embedding as a float32 .npy array: the training split's rows, then the
    /// validation split's, then the test set's (the order of `fmnist cluster`'s splits).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Draw the test images on the embedding's first two dimensions, coloured by class (PNG).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Print one JSON object on stdout; the table goes to stderr.
    #[arg(long)]
    json: bool,
}

/// Embedding method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// UMAP: a fuzzy k-nearest-neighbour graph laid out by stochastic gradient descent.
    Umap,
}

/// What `fmnist embed --json` prints.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EmbeddingResult {
    schema: SchemaTag,
    /// The embedding method.
    method: Method,
    /// The features' name, as --features gives it.
    features: &'static str,
    /// Dimensions of the embedding.
    n_components: usize,
    /// Images embedded (training, validation and test).
    n_samples: usize,
    /// Trustworthiness (k = 10) of the test set's embedding against its features.
    trustworthiness: f64,
    /// Seconds to fit and transform (features included), not counting loading.
    seconds: f64,
}

pub fn run(args: EmbedArgs) -> Result<()> {
    if args.features == Features::Umap {
        bail!(
            "--features umap: choose the features UMAP embeds (raw, pca, root-pca, patches or ae)"
        );
    }
    // The parameters and the outputs are checked before the data set is loaded.
    let embedding = args.feature_args.embedding();
    embedding.umap(args.seed).check()?;
    if args.plot.is_some() && embedding.n_components < 2 {
        bail!("--plot needs an embedding of at least 2 dimensions (--dims)");
    }
    let outputs = given(&[("--out", &args.out), ("--plot", &args.plot)]);
    let (data, _) = args.data.load_for(&outputs, &[])?;
    let parts = SplitData::new(&data, &StratifiedSplit::new())?;
    let features = args.feature_args.spec(args.features, parts.shape())?;
    eprintln!(
        "embedding {} training images ({} features) with UMAP in {} dimensions",
        parts.pixels.train.nrows(),
        features.name(),
        embedding.n_components
    );
    let run = StudyProgress::bars_only().stage("umap", |progress| {
        Ok(embedding.embed_features(&features, &parts.pixels, args.seed, progress)?)
    })?;
    let embedded = &run.embedded;
    // Both outputs are made before either replaces an earlier file.
    let mut staging = Staging::new();
    if let Some(path) = &args.out {
        write_npy(&staging.file(path)?, &embedded.stacked()).context("saving the embedding")?;
    }
    if let Some(path) = &args.plot {
        plot(&staging.file(path)?, &embedded.test, &data.test)?;
    }
    staging.commit()?;
    for (_, path) in &outputs {
        eprintln!("wrote {}", path.display());
    }
    let output = EmbeddingResult {
        schema: SchemaTag,
        method: args.method,
        features: features.name(),
        n_components: embedded.train.ncols(),
        n_samples: embedded.train.nrows() + embedded.validation.nrows() + embedded.test.nrows(),
        trustworthiness: run.trustworthiness,
        seconds: run.seconds,
    };
    let table = format!(
        "{} images in {} dimensions in {:.2} s; test-set trustworthiness (k = {TRUSTWORTHINESS_K}) {:.4}\n",
        output.n_samples, output.n_components, output.seconds, output.trustworthiness
    );
    print_result(args.json, &table, &output)
}

/// Draws the test images on the first two dimensions of their embedding `test`, coloured by
/// class.
fn plot(path: &Path, test: &DMatrix<f32>, set: &Dataset) -> Result<()> {
    let points: Vec<(f32, f32)> = (0..test.nrows())
        .map(|i| (test[(i, 0)], test[(i, 1)]))
        .collect();
    figures::scatter(
        path,
        "Test images embedded by UMAP (fitted on the training split)",
        ("UMAP 1", "UMAP 2"),
        &points,
        set.labels(),
        set.class_names(),
    )?;
    Ok(())
}
