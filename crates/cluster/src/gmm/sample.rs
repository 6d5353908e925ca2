//! Drawing samples from a fitted mixture, seeded.

use fmnist_core::linalg::standard_normal;
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::components::{Components, cholesky_lower};

/// `n` samples (rows, grouped by component as scikit-learn's `sample`) and their components.
pub(crate) fn draw(
    c: &Components,
    offset: &[f64],
    n: usize,
    seed: u64,
) -> (DMatrix<f32>, Vec<usize>) {
    let (k, d) = (c.k(), c.d);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut counts = vec![0usize; k];
    let cumulative: Vec<f64> = c
        .weights
        .iter()
        .scan(0.0, |acc, &w| {
            *acc += w;
            Some(*acc)
        })
        .collect();
    let total = cumulative[k - 1];
    for _ in 0..n {
        let u = rng.random::<f64>() * total;
        counts[cumulative.partition_point(|&v| v <= u).min(k - 1)] += 1;
    }
    let mut x = DMatrix::<f32>::zeros(n, d);
    let mut labels = Vec::with_capacity(n);
    let mut z = vec![0.0; d];
    for (j, &count) in counts.iter().enumerate() {
        // A fitted model's covariances are positive definite; a tampered one that is not
        // falls back to its diagonal.
        let dense = c.dense_covariance(j);
        let factor = cholesky_lower(&dense, d);
        let mean = c.mean(j);
        for _ in 0..count {
            let i = labels.len();
            z.iter_mut().for_each(|v| *v = standard_normal(&mut rng));
            for t in 0..d {
                let noise = match &factor {
                    Some(l) => (0..=t).map(|s| l[(t, s)] * z[s]).sum::<f64>(),
                    None => dense[t * d + t].max(0.0).sqrt() * z[t],
                };
                x[(i, t)] = (offset[t] + mean[t] + noise) as f32;
            }
            labels.push(j);
        }
    }
    (x, labels)
}
