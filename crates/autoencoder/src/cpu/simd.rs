//! The vector loops of the direct convolution kernels, compiled for AVX2 + FMA and chosen at
//! run time (no `target-cpu` flag), with a portable fallback.

use fmnist_core::simd::fold_lanes;
use multiversion::multiversion;

/// The partial sums of [`dot`] and [`Fold`]: 16 lanes, two AVX2 registers of `f32`.
const LANES: usize = 16;

/// `y += a * x` over the common length.
#[multiversion(targets("x86_64+avx2+fma"))]
pub(crate) fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// `sum(x * y)` over the common length, in 16 lanes (a fixed order: the result does not depend
/// on the thread that computes it).
#[multiversion(targets("x86_64+avx2+fma"))]
pub(crate) fn dot(x: &[f32], y: &[f32]) -> f32 {
    fold_lanes::<LANES, _, _>(x, y, |a, b| a * b)
}

/// A sum over a slice (or a pair of slices) in 16 lanes.
#[derive(Clone, Copy)]
pub(crate) enum Fold {
    /// `sum(x)`.
    Sum,
    /// `sum(x · (y − shift))`.
    Centered(f32),
    /// `sum((x − shift)²)` (`y` ignored).
    Squares(f32),
}

impl Fold {
    /// The sum over `x` (and `y`, for [`Fold::Centered`]).
    pub fn over(self, x: &[f32], y: &[f32]) -> f32 {
        fold(self, x, y)
    }
}

/// [`Fold::over`], a free function for the multiversioning (which takes no `self`).
#[multiversion(targets("x86_64+avx2+fma"))]
fn fold(kind: Fold, x: &[f32], y: &[f32]) -> f32 {
    match kind {
        Fold::Sum => fold_lanes::<LANES, _, _>(x, x, |a, _| a),
        Fold::Centered(shift) => fold_lanes::<LANES, _, _>(x, y, |a, b| a * (b - shift)),
        Fold::Squares(shift) => fold_lanes::<LANES, _, _>(x, x, |a, _| (a - shift) * (a - shift)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axpy_and_dot_match_plain_loops() {
        let x: Vec<f32> = (0..37).map(|i| (i as f32 * 0.37).sin()).collect();
        let mut y: Vec<f32> = (0..37).map(|i| (i as f32 * 0.11).cos()).collect();
        let want: Vec<f32> = y.iter().zip(&x).map(|(y, x)| y + 0.5 * x).collect();
        axpy(&mut y, 0.5, &x);
        assert_eq!(y, want);
        let plain: f64 = x.iter().zip(&y).map(|(a, b)| *a as f64 * *b as f64).sum();
        assert!((dot(&x, &y) as f64 - plain).abs() < 1e-5);
        let total: f32 = x.iter().sum();
        assert!((Fold::Sum.over(&x, &[]) - total).abs() < 1e-5);
        let centered: f32 = x.iter().zip(&y).map(|(a, b)| a * (b - 0.3)).sum();
        assert!((Fold::Centered(0.3).over(&x, &y) - centered).abs() < 1e-5);
        let squares: f32 = x.iter().map(|a| (a - 0.3) * (a - 0.3)).sum();
        assert!((Fold::Squares(0.3).over(&x, &[]) - squares).abs() < 1e-5);
    }
}
