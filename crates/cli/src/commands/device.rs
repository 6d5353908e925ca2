//! The `--device cpu|cuda|metal` argument of the autoencoder subcommands.

use anyhow::{Context, Result};
use clap::ValueEnum;
use fmnist_autoencoder::Device;

/// Where the autoencoder's tensors live.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DeviceArg {
    /// The CPU, with the crate's fast custom kernels.
    Cpu,
    /// The first NVIDIA GPU (needs the `cuda` feature).
    Cuda,
    /// The first Apple GPU (needs the `metal` feature).
    Metal,
}

impl DeviceArg {
    /// Opens the device.
    pub fn open(self) -> Result<Device> {
        match self {
            Self::Cpu => Ok(Device::Cpu),
            Self::Cuda => Device::new_cuda(0).context(
                "cannot use CUDA (build fmnist with `--features fmnist-autoencoder/cuda`)",
            ),
            Self::Metal => Device::new_metal(0).context(
                "cannot use Metal (build fmnist with `--features fmnist-autoencoder/metal`)",
            ),
        }
    }
}
