//! `fmnist fit`: fit a named pipeline to the training split and save it, for `fmnist predict`
//! to label new images; prints the scores of the three parts as `fmnist cluster` does.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use fmnist_io::StratifiedSplit;
use fmnist_pipeline::{FittedPipeline, SplitData, StudyConfig, named};

use crate::commands::cluster::render;
use crate::data_source::DataSourceArgs;
use crate::output::print_result;
use crate::progress::StudyProgress;

#[derive(Debug, Args)]
pub struct FitArgs {
    #[command(flatten)]
    data: DataSourceArgs,
    /// The pipeline, by name (`fmnist pipelines` lists them); `best` is the one with the
    /// highest mean test AMI.
    #[arg(long, value_name = "NAME", default_value = "best")]
    pipeline: String,
    /// Seed of every random step (the train/validation split is the study's, seed 0).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Number of clusters [default: the data set's number of classes, 10 for Fashion-MNIST].
    #[arg(long)]
    k: Option<usize>,
    /// Reduced settings, as `fmnist reproduce --quick` (3 K-Means starts, 2 autoencoder epochs,
    /// 10 principal components, a smaller UMAP and patch dictionary): seconds instead of minutes.
    #[arg(long)]
    quick: bool,
    /// The model file to write: the fitted steps as safetensors arrays with a JSON manifest,
    /// in one file.
    #[arg(long, value_name = "MODEL")]
    out: PathBuf,
    /// Print one JSON object on stdout (the names of results.json); the table goes to stderr.
    #[arg(long)]
    json: bool,
}

pub fn run(args: FitArgs) -> Result<()> {
    let pipeline = named(&args.pipeline)?;
    // The parameters are checked before the data set is loaded.
    let checked = study_config(args.quick, args.seed, args.k.unwrap_or(1));
    pipeline.cluster_spec(&checked).check()?;
    let (data, _) = args.data.load_for(&[("--out", &args.out)], &[])?;
    let parts = SplitData::new(&data, &StratifiedSplit::new())?;
    let k = args.k.unwrap_or_else(|| data.train.n_classes());
    let config = study_config(args.quick, args.seed, k);
    eprintln!(
        "fitting {} to {} training images: {}",
        pipeline.name,
        parts.pixels.train.nrows(),
        pipeline.description
    );
    let (fitted, run) = StudyProgress::bars_only().stage("fitting", |progress| {
        Ok(FittedPipeline::fit(pipeline, &parts, &config, progress)?)
    })?;
    fitted
        .save(&args.out)
        .with_context(|| format!("saving the model to {}", args.out.display()))?;
    eprintln!(
        "saved the fitted {} to {}",
        pipeline.name,
        args.out.display()
    );
    print_result(args.json, &render(&run.result), &run.result)
}

/// The run settings of a named pipeline: the study's (or a quick run's), with `k` clusters
/// and `seed`.
pub fn study_config(quick: bool, seed: u64, k: usize) -> StudyConfig {
    let mut config = if quick {
        StudyConfig::quick()
    } else {
        StudyConfig::paper()
    };
    config.seed = seed;
    config.clusters = k;
    config
}
