//! `fmnist classify`: a Random Forest on the study's 48,000 training images, scored on the
//! 10,000 test images, with pixels, cluster labels, or both as features.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use fmnist_eval::{ClassificationReport, ConfusionMatrix, ReportOptions, confusion_matrix};
use fmnist_forest::{RandomForest, TreeStats, add_label_column, label_column};
use fmnist_io::StratifiedSplit;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::data_source::DataSourceArgs;

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
    /// Print one JSON object on stdout: {"test": {"accuracy", "report", "confusion"},
    /// "seconds", "forest"}.
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

#[derive(Debug, Serialize)]
struct Output {
    test: TestScores,
    /// Seconds of fitting and predicting (data loading excluded).
    seconds: f64,
    forest: TreeStats,
}

#[derive(Debug, Serialize)]
struct TestScores {
    accuracy: f64,
    report: ClassificationReport,
    confusion: ConfusionMatrix<u8>,
}

pub fn run(args: ClassifyArgs) -> Result<()> {
    let FeatureKind::Raw = args.features;
    let (data, _) = args.source.load()?;
    let split = StratifiedSplit::new().split(data.train.labels())?;
    let test_rows: Vec<usize> = (0..data.test.len()).collect();
    let mut x_train = data.train.pixels(&split.train)?;
    let mut x_test = data.test.pixels(&test_rows)?;
    match (args.clusters, &args.clusters_from) {
        (Clusters::None, None) => {}
        (Clusters::None, Some(_)) => bail!("--clusters-from needs --clusters replace or add"),
        (_, None) => bail!("--clusters replace and add need --clusters-from FILE"),
        (mode, Some(path)) => {
            let labels = read_cluster_labels(path, data.train.len(), data.test.len())?;
            let (train_labels, test_labels) = labels.split_at(data.train.len());
            let train_labels: Vec<u8> = split.train.iter().map(|&i| train_labels[i]).collect();
            if mode == Clusters::Add {
                x_train = add_label_column(&x_train, &train_labels)?;
                x_test = add_label_column(&x_test, test_labels)?;
            } else {
                x_train = label_column(&train_labels)?;
                x_test = label_column(test_labels)?;
            }
        }
    }
    let y_train: Vec<u8> = split
        .train
        .iter()
        .map(|&i| data.train.labels()[i])
        .collect();

    let bar = ProgressBar::with_draw_target(Some(args.trees as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("  trees {pos}/{len} {wide_bar} eta {eta}")
            .expect("the template is valid"),
    );
    let start = Instant::now();
    let forest = RandomForest::params()
        .n_trees(args.trees)
        .seed(args.seed)
        .fit_with_progress(&x_train, &y_train, |done| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    let predicted: Vec<u8> = forest
        .predict(&x_test)?
        .into_iter()
        .map(|class| u8::try_from(class).expect("classes are the u8 training labels"))
        .collect();
    let seconds = start.elapsed().as_secs_f64();

    let truth = data.test.labels();
    let labels: Vec<u8> = (0..data.test.n_classes())
        .map(|c| u8::try_from(c).expect("a data set has at most 256 classes"))
        .collect();
    let report = ClassificationReport::with_options(
        truth,
        &predicted,
        &ReportOptions::new()
            .labels(&labels)
            .target_names(data.test.class_names()),
    )?;
    let confusion = confusion_matrix(truth, &predicted, &labels)?;
    let output = Output {
        test: TestScores {
            accuracy: report.accuracy(),
            report,
            confusion,
        },
        seconds,
        forest: forest.tree_stats(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&output)?);
    } else {
        println!(
            "test accuracy {:.4} ({} trees, {} training images, {} features, {:.1} s)",
            output.test.accuracy,
            args.trees,
            x_train.nrows(),
            x_train.ncols(),
            seconds
        );
        println!();
        print!("{:.4}", output.test.report);
        println!();
        print!("{}", output.test.confusion);
    }
    Ok(())
}

/// The images at `rows` as a samples x pixels byte matrix.
/// Reads a cluster-label file: `n_train + n_test` lines of one integer in 0..=255 each.
fn read_cluster_labels(path: &Path, n_train: usize, n_test: usize) -> Result<Vec<u8>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
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
