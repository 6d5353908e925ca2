//! `fmnist pipelines`: the named pipelines that `fmnist fit` and `fmnist cluster --pipeline`
//! take, one line each.

use anyhow::Result;
use clap::Args;
use fmnist_pipeline::{BEST, PIPELINES};
use serde::Serialize;

use crate::output::print_result;

#[derive(Debug, Args)]
pub struct PipelinesArgs {
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

/// One pipeline, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Listed {
    name: &'static str,
    description: &'static str,
    trains_autoencoder: bool,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Listing {
    best: &'static str,
    pipelines: Vec<Listed>,
}

pub fn run(args: PipelinesArgs) -> Result<()> {
    let listing = Listing {
        best: BEST,
        pipelines: PIPELINES
            .iter()
            .map(|p| Listed {
                name: p.name,
                description: p.description,
                trains_autoencoder: p.trains_autoencoder(),
            })
            .collect(),
    };
    let mut table = String::new();
    for p in &listing.pipelines {
        table += &format!("{:<18} {}\n", p.name, p.description);
    }
    table += &format!("{:<18} the best of these: {BEST}\n", "best");
    print_result(args.json, &table, &listing)
}
