//! `fmnist pipelines`: the named pipelines that `fmnist fit` and `fmnist cluster --pipeline`
//! take, one line each.

use anyhow::Result;
use clap::Args;
use fmnist_pipeline::schema::SchemaTag;
use fmnist_pipeline::{BEST, PIPELINES};
use schemars::JsonSchema;
use serde::Serialize;

use crate::output::print_result;

#[derive(Debug, Args)]
pub struct PipelinesArgs {
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

/// One pipeline, as `--json` prints it.
#[derive(Debug, Serialize, JsonSchema)]
struct Listed {
    /// What `fmnist fit --pipeline` takes.
    name: &'static str,
    /// The features and the clustering, in words.
    description: &'static str,
    /// Whether fitting it trains an autoencoder (minutes, not seconds).
    trains_autoencoder: bool,
}

/// What `fmnist pipelines --json` prints.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PipelineListing {
    schema: SchemaTag,
    /// The pipeline that `best` names.
    best: &'static str,
    /// Every named pipeline.
    pipelines: Vec<Listed>,
}

pub fn run(args: PipelinesArgs) -> Result<()> {
    let listing = PipelineListing {
        schema: SchemaTag,
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
