//! `fmnist schema`: the JSON Schema (`fmnist/v1`) of results.json and of every `--json`
//! output, derived from the types that print them; the repository commits it as
//! `schema/fmnist-v1.schema.json`.

use anyhow::Result;
use clap::Args;
use fmnist_pipeline::schema::Document;

use super::{
    data::DataInfo, embed::EmbeddingResult, encode::EncodingResult, metrics, pca::PcaResult,
    pipelines::PipelineListing, predict::Prediction, train_ae::TrainingResult,
};

#[derive(Debug, Args)]
pub struct SchemaArgs {}

/// The schema document: the pipeline's outputs (results.json, `cluster` and `fit`, `classify`)
/// and the other subcommands'.
pub fn document() -> serde_json::Value {
    Document::default()
        .output::<DataInfo<'static>>()
        .output::<PipelineListing>()
        .output::<PcaResult>()
        .output::<EmbeddingResult>()
        .output::<TrainingResult>()
        .output::<EncodingResult>()
        .output::<Prediction>()
        .output::<metrics::ClusteringMetrics>()
        .output::<metrics::ClassificationMetrics<'static>>()
        .finish()
}

pub fn run(_: SchemaArgs) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(&document())?);
    Ok(())
}
