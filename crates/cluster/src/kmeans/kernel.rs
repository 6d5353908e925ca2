//! The one squared distance every K-Means algorithm uses, and how far it can be from the exact
//! value.
//!
//! `‖x − c‖²` is computed as ‖x‖² + ‖c‖² − 2·x·c (clamped at 0) with the dot product summed in
//! [`LANES`] independent partial sums over the features, then the lanes in a fixed tree, then
//! the tail. A pair's value depends on the pair alone, not on how many rows or centres are
//! computed together: the blocked pass of Lloyd's algorithm (4 rows x 4 centres per step) and a
//! single pair recomputed by Hamerly's or Elkan's algorithm give the same bits, so all three
//! pick the same labels. [`Centres::error_bound`] bounds the difference from the exact value,
//! which lets the bound-based algorithms skip a pair only where the skip cannot change the
//! label that the computed values would give.
//!
//! The loops carry `#[multiversion]` for AVX-512 and AVX2 + FMA (picked at run time, never
//! `target-cpu=native`); Rust does not contract to FMA, so every build gives the same bits.

use fmnist_core::simd::sq_norm_f64;
use multiversion::multiversion;

/// Partial sums per dot product: one 512-bit register, two 256-bit ones.
pub(crate) const LANES: usize = 16;

/// Rows and centres per block of the blocked pass.
const BLOCK: usize = 4;

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
        let chain = 1 + d / LANES + LANES.ilog2() as usize + d % LANES + 1;
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
        let dot = block::<1, 1>([row], [self.row(j)])[0][0];
        expand(row_norm, self.norms[j], dot)
    }
}

/// ‖x‖² + ‖c‖² − 2·x·c, clamped at 0 (rounding can make it negative).
#[inline(always)]
fn expand(row_norm: f32, centre_norm: f32, dot: f32) -> f32 {
    (row_norm + centre_norm - 2.0 * dot).max(0.0)
}

/// The squared distances of `rows` (row-major, squared norms `row_norms`) to all centres:
/// `out[r * k + j]`.
#[multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl+avx2+fma",
    "x86_64+avx2+fma"
))]
pub(crate) fn sq_distances(rows: &[f32], row_norms: &[f32], centres: &Centres, out: &mut [f32]) {
    let (d, k) = (centres.d, centres.k());
    let mut r = 0;
    while r < row_norms.len() {
        if r + BLOCK <= row_norms.len() {
            let block_rows: [&[f32]; BLOCK] = std::array::from_fn(|i| &rows[(r + i) * d..][..d]);
            rows_to_centres(block_rows, centres, &mut out[r * k..(r + BLOCK) * k]);
            r += BLOCK;
        } else {
            rows_to_centres([&rows[r * d..][..d]], centres, &mut out[r * k..(r + 1) * k]);
            r += 1;
        }
    }
    for (dists, &xn) in out.chunks_exact_mut(k).zip(row_norms) {
        for (v, &cn) in dists.iter_mut().zip(&centres.norms) {
            *v = expand(xn, cn, *v);
        }
    }
}

/// Dot products of `R` rows with all centres, [`BLOCK`] centres at a time: `out[r * k + j]`.
#[inline(always)]
fn rows_to_centres<const R: usize>(rows: [&[f32]; R], centres: &Centres, out: &mut [f32]) {
    let k = centres.k();
    let mut j = 0;
    while j < k {
        if j + BLOCK <= k {
            let dots = block::<R, BLOCK>(rows, std::array::from_fn(|c| centres.row(j + c)));
            for (r, row) in dots.iter().enumerate() {
                out[r * k + j..r * k + j + BLOCK].copy_from_slice(row);
            }
            j += BLOCK;
        } else {
            let dots = block::<R, 1>(rows, [centres.row(j)]);
            for (r, row) in dots.iter().enumerate() {
                out[r * k + j] = row[0];
            }
            j += 1;
        }
    }
}

/// The `R x C` dot products of `rows` with `centres` (all of one length), each summed in
/// [`LANES`] lanes, then the lanes pairwise, then the tail: the same bits for a pair whatever
/// `R` and `C` are.
#[inline(always)]
fn block<const R: usize, const C: usize>(rows: [&[f32]; R], centres: [&[f32]; C]) -> [[f32; C]; R] {
    let d = rows[0].len();
    let body = d - d % LANES;
    let mut acc = [[[0f32; LANES]; C]; R];
    for o in (0..body).step_by(LANES) {
        let x: [&[f32; LANES]; R] = std::array::from_fn(|r| lanes(rows[r], o));
        let y: [&[f32; LANES]; C] = std::array::from_fn(|c| lanes(centres[c], o));
        for r in 0..R {
            for c in 0..C {
                for l in 0..LANES {
                    acc[r][c][l] += x[r][l] * y[c][l];
                }
            }
        }
    }
    std::array::from_fn(|r| {
        std::array::from_fn(|c| {
            let tail: f32 = rows[r][body..]
                .iter()
                .zip(&centres[c][body..])
                .fold(0.0, |s, (&a, &b)| s + a * b);
            reduce(acc[r][c]) + tail
        })
    })
}

/// The [`LANES`] values at `offset`.
#[inline(always)]
fn lanes(v: &[f32], offset: usize) -> &[f32; LANES] {
    v[offset..offset + LANES]
        .try_into()
        .expect("the caller stays within the row")
}

/// Sum of the lanes, halving: a tree of depth 4.
#[inline(always)]
fn reduce(mut v: [f32; LANES]) -> f32 {
    let mut width = LANES / 2;
    while width > 0 {
        for l in 0..width {
            v[l] += v[l + width];
        }
        width /= 2;
    }
    v[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use fmnist_core::simd::sq_dist_f64;

    fn values(n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|v| ((v as f32 * 0.731).sin() * scale)).collect()
    }

    #[test]
    fn blocked_and_single_pairs_give_the_same_bits_within_the_bound() {
        for d in [1, 7, 16, 33, 784] {
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
