//! The network: its tensors (trainable and running statistics) and its forward pass.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor, Var};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::{ActivationOrder, Architecture};
use crate::dropout::Dropout;
use crate::error::Result;
use crate::kernels::Kernels;
use crate::reference;

/// A convolution's kernel (`o x c x k x k`, Glorot-uniform initialised) and bias (zeros).
struct Conv {
    weight: Var,
    bias: Var,
}

/// Conv, BatchNorm and ReLU, the body of every encoder and decoder block.
struct Block {
    conv: Conv,
    gamma: Var,
    beta: Var,
    running_mean: Var,
    running_var: Var,
}

/// Training mode uses batch statistics (updating the running ones) and the dropout masks of
/// the step's seed; evaluation mode the running statistics and no dropout.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    Train { step_seed: u64 },
    Eval,
}

/// The autoencoder's tensors and its forward pass with candle's stock ops.
pub(crate) struct Network {
    arch: Architecture,
    kernels: Kernels,
    device: Device,
    encoder: Vec<Block>,
    decoder: Vec<Block>,
    output: Conv,
}

impl Network {
    /// A freshly initialised network (Keras's initialisers), deterministic in `seed`.
    pub fn new(arch: &Architecture, device: &Device, kernels: Kernels, seed: u64) -> Result<Self> {
        arch.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let k = arch.kernel_size;
        let mut conv = |c_in: usize, c_out: usize| -> Result<Conv> {
            let limit = (6.0 / ((c_in + c_out) * k * k) as f64).sqrt() as f32;
            let data: Vec<f32> = (0..c_out * c_in * k * k)
                .map(|_| rng.random_range(-limit..limit))
                .collect();
            Ok(Conv {
                weight: Var::from_tensor(&Tensor::from_vec(data, (c_out, c_in, k, k), device)?)?,
                bias: Var::zeros(c_out, DType::F32, device)?,
            })
        };
        let mut block = |c_in: usize, c_out: usize| -> Result<Block> {
            Ok(Block {
                conv: conv(c_in, c_out)?,
                gamma: Var::ones(c_out, DType::F32, device)?,
                beta: Var::zeros(c_out, DType::F32, device)?,
                running_mean: Var::zeros(c_out, DType::F32, device)?,
                running_var: Var::ones(c_out, DType::F32, device)?,
            })
        };
        let mut c = arch.channels;
        let mut encoder = Vec::new();
        for &out in &arch.encoder {
            encoder.push(block(c, out)?);
            c = out;
        }
        let mut decoder = Vec::new();
        for &out in &arch.decoder {
            decoder.push(block(c, out)?);
            c = out;
        }
        let output = conv(c, arch.channels)?;
        Ok(Self {
            arch: arch.clone(),
            kernels,
            device: device.clone(),
            encoder,
            decoder,
            output,
        })
    }

    pub fn architecture(&self) -> &Architecture {
        &self.arch
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Every tensor by name, running statistics included (what is saved).
    pub fn named_vars(&self) -> Vec<(String, &Var)> {
        let mut out = Vec::new();
        let blocks = self.encoder.iter().map(|b| ("encoder", b));
        let blocks = blocks.chain(self.decoder.iter().map(|b| ("decoder", b)));
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (part, b) in blocks {
            let i = index.entry(part).or_default();
            let p = format!("{part}.{i}");
            *i += 1;
            out.push((format!("{p}.conv.weight"), &b.conv.weight));
            out.push((format!("{p}.conv.bias"), &b.conv.bias));
            out.push((format!("{p}.bn.gamma"), &b.gamma));
            out.push((format!("{p}.bn.beta"), &b.beta));
            out.push((format!("{p}.bn.running_mean"), &b.running_mean));
            out.push((format!("{p}.bn.running_var"), &b.running_var));
        }
        out.push(("output.conv.weight".into(), &self.output.weight));
        out.push(("output.conv.bias".into(), &self.output.bias));
        out
    }

    /// The tensors the optimiser updates: everything but the BatchNorm running statistics.
    pub fn trainable_vars(&self) -> Vec<Var> {
        self.named_vars()
            .into_iter()
            .filter(|(name, _)| !name.contains(".running_"))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The implementation that trains and runs this network.
    pub fn kernels(&self) -> Kernels {
        self.kernels
    }

    /// Trainable parameters and running statistics as two flat vectors, in the order of
    /// [`Network::named_vars`] (the CPU engine's layout).
    pub fn flat(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        let (mut params, mut running) = (Vec::new(), Vec::new());
        for (name, var) in self.named_vars() {
            let values = var.flatten_all()?.to_vec1::<f32>()?;
            if name.contains(".running_") {
                running.extend(values);
            } else {
                params.extend(values);
            }
        }
        Ok((params, running))
    }

    /// Sets every tensor from vectors laid out as [`Network::flat`]'s.
    pub fn set_flat(&self, params: &[f32], running: &[f32]) -> Result<()> {
        let (mut p, mut r) = (params, running);
        for (name, var) in self.named_vars() {
            let source = if name.contains(".running_") {
                &mut r
            } else {
                &mut p
            };
            let (head, tail) = source.split_at(var.elem_count());
            var.set(&Tensor::from_slice(head, var.shape(), &self.device)?)?;
            *source = tail;
        }
        Ok(())
    }

    /// Conv, BatchNorm and ReLU of one block (in the architecture's order), updating running
    /// statistics in training mode.
    fn block(&self, b: &Block, x: &Tensor, mode: Mode) -> Result<Tensor> {
        let relu_first = self.arch.activation_order == ActivationOrder::ReluThenBatchNorm;
        let mut y = reference::conv2d_same(x, &b.conv.weight, &b.conv.bias)?;
        if relu_first {
            y = y.relu()?;
        }
        let eps = self.arch.batch_norm_epsilon;
        let y = match mode {
            Mode::Train { .. } => {
                let (y, mean, var) = reference::batch_norm(&y, &b.gamma, &b.beta, eps)?;
                let m = self.arch.batch_norm_momentum as f64;
                b.running_mean
                    .set(&((b.running_mean.as_tensor() * m)? + (mean * (1.0 - m))?)?)?;
                b.running_var
                    .set(&((b.running_var.as_tensor() * m)? + (var * (1.0 - m))?)?)?;
                y
            }
            Mode::Eval => reference::batch_norm_eval(
                &y,
                [&b.gamma, &b.beta, &b.running_mean, &b.running_var],
                eps,
            )?,
        };
        Ok(if relu_first { y } else { y.relu()? })
    }

    /// `x` times block `layer`'s dropout mask in training mode (the CPU engine's masks).
    fn dropout(&self, x: Tensor, layer: usize, mode: Mode) -> Result<Tensor> {
        let Mode::Train { step_seed } = mode else {
            return Ok(x);
        };
        match Dropout::new(self.arch.dropout, step_seed, layer) {
            Some(d) => {
                let mask = Tensor::from_vec(d.mask(x.elem_count()), x.shape(), x.device())?;
                Ok((x * mask)?)
            }
            None => Ok(x),
        }
    }

    /// Images `n x c x h x w` -> bottleneck `n x c' x h' x w'`.
    pub fn encode(&self, x: &Tensor, mode: Mode) -> Result<Tensor> {
        let mut h = x.clone();
        for (i, b) in self.encoder.iter().enumerate() {
            h = reference::max_pool2(&self.block(b, &h, mode)?)?;
            h = self.dropout(h, i, mode)?;
        }
        Ok(h)
    }

    /// Bottleneck -> reconstructed images in `[0, 1]`.
    pub fn decode(&self, z: &Tensor, mode: Mode) -> Result<Tensor> {
        let mut h = z.clone();
        for (i, b) in self.decoder.iter().enumerate() {
            h = reference::upsample2(&self.block(b, &h, mode)?)?;
            h = self.dropout(h, self.encoder.len() + i, mode)?;
        }
        let y = reference::conv2d_same(&h, &self.output.weight, &self.output.bias)?;
        Ok(candle_nn::ops::sigmoid(&y)?)
    }

    /// Reconstruction of `x`.
    pub fn forward(&self, x: &Tensor, mode: Mode) -> Result<Tensor> {
        let z = self.encode(x, mode)?;
        self.decode(&z, mode)
    }

    /// Replaces every tensor by the one of the same name in `tensors`, checking names and shapes.
    /// Returns a description of the first problem.
    pub fn assign(&self, tensors: &HashMap<String, Tensor>) -> std::result::Result<(), String> {
        let vars = self.named_vars();
        for (name, var) in &vars {
            let Some(t) = tensors.get(name) else {
                return Err(format!("tensor {name} is missing"));
            };
            if t.shape() != var.shape() {
                return Err(format!(
                    "tensor {name} has shape {:?}, the architecture needs {:?}",
                    t.dims(),
                    var.dims()
                ));
            }
            let values = t
                .to_dtype(DType::F32)
                .and_then(|t| t.flatten_all()?.to_vec1::<f32>())
                .map_err(|e| e.to_string())?;
            if let Some(at) = values.iter().position(|v| !v.is_finite()) {
                return Err(format!(
                    "tensor {name} holds the non-finite value {} at {at}",
                    values[at]
                ));
            }
            var.set(
                &t.to_dtype(DType::F32)
                    .and_then(|t| t.to_device(&self.device))
                    .map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
        }
        if let Some(extra) = tensors.keys().find(|k| !vars.iter().any(|(n, _)| n == *k)) {
            return Err(format!("tensor {extra} is not part of the architecture"));
        }
        Ok(())
    }
}
