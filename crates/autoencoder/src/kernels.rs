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

/// The arithmetic of the CPU engine's convolution products in a training step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// `f32` products and sums throughout.
    F32,
    /// The training step's convolution products (forward, input gradients, weight gradients)
    /// in bf16 (8 significant bits) with `f32` sums, as mixed-precision training does on
    /// GPUs: twice the multiply-adds per instruction, on CPUs with AVX-512 BF16. BatchNorm,
    /// the loss, Adam and evaluation (validation loss, `encode`, `reconstruct`) stay in `f32`;
    /// the training loss stays within a percent of [`Precision::F32`]'s (a test trains both).
    Bf16,
}

impl Precision {
    /// [`Precision::Bf16`] where this CPU has AVX-512 BF16, else [`Precision::F32`].
    pub fn for_cpu() -> Self {
        if crate::cpu::bf16_available() {
            Self::Bf16
        } else {
            Self::F32
        }
    }

    /// Whether this CPU runs it.
    pub fn is_available(self) -> bool {
        self == Self::F32 || crate::cpu::bf16_available()
    }

    /// `"f32"` or `"bf16"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::Bf16 => "bf16",
        }
    }
}
