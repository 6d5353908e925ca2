//! Initial responsibilities, as scikit-learn's `_initialize_parameters`: hard K-Means labels,
//! k-means++ seeds, random responsibilities, random samples, or the user's.

use nalgebra::DMatrix;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::GmmInit;
use super::rows::Rows64;
use crate::error::Result;
use crate::kmeans::{KMeans, plus_plus};
use crate::linalg::Rows;

/// The `n x k` row-major responsibilities one run starts from. `x` is the data as given,
/// `rows` the same data minus `offset`, in `f64`.
pub(crate) fn responsibilities(
    init: &GmmInit,
    x: &DMatrix<f32>,
    rows: &Rows64,
    offset: &[f64],
    k: usize,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<f64>> {
    let n = rows.n;
    let mut resp = vec![0.0; n * k];
    match init {
        GmmInit::KMeans => {
            let km = KMeans::params(k).n_init(1).seed(rng.random()).fit(x)?;
            for (i, &label) in km.labels().iter().enumerate() {
                resp[i * k + label] = 1.0;
            }
        }
        GmmInit::KMeansPlusPlus => {
            // The seeds are samples; find their rows (the first equal row).
            let f32_rows = Rows::from_matrix(x, &vec![0.0; x.ncols()]);
            let norms = f32_rows.sq_norms();
            let seeds = plus_plus(&f32_rows, &norms, k, rng);
            for (j, seed) in seeds.chunks_exact(rows.d).enumerate() {
                let i = (0..n)
                    .find(|&i| f32_rows.row(i) == seed)
                    .expect("k-means++ seeds are rows of the data");
                resp[i * k + j] = 1.0;
            }
        }
        GmmInit::Random => {
            for row in resp.chunks_exact_mut(k) {
                row.iter_mut().for_each(|v| *v = rng.random::<f64>());
                let total: f64 = row.iter().sum();
                row.iter_mut().for_each(|v| *v /= total);
            }
        }
        GmmInit::RandomFromData => {
            for (j, i) in rand::seq::index::sample(rng, n, k).into_iter().enumerate() {
                resp[i * k + j] = 1.0;
            }
        }
        GmmInit::Responsibilities(r) => {
            for i in 0..n {
                for j in 0..k {
                    resp[i * k + j] = r[(i, j)];
                }
            }
        }
        GmmInit::Means(means) => {
            let centred: Vec<Vec<f64>> = (0..k)
                .map(|j| {
                    (0..rows.d)
                        .map(|t| f64::from(means[(j, t)]) - offset[t])
                        .collect()
                })
                .collect();
            for i in 0..n {
                let row = rows.row(i);
                let nearest = (0..k)
                    .map(|j| {
                        let dist: f64 = row
                            .iter()
                            .zip(&centred[j])
                            .map(|(a, b)| (a - b) * (a - b))
                            .sum();
                        (dist, j)
                    })
                    .fold(
                        (f64::INFINITY, 0),
                        |best, c| if c.0 < best.0 { c } else { best },
                    )
                    .1;
                resp[i * k + nearest] = 1.0;
            }
        }
        GmmInit::Fitted(_) => unreachable!("a fitted model starts from its parameters"),
    }
    Ok(resp)
}
