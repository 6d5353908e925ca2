//! The curve of the low-dimensional similarities, 1 / (1 + a·d^(2b)), fitted to the offset
//! exponential that `min_dist` and `spread` describe (umap-learn's `find_ab_params`).

use crate::error::{ManifoldError, Result};

/// Points of the least-squares fit (umap-learn's `np.linspace(0, 3 * spread, 300)`).
const POINTS: usize = 300;

/// `a` and `b` of the embedding's similarity curve 1 / (1 + a·d^(2b)), fitted by least squares
/// (Levenberg–Marquardt from a = b = 1, as SciPy's `curve_fit`) to 1 for d < `min_dist` and
/// exp(−(d − min_dist) / spread) beyond, on 300 points of [0, 3·spread].
/// `min_dist` 0.1 and `spread` 1 give a ≈ 1.577, b ≈ 0.895.
///
/// # Errors
/// [`ManifoldError::InvalidParameter`] unless `spread > 0` and `0 <= min_dist <= spread`, both
/// finite, or when the fit does not converge to positive `a` and `b`.
pub fn find_ab_params(spread: f32, min_dist: f32) -> Result<(f32, f32)> {
    if !(spread.is_finite() && spread > 0.0) {
        return Err(ManifoldError::InvalidParameter(format!(
            "spread must be positive and finite, got {spread}"
        )));
    }
    if !(min_dist.is_finite() && min_dist >= 0.0 && min_dist <= spread) {
        return Err(ManifoldError::InvalidParameter(format!(
            "min_dist must be between 0 and spread ({spread}), got {min_dist}"
        )));
    }
    let (spread, min_dist) = (f64::from(spread), f64::from(min_dist));
    let xs: Vec<f64> = (0..POINTS)
        .map(|i| 3.0 * spread * i as f64 / (POINTS - 1) as f64)
        .collect();
    let ys: Vec<f64> = xs
        .iter()
        .map(|&x| {
            if x < min_dist {
                1.0
            } else {
                (-(x - min_dist) / spread).exp()
            }
        })
        .collect();
    let (a, b) = levenberg_marquardt(&xs, &ys);
    if !(a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0) {
        return Err(ManifoldError::InvalidParameter(format!(
            "no similarity curve fits min_dist {min_dist} and spread {spread} (a = {a}, b = {b})"
        )));
    }
    Ok((a as f32, b as f32))
}

/// Residuals (model − data) and their Jacobian columns at `(a, b)`.
fn residuals(xs: &[f64], ys: &[f64], a: f64, b: f64) -> (Vec<f64>, Vec<[f64; 2]>) {
    xs.iter()
        .zip(ys)
        .map(|(&x, &y)| {
            if x <= 0.0 {
                return (1.0 - y, [0.0, 0.0]);
            }
            let p = x.powf(2.0 * b);
            let denom = 1.0 + a * p;
            let f = 1.0 / denom;
            let da = -p / (denom * denom);
            let db = -a * p * 2.0 * x.ln() / (denom * denom);
            (f - y, [da, db])
        })
        .unzip()
}

/// Minimises Σ (1/(1 + a·x^(2b)) − y)² from a = b = 1.
fn levenberg_marquardt(xs: &[f64], ys: &[f64]) -> (f64, f64) {
    let cost = |a: f64, b: f64| -> f64 { residuals(xs, ys, a, b).0.iter().map(|r| r * r).sum() };
    let (mut a, mut b) = (1.0f64, 1.0f64);
    let mut lambda = 1e-3;
    let mut current = cost(a, b);
    for _ in 0..500 {
        let (r, j) = residuals(xs, ys, a, b);
        let (mut h00, mut h01, mut h11, mut g0, mut g1) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (ri, ji) in r.iter().zip(&j) {
            h00 += ji[0] * ji[0];
            h01 += ji[0] * ji[1];
            h11 += ji[1] * ji[1];
            g0 += ji[0] * ri;
            g1 += ji[1] * ri;
        }
        let mut improved = false;
        for _ in 0..50 {
            let (d00, d11) = (h00 * (1.0 + lambda), h11 * (1.0 + lambda));
            let det = d00 * d11 - h01 * h01;
            if det.abs() < f64::MIN_POSITIVE {
                lambda *= 10.0;
                continue;
            }
            let da = -(d11 * g0 - h01 * g1) / det;
            let db = -(d00 * g1 - h01 * g0) / det;
            let trial = cost(a + da, b + db);
            if trial.is_finite() && trial < current {
                let small =
                    da.abs() <= 1e-12 * (1.0 + a.abs()) && db.abs() <= 1e-12 * (1.0 + b.abs());
                let converged = small || (current - trial) <= 1e-15 * current;
                a += da;
                b += db;
                current = trial;
                lambda = (lambda / 10.0).max(1e-12);
                improved = true;
                if converged {
                    return (a, b);
                }
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_parameters_are_errors() {
        assert!(find_ab_params(0.0, 0.0).is_err());
        assert!(find_ab_params(1.0, 1.5).is_err());
        assert!(find_ab_params(1.0, f32::NAN).is_err());
    }
}
