//! The convolutions' products in bf16 with `f32` sums, on AVX-512 BF16: `vdpbf16ps` multiplies
//! 32 pairs of bf16 values (8 significant bits) per instruction and adds each pair's two
//! products to one of 16 `f32` sums, twice the multiply-adds of an `f32` FMA. The sums are
//! those of [`super::kernel`], run by its generic tiles with the operands rounded to bf16:
//! - [`forward`] (the convolution and its input gradient), `out[m][j] = Σ_k w[m][k] ·
//!   p[offs[k] + j]`, pairs along the reduction: the planes of input channels `2q` and
//!   `2q + 1` interleaved into one 32-bit word per pixel ([`with_pairs`]), and the kernels'
//!   weights likewise ([`pack_kernels`]);
//! - [`weight_grad`], `dw[m][k] += Σ_images Σ_j g[m][j] · p[offs[k] + j]`, pairs of
//!   neighbouring pixels: each image's output-gradient rows and padded planes converted once
//!   into per-thread copies.
//!
//! Every sum has tens to thousands of terms whose rounding errors partly cancel; BatchNorm, the
//! loss and Adam stay in `f32`.

use std::arch::x86_64::*;
use std::cell::RefCell;

use super::kernel::{Conv, Forward, Grad, GradImage, Lanes, check_grad_operands};
use super::kernel::{forward_tiles, grad_tiles};
use super::sized;

/// Bf16 values per register: the pixel step of the weight gradient.
const STEP: usize = 32;

/// Whether this CPU runs the products here (AVX-512 F, BW, VL and BF16; detected once and
/// cached by the standard library).
pub(crate) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512bf16")
}

/// Per-thread bf16 copies of the operands (kept between calls: no allocation per step).
#[derive(Default)]
struct Copies {
    /// The weight gradient's output-gradient rows.
    rows: Vec<u16>,
    /// The weight gradient's padded planes.
    planes: Vec<u16>,
    /// The forward product's input planes in channel pairs.
    pairs: Vec<u32>,
    /// The channel pairs of an image, padded.
    padded_pairs: Vec<u32>,
}

thread_local! {
    static COPIES: RefCell<Copies> = RefCell::new(Copies::default());
}

/// The kernels `w` (`m` rows of `c` channels of `k2` taps) in channel pairs, for [`forward`]:
/// row `r` holds `c.div_ceil(2) · k2` words, word `q · k2 + t` the bf16 weights of channels
/// `2q` (low half) and `2q + 1` (high half) at tap `t`, 0 for the channel after an odd last.
///
/// # Panics
/// When the CPU lacks AVX-512 BF16 or `w` is shorter than `m · c · k2`.
pub(crate) fn pack_kernels(w: &[f32], m: usize, c: usize, k2: usize) -> Vec<u32> {
    assert!(available(), "the CPU has no AVX-512 BF16");
    let w = &w[..m * c * k2];
    let mut halves = vec![0u16; w.len().next_multiple_of(STEP)];
    // SAFETY: the CPU has the features (asserted above).
    unsafe { x86::to_bf16(w, &mut halves) };
    let pairs = c.div_ceil(2);
    let mut packed = vec![0u32; m * pairs * k2];
    for (r, row) in packed.chunks_exact_mut(pairs * k2).enumerate() {
        for (i, word) in row.iter_mut().enumerate() {
            let (ch, t) = (2 * (i / k2), i % k2);
            let half = |ch: usize| match ch < c {
                true => u32::from(halves[(r * c + ch) * k2 + t]),
                false => 0,
            };
            *word = half(ch) | half(ch + 1) << 16;
        }
    }
    packed
}

/// Runs `f` on `planes` (`c` planes of `plane` values) rounded to bf16 and interleaved in
/// channel pairs: `c.div_ceil(2)` planes of `plane` words, word `i` of pair plane `q` holding
/// value `i` of planes `2q` (low half) and `2q + 1` (high half, 0 after an odd last plane).
///
/// # Panics
/// When the CPU lacks AVX-512 BF16 or `planes` is shorter than `c · plane`.
pub(crate) fn with_pairs<R>(
    planes: &[f32],
    c: usize,
    plane: usize,
    f: impl FnOnce(&[u32]) -> R,
) -> R {
    COPIES.with(|copies| {
        let pairs = &mut copies.borrow_mut().pairs;
        f(interleave_planes(planes, c, plane, pairs))
    })
}

/// Runs `f` on the image `x` (`c` planes of `hw` values) in channel pairs ([`with_pairs`]),
/// padded: `pad` copies the pair planes, as `f32` bit patterns, into the `padded_len` words
/// `f` gets (a padding of `c.div_ceil(2)` planes, which moves values without reading them).
///
/// # Panics
/// When the CPU lacks AVX-512 BF16 or `x` is shorter than `c · hw`.
pub(crate) fn with_padded_pairs<R>(
    x: &[f32],
    (c, hw, padded_len): (usize, usize, usize),
    pad: impl FnOnce(&[f32], &mut [f32]),
    f: impl FnOnce(&[u32]) -> R,
) -> R {
    COPIES.with(|copies| {
        let copies = &mut *copies.borrow_mut();
        let pairs = interleave_planes(x, c, hw, &mut copies.pairs);
        let padded = sized(&mut copies.padded_pairs, padded_len);
        // SAFETY: `u32` and `f32` have one size and alignment, and every bit pattern is an
        // `f32`; the padding only moves values and writes zeros.
        let (from, to) = unsafe {
            (
                std::slice::from_raw_parts(pairs.as_ptr().cast::<f32>(), pairs.len()),
                std::slice::from_raw_parts_mut(padded.as_mut_ptr().cast::<f32>(), padded.len()),
            )
        };
        pad(from, to);
        f(padded)
    })
}

/// `planes` (`c` of `plane` values) in channel pairs, as [`with_pairs`] describes, in `out`.
fn interleave_planes<'a>(
    planes: &[f32],
    c: usize,
    plane: usize,
    out: &'a mut Vec<u32>,
) -> &'a [u32] {
    assert!(available(), "the CPU has no AVX-512 BF16");
    let planes = &planes[..c * plane];
    let pairs = sized(out, c.div_ceil(2) * plane);
    for (q, out) in pairs.chunks_exact_mut(plane.max(1)).enumerate() {
        let low = &planes[2 * q * plane..][..plane];
        let high = planes.get((2 * q + 1) * plane..(2 * q + 2) * plane);
        // SAFETY: the CPU has the features (asserted above).
        unsafe { x86::interleave(low, high, out) };
    }
    pairs
}

/// [`super::kernel::forward`] on bf16 channel pairs: `f.w` from [`pack_kernels`], `f.p` from
/// [`with_pairs`] and `f.offs` the taps of the convolution with `c.div_ceil(2)` channels.
///
/// # Panics
/// When the CPU lacks AVX-512 BF16 or an operand is too short for the indices above.
pub(crate) fn forward(f: Forward<'_, u32>) {
    assert!(available(), "the CPU has no AVX-512 BF16");
    let job = Conv::checked(f);
    // SAFETY: the CPU has the features (asserted above); `Conv::checked` bounds the indices.
    unsafe { x86::forward(&job) };
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
        let copies = &mut *copies.borrow_mut();
        let rows = sized(&mut copies.rows, images.len() * m * n_pairs);
        let planes = sized(&mut copies.planes, images.len() * p_len);
        for (r, row) in rows.chunks_exact_mut(n_pairs).enumerate() {
            let (image, ch) = (&images[r / m.max(1)], r % m.max(1));
            // SAFETY (both conversions): the CPU has the features (asserted above).
            unsafe { x86::to_bf16(&image.g[ch * image.g_stride..][..n], row) };
        }
        for (image, planes) in images.iter().zip(planes.chunks_exact_mut(p_len)) {
            unsafe { x86::to_bf16(&image.p[..reach], planes) };
        }
        let converted: Vec<GradImage<'_, u16>> = (rows.chunks(m.max(1) * n_pairs))
            .zip(planes.chunks_exact(p_len))
            .map(|(g, p)| GradImage {
                g,
                g_stride: n_pairs,
                p,
            })
            .collect();
        let job = Grad {
            images: &converted,
            m,
            offs,
            n: n_pairs,
            dw: dw.as_mut_ptr(),
        };
        // SAFETY: the CPU has the features; each copy holds `n_pairs` values per row (zeros
        // after the `n` products) and `p_len ≥ max(offs) + n_pairs` per image.
        unsafe { x86::weight_grad(&job) };
    });
}

mod x86 {
    //! The lanes, conversions and kernels, compiled for AVX-512 BF16 (with BW and VL, without
    //! which LLVM allocates only 20 `zmm` registers and spills accumulators in the tiles).

    use super::*;

    /// Operands of the weight gradient: 32 bf16 values of neighbouring pixels per register.
    struct Pixels;

    /// Operands of the forward product: 16 pixels per register, each a word of two bf16
    /// values (a channel pair).
    struct Pairs;

    /// The lanes shared by both: bf16 operands, `f32` sums.
    macro_rules! bf16_lanes {
        ($lanes:ty, $n:expr, $e:ty, $splat:expr) => {
            impl Lanes for $lanes {
                const N: usize = $n;
                type E = $e;
                type V = __m512i;
                type S = __m512;
                #[inline(always)]
                unsafe fn zero() -> Self::S {
                    unsafe { _mm512_setzero_ps() }
                }
                #[inline(always)]
                unsafe fn splat(v: Self::E) -> Self::V {
                    unsafe { $splat(v) }
                }
                #[inline(always)]
                unsafe fn load(p: *const Self::E) -> Self::V {
                    unsafe { _mm512_loadu_si512(p.cast()) }
                }
                #[inline(always)]
                unsafe fn store(p: *mut f32, v: Self::S) {
                    unsafe { _mm512_storeu_ps(p, v) }
                }
                #[inline(always)]
                unsafe fn fma(a: Self::V, b: Self::V, c: Self::S) -> Self::S {
                    // SAFETY: both are 64 plain bytes.
                    let bh = |v: __m512i| unsafe { std::mem::transmute::<__m512i, __m512bh>(v) };
                    unsafe { _mm512_dpbf16_ps(c, bh(a), bh(b)) }
                }
                #[inline(always)]
                unsafe fn sum(v: Self::S) -> f32 {
                    unsafe { _mm512_reduce_add_ps(v) }
                }
            }
        };
    }
    bf16_lanes!(Pixels, STEP, u16, |v: u16| _mm512_set1_epi16(v as i16));
    bf16_lanes!(Pairs, 16, u32, |v: u32| _mm512_set1_epi32(v as i32));

    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512bf16")]
    pub unsafe fn forward(job: &Conv<'_, u32>) {
        unsafe { forward_tiles::<Pairs, 8, 3>(job) }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512bf16")]
    pub unsafe fn weight_grad(job: &Grad<'_, '_, u16>) {
        unsafe { grad_tiles::<Pixels, 4, 4>(job) }
    }

    /// The mask of the lanes from `from` that hold values of a slice of `len`.
    fn lanes(len: usize, from: usize) -> __mmask16 {
        let n = len.saturating_sub(from).min(16);
        ((1u32 << n) - 1) as __mmask16
    }

    /// `src` rounded to bf16 (to nearest, ties to even) into the start of `dst`, zeros after
    /// it.
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
            let s = src.as_ptr();
            // SAFETY: the masks keep the loads inside `src`; `out` holds 32 values.
            unsafe {
                let lo = _mm512_maskz_loadu_ps(lanes(src.len(), start), s.wrapping_add(start));
                let hi =
                    _mm512_maskz_loadu_ps(lanes(src.len(), start + 16), s.wrapping_add(start + 16));
                let pairs: __m512i = std::mem::transmute(_mm512_cvtne2ps_pbh(hi, lo));
                _mm512_storeu_si512(out.as_mut_ptr().cast(), pairs);
            }
        }
    }

    /// `out[i]` = the bf16 roundings of `low[i]` (low half) and `high[i]` (high half, 0 when
    /// `None`).
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512bf16")]
    pub unsafe fn interleave(low: &[f32], high: Option<&[f32]>, out: &mut [u32]) {
        assert!(low.len() == out.len() && high.is_none_or(|h| h.len() == out.len()));
        // Word `i` of the result takes 16-bit value `i` (low) and `16 + i` (high) of the
        // rounded pair `[low 0..16, high 0..16]`.
        let order: [i16; 32] = std::array::from_fn(|l| (l / 2 + l % 2 * 16) as i16);
        // SAFETY: plain bytes.
        let order: __m512i = unsafe { std::mem::transmute(order) };
        for start in (0..out.len()).step_by(16) {
            let mask = lanes(out.len(), start);
            // SAFETY: the mask keeps every access inside the three slices.
            unsafe {
                let lo = _mm512_maskz_loadu_ps(mask, low.as_ptr().add(start));
                let hi = match high {
                    Some(high) => _mm512_maskz_loadu_ps(mask, high.as_ptr().add(start)),
                    None => _mm512_setzero_ps(),
                };
                let rounded: __m512i = std::mem::transmute(_mm512_cvtne2ps_pbh(hi, lo));
                let words = _mm512_permutexvar_epi16(order, rounded);
                _mm512_mask_storeu_epi32(out.as_mut_ptr().add(start).cast(), mask, words);
            }
        }
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
