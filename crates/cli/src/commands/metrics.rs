//! `fmnist metrics`: every clustering metric of two label files, or with `--classification` the
//! classification report and confusion matrix.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Args;
use fmnist_eval::{ClassificationReport, ClusteringReport, confusion_matrix};
use fmnist_pipeline::schema::{SchemaTag, mirror};
use schemars::JsonSchema;
use serde::Serialize;

use crate::output::print_json;
use crate::text::read_text;

#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// True labels: one non-negative integer per line.
    #[arg(long, value_name = "FILE")]
    truth: PathBuf,
    /// Predicted labels (cluster ids, or class ids with --classification), one per line.
    #[arg(long, value_name = "FILE")]
    pred: PathBuf,
    /// Print one JSON object on stdout instead of a table.
    #[arg(long)]
    json: bool,
    /// The predictions are class labels: print the classification report (per-class precision,
    /// recall, F1, support) and the confusion matrix instead of the clustering metrics.
    #[arg(long)]
    classification: bool,
    /// Class names for --classification, one per line: line i names label i.
    #[arg(long, value_name = "FILE", requires = "classification")]
    names: Option<PathBuf>,
    /// Decimals in the text output [default: 4, or 2 for the classification report as
    /// scikit-learn].
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=15))]
    digits: Option<u8>,
}

/// What `fmnist metrics --json` prints: every clustering metric.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ClusteringMetrics {
    schema: SchemaTag,
    /// The metrics.
    #[serde(flatten)]
    #[schemars(with = "mirror::ClusteringReport")]
    metrics: ClusteringReport,
}

/// What `fmnist metrics --classification --json` prints.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ClassificationMetrics<'a> {
    schema: SchemaTag,
    /// Per-class precision, recall, F1 and support, with averages.
    #[schemars(with = "mirror::ClassificationReport")]
    report: &'a ClassificationReport,
    /// The labels of the confusion matrix's rows and columns, in order.
    labels: &'a [u64],
    /// Rows: true label; columns: predicted label.
    confusion_matrix: &'a [Vec<u64>],
}

pub fn run(args: MetricsArgs) -> Result<()> {
    let truth = read_labels(&args.truth)?;
    let pred = read_labels(&args.pred)?;
    if truth.len() != pred.len() {
        bail!(
            "{} has {} labels but {} has {}: the files must list the same samples in the same order",
            args.truth.display(),
            truth.len(),
            args.pred.display(),
            pred.len()
        );
    }
    if args.classification {
        classification(&args, &truth, &pred)
    } else {
        let report = ClusteringReport::compute(&truth, &pred)?;
        if args.json {
            print_json(&ClusteringMetrics {
                schema: SchemaTag,
                metrics: report,
            })?;
        } else {
            print!(
                "{report:.digits$}",
                digits = usize::from(args.digits.unwrap_or(4))
            );
        }
        Ok(())
    }
}

fn classification(args: &MetricsArgs, truth: &[u64], pred: &[u64]) -> Result<()> {
    let mut report = ClassificationReport::new(truth, pred)?;
    let confusion = confusion_matrix(truth, pred, &[])?;
    let names = match &args.names {
        Some(path) => {
            let names = read_names(path)?;
            let named: Vec<String> = confusion
                .labels()
                .iter()
                .map(|&label| {
                    names
                        .get(label as usize)
                        .cloned()
                        .unwrap_or_else(|| label.to_string())
                })
                .collect();
            report = report.with_target_names(&named)?;
            Some(named)
        }
        None => None,
    };
    for warning in report.warnings() {
        eprintln!("warning: {warning}");
    }
    if args.json {
        print_json(&ClassificationMetrics {
            schema: SchemaTag,
            report: &report,
            labels: confusion.labels(),
            confusion_matrix: confusion.matrix(),
        })?;
    } else {
        print!(
            "{report:.digits$}",
            digits = usize::from(args.digits.unwrap_or(2))
        );
        println!();
        println!("confusion matrix (rows: true label, columns: predicted label)");
        print!("{}", confusion.render(names.as_deref()));
    }
    Ok(())
}

/// One non-negative integer per line; blank lines only at the end.
fn read_labels(path: &Path) -> Result<Vec<u64>> {
    let text = read_text(path, "labels")?;
    let lines: Vec<&str> = text.lines().collect();
    let used = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(0, |last| last + 1);
    let labels = lines[..used]
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let item = line.trim();
            item.parse::<u64>().map_err(|_| {
                let what = if item.is_empty() {
                    "an empty line".to_owned()
                } else {
                    format!("{item:?}")
                };
                anyhow::anyhow!(
                    "{}:{}: expected one non-negative integer per line, found {what}",
                    path.display(),
                    i + 1
                )
            })
        })
        .collect::<Result<Vec<u64>>>()?;
    if labels.is_empty() {
        bail!("{}: no labels", path.display());
    }
    Ok(labels)
}

fn read_names(path: &Path) -> Result<Vec<String>> {
    let text = read_text(path, "class names")?;
    Ok(text.lines().map(|l| l.trim().to_owned()).collect())
}
