//! Exact candidate search that skips most of the reference set: the references are split into
//! Voronoi cells, and a cell is searched for a query only when it can hold a point nearer than
//! the query's current worst candidate.
//!
//! The cells' centres come from a few Lloyd iterations started at evenly spaced references;
//! every reference then belongs to its nearest centre. Two lower bounds on the distance from a
//! query `q` to any point of cell `j` decide whether the cell is searched:
//!
//! - the ball bound `‖q − c_j‖ − r_j`, with `r_j` the largest distance from `c_j` to its points;
//! - the bisector bound `(‖q − c_j‖² − ‖q − c_i‖²) / (2 ‖c_i − c_j‖)`, with `c_i` the query's
//!   nearest centre: every point of cell `j` lies on `c_j`'s side of the hyperplane halfway
//!   between `c_i` and `c_j`, and this is the query's distance to that half-space.
//!
//! Queries go in blocks of points from the same region (sorted by cell) and cells in the order
//! of their bound, nearest first, so the worst candidates tighten early. Both bounds allow for
//! the rounding of the `f32` distance expansion, so the candidates are those of the search
//! through every distance (up to ties between equal distances); every block is independent
//! of the others, so the result does not depend on the thread count.

use rayon::prelude::*;

use fmnist_core::linalg::dot_rows;

use crate::knn::{Metric, Points, distance, scan_row};

/// Average references per cell.
const POINTS_PER_CELL: usize = 512;
/// Lloyd iterations placing the centres (any centres give exact results; better ones prune more).
const LLOYD_ITERATIONS: usize = 4;
/// Queries searched together: one matrix product per searched cell.
const QUERY_BLOCK: usize = 128;
/// Points per unit of parallel work when assigning points to centres.
const ASSIGN_BLOCK: usize = 256;

/// The references split into Voronoi cells.
#[derive(Debug, Clone)]
pub(crate) struct Cells {
    /// The references ordered by cell, with their norms.
    points: Points,
    /// Index among the references of each ordered point.
    order: Vec<u32>,
    /// Cell `c` holds the ordered points `start[c]..start[c + 1]`.
    start: Vec<usize>,
    /// One centre per cell.
    centres: Points,
    /// Largest distance from each centre to the points of its cell.
    radius: Vec<f32>,
    /// Distances between centres, row-major `cells x cells`.
    between: Vec<f32>,
}

impl Cells {
    /// Splits `refs` into cells of about [`POINTS_PER_CELL`] points.
    pub fn new(refs: &Points) -> Self {
        Self::with_cell_size(refs, POINTS_PER_CELL)
    }

    /// Splits `refs` into cells of about `size` points (at least one cell).
    fn with_cell_size(refs: &Points, size: usize) -> Self {
        let (n, d) = (refs.n, refs.d);
        let m = (n / size.max(1)).max(1);
        let mut centres: Vec<f32> = (0..m)
            .flat_map(|c| refs.row(c * n / m).iter().copied())
            .collect();
        for _ in 0..LLOYD_ITERATIONS {
            let cell = nearest_centre(refs, &Points::from_rows(centres.clone(), d));
            // Means summed in point order: the same on any thread count.
            let mut sums = vec![0f64; m * d];
            let mut counts = vec![0usize; m];
            for (i, &c) in cell.iter().enumerate() {
                counts[c as usize] += 1;
                let sum = &mut sums[c as usize * d..(c as usize + 1) * d];
                for (s, &v) in sum.iter_mut().zip(refs.row(i)) {
                    *s += f64::from(v);
                }
            }
            for ((centre, sum), &count) in centres
                .chunks_exact_mut(d)
                .zip(sums.chunks_exact(d))
                .zip(&counts)
            {
                if count > 0 {
                    for (c, &s) in centre.iter_mut().zip(sum) {
                        *c = (s / count as f64) as f32;
                    }
                }
            }
        }
        let centres = Points::from_rows(centres, d);
        let cell = nearest_centre(refs, &centres);
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_by_key(|&i| cell[i as usize]);
        let mut start = vec![0usize; m + 1];
        for &c in &cell {
            start[c as usize + 1] += 1;
        }
        for c in 0..m {
            start[c + 1] += start[c];
        }
        let data: Vec<f32> = order
            .iter()
            .flat_map(|&i| refs.row(i as usize).iter().copied())
            .collect();
        let points = Points::from_rows(data, d);
        let radius = (0..m)
            .map(|c| {
                let centre = centres.row(c);
                let far = (start[c]..start[c + 1])
                    .map(|p| distance(points.row(p), centre, Metric::Euclidean))
                    .fold(0f64, f64::max);
                round_up(far)
            })
            .collect();
        // Rounded up, as the radii: a bound divided by it is never overestimated.
        let between = (0..m * m)
            .map(|ij| {
                round_up(distance(
                    centres.row(ij / m),
                    centres.row(ij % m),
                    Metric::Euclidean,
                ))
            })
            .collect();
        Self {
            points,
            order,
            start,
            centres,
            radius,
            between,
        }
    }

    /// As [`all_candidates`](crate::knn): the `kept` nearest references of every query by
    /// squared distance (row-major `queries.n x kept`, each row sorted), with `self_first`
    /// meaning that the queries are the references themselves and no point is its own
    /// candidate.
    pub fn candidates(&self, queries: &Points, kept: usize, self_first: bool) -> Vec<(f32, u32)> {
        let d = self.points.d;
        // The queries in cell order: the references' own order when they are the references.
        let sorted;
        let (ordered, query_order) = if self_first {
            (&self.points, &self.order)
        } else {
            let cell = nearest_centre(queries, &self.centres);
            let mut order: Vec<u32> = (0..queries.n as u32).collect();
            order.sort_by_key(|&i| cell[i as usize]);
            let data = order
                .iter()
                .flat_map(|&i| queries.row(i as usize).iter().copied())
                .collect();
            sorted = (Points::from_rows(data, d), order);
            (&sorted.0, &sorted.1)
        };
        let mut best = vec![(f32::INFINITY, u32::MAX); queries.n * kept];
        best.par_chunks_mut(QUERY_BLOCK * kept)
            .enumerate()
            .for_each(|(b, best)| {
                let first = b * QUERY_BLOCK;
                self.search_block(ordered, first, best, kept, self_first);
            });
        // Back to reference indices, rows back to the queries' order.
        let mut out = vec![(0f32, 0u32); queries.n * kept];
        for (row, &q) in best.chunks_exact(kept).zip(query_order) {
            let out = &mut out[q as usize * kept..(q as usize + 1) * kept];
            for (o, &(dist, p)) in out.iter_mut().zip(row) {
                *o = (
                    dist,
                    self.order.get(p as usize).copied().unwrap_or(u32::MAX),
                );
            }
        }
        out
    }

    /// Fills `best` (`kept` candidates for each of the ordered queries from `first` on) by
    /// searching only the cells that can improve them, nearest cell first. Candidates are
    /// positions in the cell order.
    fn search_block(
        &self,
        queries: &Points,
        first: usize,
        best: &mut [(f32, u32)],
        kept: usize,
        self_first: bool,
    ) {
        let (d, m) = (self.points.d, self.centres.n);
        let rows = best.len() / kept;
        let block = Block {
            q: &queries.data[first * d..(first + rows) * d],
            q_norms: &queries.norms[first..first + rows],
            first,
            self_first,
            kept,
        };
        let slack = self.slack(block.q_norms);
        let bound = self.bounds(&block, slack);
        let largest_cell = (0..m)
            .map(|c| self.start[c + 1] - self.start[c])
            .max()
            .unwrap_or(0);
        let mut tile = vec![0f32; rows * largest_cell];
        let worst = |best: &[(f32, u32)], i: usize| best[(i + 1) * kept - 1].0;
        let searches = |bound: f32, worst: f32| bound <= 0.0 || bound * bound < worst + slack;
        let mut needed = Vec::with_capacity(rows);
        let mut gathered = Vec::with_capacity(rows * d);
        for (nearest, j) in visit_order(&bound, m) {
            let worst_of_block = (0..rows).map(|i| worst(best, i)).fold(0f32, f32::max);
            if !searches(nearest, worst_of_block) {
                break;
            }
            needed.clear();
            needed.extend((0..rows).filter(|&i| searches(bound[i * m + j], worst(best, i))));
            if !needed.is_empty() {
                self.search_cell(&block, j, &needed, &mut gathered, &mut tile, best);
            }
        }
    }

    /// Rounding allowance for any squared distance of a block of queries with norms `q_norms`
    /// (or of the assignment of a reference to its cell) from the expansion
    /// ‖q‖² + ‖x‖² − 2 q·x: a few units in the last place of each term per feature.
    fn slack(&self, q_norms: &[f32]) -> f32 {
        let largest = |norms: &[f32]| norms.iter().copied().fold(0f32, f32::max);
        4.0 * self.points.d as f32
            * f32::EPSILON
            * (largest(q_norms) + largest(&self.points.norms).max(largest(&self.centres.norms)))
    }

    /// Lower bounds of the distance from every query of `block` to every point of every cell,
    /// row-major `queries x cells`: the larger of the ball and the bisector bound (module
    /// docs), loosened by `slack`, and 0 for the query's own cell.
    fn bounds(&self, block: &Block, slack: f32) -> Vec<f32> {
        let (d, m) = (self.points.d, self.centres.n);
        let mut bound = vec![0f32; block.q_norms.len() * m];
        dot_rows(block.q, &self.centres.data, d, &mut bound);
        for (row, &qn) in bound.chunks_exact_mut(m).zip(block.q_norms) {
            for (v, &cn) in row.iter_mut().zip(&self.centres.norms) {
                *v = (qn + cn - 2.0 * *v).max(0.0);
            }
            let own = first_minimum(row.iter().copied());
            let to_own = row[own];
            for (j, v) in row.iter_mut().enumerate() {
                let ball = (*v - slack).max(0.0).sqrt() - self.radius[j];
                let between = self.between[own * m + j];
                let bisector = if between > 0.0 {
                    (*v - to_own - 4.0 * slack) / (2.0 * between)
                } else {
                    0.0
                };
                *v = if j == own {
                    0.0
                } else {
                    ball.max(bisector).max(0.0)
                };
            }
        }
        bound
    }

    /// Offers the points of cell `j` to the `needed` queries of `block` (one GEMM of their
    /// rows, gathered into `gathered` when not all of the block's, with the cell's points, into
    /// `tile`).
    fn search_cell(
        &self,
        block: &Block,
        j: usize,
        needed: &[usize],
        gathered: &mut Vec<f32>,
        tile: &mut [f32],
        best: &mut [(f32, u32)],
    ) {
        let d = self.points.d;
        let (s, e) = (self.start[j], self.start[j + 1]);
        if s == e {
            return;
        }
        let cols = e - s;
        let searching: &[f32] = if needed.len() == block.q_norms.len() {
            block.q
        } else {
            gathered.clear();
            gathered.extend(needed.iter().flat_map(|&i| &block.q[i * d..(i + 1) * d]));
            gathered
        };
        let tile = &mut tile[..needed.len() * cols];
        dot_rows(searching, &self.points.data[s * d..e * d], d, tile);
        let kept = block.kept;
        for (row, &i) in tile.chunks_exact_mut(cols).zip(needed) {
            scan_row(
                row,
                block.q_norms[i],
                &self.points.norms[s..e],
                s,
                if block.self_first {
                    block.first + i
                } else {
                    usize::MAX
                },
                &mut best[i * kept..(i + 1) * kept],
            );
        }
    }
}

/// A block of queries searched together ([`Cells::search_block`]).
struct Block<'a> {
    /// The queries, row-major.
    q: &'a [f32],
    q_norms: &'a [f32],
    /// Position of the block's first query among the (ordered) queries.
    first: usize,
    /// Whether the queries are the references (each query then skips itself).
    self_first: bool,
    /// Candidates kept per query.
    kept: usize,
}

/// The cells in the order to search them: by their smallest bound over the block's queries
/// (`bound` is row-major `queries x m`), nearest first, ties by index.
fn visit_order(bound: &[f32], m: usize) -> Vec<(f32, usize)> {
    let rows = bound.len() / m;
    let mut visit: Vec<(f32, usize)> = (0..m)
        .map(|j| {
            let nearest = (0..rows)
                .map(|i| bound[i * m + j])
                .fold(f32::INFINITY, f32::min);
            (nearest, j)
        })
        .collect();
    visit.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    visit
}

/// The nearest centre of every point (the first one on ties).
fn nearest_centre(points: &Points, centres: &Points) -> Vec<u32> {
    let (d, m) = (points.d, centres.n);
    let mut cell = vec![0u32; points.n];
    cell.par_chunks_mut(ASSIGN_BLOCK)
        .enumerate()
        .for_each(|(b, cell)| {
            let first = b * ASSIGN_BLOCK;
            let rows = cell.len();
            let mut tile = vec![0f32; rows * m];
            dot_rows(
                &points.data[first * d..(first + rows) * d],
                &centres.data,
                d,
                &mut tile,
            );
            for (c, row) in cell.iter_mut().zip(tile.chunks_exact(m)) {
                // ‖p − c_j‖² less the point's own norm, the same for every centre.
                let dists = row
                    .iter()
                    .zip(&centres.norms)
                    .map(|(&dot, &cn)| cn - 2.0 * dot);
                *c = first_minimum(dists) as u32;
            }
        });
    cell
}

/// The position of the smallest value (the first one on ties; 0 for none).
fn first_minimum(values: impl Iterator<Item = f32>) -> usize {
    let mut nearest = (f32::INFINITY, 0);
    for (j, v) in values.enumerate() {
        if v < nearest.0 {
            nearest = (v, j);
        }
    }
    nearest.1
}

/// `v` as an `f32` no smaller than `v`.
fn round_up(v: f64) -> f32 {
    let r = v as f32;
    if f64::from(r) < v {
        f32::from_bits(r.to_bits() + 1)
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::knn::all_candidates;
    use crate::rng::SplitMix;

    /// `n` points in `d` dimensions around 12 random centres (a spread like real features:
    /// clusters of different widths), row-major.
    fn clustered(n: usize, d: usize, seed: u64) -> Points {
        let mut rng = SplitMix::new(seed, 0, 0);
        let centres: Vec<f64> = (0..12 * d).map(|_| 4.0 * rng.normal()).collect();
        let data = (0..n)
            .flat_map(|i| {
                let c = i % 12;
                let width = 0.3 + c as f64 / 6.0;
                (0..d)
                    .map(|j| (centres[c * d + j] + width * rng.normal()) as f32)
                    .collect::<Vec<_>>()
            })
            .collect();
        Points::from_rows(data, d)
    }

    /// The candidates of both searches agree: the same squared distances (to the rounding of
    /// the expansion) and, where no two distances are close, the same points.
    fn assert_same(pruned: &[(f32, u32)], full: &[(f32, u32)]) {
        assert_eq!(pruned.len(), full.len());
        for (p, f) in pruned.iter().zip(full) {
            assert!(
                (p.0 - f.0).abs() <= 1e-4 * (1.0 + f.0),
                "{p:?} against {f:?}"
            );
        }
        let same = pruned.iter().zip(full).filter(|(p, f)| p.1 == f.1).count();
        assert!(
            same as f64 >= 0.999 * full.len() as f64,
            "{same} of {}",
            full.len()
        );
    }

    #[test]
    fn pruned_search_finds_the_candidates_of_the_full_search() {
        for (d, kept) in [(2, 5), (10, 19), (40, 30)] {
            let refs = clustered(3 * POINTS_PER_CELL + 77, d, d as u64);
            let cells = Cells::new(&refs);
            assert_eq!(cells.start.len() - 1, 3);
            assert_same(
                &cells.candidates(&refs, kept, true),
                &all_candidates(&refs, &refs, kept, true),
            );
            let queries = clustered(500, d, 100 + d as u64);
            assert_same(
                &cells.candidates(&queries, kept, false),
                &all_candidates(&queries, &refs, kept, false),
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Many small cells (so most are skipped), any dimension, points on a coarse grid
        /// (exact ties and duplicates): the same candidate distances as the full search.
        #[test]
        fn small_cells_lose_no_candidate(
            n in 30usize..300,
            d in 1usize..6,
            size in 2usize..40,
            kept in 1usize..12,
            seed in 0u64..1000,
            self_first in any::<bool>(),
        ) {
            let mut rng = SplitMix::new(seed, 1, 0);
            let mut grid = |count: usize| -> Points {
                let data = (0..count * d).map(|_| (rng.normal() * 4.0).round() as f32).collect();
                Points::from_rows(data, d)
            };
            let refs = grid(n);
            let queries = if self_first { refs.clone() } else { grid(n / 2 + 1) };
            let kept = kept.min(n - usize::from(self_first));
            let pruned = Cells::with_cell_size(&refs, size).candidates(&queries, kept, self_first);
            let full = all_candidates(&queries, &refs, kept, self_first);
            for (p, f) in pruned.iter().zip(&full) {
                prop_assert!((p.0 - f.0).abs() <= 1e-4 * (1.0 + f.0), "{:?} against {:?}", p, f);
            }
        }
    }

    #[test]
    fn no_point_is_its_own_candidate() {
        let refs = clustered(2 * POINTS_PER_CELL, 3, 7);
        let best = Cells::new(&refs).candidates(&refs, 4, true);
        for (i, row) in best.chunks_exact(4).enumerate() {
            assert!(row.iter().all(|&(_, j)| j as usize != i));
            assert!(row.windows(2).all(|w| w[0].0 <= w[1].0));
        }
    }

    #[test]
    fn duplicates_and_a_single_cell_are_searched_exactly() {
        // Every point repeated four times: distances 0 tie, centres may coincide.
        let base = clustered(POINTS_PER_CELL / 2, 5, 3);
        let data: Vec<f32> = (0..4).flat_map(|_| base.data.iter().copied()).collect();
        let refs = Points::from_rows(data, 5);
        let cells = Cells::new(&refs);
        let best = cells.candidates(&refs, 3, true);
        assert!(best.iter().all(|&(dist, _)| dist.abs() < 1e-4));
        let one = Points::from_rows(vec![1.0; 3 * 8], 3);
        let best = Cells::new(&one).candidates(&one, 2, true);
        assert!(
            best.iter()
                .all(|&(dist, j)| dist.abs() < 1e-5 && (j as usize) < 8)
        );
    }
}
