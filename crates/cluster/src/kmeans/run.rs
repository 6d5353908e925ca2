//! One K-Means run: assignment steps ([`super::assign`]) and centre updates from running
//! cluster sums, scikit-learn's convergence rules and its relocation of empty clusters.
//!
//! The clusters' sums are kept in `f64` across iterations and changed only by the samples whose
//! label changed (added per fixed group of rows, in group order). Lloyd's, Hamerly's and Elkan's
//! algorithms make the same label changes, so they reach bit-identical centres after the same
//! number of iterations.

use fmnist_core::simd::sq_dist_f64;
use multiversion::multiversion;
use rayon::prelude::*;

use super::assign::{Assignments, Method};
use super::kernel::Centres;
use crate::linalg::{GROUP, Rows};

/// The outcome of one run, in centred coordinates.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    /// `k x d` centres, row-major.
    pub centres: Vec<f32>,
    pub labels: Vec<u32>,
    pub inertia: f64,
    pub n_iter: usize,
    pub converged: bool,
    /// Inertia at the assignment step of every iteration.
    pub history: Vec<f64>,
}

/// The data of a fit: centred rows, their squared norms and the sum of those.
pub(crate) struct Data<'a> {
    pub x: &'a Rows,
    pub norms: &'a [f32],
    pub total_norm: f64,
}

/// The clusters' sums and sizes under the current labels.
struct Sums {
    sums: Vec<f64>,
    counts: Vec<i64>,
}

/// Runs K-Means from `centres` (k x d, row-major) with `method` until the labels stop
/// changing, the centres move by at most `tol` in total squared distance, or `max_iter`
/// iterations.
pub(crate) fn run(
    data: &Data,
    centres: Vec<f32>,
    method: Method,
    max_iter: usize,
    tol: f64,
) -> Run {
    let (x, d) = (data.x, data.x.d);
    let k = centres.len() / d;
    let mut centres = Centres::new(centres, d);
    let mut assignments = Assignments::new(method, x.n, k);
    let mut label_sums = Sums {
        sums: vec![0.0; k * d],
        counts: vec![0; k],
    };
    let (mut history, mut n_iter) = (Vec::new(), 0);
    let (mut strict, mut converged) = (false, false);
    while n_iter < max_iter {
        n_iter += 1;
        let changes = assignments.step(x, data.norms, &centres, true);
        for (t, s) in label_sums.sums.iter_mut().zip(&changes.sums) {
            *t += s;
        }
        for (t, c) in label_sums.counts.iter_mut().zip(&changes.counts) {
            *t += c;
        }
        history.push(inertia_from_sums(data, &centres, &label_sums));
        let mut sums = label_sums.sums.clone();
        let mut counts = label_sums.counts.clone();
        if counts.contains(&0) {
            let distances = assignments.distances(x, data.norms, &centres);
            relocate_empty_clusters(x, &assignments.labels, &distances, &mut sums, &mut counts);
        }
        let (next, shifts, total_shift) = update_centres(&centres, &sums, &counts);
        centres = Centres::new(next, d);
        assignments.shift_bounds(&shifts);
        if changes.changed == 0 {
            (strict, converged) = (true, true);
            break;
        }
        if total_shift <= tol {
            converged = true;
            break;
        }
    }
    if !strict {
        assignments.step(x, data.norms, &centres, false);
    }
    let inertia = inertia(x, &centres.data, &assignments.labels);
    Run {
        centres: centres.data,
        labels: assignments.labels,
        inertia,
        n_iter,
        converged,
        history,
    }
}

/// The means of the clusters (a cluster with no sample keeps its centre), how far each centre
/// moved (Euclidean, in `f64`, rounded up) and the total squared shift.
fn update_centres(centres: &Centres, sums: &[f64], counts: &[i64]) -> (Vec<f32>, Vec<f64>, f64) {
    let d = centres.d;
    let mut next = centres.data.clone();
    let mut shifts = vec![0f64; counts.len()];
    let mut total = 0.0;
    for (j, (centre, sum)) in next
        .chunks_exact_mut(d)
        .zip(sums.chunks_exact(d))
        .enumerate()
    {
        if counts[j] <= 0 {
            continue;
        }
        let scale = 1.0 / counts[j] as f64;
        let mut shift = 0.0;
        for (c, &s) in centre.iter_mut().zip(sum) {
            let new = (s * scale) as f32;
            shift += f64::from(new - *c).powi(2);
            *c = new;
        }
        shifts[j] = shift.sqrt() * (1.0 + 1e-9);
        total += shift;
    }
    (next, shifts, total)
}

/// Σ ‖x_i − c_{label_i}‖² at the assignment step, from the clusters' sums:
/// Σ ‖x_i‖² − 2 Σ_j c_j·S_j + Σ_j n_j ‖c_j‖², in `f64`.
fn inertia_from_sums(data: &Data, centres: &Centres, sums: &Sums) -> f64 {
    let d = centres.d;
    let mut total = data.total_norm;
    for (j, (sum, &count)) in sums.sums.chunks_exact(d).zip(&sums.counts).enumerate() {
        let centre = centres.row(j);
        let dot: f64 = centre
            .iter()
            .zip(sum)
            .map(|(&c, &s)| f64::from(c) * s)
            .sum();
        let norm: f64 = centre.iter().map(|&c| f64::from(c).powi(2)).sum();
        total += count as f64 * norm - 2.0 * dot;
    }
    total.max(0.0)
}

/// Σ ‖x_i − c_{label_i}‖², computed from the differences (not the expansion) in `f64`.
pub(crate) fn inertia(x: &Rows, centres: &[f32], labels: &[u32]) -> f64 {
    let d = x.d;
    x.data
        .par_chunks(GROUP * d)
        .zip(labels.par_chunks(GROUP))
        .map(|(rows, labels)| group_inertia(rows, centres, labels))
        .collect::<Vec<f64>>()
        .iter()
        .sum()
}

/// Σ ‖row_i − c_{label_i}‖² over one group.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn group_inertia(rows: &[f32], centres: &[f32], labels: &[u32]) -> f64 {
    let d = rows.len() / labels.len();
    rows.chunks_exact(d)
        .zip(labels)
        .map(|(row, &a)| sq_dist_f64(row, &centres[a as usize * d..][..d]))
        .sum()
}

/// scikit-learn's treatment of empty clusters: each empty cluster takes the sample farthest
/// from its centre (largest first, ties to the lower index), which leaves its old cluster.
fn relocate_empty_clusters(
    x: &Rows,
    labels: &[u32],
    distances: &[f32],
    sums: &mut [f64],
    counts: &mut [i64],
) {
    let d = x.d;
    let empty: Vec<usize> = (0..counts.len()).filter(|&j| counts[j] == 0).collect();
    let mut order: Vec<usize> = (0..x.n).collect();
    let by_distance = |a: &usize, b: &usize| distances[*b].total_cmp(&distances[*a]).then(a.cmp(b));
    let n_far = empty.len().min(x.n);
    if n_far < x.n {
        order.select_nth_unstable_by(n_far - 1, by_distance);
    }
    order.truncate(n_far);
    order.sort_unstable_by(by_distance);
    for (&j, &far) in empty.iter().zip(&order) {
        let old = labels[far] as usize;
        for (t, &v) in x.row(far).iter().enumerate() {
            sums[j * d + t] = f64::from(v);
            sums[old * d + t] -= f64::from(v);
        }
        counts[j] = 1;
        counts[old] -= 1;
    }
}
