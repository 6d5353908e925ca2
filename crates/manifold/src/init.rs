//! The starting layout: the spectral embedding of the fuzzy graph (umap-learn's
//! `spectral_layout`, connected components laid out apart as its `multi_component_layout`),
//! the principal components of the data, or uniform noise; then umap-learn's scaling.
//!
//! The spectral embedding is made of the eigenvectors of the normalised adjacency
//! D^(-1/2) W D^(-1/2) with the largest eigenvalues after the trivial one (equivalently the
//! smallest of the normalised Laplacian but the first), found by a thick-restart Lanczos
//! iteration (Krylov–Schur form) with full re-orthogonalisation and the trivial eigenvector
//! deflated. Every reduction runs over fixed chunks, so the result is the same on any number of
//! threads.

use faer::Mat;
use fmnist_core::linalg::{self, SymmetricEigen};
use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::graph::FuzzyGraph;
use crate::knn::Points;
use crate::rng::SplitMix;

/// How the layout starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Init {
    /// The spectral embedding of the fuzzy graph (default), as umap-learn's `"spectral"`;
    /// falls back to [`Init::Pca`] when the eigensolver does not converge
    /// ([`crate::FittedUmap::init_used`] tells).
    #[default]
    Spectral,
    /// The leading principal components of the data (L2-normalised rows for
    /// [`crate::Metric::Cosine`]), as umap-learn's `"pca"`.
    Pca,
    /// Uniform in [−10, 10] in every dimension, as umap-learn's `"random"`.
    Random,
}

/// Random streams of the fit (the `stream` argument of [`SplitMix::new`]).
pub(crate) mod stream {
    pub const RANDOM_INIT: u64 = 1;
    pub const NOISE: u64 = 2;
    pub const LANCZOS: u64 = 3;
    pub const SMALL_COMPONENT: u64 = 4;
    pub const LAYOUT: u64 = 5;
    pub const TRANSFORM: u64 = 6;
    pub const DESCENT_FILL: u64 = 7;
    pub const SKETCH: u64 = 8;
    pub const GRAPH_SEARCH: u64 = 9;
    /// Plus the tree's number.
    pub const FOREST: u64 = 1 << 32;
    /// Plus the iteration's number.
    pub const DESCENT: u64 = 2 << 32;
}

/// Largest Krylov basis of the eigensolver (unless 2·wanted + 1 is larger). Each step
/// orthogonalises against the whole basis, so a smaller one is cheaper per step and restarts
/// more often: on the 48,000 x 40 study data (11 wanted vectors) 32 took 0.74 s, 48 0.9 s,
/// 64 1.2 s and 128 1.8 s, to the same tolerance (ARPACK's default is max(2·wanted + 1, 20)).
const MAX_BASIS: usize = 32;
/// Restarts before the eigensolver gives up.
const MAX_RESTARTS: usize = 200;
/// Residual ‖M·y − θ·y‖ at which a Ritz pair counts as converged (eigenvalues are ≤ 1; ARPACK's
/// relative tolerance in umap-learn's `spectral_layout` is 10⁻⁴).
const TOLERANCE: f64 = 1e-4;
/// Elements per chunk of the parallel vector operations.
const CHUNK: usize = 4096;

/// The starting layout (`n x dim`, row-major), scaled as umap-learn scales it before the
/// optimisation: each dimension to [0, 10]. Returns it with the method actually used.
pub(crate) fn initial_layout(
    points: &Points,
    graph: &FuzzyGraph,
    dim: usize,
    init: Init,
    seed: u64,
) -> (Vec<f32>, Init) {
    let n = points.n;
    let (mut layout, used) = match init {
        Init::Random => {
            let mut rng = SplitMix::new(seed, stream::RANDOM_INIT, 0);
            let coords = (0..n * dim).map(|_| rng.uniform() * 20.0 - 10.0).collect();
            (coords, Init::Random)
        }
        Init::Pca => (pca_layout(points, dim, seed), Init::Pca),
        Init::Spectral => match spectral_layout(points, graph, dim, seed) {
            Some(coords) => (noisy_scale(coords, seed), Init::Spectral),
            None => (pca_layout(points, dim, seed), Init::Pca),
        },
    };
    rescale(&mut layout, dim);
    (layout.into_iter().map(|v| v as f32).collect(), used)
}

/// Principal-component coordinates scaled to a largest magnitude of 10, plus a little noise.
fn pca_layout(points: &Points, dim: usize, seed: u64) -> Vec<f64> {
    noisy_scale(
        principal_coords(&points.data, points.n, points.d, dim),
        seed,
    )
}

/// umap-learn's `noisy_scale_coords`: scale so that the largest magnitude is 10, then add
/// normal noise of standard deviation 10⁻⁴.
fn noisy_scale(mut coords: Vec<f64>, seed: u64) -> Vec<f64> {
    let max = coords.iter().fold(0f64, |m, v| m.max(v.abs()));
    let expansion = if max > 0.0 { 10.0 / max } else { 1.0 };
    let mut rng = SplitMix::new(seed, stream::NOISE, 0);
    for v in &mut coords {
        *v = *v * expansion + 1e-4 * rng.normal();
    }
    coords
}

/// Each dimension mapped linearly onto [0, 10] (a constant dimension onto 0).
fn rescale(coords: &mut [f64], dim: usize) {
    for c in 0..dim {
        let (lo, hi) = coords
            .iter()
            .skip(c)
            .step_by(dim)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let range = hi - lo;
        for v in coords.iter_mut().skip(c).step_by(dim) {
            *v = if range > 0.0 {
                10.0 * (*v - lo) / range
            } else {
                0.0
            };
        }
    }
}

/// Coordinates of `n` rows (`d` values each, row-major) on their `dim` leading principal
/// axes, `n x dim` row-major (zero beyond the `d`-th axis, and everywhere if the
/// eigendecomposition fails): fmnist-core's column means, blocked covariance and symmetric
/// eigendecomposition.
fn principal_coords(data: &[f32], n: usize, d: usize, dim: usize) -> Vec<f64> {
    let x = DMatrix::from_row_slice(n, d, data);
    let mean = linalg::column_means(&x);
    let axes: Vec<Vec<f64>> = match SymmetricEigen::of_lower(&linalg::covariance_lower(&x, &mean)) {
        Some(eigen) => (0..dim.min(d))
            .map(|c| (0..d).map(|t| eigen.vectors[(t, c)]).collect())
            .collect(),
        None => Vec::new(),
    };
    let mut coords = vec![0f64; n * dim];
    coords
        .par_chunks_mut(dim)
        .zip(data.par_chunks(d))
        .for_each(|(out, row)| {
            for (o, axis) in out.iter_mut().zip(&axes) {
                *o = row
                    .iter()
                    .zip(&mean)
                    .zip(axis)
                    .map(|((&v, m), a)| (f64::from(v) - m) * a)
                    .sum();
            }
        });
    coords
}

/// A symmetric sparse matrix in compressed rows, `f64`.
struct Sparse {
    indptr: Vec<usize>,
    indices: Vec<usize>,
    values: Vec<f64>,
}

impl Sparse {
    fn n(&self) -> usize {
        self.indptr.len() - 1
    }

    /// `out = self · v`.
    fn apply(&self, v: &[f64], out: &mut [f64]) {
        out.par_chunks_mut(CHUNK).enumerate().for_each(|(b, out)| {
            for (r, o) in out.iter_mut().enumerate() {
                let i = b * CHUNK + r;
                let span = self.indptr[i]..self.indptr[i + 1];
                *o = self.indices[span.clone()]
                    .iter()
                    .zip(&self.values[span])
                    .map(|(&j, &w)| w * v[j])
                    .sum();
            }
        });
    }
}

/// Connected components of the graph: a label per vertex (numbered by first vertex) and the
/// number of components.
fn components(graph: &FuzzyGraph) -> (Vec<usize>, usize) {
    let n = graph.n();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..n {
        for &j in graph.row(i).0 {
            let (a, b) = (find(&mut parent, i), find(&mut parent, j as usize));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut label = vec![usize::MAX; n];
    let mut count = 0;
    for i in 0..n {
        let root = find(&mut parent, i);
        if label[root] == usize::MAX {
            label[root] = count;
            count += 1;
        }
        label[i] = label[root];
    }
    (label, count)
}

/// The spectral layout (`n x dim`, row-major, `f64`), or `None` when an eigensolve fails.
/// A disconnected graph is laid out as umap-learn's `multi_component_layout`: each
/// component's own layout around its position in a meta-layout of the components.
fn spectral_layout(points: &Points, graph: &FuzzyGraph, dim: usize, seed: u64) -> Option<Vec<f64>> {
    let n = graph.n();
    let (label, count) = components(graph);
    if count == 1 {
        return spectral_component(graph, &(0..n).collect::<Vec<_>>(), dim, seed, 0);
    }
    let meta = component_positions(points, &label, count, dim);
    let mut members = vec![Vec::new(); count];
    for (i, &c) in label.iter().enumerate() {
        members[c].push(i);
    }
    let mut out = vec![0f64; n * dim];
    for (c, vertices) in members.iter().enumerate() {
        let centre = &meta[c * dim..(c + 1) * dim];
        let coords = component_layout(graph, vertices, &meta, c, dim, seed)?;
        for (r, &i) in vertices.iter().enumerate() {
            for t in 0..dim {
                out[i * dim + t] = coords[r * dim + t] + centre[t];
            }
        }
    }
    Some(out)
}

/// The positions of the `count` components (umap-learn's meta-embedding, `count x dim`
/// row-major): ± unit vectors when there are few, otherwise the principal components of the
/// component centroids, scaled to a largest magnitude of 1.
fn component_positions(points: &Points, label: &[usize], count: usize, dim: usize) -> Vec<f64> {
    if count <= 2 * dim {
        let k = count.div_ceil(2);
        return (0..count)
            .flat_map(|c| {
                let sign = if c < k { 1.0 } else { -1.0 };
                (0..dim).map(move |t| if t == c % k { sign } else { 0.0 })
            })
            .collect();
    }
    let d = points.d;
    let mut centroids = vec![0f32; count * d];
    let mut sizes = vec![0usize; count];
    for (i, &c) in label.iter().enumerate() {
        sizes[c] += 1;
        for (s, &v) in centroids[c * d..(c + 1) * d].iter_mut().zip(points.row(i)) {
            *s += v;
        }
    }
    for (c, &size) in sizes.iter().enumerate() {
        centroids[c * d..(c + 1) * d]
            .iter_mut()
            .for_each(|s| *s /= size as f32);
    }
    let coords = principal_coords(&centroids, count, d, dim);
    let max = coords.iter().fold(0f64, |m, v| m.max(v.abs()));
    coords
        .iter()
        .map(|v| if max > 0.0 { v / max } else { *v })
        .collect()
}

/// The layout of component `c` (its sorted `vertices`) around the origin, `len x dim`: its
/// spectral embedding scaled into half the distance from its position in `meta` to the
/// nearest other component's, or, for a tiny component, uniform in that box; `None` when the
/// eigensolve fails.
fn component_layout(
    graph: &FuzzyGraph,
    vertices: &[usize],
    meta: &[f64],
    c: usize,
    dim: usize,
    seed: u64,
) -> Option<Vec<f64>> {
    let count = meta.len() / dim;
    let centre = &meta[c * dim..(c + 1) * dim];
    let nearest = (0..count)
        .filter(|&o| o != c)
        .map(|o| {
            centre
                .iter()
                .zip(&meta[o * dim..(o + 1) * dim])
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .filter(|&dist| dist > 0.0)
        .fold(f64::INFINITY, f64::min);
    let range = if nearest.is_finite() {
        nearest / 2.0
    } else {
        1.0
    };
    if vertices.len() < 2 * dim || vertices.len() <= dim + 1 {
        let mut rng = SplitMix::new(seed, stream::SMALL_COMPONENT, c as u64);
        return Some(
            (0..vertices.len() * dim)
                .map(|_| (rng.uniform() * 2.0 - 1.0) * range)
                .collect(),
        );
    }
    let coords = spectral_component(graph, vertices, dim, seed, c as u64)?;
    let max = coords.iter().fold(0f64, |m, v| m.max(v.abs()));
    let expansion = if max > 0.0 { range / max } else { 1.0 };
    Some(coords.into_iter().map(|v| v * expansion).collect())
}

/// The spectral embedding of the connected subgraph on `vertices` (sorted), `len x dim`.
fn spectral_component(
    graph: &FuzzyGraph,
    vertices: &[usize],
    dim: usize,
    seed: u64,
    component: u64,
) -> Option<Vec<f64>> {
    let n = vertices.len();
    if n <= dim + 1 {
        return None;
    }
    let whole = n == graph.n();
    let mut local = vec![usize::MAX; if whole { 0 } else { graph.n() }];
    for (r, &i) in vertices.iter().enumerate().filter(|_| !whole) {
        local[i] = r;
    }
    let mut indptr = Vec::with_capacity(n + 1);
    indptr.push(0);
    let mut indices = Vec::new();
    let mut values = Vec::new();
    for &i in vertices {
        let (cols, vals) = graph.row(i);
        for (&j, &w) in cols.iter().zip(vals) {
            indices.push(if whole { j as usize } else { local[j as usize] });
            values.push(f64::from(w));
        }
        indptr.push(indices.len());
    }
    let degree: Vec<f64> = (0..n)
        .map(|i| values[indptr[i]..indptr[i + 1]].iter().sum())
        .collect();
    if degree.iter().any(|&d| d <= 0.0) {
        return None;
    }
    let inv_sqrt: Vec<f64> = degree.iter().map(|d| 1.0 / d.sqrt()).collect();
    for i in 0..n {
        for at in indptr[i]..indptr[i + 1] {
            values[at] *= inv_sqrt[i] * inv_sqrt[indices[at]];
        }
    }
    let op = Sparse {
        indptr,
        indices,
        values,
    };
    // The trivial eigenvector (eigenvalue 1) is √degree.
    let mut trivial: Vec<f64> = degree.iter().map(|d| d.sqrt()).collect();
    let norm = dot(&trivial, &trivial).sqrt();
    trivial.iter_mut().for_each(|v| *v /= norm);
    let mut rng = SplitMix::new(seed, stream::LANCZOS, component);
    let start: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let vectors = top_eigenvectors(&op, dim, &trivial, start)?;
    let mut out = vec![0f64; n * dim];
    for (t, v) in vectors.iter().enumerate() {
        for (i, &x) in v.iter().enumerate() {
            out[i * dim + t] = x;
        }
    }
    Some(out)
}

/// Dot product over fixed chunks (the same sum on any thread count).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.par_chunks(CHUNK)
        .zip(b.par_chunks(CHUNK))
        .map(|(x, y)| x.iter().zip(y).map(|(p, q)| p * q).sum::<f64>())
        .collect::<Vec<_>>()
        .iter()
        .sum()
}

/// `w -= Σ coef[i] · basis[i]`, in parallel over chunks of `w`.
fn subtract_combination(w: &mut [f64], basis: &[Vec<f64>], coef: &[f64]) {
    w.par_chunks_mut(CHUNK).enumerate().for_each(|(b, w)| {
        let span = b * CHUNK..b * CHUNK + w.len();
        for (v, &c) in basis.iter().zip(coef) {
            for (x, &y) in w.iter_mut().zip(&v[span.clone()]) {
                *x -= c * y;
            }
        }
    });
}

/// The dot products of `w` with every basis vector, in one pass over the basis (parallel over
/// fixed chunks of elements, the partial sums added in chunk order).
fn project(w: &[f64], basis: &[Vec<f64>]) -> Vec<f64> {
    let partials: Vec<Vec<f64>> = w
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(b, w)| {
            let span = b * CHUNK..b * CHUNK + w.len();
            basis
                .iter()
                .map(|v| v[span.clone()].iter().zip(w).map(|(p, q)| p * q).sum())
                .collect()
        })
        .collect();
    let mut out = vec![0f64; basis.len()];
    for partial in partials {
        out.iter_mut().zip(partial).for_each(|(o, p)| *o += p);
    }
    out
}

/// Orthogonalises `w` against `trivial` and `basis` by classical Gram–Schmidt and adds the
/// coefficients against `basis` to `total`. When `reduced` (the three-term recurrence already
/// took out the large components) one pass is enough unless the norm falls below 1/√2 of its
/// value (the DGKS criterion); otherwise two passes.
fn orthogonalise(
    w: &mut [f64],
    trivial: &[f64],
    basis: &[Vec<f64>],
    reduced: bool,
    total: &mut [f64],
) {
    let before = dot(w, w).sqrt();
    for pass in 0..2 {
        let t = dot(w, trivial);
        let coef = project(w, basis);
        w.par_chunks_mut(CHUNK)
            .zip(trivial.par_chunks(CHUNK))
            .for_each(|(w, v)| w.iter_mut().zip(v).for_each(|(x, &y)| *x -= t * y));
        subtract_combination(w, basis, &coef);
        total.iter_mut().zip(&coef).for_each(|(s, c)| *s += c);
        if pass == 0 && reduced && dot(w, w).sqrt() >= before * std::f64::consts::FRAC_1_SQRT_2 {
            break;
        }
    }
}

/// `Σ s[i] · basis[i]` for each column of `s` given as a slice of coefficient vectors.
fn combine(basis: &[Vec<f64>], coefs: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = basis[0].len();
    coefs
        .iter()
        .map(|c| {
            let mut out = vec![0f64; n];
            out.par_chunks_mut(CHUNK).enumerate().for_each(|(b, out)| {
                let span = b * CHUNK..b * CHUNK + out.len();
                for (v, &s) in basis.iter().zip(c) {
                    for (o, &y) in out.iter_mut().zip(&v[span.clone()]) {
                        *o += s * y;
                    }
                }
            });
            out
        })
        .collect()
}

/// The `want` eigenvectors of the symmetric `op` with the largest eigenvalues in the
/// complement of the unit vector `trivial`, by thick-restart Lanczos from `start`; `None` if
/// they do not converge within [`MAX_RESTARTS`] restarts.
fn top_eigenvectors(
    op: &Sparse,
    want: usize,
    trivial: &[f64],
    mut start: Vec<f64>,
) -> Option<Vec<Vec<f64>>> {
    let n = op.n();
    let space = n - 1;
    let m = (2 * want + 1).max(n.isqrt().min(MAX_BASIS)).min(space);
    let keep = (want + (m - want) / 2).min(m - 1).max(want);
    orthogonalise(&mut start, trivial, &[], false, &mut []);
    let norm = dot(&start, &start).sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return None;
    }
    start.iter_mut().for_each(|v| *v /= norm);
    let mut lanczos = Lanczos {
        op,
        trivial,
        basis: vec![start],
        h: vec![vec![0f64; m + 1]; m + 1],
        w: vec![0f64; n],
        m,
        first_new: 0,
    };
    for _ in 0..MAX_RESTARTS {
        let invariant = lanczos.extend();
        let size = lanczos.basis.len().min(m);
        let h = &lanczos.h;
        let t = Mat::<f64>::from_fn(size, size, |i, j| h[i.min(j)][i.max(j)]);
        // Ritz values largest first, with their vectors in the basis' coordinates.
        let ritz = SymmetricEigen::of_lower(&t)?;
        let beta = if invariant { 0.0 } else { h[size][size - 1] };
        let converged =
            (0..want.min(size)).all(|c| (beta * ritz.vectors[(size - 1, c)]).abs() <= TOLERANCE);
        if want > size {
            return None;
        }
        if converged || invariant {
            return Some(lanczos.ritz_vectors(&ritz, want));
        }
        lanczos.restart(&ritz, keep, beta);
    }
    None
}

/// The state of a thick-restart Lanczos iteration ([`top_eigenvectors`]).
struct Lanczos<'a> {
    op: &'a Sparse,
    /// The deflated unit vector.
    trivial: &'a [f64],
    /// Orthonormal Krylov basis, at most `m + 1` vectors (the last one the residual direction).
    basis: Vec<Vec<f64>>,
    /// Projected matrix: `h[i][j]` = basisᵢ · op · basisⱼ (upper triangle kept, mirrored).
    h: Vec<Vec<f64>>,
    /// `op` times the newest basis vector.
    w: Vec<f64>,
    /// Largest basis.
    m: usize,
    /// Index of the first vector whose product has not been taken since the last restart.
    first_new: usize,
}

impl Lanczos<'_> {
    /// Extends the basis to `m + 1` vectors, filling `h`; returns whether it stopped early on
    /// an invariant subspace.
    fn extend(&mut self) -> bool {
        let Self { op, trivial, .. } = *self;
        let (basis, h, w) = (&mut self.basis, &mut self.h, &mut self.w);
        while basis.len() <= self.m {
            let j = basis.len() - 1;
            op.apply(&basis[j], w);
            let mut coef = vec![0f64; basis.len()];
            // After the first new vector, take out the three-term recurrence's components
            // first; the full orthogonalisation then only removes rounding errors.
            let reduced = j > self.first_new;
            if reduced {
                let alpha = dot(w, &basis[j]);
                let beta = h[j][j - 1];
                let (previous, current) = (&basis[j - 1], &basis[j]);
                w.par_chunks_mut(CHUNK).enumerate().for_each(|(b, w)| {
                    let at = b * CHUNK;
                    for (t, x) in w.iter_mut().enumerate() {
                        *x -= alpha * current[at + t] + beta * previous[at + t];
                    }
                });
                coef[j] = alpha;
                coef[j - 1] = beta;
            }
            orthogonalise(w, trivial, basis, reduced, &mut coef);
            for (i, &c) in coef.iter().enumerate() {
                h[i][j] = c;
                h[j][i] = c;
            }
            let beta = dot(w, w).sqrt();
            if beta <= 1e-12 || !beta.is_finite() {
                return true;
            }
            h[j + 1][j] = beta;
            h[j][j + 1] = beta;
            basis.push(w.iter().map(|v| v / beta).collect());
        }
        false
    }

    /// The first `count` Ritz vectors of `ritz` (the eigendecomposition of the projected
    /// matrix) in the original space.
    fn ritz_vectors(&self, ritz: &SymmetricEigen, count: usize) -> Vec<Vec<f64>> {
        let size = ritz.values.len();
        let coefs: Vec<Vec<f64>> = (0..count)
            .map(|c| (0..size).map(|r| ritz.vectors[(r, c)]).collect())
            .collect();
        combine(&self.basis[..size], &coefs)
    }

    /// Thick restart: the basis becomes the `keep` leading Ritz vectors, then the residual
    /// direction; `h` the Ritz values on its diagonal and their couplings `beta · s` to the
    /// residual in its last row and column.
    fn restart(&mut self, ritz: &SymmetricEigen, keep: usize, beta: f64) {
        let size = ritz.values.len();
        let residual = self.basis.pop().expect("the residual direction");
        let mut next = self.ritz_vectors(ritz, keep);
        next.push(residual);
        self.basis = next;
        self.first_new = keep;
        let h = &mut self.h;
        h.iter_mut()
            .for_each(|row| row.iter_mut().for_each(|v| *v = 0.0));
        for (c, &theta) in ritz.values[..keep].iter().enumerate() {
            h[c][c] = theta;
            let coupling = beta * ritz.vectors[(size - 1, c)];
            h[c][keep] = coupling;
            h[keep][c] = coupling;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanczos_finds_the_path_graph_eigenvectors() {
        // A path of 200 vertices with unit weights: the normalised adjacency's second
        // eigenvector is √degree · cos(π·i/199), monotonic along the path but for the ends.
        let n = 200;
        let rows = (0..n)
            .map(|i| {
                let mut r = Vec::new();
                if i > 0 {
                    r.push(((i - 1) as u32, 1.0));
                }
                if i + 1 < n {
                    r.push(((i + 1) as u32, 1.0));
                }
                r
            })
            .collect();
        let graph = FuzzyGraph::from_rows(rows);
        let coords = spectral_component(&graph, &(0..n).collect::<Vec<_>>(), 1, 0, 0).unwrap();
        let expected: Vec<f64> = (0..n)
            .map(|i| {
                let degree: f64 = if i == 0 || i == n - 1 { 1.0 } else { 2.0 };
                degree.sqrt() * (std::f64::consts::PI * i as f64 / 199.0).cos()
            })
            .collect();
        // Unit vectors (the solver's is normalised), equal up to sign.
        let norm = dot(&expected, &expected).sqrt();
        let cosine = dot(&coords, &expected) / norm;
        assert!(cosine.abs() > 0.9999, "cosine {cosine}");
    }

    #[test]
    fn rescaled_dimensions_span_zero_to_ten() {
        let mut c = vec![-1.0, 5.0, 3.0, 5.0, 1.0, 5.0];
        rescale(&mut c, 2);
        assert_eq!(c, vec![0.0, 0.0, 10.0, 0.0, 5.0, 0.0]);
    }
}
