//! The network's building blocks, each in two implementations: a fast CPU custom op
//! ([`Kernels::Custom`]) and candle's stock ops ([`Kernels::Reference`], used on GPUs and as the
//! reference the custom ops are tested against).

mod batch_norm;
mod conv;
mod matmul;
mod pool;
mod upsample;

use std::sync::Arc;

use candle_core::{CpuStorage, Device, Layout, Result, Tensor};

use batch_norm::{BatchNormRelu, ChannelMoments, batch_norm_relu_reference};
use conv::{Conv2dSame, conv2d_same_reference};
use pool::{MaxPool2, max_pool2_reference};
use upsample::{Upsample2, upsample2_reference};

/// Which implementation of the layers to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
    /// This crate's CPU custom ops (im2col + GEMM convolutions, fused BatchNorm + ReLU,
    /// max-pool with argmax routing, block-sum upsample backward). CPU only.
    Custom,
    /// candle's stock ops, on any device (max-pool through reshape + max for a correct gradient).
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

    /// "Same" 3x3 (odd k) convolution with bias: `n x c x h x w` -> `n x o x h x w`.
    pub fn conv2d_same(self, x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
        match self {
            Self::Custom => {
                x.contiguous()?
                    .apply_op3(&weight.contiguous()?, &bias.contiguous()?, Conv2dSame)
            }
            Self::Reference => conv2d_same_reference(x, weight, bias),
        }
    }

    /// 2 x 2 max pooling, stride 2, then (when given) multiplication by a dropout mask of the
    /// output's size.
    pub fn max_pool2(self, x: &Tensor, mask: Option<Vec<f32>>) -> Result<Tensor> {
        match self {
            Self::Custom => x.contiguous()?.apply_op1(MaxPool2 {
                mask: mask.map(Arc::new),
            }),
            Self::Reference => masked_reference(max_pool2_reference(x)?, mask),
        }
    }

    /// 2 x 2 nearest-neighbour upsampling, then (when given) multiplication by a dropout mask.
    pub fn upsample2(self, x: &Tensor, mask: Option<Vec<f32>>) -> Result<Tensor> {
        match self {
            Self::Custom => x.contiguous()?.apply_op1(Upsample2 {
                mask: mask.map(Arc::new),
            }),
            Self::Reference => masked_reference(upsample2_reference(x)?, mask),
        }
    }

    /// Training-mode BatchNorm + ReLU: the output, and the batch's per-channel mean and biased
    /// variance (both of length `c`, detached) for the running statistics.
    pub fn batch_norm_relu(
        self,
        x: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        eps: f32,
    ) -> Result<(Tensor, Tensor, Tensor)> {
        match self {
            Self::Custom => {
                let x = x.contiguous()?;
                let moments = x.apply_op1_no_bwd(&ChannelMoments)?;
                let (mean, var) = (moments.get(0)?, moments.get(1)?);
                let op = BatchNormRelu {
                    mean: mean.to_vec1()?,
                    var: var.to_vec1()?,
                    eps,
                };
                let y = x.apply_op3(&gamma.contiguous()?, &beta.contiguous()?, op)?;
                Ok((y, mean, var))
            }
            Self::Reference => {
                let (y, mean, var) = batch_norm_relu_reference(x, gamma, beta, eps)?;
                Ok((y, mean.detach(), var.detach()))
            }
        }
    }
}

impl Kernels {
    /// Evaluation-mode BatchNorm + ReLU with running statistics:
    /// `relu(gamma · (x − mean) / sqrt(var + eps) + beta)`, `[gamma, beta, mean, var]` per channel.
    pub fn batch_norm_relu_eval(self, x: &Tensor, stats: [&Tensor; 4], eps: f32) -> Result<Tensor> {
        let [gamma, beta, mean, var] = stats;
        match self {
            Self::Custom => {
                let op = BatchNormRelu {
                    mean: mean.to_vec1()?,
                    var: var.to_vec1()?,
                    eps,
                };
                x.contiguous()?
                    .apply_op3_no_bwd(&gamma.contiguous()?, &beta.contiguous()?, &op)
            }
            Self::Reference => {
                let c = gamma.dim(0)?;
                let scale = (gamma / (var + eps as f64)?.sqrt()?)?;
                let shift = (beta - (mean * &scale)?)?;
                x.broadcast_mul(&scale.reshape((1, c, 1, 1))?)?
                    .broadcast_add(&shift.reshape((1, c, 1, 1))?)?
                    .relu()
            }
        }
    }
}

/// `x * mask` with candle's stock ops.
fn masked_reference(x: Tensor, mask: Option<Vec<f32>>) -> Result<Tensor> {
    match mask {
        Some(mask) => {
            let mask = Tensor::from_vec(mask, x.shape(), x.device())?;
            x * mask
        }
        None => Ok(x),
    }
}

/// The `f32` data of a contiguous CPU tensor.
fn f32_slice<'a>(storage: &'a CpuStorage, layout: &Layout) -> Result<&'a [f32]> {
    let data = match storage {
        CpuStorage::F32(data) => data.as_slice(),
        _ => return Err(invalid("custom ops take f32 tensors".into())),
    };
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => Err(invalid("custom ops take contiguous tensors".into())),
    }
}

/// A candle error carrying `message`.
fn invalid(message: String) -> candle_core::Error {
    candle_core::Error::Msg(message)
}

#[cfg(test)]
mod tests;
