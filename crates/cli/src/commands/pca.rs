//! `fmnist pca`: PCA of the training split — the explained-variance table and the study's
//! three PCA figures (cumulative variance curve, eigen-images, PC1/PC2 scatter by class).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use fmnist_core::Staging;
use fmnist_decomp::Pca;
use fmnist_io::StratifiedSplit;
use fmnist_pipeline::figures;
use fmnist_pipeline::schema::SchemaTag;
use schemars::JsonSchema;
use serde::Serialize;

use crate::data_source::DataSourceArgs;
use crate::output::print_result;
use crate::outputs::given;
use crate::progress::StudyProgress;

#[derive(Debug, Args)]
pub struct PcaArgs {
    #[command(flatten)]
    data: DataSourceArgs,
    /// Components to keep.
    #[arg(long, default_value_t = 40, value_name = "N")]
    components: usize,
    /// Draw the cumulative explained-variance curve (every component) to this PNG.
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Draw the kept components as images (blue negative, red positive) to this PNG.
    #[arg(long, value_name = "FILE")]
    eigen_images: Option<PathBuf>,
    /// Draw the test images on the first two components, coloured by class, to this PNG.
    #[arg(long, value_name = "FILE")]
    scatter: Option<PathBuf>,
    /// Accepted for uniformity with the other subcommands; PCA by eigendecomposition uses no
    /// randomness (the split is the study's, seed 0).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object on stdout; the table goes to stderr.
    #[arg(long)]
    json: bool,
}

/// What `fmnist pca --json` prints.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PcaResult {
    schema: SchemaTag,
    /// Components kept.
    n_components: usize,
    /// Training images the PCA was fitted on.
    n_samples: usize,
    /// Explained-variance ratio of each kept component.
    explained_variance_ratio: Vec<f64>,
    /// Their sum.
    cumulative_explained_variance_ratio: f64,
    /// Explained-variance ratio of every component.
    all_explained_variance_ratio: Vec<f64>,
    /// Mean variance of the components left out (scikit-learn's `noise_variance_`).
    noise_variance: f64,
    /// Seconds to fit, not counting loading.
    seconds: f64,
}

pub fn run(args: PcaArgs) -> Result<()> {
    // The parameters and the outputs are checked before the data set is loaded.
    Pca::params(args.components).check()?;
    let outputs = given(&[
        ("--plot", &args.plot),
        ("--eigen-images", &args.eigen_images),
        ("--scatter", &args.scatter),
    ]);
    let (data, _) = args.data.load_for(&outputs, &[])?;
    let split = StratifiedSplit::new().split(data.train.labels())?;
    let x = data.train.features(&split.train)?;
    let start = Instant::now();
    let pca = StudyProgress::bars_only().stage("pca", |_| {
        Pca::params(args.components).fit(&x).context("fitting PCA")
    })?;
    let seconds = start.elapsed().as_secs_f64();
    let output = PcaResult {
        schema: SchemaTag,
        n_components: pca.n_components(),
        n_samples: pca.n_samples(),
        explained_variance_ratio: pca.explained_variance_ratio().to_vec(),
        cumulative_explained_variance_ratio: pca.cumulative_explained_variance_ratio(),
        all_explained_variance_ratio: pca.all_explained_variance_ratio().to_vec(),
        noise_variance: pca.noise_variance(),
        seconds,
    };
    // Every figure is drawn before any replaces an earlier file.
    let mut staging = Staging::new();
    if let Some(path) = &args.plot {
        let variance = pca.all_explained_variance_ratio();
        figures::explained_variance(&staging.file(path)?, variance, pca.n_components())?;
    }
    if let Some(path) = &args.eigen_images {
        let (rows, cols) = (data.train.rows(), data.train.cols());
        figures::eigen_images(&staging.file(path)?, &pca.components(), rows, cols)?;
    }
    if let Some(path) = &args.scatter {
        let projected = pca.transform(&data.test.all_features())?;
        let (labels, names) = (data.test.labels(), data.test.class_names());
        let explained = pca.explained_variance_ratio();
        figures::projection_scatter(&staging.file(path)?, &projected, explained, labels, names)?;
    }
    staging.commit()?;
    for (_, path) in &outputs {
        eprintln!("wrote {}", path.display());
    }
    print_result(args.json, &render(&output), &output)
}

fn render(o: &PcaResult) -> String {
    let mut s = format!(
        "PCA of {} training images: {} components\n{:>9} {:>10} {:>11}\n",
        o.n_samples, o.n_components, "component", "ratio", "cumulative"
    );
    let mut cumulative = 0.0;
    for (i, r) in o.explained_variance_ratio.iter().enumerate() {
        cumulative += r;
        s += &format!("{:>9} {r:>10.6} {cumulative:>11.6}\n", i + 1);
    }
    s += &format!("fitted in {:.3} s\n", o.seconds);
    s
}
