//! The vector loops of the direct convolution kernels, compiled for AVX2 + FMA and chosen at
//! run time (no `target-cpu` flag), with a portable fallback.

use multiversion::multiversion;

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
    lanes(x, y, |a, b| a * b)
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
        Fold::Sum => lanes(x, x, |a, _| a),
        Fold::Centered(shift) => lanes(x, y, |a, b| a * (b - shift)),
        Fold::Squares(shift) => lanes(x, x, |a, _| (a - shift) * (a - shift)),
    }
}

/// `sum(f(x_i, y_i))` over the common length, in 16 lanes.
#[inline(always)]
fn lanes(x: &[f32], y: &[f32], f: impl Fn(f32, f32) -> f32) -> f32 {
    const LANES: usize = 16;
    let len = x.len().min(y.len());
    let (x, y) = (&x[..len], &y[..len]);
    let mut acc = [0f32; LANES];
    let (xc, yc) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (a, b) in xc.zip(yc) {
        for l in 0..LANES {
            acc[l] += f(a[l], b[l]);
        }
    }
    let tail: f32 = xr.iter().zip(yr).map(|(&a, &b)| f(a, b)).sum();
    acc.iter().sum::<f32>() + tail
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
