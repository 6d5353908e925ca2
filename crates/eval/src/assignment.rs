//! Maximum-weight bipartite matching on a sparse weight matrix (the linear assignment problem
//! behind clustering accuracy).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What a row is matched to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partner {
    /// Not processed yet.
    None,
    /// A column.
    Col(u32),
    /// The row's private zero-weight "unmatched" column.
    Dummy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Row(u32),
    Col(u32),
    Dummy(u32),
}

/// Maximum-weight matching of the rows of a sparse matrix of positive integer weights to its
/// columns, each used at most once; returns each row's column (if any) and the total weight.
///
/// Solved exactly as a minimum-cost assignment of every row either to a column (cost `M - w`)
/// or to a private dummy column (cost `M`), by successive shortest augmenting paths (Dijkstra
/// with Johnson potentials, stopped at the first free column), so that all-distinct labelings
/// (70,000 x 70,000 cells, 70,000 non-zero) are as cheap as 10 x 10 tables. Integer costs make
/// the optimum exact; on ties the matching may differ from SciPy's `linear_sum_assignment`, the
/// total weight never does.
///
/// `adjacency[i]` lists row `i`'s non-zero weights as `(column, weight)`; weights are below 2^32.
pub(crate) fn max_weight_matching(
    adjacency: &[Vec<(u32, i64)>],
    n_cols: usize,
) -> (Vec<Option<usize>>, u64) {
    let mut solver = Solver::new(adjacency, n_cols);
    for source in 0..adjacency.len() {
        let (end, end_dist) = solver.shortest_path(source);
        solver.update_potentials(end_dist);
        solver.augment(source, end);
        solver.reset_search();
    }
    solver.into_matching()
}

/// The assignment being built (each row's partner and its weight, each column's row, the
/// Johnson potentials) and the scratch of one shortest-path search, reset through the lists of
/// the nodes it touched so that a search costs what it visits, not the matrix size.
struct Solver<'a> {
    adjacency: &'a [Vec<(u32, i64)>],
    /// The largest weight: a column costs `M - w`, a dummy `M`.
    big_m: i64,
    partner: Vec<Partner>,
    partner_w: Vec<i64>,
    col_match: Vec<Option<u32>>,
    pot_row: Vec<i64>,
    pot_col: Vec<i64>,
    dist_row: Vec<i64>,
    dist_col: Vec<i64>,
    done_row: Vec<bool>,
    done_col: Vec<bool>,
    /// The row each column was reached from, and that edge's weight.
    prev_col: Vec<u32>,
    prev_w: Vec<i64>,
    touched_rows: Vec<u32>,
    touched_cols: Vec<u32>,
    heap: BinaryHeap<Reverse<(i64, Node)>>,
}

impl<'a> Solver<'a> {
    fn new(adjacency: &'a [Vec<(u32, i64)>], n_cols: usize) -> Self {
        let n_rows = adjacency.len();
        let big_m = adjacency
            .iter()
            .flatten()
            .map(|&(_, w)| w)
            .max()
            .unwrap_or(0);
        Self {
            adjacency,
            big_m,
            partner: vec![Partner::None; n_rows],
            partner_w: vec![0; n_rows],
            col_match: vec![None; n_cols],
            pot_row: vec![0; n_rows],
            pot_col: vec![0; n_cols],
            dist_row: vec![i64::MAX; n_rows],
            dist_col: vec![i64::MAX; n_cols],
            done_row: vec![false; n_rows],
            done_col: vec![false; n_cols],
            prev_col: vec![0; n_cols],
            prev_w: vec![0; n_cols],
            touched_rows: Vec::new(),
            touched_cols: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    /// Dijkstra from row `source` over reduced costs, to the first free column or dummy:
    /// that node and its distance.
    fn shortest_path(&mut self, source: usize) -> (Node, i64) {
        self.heap.clear();
        self.dist_row[source] = 0;
        self.touched_rows.push(source as u32);
        self.heap.push(Reverse((0, Node::Row(source as u32))));
        loop {
            let Reverse((d, node)) = self
                .heap
                .pop()
                .expect("the source's dummy is always reachable");
            match node {
                Node::Row(i) => self.settle_row(i as usize, d),
                Node::Col(j) => {
                    if self.settle_col(j as usize, d) {
                        return (node, d);
                    }
                }
                Node::Dummy(_) => return (node, d),
            }
        }
    }

    /// Settles row `i` at distance `d` (unless it is settled already or `d` is stale): offers
    /// its dummy (giving up its column costs `M`) and relaxes its edges to the unsettled
    /// columns other than its own.
    fn settle_row(&mut self, i: usize, d: i64) {
        if self.done_row[i] || d > self.dist_row[i] {
            return;
        }
        self.done_row[i] = true;
        let big_m = self.big_m;
        self.heap.push(Reverse((
            d + big_m + self.pot_row[i],
            Node::Dummy(i as u32),
        )));
        let own = match self.partner[i] {
            Partner::Col(j) => Some(j),
            _ => None,
        };
        for &(j, w) in &self.adjacency[i] {
            let ju = j as usize;
            if Some(j) == own || self.done_col[ju] {
                continue;
            }
            let nd = d + (big_m - w) + self.pot_row[i] - self.pot_col[ju];
            if nd < self.dist_col[ju] {
                if self.dist_col[ju] == i64::MAX {
                    self.touched_cols.push(j);
                }
                self.dist_col[ju] = nd;
                self.prev_col[ju] = i as u32;
                self.prev_w[ju] = w;
                self.heap.push(Reverse((nd, Node::Col(j))));
            }
        }
    }

    /// Settles column `j` at distance `d` (unless it is settled already or `d` is stale):
    /// `true` when it is free, where the search ends; otherwise its row is reached through
    /// the matched edge.
    fn settle_col(&mut self, j: usize, d: i64) -> bool {
        if self.done_col[j] || d > self.dist_col[j] {
            return false;
        }
        self.done_col[j] = true;
        let Some(i2) = self.col_match[j] else {
            return true;
        };
        let i2u = i2 as usize;
        let nd = d - (self.big_m - self.partner_w[i2u]) + self.pot_col[j] - self.pot_row[i2u];
        if nd < self.dist_row[i2u] {
            if self.dist_row[i2u] == i64::MAX {
                self.touched_rows.push(i2);
            }
            self.dist_row[i2u] = nd;
            self.heap.push(Reverse((nd, Node::Row(i2))));
        }
        false
    }

    /// The potentials of the settled nodes closer than the end: `p += dist - D`.
    fn update_potentials(&mut self, end_dist: i64) {
        for &i in &self.touched_rows {
            let i = i as usize;
            if self.done_row[i] && self.dist_row[i] < end_dist {
                self.pot_row[i] += self.dist_row[i] - end_dist;
            }
        }
        for &j in &self.touched_cols {
            let j = j as usize;
            if self.done_col[j] && self.dist_col[j] < end_dist {
                self.pot_col[j] += self.dist_col[j] - end_dist;
            }
        }
    }

    /// Flips the matching along the path from `end` back to `source`.
    fn augment(&mut self, source: usize, end: Node) {
        let (mut row, mut freed) = match end {
            Node::Dummy(i) => {
                let i = i as usize;
                let old = self.partner[i];
                self.partner[i] = Partner::Dummy;
                self.partner_w[i] = 0;
                (i, old)
            }
            Node::Col(j) => self.match_col(j),
            Node::Row(_) => unreachable!("a row never ends a search"),
        };
        while row != source {
            let Partner::Col(j) = freed else {
                unreachable!("a row on the path other than the source is matched to a column")
            };
            (row, freed) = self.match_col(j);
        }
    }

    /// Matches column `j` to the row it was reached from: that row and its former partner.
    fn match_col(&mut self, j: u32) -> (usize, Partner) {
        let i = self.prev_col[j as usize] as usize;
        let old = self.partner[i];
        self.partner[i] = Partner::Col(j);
        self.partner_w[i] = self.prev_w[j as usize];
        self.col_match[j as usize] = Some(i as u32);
        (i, old)
    }

    /// Forgets the search's distances and settled marks, where it set them.
    fn reset_search(&mut self) {
        for &i in &self.touched_rows {
            self.dist_row[i as usize] = i64::MAX;
            self.done_row[i as usize] = false;
        }
        for &j in &self.touched_cols {
            self.dist_col[j as usize] = i64::MAX;
            self.done_col[j as usize] = false;
        }
        self.touched_rows.clear();
        self.touched_cols.clear();
    }

    /// Each row's column (if any) and the total weight.
    fn into_matching(self) -> (Vec<Option<usize>>, u64) {
        let mut total = 0u64;
        let matching = self
            .partner
            .iter()
            .zip(&self.partner_w)
            .map(|(p, &w)| match *p {
                Partner::Col(j) => {
                    total += w as u64;
                    Some(j as usize)
                }
                _ => None,
            })
            .collect();
        (matching, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solve(dense: &[Vec<u64>]) -> (Vec<Option<usize>>, u64) {
        let cols = dense.first().map_or(0, Vec::len);
        let adjacency: Vec<Vec<(u32, i64)>> = dense
            .iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .filter(|(_, w)| **w > 0)
                    .map(|(j, &w)| (j as u32, w as i64))
                    .collect()
            })
            .collect();
        max_weight_matching(&adjacency, cols)
    }

    fn brute_force(dense: &[Vec<u64>]) -> u64 {
        fn go(i: usize, dense: &[Vec<u64>], used: &mut Vec<bool>) -> u64 {
            if i == dense.len() {
                return 0;
            }
            let mut best = go(i + 1, dense, used);
            for j in 0..used.len() {
                if !used[j] {
                    used[j] = true;
                    best = best.max(dense[i][j] + go(i + 1, dense, used));
                    used[j] = false;
                }
            }
            best
        }
        let cols = dense.first().map_or(0, Vec::len);
        go(0, dense, &mut vec![false; cols])
    }

    #[test]
    fn matches_brute_force_on_pseudo_random_matrices() {
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        for _ in 0..300 {
            let r = (next() % 6 + 1) as usize;
            let c = (next() % 6 + 1) as usize;
            let sparsity = next() % 4;
            let dense: Vec<Vec<u64>> = (0..r)
                .map(|_| {
                    (0..c)
                        .map(|_| if next() % 4 < sparsity { 0 } else { next() % 9 })
                        .collect()
                })
                .collect();
            let (m, total) = solve(&dense);
            assert_eq!(total, brute_force(&dense), "{dense:?}");
            let mut used = vec![false; c];
            let mut check = 0;
            for (i, j) in m.iter().enumerate() {
                if let Some(j) = *j {
                    assert!(!used[j]);
                    used[j] = true;
                    check += dense[i][j];
                }
            }
            assert_eq!(check, total);
        }
    }

    #[test]
    fn a_larger_matching_is_not_preferred_to_a_heavier_one() {
        // rows A, B; A-X 10, A-Y 1, B-X 1: the best is A-X alone
        let (m, total) = solve(&[vec![10, 1], vec![1, 0]]);
        assert_eq!(total, 10);
        assert_eq!(m[0], Some(0));
    }
}
