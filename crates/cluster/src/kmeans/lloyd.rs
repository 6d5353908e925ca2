//! Lloyd's iterations: the assignment step as a blocked matrix product, fused with the
//! accumulation of the new centres, scikit-learn's convergence rules and its relocation of
//! empty clusters.

use fmnist_core::simd::{sq_dist_f64, sq_norm_f64};
use multiversion::multiversion;
use rayon::prelude::*;

use crate::linalg::{CHUNK, GROUP, Rows, map_groups, sq_distances};

/// The cluster of one sample and its squared distance to that cluster's centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Assignment {
    pub label: u32,
    pub dist: f32,
}

impl Assignment {
    /// The assignment of a sample not yet assigned.
    pub const NONE: Self = Self {
        label: u32::MAX,
        dist: f32::INFINITY,
    };
}

/// The outcome of one run of Lloyd's algorithm, in centred coordinates.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    /// `k x d` centres, row-major.
    pub centres: Vec<f32>,
    pub assignments: Vec<Assignment>,
    pub inertia: f64,
    pub n_iter: usize,
    pub converged: bool,
    /// Inertia at the assignment step of every iteration.
    pub history: Vec<f64>,
}

/// Sums over one group of rows.
struct Partial {
    sums: Vec<f64>,
    counts: Vec<u64>,
    changed: usize,
    inertia: f64,
}

impl Partial {
    fn new(k: usize, d: usize, accumulate: bool) -> Self {
        Self {
            sums: vec![0.0; if accumulate { k * d } else { 0 }],
            counts: vec![0; k],
            changed: 0,
            inertia: 0.0,
        }
    }
}

/// Assigns every row to its nearest centre (ties to the lower index), writing `assignments`.
/// With `accumulate`, also returns the per-cluster sums and counts of the new assignment;
/// always returns the number of changed labels and the summed squared distances.
pub(crate) fn assign(
    x: &Rows,
    norms: &[f32],
    centres: &[f32],
    assignments: &mut [Assignment],
    accumulate: bool,
) -> (Vec<f64>, Vec<u64>, usize, f64) {
    let d = x.d;
    let k = centres.len() / d;
    let centre_norms: Vec<f32> = centres
        .chunks_exact(d)
        .map(|c| sq_norm_f64(c) as f32)
        .collect();
    let partials = map_groups(x, norms, assignments, 1, |_, rows, norms, out| {
        let mut partial = Partial::new(k, d, accumulate);
        let mut dist = vec![0f32; CHUNK.min(norms.len()) * k];
        // Per-chunk sums in f32 (at most CHUNK rows each), folded into the f64 group sums.
        let mut chunk_sums = vec![0f32; if accumulate { k * d } else { 0 }];
        for ((chunk, chunk_norms), out) in rows
            .chunks(CHUNK * d)
            .zip(norms.chunks(CHUNK))
            .zip(out.chunks_mut(CHUNK))
        {
            let dist = &mut dist[..chunk_norms.len() * k];
            sq_distances(chunk, chunk_norms, centres, &centre_norms, d, dist);
            let (changed, inertia) =
                assign_chunk(chunk, dist, out, &mut chunk_sums, &mut partial.counts);
            partial.changed += changed;
            partial.inertia += inertia;
            if accumulate {
                fold_sums(&mut partial.sums, &mut chunk_sums);
            }
        }
        partial
    });
    let mut total = Partial::new(k, d, accumulate);
    for p in partials {
        for (t, s) in total.sums.iter_mut().zip(&p.sums) {
            *t += s;
        }
        for (t, c) in total.counts.iter_mut().zip(&p.counts) {
            *t += c;
        }
        total.changed += p.changed;
        total.inertia += p.inertia;
    }
    (total.sums, total.counts, total.changed, total.inertia)
}

/// Assigns the rows of one chunk from their squared distances (`rows x k`), counting them
/// per cluster and, when `sums` is not empty, adding each row to its cluster's sum.
/// Returns the number of changed labels and the summed distances.
#[multiversion(targets("x86_64+avx2+fma"))]
fn assign_chunk(
    rows: &[f32],
    dists: &[f32],
    out: &mut [Assignment],
    sums: &mut [f32],
    counts: &mut [u64],
) -> (usize, f64) {
    let k = counts.len();
    let d = rows.len() / out.len();
    let mut changed = 0;
    let mut inertia = 0.0;
    for ((row, dists), slot) in rows.chunks_exact(d).zip(dists.chunks_exact(k)).zip(out) {
        let (label, best) = argmin(dists);
        changed += usize::from(slot.label != label as u32);
        *slot = Assignment {
            label: label as u32,
            dist: best,
        };
        inertia += f64::from(best);
        counts[label] += 1;
        if !sums.is_empty() {
            for (s, &v) in sums[label * d..(label + 1) * d].iter_mut().zip(row) {
                *s += v;
            }
        }
    }
    (changed, inertia)
}

/// `total += chunk` (widened to f64), then `chunk = 0`.
#[multiversion(targets("x86_64+avx2+fma"))]
fn fold_sums(total: &mut [f64], chunk: &mut [f32]) {
    for (t, c) in total.iter_mut().zip(chunk.iter_mut()) {
        *t += f64::from(*c);
        *c = 0.0;
    }
}

/// Index and value of the smallest entry (the first one on ties).
#[inline(always)]
fn argmin(values: &[f32]) -> (usize, f32) {
    let mut best = (0, values[0]);
    for (j, &v) in values.iter().enumerate().skip(1) {
        if v < best.1 {
            best = (j, v);
        }
    }
    best
}

/// Σ ‖x_i − c_{label_i}‖², computed from the differences (not the expansion) in `f64`.
pub(crate) fn inertia(x: &Rows, centres: &[f32], assignments: &[Assignment]) -> f64 {
    let d = x.d;
    x.data
        .par_chunks(GROUP * d)
        .zip(assignments.par_chunks(GROUP))
        .map(|(rows, assignments)| group_inertia(rows, centres, assignments))
        .collect::<Vec<f64>>()
        .iter()
        .sum()
}

/// Σ ‖row_i − c_{label_i}‖² over one group.
#[multiversion(targets("x86_64+avx2+fma"))]
fn group_inertia(rows: &[f32], centres: &[f32], assignments: &[Assignment]) -> f64 {
    let d = rows.len() / assignments.len();
    rows.chunks_exact(d)
        .zip(assignments)
        .map(|(row, a)| sq_dist_f64(row, &centres[a.label as usize * d..][..d]))
        .sum()
}

/// Runs Lloyd's algorithm from `centres` (k x d, row-major) until the labels stop changing,
/// the centres move by at most `tol` in total squared distance, or `max_iter` iterations.
pub(crate) fn run(
    x: &Rows,
    norms: &[f32],
    mut centres: Vec<f32>,
    max_iter: usize,
    tol: f64,
) -> Run {
    let d = x.d;
    let mut assignments = vec![Assignment::NONE; x.n];
    let mut history = Vec::new();
    let mut strict = false;
    let mut converged = false;
    let mut n_iter = 0;
    while n_iter < max_iter {
        n_iter += 1;
        let (mut sums, mut counts, changed, inertia) =
            assign(x, norms, &centres, &mut assignments, true);
        history.push(inertia);
        relocate_empty_clusters(x, &assignments, &mut sums, &mut counts);
        let mut shift = 0.0;
        for (j, (old, sum)) in centres
            .chunks_exact_mut(d)
            .zip(sums.chunks_exact(d))
            .enumerate()
        {
            if counts[j] == 0 {
                continue;
            }
            let scale = 1.0 / counts[j] as f64;
            for (c, &s) in old.iter_mut().zip(sum) {
                let new = (s * scale) as f32;
                shift += f64::from(new - *c).powi(2);
                *c = new;
            }
        }
        if changed == 0 {
            strict = true;
            converged = true;
            break;
        }
        if shift <= tol {
            converged = true;
            break;
        }
    }
    if !strict {
        assign(x, norms, &centres, &mut assignments, false);
    }
    let inertia = inertia(x, &centres, &assignments);
    Run {
        centres,
        assignments,
        inertia,
        n_iter,
        converged,
        history,
    }
}

/// scikit-learn's treatment of empty clusters: each empty cluster takes the sample farthest
/// from its centre (largest first, ties to the lower index), which leaves its old cluster.
fn relocate_empty_clusters(
    x: &Rows,
    assignments: &[Assignment],
    sums: &mut [f64],
    counts: &mut [u64],
) {
    let d = x.d;
    let empty: Vec<usize> = (0..counts.len()).filter(|&j| counts[j] == 0).collect();
    if empty.is_empty() {
        return;
    }
    let mut order: Vec<usize> = (0..x.n).collect();
    let by_distance = |a: &usize, b: &usize| {
        assignments[*b]
            .dist
            .total_cmp(&assignments[*a].dist)
            .then(a.cmp(b))
    };
    let n_far = empty.len().min(x.n);
    if n_far < x.n {
        order.select_nth_unstable_by(n_far - 1, by_distance);
    }
    order.truncate(n_far);
    order.sort_unstable_by(by_distance);
    for (&j, &far) in empty.iter().zip(&order) {
        let old = assignments[far].label as usize;
        let row = x.row(far);
        for (t, &v) in row.iter().enumerate() {
            sums[j * d + t] = f64::from(v);
            sums[old * d + t] -= f64::from(v);
        }
        counts[j] = 1;
        counts[old] -= 1;
    }
}
