//! The assignment step of Lloyd's, Hamerly's and Elkan's algorithms, and the label changes it
//! makes, as sums to add to the clusters' running sums.
//!
//! All three give the label that the computed distances ([`super::kernel`]) make nearest (ties
//! to the lower index). Lloyd's computes every distance. Hamerly's keeps, per sample, an upper
//! bound on the distance to its centre and a lower bound on the distance to every other one;
//! Elkan's keeps a lower bound per centre. Bounds are on the exact distances: a computed value
//! `v` with error bound `e` ([`Centres::error_bound`]) gives the bounds `√(v + e)` and
//! `√(v − e)`, and a centre is skipped only where its lower bound `z` and the upper bound `u`
//! satisfy `z² − u² > 2e`, which proves that its computed distance would be larger than the
//! computed distance to the current centre. So the bounds change which distances are computed,
//! never a label.

use multiversion::multiversion;
use rayon::prelude::*;

use super::kernel::{Centres, sq_distances};
use crate::linalg::{CHUNK, GROUP, Rows};

/// Which algorithm assigns the samples (scikit-learn's `algorithm`, resolved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Lloyd,
    Hamerly,
    Elkan,
}

/// The label of a sample not yet assigned.
pub(crate) const UNASSIGNED: u32 = u32::MAX;

/// Labels and bounds of every sample.
#[derive(Debug, Clone)]
pub(crate) struct Assignments {
    pub method: Method,
    pub labels: Vec<u32>,
    /// Upper bound on the distance to the sample's centre (unused by Lloyd's).
    upper: Vec<f64>,
    /// Lower bounds: one per sample (Lloyd's, unused; Hamerly's: all other centres) or `k`
    /// per sample (Elkan's: each centre).
    lower: Vec<f64>,
    /// Whether the bounds hold (false before the first step: every distance is computed).
    bounded: bool,
}

/// What a step changed: per-cluster sums and counts to add, and the number of changed labels.
#[derive(Debug, Clone)]
pub(crate) struct Changes {
    pub sums: Vec<f64>,
    pub counts: Vec<i64>,
    pub changed: usize,
}

/// Distances between centres, for the bounds: `between[a * k + j]` (slightly shrunk, to stay
/// below the exact value) and the nearest other centre of each.
pub(crate) struct Geometry {
    between: Vec<f64>,
    nearest: Vec<f64>,
}

impl Geometry {
    /// The geometry of `centres` (empty for Lloyd's, which does not use it).
    pub fn new(centres: &Centres, method: Method) -> Self {
        let k = centres.k();
        if method == Method::Lloyd {
            return Self {
                between: Vec::new(),
                nearest: Vec::new(),
            };
        }
        let mut between = vec![0f64; k * k];
        for a in 0..k {
            for j in 0..a {
                let dist = fmnist_core::simd::sq_dist_f64(centres.row(a), centres.row(j)).sqrt();
                between[a * k + j] = dist * (1.0 - 1e-9);
                between[j * k + a] = between[a * k + j];
            }
        }
        let nearest = (0..k)
            .map(|a| {
                (0..k)
                    .filter(|&j| j != a)
                    .map(|j| between[a * k + j])
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        Self { between, nearest }
    }
}

impl Assignments {
    /// No sample assigned yet.
    pub fn new(method: Method, n: usize, k: usize) -> Self {
        let per_sample = if method == Method::Elkan { k } else { 1 };
        Self {
            method,
            labels: vec![UNASSIGNED; n],
            upper: vec![0.0; n],
            lower: vec![0.0; n * per_sample],
            bounded: false,
        }
    }

    /// Assigns every sample to its nearest centre; with `accumulate`, returns the label changes
    /// as sums (per fixed group of rows, added in group order: the same bits on any number of
    /// threads).
    pub fn step(
        &mut self,
        x: &Rows,
        norms: &[f32],
        centres: &Centres,
        accumulate: bool,
    ) -> Changes {
        let (d, k) = (x.d, centres.k());
        let per_sample = self.lower.len() / x.n;
        let geometry = Geometry::new(centres, self.method);
        let (method, bounded) = (self.method, self.bounded);
        let groups: Vec<Changes> = x
            .data
            .par_chunks(GROUP * d)
            .zip(norms.par_chunks(GROUP))
            .zip(self.labels.par_chunks_mut(GROUP))
            .zip(self.upper.par_chunks_mut(GROUP))
            .zip(self.lower.par_chunks_mut(GROUP * per_sample))
            .map(|((((rows, norms), labels), upper), lower)| {
                let old = accumulate.then(|| labels.to_vec());
                let mut group = Group {
                    labels,
                    upper,
                    lower,
                    per_sample,
                };
                let changed = if bounded && method != Method::Lloyd {
                    group.bounded(rows, norms, centres, &geometry, method)
                } else {
                    group.full(rows, norms, centres, method)
                };
                let mut changes = Changes {
                    sums: Vec::new(),
                    counts: vec![0; k],
                    changed,
                };
                if let Some(old) = old.filter(|_| changed > 0) {
                    changes.sums = vec![0.0; k * d];
                    add_changes(rows, &old, group.labels, &mut changes);
                }
                changes
            })
            .collect();
        self.bounded = true;
        let mut total = Changes {
            sums: vec![0.0; if accumulate { k * d } else { 0 }],
            counts: vec![0; k],
            changed: 0,
        };
        for group in groups {
            for (t, s) in total.sums.iter_mut().zip(&group.sums) {
                *t += s;
            }
            for (t, c) in total.counts.iter_mut().zip(&group.counts) {
                *t += c;
            }
            total.changed += group.changed;
        }
        total
    }

    /// Widens the bounds by how far each centre moved (`shifts[j]`, an upper bound).
    pub fn shift_bounds(&mut self, shifts: &[f64]) {
        if self.method == Method::Lloyd || !self.bounded {
            return;
        }
        let k = shifts.len();
        let per_sample = self.lower.len() / self.labels.len();
        // Hamerly's lower bound covers all other centres: the largest shift but the sample's own.
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&a, &b| shifts[b].total_cmp(&shifts[a]));
        let largest_but = |a: usize| match order.as_slice() {
            [first, second, ..] if *first == a => shifts[*second],
            [first, ..] if *first != a => shifts[*first],
            _ => 0.0,
        };
        self.labels
            .par_chunks(GROUP)
            .zip(self.upper.par_chunks_mut(GROUP))
            .zip(self.lower.par_chunks_mut(GROUP * per_sample))
            .for_each(|((labels, upper), lower)| {
                for ((&a, u), l) in labels
                    .iter()
                    .zip(upper)
                    .zip(lower.chunks_exact_mut(per_sample))
                {
                    *u += shifts[a as usize];
                    if per_sample == 1 {
                        l[0] -= largest_but(a as usize);
                    } else {
                        for (l, s) in l.iter_mut().zip(shifts) {
                            *l -= s;
                        }
                    }
                }
            });
    }

    /// The computed squared distance of every sample to its centre.
    pub fn distances(&self, x: &Rows, norms: &[f32], centres: &Centres) -> Vec<f32> {
        (0..x.n)
            .into_par_iter()
            .map(|i| centres.sq_distance(x.row(i), norms[i], self.labels[i] as usize))
            .collect()
    }
}

/// One group's share of the labels and bounds.
struct Group<'a> {
    labels: &'a mut [u32],
    upper: &'a mut [f64],
    lower: &'a mut [f64],
    per_sample: usize,
}

impl Group<'_> {
    /// Computes every distance, chunk by chunk, and sets labels and bounds from them.
    /// Returns the number of changed labels.
    fn full(&mut self, rows: &[f32], norms: &[f32], centres: &Centres, method: Method) -> usize {
        let (d, k) = (centres.d, centres.k());
        let mut dists = vec![0f32; CHUNK.min(norms.len()) * k];
        let mut changed = 0;
        for (c, (chunk, chunk_norms)) in rows.chunks(CHUNK * d).zip(norms.chunks(CHUNK)).enumerate()
        {
            let dists = &mut dists[..chunk_norms.len() * k];
            sq_distances(chunk, chunk_norms, centres, dists);
            for (r, (row, &norm)) in dists.chunks_exact(k).zip(chunk_norms).enumerate() {
                let i = c * CHUNK + r;
                let e = centres.error_bound(norm);
                let label = self.assign_from_distances(i, row, e, method);
                changed += usize::from(self.labels[i] != label);
                self.labels[i] = label;
            }
        }
        changed
    }

    /// Label of sample `i` (of the group) from its distances `row` to all centres, setting its
    /// bounds for Hamerly's or Elkan's algorithm (error bound `e`).
    fn assign_from_distances(&mut self, i: usize, row: &[f32], e: f64, method: Method) -> u32 {
        let (label, best) = argmin(row);
        match method {
            Method::Lloyd => {}
            Method::Hamerly => {
                let second = row
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != label)
                    .fold(f32::INFINITY, |m, (_, &v)| m.min(v));
                self.upper[i] = upper_bound(best, e);
                self.lower[i] = lower_bound(second, e);
            }
            Method::Elkan => {
                self.upper[i] = upper_bound(best, e);
                let lower = &mut self.lower[i * self.per_sample..(i + 1) * self.per_sample];
                for (l, &v) in lower.iter_mut().zip(row) {
                    *l = lower_bound(v, e);
                }
            }
        }
        label as u32
    }

    /// Hamerly's or Elkan's step: computes only the distances the bounds cannot rule out.
    /// Returns the number of changed labels.
    fn bounded(
        &mut self,
        rows: &[f32],
        norms: &[f32],
        centres: &Centres,
        geometry: &Geometry,
        method: Method,
    ) -> usize {
        let (d, k) = (centres.d, centres.k());
        let mut scratch = Scratch {
            geometry,
            js: Vec::with_capacity(k),
            dists: vec![0f32; k],
        };
        let mut changed = 0;
        for (i, (row, &norm)) in rows.chunks_exact(d).zip(norms).enumerate() {
            let sample = Sample {
                row,
                norm,
                e: centres.error_bound(norm),
            };
            let label = match method {
                Method::Hamerly => self.hamerly(i, &sample, centres, &mut scratch),
                _ => self.elkan(i, &sample, centres, &mut scratch),
            };
            changed += usize::from(self.labels[i] != label);
            self.labels[i] = label;
        }
        changed
    }

    /// Hamerly's test for sample `i`: one upper and one lower bound.
    fn hamerly(&mut self, i: usize, s: &Sample, centres: &Centres, scratch: &mut Scratch) -> u32 {
        let (geometry, dists) = (scratch.geometry, &mut scratch.dists);
        let a = self.labels[i] as usize;
        let others = self.lower[i].max(geometry.nearest[a] - self.upper[i]);
        if separated(others, self.upper[i], s.e) {
            return a as u32;
        }
        self.upper[i] = upper_bound(centres.sq_distance(s.row, s.norm, a), s.e);
        if separated(others, self.upper[i], s.e) {
            return a as u32;
        }
        sq_distances(s.row, &[s.norm], centres, dists);
        self.assign_from_distances(i, dists, s.e, Method::Hamerly)
    }

    /// Elkan's tests for sample `i`: a lower bound per centre, and the distances between
    /// centres. The centres that the bounds cannot rule out are computed together with the
    /// sample's own centre in one pass over the row (up to four per load of the row); the label
    /// is the one that computing them one by one gives (the nearest computed distance, ties to
    /// the lower index), only some bounds end up tighter.
    fn elkan(&mut self, i: usize, s: &Sample, centres: &Centres, scratch: &mut Scratch) -> u32 {
        let k = centres.k();
        let geometry = scratch.geometry;
        let lower = &mut self.lower[i * k..(i + 1) * k];
        let mut a = self.labels[i] as usize;
        let upper = self.upper[i];
        if separated(geometry.nearest[a] - upper, upper, s.e) {
            return a as u32;
        }
        let open = |j: usize| {
            j != a
                && !separated(
                    lower[j].max(geometry.between[a * k + j] - upper),
                    upper,
                    s.e,
                )
        };
        let js = &mut scratch.js;
        js.clear();
        js.push(a);
        js.extend((0..k).filter(|&j| open(j)));
        if js.len() == 1 {
            return a as u32;
        }
        let dists = &mut scratch.dists[..js.len()];
        centres.sq_distances_to(s.row, s.norm, js, dists);
        let mut best = dists[0];
        for (&j, &v) in js.iter().zip(dists.iter()) {
            lower[j] = lower_bound(v, s.e);
            if v < best || (v == best && j < a) {
                (a, best) = (j, v);
            }
        }
        self.upper[i] = upper_bound(best, s.e);
        a as u32
    }
}

/// Scratch space of a bounded step: the centres to compute and their distances.
struct Scratch<'a> {
    geometry: &'a Geometry,
    js: Vec<usize>,
    dists: Vec<f32>,
}

/// A sample with its squared norm and the error bound of its distances.
struct Sample<'a> {
    row: &'a [f32],
    norm: f32,
    e: f64,
}

/// Whether a centre at distance at least `lower` is certainly computed farther than the centre
/// at distance at most `upper`, given computed values within `e` of the exact ones (with a
/// relative margin for the rounding of the bounds themselves).
#[inline]
fn separated(lower: f64, upper: f64, e: f64) -> bool {
    lower > upper && lower * lower - upper * upper > 2.0 * e + 1e-9 * lower * lower
}

/// An upper bound on the exact distance, from a computed squared distance.
#[inline]
fn upper_bound(v: f32, e: f64) -> f64 {
    (f64::from(v) + e).sqrt()
}

/// A lower bound on the exact distance, from a computed squared distance.
#[inline]
fn lower_bound(v: f32, e: f64) -> f64 {
    (f64::from(v) - e).max(0.0).sqrt()
}

/// Index and value of the smallest entry (the first one on ties).
#[inline]
fn argmin(values: &[f32]) -> (usize, f32) {
    let mut best = (0, values[0]);
    for (j, &v) in values.iter().enumerate().skip(1) {
        if v < best.1 {
            best = (j, v);
        }
    }
    best
}

/// Adds the label changes of one group (`old` → `new`) to `changes`: each moved sample leaves
/// its old cluster's sum and joins its new one's.
fn add_changes(rows: &[f32], old: &[u32], new: &[u32], changes: &mut Changes) {
    let d = rows.len() / old.len();
    for ((row, &from), &to) in rows.chunks_exact(d).zip(old).zip(new) {
        if from == to {
            continue;
        }
        if from != UNASSIGNED {
            let from = from as usize;
            add_row(&mut changes.sums[from * d..(from + 1) * d], row, -1.0);
            changes.counts[from] -= 1;
        }
        let to = to as usize;
        add_row(&mut changes.sums[to * d..(to + 1) * d], row, 1.0);
        changes.counts[to] += 1;
    }
}

/// `sum += sign · row`, widened to `f64`.
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2+fma", "x86_64+avx2+fma"))]
fn add_row(sum: &mut [f64], row: &[f32], sign: f64) {
    for (s, &v) in sum.iter_mut().zip(row) {
        *s += sign * f64::from(v);
    }
}
