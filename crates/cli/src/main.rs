//! `fmnist`: every stage of the fmnist-cluster study from the command line.
//!
//! A thin binary: argument parsing, progress and printing; the work is done by the library
//! crates. Exit codes: 0 on success, 1 on a user or data error (message on stderr), 2 on a
//! usage error.

mod commands;
mod data_source;
mod feature_args;
mod npy;
mod output;
mod outputs;
mod progress;
mod text;
mod version;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Unsupervised clustering of Fashion-MNIST: data, metrics and every stage of the study.
///
/// Each subcommand that reads the data set takes --data-dir (or $FMNIST_DATA); without it the
/// data set is looked for in ./data/fashion-mnist and /usr/share/datasets/fashion-mnist and
/// downloaded if missing. Subcommands that print results take --json and then print exactly one
/// JSON object on stdout, with human output and progress on stderr; every such object has
/// "schema": "fmnist/v1", the JSON Schema that `fmnist schema` prints.
#[derive(Debug, Parser)]
#[command(name = "fmnist", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Obtain, verify, describe and show the data set.
    #[command(subcommand)]
    Data(commands::data::DataCommand),
    /// Cluster the training split (raw pixels, PCA, autoencoder codes or a UMAP embedding);
    /// score train, validation and test against the classes.
    Cluster(commands::cluster::ClusterArgs),
    /// Embed the images with UMAP (fitted on the training split): .npy, scatter plot,
    /// trustworthiness.
    Embed(commands::embed::EmbedArgs),
    /// PCA of the training split: explained variance and the study's PCA figures.
    Pca(commands::pca::PcaArgs),
    /// Random Forest on the 48,000 training images (pixels, cluster labels or both), scored on
    /// the test set: accuracy, classification report, confusion matrix.
    Classify(commands::classify::ClassifyArgs),
    /// Clustering metrics (AMI, NMI, ARI, V-measure, accuracy, ...) or, with --classification,
    /// the classification report of two label files.
    Metrics(commands::metrics::MetricsArgs),
    /// Train the study's convolutional autoencoder (--summary prints its layers).
    TrainAe(commands::train_ae::TrainAeArgs),
    /// Encode images with a trained autoencoder into a .npy feature matrix.
    Encode(commands::encode::EncodeArgs),
    /// The whole study: PCA, K-Means, autoencoder, GMM, forests; results.json, REPORT.md and
    /// figures in --out (what `cargo xtask reproduce` runs).
    Reproduce(commands::reproduce::ReproduceArgs),
    /// Write REPORT.md and print the summary table from a results.json.
    Report(commands::report::ReportArgs),
    /// List the named pipelines that fit and cluster --pipeline take.
    Pipelines(commands::pipelines::PipelinesArgs),
    /// Fit a named pipeline to the training split and save it (--out) for `fmnist predict`.
    Fit(commands::fit::FitArgs),
    /// Label new images (IDX, .npy or a folder of PNGs) with a model saved by `fmnist fit`.
    Predict(commands::predict::PredictArgs),
    /// Print the JSON Schema (fmnist/v1) of results.json and of every --json output.
    Schema(commands::schema::SchemaArgs),
    /// Print the completion script for bash, zsh, fish, elvish or powershell on stdout.
    Completions(commands::completions::CompletionsArgs),
    /// Write the manual pages (roff), fmnist.1 and one per subcommand, into a directory
    /// (what `cargo xtask man` runs).
    Man(commands::man::ManArgs),
}

fn main() -> ExitCode {
    // `--version` (the long form) also names the compiler, the CPU and the chosen kernels.
    let long_version: &'static str = Box::leak(version::long_version().into_boxed_str());
    let matches = Cli::command().long_version(long_version).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let result = match cli.command {
        Command::Data(command) => commands::data::run(command),
        Command::Classify(args) => commands::classify::run(args),
        Command::Cluster(args) => commands::cluster::run(args),
        Command::Embed(args) => commands::embed::run(args),
        Command::Pca(args) => commands::pca::run(args),
        Command::Metrics(args) => commands::metrics::run(args),
        Command::TrainAe(args) => commands::train_ae::run(args),
        Command::Encode(args) => commands::encode::run(args),
        Command::Reproduce(args) => commands::reproduce::run(args),
        Command::Report(args) => commands::report::run(args),
        Command::Pipelines(args) => commands::pipelines::run(args),
        Command::Fit(args) => commands::fit::run(args),
        Command::Predict(args) => commands::predict::run(args),
        Command::Schema(args) => commands::schema::run(args),
        Command::Completions(args) => commands::completions::run(args, Cli::command()),
        Command::Man(args) => commands::man::run(args, Cli::command()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
