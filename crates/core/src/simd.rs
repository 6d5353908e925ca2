//! Vector kernels that more than one crate needs: sums over explicit lanes, so that the
//! compiler keeps the partial sums in a vector register and the result does not depend on who
//! computes it, and the squared distances built from them.
//!
//! The functions here are `#[inline(always)]`: they take the instruction set of the function
//! they are inlined into. The callers' hot loops carry
//! `#[multiversion(targets("x86_64+avx2+fma"))]`, compiled for the baseline target and for
//! AVX2 + FMA and picked at run time (never `target-cpu=native`). Rust does not contract to FMA,
//! so every build gives bit-identical results. [`best_instruction_set`] names what this CPU
//! offers.

use std::iter::Sum;
use std::ops::Add;

/// A value the lane sums accumulate: `f32` or `f64`.
pub trait LaneValue: Copy + Default + Add<Output = Self> + Sum {}

impl LaneValue for f32 {}
impl LaneValue for f64 {}

/// `Σ f(x_i, y_i)` over the common length of `x` and `y`, in `L` independent partial sums that
/// are added in order at the end, then the tail. A fixed order: the same result every time.
#[inline(always)]
pub fn fold_lanes<const L: usize, T: Copy, A: LaneValue>(
    x: &[T],
    y: &[T],
    f: impl Fn(T, T) -> A,
) -> A {
    let len = x.len().min(y.len());
    let (xc, yc) = (x[..len].chunks_exact(L), y[..len].chunks_exact(L));
    let tail: A = xc
        .remainder()
        .iter()
        .zip(yc.remainder())
        .map(|(&a, &b)| f(a, b))
        .sum();
    let mut acc = [A::default(); L];
    for (a, b) in xc.zip(yc) {
        for l in 0..L {
            acc[l] = acc[l] + f(a[l], b[l]);
        }
    }
    acc.iter().copied().sum::<A>() + tail
}

/// Squared Euclidean distance in `f32`, summed in eight lanes and then pairwise: a 10-d row
/// (an embedding's) is one 8-wide step and two scalars, and the lanes meet in a tree of depth
/// three instead of a chain of seven dependent additions.
#[inline(always)]
pub fn sq_dist(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(&x, &y)| (x - y) * (x - y))
        .sum();
    for (x, y) in a8.zip(b8) {
        for ((lane, &p), &q) in lanes.iter_mut().zip(x).zip(y) {
            *lane += (p - q) * (p - q);
        }
    }
    let [a0, a1, a2, a3, a4, a5, a6, a7] = lanes;
    ((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7)) + tail
}

/// Squared Euclidean distance of `f32` vectors, from their differences in `f64` over eight lanes.
#[inline(always)]
pub fn sq_dist_f64(a: &[f32], b: &[f32]) -> f64 {
    fold_lanes::<8, _, _>(a, b, |p, q| {
        let diff = f64::from(p) - f64::from(q);
        diff * diff
    })
}

/// Squared Euclidean norm of an `f32` vector, accumulated in `f64` over eight lanes.
#[inline(always)]
pub fn sq_norm_f64(v: &[f32]) -> f64 {
    fold_lanes::<8, _, _>(v, v, |p, _| f64::from(p) * f64::from(p))
}

/// Sum of `f32` values, accumulated in `f64` over eight lanes.
#[inline(always)]
pub fn sum_f64(v: &[f32]) -> f64 {
    fold_lanes::<8, _, _>(v, v, |p, _| f64::from(p))
}

/// The widest vector instruction set this CPU offers of those the workspace's kernels are
/// built for: `"avx512f"`, `"avx2+fma"` or `"baseline"`.
pub fn best_instruction_set() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return "avx512f";
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return "avx2+fma";
        }
    }
    "baseline"
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn lane_sums_agree_with_plain_sums(v in proptest::collection::vec(-100f32..100.0, 0..70)) {
            let w: Vec<f32> = v.iter().rev().copied().collect();
            let plain: f64 = v.iter().zip(&w).map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2)).sum();
            prop_assert!((sq_dist_f64(&v, &w) - plain).abs() <= 1e-9 * plain.max(1.0));
            prop_assert!((f64::from(sq_dist(&v, &w)) - plain).abs() <= 1e-4 * plain.max(1.0));
            let norm: f64 = v.iter().map(|&a| f64::from(a).powi(2)).sum();
            prop_assert!((sq_norm_f64(&v) - norm).abs() <= 1e-9 * norm.max(1.0));
            let sum: f64 = v.iter().map(|&a| f64::from(a)).sum();
            prop_assert!((sum_f64(&v) - sum).abs() <= 1e-9 * norm.max(1.0));
        }
    }

    #[test]
    fn an_instruction_set_is_named() {
        assert!(["avx512f", "avx2+fma", "baseline"].contains(&best_instruction_set()));
    }
}
