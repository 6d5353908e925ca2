//! ZCA whitening of contrast-normalised patches.

use fmnist_core::RowMajor;
use fmnist_core::linalg::{SymmetricEigen, column_means, covariance_lower};

use crate::error::{PatchError, Result};

/// The mean and the ZCA whitening matrix of `patches` (row-major, `d` values each):
/// `W = V · diag(1 / sqrt(λ + epsilon)) · Vᵀ`, where `V, λ` are the eigenvectors and
/// eigenvalues of the patches' covariance (divided by `n − 1`, as numpy's `cov`). `W` is
/// symmetric, `d x d`, row-major.
///
/// The mean and the covariance are `fmnist_core::linalg`'s (`f64` sums of `f32` block
/// products), the eigendecomposition its `SymmetricEigen`; `W` is summed in `f64` over the
/// eigenpairs from the smallest eigenvalue up.
pub(crate) fn zca(patches: &[f32], d: usize, epsilon: f32) -> Result<(Vec<f32>, Vec<f32>)> {
    let x = RowMajor::new(patches, patches.len() / d, d)?.to_matrix();
    let mean = column_means(&x);
    let covariance = covariance_lower(&x, &mean);
    let SymmetricEigen { values, vectors } =
        SymmetricEigen::of_lower(&covariance).ok_or(PatchError::NoConvergence)?;
    let scale: Vec<f64> = values
        .iter()
        .map(|&v| 1.0 / (v.max(0.0) + f64::from(epsilon)).sqrt())
        .collect();
    let mut whitening = vec![0f32; d * d];
    for i in 0..d {
        for j in 0..d {
            let w: f64 = (0..d)
                .rev()
                .map(|c| vectors[(i, c)] * scale[c] * vectors[(j, c)])
                .sum();
            whitening[i * d + j] = w as f32;
        }
    }
    Ok((mean.iter().map(|&m| m as f32).collect(), whitening))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitened_patches_have_nearly_identity_covariance() {
        // Correlated 3-d data: x, x + small noise, and an independent coordinate.
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        };
        let data: Vec<f32> = (0..5000)
            .flat_map(|_| {
                let (x, e, z) = (next(), next(), next());
                [x, x + 0.3 * e, 2.0 * z]
            })
            .collect();
        let (mean, w) = zca(&data, 3, 1e-9).unwrap();
        let white: Vec<f64> = data
            .chunks_exact(3)
            .flat_map(|p| {
                (0..3)
                    .map(|j| {
                        (0..3)
                            .map(|i| f64::from((p[i] - mean[i]) * w[i * 3 + j]))
                            .sum::<f64>()
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        for a in 0..3 {
            for b in 0..3 {
                let c: f64 = white.chunks_exact(3).map(|z| z[a] * z[b]).sum::<f64>() / 4999.0;
                let expected = if a == b { 1.0 } else { 0.0 };
                assert!((c - expected).abs() < 1e-3, "cov[{a}][{b}] = {c}");
            }
        }
        // ZCA is symmetric.
        for i in 0..3 {
            for j in 0..3 {
                assert!((w[i * 3 + j] - w[j * 3 + i]).abs() < 1e-5);
            }
        }
    }
}
