//! The sums over planes (BatchNorm moments and gradient sums, bias gradients), compiled for
//! AVX-512, for AVX2 + FMA and for the baseline, and chosen at run time (no `target-cpu` flag).

use fmnist_core::simd::fold_lanes;
use multiversion::multiversion;

/// The partial sums of [`Fold`]: 16 lanes, one AVX-512 or two AVX2 registers of `f32`.
const LANES: usize = 16;

/// A sum over a slice (or a pair of slices) in 16 lanes (a fixed order: the result does not
/// depend on the thread that computes it, only on the instruction set's rounding).
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
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
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
    fn folds_match_plain_loops() {
        let x: Vec<f32> = (0..37).map(|i| (i as f32 * 0.37).sin()).collect();
        let y: Vec<f32> = (0..37).map(|i| (i as f32 * 0.11).cos()).collect();
        let total: f32 = x.iter().sum();
        assert!((Fold::Sum.over(&x, &[]) - total).abs() < 1e-5);
        let centered: f32 = x.iter().zip(&y).map(|(a, b)| a * (b - 0.3)).sum();
        assert!((Fold::Centered(0.3).over(&x, &y) - centered).abs() < 1e-5);
        let squares: f32 = x.iter().map(|a| (a - 0.3) * (a - 0.3)).sum();
        assert!((Fold::Squares(0.3).over(&x, &[]) - squares).abs() < 1e-5);
    }
}
