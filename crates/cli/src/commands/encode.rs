//! `fmnist encode`: the bottleneck features of a trained autoencoder, as a `.npy` file.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use fmnist_autoencoder::Autoencoder;
use fmnist_pipeline::schema::SchemaTag;
use schemars::JsonSchema;
use serde::Serialize;

use super::device::DeviceArg;
use crate::data_source::DataSourceArgs;
use crate::npy::write_npy;
use crate::output::print_json;
use crate::progress::StudyProgress;

#[derive(Debug, Args)]
pub struct EncodeArgs {
    #[command(flatten)]
    source: DataSourceArgs,
    /// The weights written by `fmnist train-ae` (its configuration beside it, the same name
    /// with `.json` appended).
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// Where to write the features: a float32 array of shape (images, bottleneck) for numpy.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Which images to encode.
    #[arg(long, value_enum, default_value_t = Part::Train)]
    split: Part,
    /// Where to run.
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

/// What `fmnist encode --json` prints.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EncodingResult {
    schema: SchemaTag,
    /// Images encoded.
    n_samples: usize,
    /// Features of each image (the bottleneck's size).
    n_features: usize,
    /// Seconds to encode, not counting loading.
    seconds: f64,
    /// The `.npy` file written.
    out: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Part {
    /// All 60,000 training images, in file order.
    Train,
    /// The 10,000 test images.
    Test,
}

pub fn run(args: EncodeArgs) -> Result<()> {
    let device = args.device.open()?;
    let config = Autoencoder::config_path(&args.model);
    let model = Autoencoder::load(&args.model, &device)?;
    let outputs = [("--out", args.out.as_path())];
    let (data, _) = args.source.load_for(&outputs, &[&args.model, &config])?;
    let set = match args.split {
        Part::Train => &data.train,
        Part::Test => &data.test,
    };
    model.check_image_size(set.rows(), set.cols())?;
    let indices: Vec<usize> = (0..set.len()).collect();
    let x = set.features(&indices)?;
    let start = Instant::now();
    let features = StudyProgress::bars_only().stage("encoding", |_| Ok(model.encode(&x)?))?;
    let seconds = start.elapsed().as_secs_f64();
    write_npy(&args.out, &features).context("saving the features")?;
    eprintln!(
        "encoded {} images into {} features each in {seconds:.2} s: {}",
        features.nrows(),
        features.ncols(),
        args.out.display()
    );
    if args.json {
        print_json(&EncodingResult {
            schema: SchemaTag,
            n_samples: features.nrows(),
            n_features: features.ncols(),
            seconds,
            out: args.out.clone(),
        })?;
    }
    Ok(())
}
