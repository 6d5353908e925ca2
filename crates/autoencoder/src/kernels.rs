//! Which implementation of the network runs.

use candle_core::Device;

/// Which implementation of the network to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
    /// This crate's CPU engine: forward and backward written out by hand (register-tiled
    /// convolution kernels reading zero-padded planes, fused BatchNorm + ReLU +
    /// pooling/upsampling + dropout, in-place gradients and Adam), parallel over images. CPU
    /// only.
    Custom,
    /// candle's stock ops and autograd, on any device.
    Reference,
}

impl Kernels {
    /// `Custom` on the CPU, `Reference` elsewhere.
    pub fn for_device(device: &Device) -> Self {
        if device.is_cpu() {
            Self::Custom
        } else {
            Self::Reference
        }
    }
}
