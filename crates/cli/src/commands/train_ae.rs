//! `fmnist train-ae`: train the study's convolutional autoencoder on the training split.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use fmnist_autoencoder::{
    ActivationOrder, Architecture, Autoencoder, Device, Precision, Progress, TrainParams,
};
use fmnist_io::{FashionMnist, StratifiedSplit};
use fmnist_pipeline::schema::SchemaTag;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nalgebra::DMatrix;
use schemars::JsonSchema;
use serde::Serialize;

use super::device::DeviceArg;
use crate::data_source::DataSourceArgs;
use crate::output::print_json;

#[derive(Debug, Args)]
pub struct TrainAeArgs {
    #[command(flatten)]
    source: DataSourceArgs,
    /// Passes over the 48,000 training images.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Images per optimisation step.
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Output channels of the encoder's blocks, comma-separated: one block per value, each
    /// halving the image (the last value is the bottleneck's depth), e.g. `--encoder 64,32
    /// --decoder 32,64` for a network twice as wide as the paper's. A third block needs images
    /// divisible by 8 (28x28 Fashion-MNIST is not).
    #[arg(long, value_delimiter = ',', default_values_t = [32usize, 16], value_name = "C,C,..")]
    encoder: Vec<usize>,
    /// Output channels of the decoder's blocks, comma-separated: as many as the encoder's, each
    /// doubling the image.
    #[arg(long, value_delimiter = ',', default_values_t = [16usize, 32], value_name = "C,C,..")]
    decoder: Vec<usize>,
    /// Dropout rate after every pooling and upsampling layer.
    #[arg(long, default_value_t = 0.25)]
    dropout: f32,
    /// Where each block's ReLU sits: inside the convolution, before BatchNorm (the paper's Keras
    /// model), or after BatchNorm.
    #[arg(long, value_enum, default_value_t = Order::ReluThenBatchNorm)]
    activation_order: Order,
    /// Train as a denoising autoencoder: each training input pixel is set to 0 with this
    /// probability at every step, and the network learns to reconstruct the clean image (0: the
    /// paper's plain autoencoder). Validation and encoding use clean images.
    #[arg(long, default_value_t = 0.0, value_name = "RATE")]
    denoise: f32,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 1e-3)]
    learning_rate: f64,
    /// Seed of the initial weights, the shuffling and the dropout masks.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Stop when the validation loss has not improved for this many epochs.
    #[arg(long, value_name = "EPOCHS")]
    patience: Option<usize>,
    /// Train on the first N images of the training split only (quick runs).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Where to save the weights; the configuration goes beside them, named with `.json`
    /// appended (model.safetensors → model.safetensors.json).
    #[arg(long, default_value = "model.safetensors")]
    out: PathBuf,
    /// Where to train.
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
    /// The arithmetic of the CPU engine's convolution products in training [default: bf16
    /// where the CPU has AVX-512 BF16, else f32].
    #[arg(long, value_enum)]
    precision: Option<PrecisionArg>,
    /// Print the network's Keras-like summary for 28 x 28 images and exit (training sizes the
    /// network to the data set's images).
    #[arg(long)]
    summary: bool,
    /// Print one JSON object on stdout (losses, seconds, model path).
    #[arg(long)]
    json: bool,
}

/// What `fmnist train-ae --json` prints: the names of results.json's `autoencoder`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TrainingResult {
    schema: SchemaTag,
    /// Epochs trained.
    epochs: usize,
    /// Parameters, BatchNorm running statistics included.
    params: usize,
    /// Mean training loss (per-pixel MSE) of each epoch.
    train_loss: Vec<f32>,
    /// Validation loss after each epoch.
    validation_loss: Vec<f32>,
    /// Wall time of each epoch.
    epoch_seconds: Vec<f64>,
    /// Images trained on.
    train: usize,
    /// Images validated on.
    validation: usize,
    /// Probability of dropping each input pixel (0: a plain autoencoder).
    denoise: f32,
    /// Wall time of the training, not counting loading.
    seconds: f64,
    /// The weights written.
    model: PathBuf,
}

/// [`ActivationOrder`] on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Order {
    /// Conv2D(activation='relu') + BatchNormalization, as Keras.
    ReluThenBatchNorm,
    /// Conv2D + BatchNormalization + ReLU.
    BatchNormThenRelu,
}

/// [`Precision`] on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PrecisionArg {
    /// f32 products and sums throughout.
    F32,
    /// bf16 products with f32 sums in the training step's convolutions: twice the
    /// multiply-adds per instruction (BatchNorm, the loss, Adam and evaluation stay in f32).
    Bf16,
}

impl From<PrecisionArg> for Precision {
    fn from(precision: PrecisionArg) -> Self {
        match precision {
            PrecisionArg::F32 => Self::F32,
            PrecisionArg::Bf16 => Self::Bf16,
        }
    }
}

impl From<Order> for ActivationOrder {
    fn from(order: Order) -> Self {
        match order {
            Order::ReluThenBatchNorm => Self::ReluThenBatchNorm,
            Order::BatchNormThenRelu => Self::BatchNormThenRelu,
        }
    }
}

pub fn run(args: TrainAeArgs) -> Result<()> {
    let arch = architecture(&args)?;
    if args.summary {
        print!("{}", arch.summary());
        return Ok(());
    }
    let device = args.device.open()?;
    // The parameters and the outputs are checked before the data set is loaded.
    params(&args, arch.clone(), device.clone()).check()?;
    let config = Autoencoder::config_path(&args.out);
    let outputs = [
        ("--out", args.out.as_path()),
        ("its configuration", config.as_path()),
    ];
    let (data, _) = args.source.load_for(&outputs, &[])?;
    // The network takes the data set's image size (28 x 28 for Fashion-MNIST).
    let arch = arch.image_size(data.train.rows(), data.train.cols());
    arch.validate()?;
    let (train, validation) = training_data(&data, args.limit)?;
    eprintln!(
        "training on {} images, validating on {} ({} epochs, batch {})",
        train.nrows(),
        validation.nrows(),
        args.epochs,
        args.batch
    );
    let start = Instant::now();
    let model = train_with_progress(&args, arch, device, &train, &validation)?;
    let seconds = start.elapsed().as_secs_f64();
    model
        .save(&args.out)
        .with_context(|| format!("saving the model to {}", args.out.display()))?;
    eprintln!("saved {} ({seconds:.1} s)", args.out.display());
    if args.json {
        let history = model.history();
        let (trainable, running) = model.parameter_counts();
        print_json(&TrainingResult {
            schema: SchemaTag,
            epochs: history.train_loss.len(),
            params: trainable + running,
            train_loss: history.train_loss.clone(),
            validation_loss: history.validation_loss.clone(),
            epoch_seconds: history.seconds.clone(),
            train: train.nrows(),
            validation: validation.nrows(),
            denoise: args.denoise,
            seconds,
            model: args.out.clone(),
        })?;
    }
    Ok(())
}

/// The network the arguments describe, checked (for 28 x 28 images until the data set gives
/// the size).
fn architecture(args: &TrainAeArgs) -> Result<Architecture> {
    let arch = Architecture::paper()
        .widths(args.encoder.clone(), args.decoder.clone())
        .dropout(args.dropout)
        .activation_order(args.activation_order.into());
    arch.validate()?;
    Ok(arch)
}

/// The training parameters the arguments describe.
fn params(args: &TrainAeArgs, arch: Architecture, device: Device) -> TrainParams {
    let params = Autoencoder::params(arch);
    let params = match args.precision {
        Some(precision) => params.precision(precision.into()),
        None => params,
    };
    params
        .epochs(args.epochs)
        .batch_size(args.batch)
        .learning_rate(args.learning_rate)
        .seed(args.seed)
        .early_stopping(args.patience)
        .denoising(args.denoise)
        .device(device)
}

/// The pixels of the study's training split (its first `limit` images, if given) and of its
/// validation split.
fn training_data(
    data: &FashionMnist,
    limit: Option<usize>,
) -> Result<(DMatrix<f32>, DMatrix<f32>)> {
    let split = StratifiedSplit::new().split(data.train.labels())?;
    let mut train_rows = split.train;
    if let Some(limit) = limit {
        train_rows.truncate(limit.max(1));
    }
    Ok((
        data.train.features(&train_rows)?,
        data.train.features(&split.validation)?,
    ))
}

/// Trains `arch` on `train` as the arguments say, validating on `validation`, with a bar of
/// each epoch's steps and a line per epoch on stderr.
fn train_with_progress(
    args: &TrainAeArgs,
    arch: Architecture,
    device: Device,
    train: &DMatrix<f32>,
    validation: &DMatrix<f32>,
) -> Result<Autoencoder> {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("epoch {prefix} {wide_bar} {pos}/{len} {msg}")
            .expect("the template is valid"),
    );
    let model = params(args, arch, device).fit_with(train, Some(validation), &mut |event| match *event {
            Progress::Step {
                epoch,
                epochs,
                step,
                steps,
                loss,
                images_per_second,
            } => {
                bar.set_prefix(format!("{epoch}/{epochs}"));
                bar.set_length(steps as u64);
                bar.set_position(step as u64);
                bar.set_message(format!("loss {loss:.5}, {images_per_second:.0} images/s"));
            }
            Progress::Epoch {
                epoch,
                epochs,
                train_loss,
                validation_loss,
                seconds,
            } => {
                bar.suspend(|| {
                    eprintln!(
                        "epoch {epoch}/{epochs}: loss {train_loss:.5}, validation loss {:.5}, {seconds:.1} s",
                        validation_loss.unwrap_or(f32::NAN)
                    )
                });
            }
        })?;
    bar.finish_and_clear();
    Ok(model)
}
