//! `fmnist reproduce`: the whole study in one command (what `cargo xtask reproduce` runs).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use fmnist_core::Staging;
use fmnist_io::{Locator, StratifiedSplit};
use fmnist_pipeline::paper::paper_pipeline;
use fmnist_pipeline::{Build, Results, StudyConfig};

use crate::commands::device::DeviceArg;
use crate::data_source::DataSourceArgs;
use crate::output::print_json;
use crate::progress::StudyProgress;

/// The committed subset that `--quick` runs on when no data directory is given.
const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/fashion-mnist-small"
);
/// Size of the subset `--quick` cuts from a full data set when the fixtures are not at hand.
const QUICK_TRAIN: usize = 2_000;
const QUICK_TEST: usize = 500;

#[derive(Debug, Args)]
pub struct ReproduceArgs {
    #[command(flatten)]
    source: DataSourceArgs,
    /// Directory for results.json, REPORT.md and the figures (created if missing)
    /// [default: report, or report-quick with --quick].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Seed of every random step.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The same code on a small subset with reduced settings (3 K-Means restarts, 2 epochs,
    /// 20 trees), in well under a minute: the committed fixtures unless --data-dir is given,
    /// else a stratified subset of the data set.
    #[arg(long)]
    quick: bool,
    /// Autoencoder epochs [default: 10, or 2 with --quick].
    #[arg(long, value_name = "N")]
    epochs: Option<usize>,
    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Only the study's three pipelines: skip those beyond it (UMAP before clustering,
    /// `pca-umap-gmm`, `umap-kmeans`, `ae-umap-gmm`, and their runs on all images at once).
    #[arg(long)]
    study_only: bool,
    /// Where the autoencoder trains.
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
    /// No progress on stderr.
    #[arg(long)]
    quiet: bool,
    /// Print results.json on stdout instead of the summary table.
    #[arg(long)]
    json: bool,
    /// The commit of the source this program was built from, recorded in results.json and
    /// REPORT.md (`cargo xtask reproduce` passes `git rev-parse HEAD`, with `-dirty` for a
    /// tree with changes) [default: unknown].
    #[arg(long, env = "FMNIST_COMMIT", value_name = "COMMIT")]
    commit: Option<String>,
}

/// What this program was built from: the commit given (or `unknown`) and the compiler that
/// `build.rs` found.
fn build(commit: Option<&str>) -> Build {
    let known = |value: Option<&str>| {
        value
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let unknown = Build::default();
    Build {
        commit: known(commit).unwrap_or(unknown.commit),
        rustc: known(option_env!("FMNIST_RUSTC_VERSION")).unwrap_or(unknown.rustc),
    }
}

pub fn run(args: ReproduceArgs) -> Result<()> {
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("cannot set up the thread pool")?;
    }
    let mut config = if args.quick {
        StudyConfig::quick()
    } else {
        StudyConfig::paper()
    };
    config.seed = args.seed;
    if let Some(epochs) = args.epochs {
        config.epochs = epochs;
    }
    config.device = args.device.open()?;
    if args.study_only {
        config.embedding = None;
    }

    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(if args.quick { "report-quick" } else { "report" }));
    if out.exists() && !out.is_dir() {
        anyhow::bail!(
            "--out {}: is a file; give a directory for results.json, REPORT.md and the figures",
            out.display()
        );
    }
    let (data, provenance) =
        if args.quick && args.source.data_dir.is_none() && Path::new(FIXTURES).is_dir() {
            Locator::new()
                .data_dir(Some(FIXTURES.into()))
                .offline()
                .load()?
        } else {
            let (mut data, provenance) = args.source.load()?;
            if args.quick {
                data.train = at_most(data.train, QUICK_TRAIN, args.seed)?;
                data.test = at_most(data.test, QUICK_TEST, args.seed)?;
            }
            (data, provenance)
        };
    // k is the number of classes, as in the study (10 for Fashion-MNIST).
    config.clusters = data.train.n_classes();
    let progress = StudyProgress::new(args.quiet);
    // Everything is written into a folder inside --out and moved into place once the whole
    // study has succeeded: a failing stage leaves the previous report as it was.
    std::fs::create_dir_all(&out)
        .with_context(|| format!("--out {}: cannot create the folder", out.display()))?;
    let mut staging = Staging::new();
    let staged = staging.dir(&out)?;
    let build = build(args.commit.as_deref());
    let results = fmnist_pipeline::run(&config, &data, &provenance, &staged, &progress, &build)?;
    staging.commit()?;
    if args.json {
        print_json(&results)?;
    } else {
        print_summary(&results);
        println!("peak memory {}", peak_memory());
        println!(
            "\nwrote {} and {} with the figures in {}",
            fmnist_pipeline::RESULTS_FILE,
            fmnist_pipeline::REPORT_FILE,
            out.display()
        );
    }
    Ok(())
}

/// `set` cut to a stratified subset of `n` images where it holds more, else all of it.
fn at_most(set: fmnist_io::Dataset, n: usize, seed: u64) -> Result<fmnist_io::Dataset> {
    if set.len() <= n {
        return Ok(set);
    }
    let split = StratifiedSplit::new()
        .validation_fraction(n as f64 / set.len() as f64)
        .seed(seed)
        .split(set.labels())?;
    Ok(set.subset(&split.validation)?)
}

/// The study's headline numbers beside ours.
pub fn print_summary(results: &Results) {
    if results.quick || !results.dataset.is_fashion_mnist() {
        println!(
            "(the study's columns are its results on the full Fashion-MNIST; this run is {})\n",
            if results.quick {
                "a quick check on a small subset"
            } else {
                "on other data"
            }
        );
    }
    println!(
        "{:<12} {:>17} {:>17} {:>19} {:>19}",
        "pipeline", "AMI test", "accuracy test", "RF replace", "RF add"
    );
    println!(
        "{:<12} {:>17} {:>17} {:>19} {:>19}",
        "", "study / ours", "ours", "study / ours", "study / ours"
    );
    for p in &results.pipelines {
        let paper = paper_pipeline(&p.name);
        let pair = |theirs: Option<f64>, ours: f64| {
            format!(
                "{} / {ours:.4}",
                theirs.map_or("    –".to_string(), |t| format!("{t:.4}"))
            )
        };
        println!(
            "{:<12} {:>17} {:>17.4} {:>19} {:>19}",
            p.name,
            pair(paper.map(|x| x.ami_test), p.clustering.test.ami),
            p.clustering.test.accuracy,
            pair(paper.map(|x| x.forest_replace), p.forest.replace.accuracy),
            pair(paper.map(|x| x.forest_add), p.forest.add.accuracy),
        );
    }
    println!(
        "{:<12} {:>17} {:>17} {:>19} {:>19.4}",
        "pixels only", "", "", "", results.forest_pixels_only.accuracy
    );
    for all in &results.all_images {
        println!(
            "{} on all {} images at once: AMI {:.4}, NMI {:.4}, accuracy {:.4} (N2D: NMI {}, accuracy {})",
            all.name,
            all.n_samples,
            all.scores.ami,
            all.scores.nmi,
            all.scores.accuracy,
            fmnist_pipeline::paper::N2D.nmi,
            fmnist_pipeline::paper::N2D.accuracy
        );
    }
    println!("total {:.1} s", results.seconds_total);
}

/// This process's peak resident memory so far (Linux: `VmHWM` of `/proc/self/status`), or
/// "unknown" where the system does not say.
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.0} MB", kib / 1024.0))
        })
        .unwrap_or_else(|| "unknown".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_set(n: usize) -> fmnist_io::Dataset {
        let labels: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
        let names = fmnist_io::numbered_class_names(3);
        fmnist_io::Dataset::new(vec![0; n * 4], labels, 2, 2, names).unwrap()
    }

    #[test]
    fn the_build_says_unknown_for_what_it_was_not_told() {
        assert_eq!(build(Some(" abc123 \n")).commit, "abc123");
        assert_eq!(build(Some("")).commit, "unknown");
        assert_eq!(build(None).commit, "unknown");
        assert!(build(None).rustc.starts_with("rustc "), "{:?}", build(None));
    }

    #[test]
    fn quick_subsets_cut_larger_sets_and_keep_smaller_ones_whole() {
        // a training set above the quick size beside a test set below it
        let cut = at_most(data_set(2_400), QUICK_TRAIN, 0).unwrap();
        assert_eq!(cut.len(), QUICK_TRAIN);
        assert!(
            cut.class_counts()
                .iter()
                .all(|&c| c.abs_diff(QUICK_TRAIN / 3) <= 1)
        );
        assert_eq!(at_most(data_set(450), QUICK_TEST, 0).unwrap().len(), 450);
        assert_eq!(at_most(data_set(500), QUICK_TEST, 0).unwrap().len(), 500);
    }
}
