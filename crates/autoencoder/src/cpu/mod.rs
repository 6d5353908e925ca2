//! The CPU engine: the network's forward and backward written out by hand over preallocated
//! buffers (`n x c x h x w` f32 slices), with Adam updating the same buffers. candle's autograd
//! is not involved; the weights use the layout of the candle network's tensors, so that a model
//! trained here saves, loads and runs on candle's path unchanged.
//!
//! A step runs layer by layer over the batch (BatchNorm needs batch statistics), each layer in
//! parallel over chunks of [`CHUNK`] images. Every reduction over images (BatchNorm moments and
//! gradient sums, weight gradients) is summed in image or chunk order, so the result does not
//! depend on the number of threads.

#[cfg(target_arch = "x86_64")]
mod bf16;
mod conv;
mod kernel;
mod layers;
mod pass;
mod rows;
mod simd;

use std::cell::RefCell;
use std::marker::PhantomData;
use std::ops::Range;

use rayon::prelude::*;

use crate::config::{ActivationOrder, Architecture};
use crate::dropout::InputMasking;
use crate::kernels::Precision;
use conv::Conv;
pub(crate) use kernel::Isa;
use layers::{Norm, Resample, Shape};
use pass::{BackwardConv, BackwardNorm, BackwardResample, ForwardConv, ForwardResample};

/// Whether this CPU runs the bf16 convolution products ([`Precision::Bf16`]).
pub(crate) fn bf16_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    let available = bf16::available();
    #[cfg(not(target_arch = "x86_64"))]
    let available = false;
    available
}

/// Images per parallel task; also the fixed grouping of weight-gradient partial sums.
const CHUNK: usize = 8;

/// One block: convolution (+ ReLU), then BatchNorm (+ ReLU) + resampling + dropout.
#[derive(Debug, Clone)]
struct Stage {
    conv: Conv,
    resample: Shape,
    weight: Range<usize>,
    bias: Range<usize>,
    gamma: Range<usize>,
    beta: Range<usize>,
    /// Running mean at `running..running + o`, running variance after it.
    running: usize,
}

/// The network's shapes and where each tensor lives in the flat parameter vectors.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    stages: Vec<Stage>,
    depth: usize,
    output: Conv,
    output_weight: Range<usize>,
    output_bias: Range<usize>,
    params: usize,
    running: usize,
    dropout: f32,
    eps: f32,
    momentum: f32,
    /// ReLU before BatchNorm: convolution outputs of blocks are rectified in place.
    relu_first: bool,
}

impl Plan {
    /// The layout of `arch`'s tensors in the order of the candle network's `named_vars`
    /// (per block: kernel, bias, gamma, beta; then the output kernel and bias), running
    /// statistics (per block: mean, variance) apart.
    pub fn new(arch: &Architecture) -> Self {
        let mut next = 0usize;
        let mut range = |len: usize| {
            next += len;
            next - len..next
        };
        let (mut c, mut h, mut w) = (arch.channels, arch.height, arch.width);
        let mut stages = Vec::new();
        let widths = arch.encoder.iter().map(|&o| (o, Resample::Pool));
        let widths = widths.chain(arch.decoder.iter().map(|&o| (o, Resample::Upsample)));
        let mut running = 0;
        for (o, kind) in widths {
            let conv = Conv {
                c,
                o,
                h,
                w,
                k: arch.kernel_size,
            };
            stages.push(Stage {
                conv,
                resample: Shape { c: o, h, w, kind },
                weight: range(conv.weight_len()),
                bias: range(o),
                gamma: range(o),
                beta: range(o),
                running,
            });
            running += 2 * o;
            (c, h, w) = match kind {
                Resample::Pool => (o, h / 2, w / 2),
                Resample::Upsample => (o, h * 2, w * 2),
            };
        }
        let output = Conv {
            c,
            o: arch.channels,
            h,
            w,
            k: arch.kernel_size,
        };
        let output_weight = range(output.weight_len());
        let output_bias = range(arch.channels);
        Self {
            depth: arch.encoder.len(),
            stages,
            output,
            output_weight,
            output_bias,
            params: next,
            running,
            dropout: arch.dropout,
            eps: arch.batch_norm_epsilon,
            momentum: arch.batch_norm_momentum,
            relu_first: arch.activation_order == ActivationOrder::ReluThenBatchNorm,
        }
    }

    /// Length of the trainable parameter vector.
    pub fn params_len(&self) -> usize {
        self.params
    }

    /// Length of the running-statistics vector.
    pub fn running_len(&self) -> usize {
        self.running
    }

    fn image_len(&self) -> usize {
        self.stages[0].conv.c * self.stages[0].conv.hw()
    }

    /// Convolution `s` (the output convolution for `s` = number of blocks) with the places of
    /// its kernel and bias in the parameter vector.
    fn conv(&self, s: usize) -> (Conv, Range<usize>, Range<usize>) {
        match self.stages.get(s) {
            Some(stage) => (stage.conv, stage.weight.clone(), stage.bias.clone()),
            None => (
                self.output,
                self.output_weight.clone(),
                self.output_bias.clone(),
            ),
        }
    }

    fn input_len(&self, s: usize) -> usize {
        match self.stages.get(s) {
            Some(stage) => stage.conv.c * stage.conv.hw(),
            None => self.output.c * self.output.hw(),
        }
    }
}

/// A mutable slice handed out in disjoint per-image pieces to parallel tasks.
struct Disjoint<'a, T> {
    ptr: *mut T,
    len: usize,
    item: usize,
    _borrow: PhantomData<&'a mut [T]>,
}

// SAFETY: `Disjoint` only hands out non-overlapping pieces (see `piece`), like `chunks_mut`.
unsafe impl<T: Send> Send for Disjoint<'_, T> {}
unsafe impl<T: Send> Sync for Disjoint<'_, T> {}

impl<'a, T> Disjoint<'a, T> {
    fn new(slice: &'a mut [T], item: usize) -> Self {
        Self {
            ptr: slice.as_mut_ptr(),
            len: slice.len(),
            item,
            _borrow: PhantomData,
        }
    }

    /// The `i`-th piece of `item` values.
    ///
    /// # Safety
    /// No two live references may come from the same `i`: each parallel task takes the pieces
    /// of its own images only.
    #[allow(clippy::mut_from_ref)]
    unsafe fn piece(&self, i: usize) -> &'a mut [T] {
        assert!((i + 1) * self.item <= self.len, "piece out of bounds");
        // SAFETY: in bounds (checked above) and not aliased (the caller's contract).
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(i * self.item), self.item) }
    }
}

thread_local! {
    /// Per-thread scratch vectors of the kernels (kept between calls: no allocation per step).
    static SCRATCH: RefCell<[Vec<f32>; 4]> =
        const { RefCell::new([Vec::new(), Vec::new(), Vec::new(), Vec::new()]) };
}

fn with_scratch<R>(f: impl FnOnce(&mut [Vec<f32>; 4]) -> R) -> R {
    SCRATCH.with(|s| f(&mut s.borrow_mut()))
}

/// The first `len` values of a scratch vector, grown (never shrunk) as needed: the kernels
/// overwrite every value they use, and scratch shared by kernels of different sizes would
/// otherwise be zeroed again at every growth.
fn sized<T: Copy + Default>(scratch: &mut Vec<T>, len: usize) -> &mut [T] {
    if scratch.len() < len {
        scratch.resize(len, T::default());
    }
    &mut scratch[..len]
}

/// Chunks of [`CHUNK`] image indices out of `n`.
fn chunks(n: usize) -> impl IndexedParallelIterator<Item = Range<usize>> {
    (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(move |c| c * CHUNK..((c + 1) * CHUNK).min(n))
}

/// The activations of one block for a batch.
#[derive(Default)]
struct StageBuffers {
    /// Convolution output (rectified when the ReLU comes first): BatchNorm's input.
    z: Vec<f32>,
    /// Pooling argmax / dropout routes of the resampled output.
    route: Vec<u8>,
    /// Resampled output: the next convolution's input.
    out: Vec<f32>,
    /// Gradient of the BatchNorm output.
    g: Vec<f32>,
}

/// How a forward pass runs.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Batch statistics (running statistics updated) and dropout masks of the step's seed.
    Train { step_seed: u64 },
    /// Running statistics, no dropout.
    Eval,
}

/// The network's parameters, Adam's state and the batch buffers.
pub(crate) struct Engine {
    plan: Plan,
    params: Vec<f32>,
    running: Vec<f32>,
    grad: Vec<f32>,
    adam_m: Vec<f32>,
    adam_v: Vec<f32>,
    adam_t: i32,
    precision: Precision,
    norms: Vec<Norm>,
    /// Per image and channel: moments `[mean, m2]` in the forward pass, `[Σg, Σg·x̂]` backward.
    sums: Vec<f64>,
    /// The network's input.
    x: Vec<f32>,
    /// The images before masking, when a denoising step corrupted `x`.
    clean: Vec<f32>,
    stages: Vec<StageBuffers>,
    y: Vec<f32>,
    n: usize,
}

impl Engine {
    /// An engine for `arch` with the given parameters and running statistics (layouts of
    /// [`Plan`]), the training steps' convolution products in `precision` (which this CPU runs;
    /// evaluation runs in `f32`).
    pub fn new(
        arch: &Architecture,
        params: Vec<f32>,
        running: Vec<f32>,
        precision: Precision,
    ) -> Self {
        let plan = Plan::new(arch);
        assert_eq!(params.len(), plan.params_len(), "parameter vector length");
        assert_eq!(
            running.len(),
            plan.running_len(),
            "running statistics length"
        );
        let stages = plan
            .stages
            .iter()
            .map(|_| StageBuffers::default())
            .collect();
        Self {
            grad: vec![0.0; params.len()],
            adam_m: vec![0.0; params.len()],
            adam_v: vec![0.0; params.len()],
            adam_t: 0,
            precision,
            norms: vec![Norm::default(); plan.stages.len()],
            sums: Vec::new(),
            x: Vec::new(),
            clean: Vec::new(),
            stages,
            y: Vec::new(),
            n: 0,
            plan,
            params,
            running,
        }
    }

    pub fn params(&self) -> &[f32] {
        &self.params
    }

    pub fn running(&self) -> &[f32] {
        &self.running
    }

    /// Gradient of the last [`Engine::gradients`] or training step.
    #[cfg(test)]
    pub fn grad(&self) -> &[f32] {
        &self.grad
    }

    /// Loads images (`n` consecutive rows of `image_len` values) and sizes the buffers.
    fn load(&mut self, images: impl Iterator<Item = impl AsRef<[f32]>>) {
        self.x.clear();
        for image in images {
            self.x.extend_from_slice(image.as_ref());
        }
        let n = self.x.len() / self.plan.image_len();
        self.n = n;
        for (stage, buf) in self.plan.stages.iter().zip(&mut self.stages) {
            let (o, hw) = (stage.conv.o, stage.conv.hw());
            buf.z.resize(n * o * hw, 0.0);
            buf.g.resize(n * o * hw, 0.0);
            buf.route.resize(n * stage.resample.out_len(), 0);
            buf.out.resize(n * stage.resample.out_len(), 0.0);
        }
        self.y.resize(n * self.plan.image_len(), 0.0);
    }

    /// One training step on the images: forward in training mode, backward, Adam (Keras's
    /// update: `lr · sqrt(1 − β₂ᵗ) / (1 − β₁ᵗ) · m / (sqrt(v) + ε)`, β = 0.9 / 0.999,
    /// ε = 1e-7). With `masking`, the input is corrupted and the loss compares the output with
    /// the clean images (a denoising step). Returns the batch's per-pixel MSE.
    pub fn train_step<'a>(
        &mut self,
        images: impl Iterator<Item = &'a [f32]>,
        step_seed: u64,
        learning_rate: f64,
        masking: Option<InputMasking>,
    ) -> f32 {
        let loss = self.gradients(images, step_seed, masking);
        self.adam_t += 1;
        let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-7f32);
        let lr = (learning_rate * (1.0 - b2.powi(self.adam_t)).sqrt()
            / (1.0 - b1.powi(self.adam_t))) as f32;
        let (b1, b2) = (b1 as f32, b2 as f32);
        self.params
            .par_chunks_mut(1024)
            .zip(self.grad.par_chunks(1024))
            .zip(
                self.adam_m
                    .par_chunks_mut(1024)
                    .zip(self.adam_v.par_chunks_mut(1024)),
            )
            .for_each(|((p, g), (m, v))| {
                for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
                    *m = b1 * *m + (1.0 - b1) * g;
                    *v = b2 * *v + (1.0 - b2) * g * g;
                    *p -= lr * *m / (v.sqrt() + eps);
                }
            });
        loss
    }

    /// Forward in training mode and backward: fills the gradient, updates the running
    /// statistics, returns the per-pixel MSE (against the clean images when `masking`
    /// corrupts the input).
    pub fn gradients<'a>(
        &mut self,
        images: impl Iterator<Item = &'a [f32]>,
        step_seed: u64,
        masking: Option<InputMasking>,
    ) -> f32 {
        self.load(images);
        if let Some(masking) = masking {
            self.clean.clone_from(&self.x);
            self.x
                .par_chunks_mut(4096)
                .enumerate()
                .for_each(|(c, values)| masking.apply(c * 4096, values));
        }
        let stages = self.plan.stages.len();
        for s in 0..=stages {
            self.forward_pass(s, Mode::Train { step_seed }, true);
        }
        let loss = self.loss_and_output_grad(masking.is_some());
        for s in (0..=stages).rev() {
            self.backward_pass(s, step_seed);
        }
        loss
    }

    /// Bottlenecks (evaluation mode) of the images, flattened channel-major, one after another.
    pub fn encode<'a>(&mut self, images: impl Iterator<Item = &'a [f32]>) -> &[f32] {
        self.load(images);
        let depth = self.plan.depth;
        for s in 0..depth {
            self.forward_pass(s, Mode::Eval, true);
        }
        self.forward_pass(depth, Mode::Eval, false);
        &self.stages[depth - 1].out
    }

    /// Reconstructions (evaluation mode) of the images, one after another.
    pub fn reconstruct<'a>(&mut self, images: impl Iterator<Item = &'a [f32]>) -> &[f32] {
        self.load(images);
        for s in 0..=self.plan.stages.len() {
            self.forward_pass(s, Mode::Eval, true);
        }
        &self.y
    }

    /// Sum of squared reconstruction errors (evaluation mode) of the images.
    pub fn squared_error<'a>(&mut self, images: impl Iterator<Item = &'a [f32]>) -> f64 {
        self.reconstruct(images);
        self.y
            .par_chunks(4096)
            .zip(self.x.par_chunks(4096))
            .map(|(y, x)| {
                y.iter()
                    .zip(x)
                    .map(|(a, b)| ((a - b) * (a - b)) as f64)
                    .sum::<f64>()
            })
            .collect::<Vec<_>>()
            .iter()
            .sum()
    }

    /// Forward pass `s`: the resampling after block `s − 1` (when `s > 0`) and, when `conv`,
    /// convolution `s` (the output convolution and sigmoid for `s` = number of blocks). In
    /// training mode the batch moments of the convolution's output set the block's BatchNorm.
    fn forward_pass(&mut self, s: usize, mode: Mode, conv: bool) {
        let plan = &self.plan;
        let n = self.n;
        let last = s == plan.stages.len();
        let (before, after) = self.stages.split_at_mut(s);
        let resample = before
            .last_mut()
            .map(|b| ForwardResample::new(plan, &self.norms[s - 1], s - 1, mode, b));
        let target = match after.first_mut() {
            Some(b) => &mut b.z[..],
            None => &mut self.y[..],
        };
        let (train, precision) = match mode {
            Mode::Train { .. } => (!last, self.precision),
            Mode::Eval => (false, Precision::F32),
        };
        let params = &self.params;
        let convolution =
            ForwardConv::new(plan, s, params, precision, target, &mut self.sums, train, n);
        let (x, in_len) = (&self.x, plan.input_len(s));
        chunks(n).for_each(|range| {
            with_scratch(|[scratch, ..]| {
                for i in range {
                    // SAFETY (both calls): image `i` belongs to this task only.
                    let input = match &resample {
                        Some(resample) => unsafe { resample.image(i) },
                        None => &x[i * in_len..(i + 1) * in_len],
                    };
                    if conv {
                        unsafe { convolution.image(i, input, scratch) };
                    }
                }
            })
        });
        if conv && !last {
            self.set_norm(s, mode);
        }
    }

    /// BatchNorm of block `s`: from the batch moments in training mode (updating the running
    /// statistics), from the running statistics in evaluation mode.
    fn set_norm(&mut self, s: usize, mode: Mode) {
        let stage = &self.plan.stages[s];
        let o = stage.conv.o;
        let (gamma, beta) = (
            &self.params[stage.gamma.clone()],
            &self.params[stage.beta.clone()],
        );
        let (mean, var) = match mode {
            Mode::Train { .. } => {
                let hw = stage.conv.hw() as f64;
                let n = self.n as f64;
                let mut mean = vec![0f64; o];
                for image in self.sums.chunks_exact(2 * o) {
                    for (m, s) in mean.iter_mut().zip(image.chunks_exact(2)) {
                        *m += s[0];
                    }
                }
                mean.iter_mut().for_each(|m| *m /= n);
                let mut m2 = vec![0f64; o];
                for image in self.sums.chunks_exact(2 * o) {
                    for ((acc, s), m) in m2.iter_mut().zip(image.chunks_exact(2)).zip(&mean) {
                        *acc += s[1] + hw * (s[0] - m) * (s[0] - m);
                    }
                }
                let mean: Vec<f32> = mean.iter().map(|&m| m as f32).collect();
                let var: Vec<f32> = m2.iter().map(|&v| (v / (n * hw)) as f32).collect();
                let k = self.plan.momentum;
                let r = &mut self.running[stage.running..stage.running + 2 * o];
                for (ch, (m, v)) in mean.iter().zip(&var).enumerate() {
                    r[ch] = r[ch] * k + m * (1.0 - k);
                    r[o + ch] = r[o + ch] * k + v * (1.0 - k);
                }
                (mean, var)
            }
            Mode::Eval => {
                let r = &self.running[stage.running..stage.running + 2 * o];
                (r[..o].to_vec(), r[o..].to_vec())
            }
        };
        self.norms[s] = Norm::new(
            &mean,
            &var,
            gamma,
            beta,
            self.plan.eps,
            self.plan.relu_first,
        );
    }

    /// Per-pixel MSE of the batch; replaces the output by the gradient of the loss with respect
    /// to the output convolution's pre-sigmoid values.
    fn loss_and_output_grad(&mut self, denoising: bool) -> f32 {
        let count = self.y.len() as f64;
        let scale = (2.0 / count) as f32;
        let target = if denoising { &self.clean } else { &self.x };
        let partial: Vec<f64> = self
            .y
            .par_chunks_mut(4096)
            .zip(target.par_chunks(4096))
            .map(|(y, x)| {
                let mut total = 0f64;
                for (y, &x) in y.iter_mut().zip(x) {
                    let e = *y - x;
                    total += (e * e) as f64;
                    *y = scale * e * *y * (1.0 - *y);
                }
                total
            })
            .collect();
        (partial.iter().sum::<f64>() / count) as f32
    }

    /// Backward pass `s` (from the number of blocks down to 0): BatchNorm backward of block `s`
    /// (not for the output convolution), the convolution's weight and bias gradients, and for
    /// `s > 0` the input gradient carried back through block `s − 1`'s dropout, resampling and
    /// ReLU into its `g`, with that block's BatchNorm sums.
    fn backward_pass(&mut self, s: usize, step_seed: u64) {
        let totals = self.batch_norm_totals(s);
        let plan = &self.plan;
        let n = self.n;
        let (conv, weight_range, bias_range) = plan.conv(s);
        let mut flipped = Vec::new();
        if s > 0 {
            conv.transpose_flip(&self.params[weight_range.clone()], &mut flipped);
        }
        let (before, after) = self.stages.split_at_mut(s);
        let norm = after.first().map(|b| BackwardNorm {
            z: &b.z[..],
            g: &b.g[..],
            norm: &self.norms[s],
            gamma: &self.params[plan.stages[s].gamma.clone()],
            totals: &totals,
            count: (n * conv.hw()) as f64,
        });
        let prev_o = s.checked_sub(1).map_or(0, |p| plan.stages[p].conv.o);
        let mut new_sums = vec![0f64; n * 2 * prev_o];
        let resample = before.last_mut().map(|b| {
            BackwardResample::new(plan, &self.norms[s - 1], s - 1, step_seed, b, &mut new_sums)
        });
        let (x, y) = (&self.x[..], &self.y[..]);
        let backward = BackwardConv::new(plan, s, &flipped, norm, resample, x, y, self.precision);
        let partials: Vec<Vec<f32>> = chunks(n).map(|range| backward.chunk(range)).collect();
        self.store_conv_grads(&partials, weight_range, bias_range);
        self.sums = new_sums;
    }

    /// Block `s`'s BatchNorm batch sums `[Σg, Σg·x̂]` per channel, added up in image order from
    /// the per-image sums backward pass `s + 1` left; they are also the gradients of its β and
    /// γ. Empty for the output convolution.
    fn batch_norm_totals(&mut self, s: usize) -> Vec<f64> {
        let Some(stage) = self.plan.stages.get(s) else {
            return Vec::new();
        };
        let o = stage.conv.o;
        let mut totals = vec![0f64; 2 * o];
        for image in self.sums.chunks_exact(2 * o) {
            totals.iter_mut().zip(image).for_each(|(t, v)| *t += v);
        }
        for ch in 0..o {
            self.grad[stage.beta.start + ch] = totals[2 * ch] as f32;
            self.grad[stage.gamma.start + ch] = totals[2 * ch + 1] as f32;
        }
        totals
    }

    /// Adds up the per-chunk weight and bias gradients (kernel, then bias) in chunk order into
    /// the gradient at `weight` and `bias`.
    fn store_conv_grads(
        &mut self,
        partials: &[Vec<f32>],
        weight: Range<usize>,
        bias: Range<usize>,
    ) {
        let weight_len = weight.len();
        let mut total = vec![0f32; weight_len + bias.len()];
        for p in partials {
            total.iter_mut().zip(p).for_each(|(t, v)| *t += v);
        }
        self.grad[weight].copy_from_slice(&total[..weight_len]);
        self.grad[bias].copy_from_slice(&total[weight_len..]);
    }
}

/// Deterministic values in `[−1, 1)` for the kernels' tests (`seed` shifts the pattern).
#[cfg(test)]
fn test_values(n: usize, seed: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (((i * 7919 + seed * 104_729) % 1000) as f32 / 500.0) - 1.0)
        .collect()
}

#[cfg(test)]
mod tests;
