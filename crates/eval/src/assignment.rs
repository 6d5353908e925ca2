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
    let n_rows = adjacency.len();
    let big_m = adjacency
        .iter()
        .flatten()
        .map(|&(_, w)| w)
        .max()
        .unwrap_or(0);

    let mut partner = vec![Partner::None; n_rows];
    let mut partner_w = vec![0i64; n_rows];
    let mut col_match: Vec<Option<u32>> = vec![None; n_cols];
    let mut pot_row = vec![0i64; n_rows];
    let mut pot_col = vec![0i64; n_cols];

    let mut dist_row = vec![i64::MAX; n_rows];
    let mut dist_col = vec![i64::MAX; n_cols];
    let mut done_row = vec![false; n_rows];
    let mut done_col = vec![false; n_cols];
    let mut prev_col = vec![0u32; n_cols];
    let mut prev_w = vec![0i64; n_cols];
    let mut touched_rows: Vec<u32> = Vec::new();
    let mut touched_cols: Vec<u32> = Vec::new();
    let mut heap: BinaryHeap<Reverse<(i64, Node)>> = BinaryHeap::new();

    for source in 0..n_rows {
        heap.clear();
        dist_row[source] = 0;
        touched_rows.push(source as u32);
        heap.push(Reverse((0, Node::Row(source as u32))));
        let (end, end_dist) = loop {
            let Reverse((d, node)) = heap.pop().expect("the source's dummy is always reachable");
            match node {
                Node::Row(i) => {
                    let i = i as usize;
                    if done_row[i] || d > dist_row[i] {
                        continue;
                    }
                    done_row[i] = true;
                    // give up the row's column: its private dummy, cost M
                    heap.push(Reverse((d + big_m + pot_row[i], Node::Dummy(i as u32))));
                    let own = match partner[i] {
                        Partner::Col(j) => Some(j),
                        _ => None,
                    };
                    for &(j, w) in &adjacency[i] {
                        let ju = j as usize;
                        if Some(j) == own || done_col[ju] {
                            continue;
                        }
                        let nd = d + (big_m - w) + pot_row[i] - pot_col[ju];
                        if nd < dist_col[ju] {
                            if dist_col[ju] == i64::MAX {
                                touched_cols.push(j);
                            }
                            dist_col[ju] = nd;
                            prev_col[ju] = i as u32;
                            prev_w[ju] = w;
                            heap.push(Reverse((nd, Node::Col(j))));
                        }
                    }
                }
                Node::Col(j) => {
                    let ju = j as usize;
                    if done_col[ju] || d > dist_col[ju] {
                        continue;
                    }
                    done_col[ju] = true;
                    match col_match[ju] {
                        None => break (node, d),
                        Some(i2) => {
                            let i2u = i2 as usize;
                            let nd = d - (big_m - partner_w[i2u]) + pot_col[ju] - pot_row[i2u];
                            if nd < dist_row[i2u] {
                                if dist_row[i2u] == i64::MAX {
                                    touched_rows.push(i2);
                                }
                                dist_row[i2u] = nd;
                                heap.push(Reverse((nd, Node::Row(i2))));
                            }
                        }
                    }
                }
                Node::Dummy(_) => break (node, d),
            }
        };

        // potentials of the settled nodes closer than the end: p += dist - D
        for &i in &touched_rows {
            let i = i as usize;
            if done_row[i] && dist_row[i] < end_dist {
                pot_row[i] += dist_row[i] - end_dist;
            }
        }
        for &j in &touched_cols {
            let j = j as usize;
            if done_col[j] && dist_col[j] < end_dist {
                pot_col[j] += dist_col[j] - end_dist;
            }
        }

        // augment along the path back to the source
        let (mut row, mut freed) = match end {
            Node::Dummy(i) => {
                let i = i as usize;
                let old = partner[i];
                partner[i] = Partner::Dummy;
                partner_w[i] = 0;
                (i, old)
            }
            Node::Col(j) => {
                let i = prev_col[j as usize] as usize;
                let old = partner[i];
                partner[i] = Partner::Col(j);
                partner_w[i] = prev_w[j as usize];
                col_match[j as usize] = Some(i as u32);
                (i, old)
            }
            Node::Row(_) => unreachable!("a row never ends a search"),
        };
        while row != source {
            let Partner::Col(j) = freed else {
                unreachable!("a row on the path other than the source is matched to a column")
            };
            let i = prev_col[j as usize] as usize;
            freed = partner[i];
            partner[i] = Partner::Col(j);
            partner_w[i] = prev_w[j as usize];
            col_match[j as usize] = Some(i as u32);
            row = i;
        }

        for &i in &touched_rows {
            dist_row[i as usize] = i64::MAX;
            done_row[i as usize] = false;
        }
        for &j in &touched_cols {
            dist_col[j as usize] = i64::MAX;
            done_col[j as usize] = false;
        }
        touched_rows.clear();
        touched_cols.clear();
    }

    let mut total = 0u64;
    let matching = partner
        .iter()
        .zip(&partner_w)
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
