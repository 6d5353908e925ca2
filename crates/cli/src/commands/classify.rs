//! `fmnist classify`: a Random Forest on the study's 48,000 training images, scored on the
//! 10,000 test images, with pixels, cluster labels, or both as features.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use fmnist_io::{FashionMnist, Split, StratifiedSplit};
use fmnist_pipeline::{ClusterLabels, ForestTask};
use nalgebra::DMatrix;

use crate::data_source::DataSourceArgs;
use crate::output::print_json;
use crate::progress::StudyProgress;
use crate::text::read_text;

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    #[command(flatten)]
    source: DataSourceArgs,
    /// The image features: `raw`, the 784 pixels as bytes.
    #[arg(long, value_enum, default_value_t = FeatureKind::Raw)]
    features: FeatureKind,
    /// How cluster labels enter the features: `none` (pixels only), `replace` (the cluster label
    /// alone) or `add` (the pixels and the cluster label as one more feature).
    #[arg(long, value_enum, default_value_t = Clusters::None)]
    clusters: Clusters,
    /// The cluster labels for `replace` and `add`: a text file of one non-negative integer
    /// (at most 255) per line, first one line per training-set image (all 60,000, in the data
    /// set's order, validation images included), then one per test image (10,000), nothing else.
    /// `fmnist cluster --labels-out FILE` writes this layout.
    #[arg(long, value_name = "FILE")]
    clusters_from: Option<PathBuf>,
    /// Number of trees.
    #[arg(long, default_value_t = 100)]
    trees: usize,
    /// Seed of the forest (the 48,000 / 12,000 split is the study's, always seed 0).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object on stdout: {"schema", "test": {"accuracy", "report",
    /// "confusion_matrix", "seconds"}, "seconds", "forest"}.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FeatureKind {
    Raw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Clusters {
    None,
    Replace,
    Add,
}

pub fn run(args: ClassifyArgs) -> Result<()> {
    let FeatureKind::Raw = args.features;
    let (data, _) = args.source.load()?;
    let split = StratifiedSplit::new().split(data.train.labels())?;
    let (x_train, x_test) = forest_features(&args, &data, &split)?;
    let y_train: Vec<u8> = split
        .train
        .iter()
        .map(|&i| data.train.labels()[i])
        .collect();
    let task = ForestTask {
        train: &x_train,
        train_labels: &y_train,
        test: &x_test,
        test_labels: data.test.labels(),
        class_names: data.test.class_names(),
    };
    let evaluation = task.evaluate(args.trees, args.seed, "forest", &StudyProgress::bars_only())?;
    if args.json {
        print_json(&evaluation.classification_result())?;
    } else {
        let test = &evaluation.result;
        println!(
            "test accuracy {:.4} ({} trees, {} training images, {} features, {:.1} s)",
            test.accuracy,
            args.trees,
            x_train.nrows(),
            x_train.ncols(),
            test.seconds
        );
        println!();
        print!("{:.4}", test.report);
        println!();
        print!("{}", evaluation.confusion);
    }
    Ok(())
}

/// The forest's features of the training split and of the test set: the pixels, with the
/// cluster labels of --clusters-from where --clusters asks for them.
fn forest_features(
    args: &ClassifyArgs,
    data: &FashionMnist,
    split: &Split,
) -> Result<(DMatrix<u8>, DMatrix<u8>)> {
    let test_rows: Vec<usize> = (0..data.test.len()).collect();
    let x_train = data.train.pixels(&split.train)?;
    let x_test = data.test.pixels(&test_rows)?;
    let (mode, path) = match (args.clusters, &args.clusters_from) {
        (Clusters::None, None) => return Ok((x_train, x_test)),
        (Clusters::None, Some(_)) => bail!("--clusters-from needs --clusters replace or add"),
        (_, None) => bail!("--clusters replace and add need --clusters-from FILE"),
        (Clusters::Replace, Some(path)) => (ClusterLabels::Replace, path),
        (Clusters::Add, Some(path)) => (ClusterLabels::Add, path),
    };
    let labels = read_cluster_labels(path, data.train.len(), data.test.len())?;
    let (train_labels, test_labels) = labels.split_at(data.train.len());
    let train_labels: Vec<u8> = split.train.iter().map(|&i| train_labels[i]).collect();
    Ok((
        mode.features(&x_train, &train_labels)?,
        mode.features(&x_test, test_labels)?,
    ))
}

/// Reads a cluster-label file: `n_train + n_test` lines of one integer in 0..=255 each.
fn read_cluster_labels(path: &Path, n_train: usize, n_test: usize) -> Result<Vec<u8>> {
    let text = read_text(path, "cluster labels")?;
    let labels = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            line.trim().parse::<u8>().with_context(|| {
                format!(
                    "{} line {}: expected a cluster label in 0..=255, got {line:?}",
                    path.display(),
                    i + 1
                )
            })
        })
        .collect::<Result<Vec<u8>>>()?;
    if labels.len() != n_train + n_test {
        bail!(
            "{} has {} labels; expected {} (the {n_train} training images, then the {n_test} test images)",
            path.display(),
            labels.len(),
            n_train + n_test
        );
    }
    Ok(labels)
}
