//! The weight gradient's products in bf16 with `f32` sums (AVX-512 BF16's `vdpbf16ps`, which
//! does twice the multiply-adds of an `f32` FMA per instruction): the same sums as
//! [`super::kernel::weight_grad`], `dw[m][k] += Σ_images Σ_j g[m][j] · p[offs[k] + j]`, with
//! `g` and `p` rounded to bf16 (8 significant bits) first.
//!
//! Each image's output-gradient rows and padded input planes are converted once into
//! per-thread bf16 copies; a tile of `MR` kernels times `KR` taps then takes 32 products per
//! instruction, pairs of neighbouring pixels. Only the weight gradient runs here: its sums have
//! thousands of terms whose rounding errors average out, and Adam rescales each weight's step.
//! The forward pass and the input gradient stay in `f32`.

use std::cell::RefCell;

use super::kernel::{GradImage, check_grad_operands};

/// Bf16 values per register: the pixel step of the products.
const STEP: usize = 32;

/// Whether this CPU runs [`weight_grad`] (AVX-512 F, BW, VL and BF16; detected once and
/// cached by the standard library).
pub(crate) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512bf16")
}

thread_local! {
    /// Per-thread bf16 copies of the output gradients and the padded inputs (kept between
    /// calls: no allocation per step).
    static COPIES: RefCell<(Vec<u16>, Vec<u16>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// `dw[m][k] += Σ_images Σ_{j < n} g[m][j] · p[offs[k] + j]` as [`super::kernel::weight_grad`],
/// the operands rounded to bf16 (`n` a multiple of 16).
///
/// # Panics
/// When the CPU lacks AVX-512 BF16 ([`available`]) or an operand is too short for the
/// indices above.
pub(crate) fn weight_grad(
    images: &[GradImage<'_>],
    m: usize,
    offs: &[usize],
    n: usize,
    dw: &mut [f32],
) {
    assert!(available(), "the CPU has no AVX-512 BF16");
    let reach = check_grad_operands(images, m, offs, n, dw);
    let n_pairs = n.next_multiple_of(STEP);
    let p_len = reach.next_multiple_of(STEP) + STEP;
    COPIES.with(|copies| {
        let (g16, p16) = &mut *copies.borrow_mut();
        let (g16, p16) = (
            grown(g16, images.len() * m * n_pairs),
            grown(p16, images.len() * p_len),
        );
        let rows = g16.chunks_exact_mut(n_pairs);
        for (r, row) in rows.enumerate() {
            let (image, ch) = (&images[r / m.max(1)], r % m.max(1));
            to_bf16(&image.g[ch * image.g_stride..][..n], row);
        }
        for (image, planes) in images.iter().zip(p16.chunks_exact_mut(p_len)) {
            to_bf16(&image.p[..reach], planes);
        }
        let job = Job {
            g16,
            p16,
            images: images.len(),
            m,
            offs,
            n_pairs,
            p_len,
        };
        // SAFETY: the CPU has the features (asserted above); the copies hold `n_pairs` values
        // per row and `p_len ≥ max(offs) + n_pairs` per image.
        unsafe { x86::weight_grad(&job, dw) };
    });
}

/// The first `len` values of a per-thread copy, grown (never shrunk) as needed.
fn grown(v: &mut Vec<u16>, len: usize) -> &mut [u16] {
    if v.len() < len {
        v.resize(len, 0);
    }
    &mut v[..len]
}

/// `src` rounded to bf16 (to nearest, ties to even) into the start of `dst`, zeros after it.
fn to_bf16(src: &[f32], dst: &mut [u16]) {
    // SAFETY: only called by `weight_grad`, on a CPU with AVX-512 BF16.
    unsafe { x86::to_bf16(src, dst) }
}

/// The converted operands: per image `m` gradient rows of `n_pairs` values (zeros after the
/// `n` products), and its planes in `p_len` values.
struct Job<'a> {
    g16: &'a [u16],
    p16: &'a [u16],
    images: usize,
    m: usize,
    offs: &'a [usize],
    n_pairs: usize,
    p_len: usize,
}

mod x86 {
    //! The conversions and the tiles, compiled for AVX-512 BF16.

    use std::arch::x86_64::*;

    use super::{Job, STEP};

    /// [`super::to_bf16`].
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512bf16")]
    pub unsafe fn to_bf16(src: &[f32], dst: &mut [u16]) {
        assert!(
            dst.len() >= src.len().next_multiple_of(STEP),
            "bf16 copy too short"
        );
        let (head, tail) = dst.split_at_mut(src.len().next_multiple_of(STEP));
        tail.fill(0);
        for (i, out) in head.chunks_exact_mut(STEP).enumerate() {
            let start = i * STEP;
            let lanes = |from: usize| {
                let n = src.len().saturating_sub(from).min(16);
                ((1u32 << n) - 1) as __mmask16
            };
            // SAFETY: the masks keep the loads inside `src`; `out` holds 32 values.
            unsafe {
                let lo = _mm512_maskz_loadu_ps(lanes(start), src.as_ptr().wrapping_add(start));
                let hi =
                    _mm512_maskz_loadu_ps(lanes(start + 16), src.as_ptr().wrapping_add(start + 16));
                let pairs: __m512i = std::mem::transmute(_mm512_cvtne2ps_pbh(hi, lo));
                _mm512_storeu_si512(out.as_mut_ptr().cast(), pairs);
            }
        }
    }

    /// Every tile of the gradient, `MR x KR` where they fit and `1 x 1` at the edges.
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512bf16")]
    pub unsafe fn weight_grad(job: &Job<'_>, dw: &mut [f32]) {
        const MR: usize = 4;
        const KR: usize = 4;
        let k_len = job.offs.len();
        let mut m0 = 0;
        while m0 < job.m {
            let wide = job.m - m0 >= MR;
            let mut k0 = 0;
            while k0 < k_len {
                // SAFETY (all tiles): the caller's contract on `job`.
                unsafe {
                    match (wide, k_len - k0 >= KR) {
                        (true, true) => tile::<MR, KR>(job, m0, k0, dw),
                        (true, false) => tile::<MR, 1>(job, m0, k0, dw),
                        (false, true) => tile::<1, KR>(job, m0, k0, dw),
                        (false, false) => tile::<1, 1>(job, m0, k0, dw),
                    }
                }
                k0 += if k_len - k0 >= KR { KR } else { 1 };
            }
            m0 += if wide { MR } else { 1 };
        }
    }

    /// Kernels `m0..m0 + MR` times taps `k0..k0 + KR`, summed over the images in order.
    #[inline(always)]
    #[allow(clippy::needless_range_loop)]
    unsafe fn tile<const MR: usize, const KR: usize>(
        job: &Job<'_>,
        m0: usize,
        k0: usize,
        dw: &mut [f32],
    ) {
        unsafe {
            let mut acc = [[_mm512_setzero_ps(); KR]; MR];
            for image in 0..job.images {
                let g = job.g16.as_ptr().add((image * job.m + m0) * job.n_pairs);
                let p = job.p16.as_ptr().add(image * job.p_len);
                let mut taps = [p; KR];
                for t in 0..KR {
                    taps[t] = p.add(job.offs[k0 + t]);
                }
                let mut rows = [g; MR];
                for r in 0..MR {
                    rows[r] = g.add(r * job.n_pairs);
                }
                let mut j = 0;
                while j < job.n_pairs {
                    let mut b = [_mm512_setzero_si512(); KR];
                    for t in 0..KR {
                        b[t] = _mm512_loadu_si512(taps[t].add(j).cast());
                    }
                    for r in 0..MR {
                        let a = _mm512_loadu_si512(rows[r].add(j).cast());
                        for t in 0..KR {
                            acc[r][t] = _mm512_dpbf16_ps(acc[r][t], bh(a), bh(b[t]));
                        }
                    }
                    j += STEP;
                }
            }
            let k_len = job.offs.len();
            for r in 0..MR {
                for t in 0..KR {
                    dw[(m0 + r) * k_len + k0 + t] += _mm512_reduce_add_ps(acc[r][t]);
                }
            }
        }
    }

    /// 32 bf16 values of an integer register.
    #[inline(always)]
    fn bh(v: __m512i) -> __m512bh {
        // SAFETY: both are 64 plain bytes.
        unsafe { std::mem::transmute(v) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::test_values as values;

    /// Against plain loops in f64, for edge tiles in both directions and a pixel count that is
    /// not a multiple of 32: each product's operands are rounded to 8 significant bits, so the
    /// error stays below 2⁻⁷ of the sum of the products' magnitudes.
    #[test]
    fn products_match_plain_loops_within_bf16_rounding() {
        if !available() {
            return;
        }
        let (m, n, stride) = (11, 80, 96);
        let offs: Vec<usize> = (0..13).map(|k| (k * 37) % 50).collect();
        let p = values(50 + n, 1);
        let g = values(m * stride, 3);
        let image = GradImage {
            g: &g,
            g_stride: stride,
            p: &p,
        };
        let mut dw = vec![0.5; m * offs.len()];
        weight_grad(&[image, image], m, &offs, n, &mut dw);
        for r in 0..m {
            for (k, &off) in offs.iter().enumerate() {
                let terms = (0..n).map(|j| g[r * stride + j] as f64 * p[off + j] as f64);
                let want: f64 = 2.0 * terms.clone().sum::<f64>();
                let scale: f64 = 2.0 * terms.map(f64::abs).sum::<f64>();
                let got = dw[r * offs.len() + k] as f64 - 0.5;
                assert!((got - want).abs() <= scale / 128.0, "{got} {want} {scale}");
            }
        }
    }

    /// Values exactly representable in bf16 give the exact `f32` sums' result.
    #[test]
    fn exact_for_values_with_eight_significant_bits() {
        if !available() {
            return;
        }
        let (m, n) = (5, 48);
        let offs: Vec<usize> = (0..7).collect();
        let p: Vec<f32> = (0..n + 8).map(|i| (i % 9) as f32 * 0.25).collect();
        let g: Vec<f32> = (0..m * n).map(|i| (i % 5) as f32 - 2.0).collect();
        let image = GradImage {
            g: &g,
            g_stride: n,
            p: &p,
        };
        let mut dw = vec![0.0; m * offs.len()];
        weight_grad(&[image], m, &offs, n, &mut dw);
        for r in 0..m {
            for (k, &off) in offs.iter().enumerate() {
                let want: f32 = (0..n).map(|j| g[r * n + j] * p[off + j]).sum();
                assert_eq!(dw[r * offs.len() + k], want);
            }
        }
    }
}
