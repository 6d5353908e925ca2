//! The per-image work of one forward or backward pass of the engine, set up once per pass and
//! shared by the parallel tasks: each task calls it for its own images only, which is what
//! makes handing out the [`Disjoint`] pieces sound.

use std::ops::Range;

use super::conv::{Conv, GradOperands, Weights};
use super::layers::{Norm, batch_norm_backward, plane_moments};
use super::{Disjoint, Mode, Plan, Stage, StageBuffers, sized, with_scratch};
use crate::dropout::Dropout;
use crate::kernels::Precision;

/// Forward: block `s − 1`'s BatchNorm (+ ReLU), resampling and dropout, the input of
/// convolution `s`.
pub(super) struct ForwardResample<'a> {
    stage: &'a Stage,
    norm: &'a Norm,
    dropout: Option<Dropout>,
    z: &'a [f32],
    route: Disjoint<'a, u8>,
    out: Disjoint<'a, f32>,
}

impl<'a> ForwardResample<'a> {
    /// Block `block`'s resampling, with the dropout mask of the step in training mode.
    pub fn new(
        plan: &'a Plan,
        norm: &'a Norm,
        block: usize,
        mode: Mode,
        buffers: &'a mut StageBuffers,
    ) -> Self {
        let stage = &plan.stages[block];
        let dropout = match mode {
            Mode::Train { step_seed } => Dropout::new(plan.dropout, step_seed, block),
            Mode::Eval => None,
        };
        let len = stage.resample.out_len();
        Self {
            stage,
            norm,
            dropout,
            z: &buffers.z[..],
            route: Disjoint::new(&mut buffers.route[..], len),
            out: Disjoint::new(&mut buffers.out[..], len),
        }
    }

    /// Resamples image `i`, returning its output.
    ///
    /// # Safety
    /// Image `i` belongs to the calling task only.
    pub unsafe fn image(&self, i: usize) -> &'a [f32] {
        let z_len = self.stage.conv.o * self.stage.conv.hw();
        // SAFETY: the caller's contract.
        let (route, out) = unsafe { (self.route.piece(i), self.out.piece(i)) };
        let dropout = self.dropout.map(|d| (d, i * out.len()));
        let z = &self.z[i * z_len..(i + 1) * z_len];
        self.stage
            .resample
            .forward(self.norm, z, dropout, route, out);
        out
    }
}

/// Forward: convolution `s` (+ ReLU when it comes first; + sigmoid for the output
/// convolution), with the per-image BatchNorm moments of its output in training mode.
pub(super) struct ForwardConv<'a> {
    conv: Conv,
    weights: Weights<'a>,
    bias: &'a [f32],
    target: Disjoint<'a, f32>,
    moments: Disjoint<'a, f64>,
    train: bool,
    sigmoid: bool,
    rectify: bool,
}

impl<'a> ForwardConv<'a> {
    /// Convolution `s` of `n` images into `target`, its products in `precision`; `sums` is
    /// sized for the moments when `train` (and emptied otherwise).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        plan: &'a Plan,
        s: usize,
        params: &'a [f32],
        precision: Precision,
        target: &'a mut [f32],
        sums: &'a mut Vec<f64>,
        train: bool,
        n: usize,
    ) -> Self {
        let (conv, weight, bias) = plan.conv(s);
        let last = s == plan.stages.len();
        let moments_len = if train { conv.o * 2 } else { 0 };
        sums.resize(n * moments_len, 0.0);
        Self {
            conv,
            weights: conv.weights(&params[weight], precision),
            bias: &params[bias],
            target: Disjoint::new(target, conv.o * conv.hw()),
            moments: Disjoint::new(&mut sums[..], moments_len),
            train,
            sigmoid: last,
            rectify: plan.relu_first && !last,
        }
    }

    /// Convolves image `i`, whose input is `input`.
    ///
    /// # Safety
    /// Image `i` belongs to the calling task only.
    pub unsafe fn image(&self, i: usize, input: &[f32], scratch: &mut Vec<f32>) {
        // SAFETY: the caller's contract.
        let y = unsafe { self.target.piece(i) };
        let floor = if self.rectify { 0.0 } else { f32::NEG_INFINITY };
        let bias = Some(self.bias);
        self.conv
            .forward(&self.weights, bias, floor, input, y, scratch);
        if self.sigmoid {
            y.iter_mut().for_each(|v| *v = 1.0 / (1.0 + (-*v).exp()));
        }
        if self.train {
            // SAFETY: the caller's contract.
            let m = unsafe { self.moments.piece(i) };
            for (plane, m) in y.chunks_exact(self.conv.hw()).zip(m.chunks_exact_mut(2)) {
                (m[0], m[1]) = plane_moments(plane);
            }
        }
    }
}

/// Backward: block `s`'s BatchNorm (and the ReLU before it), from the gradient of its output
/// to that of the convolution's output.
pub(super) struct BackwardNorm<'a> {
    pub z: &'a [f32],
    pub g: &'a [f32],
    pub norm: &'a Norm,
    pub gamma: &'a [f32],
    /// The batch sums `[Σg, Σg·x̂]` per channel.
    pub totals: &'a [f64],
    /// Values per channel in the batch.
    pub count: f64,
}

impl BackwardNorm<'_> {
    /// The gradient of the convolution's output over the values `r` (one image) into `out`.
    pub fn dz(&self, r: Range<usize>, out: &mut [f32]) {
        batch_norm_backward(
            self.norm,
            self.gamma,
            self.totals,
            self.count,
            &self.z[r.clone()],
            &self.g[r],
            out,
        );
    }
}

/// Backward: block `s − 1`'s dropout, resampling and ReLU, from the gradient of convolution
/// `s`'s input to that of the block's BatchNorm output, with the block's BatchNorm sums.
pub(super) struct BackwardResample<'a> {
    stage: &'a Stage,
    norm: &'a Norm,
    keep_scale: f32,
    z: &'a [f32],
    route: &'a [u8],
    /// The resampled output: convolution `s`'s input.
    pub out: &'a [f32],
    g: Disjoint<'a, f32>,
    sums: Disjoint<'a, f64>,
}

impl<'a> BackwardResample<'a> {
    /// Block `block`'s backward in the step of `step_seed`, writing its `g` and `sums` (two
    /// per channel and image).
    pub fn new(
        plan: &'a Plan,
        norm: &'a Norm,
        block: usize,
        step_seed: u64,
        buffers: &'a mut StageBuffers,
        sums: &'a mut [f64],
    ) -> Self {
        let stage = &plan.stages[block];
        let keep_scale = Dropout::new(plan.dropout, step_seed, block).map_or(1.0, |d| d.keep_scale);
        Self {
            stage,
            norm,
            keep_scale,
            z: &buffers.z[..],
            route: &buffers.route[..],
            out: &buffers.out[..],
            g: Disjoint::new(&mut buffers.g[..], stage.conv.o * stage.conv.hw()),
            sums: Disjoint::new(sums, 2 * stage.conv.o),
        }
    }

    /// Carries image `i`'s input gradient `d_out` back into the block's `g` and sums.
    ///
    /// # Safety
    /// Image `i` belongs to the calling task only.
    pub unsafe fn image(&self, i: usize, d_out: &[f32]) {
        let zl = self.stage.conv.o * self.stage.conv.hw();
        let rl = self.stage.resample.out_len();
        // SAFETY: the caller's contract.
        let (g, sums) = unsafe { (self.g.piece(i), self.sums.piece(i)) };
        let (z, route) = (
            &self.z[i * zl..(i + 1) * zl],
            &self.route[i * rl..(i + 1) * rl],
        );
        let resample = &self.stage.resample;
        resample.backward(self.norm, z, route, self.keep_scale, d_out, g, sums);
    }
}

/// Backward of convolution `s` for a chunk of images: its output gradient (through block `s`'s
/// BatchNorm, or the loss gradient for the output convolution), the weight and bias gradients
/// of the chunk in one kernel pass, and for `s > 0` the input gradient carried back through
/// block `s − 1`.
pub(super) struct BackwardConv<'a> {
    conv: Conv,
    taps: Vec<usize>,
    transposed: Conv,
    /// The transposed, flipped kernels (when the input gradient is carried back).
    flipped: Option<Weights<'a>>,
    norm: Option<BackwardNorm<'a>>,
    resample: Option<BackwardResample<'a>>,
    /// The network's input and output gradient (used for `s` = 0 and the output convolution).
    x: &'a [f32],
    y: &'a [f32],
    precision: Precision,
}

impl<'a> BackwardConv<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        plan: &Plan,
        s: usize,
        flipped: &'a [f32],
        norm: Option<BackwardNorm<'a>>,
        resample: Option<BackwardResample<'a>>,
        x: &'a [f32],
        y: &'a [f32],
        precision: Precision,
    ) -> Self {
        let conv = plan.conv(s).0;
        let transposed = conv.transposed();
        let flipped = resample
            .is_some()
            .then(|| transposed.weights(flipped, precision));
        Self {
            conv,
            taps: conv.taps(),
            transposed,
            flipped,
            norm,
            resample,
            x,
            y,
            precision,
        }
    }

    /// The chunk's weight and bias gradients (kernel, then bias), carrying its input gradients
    /// back into the previous block. The output gradients are padded once, for both.
    pub fn chunk(&self, range: Range<usize>) -> Vec<f32> {
        let conv = &self.conv;
        let weight_len = conv.weight_len();
        let mut acc = vec![0f32; weight_len + conv.o];
        let (dw, db) = acc.split_at_mut(weight_len);
        let (z_len, in_len) = (conv.o * conv.hw(), conv.c * conv.hw());
        let t = &self.transposed;
        let pad_len = t.padded_len();
        with_scratch(|[scratch, dz_buf, dz_padded, d_input]| {
            let dz_all: &[f32] = match &self.norm {
                Some(norm) => {
                    let dz_buf = sized(dz_buf, range.len() * z_len);
                    for (i, out) in range.clone().zip(dz_buf.chunks_exact_mut(z_len)) {
                        norm.dz(i * z_len..(i + 1) * z_len, out);
                    }
                    dz_buf
                }
                None => &self.y[range.start * z_len..range.end * z_len],
            };
            let dz_padded = sized(dz_padded, range.len() * pad_len);
            let padded_images = dz_padded.chunks_exact_mut(pad_len);
            for (dz, padded) in dz_all.chunks_exact(z_len).zip(padded_images) {
                t.pad(dz, padded);
            }
            let inputs = match &self.resample {
                Some(resample) => resample.out,
                None => self.x,
            };
            let images: Vec<GradOperands<'_>> = range
                .clone()
                .zip(dz_all.chunks_exact(z_len))
                .zip(dz_padded.chunks_exact(pad_len))
                .map(|((i, dy), dy_padded)| GradOperands {
                    x: &inputs[i * in_len..(i + 1) * in_len],
                    dy,
                    dy_padded,
                })
                .collect();
            conv.weight_grad(&self.taps, &images, self.precision, dw, db, scratch);
            let (Some(resample), Some(flipped)) = (&self.resample, &self.flipped) else {
                return;
            };
            let d_input = sized(d_input, in_len);
            for (i, padded) in range.zip(dz_padded.chunks_exact(pad_len)) {
                let none = f32::NEG_INFINITY;
                t.forward_padded(flipped, None, none, padded, d_input, scratch);
                // SAFETY: image `i` belongs to this task only.
                unsafe { resample.image(i, d_input) };
            }
        });
        acc
    }
}
