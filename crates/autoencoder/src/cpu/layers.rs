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
            Resample::Pool => pool_backward(self, route, keep_scale, d_out, g),
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
/// entry, the window's argmax on return, or [`DROPPED`] for a value dropped or cut by the ReLU
/// after BatchNorm). Branch-free, vectorised over a row.
fn pool_forward(
    shape: &Shape,
    norm: &Norm,
    z: &[f32],
    keep: f32,
    route: &mut [u8],
    out: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if has_avx512() {
        // SAFETY: the CPU has the features the function is compiled for.
        unsafe { avx512::pool_forward(shape, norm, z, keep, route, out) };
        return;
    }
    pool_forward_portable(shape, norm, z, keep, route, out);
}

/// [`pool_forward`] for CPUs without AVX-512.
#[multiversion(targets("x86_64+avx2+fma"))]
fn pool_forward_portable(
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
                // A value the ReLU after BatchNorm cut routes no gradient either.
                *r = if kept & (value > floor) {
                    best
                } else {
                    DROPPED
                };
                *o = value.max(floor) * keep * kept as u8 as f32;
            }
        }
    }
}

/// [`Shape::forward`]'s BatchNorm + nearest upsampling + dropout (`route`: the dropout flags).
fn upsample_forward(
    shape: &Shape,
    norm: &Norm,
    z: &[f32],
    keep: f32,
    route: &[u8],
    out: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if has_avx512() {
        // SAFETY: the CPU has the features the function is compiled for.
        unsafe { avx512::upsample_forward(shape, norm, z, keep, route, out) };
        return;
    }
    upsample_forward_portable(shape, norm, z, keep, route, out);
}

/// [`upsample_forward`] for CPUs without AVX-512.
#[multiversion(targets("x86_64+avx2+fma"))]
fn upsample_forward_portable(
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
/// when its route is [`DROPPED`]); the other values get 0. A row of windows at a time, in
/// masked AVX-512 registers where the CPU has them (rows are 7 to 14 windows long, too short
/// for the compiler's loops).
fn pool_backward(shape: &Shape, route: &[u8], keep: f32, d_out: &[f32], g: &mut [f32]) {
    let (h, w) = (shape.h, shape.w);
    let (ho, wo) = (h / 2, w / 2);
    if h % 2 == 1 || w % 2 == 1 {
        g.fill(0.0);
    }
    let row = pool_backward_row();
    for (gp, (routes, grads)) in g
        .chunks_exact_mut(h * w)
        .zip(route.chunks_exact(ho * wo).zip(d_out.chunks_exact(ho * wo)))
    {
        let rows = gp.chunks_exact_mut(2 * w);
        for (gs, (r, d)) in rows.zip(routes.chunks_exact(wo).zip(grads.chunks_exact(wo))) {
            let (gt, gb) = gs.split_at_mut(w);
            row(r, d, keep, &mut gt[..2 * wo], &mut gb[..2 * wo]);
        }
    }
}

/// One row of [`pool_backward`]: the routes `r` and gradients `d` of `wo` windows, the top and
/// bottom gradient rows `gt` and `gb` of `2 · wo` values.
type PoolRow = fn(&[u8], &[f32], f32, &mut [f32], &mut [f32]);

/// The widest [`PoolRow`] this CPU runs.
fn pool_backward_row() -> PoolRow {
    #[cfg(target_arch = "x86_64")]
    if has_avx512() {
        // SAFETY: the CPU has the features the function is compiled for.
        return |r, d, keep, gt, gb| unsafe { avx512::pool_backward_row(r, d, keep, gt, gb) };
    }
    pool_backward_row_portable
}

/// The portable [`PoolRow`], branch-free.
fn pool_backward_row_portable(r: &[u8], d: &[f32], keep: f32, gt: &mut [f32], gb: &mut [f32]) {
    for (x, (&code, &d)) in r.iter().zip(d).enumerate() {
        // A dropped value routes nothing (code 4 matches no tap).
        let grad = d * keep;
        gt[2 * x] = if code == 0 { grad } else { 0.0 };
        gt[2 * x + 1] = if code == 1 { grad } else { 0.0 };
        gb[2 * x] = if code == 2 { grad } else { 0.0 };
        gb[2 * x + 1] = if code == 3 { grad } else { 0.0 };
    }
}

/// Whether the CPU has AVX-512 F, BW and VL (detected once and cached by the standard library).
#[cfg(target_arch = "x86_64")]
fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl")
}

/// The resampling's row kernels in masked AVX-512 registers.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{Norm, Shape};

    /// The mask of the first `n` (at most 16) lanes.
    fn lanes(n: usize) -> __mmask16 {
        ((1u32 << n) - 1) as __mmask16
    }

    /// The masks of `2 · n` values (`n` at most 16) in two registers.
    fn pair_lanes(n: usize) -> (__mmask16, __mmask16) {
        (lanes((2 * n).min(16)), lanes((2 * n).saturating_sub(16)))
    }

    /// One tap of 16 windows: the even or odd (`index`) values of the 32 at `p` under the
    /// masks `ms`, through BatchNorm's `a · z + b`.
    ///
    /// # Safety
    /// The values under the masks are readable.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn window_taps(
        p: *const f32,
        ms: (__mmask16, __mmask16),
        index: __m512i,
        (a, b): (__m512, __m512),
    ) -> __m512 {
        // SAFETY: the caller's contract.
        let (lo, hi) = unsafe {
            (
                _mm512_maskz_loadu_ps(ms.0, p),
                _mm512_maskz_loadu_ps(ms.1, p.wrapping_add(16)),
            )
        };
        _mm512_add_ps(_mm512_mul_ps(_mm512_permutex2var_ps(lo, index, hi), a), b)
    }

    /// [`super::pool_forward`] in 16-window masked registers (the taps compared in the
    /// portable code's order, so ties pick the same argmax).
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    pub fn pool_forward(
        shape: &Shape,
        norm: &Norm,
        z: &[f32],
        keep: f32,
        route: &mut [u8],
        out: &mut [f32],
    ) {
        let (h, w) = (shape.h, shape.w);
        let (ho, wo) = (h / 2, w / 2);
        assert!(z.len() == shape.c * h * w && route.len() == shape.c * ho * wo);
        assert!(out.len() == route.len());
        let (floor, keep) = (_mm512_set1_ps(norm.floor()), _mm512_set1_ps(keep));
        let evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        let odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        let rows = route.chunks_exact_mut(wo).zip(out.chunks_exact_mut(wo));
        for (y, (r, o)) in rows.enumerate() {
            let ch = y / ho;
            let (a, b) = (
                _mm512_set1_ps(norm.scale[ch]),
                _mm512_set1_ps(norm.shift[ch]),
            );
            let top = z[ch * h * w + (2 * (y % ho)) * w..].as_ptr();
            for start in (0..wo).step_by(16) {
                let n = (wo - start).min(16);
                let (m_lo, m_hi) = pair_lanes(n);
                // SAFETY (all loads and stores): as in `upsample_forward`.
                unsafe {
                    let bottom = top.wrapping_add(w);
                    let (ms, ab) = ((m_lo, m_hi), (a, b));
                    let taps = [
                        window_taps(top.wrapping_add(2 * start), ms, evens, ab),
                        window_taps(top.wrapping_add(2 * start), ms, odds, ab),
                        window_taps(bottom.wrapping_add(2 * start), ms, evens, ab),
                        window_taps(bottom.wrapping_add(2 * start), ms, odds, ab),
                    ];
                    let (mut best, mut value) = (_mm512_setzero_si512(), taps[0]);
                    for (i, &v) in taps.iter().enumerate().skip(1) {
                        let greater = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, value);
                        best = _mm512_mask_mov_epi32(best, greater, _mm512_set1_epi32(i as i32));
                        value = _mm512_mask_mov_ps(value, greater, v);
                    }
                    let flags = _mm_maskz_loadu_epi8(lanes(n), r.as_ptr().add(start).cast());
                    let kept = _mm512_cmpneq_epi32_mask(
                        _mm512_cvtepu8_epi32(flags),
                        _mm512_setzero_si512(),
                    );
                    let live = kept & _mm512_cmp_ps_mask::<_CMP_GT_OQ>(value, floor);
                    let code =
                        _mm512_mask_mov_epi32(_mm512_set1_epi32(super::DROPPED as i32), live, best);
                    _mm512_mask_cvtepi32_storeu_epi8(
                        r.as_mut_ptr().add(start).cast(),
                        lanes(n),
                        code,
                    );
                    let kept = _mm512_maskz_mov_ps(kept, _mm512_set1_ps(1.0));
                    let v = _mm512_mul_ps(_mm512_mul_ps(_mm512_max_ps(value, floor), keep), kept);
                    _mm512_mask_storeu_ps(o.as_mut_ptr().add(start), lanes(n), v);
                }
            }
        }
    }

    /// 16 route flags (0 or 1) under `mask` at `p`, as `f32`.
    ///
    /// # Safety
    /// The values under `mask` are readable.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    unsafe fn flags(mask: __mmask16, p: *const u8) -> __m512 {
        // SAFETY: the caller's contract.
        let bytes = unsafe { _mm_maskz_loadu_epi8(mask, p.cast()) };
        _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes))
    }

    /// 16 gradients under `mask` at `d` times their route flags at `f`.
    ///
    /// # Safety
    /// The values under `mask` are readable.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    unsafe fn kept_grads(mask: __mmask16, d: *const f32, f: *const u8) -> __m512 {
        // SAFETY: the caller's contract.
        unsafe { _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, d), flags(mask, f)) }
    }

    /// [`super::upsample_forward`] in 16-value masked registers.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    pub fn upsample_forward(
        shape: &Shape,
        norm: &Norm,
        z: &[f32],
        keep: f32,
        route: &[u8],
        out: &mut [f32],
    ) {
        let (h, w) = (shape.h, shape.w);
        assert!(
            z.len() == shape.c * h * w && route.len() == 4 * z.len() && out.len() == route.len()
        );
        let (floor, keep) = (_mm512_set1_ps(norm.floor()), _mm512_set1_ps(keep));
        let lo = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
        let hi = _mm512_setr_epi32(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
        let rows = z.chunks_exact(w).zip(out.chunks_exact_mut(4 * w));
        for (y, (row, pair)) in rows.enumerate() {
            let ch = y / h;
            let (a, b) = (
                _mm512_set1_ps(norm.scale[ch]),
                _mm512_set1_ps(norm.shift[ch]),
            );
            let flags_at = route[4 * w * y..].as_ptr();
            for start in (0..w).step_by(16) {
                let n = (w - start).min(16);
                let (m_lo, m_hi) = pair_lanes(n);
                // SAFETY (all loads and stores): the lanes under the masks are in bounds (masked
                // loads and stores touch no others); the rows' lengths are asserted above.
                unsafe {
                    let v = _mm512_maskz_loadu_ps(lanes(n), row.as_ptr().add(start));
                    let v = _mm512_max_ps(_mm512_add_ps(_mm512_mul_ps(v, a), b), floor);
                    let v = _mm512_mul_ps(v, keep);
                    let halves = [(lo, m_lo, 0), (hi, m_hi, 16)];
                    for (index, mask, offset) in halves {
                        let copies = _mm512_permutexvar_ps(index, v);
                        for at in [2 * start + offset, 2 * w + 2 * start + offset] {
                            let f = flags(mask, flags_at.wrapping_add(at));
                            let p = pair.as_mut_ptr().wrapping_add(at);
                            _mm512_mask_storeu_ps(p, mask, _mm512_mul_ps(copies, f));
                        }
                    }
                }
            }
        }
    }

    /// [`super::upsample_backward`] in 16-value masked registers (the four copies summed in
    /// the portable code's order).
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    pub fn upsample_backward(
        shape: &Shape,
        norm: &Norm,
        z: &[f32],
        route: &[u8],
        keep: f32,
        d_out: &[f32],
        g: &mut [f32],
    ) {
        let (h, w) = (shape.h, shape.w);
        assert!(g.len() == z.len() && route.len() == 4 * z.len() && d_out.len() == route.len());
        let (floor, keep) = (_mm512_set1_ps(norm.floor()), _mm512_set1_ps(keep));
        let evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        let odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        let rows = z.chunks_exact(w).zip(g.chunks_exact_mut(w));
        for (y, (zr, gr)) in rows.enumerate() {
            let ch = y / h;
            let (a, b) = (
                _mm512_set1_ps(norm.scale[ch]),
                _mm512_set1_ps(norm.shift[ch]),
            );
            let (flags_at, d_at) = (route[4 * w * y..].as_ptr(), d_out[4 * w * y..].as_ptr());
            for start in (0..w).step_by(16) {
                let n = (w - start).min(16);
                let (m_lo, m_hi) = pair_lanes(n);
                // SAFETY (all loads and stores): as in `upsample_forward`.
                unsafe {
                    let (top, bottom) = (2 * start, 2 * w + 2 * start);
                    let (d_top, f_top) = (d_at.wrapping_add(top), flags_at.wrapping_add(top));
                    let (d_bot, f_bot) = (d_at.wrapping_add(bottom), flags_at.wrapping_add(bottom));
                    let t_lo = kept_grads(m_lo, d_top, f_top);
                    let t_hi = kept_grads(m_hi, d_top.wrapping_add(16), f_top.wrapping_add(16));
                    let b_lo = kept_grads(m_lo, d_bot, f_bot);
                    let b_hi = kept_grads(m_hi, d_bot.wrapping_add(16), f_bot.wrapping_add(16));
                    let s = _mm512_add_ps(
                        _mm512_permutex2var_ps(t_lo, evens, t_hi),
                        _mm512_permutex2var_ps(t_lo, odds, t_hi),
                    );
                    let s = _mm512_add_ps(s, _mm512_permutex2var_ps(b_lo, evens, b_hi));
                    let s = _mm512_add_ps(s, _mm512_permutex2var_ps(b_lo, odds, b_hi));
                    let zv = _mm512_maskz_loadu_ps(lanes(n), zr.as_ptr().add(start));
                    let bn = _mm512_add_ps(_mm512_mul_ps(zv, a), b);
                    let live = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(bn, floor);
                    let live = _mm512_maskz_mov_ps(live, _mm512_set1_ps(1.0));
                    let gv = _mm512_mul_ps(_mm512_mul_ps(s, keep), live);
                    _mm512_mask_storeu_ps(gr.as_mut_ptr().add(start), lanes(n), gv);
                }
            }
        }
    }

    /// The lanes of `grad` whose code is `tap`, zero elsewhere.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn routed(codes: __m512i, tap: i32, grad: __m512) -> __m512 {
        _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(codes, _mm512_set1_epi32(tap)), grad)
    }

    /// [`super::PoolRow`] in 16-window masked registers.
    ///
    /// # Safety
    /// The CPU has AVX-512 F, BW and VL; `d` is as long as `r`, `gt` and `gb` twice as long.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    pub unsafe fn pool_backward_row(
        r: &[u8],
        d: &[f32],
        keep: f32,
        gt: &mut [f32],
        gb: &mut [f32],
    ) {
        assert!(d.len() == r.len() && gt.len() == 2 * r.len() && gb.len() == gt.len());
        let lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        let hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        let keep = _mm512_set1_ps(keep);
        for start in (0..r.len()).step_by(16) {
            let n = (r.len() - start).min(16);
            let (mask, (out_lo, out_hi)) = (lanes(n), pair_lanes(n));
            // SAFETY: lanes `start..start + n` are in bounds (masked loads and stores touch
            // nothing else).
            unsafe {
                let codes =
                    _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mask, r.as_ptr().add(start).cast()));
                let grad = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, d.as_ptr().add(start)), keep);
                let top = (routed(codes, 0, grad), routed(codes, 1, grad));
                let bottom = (routed(codes, 2, grad), routed(codes, 3, grad));
                for (dst, (left, right)) in [(&mut *gt, top), (&mut *gb, bottom)] {
                    let p = dst.as_mut_ptr().add(2 * start);
                    _mm512_mask_storeu_ps(p, out_lo, _mm512_permutex2var_ps(left, lo, right));
                    _mm512_mask_storeu_ps(
                        p.wrapping_add(16),
                        out_hi,
                        _mm512_permutex2var_ps(left, hi, right),
                    );
                }
            }
        }
    }
}

/// [`Shape::backward`] through upsampling: the sum of the four kept copies' gradients, zero
/// where the ReLU after BatchNorm was inactive.
fn upsample_backward(
    shape: &Shape,
    norm: &Norm,
    z: &[f32],
    route: &[u8],
    keep: f32,
    d_out: &[f32],
    g: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if has_avx512() {
        // SAFETY: the CPU has the features the function is compiled for.
        unsafe { avx512::upsample_backward(shape, norm, z, route, keep, d_out, g) };
        return;
    }
    upsample_backward_portable(shape, norm, z, route, keep, d_out, g);
}

/// [`upsample_backward`] for CPUs without AVX-512.
#[multiversion(targets("x86_64+avx2+fma"))]
fn upsample_backward_portable(
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every [`PoolRow`] this CPU runs writes exactly what the portable one writes, for rows
    /// shorter and longer than a register and every route code (dropped included).
    #[test]
    fn pool_backward_rows_agree() {
        for wo in 1..40 {
            let r: Vec<u8> = (0..wo).map(|x| ((x * 7 + wo) % 5) as u8).collect();
            let d: Vec<f32> = (0..wo).map(|x| x as f32 - 3.5).collect();
            let mut expected = (vec![9.0; 2 * wo], vec![9.0; 2 * wo]);
            pool_backward_row_portable(&r, &d, 2.0, &mut expected.0, &mut expected.1);
            let mut got = (vec![9.0; 2 * wo], vec![9.0; 2 * wo]);
            pool_backward_row()(&r, &d, 2.0, &mut got.0, &mut got.1);
            assert_eq!(got, expected, "{wo} windows");
            let total: f32 = expected.0.iter().chain(&expected.1).sum();
            let kept = r.iter().zip(&d).filter(|(c, _)| **c != DROPPED);
            assert_eq!(
                total,
                kept.map(|(_, d)| 2.0 * d).sum::<f32>(),
                "{wo} windows"
            );
        }
    }

    /// The upsampling kernels this CPU runs compute exactly what the portable ones compute,
    /// for rows shorter and longer than a register, dropped copies, and both ReLU orders.
    #[test]
    fn upsample_kernels_agree() {
        for (w, relu_first) in [(1, false), (7, true), (14, false), (17, true), (28, true)] {
            let kind = Resample::Upsample;
            let shape = Shape {
                c: 2,
                h: 3,
                w,
                kind,
            };
            let n = 2 * 3 * w;
            let (mean, var) = ([0.1, -0.2], [0.5, 2.0]);
            let norm = Norm::new(&mean, &var, &[1.5, -0.7], &[0.3, 0.05], 1e-3, relu_first);
            let z: Vec<f32> = (0..n)
                .map(|i| ((i * 37 % 23) as f32 - 11.0) / 7.0)
                .collect();
            let route: Vec<u8> = (0..4 * n).map(|i| (i * 13 % 5 != 0) as u8).collect();
            let d: Vec<f32> = (0..4 * n)
                .map(|i| ((i * 29 % 31) as f32 - 15.0) / 9.0)
                .collect();
            let (mut out, mut expected) = (vec![9.0; 4 * n], vec![9.0; 4 * n]);
            upsample_forward(&shape, &norm, &z, 1.25, &route, &mut out);
            upsample_forward_portable(&shape, &norm, &z, 1.25, &route, &mut expected);
            assert_eq!(out, expected, "forward, rows of {w}");
            let (mut g, mut expected) = (vec![9.0; n], vec![9.0; n]);
            upsample_backward(&shape, &norm, &z, &route, 1.25, &d, &mut g);
            upsample_backward_portable(&shape, &norm, &z, &route, 1.25, &d, &mut expected);
            assert_eq!(g, expected, "backward, rows of {w}");
        }
    }

    /// The max-pool forward this CPU runs computes exactly what the portable one computes
    /// (outputs and routes, ties included), for odd and even sizes and both ReLU orders.
    #[test]
    fn pool_forward_kernels_agree() {
        for (h, w, relu_first) in [(2, 2, false), (4, 14, true), (3, 28, false), (6, 35, true)] {
            let shape = Shape {
                c: 2,
                h,
                w,
                kind: Resample::Pool,
            };
            let n = 2 * h * w;
            let (mean, var) = ([0.1, -0.2], [0.5, 2.0]);
            let norm = Norm::new(&mean, &var, &[1.5, -0.7], &[0.3, 0.05], 1e-3, relu_first);
            let z: Vec<f32> = (0..n).map(|i| ((i * 7 % 5) as f32 - 2.0) / 3.0).collect();
            let len = shape.out_len();
            let flags: Vec<u8> = (0..len).map(|i| (i * 13 % 5 != 0) as u8).collect();
            let (mut route, mut out) = (flags.clone(), vec![9.0; len]);
            let mut expected = (flags, vec![9.0; len]);
            pool_forward(&shape, &norm, &z, 1.25, &mut route, &mut out);
            pool_forward_portable(&shape, &norm, &z, 1.25, &mut expected.0, &mut expected.1);
            assert_eq!((route, out), expected, "{h} x {w}");
        }
    }
}
