//! The convolutions' register-tiled micro-kernels, read straight from zero-padded input planes
//! (no im2col copy, no packing), with the instruction set chosen once at run time: AVX-512F
//! (16 lanes), AVX2 + FMA (8 lanes) or portable code (8-lane arrays, plain multiply-add).
//!
//! Both products index the input as `p[offs[k] + n]`: row `k` of the implicit im2col matrix
//! (an input channel and a kernel tap) is the padded planes shifted by `offs[k]`, and `n` runs
//! over the output in the padded-width layout (`h` rows of `w + k − 1`, see `Conv`), rounded
//! up to [`PIXEL_STEP`]:
//! - [`forward`]: `out[m][n] = Σ_k w[m][k] · p[offs[k] + n]` (the convolution, and with
//!   transposed flipped kernels its input gradient);
//! - [`weight_grad`]: `dw[m][k] += Σ_images Σ_n g[m][n] · p[offs[k] + n]`.
//!
//! Each output value is one fixed-order sum (lanes, then images), whatever the thread.
//!
//! The tiles are generic over [`Lanes`]: the `f32` registers here, and the bf16 operands of
//! [`super::bf16`], which run the same tiles.

/// The instruction set the kernels run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Isa {
    /// AVX-512F: 16-lane registers.
    Avx512,
    /// AVX2 with FMA: 8-lane registers.
    Avx2,
    /// Portable code (whatever the compiler's baseline vectorises).
    Portable,
}

impl Isa {
    /// The widest set this CPU has (detected once and cached by the standard library).
    pub fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Self::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Self::Avx2;
            }
        }
        Self::Portable
    }

    /// The set's name, as `fmnist_core::simd::best_instruction_set` writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Avx512 => "avx512f",
            Self::Avx2 => "avx2+fma",
            Self::Portable => "baseline",
        }
    }
}

/// The output length `n` of both products is a multiple of this (one AVX-512 register).
pub(crate) const PIXEL_STEP: usize = 16;

/// The operands of [`forward`]: `m` kernels of `offs.len()` taps each (row-major `w`), the
/// padded input `p`, and `out` with rows `out_stride` apart, `n` values each. The operands are
/// `f32` values, or for [`super::bf16`] bf16 channel pairs (`E` = `u32`).
pub(crate) struct Forward<'a, E = f32> {
    pub w: &'a [E],
    pub m: usize,
    pub offs: &'a [usize],
    pub p: &'a [E],
    pub n: usize,
    pub out: &'a mut [f32],
    pub out_stride: usize,
}

/// One image's operands of [`weight_grad`]: `g` (`m` rows, `g_stride` apart, `n` values each)
/// and the padded input `p` (`f32` values, or for [`super::bf16`] bf16 values, `E` = `u16`).
#[derive(Clone, Copy)]
pub(crate) struct GradImage<'a, E = f32> {
    pub g: &'a [E],
    pub g_stride: usize,
    pub p: &'a [E],
}

/// `out[m][j] = Σ_k w[m][k] · p[offs[k] + j]` for `j < n` (`n` a multiple of [`PIXEL_STEP`]).
///
/// # Panics
/// When an operand is too short for the indices above.
pub(crate) fn forward(isa: Isa, f: Forward<'_>) {
    let job = Conv::checked(f);
    // SAFETY: `Conv::checked` bounds every index the kernels touch; the instruction set was
    // detected on this CPU.
    unsafe {
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => x86::forward_avx512(&job),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => x86::forward_avx2(&job),
            _ => forward_portable(&job),
        }
    }
}

/// `dw[m][k] += Σ_images Σ_{j < n} g[m][j] · p[offs[k] + j]`, with `dw` row-major `m x
/// offs.len()` (`n` a multiple of [`PIXEL_STEP`]); the images are summed in order.
///
/// # Panics
/// When an operand is too short for the indices above.
pub(crate) fn weight_grad(
    isa: Isa,
    images: &[GradImage<'_>],
    m: usize,
    offs: &[usize],
    n: usize,
    dw: &mut [f32],
) {
    check_grad_operands(images, m, offs, n, dw);
    let job = Grad {
        images,
        m,
        offs,
        n,
        dw: dw.as_mut_ptr(),
    };
    // SAFETY: as in `forward`.
    unsafe {
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => x86::weight_grad_avx512(&job),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => x86::weight_grad_avx2(&job),
            _ => weight_grad_portable(&job),
        }
    }
}

/// Checks the operands of a weight gradient (as [`weight_grad`] states them) and returns how
/// far into each padded input its taps read.
///
/// # Panics
/// When `n` is not a multiple of [`PIXEL_STEP`] or an operand is too short.
pub(crate) fn check_grad_operands<E>(
    images: &[GradImage<'_, E>],
    m: usize,
    offs: &[usize],
    n: usize,
    dw: &[f32],
) -> usize {
    assert_eq!(
        n % PIXEL_STEP,
        0,
        "output length not a multiple of the step"
    );
    assert!(dw.len() >= m * offs.len(), "gradient too short");
    let reach = offs.iter().max().map_or(0, |&o| o + n);
    for image in images {
        assert!(image.p.len() >= reach, "padded input too short");
        assert!(
            m == 0 || image.g.len() >= (m - 1) * image.g_stride + n,
            "output gradient too short"
        );
    }
    reach
}

/// The checked operands of a forward product.
pub(crate) struct Conv<'a, E> {
    w: *const E,
    m: usize,
    offs: &'a [usize],
    p: *const E,
    n: usize,
    out: *mut f32,
    out_stride: usize,
}

impl<'a, E> Conv<'a, E> {
    /// The operands of `f`, checked against every index [`forward_tiles`] touches.
    ///
    /// # Panics
    /// When `n` is not a multiple of [`PIXEL_STEP`] or an operand is too short.
    pub fn checked(f: Forward<'a, E>) -> Self {
        let k = f.offs.len();
        assert_eq!(
            f.n % PIXEL_STEP,
            0,
            "output length not a multiple of the step"
        );
        assert!(f.w.len() >= f.m * k, "kernels too short");
        let reach = f.offs.iter().max().map_or(0, |&o| o + f.n);
        assert!(f.p.len() >= reach, "padded input too short");
        assert!(
            f.m == 0 || f.out.len() >= (f.m - 1) * f.out_stride + f.n,
            "output too short"
        );
        Self {
            w: f.w.as_ptr(),
            m: f.m,
            offs: f.offs,
            p: f.p.as_ptr(),
            n: f.n,
            out: f.out.as_mut_ptr(),
            out_stride: f.out_stride,
        }
    }
}

/// The checked operands of a weight gradient.
pub(crate) struct Grad<'a, 'b, E> {
    pub images: &'a [GradImage<'b, E>],
    pub m: usize,
    pub offs: &'a [usize],
    pub n: usize,
    pub dw: *mut f32,
}

/// One register's worth of operands and `f32` sums, and the operations the kernels need.
pub(crate) trait Lanes {
    /// Output pixels per register (the step of the products' loops).
    const N: usize;
    /// An operand as stored: an `f32`, or packed bf16 values.
    type E: Copy;
    /// A register of operands.
    type V: Copy;
    /// A register of `f32` sums.
    type S: Copy;
    unsafe fn zero() -> Self::S;
    unsafe fn splat(v: Self::E) -> Self::V;
    unsafe fn load(p: *const Self::E) -> Self::V;
    unsafe fn store(p: *mut f32, v: Self::S);
    /// `c + a · b` (for packed operands, each sum lane gets the products of its pair).
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::S) -> Self::S;
    unsafe fn sum(v: Self::S) -> f32;
}

/// One tile of [`forward`] (indexed loops: fully unrolled, the accumulators in registers): `MR` kernels times `NV` registers of outputs from `j0`.
#[inline(always)]
#[allow(clippy::needless_range_loop)]
unsafe fn forward_tile<L: Lanes, const MR: usize, const NV: usize>(
    f: &Conv<'_, L::E>,
    m0: usize,
    j0: usize,
) {
    unsafe {
        let k_len = f.offs.len();
        let (w, p) = (f.w.add(m0 * k_len), f.p.add(j0));
        let mut acc = [[L::zero(); NV]; MR];
        for (k, &off) in f.offs.iter().enumerate() {
            let b: [L::V; NV] = std::array::from_fn(|v| L::load(p.add(off + v * L::N)));
            for r in 0..MR {
                let a = L::splat(*w.add(r * k_len + k));
                for v in 0..NV {
                    acc[r][v] = L::fma(a, b[v], acc[r][v]);
                }
            }
        }
        let out = f.out.add(m0 * f.out_stride + j0);
        for r in 0..MR {
            for v in 0..NV {
                L::store(out.add(r * f.out_stride + v * L::N), acc[r][v]);
            }
        }
    }
}

/// All of [`forward`] in tiles of `MR x NV` registers, the edges in smaller tiles.
///
/// # Safety
/// The CPU runs `L`'s instructions.
#[inline(always)]
pub(crate) unsafe fn forward_tiles<L: Lanes, const MR: usize, const NV: usize>(f: &Conv<'_, L::E>) {
    unsafe {
        let step = NV * L::N;
        let full_n = f.n / step * step;
        let mut m0 = 0;
        while m0 < f.m {
            let wide = f.m - m0 >= MR;
            for j0 in (0..full_n).step_by(step) {
                if wide {
                    forward_tile::<L, MR, NV>(f, m0, j0);
                } else {
                    forward_tile::<L, 1, NV>(f, m0, j0);
                }
            }
            for j0 in (full_n..f.n).step_by(L::N) {
                if wide {
                    forward_tile::<L, MR, 1>(f, m0, j0);
                } else {
                    forward_tile::<L, 1, 1>(f, m0, j0);
                }
            }
            m0 += if wide { MR } else { 1 };
        }
    }
}

/// One tile of [`weight_grad`]: kernels `m0..m0 + MR` times taps `k0..k0 + KR`.
#[inline(always)]
#[allow(clippy::needless_range_loop)]
unsafe fn grad_tile<L: Lanes, const MR: usize, const KR: usize>(
    job: &Grad<'_, '_, L::E>,
    m0: usize,
    k0: usize,
) {
    unsafe {
        let mut acc = [[L::zero(); KR]; MR];
        for image in job.images {
            let g = image.g.as_ptr().add(m0 * image.g_stride);
            let p = image.p.as_ptr();
            let mut taps = [p; KR];
            for t in 0..KR {
                taps[t] = p.add(job.offs[k0 + t]);
            }
            let mut j = 0;
            while j < job.n {
                let b: [L::V; KR] = std::array::from_fn(|t| L::load(taps[t].add(j)));
                for r in 0..MR {
                    let a = L::load(g.add(r * image.g_stride + j));
                    for t in 0..KR {
                        acc[r][t] = L::fma(a, b[t], acc[r][t]);
                    }
                }
                j += L::N;
            }
        }
        let k_len = job.offs.len();
        for r in 0..MR {
            for t in 0..KR {
                *job.dw.add((m0 + r) * k_len + k0 + t) += L::sum(acc[r][t]);
            }
        }
    }
}

/// All of [`weight_grad`] in tiles of `MR x KR`, the edges in smaller tiles.
///
/// # Safety
/// The CPU runs `L`'s instructions; `job` satisfies [`check_grad_operands`] with `n` a
/// multiple of `L::N`.
#[inline(always)]
pub(crate) unsafe fn grad_tiles<L: Lanes, const MR: usize, const KR: usize>(
    job: &Grad<'_, '_, L::E>,
) {
    unsafe {
        let k_len = job.offs.len();
        let full_k = k_len / KR * KR;
        let mut m0 = 0;
        while m0 < job.m {
            let wide = job.m - m0 >= MR;
            for k0 in (0..full_k).step_by(KR) {
                if wide {
                    grad_tile::<L, MR, KR>(job, m0, k0);
                } else {
                    grad_tile::<L, 1, KR>(job, m0, k0);
                }
            }
            for k0 in full_k..k_len {
                if wide {
                    grad_tile::<L, MR, 1>(job, m0, k0);
                } else {
                    grad_tile::<L, 1, 1>(job, m0, k0);
                }
            }
            m0 += if wide { MR } else { 1 };
        }
    }
}

/// Portable lanes: eight `f32` in an array, multiply then add (no fused rounding).
struct Portable;

impl Lanes for Portable {
    const N: usize = 8;
    type E = f32;
    type V = [f32; 8];
    type S = [f32; 8];
    #[inline(always)]
    unsafe fn zero() -> Self::S {
        [0.0; 8]
    }
    #[inline(always)]
    unsafe fn splat(v: f32) -> Self::V {
        [v; 8]
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self::V {
        unsafe { p.cast::<[f32; 8]>().read_unaligned() }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: Self::V) {
        unsafe { p.cast::<[f32; 8]>().write_unaligned(v) }
    }
    #[inline(always)]
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V {
        std::array::from_fn(|l| a[l] * b[l] + c[l])
    }
    #[inline(always)]
    unsafe fn sum(v: Self::V) -> f32 {
        ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]))
    }
}

unsafe fn forward_portable(f: &Conv<'_, f32>) {
    unsafe { forward_tiles::<Portable, 4, 2>(f) }
}

unsafe fn weight_grad_portable(job: &Grad<'_, '_, f32>) {
    unsafe { grad_tiles::<Portable, 4, 3>(job) }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The x86-64 lanes and the kernels compiled for them.

    use std::arch::x86_64::*;

    use super::{Conv, Grad, Lanes, forward_tiles, grad_tiles};

    /// AVX-512F: one `zmm` register.
    pub struct Avx512;

    impl Lanes for Avx512 {
        const N: usize = 16;
        type E = f32;
        type V = __m512;
        type S = __m512;
        #[inline(always)]
        unsafe fn zero() -> Self::S {
            unsafe { _mm512_setzero_ps() }
        }
        #[inline(always)]
        unsafe fn splat(v: f32) -> Self::V {
            unsafe { _mm512_set1_ps(v) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self::V {
            unsafe { _mm512_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: Self::V) {
            unsafe { _mm512_storeu_ps(p, v) }
        }
        #[inline(always)]
        unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V {
            unsafe { _mm512_fmadd_ps(a, b, c) }
        }
        #[inline(always)]
        unsafe fn sum(v: Self::V) -> f32 {
            unsafe { _mm512_reduce_add_ps(v) }
        }
    }

    /// AVX2 + FMA: one `ymm` register.
    pub struct Avx2;

    impl Lanes for Avx2 {
        const N: usize = 8;
        type E = f32;
        type V = __m256;
        type S = __m256;
        #[inline(always)]
        unsafe fn zero() -> Self::S {
            unsafe { _mm256_setzero_ps() }
        }
        #[inline(always)]
        unsafe fn splat(v: f32) -> Self::V {
            unsafe { _mm256_set1_ps(v) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> Self::V {
            unsafe { _mm256_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: Self::V) {
            unsafe { _mm256_storeu_ps(p, v) }
        }
        #[inline(always)]
        unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V {
            unsafe { _mm256_fmadd_ps(a, b, c) }
        }
        #[inline(always)]
        unsafe fn sum(v: Self::V) -> f32 {
            unsafe {
                let q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
                let d = _mm_add_ps(q, _mm_movehl_ps(q, q));
                _mm_cvtss_f32(_mm_add_ss(d, _mm_movehdup_ps(d)))
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    pub unsafe fn forward_avx512(f: &Conv<'_, f32>) {
        unsafe { forward_tiles::<Avx512, 8, 3>(f) }
    }

    #[target_feature(enable = "avx512f")]
    pub unsafe fn weight_grad_avx512(job: &Grad<'_, '_, f32>) {
        unsafe { grad_tiles::<Avx512, 4, 4>(job) }
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn forward_avx2(f: &Conv<'_, f32>) {
        unsafe { forward_tiles::<Avx2, 4, 3>(f) }
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn weight_grad_avx2(job: &Grad<'_, '_, f32>) {
        unsafe { grad_tiles::<Avx2, 4, 3>(job) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::test_values as values;

    fn isas() -> Vec<Isa> {
        let mut all = vec![Isa::Portable];
        if matches!(Isa::detect(), Isa::Avx2 | Isa::Avx512) {
            all.push(Isa::Avx2);
        }
        if Isa::detect() == Isa::Avx512 {
            all.push(Isa::Avx512);
        }
        all
    }

    /// Both products on every instruction set this CPU has, with edge tiles in both
    /// directions, against plain loops in f64 (1e-4).
    #[test]
    fn products_match_plain_loops_on_every_instruction_set() {
        let (m, n) = (11, 80);
        let offs: Vec<usize> = (0..13).map(|k| (k * 37) % 50).collect();
        let p = values(50 + n, 1);
        let w = values(m * offs.len(), 2);
        let g = values(m * 96, 3);
        for isa in isas() {
            let mut out = vec![0.0; m * 96];
            let f = Forward {
                w: &w,
                m,
                offs: &offs,
                p: &p,
                n,
                out: &mut out,
                out_stride: 96,
            };
            forward(isa, f);
            let mut dw = vec![0.5; m * offs.len()];
            let image = GradImage {
                g: &g,
                g_stride: 96,
                p: &p,
            };
            weight_grad(isa, &[image, image], m, &offs, n, &mut dw);
            for r in 0..m {
                for j in 0..n {
                    let want: f64 = (0..offs.len())
                        .map(|k| w[r * offs.len() + k] as f64 * p[offs[k] + j] as f64)
                        .sum();
                    assert!((out[r * 96 + j] as f64 - want).abs() < 1e-4, "{isa:?}");
                }
                for (k, &off) in offs.iter().enumerate() {
                    let want: f64 = (0..n)
                        .map(|j| 2.0 * g[r * 96 + j] as f64 * p[off + j] as f64)
                        .sum();
                    let got = dw[r * offs.len() + k] as f64 - 0.5;
                    assert!((got - want).abs() < 1e-4, "{isa:?} {got} {want}");
                }
            }
        }
    }
}
