//! A random projection forest, the start of NN-descent ([`crate::descent`]) as in pynndescent:
//! each tree splits its points recursively by the hyperplane halfway between two of them
//! drawn at random (the points nearer the first on one side), until a node holds at most
//! `leaf_size` points; points in the same leaf are likely neighbours.
//!
//! Unlike pynndescent, the hyperplanes are drawn in a random sketch of the points (their
//! products with [`SKETCH`] Gaussian directions, Johnson–Lindenstrauss) when there are more
//! features than that: every level of every tree reads every point once, and at 784 features
//! those reads of rows in random order, not the arithmetic, were the forest's cost (16 trees
//! on 48,000 images: 9 s against 1.3 s in the sketch, wall-clock on a shared 2-core machine).
//! The leaves only start NN-descent, which measures true distances.
//!
//! Each node draws from its own stream, keyed by (seed, tree, the node's range of the tree's
//! point order), and the trees are built in parallel, one per task: the forest depends on the
//! seed alone, not on the thread count.

use multiversion::multiversion;
use rayon::prelude::*;

use crate::init::stream;
use crate::knn::Points;
use crate::projection::project;
use crate::rng::SplitMix;
use fmnist_core::simd::fold_lanes;

/// Most trees (pynndescent's `5 + √n / 20` would give 16 for 48,000 points).
const MAX_TREES: usize = 32;
/// Smallest `leaf_size` (pynndescent's: max(10, k)).
const MIN_LEAF: usize = 10;
/// Dimensions of the random sketch the trees split.
const SKETCH: usize = 64;

/// The leaves of one tree: the points in an order where each leaf is a range.
pub(crate) struct Leaves {
    order: Vec<u32>,
    /// Leaf `l` is `order[ends[l]..ends[l + 1]]`.
    ends: Vec<usize>,
}

impl Leaves {
    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.ends.len() - 1
    }

    /// The points of leaf `l`.
    pub fn leaf(&self, l: usize) -> &[u32] {
        &self.order[self.ends[l]..self.ends[l + 1]]
    }
}

/// The trees of a forest.
pub(crate) struct Forest {
    trees: Vec<Leaves>,
}

impl Forest {
    /// A forest over `points` for `k` neighbours: `5 + round(√n / 20)` trees (at most
    /// [`MAX_TREES`]) with leaves of at most max(10, k) points, as pynndescent's defaults.
    pub fn new(points: &Points, k: usize, seed: u64) -> Self {
        let n = points.n;
        let count = (5 + ((n as f64).sqrt() / 20.0).round() as usize).min(MAX_TREES);
        let leaf_size = k.max(MIN_LEAF);
        let sketched = (points.d > SKETCH).then(|| sketch(points, seed));
        let space = sketched.as_ref().unwrap_or(points);
        let trees = (0..count as u64)
            .into_par_iter()
            .map(|t| tree(space, leaf_size, seed, t))
            .collect();
        Self { trees }
    }

    /// The trees.
    pub fn trees(&self) -> &[Leaves] {
        &self.trees
    }
}

/// `points` times [`SKETCH`] directions of independent standard normal entries drawn from
/// `seed`.
fn sketch(points: &Points, seed: u64) -> Points {
    let mut rng = SplitMix::new(seed, stream::SKETCH, 0);
    let directions: Vec<f32> = (0..SKETCH * points.d)
        .map(|_| rng.normal() as f32)
        .collect();
    Points::from_rows(project(points, &directions), SKETCH)
}

/// Tree `t`: nodes split until they hold at most `leaf_size` points, leaves left to right.
fn tree(points: &Points, leaf_size: usize, seed: u64, t: u64) -> Leaves {
    let n = points.n;
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut ends = vec![0];
    let mut pending = vec![(0, n)];
    while let Some((lo, hi)) = pending.pop() {
        if hi - lo <= leaf_size {
            ends.push(hi);
            continue;
        }
        let mut rng = SplitMix::new(seed, stream::FOREST + t, (lo as u64) << 32 | hi as u64);
        let mid = lo + split(points, &mut order[lo..hi], &mut rng);
        // The right part is taken after the left: leaves come out in order.
        pending.push((mid, hi));
        pending.push((lo, mid));
    }
    Leaves { order, ends }
}

/// Splits `members` (at least 2) by the hyperplane halfway between two of them drawn from
/// `rng`: those nearer the first come first (a point on the plane goes by a coin flip), and
/// when every point falls on one side (duplicates), the first half is one part. Returns the
/// size of the first part, between 1 and `members.len() - 1`.
#[multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2+fma",
    "x86_64+avx2+fma"
))]
fn split(points: &Points, members: &mut [u32], rng: &mut SplitMix) -> usize {
    let m = members.len();
    let first = rng.below(m);
    let second = (first + 1 + rng.below(m - 1)) % m;
    let (p, q) = (
        points.row(members[first] as usize),
        points.row(members[second] as usize),
    );
    let normal: Vec<f32> = p.iter().zip(q).map(|(&a, &b)| a - b).collect();
    let middle: Vec<f32> = p.iter().zip(q).map(|(&a, &b)| (a + b) * 0.5).collect();
    let dot = |a: &[f32], b: &[f32]| fold_lanes::<8, f32, f32>(a, b, |p, q| p * q);
    let offset = dot(&normal, &middle);
    let mut left = 0;
    for t in 0..m {
        let margin = dot(&normal, points.row(members[t] as usize)) - offset;
        let near_first = if margin == 0.0 {
            rng.next_u64() & 1 == 1
        } else {
            margin > 0.0
        };
        if near_first {
            members.swap(left, t);
            left += 1;
        }
    }
    if left == 0 || left == m { m / 2 } else { left }
}
