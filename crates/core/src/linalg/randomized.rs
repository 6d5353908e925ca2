//! Randomized truncated SVD (Halko, Martinsson & Tropp 2011, as scikit-learn's
//! `randomized_svd`): a Gaussian sketch, power iterations re-orthonormalised by QR, and the SVD
//! of the small projected matrix.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The leading singular triplets of the centred data.
pub struct Truncated {
    /// `l x d`: the right singular vectors as rows, largest first.
    pub vt: Mat<f64>,
    /// `l` singular values, non-increasing.
    pub s: Vec<f64>,
}

/// The `l` leading right singular vectors and values of `a` (`n x d`, column-major `f32`,
/// already centred), with `n_iter` power iterations and a sketch drawn from `seed`; `None` if
/// the small SVD does not converge. A matrix of rank bound `min(n, d)` below `l` gives that
/// many directions.
pub fn randomized_svd(a: MatRef<'_, f32>, l: usize, n_iter: usize, seed: u64) -> Option<Truncated> {
    let d = a.ncols();
    let l = l.min(a.nrows()).min(d);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let omega = Mat::<f32>::from_fn(d, l, |_, _| standard_normal(&mut rng) as f32);
    let mut q = orthonormal(&product(a, omega.as_ref()));
    for _ in 0..n_iter {
        let z = orthonormal(&product(a.transpose(), q.as_ref()));
        q = orthonormal(&product(a, z.as_ref()));
    }
    // B = Qᵀ A (l x d), then its SVD.
    let b = product(q.as_ref().transpose(), a);
    let b = Mat::<f64>::from_fn(l, d, |i, j| f64::from(b[(i, j)]));
    let svd = b.thin_svd().ok()?;
    Some(Truncated {
        vt: svd.V().transpose().to_owned(),
        s: (0..l).map(|i| svd.S()[i]).collect(),
    })
}

/// `a · b` on all threads.
fn product(a: MatRef<'_, f32>, b: MatRef<'_, f32>) -> Mat<f32> {
    let mut out = Mat::<f32>::zeros(a.nrows(), b.ncols());
    matmul(out.as_mut(), Accum::Replace, a, b, 1.0f32, Par::rayon(0));
    out
}

/// An orthonormal basis of the columns of `y` (thin QR in `f64`).
fn orthonormal(y: &Mat<f32>) -> Mat<f32> {
    let y64 = Mat::<f64>::from_fn(y.nrows(), y.ncols(), |i, j| f64::from(y[(i, j)]));
    let q = y64.qr().compute_thin_Q();
    Mat::<f32>::from_fn(q.nrows(), q.ncols(), |i, j| q[(i, j)] as f32)
}

/// A standard normal draw (Box–Muller), the same on every platform.
pub fn standard_normal(rng: &mut impl Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>(); // (0, 1]: ln stays finite
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_directions_than_rows_give_as_many_as_there_are_rows() {
        let data: Vec<f32> = (0..3 * 5).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
        let a = MatRef::from_column_major_slice(&data, 3, 5);
        let svd = randomized_svd(a, 4, 2, 0).unwrap();
        assert_eq!((svd.vt.nrows(), svd.vt.ncols(), svd.s.len()), (3, 5, 3));
        assert!(svd.s.windows(2).all(|w| w[0] >= w[1]));
    }
}
