//! `fmnist embed`: a UMAP embedding of the study's split, fitted on the training split, with the
//! validation and test images embedded by `transform`; written as `.npy`, drawn, and scored by
//! trustworthiness.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use fmnist_pipeline::figures;
use serde::Serialize;

use crate::data_source::DataSourceArgs;
use crate::features::{FeatureArgs, Features, image_shape, study_split};
use crate::npy::write_npy;
use crate::output::print_result;

/// Neighbours whose preservation trustworthiness measures (scikit-learn's default 5 is for
/// small sets; 10 is what the manifold crate's README reports).
const TRUSTWORTHINESS_K: usize = 10;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// UMAP: a fuzzy k-nearest-neighbour graph laid out by stochastic gradient descent.
    Umap,
}

/// The printed result.
#[derive(Debug, Serialize)]
struct Output {
    method: Method,
    features: Features,
    dims: usize,
    images: usize,
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
    let (data, _) = args.data.load()?;
    let (_, pixels) = study_split(&data)?;
    eprintln!(
        "embedding {} training images ({:?} features) with UMAP in {} dimensions",
        pixels.train.nrows(),
        args.features,
        args.feature_args.embedding().n_components
    );
    let start = Instant::now();
    let base = args
        .feature_args
        .extract(args.features, pixels, image_shape(&data), args.seed)?;
    let (_, embedded) = args
        .feature_args
        .embedding()
        .embed_splits(args.seed, &base.splits, &fmnist_pipeline::Silent)
        .context("fitting UMAP")?;
    let seconds = start.elapsed().as_secs_f64();
    let trustworthiness =
        fmnist_manifold::trustworthiness(&base.splits.test, &embedded.test, TRUSTWORTHINESS_K)
            .context("scoring the test set's embedding")?;
    if let Some(path) = &args.out {
        write_npy(path, &embedded.stacked()).context("saving the embedding")?;
        eprintln!("wrote the embedding to {}", path.display());
    }
    if let Some(path) = &args.plot {
        if embedded.test.ncols() < 2 {
            bail!("--plot needs an embedding of at least 2 dimensions (--dims)");
        }
        let points: Vec<(f32, f32)> = (0..embedded.test.nrows())
            .map(|i| (embedded.test[(i, 0)], embedded.test[(i, 1)]))
            .collect();
        figures::scatter(
            path,
            "Test images embedded by UMAP (fitted on the training split)",
            ("UMAP 1", "UMAP 2"),
            &points,
            data.test.labels(),
            data.test.class_names(),
        )?;
        eprintln!("drew {}", path.display());
    }
    let output = Output {
        method: args.method,
        features: args.features,
        dims: embedded.train.ncols(),
        images: embedded.train.nrows() + embedded.validation.nrows() + embedded.test.nrows(),
        trustworthiness,
        seconds,
    };
    let table = format!(
        "{} images in {} dimensions in {:.2} s; test-set trustworthiness (k = {TRUSTWORTHINESS_K}) {:.4}\n",
        output.images, output.dims, output.seconds, output.trustworthiness
    );
    print_result(args.json, &table, &output)
}
