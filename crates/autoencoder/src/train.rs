//! Training parameters, the training loop, its progress events and loss history.

use std::time::Instant;

use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use fmnist_core::Fit;
use nalgebra::DMatrix;
use rand::seq::SliceRandom;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::autoencoder::{Autoencoder, Images};
use crate::config::Architecture;
use crate::cpu::Engine;
use crate::dropout::InputMasking;
use crate::error::{AutoencoderError, Result};
use crate::kernels::{Kernels, Precision};
use crate::model::{Mode, Network};

/// Losses per epoch, as Keras's `History`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Mean training loss (per-pixel MSE, dropout active) of each epoch.
    pub train_loss: Vec<f32>,
    /// Validation loss (per-pixel MSE, evaluation mode) after each epoch; empty without
    /// validation data.
    pub validation_loss: Vec<f32>,
    /// Wall-clock seconds of each epoch (training and validation).
    pub seconds: Vec<f64>,
}

/// What the training loop reports through the progress callback.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// After each optimisation step.
    Step {
        /// Epoch, from 1.
        epoch: usize,
        /// Total epochs.
        epochs: usize,
        /// Step within the epoch, from 1.
        step: usize,
        /// Steps per epoch.
        steps: usize,
        /// This batch's loss.
        loss: f32,
        /// Training images per second so far in this epoch.
        images_per_second: f64,
    },
    /// After each epoch (and its validation).
    Epoch {
        /// Epoch, from 1.
        epoch: usize,
        /// Total epochs.
        epochs: usize,
        /// Mean training loss of the epoch.
        train_loss: f32,
        /// Validation loss, when validation data were given.
        validation_loss: Option<f32>,
        /// Seconds the epoch took.
        seconds: f64,
    },
}

/// How to train an [`Autoencoder`]; build with [`Autoencoder::params`].
#[derive(Debug, Clone)]
pub struct TrainParams {
    architecture: Architecture,
    epochs: usize,
    batch_size: usize,
    learning_rate: f64,
    seed: u64,
    patience: Option<usize>,
    masking: f32,
    device: Device,
    kernels: Option<Kernels>,
    precision: Option<Precision>,
}

impl TrainParams {
    pub(crate) fn new(architecture: Architecture) -> Self {
        Self {
            architecture,
            epochs: 10,
            batch_size: 128,
            learning_rate: 1e-3,
            seed: 0,
            patience: None,
            masking: 0.0,
            device: Device::Cpu,
            kernels: None,
            precision: None,
        }
    }

    /// Passes over the training data. Default 10.
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Images per optimisation step. Default 128.
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Adam's learning rate (AdamW with weight decay 0, betas 0.9 / 0.999, epsilon 1e-7 as
    /// Keras). Default 1e-3.
    pub fn learning_rate(mut self, learning_rate: f64) -> Self {
        self.learning_rate = learning_rate;
        self
    }

    /// Seed of the initial weights, the shuffling and the dropout masks. Default 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Stop when the validation loss has not improved for `patience` epochs (the last weights
    /// are kept, as Keras's default). Default `None`: run every epoch.
    pub fn early_stopping(mut self, patience: Option<usize>) -> Self {
        self.patience = patience;
        self
    }

    /// A denoising objective: each training input pixel is set to 0 with probability `rate`
    /// (masking noise, drawn afresh at every step from the seed), and the loss compares the
    /// reconstruction with the clean image. The network is unchanged and so are encoding and
    /// the validation loss (clean inputs). Default 0: the study's plain reconstruction.
    pub fn denoising(mut self, rate: f32) -> Self {
        self.masking = rate;
        self
    }

    /// Where tensors live. Default `Device::Cpu`.
    pub fn device(mut self, device: Device) -> Self {
        self.device = device;
        self
    }

    /// Which implementation trains the network. Default: [`Kernels::for_device`] (the CPU
    /// engine on the CPU).
    pub fn kernels(mut self, kernels: Kernels) -> Self {
        self.kernels = Some(kernels);
        self
    }

    /// The arithmetic of the CPU engine's convolution products in training. Default:
    /// [`Precision::for_cpu`]
    /// (bf16 products where the CPU has AVX-512 BF16).
    pub fn precision(mut self, precision: Precision) -> Self {
        self.precision = Some(precision);
        self
    }

    /// The architecture being trained.
    pub fn architecture(&self) -> &Architecture {
        &self.architecture
    }

    /// Checks the parameters alone, before any data is touched: a valid architecture, at
    /// least one epoch and one image per batch, a positive finite learning rate, a masking
    /// rate in `[0, 1)`, the custom kernels only on the CPU, and a precision this CPU runs.
    /// [`TrainParams::fit`] runs it first.
    ///
    /// # Errors
    /// [`AutoencoderError::Architecture`] or [`AutoencoderError::Parameter`] naming the value.
    pub fn check(&self) -> Result<()> {
        self.architecture.validate()?;
        if self.epochs == 0 || self.batch_size == 0 {
            return Err(AutoencoderError::Parameter(format!(
                "epochs ({}) and batch size ({}) must be positive",
                self.epochs, self.batch_size
            )));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(AutoencoderError::Parameter(format!(
                "learning rate {} must be positive",
                self.learning_rate
            )));
        }
        if !(0.0..1.0).contains(&self.masking) {
            return Err(AutoencoderError::Parameter(format!(
                "denoising masking rate {} is not in [0, 1)",
                self.masking
            )));
        }
        if self.resolved_kernels() == Kernels::Custom && !self.device.is_cpu() {
            return Err(AutoencoderError::Parameter(
                "the custom kernels run on the CPU only".into(),
            ));
        }
        if let Some(precision) = self.precision.filter(|p| !p.is_available()) {
            return Err(AutoencoderError::Parameter(format!(
                "{} convolution products need a CPU with AVX-512 BF16",
                precision.name()
            )));
        }
        Ok(())
    }

    /// The kernels asked for, or the device's default.
    fn resolved_kernels(&self) -> Kernels {
        self.kernels
            .unwrap_or_else(|| Kernels::for_device(&self.device))
    }

    /// Trains on `train` (one row per image, `c·h·w` values in `[0, 1]`) without validation or
    /// progress reports.
    ///
    /// # Errors
    /// As [`TrainParams::fit_with`].
    pub fn fit(&self, train: &DMatrix<f32>) -> Result<Autoencoder> {
        self.fit_with(train, None, &mut |_| {})
    }

    /// Trains on `train`, computing the validation loss after every epoch when `validation` is
    /// given, and reporting through `progress`.
    ///
    /// # Errors
    /// Those of [`TrainParams::check`]; [`AutoencoderError::Parameter`] for early stopping
    /// without validation data; [`AutoencoderError::Input`] for images that do not fit the
    /// architecture (none, another width, a non-finite value); [`AutoencoderError::Candle`]
    /// when a tensor operation fails.
    pub fn fit_with(
        &self,
        train: &DMatrix<f32>,
        validation: Option<&DMatrix<f32>>,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Autoencoder> {
        self.check()?;
        if self.patience.is_some() && validation.is_none() {
            return Err(AutoencoderError::Parameter(
                "early stopping needs validation data".into(),
            ));
        }
        let mut run = Run::new(self)?;
        let train = Images::new(train, &self.architecture)?;
        let validation = validation
            .map(|v| Images::new(v, &self.architecture))
            .transpose()?;
        let mut history = History::default();
        let mut order: Vec<usize> = (0..train.len()).collect();
        let mut stopping = EarlyStopping::new(self.patience);
        for epoch in 1..=self.epochs {
            let start = Instant::now();
            let train_loss = run.epoch(epoch, &train, &mut order, start, progress)?;
            let validation_loss = validation
                .as_ref()
                .map(|v| run.validation_loss(v))
                .transpose()?;
            let seconds = start.elapsed().as_secs_f64();
            history.train_loss.push(train_loss);
            history.validation_loss.extend(validation_loss);
            history.seconds.push(seconds);
            progress(&Progress::Epoch {
                epoch,
                epochs: self.epochs,
                train_loss,
                validation_loss,
                seconds,
            });
            if stopping.stops_after(validation_loss) {
                break;
            }
        }
        run.into_model(history)
    }
}

/// The estimator contract: [`TrainParams::fit`] (no validation, no progress reports).
impl Fit<DMatrix<f32>> for TrainParams {
    type Fitted = Autoencoder;
    type Error = AutoencoderError;

    fn fit(&self, train: &DMatrix<f32>) -> Result<Autoencoder> {
        TrainParams::fit(self, train)
    }
}

/// One training run: the network, what updates its weights, and the two random streams of the
/// seed (stream 1 shuffles the images every epoch, stream 2 gives every step its seed for the
/// dropout and masking noise).
struct Run<'a> {
    params: &'a TrainParams,
    network: Network,
    backend: Backend,
    shuffle_rng: ChaCha8Rng,
    step_rng: ChaCha8Rng,
}

/// What updates the weights: the CPU engine (weights copied back at the end), or candle's
/// autograd and AdamW on the network's own tensors.
enum Backend {
    Engine(Box<Engine>),
    Candle(AdamW),
}

impl<'a> Run<'a> {
    /// A freshly initialised network (weights from the seed) and its optimiser.
    fn new(params: &'a TrainParams) -> Result<Self> {
        let arch = &params.architecture;
        let kernels = params.resolved_kernels();
        let network = Network::new(arch, &params.device, kernels, params.seed)?;
        let backend = match kernels {
            Kernels::Custom => {
                let (weights, running) = network.flat()?;
                let precision = params.precision.unwrap_or_else(Precision::for_cpu);
                let engine = Engine::new(arch, weights, running, precision);
                Backend::Engine(Box::new(engine))
            }
            Kernels::Reference => Backend::Candle(AdamW::new(
                network.trainable_vars(),
                ParamsAdamW {
                    lr: params.learning_rate,
                    beta1: 0.9,
                    beta2: 0.999,
                    eps: 1e-7,
                    weight_decay: 0.0,
                },
            )?),
        };
        let stream = |n| {
            let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
            rng.set_stream(n);
            rng
        };
        Ok(Self {
            params,
            network,
            backend,
            shuffle_rng: stream(1),
            step_rng: stream(2),
        })
    }

    /// One pass over `train` in a fresh shuffle of `order`, reporting every step; returns the
    /// mean training loss.
    fn epoch(
        &mut self,
        epoch: usize,
        train: &Images,
        order: &mut [usize],
        start: Instant,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<f32> {
        let batch_size = self.params.batch_size;
        order.shuffle(&mut self.shuffle_rng);
        let steps = train.len().div_ceil(batch_size);
        let mut total = 0f64;
        for (step, batch) in order.chunks(batch_size).enumerate() {
            let loss = self.step(train, batch)?;
            total += loss as f64 * batch.len() as f64;
            let done = (step * batch_size + batch.len()) as f64;
            progress(&Progress::Step {
                epoch,
                epochs: self.params.epochs,
                step: step + 1,
                steps,
                loss,
                images_per_second: done / start.elapsed().as_secs_f64().max(1e-9),
            });
        }
        Ok((total / train.len() as f64) as f32)
    }

    /// One optimisation step on the images at `batch`; returns the batch's loss.
    fn step(&mut self, train: &Images, batch: &[usize]) -> Result<f32> {
        let step_seed = self.step_rng.next_u64();
        let masking = InputMasking::new(self.params.masking, step_seed);
        match &mut self.backend {
            Backend::Engine(engine) => Ok(engine.train_step(
                batch.iter().map(|&i| train.image(i)),
                step_seed,
                self.params.learning_rate,
                masking,
            )),
            Backend::Candle(optimizer) => {
                let x = train.batch(batch, &self.params.device)?;
                let input = match masking {
                    Some(masking) => {
                        let mut mask = vec![1f32; x.elem_count()];
                        masking.apply(0, &mut mask);
                        (&x * Tensor::from_vec(mask, x.shape(), x.device())?)?
                    }
                    None => x.clone(),
                };
                let y = self.network.forward(&input, Mode::Train { step_seed })?;
                let loss = (y - &x)?.sqr()?.mean_all()?;
                optimizer.backward_step(&loss)?;
                Ok(loss.to_scalar::<f32>()?)
            }
        }
    }

    /// Per-pixel mean squared reconstruction error of `images` in evaluation mode.
    fn validation_loss(&mut self, images: &Images) -> Result<f32> {
        match &mut self.backend {
            Backend::Engine(engine) => Ok(engine_mse(engine, images)),
            Backend::Candle(_) => mean_squared_error(&self.network, images),
        }
    }

    /// The trained model (the engine's weights copied back into the network).
    fn into_model(self, history: History) -> Result<Autoencoder> {
        if let Backend::Engine(engine) = &self.backend {
            self.network.set_flat(engine.params(), engine.running())?;
        }
        Ok(Autoencoder::from_parts(self.network, history))
    }
}

/// Stops training when the validation loss has not improved for `patience` epochs.
struct EarlyStopping {
    patience: Option<usize>,
    best: f32,
    since_best: usize,
}

impl EarlyStopping {
    fn new(patience: Option<usize>) -> Self {
        Self {
            patience,
            best: f32::INFINITY,
            since_best: 0,
        }
    }

    /// Records an epoch's validation loss; `true` when training should stop.
    fn stops_after(&mut self, validation_loss: Option<f32>) -> bool {
        let (Some(patience), Some(loss)) = (self.patience, validation_loss) else {
            return false;
        };
        if loss < self.best {
            (self.best, self.since_best) = (loss, 0);
            return false;
        }
        self.since_best += 1;
        self.since_best >= patience
    }
}

/// Per-pixel mean squared reconstruction error in evaluation mode, on the CPU engine.
pub(crate) fn engine_mse(engine: &mut Engine, images: &Images) -> f32 {
    let total: f64 = images
        .eval_batches()
        .map(|batch| engine.squared_error(batch.map(|i| images.image(i))))
        .sum();
    (total / (images.len() * images.pixels()) as f64) as f32
}

/// Per-pixel mean squared reconstruction error in evaluation mode.
pub(crate) fn mean_squared_error(network: &Network, images: &Images) -> Result<f32> {
    let mut total = 0f64;
    for batch in images.eval_batches() {
        let batch: Vec<usize> = batch.collect();
        let x = images.batch(&batch, network.device())?;
        let y = network.forward(&x, Mode::Eval)?;
        total += (y - &x)?.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
    }
    Ok((total / (images.len() * images.pixels()) as f64) as f32)
}
