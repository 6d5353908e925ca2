//! Approximate k-nearest neighbours of a point set among itself by NN-descent (Dong, Moses &
//! Li 2011), as pynndescent runs it for umap-learn: the lists start from the leaves of a
//! random projection forest ([`crate::forest`]), the rest filled with random points; then each
//! iteration takes every point's new and old candidates (its list's entries not yet joined
//! and those joined before, each with the points that list it, at most [`MAX_CANDIDATES`] of
//! each by a random priority), and the local join offers every pair of a point's candidates
//! (new with new, new with old) to each other's lists. It stops when an iteration changes
//! fewer than [`DELTA`] of all entries, or after max(5, log₂ n) iterations.
//!
//! Deterministic for a seed and independent of the thread count: the random priorities are a
//! hash of (seed, iteration, pair), not a stream consumed in some thread's order; the joins of
//! a fixed chunk of points read the lists as they were before the chunk and collect their
//! offers in block order; the offers are then applied target by target, in that order.

use fmnist_core::linalg::dot_rows;
use fmnist_core::simd::sq_dist;
use rayon::prelude::*;

use crate::forest::Forest;
use crate::init::stream;
use crate::knn::Points;
use crate::rng::SplitMix;

/// Points per unit of parallel work.
const BLOCK: usize = 64;
/// Points whose local joins are collected before their offers are applied: bounds the memory
/// of the offers (about 30 MB for 784 features) and lets later chunks see the improved lists.
const JOIN_CHUNK: usize = 4096;
/// Most new (and most old) candidates per point and iteration. umap-learn asks pynndescent for
/// 60; on the 48,000 training images (784 pixels, k 15) 30 found 0.993 of the exact
/// neighbours against 0.995 with 60, for less work per iteration, and 15 or 20 took as long
/// (more iterations) at 0.986 / 0.990.
const MAX_CANDIDATES: usize = 30;
/// An iteration that changes fewer than this share of the `n · k` entries is the last
/// (pynndescent's `delta`).
const DELTA: f64 = 0.001;

/// An offer of `source` at squared distance `dist` to the list of `target`.
#[derive(Debug, Clone, Copy)]
struct Offer {
    target: u32,
    source: u32,
    dist: f32,
}

/// Every point's `k` best candidates so far, sorted by (squared distance, index); an empty
/// slot is `(∞, u32::MAX)`. `fresh` marks the entries that have not been joined yet.
struct Lists {
    k: usize,
    entries: Vec<(f32, u32)>,
    fresh: Vec<bool>,
}

/// Whether `a` comes before `b` in the lists' order: by distance, ties by index.
#[inline(always)]
fn before(a: (f32, u32), b: (f32, u32)) -> bool {
    a.0 < b.0 || (a.0 == b.0 && a.1 < b.1)
}

/// Inserts `item` into one sorted list (and its `fresh` flags) unless it is no better than the
/// last entry or already listed; says whether it was inserted.
fn push(list: &mut [(f32, u32)], fresh: &mut [bool], item: (f32, u32)) -> bool {
    let last = list.len() - 1;
    if !before(item, list[last]) || list.iter().any(|&(_, j)| j == item.1) {
        return false;
    }
    let mut pos = last;
    while pos > 0 && before(item, list[pos - 1]) {
        list[pos] = list[pos - 1];
        fresh[pos] = fresh[pos - 1];
        pos -= 1;
    }
    list[pos] = item;
    fresh[pos] = true;
    true
}

/// `items` (owner, value) grouped by owner in their order: `(start, values)`, owner `i`
/// holding `values[start[i]..start[i + 1]]` (a counting sort; the same on any thread count).
fn group<T: Copy + Default>(n: usize, items: &[(u32, T)]) -> (Vec<usize>, Vec<T>) {
    let mut start = vec![0usize; n + 1];
    for &(owner, _) in items {
        start[owner as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut next = start.clone();
    let mut values = vec![T::default(); items.len()];
    for &(owner, value) in items {
        values[next[owner as usize]] = value;
        next[owner as usize] += 1;
    }
    (start, values)
}

impl Lists {
    fn new(n: usize, k: usize) -> Self {
        Self {
            k,
            entries: vec![(f32::INFINITY, u32::MAX); n * k],
            fresh: vec![false; n * k],
        }
    }

    fn n(&self) -> usize {
        self.entries.len() / self.k
    }

    /// The squared distance an offer to point `i` must not exceed.
    #[inline(always)]
    fn worst(&self, i: u32) -> f32 {
        self.entries[(i as usize + 1) * self.k - 1].0
    }

    /// Applies `offers` in their order; returns how many entered a list.
    fn apply(&mut self, offers: &[Offer]) -> usize {
        let k = self.k;
        let items: Vec<(u32, (f32, u32))> = offers
            .iter()
            .map(|o| (o.target, (o.dist, o.source)))
            .collect();
        let (start, values) = group(self.n(), &items);
        self.entries
            .par_chunks_mut(BLOCK * k)
            .zip(self.fresh.par_chunks_mut(BLOCK * k))
            .enumerate()
            .map(|(b, (entries, fresh))| {
                let mut inserted = 0;
                for (r, (list, fresh)) in entries
                    .chunks_exact_mut(k)
                    .zip(fresh.chunks_exact_mut(k))
                    .enumerate()
                {
                    let i = b * BLOCK + r;
                    for &item in &values[start[i]..start[i + 1]] {
                        inserted += usize::from(push(list, fresh, item));
                    }
                }
                inserted
            })
            .sum()
    }
}

/// The `k` nearest other points of every point of `points`, approximately, by NN-descent
/// seeded by `seed`: row-major `n x k`, each row sorted, `(squared distance, index)`. Needs
/// `k < n`.
pub(crate) fn descent(points: &Points, k: usize, seed: u64) -> Vec<(f32, u32)> {
    let n = points.n;
    let mut lists = Lists::new(n, k);
    let forest = Forest::new(points, k, seed);
    for leaves in forest.trees() {
        let offers = collect(leaves.len(), |l, out| {
            join(points, &lists, leaves.leaf(l), &[], out);
        });
        lists.apply(&offers);
    }
    fill_randomly(points, &mut lists, seed);
    let iterations = 5.max((n as f64).log2().round() as usize);
    for iteration in 0..iterations {
        let (new, old) = candidates(&mut lists, seed, iteration as u64);
        let mut changed = 0;
        for first in (0..n).step_by(JOIN_CHUNK) {
            let end = (first + JOIN_CHUNK).min(n);
            let offers = collect(end - first, |r, out| {
                let i = first + r;
                join(points, &lists, new.row(i), old.row(i), out);
            });
            changed += lists.apply(&offers);
        }
        if (changed as f64) < DELTA * (n * k) as f64 {
            break;
        }
    }
    lists.entries
}

/// The offers that `make(i, out)` writes for `i` in `0..count`, in that order, made in
/// parallel blocks.
fn collect(count: usize, make: impl Fn(usize, &mut Vec<Offer>) + Sync) -> Vec<Offer> {
    let blocks: Vec<Vec<Offer>> = (0..count.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let mut out = Vec::new();
            for i in b * BLOCK..((b + 1) * BLOCK).min(count) {
                make(i, &mut out);
            }
            out
        })
        .collect();
    blocks.concat()
}

/// Offers `a` and `b` (at squared distance `dist`) to each other's list where they are no
/// worse than its last entry (`worst_a` for `a`'s).
#[inline(always)]
fn offer(lists: &Lists, a: u32, b: u32, dist: f32, worst_a: f32, out: &mut Vec<Offer>) {
    if dist <= worst_a {
        out.push(Offer {
            target: a,
            source: b,
            dist,
        });
    }
    if dist <= lists.worst(b) {
        out.push(Offer {
            target: b,
            source: a,
            dist,
        });
    }
}

/// The local join of one point: its new candidates with each other and with its old ones.
/// Their rows are gathered and multiplied in one GEMM (fmnist-core's `dot_rows`: faer, run-time
/// SIMD dispatch, AVX-512 included), the squared distances taken as ‖a‖² + ‖b‖² − 2·a·b of the
/// centred rows (2.5 times faster than a distance loop per pair at 784 features).
fn join(points: &Points, lists: &Lists, new: &[u32], old: &[u32], out: &mut Vec<Offer>) {
    if new.is_empty() {
        return;
    }
    let d = points.d;
    let all: Vec<u32> = new.iter().chain(old).copied().collect();
    let mut rows = Vec::with_capacity(all.len() * d);
    for &j in &all {
        rows.extend_from_slice(points.row(j as usize));
    }
    let mut dots = vec![0f32; new.len() * all.len()];
    dot_rows(&rows[..new.len() * d], &rows, d, &mut dots);
    for ((t, &a), dots) in new.iter().enumerate().zip(dots.chunks_exact(all.len())) {
        let worst = lists.worst(a);
        let norm = points.norms[a as usize];
        for (&b, &dot) in all.iter().zip(dots).skip(t + 1) {
            if b != a {
                let dist = (norm + points.norms[b as usize] - 2.0 * dot).max(0.0);
                offer(lists, a, b, dist, worst, out);
            }
        }
    }
}

/// Fills the empty slots of every list with random other points (from the point's own
/// stream; in index order once 64·k draws have not filled it, for tiny sets).
fn fill_randomly(points: &Points, lists: &mut Lists, seed: u64) {
    let (n, k) = (lists.n(), lists.k);
    lists
        .entries
        .par_chunks_mut(k)
        .zip(lists.fresh.par_chunks_mut(k))
        .enumerate()
        .for_each(|(i, (list, fresh))| {
            let mut rng = SplitMix::new(seed, stream::DESCENT_FILL, i as u64);
            let mut draws = 0;
            while list[k - 1].1 == u32::MAX {
                let j = if draws < 64 * k {
                    rng.below(n)
                } else {
                    draws - 64 * k
                };
                draws += 1;
                if j != i {
                    let dist = sq_dist(points.row(i), points.row(j));
                    push(list, fresh, (dist, j as u32));
                }
            }
        });
}

/// Per-point candidate lists of one iteration: point `i`'s are
/// `members[i * MAX_CANDIDATES..][..len[i]]`.
struct Candidates {
    members: Vec<u32>,
    len: Vec<usize>,
}

impl Candidates {
    fn row(&self, i: usize) -> &[u32] {
        &self.members[i * MAX_CANDIDATES..i * MAX_CANDIDATES + self.len[i]]
    }
}

/// The new and old candidates of every point for one iteration: the entries of its list and
/// the points whose lists hold it, fresh ones as new, the others as old, at most
/// [`MAX_CANDIDATES`] of each by the smallest priority (a hash of the seed, the iteration and
/// the pair). The fresh entries taken as new candidates are marked joined.
fn candidates(lists: &mut Lists, seed: u64, iteration: u64) -> (Candidates, Candidates) {
    let (n, k) = (lists.n(), lists.k);
    let mut items: Vec<(u32, (u64, u32, bool))> = Vec::with_capacity(2 * n * k);
    for (i, (list, fresh)) in lists
        .entries
        .chunks_exact(k)
        .zip(lists.fresh.chunks_exact(k))
        .enumerate()
    {
        for (&(_, j), &is_new) in list.iter().zip(fresh).filter(|(e, _)| e.1 != u32::MAX) {
            let (lo, hi) = (j.min(i as u32) as u64, j.max(i as u32) as u64);
            let priority =
                SplitMix::new(seed, stream::DESCENT + iteration, lo << 32 | hi).next_u64();
            items.push((i as u32, (priority, j, is_new)));
            items.push((j, (priority, i as u32, is_new)));
        }
    }
    let (start, values) = group(n, &items);
    let pick = |is_new: bool| {
        let mut members = vec![0u32; n * MAX_CANDIDATES];
        let len = members
            .par_chunks_mut(MAX_CANDIDATES)
            .enumerate()
            .map(|(i, out)| choose(&values[start[i]..start[i + 1]], is_new, out))
            .collect();
        Candidates { members, len }
    };
    let (new, old) = (pick(true), pick(false));
    lists
        .entries
        .par_chunks(k)
        .zip(lists.fresh.par_chunks_mut(k))
        .enumerate()
        .for_each(|(i, (list, fresh))| {
            for (&(_, j), f) in list.iter().zip(fresh.iter_mut()) {
                if *f && new.row(i).contains(&j) {
                    *f = false;
                }
            }
        });
    (new, old)
}

/// Writes into `out` the distinct members of `items` (priority, member, fresh) whose
/// freshness is `is_new`, smallest priority first (ties by member), as many as fit; returns
/// how many.
fn choose(items: &[(u64, u32, bool)], is_new: bool, out: &mut [u32]) -> usize {
    let mut mine: Vec<(u64, u32)> = items
        .iter()
        .filter(|e| e.2 == is_new)
        .map(|e| (e.0, e.1))
        .collect();
    mine.sort_unstable();
    let mut len = 0;
    for (_, j) in mine {
        if len == out.len() {
            break;
        }
        if !out[..len].contains(&j) {
            out[len] = j;
            len += 1;
        }
    }
    len
}
