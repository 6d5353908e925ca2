//! The fmnist-cluster study's convolutional autoencoder, on candle, with fast CPU kernels.
//!
//! - [`Architecture`]: the network as a plain configuration (the study's by default: 12,385
//!   trainable parameters + 192 BatchNorm running statistics, a 7 x 7 x 16 = 784-value
//!   bottleneck), with a Keras-like [`Architecture::summary`].
//! - [`Autoencoder::params`] -> [`TrainParams`]: Adam (learning rate 1e-3), MSE, batch 128,
//!   seeded shuffling and dropout, validation loss per epoch, optional early stopping, progress
//!   callback, [`History`]; [`TrainParams::check`] validates the parameters before any data is
//!   touched, and `TrainParams` implements [`fmnist_core::Fit`].
//! - [`Autoencoder`]: [`encode`](Autoencoder::encode) (flattened bottleneck),
//!   [`reconstruct`](Autoencoder::reconstruct), [`save`](Autoencoder::save) /
//!   [`load`](Autoencoder::load) (safetensors + a JSON configuration whose `format` field,
//!   `fmnist-autoencoder/1`, is checked on load); [`fmnist_core::Transform`] is `encode`.
//!
//! On the CPU the network trains and runs on this crate's engine ([`Kernels::Custom`]): the
//! forward and backward passes written out by hand over preallocated buffers (register-tiled
//! convolution kernels reading the padded planes directly, for AVX-512, AVX2 + FMA or portable
//! code as [`instruction_set`] says; in training, the convolutions' products in bf16 with `f32`
//! sums where the CPU has AVX-512 BF16, see [`Precision`]; BatchNorm + ReLU fused with pooling or
//! upsampling and dropout; Adam in place), parallel over the images of a batch. On GPUs
//! (`cuda` / `metal` features) candle's stock ops and autograd run ([`Kernels::Reference`]); both
//! use the same weight layout and dropout masks. Results are identical on any number of threads
//! for a given seed.
//!
//! ```
//! use fmnist_autoencoder::{Architecture, Autoencoder};
//! use nalgebra::DMatrix;
//!
//! // A small network on 8 x 8 images, one epoch on 32 random images.
//! let arch = Architecture::paper().image_size(8, 8).widths(vec![4, 2], vec![2, 4]);
//! let x = DMatrix::from_fn(32, 64, |i, j| ((i * 7 + j * 3) % 11) as f32 / 10.0);
//! let model = Autoencoder::params(arch).epochs(1).batch_size(16).seed(0).fit(&x)?;
//! let codes = model.encode(&x)?;
//! assert_eq!(codes.shape(), (32, 2 * 2 * 2));
//! assert_eq!(model.reconstruct(&x)?.shape(), (32, 64));
//! # Ok::<(), fmnist_autoencoder::AutoencoderError>(())
//! ```

mod autoencoder;
mod config;
mod cpu;
mod dropout;
mod error;
mod kernels;
mod model;
mod reference;
mod train;

pub use autoencoder::{Autoencoder, AutoencoderState};
pub use candle_core::Device;
pub use config::{ActivationOrder, Architecture, Layer, LayerKind, MAX_VALUES};
pub use error::{AutoencoderError, Result};
pub use kernels::{Kernels, Precision};
pub use train::{History, Progress, TrainParams};

/// The instruction set the CPU engine's kernels run on, chosen at run time for this CPU:
/// `"avx512f"`, `"avx2+fma"` or `"baseline"` (the names of
/// `fmnist_core::simd::best_instruction_set`).
pub fn instruction_set() -> &'static str {
    cpu::Isa::detect().name()
}
