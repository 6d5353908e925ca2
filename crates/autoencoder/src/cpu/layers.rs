//! The per-image kernels between convolutions: BatchNorm (as a per-channel affine map), with
//! ReLU after it or not (when the ReLU comes first, it is applied to the convolution output),
//! fused with 2 x 2 max-pooling or nearest upsampling and dropout, their backward passes, and
//! the per-channel sums BatchNorm needs.

use multiversion::multiversion;

use super::simd::Fold;
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

/// A block's BatchNorm in the form the kernels use: `max(z · scale + shift, floor)` and
/// `x̂ = (z − mean) · inv_std`, per channel. `z` is the convolution output, rectified in place
/// when the ReLU comes before BatchNorm.
#[derive(Debug, Clone, Default)]
pub(crate) struct Norm {
    pub mean: Vec<f32>,
    pub inv_std: Vec<f32>,
    pub scale: Vec<f32>,
    pub shift: Vec<f32>,
    /// Whether the ReLU comes before BatchNorm (`z` rectified, no ReLU after BatchNorm).
    pub relu_first: bool,
}

impl Norm {
    /// From a mean and (biased) variance per channel, the BatchNorm scale and shift, and where
    /// the ReLU sits.
    pub fn new(
        mean: &[f32],
        var: &[f32],
        gamma: &[f32],
        beta: &[f32],
        eps: f32,
        relu_first: bool,
    ) -> Self {
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
            relu_first,
        }
    }

    /// The lower clamp after BatchNorm: 0 (its ReLU), or −∞ when the ReLU came before it.
    fn floor(&self) -> f32 {
        if self.relu_first {
            f32::NEG_INFINITY
        } else {
            0.0
        }
    }

    /// Inputs `z` above this pass gradient back to the convolution: 0 when `z` was rectified
    /// (ReLU before BatchNorm), −∞ (all) otherwise.
    fn input_cut(&self) -> f32 {
        if self.relu_first {
            0.0
        } else {
            f32::NEG_INFINITY
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

    /// `out = dropout(resample(max(z · scale + shift, floor)))` for one image, writing the routes the
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
        match dropout {
            Some((d, first)) => d.flags(first, route),
            None => route.fill(1),
        }
        let scale_kept = dropout.map_or(1.0, |(d, _)| d.keep_scale);
        match self.kind {
            Resample::Pool => pool_forward(self, norm, z, scale_kept, route, out),
            Resample::Upsample => upsample_forward(self, norm, z, scale_kept, route, out),
        }
    }

    /// The backward of [`Shape::forward`] for one image: from the gradient of `out` to `g`, the
    /// gradient of the BatchNorm output (zero where a ReLU after BatchNorm was inactive). Writes into `sums`
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
        match self.kind {
            Resample::Pool => pool_backward(self, norm, z, route, keep_scale, d_out, g),
            Resample::Upsample => upsample_backward(self, norm, z, route, keep_scale, d_out, g),
        }
        let hw = self.h * self.w;
        for (ch, ((plane, gp), sum)) in z
            .chunks_exact(hw)
            .zip(g.chunks_exact(hw))
            .zip(sums.chunks_exact_mut(2))
            .enumerate()
        {
            sum[0] = Fold::Sum.over(gp, &[]) as f64;
            sum[1] = (Fold::Centered(norm.mean[ch]).over(gp, plane) * norm.inv_std[ch]) as f64;
        }
    }
}

/// [`Shape::forward`]'s BatchNorm + max-pool + dropout (the routes hold the dropout flags on
/// entry, the window's argmax or [`DROPPED`] on return). Branch-free, vectorised over a row.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn pool_forward(
    shape: &Shape,
    norm: &Norm,
    z: &[f32],
    keep: f32,
    route: &mut [u8],
    out: &mut [f32],
) {
    let (h, w) = (shape.h, shape.w);
    let (ho, wo) = (h / 2, w / 2);
    let floor = norm.floor();
    for (ch, plane) in z.chunks_exact(h * w).enumerate() {
        let (a, b) = (norm.scale[ch], norm.shift[ch]);
        let first = ch * ho * wo;
        let routes = route[first..first + ho * wo].chunks_exact_mut(wo);
        let outs = out[first..first + ho * wo].chunks_exact_mut(wo);
        for ((pair, r), o) in plane.chunks_exact(2 * w).zip(routes).zip(outs) {
            let (top, bottom) = pair.split_at(w);
            let windows = top.chunks_exact(2).zip(bottom.chunks_exact(2));
            for ((t, bt), (r, o)) in windows.zip(r.iter_mut().zip(o.iter_mut())) {
                let taps = [t[0], t[1], bt[0], bt[1]];
                // Branch-free: the comparisons are data-dependent coin flips.
                let (mut best, mut value) = (0u8, taps[0] * a + b);
                for (i, &v) in taps.iter().enumerate().skip(1) {
                    let v = v * a + b;
                    let greater = v > value;
                    best = if greater { i as u8 } else { best };
                    value = if greater { v } else { value };
                }
                let kept = *r != 0;
                *r = if kept { best } else { DROPPED };
                *o = value.max(floor) * keep * kept as u8 as f32;
            }
        }
    }
}

/// [`Shape::forward`]'s BatchNorm + nearest upsampling + dropout (`route`: the dropout flags).
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn upsample_forward(
    shape: &Shape,
    norm: &Norm,
    z: &[f32],
    keep: f32,
    route: &[u8],
    out: &mut [f32],
) {
    let (h, w) = (shape.h, shape.w);
    let w2 = 2 * w;
    let floor = norm.floor();
    for (ch, plane) in z.chunks_exact(h * w).enumerate() {
        let (a, b) = (norm.scale[ch], norm.shift[ch]);
        let first = ch * 4 * h * w;
        let outs = &mut out[first..first + 4 * h * w];
        let routes = &route[first..first + 4 * h * w];
        for ((row, pair), flags) in plane
            .chunks_exact(w)
            .zip(outs.chunks_exact_mut(2 * w2))
            .zip(routes.chunks_exact(2 * w2))
        {
            let (top, bottom) = pair.split_at_mut(w2);
            for (dst, &v) in top.chunks_exact_mut(2).zip(row) {
                let v = (v * a + b).max(floor) * keep;
                dst[0] = v;
                dst[1] = v;
            }
            bottom.copy_from_slice(top);
            for (o, &f) in pair.iter_mut().zip(flags) {
                *o *= f as f32;
            }
        }
    }
}

/// [`Shape::backward`] through max-pool: each window's gradient goes to its argmax (none
/// when dropped, zero where the ReLU after BatchNorm was inactive); the other values get 0.
/// Branch-free, vectorised over a row.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn pool_backward(
    shape: &Shape,
    norm: &Norm,
    z: &[f32],
    route: &[u8],
    keep: f32,
    d_out: &[f32],
    g: &mut [f32],
) {
    let (h, w) = (shape.h, shape.w);
    let (ho, wo) = (h / 2, w / 2);
    let floor = norm.floor();
    if h % 2 == 1 || w % 2 == 1 {
        g.fill(0.0);
    }
    for (ch, (plane, gp)) in z
        .chunks_exact(h * w)
        .zip(g.chunks_exact_mut(h * w))
        .enumerate()
    {
        let (a, b) = (norm.scale[ch], norm.shift[ch]);
        let first = ch * ho * wo;
        let routes = route[first..first + ho * wo].chunks_exact(wo);
        let grads = d_out[first..first + ho * wo].chunks_exact(wo);
        let rows = plane.chunks_exact(2 * w).zip(gp.chunks_exact_mut(2 * w));
        for ((zs, gs), (r, d)) in rows.zip(routes.zip(grads)) {
            let (zt, zb) = zs.split_at(w);
            let (gt, gb) = gs.split_at_mut(w);
            let (zt, zb, gt, gb) = (
                &zt[..2 * wo],
                &zb[..2 * wo],
                &mut gt[..2 * wo],
                &mut gb[..2 * wo],
            );
            let (r, d) = (&r[..wo], &d[..wo]);
            for x in 0..wo {
                // A dropped value routes nothing; its code's low bits name tap 0.
                let code = r[x];
                let c = code & 3;
                let odd = c & 1 == 1;
                let top = if odd { zt[2 * x + 1] } else { zt[2 * x] };
                let bottom = if odd { zb[2 * x + 1] } else { zb[2 * x] };
                let v = if c & 2 == 0 { top } else { bottom };
                let live = ((code != DROPPED) & (v * a + b > floor)) as u8 as f32;
                let grad = d[x] * keep * live;
                gt[2 * x] = if c == 0 { grad } else { 0.0 };
                gt[2 * x + 1] = if c == 1 { grad } else { 0.0 };
                gb[2 * x] = if c == 2 { grad } else { 0.0 };
                gb[2 * x + 1] = if c == 3 { grad } else { 0.0 };
            }
        }
    }
}

/// [`Shape::backward`] through upsampling: the sum of the four kept copies' gradients, zero
/// where the ReLU after BatchNorm was inactive.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn upsample_backward(
    shape: &Shape,
    norm: &Norm,
    z: &[f32],
    route: &[u8],
    keep: f32,
    d_out: &[f32],
    g: &mut [f32],
) {
    let (h, w) = (shape.h, shape.w);
    let (hw, w2) = (h * w, 2 * w);
    let floor = norm.floor();
    for (ch, (plane, gp)) in z.chunks_exact(hw).zip(g.chunks_exact_mut(hw)).enumerate() {
        let (a, b) = (norm.scale[ch], norm.shift[ch]);
        let first = ch * 4 * hw;
        let r = &route[first..first + 4 * hw];
        let d = &d_out[first..first + 4 * hw];
        for ((zr, gr), (rr, dr)) in plane
            .chunks_exact(w)
            .zip(gp.chunks_exact_mut(w))
            .zip(r.chunks_exact(2 * w2).zip(d.chunks_exact(2 * w2)))
        {
            let (rt, rb) = rr.split_at(w2);
            let (dt, db) = dr.split_at(w2);
            let copies = rt.chunks_exact(2).zip(rb.chunks_exact(2));
            let grads = dt.chunks_exact(2).zip(db.chunks_exact(2));
            for ((&zv, g), ((rt, rb), (dt, db))) in zr.iter().zip(gr).zip(copies.zip(grads)) {
                let s = dt[0] * rt[0] as f32
                    + dt[1] * rt[1] as f32
                    + db[0] * rb[0] as f32
                    + db[1] * rb[1] as f32;
                let live = (zv * a + b > floor) as u8 as f32;
                *g = s * keep * live;
            }
        }
    }
}

/// Mean and sum of squared deviations of one plane (the per-image part of BatchNorm's batch
/// moments, combined across images in f64).
pub(crate) fn plane_moments(plane: &[f32]) -> (f64, f64) {
    let mean = Fold::Sum.over(plane, &[]) / plane.len() as f32;
    let m2 = Fold::Squares(mean).over(plane, &[]);
    (mean as f64, m2 as f64)
}

/// BatchNorm's backward for one image: `dz = γ · inv_std · (g − Σg / N − x̂ · Σ(g·x̂) / N)`,
/// with the batch sums `totals = [Σg, Σ(g·x̂)]` per channel and `count = N` values per channel,
/// times the ReLU's gate `z > 0` when the ReLU came before BatchNorm.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
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
    let cut = norm.input_cut();
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
            let live = (zv > cut) as u8 as f32;
            *d = k * (gv - mg - (zv - mean) * inv_std * mgx) * live;
        }
    }
}
