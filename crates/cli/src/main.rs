//! `fmnist`: every stage of the fmnist-cluster study from the command line.
//!
//! A thin binary: argument parsing, progress and printing; the work is done by the library
//! crates. Exit codes: 0 on success, 1 on a user or data error (message on stderr), 2 on a
//! usage error.

mod commands;
mod data_source;
mod npy;
mod progress;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Unsupervised clustering of Fashion-MNIST: data, metrics and every stage of the study.
///
/// Each subcommand that reads the data set takes --data-dir (or $FMNIST_DATA); without it the
/// data set is looked for in ./data/fashion-mnist and /usr/share/datasets/fashion-mnist and
/// downloaded if missing. Subcommands that print results take --json and then print exactly one
/// JSON object on stdout, with human output and progress on stderr.
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
    /// Clustering metrics (AMI, NMI, ARI, V-measure, accuracy, ...) or, with --classification,
    /// the classification report of two label files.
    Metrics(commands::metrics::MetricsArgs),
    /// Train the study's convolutional autoencoder (--summary prints its layers).
    TrainAe(commands::train_ae::TrainAeArgs),
    /// Encode images with a trained autoencoder into a .npy feature matrix.
    Encode(commands::encode::EncodeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Data(command) => commands::data::run(command),
        Command::Metrics(args) => commands::metrics::run(args),
        Command::TrainAe(args) => commands::train_ae::run(args),
        Command::Encode(args) => commands::encode::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
