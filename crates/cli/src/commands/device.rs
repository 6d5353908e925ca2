//! The `--device cpu|cuda|metal` argument of the autoencoder subcommands.
//!
//! The GPU backends are cargo features of `fmnist-cli` (`cuda`, `metal`, passed on to the
//! autoencoder's candle); a device that was not compiled in is a one-line error that says how
//! to rebuild, before any data is loaded.

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use fmnist_autoencoder::Device;

/// Where the autoencoder's tensors live.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DeviceArg {
    /// The CPU, with the crate's fast custom kernels.
    Cpu,
    /// The first NVIDIA GPU (a build with `--features cuda`).
    Cuda,
    /// The first Apple GPU (a build with `--features metal`).
    Metal,
}

impl DeviceArg {
    /// Opens the device.
    ///
    /// # Errors
    /// A GPU this binary was built without (naming the feature to rebuild with), or one that
    /// cannot be opened (no such device, a driver error).
    pub fn open(self) -> Result<Device> {
        match self {
            Self::Cpu => Ok(Device::Cpu),
            Self::Cuda if !cfg!(feature = "cuda") => bail!(not_compiled_in("CUDA", "cuda")),
            Self::Metal if !cfg!(feature = "metal") => bail!(not_compiled_in("Metal", "metal")),
            Self::Cuda => Device::new_cuda(0).context("cannot open the first CUDA device"),
            Self::Metal => Device::new_metal(0).context("cannot open the first Metal device"),
        }
    }
}

/// The error for a device whose backend `feature` this binary was built without.
fn not_compiled_in(backend: &str, feature: &str) -> String {
    format!(
        "--device {feature}: this fmnist was built without {backend} support; rebuild it with \
         `cargo install fmnist-cli --features {feature}` (or `cargo build --release -p \
         fmnist-cli --features {feature}` in the workspace)"
    )
}
