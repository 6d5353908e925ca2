//! Approximate neighbours of new points among the references through the references' own
//! neighbour graph, as pynndescent answers queries for umap-learn's `transform`: the graph of
//! NN-descent ([`crate::descent`]), each edge both ways, searched best-first (HNSW's search on
//! one layer) from the query's nearest of [`PIVOTS`] evenly spaced references and a few random
//! ones. A query keeps its [`BEAM`] nearest points found so far; it expands the nearest
//! unexpanded one (computes the distances to that point's graph neighbours) until every kept
//! point is expanded, the nearest ones being reached through the graph's short edges.
//!
//! Each query draws its random starting points from its own stream (the seed and the query's
//! index), and queries are independent: the result does not depend on the thread count.

use std::cell::RefCell;
use std::collections::BinaryHeap;

use multiversion::multiversion;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use fmnist_core::linalg::dot_rows;
use fmnist_core::simd::sq_dist;

use crate::init::stream;
use crate::knn::Points;
use crate::rng::SplitMix;

/// Points kept per query while searching (at least the neighbours asked for). On the 10,000
/// test images against the 48,000 training images (784 pixels, 15 neighbours): 24 found 0.990
/// of the exact neighbours, 32 found 0.994 in 10 % more time.
const BEAM: usize = 32;
/// Starting points per query: its nearest pivot and random references.
const STARTS: usize = 4;
/// Evenly spaced references that queries are sorted by and start from.
const PIVOTS: usize = 256;
/// Queries per unit of parallel work.
const BLOCK: usize = 64;

/// The references' neighbour graph, each edge both ways, as adjacency lists.
#[derive(Debug, Clone)]
pub(crate) struct SearchGraph {
    /// The lists it was built from ([`SearchGraph::lists`]).
    lists: NeighbourLists,
    /// The neighbours of reference `i` are `targets[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<usize>,
    targets: Vec<u32>,
}

/// Each reference's `k` neighbours among the others (NN-descent's lists), row-major: what a
/// fitted model saves of its [`SearchGraph`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct NeighbourLists {
    pub k: usize,
    pub indices: Vec<u32>,
}

impl NeighbourLists {
    /// Whether these are lists of `k ≥ 1` neighbours of each of `n` points, every index one of
    /// them.
    pub fn fit(&self, n: usize) -> bool {
        self.k >= 1
            && Some(self.indices.len()) == n.checked_mul(self.k)
            && self.indices.iter().all(|&j| (j as usize) < n)
    }
}

impl SearchGraph {
    /// The graph of `lists` (`n` rows of `k` neighbours, indices below `n`), each edge added
    /// in both directions once.
    pub fn new(lists: NeighbourLists, n: usize) -> Self {
        let k = lists.k;
        let mut edges: Vec<(u32, u32)> = Vec::with_capacity(2 * n * k);
        for (i, row) in lists.indices.chunks_exact(k.max(1)).enumerate() {
            for &j in row {
                edges.push((i as u32, j));
                edges.push((j, i as u32));
            }
        }
        edges.par_sort_unstable();
        edges.dedup();
        let mut offsets = vec![0; n + 1];
        for &(from, _) in &edges {
            offsets[from as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        Self {
            lists,
            offsets,
            targets: edges.into_iter().map(|(_, to)| to).collect(),
        }
    }

    /// The graph of NN-descent's lists (`(squared distance, index)`, `n` rows of `k`).
    pub fn from_descent(lists: &[(f32, u32)], n: usize, k: usize) -> Self {
        let indices = lists.iter().map(|&(_, j)| j).collect();
        Self::new(NeighbourLists { k, indices }, n)
    }

    /// The lists the graph was built from.
    pub fn lists(&self) -> &NeighbourLists {
        &self.lists
    }

    fn neighbours(&self, i: u32) -> &[u32] {
        &self.targets[self.offsets[i as usize]..self.offsets[i as usize + 1]]
    }

    /// The `kept` nearest references found for every query (`kept` at most the references):
    /// row-major `queries.n x kept`, each row sorted, `(squared distance, reference)`.
    ///
    /// Each query also starts from its nearest of [`PIVOTS`] evenly spaced references, and the
    /// queries are searched in the order of that pivot: queries searched one after the other
    /// then read many of the same references, from the caches rather than from memory, which
    /// is what a search of 784-value rows waits for.
    pub fn candidates(
        &self,
        queries: &Points,
        refs: &Points,
        kept: usize,
        seed: u64,
    ) -> Vec<(f32, u32)> {
        let pivot = nearest_pivots(queries, refs);
        let mut order: Vec<u32> = (0..queries.n as u32).collect();
        order.sort_unstable_by_key(|&q| (pivot[q as usize], q));
        let found: Vec<Vec<(f32, u32)>> = order
            .par_chunks(BLOCK)
            .map(|block| {
                let mut rows = vec![(f32::INFINITY, u32::MAX); block.len() * kept];
                for (&q, row) in block.iter().zip(rows.chunks_exact_mut(kept)) {
                    let q = q as usize;
                    let start = pivot[q];
                    self.search(queries.row(q), refs, (seed, q as u64), start, row);
                }
                rows
            })
            .collect();
        let mut best = vec![(f32::INFINITY, u32::MAX); queries.n * kept];
        let rows = found.iter().flat_map(|block| block.chunks_exact(kept));
        for (&q, row) in order.iter().zip(rows) {
            best[q as usize * kept..][..kept].copy_from_slice(row);
        }
        best
    }

    /// One query's search into `out` (its `kept` nearest, sorted).
    fn search(
        &self,
        query: &[f32],
        refs: &Points,
        (seed, index): (u64, u64),
        pivot: u32,
        out: &mut [(f32, u32)],
    ) {
        VISITED.with(|visited| {
            let visited = &mut visited.borrow_mut();
            visited.start(refs.n);
            let mut rng = SplitMix::new(seed, stream::GRAPH_SEARCH, index);
            let mut frontier = BinaryHeap::new();
            let mut beam = Beam::new(BEAM.max(out.len()));
            let starts =
                std::iter::once(pivot).chain((1..STARTS).map(|_| rng.below(refs.n) as u32));
            for start in starts.take(refs.n) {
                if visited.first_visit(start) {
                    let dist = distance(query, refs.row(start as usize));
                    beam.offer(dist, start);
                    frontier.push(Near(dist, start));
                }
            }
            while let Some(Near(dist, point)) = frontier.pop() {
                if beam.is_full() && dist > beam.worst() {
                    break;
                }
                for &next in self.neighbours(point) {
                    if visited.first_visit(next) {
                        let d = distance(query, refs.row(next as usize));
                        if beam.offer(d, next) {
                            frontier.push(Near(d, next));
                        }
                    }
                }
            }
            if beam.points.len() < out.len() {
                // The graph reaches fewer points than asked for (a tiny or split reference
                // set): the rest are searched one by one.
                for point in 0..refs.n as u32 {
                    if visited.first_visit(point) {
                        beam.offer(distance(query, refs.row(point as usize)), point);
                    }
                }
            }
            beam.write_nearest(out);
        });
    }
}

/// For every query, the nearest of [`PIVOTS`] evenly spaced references (by one matrix product;
/// ties to the first).
fn nearest_pivots(queries: &Points, refs: &Points) -> Vec<u32> {
    let count = PIVOTS.min(refs.n);
    let pivots: Vec<u32> = (0..count).map(|p| (p * refs.n / count) as u32).collect();
    let rows: Vec<f32> = pivots
        .iter()
        .flat_map(|&p| refs.row(p as usize).iter().copied())
        .collect();
    let d = refs.d;
    queries
        .data
        .par_chunks(BLOCK * d)
        .zip(queries.norms.par_chunks(BLOCK))
        .flat_map_iter(|(block, norms)| {
            let mut dots = vec![0f32; norms.len() * count];
            dot_rows(block, &rows, d, &mut dots);
            let nearest = dots.chunks_exact(count).zip(norms).map(|(dots, &qn)| {
                let dist =
                    |(i, &dot): (usize, &f32)| qn + refs.norms[pivots[i] as usize] - 2.0 * dot;
                let (at, _) = dots.iter().enumerate().map(|p| (p.0, dist(p))).fold(
                    (0, f32::INFINITY),
                    |best, p| if p.1 < best.1 { p } else { best },
                );
                pivots[at]
            });
            nearest.collect::<Vec<_>>()
        })
        .collect()
}

/// A point of the frontier, nearest first out of the (max-)heap.
#[derive(Clone, Copy, PartialEq)]
struct Near(f32, u32);

impl Eq for Near {}

impl PartialOrd for Near {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Near {
    /// Reversed: the smaller distance (then index) is the greater.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.0.total_cmp(&self.0)).then(other.1.cmp(&self.1))
    }
}

/// The nearest points found so far, at most `size`, sorted by (distance, index).
struct Beam {
    size: usize,
    points: Vec<(f32, u32)>,
}

impl Beam {
    fn new(size: usize) -> Self {
        Self {
            size,
            points: Vec::with_capacity(size + 1),
        }
    }

    fn is_full(&self) -> bool {
        self.points.len() == self.size
    }

    fn worst(&self) -> f32 {
        self.points.last().map_or(f32::INFINITY, |p| p.0)
    }

    /// Keeps the point if it is among the `size` nearest so far; whether it was kept.
    fn offer(&mut self, dist: f32, point: u32) -> bool {
        let item = (dist, point);
        let order = |a: &(f32, u32), b: &(f32, u32)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        if self.is_full() && order(&item, self.points.last().expect("full")).is_ge() {
            return false;
        }
        let at = self.points.partition_point(|p| order(p, &item).is_lt());
        self.points.insert(at, item);
        self.points.truncate(self.size);
        true
    }

    /// The nearest points into the start of `out`.
    fn write_nearest(&self, out: &mut [(f32, u32)]) {
        for (slot, &point) in out.iter_mut().zip(self.points.iter()) {
            *slot = point;
        }
    }
}

/// Which references this thread's current query has reached: a stamp per reference, so that
/// starting a query costs nothing (the stamps of earlier queries are simply older).
#[derive(Default)]
struct Visited {
    stamps: Vec<u32>,
    current: u32,
}

impl Visited {
    /// A new query among `n` references.
    fn start(&mut self, n: usize) {
        if self.stamps.len() != n || self.current == u32::MAX {
            self.stamps = vec![0; n];
            self.current = 0;
        }
        self.current += 1;
    }

    /// Marks `i` reached; whether it was not before.
    fn first_visit(&mut self, i: u32) -> bool {
        let stamp = &mut self.stamps[i as usize];
        let first = *stamp != self.current;
        *stamp = self.current;
        first
    }
}

thread_local! {
    static VISITED: RefCell<Visited> = RefCell::new(Visited::default());
}

/// The squared distance of two points (compiled for AVX-512 and AVX2 + FMA where the CPU has
/// them).
#[multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2+fma",
    "x86_64+avx2+fma"
))]
fn distance(a: &[f32], b: &[f32]) -> f32 {
    sq_dist(a, b)
}
