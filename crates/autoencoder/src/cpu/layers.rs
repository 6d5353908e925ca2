//! The per-image kernels between convolutions: BatchNorm (as a per-channel affine map) + ReLU
//! fused with 2 x 2 max-pooling or nearest upsampling and dropout, their backward passes, and
//! the per-channel sums BatchNorm needs.

use crate::dropout::Dropout;

/// What follows a block's BatchNorm + ReLU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resample {
    /// 2 x 2 max pooling, stride 2.
    Pool,
    /// 2 x 2 nearest-neighbour upsampling.
    Upsample,
}

/// Route code of a pooled value dropped by dropout (codes 0..4 name the window's argmax).
const DROPPED: u8 = 4;

/// A block's BatchNorm in the form the kernels use: `relu(z · scale + shift)` and
/// `x̂ = (z − mean) · inv_std`, per channel.
#[derive(Debug, Clone, Default)]
pub(crate) struct Norm {
    pub mean: Vec<f32>,
    pub inv_std: Vec<f32>,
    pub scale: Vec<f32>,
    pub shift: Vec<f32>,
}

impl Norm {
    /// From a mean and (biased) variance per channel and the BatchNorm scale and shift.
    pub fn new(mean: &[f32], var: &[f32], gamma: &[f32], beta: &[f32], eps: f32) -> Self {
        let inv_std: Vec<f32> = var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect();
        let scale: Vec<f32> = gamma.iter().zip(&inv_std).map(|(g, s)| g * s).collect();
        let shift = beta
            .iter()
            .zip(mean)
            .zip(&scale)
            .map(|((b, m), s)| b - m * s)
            .collect();
        Self {
            mean: mean.to_vec(),
            inv_std,
            scale,
            shift,
        }
    }
}

/// Shape of one resampling: `c` planes of `h x w` before it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub kind: Resample,
}

impl Shape {
    /// Values per image after resampling.
    pub fn out_len(&self) -> usize {
        match self.kind {
            Resample::Pool => self.c * (self.h / 2) * (self.w / 2),
            Resample::Upsample => self.c * self.h * self.w * 4,
        }
    }

    /// `out = dropout(resample(relu(z · scale + shift)))` for one image, writing the routes the
    /// backward pass follows. `dropout` carries the mask and the index of this image's first
    /// output value in the batch.
    pub fn forward(
        &self,
        norm: &Norm,
        z: &[f32],
        dropout: Option<(Dropout, usize)>,
        route: &mut [u8],
        out: &mut [f32],
    ) {
        let (h, w) = (self.h, self.w);
        let keeps = |j: usize| dropout.is_none_or(|(d, base)| d.keeps(base + j));
        let scale_kept = dropout.map_or(1.0, |(d, _)| d.keep_scale);
        let planes = z.chunks_exact(h * w).enumerate();
        match self.kind {
            Resample::Pool => {
                let (ho, wo) = (h / 2, w / 2);
                for (ch, plane) in planes {
                    let (a, b) = (norm.scale[ch], norm.shift[ch]);
                    for yy in 0..ho {
                        for xx in 0..wo {
                            let base = 2 * yy * w + 2 * xx;
                            let taps = [base, base + 1, base + w, base + w + 1];
                            let (mut best, mut value) = (0u8, plane[base] * a + b);
                            for (t, &p) in taps.iter().enumerate().skip(1) {
                                let v = plane[p] * a + b;
                                if v > value {
                                    (best, value) = (t as u8, v);
                                }
                            }
                            let j = (ch * ho + yy) * wo + xx;
                            if keeps(j) {
                                route[j] = best;
                                out[j] = value.max(0.0) * scale_kept;
                            } else {
                                route[j] = DROPPED;
                                out[j] = 0.0;
                            }
                        }
                    }
                }
            }
            Resample::Upsample => {
                let w2 = 2 * w;
                for (ch, plane) in planes {
                    let (a, b) = (norm.scale[ch], norm.shift[ch]);
                    let first = ch * 4 * h * w;
                    for (y, row) in plane.chunks_exact(w).enumerate() {
                        for (x, &v) in row.iter().enumerate() {
                            let v = (v * a + b).max(0.0) * scale_kept;
                            for j in [
                                first + 2 * y * w2 + 2 * x,
                                first + 2 * y * w2 + 2 * x + 1,
                                first + (2 * y + 1) * w2 + 2 * x,
                                first + (2 * y + 1) * w2 + 2 * x + 1,
                            ] {
                                let kept = keeps(j);
                                route[j] = kept as u8;
                                out[j] = if kept { v } else { 0.0 };
                            }
                        }
                    }
                }
            }
        }
    }

    /// The backward of [`Shape::forward`] for one image: from the gradient of `out` to `g`, the
    /// gradient of the BatchNorm output (zero where ReLU was inactive). Writes into `sums`
    /// the per-channel `[Σ g, Σ g · x̂]` BatchNorm's backward needs.
    #[allow(clippy::too_many_arguments)]
    pub fn backward(
        &self,
        norm: &Norm,
        z: &[f32],
        route: &[u8],
        keep_scale: f32,
        d_out: &[f32],
        g: &mut [f32],
        sums: &mut [f64],
    ) {
        let (h, w) = (self.h, self.w);
        let hw = h * w;
        for (ch, ((plane, gp), sum)) in z
            .chunks_exact(hw)
            .zip(g.chunks_exact_mut(hw))
            .zip(sums.chunks_exact_mut(2))
            .enumerate()
        {
            let (a, b) = (norm.scale[ch], norm.shift[ch]);
            let (mean, inv_std) = (norm.mean[ch], norm.inv_std[ch]);
            let (mut sg, mut sgx) = (0f32, 0f32);
            match self.kind {
                Resample::Pool => {
                    gp.fill(0.0);
                    let (ho, wo) = (h / 2, w / 2);
                    let first = ch * ho * wo;
                    for yy in 0..ho {
                        for xx in 0..wo {
                            let j = first + yy * wo + xx;
                            let code = route[j];
                            if code == DROPPED {
                                continue;
                            }
                            let p =
                                (2 * yy + (code as usize >> 1)) * w + 2 * xx + (code as usize & 1);
                            if plane[p] * a + b > 0.0 {
                                let grad = d_out[j] * keep_scale;
                                gp[p] = grad;
                                sg += grad;
                                sgx += grad * (plane[p] - mean) * inv_std;
                            }
                        }
                    }
                }
                Resample::Upsample => {
                    let w2 = 2 * w;
                    let first = ch * 4 * hw;
                    let r = &route[first..first + 4 * hw];
                    let d = &d_out[first..first + 4 * hw];
                    for y in 0..h {
                        for x in 0..w {
                            let p = y * w + x;
                            if plane[p] * a + b <= 0.0 {
                                gp[p] = 0.0;
                                continue;
                            }
                            let mut s = 0.0;
                            for j in [
                                2 * y * w2 + 2 * x,
                                2 * y * w2 + 2 * x + 1,
                                (2 * y + 1) * w2 + 2 * x,
                                (2 * y + 1) * w2 + 2 * x + 1,
                            ] {
                                if r[j] != 0 {
                                    s += d[j];
                                }
                            }
                            let grad = s * keep_scale;
                            gp[p] = grad;
                            sg += grad;
                            sgx += grad * (plane[p] - mean) * inv_std;
                        }
                    }
                }
            }
            sum[0] = sg as f64;
            sum[1] = sgx as f64;
        }
    }
}

/// Mean and sum of squared deviations of one plane (the per-image part of BatchNorm's batch
/// moments, combined across images in f64).
pub(crate) fn plane_moments(plane: &[f32]) -> (f64, f64) {
    let mean = plane.iter().sum::<f32>() / plane.len() as f32;
    let m2 = plane.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>();
    (mean as f64, m2 as f64)
}

/// BatchNorm's backward for one image: `dz = γ · inv_std · (g − Σg / N − x̂ · Σ(g·x̂) / N)`,
/// with the batch sums `totals = [Σg, Σ(g·x̂)]` per channel and `count = N` values per channel.
pub(crate) fn batch_norm_backward(
    norm: &Norm,
    gamma: &[f32],
    totals: &[f64],
    count: f64,
    z: &[f32],
    g: &[f32],
    dz: &mut [f32],
) {
    let hw = z.len() / gamma.len();
    for (ch, ((zp, gp), dp)) in z
        .chunks_exact(hw)
        .zip(g.chunks_exact(hw))
        .zip(dz.chunks_exact_mut(hw))
        .enumerate()
    {
        let k = gamma[ch] * norm.inv_std[ch];
        let mg = (totals[2 * ch] / count) as f32;
        let mgx = (totals[2 * ch + 1] / count) as f32;
        let (mean, inv_std) = (norm.mean[ch], norm.inv_std[ch]);
        for ((d, &zv), &gv) in dp.iter_mut().zip(zp).zip(gp) {
            *d = k * (gv - mg - (zv - mean) * inv_std * mgx);
        }
    }
}
