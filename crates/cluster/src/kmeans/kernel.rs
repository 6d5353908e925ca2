//! The one squared distance every K-Means algorithm uses, and how far it can be from the exact
//! value.
//!
//! `‖x − c‖²` is computed as ‖x‖² + ‖c‖² − 2·x·c (clamped at 0) with the dot product summed in
//! [`LANES`] independent partial sums over the features, then those in a fixed tree, then the
//! tail. A pair's value depends on the pair alone: the pass of Lloyd's algorithm over all
//! pairs and a single pair recomputed by Hamerly's or Elkan's algorithm give the same bits, so
//! all three pick the same labels. [`Centres::error_bound`] bounds the difference from the exact value,
//! which lets the bound-based algorithms skip a pair only where the skip cannot change the
//! label that the computed values would give.
//!
//! The loops carry `#[multiversion]` for AVX-512 and AVX2 + FMA (picked at run time, never
//! `target-cpu=native`); Rust does not contract to FMA, so every build gives the same bits.

use fmnist_core::simd::sq_norm_f64;
use multiversion::multiversion;

/// Lanes of one partial sum (a 256-bit register).
const WIDTH: usize = 8;

/// Independent partial sums per dot product (so that additions do not wait on each other).
const CHAINS: usize = 4;

/// Features per step of a dot product: two 512-bit registers, four 256-bit ones.
const LANES: usize = WIDTH * CHAINS;

/// Centres of one iteration, with what the distance needs: squared norms, and the largest.
#[derive(Debug, Clone)]
pub(crate) struct Centres {
    /// `k x d`, row-major.
    pub data: Vec<f32>,
    pub norms: Vec<f32>,
    pub d: usize,
    max_norm: f64,
    /// Relative error of the computed squared distance, times ‖x‖² + max ‖c‖².
    relative_error: f64,
}

impl Centres {
    /// Wraps `k x d` row-major centres.
    pub fn new(data: Vec<f32>, d: usize) -> Self {
        let norms: Vec<f32> = data
            .chunks_exact(d)
            .map(|c| sq_norm_f64(c) as f32)
            .collect();
        let max_norm = norms.iter().fold(0f64, |m, &v| m.max(f64::from(v)));
        // Longest chain of roundings in a dot product: a product, the additions in a lane,
        // the lane tree and the tail; then the norms and the three operations of the expansion.
        let chain = 1 + d / LANES + CHAINS + 2 + WIDTH.ilog2() as usize + WIDTH + 1;
        let unit = f64::from(f32::EPSILON) / 2.0;
        Self {
            data,
            norms,
            d,
            max_norm,
            relative_error: 2.0 * (chain + 8) as f64 * unit,
        }
    }

    /// Number of centres.
    pub fn k(&self) -> usize {
        self.norms.len()
    }

    /// Centre `j`.
    pub fn row(&self, j: usize) -> &[f32] {
        &self.data[j * self.d..(j + 1) * self.d]
    }

    /// A bound on |computed − exact| squared distance of a row with squared norm `row_norm` to
    /// any of these centres (twice the standard rounding-error bound, for margin).
    pub fn error_bound(&self, row_norm: f32) -> f64 {
        self.relative_error * (f64::from(row_norm) * (1.0 + 1e-6) + self.max_norm)
    }

    /// The squared distance of `row` (squared norm `row_norm`) to centre `j`.
    pub fn sq_distance(&self, row: &[f32], row_norm: f32, j: usize) -> f32 {
        expand(row_norm, self.norms[j], pair_dot(row, self.row(j)))
    }
}

/// ‖x‖² + ‖c‖² − 2·x·c, clamped at 0 (rounding can make it negative).
#[inline(always)]
fn expand(row_norm: f32, centre_norm: f32, dot: f32) -> f32 {
    (row_norm + centre_norm - 2.0 * dot).max(0.0)
}

/// The squared distances of `rows` (row-major, squared norms `row_norms`) to all centres:
/// `out[r * k + j]`. (Pair by pair: inlined into a loop over rows and centres, the dot
/// product does not vectorise.)
pub(crate) fn sq_distances(rows: &[f32], row_norms: &[f32], centres: &Centres, out: &mut [f32]) {
    let (d, k) = (centres.d, centres.k());
    for ((row, &xn), dists) in rows
        .chunks_exact(d)
        .zip(row_norms)
        .zip(out.chunks_exact_mut(k))
    {
        for (j, (v, &cn)) in dists.iter_mut().zip(&centres.norms).enumerate() {
            *v = expand(xn, cn, pair_dot(row, centres.row(j)));
        }
    }
}

/// [`dot`], compiled for the best instruction set (the same bits on every one).
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn pair_dot(a: &[f32], b: &[f32]) -> f32 {
    dot(a, b)
}

/// `a · b`: [`CHAINS`] independent sums of [`WIDTH`] lanes over blocks of [`LANES`] features,
/// the remaining whole [`WIDTH`]-blocks into the chains in order, the chains added pairwise and
/// their lanes halving, then the last `< WIDTH` products in order.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [[0f32; WIDTH]; CHAINS];
    let (ab, bb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ar, br) = (ab.remainder(), bb.remainder());
    for (x, y) in ab.zip(bb) {
        for (lanes, (xs, ys)) in acc
            .iter_mut()
            .zip(x.chunks_exact(WIDTH).zip(y.chunks_exact(WIDTH)))
        {
            multiply_add(lanes, xs, ys);
        }
    }
    let (aw, bw) = (ar.chunks_exact(WIDTH), br.chunks_exact(WIDTH));
    let tail = aw
        .remainder()
        .iter()
        .zip(bw.remainder())
        .fold(0f32, |s, (&p, &q)| s + p * q);
    for (lanes, (xs, ys)) in acc.iter_mut().zip(aw.zip(bw)) {
        multiply_add(lanes, xs, ys);
    }
    let [c0, c1, c2, c3] = acc;
    let mut lanes: [f32; WIDTH] = std::array::from_fn(|l| (c0[l] + c1[l]) + (c2[l] + c3[l]));
    let mut width = WIDTH / 2;
    while width > 0 {
        for l in 0..width {
            lanes[l] += lanes[l + width];
        }
        width /= 2;
    }
    lanes[0] + tail
}

/// `lanes += x · y`, lane by lane (one vector multiply and add).
#[inline(always)]
fn multiply_add(lanes: &mut [f32; WIDTH], x: &[f32], y: &[f32]) {
    for ((lane, &p), &q) in lanes.iter_mut().zip(x).zip(y) {
        *lane += p * q;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fmnist_core::simd::sq_dist_f64;

    fn values(n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|v| (v as f32 * 0.731).sin() * scale).collect()
    }

    #[test]
    fn blocked_and_single_pairs_give_the_same_bits_within_the_bound() {
        for d in [1, 7, 16, 33, 45, 100, 784] {
            let (n, k) = (11, 10);
            let rows = values(n * d, 1.5);
            let centres = Centres::new(values(k * d + 3, 0.7)[3..].to_vec(), d);
            let norms: Vec<f32> = rows.chunks(d).map(|r| sq_norm_f64(r) as f32).collect();
            let mut out = vec![0f32; n * k];
            sq_distances(&rows, &norms, &centres, &mut out);
            for i in 0..n {
                let row = &rows[i * d..(i + 1) * d];
                for j in 0..k {
                    let single = centres.sq_distance(row, norms[i], j);
                    assert_eq!(out[i * k + j].to_bits(), single.to_bits(), "d {d}");
                    let exact = sq_dist_f64(row, centres.row(j));
                    let error = (f64::from(single) - exact).abs();
                    assert!(error <= centres.error_bound(norms[i]), "d {d}: {error}");
                }
            }
        }
    }
}
