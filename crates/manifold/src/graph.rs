//! The fuzzy simplicial set of umap-learn 0.5: per-point bandwidths by binary search
//! ([`smooth_knn_dist`]), membership strengths exp(−(d − ρ)/σ), and the symmetrisation by a
//! fuzzy union (mixed with the intersection by `set_op_mix_ratio`) into a sparse graph.

use rayon::prelude::*;

use crate::knn::Neighbors;

/// Tolerance of the binary search for σ (umap-learn's `SMOOTH_K_TOLERANCE`).
const SMOOTH_K_TOLERANCE: f64 = 1e-5;
/// Smallest σ relative to the mean neighbour distance (umap-learn's `MIN_K_DIST_SCALE`).
const MIN_K_DIST_SCALE: f64 = 1e-3;
/// Steps of the binary search (umap-learn's `n_iter`).
const SEARCH_STEPS: usize = 64;

/// Per-point σ (`sigmas`) and ρ (`rhos`) as umap-learn's `smooth_knn_dist` with bandwidth 1:
/// ρ is the distance to the `local_connectivity`-th nearest non-identical neighbour
/// (interpolated for fractional values), and σ is found by binary search so that
/// Σⱼ exp(−max(0, dⱼ − ρ)/σ) over the neighbours but the first equals log₂(k). σ is at least
/// 10⁻³ times the mean neighbour distance (of the point when ρ > 0, of all points otherwise).
pub fn smooth_knn_dist(neighbors: &Neighbors, local_connectivity: f32) -> (Vec<f32>, Vec<f32>) {
    let k = neighbors.k();
    let distances = neighbors.distances();
    let target = (k as f64).log2();
    let mean_all = distances.iter().map(|&d| f64::from(d)).sum::<f64>() / distances.len() as f64;
    distances
        .par_chunks(k)
        .map(|row| {
            let rho = local_rho(row, local_connectivity);
            let (mut lo, mut hi, mut mid) = (0f64, f64::MAX, 1f64);
            for _ in 0..SEARCH_STEPS {
                let psum: f64 = row[1..]
                    .iter()
                    .map(|&dist| {
                        let d = dist - rho;
                        if d > 0.0 {
                            (-(f64::from(d) / mid)).exp()
                        } else {
                            1.0
                        }
                    })
                    .sum();
                if (psum - target).abs() < SMOOTH_K_TOLERANCE {
                    break;
                }
                if psum > target {
                    hi = mid;
                    mid = (lo + hi) / 2.0;
                } else {
                    lo = mid;
                    if hi == f64::MAX {
                        mid *= 2.0;
                    } else {
                        mid = (lo + hi) / 2.0;
                    }
                }
            }
            let mean = if rho > 0.0 {
                row.iter().map(|&d| f64::from(d)).sum::<f64>() / k as f64
            } else {
                mean_all
            };
            let sigma = mid.max(MIN_K_DIST_SCALE * mean) as f32;
            (sigma, rho)
        })
        .unzip()
}

/// ρ of one neighbour row: the `local_connectivity`-th positive distance, interpolated.
fn local_rho(row: &[f32], local_connectivity: f32) -> f32 {
    let positive = || row.iter().copied().filter(|&d| d > 0.0);
    let count = positive().count();
    if count as f64 >= f64::from(local_connectivity) {
        let index = local_connectivity.floor() as usize;
        let interpolation = local_connectivity - index as f32;
        if index > 0 {
            let below = positive().nth(index - 1).unwrap_or(0.0);
            if f64::from(interpolation) > SMOOTH_K_TOLERANCE {
                let above = positive().nth(index).unwrap_or(below);
                below + interpolation * (above - below)
            } else {
                below
            }
        } else {
            interpolation * positive().next().unwrap_or(0.0)
        }
    } else {
        positive().fold(0.0, f32::max)
    }
}

/// Membership strength of a neighbour at `dist` of a point with `sigma` and `rho`:
/// 1 within ρ (or when σ is 0), exp(−(d − ρ)/σ) beyond.
#[inline]
pub(crate) fn membership(dist: f32, sigma: f32, rho: f32) -> f32 {
    if dist - rho <= 0.0 || sigma == 0.0 {
        1.0
    } else {
        (-((dist - rho) / sigma)).exp()
    }
}

/// A sparse graph in compressed rows: row `i` holds the edges `i → indices[j]` with
/// `values[j]` for `j` in `indptr[i]..indptr[i + 1]`, by increasing column.
#[derive(Debug, Clone, PartialEq)]
pub struct FuzzyGraph {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl FuzzyGraph {
    /// Number of vertices (rows).
    pub fn n(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Number of stored (non-zero) edges.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Row `i`: its columns (increasing) and edge weights.
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let r = self.indptr[i]..self.indptr[i + 1];
        (&self.indices[r.clone()], &self.values[r])
    }

    /// Row offsets (`n + 1` values).
    pub(crate) fn indptr(&self) -> &[usize] {
        &self.indptr
    }

    /// The largest edge weight (0 for an empty graph).
    pub fn max_weight(&self) -> f32 {
        self.values.iter().copied().fold(0.0, f32::max)
    }

    /// All edge weights, row by row.
    pub(crate) fn values(&self) -> &[f32] {
        &self.values
    }

    /// All edge targets, row by row.
    pub(crate) fn targets(&self) -> &[u32] {
        &self.indices
    }

    /// The graph without the edges lighter than `threshold`.
    pub(crate) fn pruned(&self, threshold: f32) -> Self {
        let mut out = Self {
            indptr: Vec::with_capacity(self.indptr.len()),
            indices: Vec::with_capacity(self.indices.len()),
            values: Vec::with_capacity(self.values.len()),
        };
        out.indptr.push(0);
        for i in 0..self.n() {
            let (cols, vals) = self.row(i);
            for (&c, &v) in cols.iter().zip(vals) {
                if v >= threshold {
                    out.indices.push(c);
                    out.values.push(v);
                }
            }
            out.indptr.push(out.indices.len());
        }
        out
    }

    /// Builds compressed rows from per-row `(column, weight)` lists, dropping zero weights.
    pub(crate) fn from_rows(rows: Vec<Vec<(u32, f32)>>) -> Self {
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        indptr.push(0);
        let total = rows.iter().map(Vec::len).sum();
        let mut indices = Vec::with_capacity(total);
        let mut values = Vec::with_capacity(total);
        for row in rows {
            for (c, v) in row {
                if v != 0.0 {
                    indices.push(c);
                    values.push(v);
                }
            }
            indptr.push(indices.len());
        }
        Self {
            indptr,
            indices,
            values,
        }
    }
}

/// The directed membership graph: row `i` holds `(j, w)` for each neighbour `j` of `i`
/// (sorted by `j`), where a point's own entry has weight 0 (and is dropped) unless
/// `bipartite` (neighbours from another set, as in `transform`).
pub(crate) fn memberships(
    neighbors: &Neighbors,
    sigmas: &[f32],
    rhos: &[f32],
    bipartite: bool,
) -> Vec<Vec<(u32, f32)>> {
    let k = neighbors.k();
    neighbors
        .indices()
        .par_chunks(k)
        .zip(neighbors.distances().par_chunks(k))
        .enumerate()
        .map(|(i, (idx, dist))| {
            let mut row: Vec<(u32, f32)> = idx
                .iter()
                .zip(dist)
                .filter(|&(&j, _)| bipartite || j as usize != i)
                .map(|(&j, &d)| (j, membership(d, sigmas[i], rhos[i])))
                .filter(|&(_, w)| w != 0.0)
                .collect();
            row.sort_by_key(|&(j, _)| j);
            row.dedup_by_key(|&mut (j, _)| j);
            row
        })
        .collect()
}

/// The fuzzy simplicial set of the neighbour lists, as umap-learn's `fuzzy_simplicial_set`:
/// memberships from [`smooth_knn_dist`], then `mix · (A + Aᵀ − A∘Aᵀ) + (1 − mix) · A∘Aᵀ`
/// (`mix` = `set_op_mix_ratio`: 1 is the fuzzy union, 0 the fuzzy intersection).
/// Returns the graph with the σ and ρ of every point.
pub fn fuzzy_simplicial_set(
    neighbors: &Neighbors,
    local_connectivity: f32,
    set_op_mix_ratio: f32,
) -> (FuzzyGraph, Vec<f32>, Vec<f32>) {
    let (sigmas, rhos) = smooth_knn_dist(neighbors, local_connectivity);
    let forward = memberships(neighbors, &sigmas, &rhos, false);
    let n = forward.len();
    // The transpose: incoming edges of every vertex, sorted by source (filled in source order).
    let mut counts = vec![0usize; n + 1];
    for row in &forward {
        for &(j, _) in row {
            counts[j as usize + 1] += 1;
        }
    }
    for i in 0..n {
        counts[i + 1] += counts[i];
    }
    let mut fill = counts.clone();
    let mut t_src = vec![0u32; counts[n]];
    let mut t_val = vec![0f32; counts[n]];
    for (i, row) in forward.iter().enumerate() {
        for &(j, w) in row {
            let at = &mut fill[j as usize];
            t_src[*at] = i as u32;
            t_val[*at] = w;
            *at += 1;
        }
    }
    let mix = set_op_mix_ratio;
    let rows = forward
        .par_iter()
        .enumerate()
        .map(|(i, fwd)| {
            let back = counts[i]..counts[i + 1];
            let (bsrc, bval) = (&t_src[back.clone()], &t_val[back]);
            let mut out = Vec::with_capacity(fwd.len() + bsrc.len());
            let (mut p, mut q) = (0, 0);
            while p < fwd.len() || q < bsrc.len() {
                let a_col = fwd.get(p).map_or(u32::MAX, |e| e.0);
                let b_col = bsrc.get(q).copied().unwrap_or(u32::MAX);
                let (col, a, b) = if a_col == b_col {
                    p += 1;
                    q += 1;
                    (a_col, fwd[p - 1].1, bval[q - 1])
                } else if a_col < b_col {
                    p += 1;
                    (a_col, fwd[p - 1].1, 0.0)
                } else {
                    q += 1;
                    (b_col, 0.0, bval[q - 1])
                };
                let prod = a * b;
                out.push((col, mix * (a + b - prod) + (1.0 - mix) * prod));
            }
            out
        })
        .collect();
    (FuzzyGraph::from_rows(rows), sigmas, rhos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rho_interpolates_between_neighbours() {
        let row = [0.0, 0.0, 1.0, 2.0, 4.0];
        assert_eq!(local_rho(&row, 1.0), 1.0);
        assert_eq!(local_rho(&row, 1.5), 1.5);
        assert_eq!(local_rho(&row, 0.5), 0.5);
        assert_eq!(local_rho(&row, 0.0), 0.0);
        // More connectivity than positive distances: the largest distance.
        assert_eq!(local_rho(&row, 9.0), 4.0);
    }

    #[test]
    fn union_is_symmetric_and_bounded() {
        // Three points on a line, 2 neighbours each (self first).
        let nn = Neighbors::new(
            2,
            vec![0, 1, 1, 0, 2, 1],
            vec![0.0, 1.0, 0.0, 1.0, 0.0, 1.0],
        )
        .unwrap();
        let (g, _, _) = fuzzy_simplicial_set(&nn, 1.0, 1.0);
        assert_eq!(g.n(), 3);
        for i in 0..3 {
            let (cols, vals) = g.row(i);
            for (&j, &w) in cols.iter().zip(vals) {
                let (back_cols, back_vals) = g.row(j as usize);
                let at = back_cols.iter().position(|&c| c as usize == i).unwrap();
                assert_eq!(back_vals[at], w);
                assert!(w > 0.0 && w <= 1.0);
            }
        }
    }
}
