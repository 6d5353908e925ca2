//! The contingency table of two labelings, in sparse (CSR) form.

use crate::EvalError;
use crate::label::{Label, check_pair, encode, value_range};

/// Counts of samples per (true class, predicted cluster) pair.
///
/// Rows are the distinct true labels and columns the distinct predicted labels, both in
/// increasing order of label value (as scikit-learn's `contingency_matrix`). Only non-zero cells
/// are stored, row by row, so a table of 70,000 all-distinct labels takes O(n) memory; small
/// tables (such as 10 x 10 for 70,000 samples) are counted densely in one pass.
///
/// Every clustering metric of the crate is a method here, so that several metrics of the same
/// pair of labelings share one table (see [`ClusteringReport`](crate::ClusteringReport)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contingency {
    n_samples: u64,
    classes: Vec<u64>,
    clusters: Vec<u64>,
    class_sizes: Vec<u64>,
    cluster_sizes: Vec<u64>,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    counts: Vec<u64>,
}

impl Contingency {
    /// Builds the table of `truth` (rows) against `pred` (columns).
    ///
    /// # Errors
    /// [`EvalError::LengthMismatch`] if the lengths differ, [`EvalError::Empty`] if they are 0.
    pub fn new<A: Label, B: Label>(truth: &[A], pred: &[B]) -> Result<Self, EvalError> {
        check_pair(truth.len(), pred.len())?;
        let (lo_t, span_t) = value_range(truth);
        let (lo_p, span_p) = value_range(pred);
        let n = truth.len();
        if u128::from(span_t) * u128::from(span_p) <= (4 * n as u128).max(1 << 16) {
            Ok(Self::from_small_values(
                truth,
                pred,
                lo_t,
                span_t as usize,
                lo_p,
                span_p as usize,
            ))
        } else {
            Ok(Self::from_codes(truth, pred))
        }
    }

    /// One counting pass over a grid indexed by the label values themselves (label ranges whose
    /// product is O(n), the usual case), then the empty rows and columns are dropped.
    fn from_small_values<A: Label, B: Label>(
        truth: &[A],
        pred: &[B],
        lo_t: u64,
        span_t: usize,
        lo_p: u64,
        span_p: usize,
    ) -> Self {
        let mut grid = vec![0u32; span_t * span_p];
        for (&t, &p) in truth.iter().zip(pred) {
            grid[(t.to_u64() - lo_t) as usize * span_p + (p.to_u64() - lo_p) as usize] += 1;
        }
        let mut col_sums = vec![0u64; span_p];
        let mut row_sums = vec![0u64; span_t];
        for (row, sum) in grid.chunks_exact(span_p).zip(&mut row_sums) {
            for (&count, col) in row.iter().zip(&mut col_sums) {
                *sum += u64::from(count);
                *col += u64::from(count);
            }
        }
        let mut col_code = vec![u32::MAX; span_p];
        let (mut clusters, mut cluster_sizes) = (Vec::new(), Vec::new());
        for (offset, &size) in col_sums.iter().enumerate() {
            if size > 0 {
                col_code[offset] = clusters.len() as u32;
                clusters.push(lo_p + offset as u64);
                cluster_sizes.push(size);
            }
        }
        let (mut classes, mut class_sizes) = (Vec::new(), Vec::new());
        let (mut indptr, mut indices, mut counts) = (vec![0], Vec::new(), Vec::new());
        for (offset, (row, &size)) in grid.chunks_exact(span_p).zip(&row_sums).enumerate() {
            if size == 0 {
                continue;
            }
            classes.push(lo_t + offset as u64);
            class_sizes.push(size);
            for (col, &count) in row.iter().enumerate() {
                if count != 0 {
                    indices.push(col_code[col]);
                    counts.push(u64::from(count));
                }
            }
            indptr.push(indices.len());
        }
        Contingency {
            n_samples: truth.len() as u64,
            classes,
            clusters,
            class_sizes,
            cluster_sizes,
            indptr,
            indices,
            counts,
        }
    }

    /// Labels re-coded as ranks, then a dense count if the table is small or a sort of the
    /// (row, column) keys otherwise (all-distinct labelings: O(n log n) time, O(n) memory).
    fn from_codes<A: Label, B: Label>(truth: &[A], pred: &[B]) -> Self {
        let t = encode(truth);
        let p = encode(pred);
        let (r, c) = (t.values.len(), p.values.len());
        let n = truth.len();
        let mut indptr = Vec::with_capacity(r + 1);
        let mut indices = Vec::new();
        let mut counts = Vec::new();
        indptr.push(0);
        let cells = r as u128 * c as u128;
        if cells <= (4 * n as u128).max(1 << 16) {
            let mut dense = vec![0u64; r * c];
            for (&i, &j) in t.codes.iter().zip(&p.codes) {
                dense[i as usize * c + j as usize] += 1;
            }
            for row in dense.chunks_exact(c) {
                for (j, &count) in row.iter().enumerate() {
                    if count != 0 {
                        indices.push(j as u32);
                        counts.push(count);
                    }
                }
                indptr.push(indices.len());
            }
        } else {
            let mut keys: Vec<u64> = t
                .codes
                .iter()
                .zip(&p.codes)
                .map(|(&i, &j)| (u64::from(i) << 32) | u64::from(j))
                .collect();
            keys.sort_unstable();
            let mut row = 0usize;
            let mut k = 0;
            while k < keys.len() {
                let key = keys[k];
                let mut end = k + 1;
                while end < keys.len() && keys[end] == key {
                    end += 1;
                }
                let i = (key >> 32) as usize;
                while row < i {
                    indptr.push(indices.len());
                    row += 1;
                }
                indices.push(key as u32);
                counts.push((end - k) as u64);
                k = end;
            }
            while row < r {
                indptr.push(indices.len());
                row += 1;
            }
        }
        debug_assert_eq!(indptr.len(), r + 1);
        Contingency {
            n_samples: n as u64,
            classes: t.values,
            clusters: p.values,
            class_sizes: t.counts,
            cluster_sizes: p.counts,
            indptr,
            indices,
            counts,
        }
    }

    /// Number of samples.
    pub fn n_samples(&self) -> u64 {
        self.n_samples
    }

    /// Number of distinct true labels (rows).
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }

    /// Number of distinct predicted labels (columns).
    pub fn n_clusters(&self) -> usize {
        self.clusters.len()
    }

    /// The distinct true labels, ascending (row `i` is `classes()[i]`).
    pub fn classes(&self) -> &[u64] {
        &self.classes
    }

    /// The distinct predicted labels, ascending (column `j` is `clusters()[j]`).
    pub fn clusters(&self) -> &[u64] {
        &self.clusters
    }

    /// Row sums: the number of samples of each true class.
    pub fn class_sizes(&self) -> &[u64] {
        &self.class_sizes
    }

    /// Column sums: the number of samples in each predicted cluster.
    pub fn cluster_sizes(&self) -> &[u64] {
        &self.cluster_sizes
    }

    /// Number of non-zero cells.
    pub fn nnz(&self) -> usize {
        self.counts.len()
    }

    /// The count in row `i`, column `j` (0 outside the table).
    pub fn get(&self, i: usize, j: usize) -> u64 {
        if i >= self.n_classes() {
            return 0;
        }
        let (start, end) = (self.indptr[i], self.indptr[i + 1]);
        match self.indices[start..end].binary_search(&(j as u32)) {
            Ok(k) => self.counts[start + k],
            Err(_) => 0,
        }
    }

    /// The non-zero cells as `(row, column, count)`, row by row, columns ascending.
    pub fn nonzeros(&self) -> impl Iterator<Item = (usize, usize, u64)> + '_ {
        (0..self.n_classes()).flat_map(move |i| {
            let (start, end) = (self.indptr[i], self.indptr[i + 1]);
            self.indices[start..end]
                .iter()
                .zip(&self.counts[start..end])
                .map(move |(&j, &count)| (i, j as usize, count))
        })
    }

    /// The non-zero cells of row `i` as `(column, count)`.
    pub(crate) fn row(&self, i: usize) -> impl Iterator<Item = (usize, u64)> + '_ {
        let (start, end) = (self.indptr[i], self.indptr[i + 1]);
        self.indices[start..end]
            .iter()
            .zip(&self.counts[start..end])
            .map(|(&j, &count)| (j as usize, count))
    }

    /// The whole table as rows of counts (`n_classes` x `n_clusters`); only for small tables.
    pub fn to_dense(&self) -> Vec<Vec<u64>> {
        let mut dense = vec![vec![0u64; self.n_clusters()]; self.n_classes()];
        for (i, j, count) in self.nonzeros() {
            dense[i][j] = count;
        }
        dense
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_paths_agree() {
        let truth: Vec<u32> = vec![0, 0, 1, 1, 2, 2, 2];
        let pred: Vec<u64> = vec![5, 6, 6, 6, 1 << 50, 5, 5];
        let c = Contingency::new(&truth, &pred).unwrap();
        assert_eq!(c.classes(), &[0, 1, 2]);
        assert_eq!(c.clusters(), &[5, 6, 1 << 50]);
        assert_eq!(
            c.to_dense(),
            vec![vec![1, 1, 0], vec![0, 2, 0], vec![2, 0, 1]]
        );
        assert_eq!(c.class_sizes(), &[2, 2, 3]);
        assert_eq!(c.cluster_sizes(), &[3, 3, 1]);
        assert_eq!(c.get(2, 0), 2);
        assert_eq!(c.get(1, 0), 0);

        // spread-out labels with a small table take the ranked dense path
        let spread: Vec<u64> = truth.iter().map(|&t| u64::from(t) * 1_000_003).collect();
        let d = Contingency::new(&spread, &pred).unwrap();
        assert_eq!(d.to_dense(), c.to_dense());
        assert_eq!(d.cluster_sizes(), c.cluster_sizes());
        assert_eq!(d.classes(), &[0, 1_000_003, 2_000_006]);

        // all-distinct labels take the sparse path (n^2 cells > 4n)
        let n = 100_000u32;
        let a: Vec<u32> = (0..n).collect();
        let b: Vec<u32> = (0..n).map(|i| (i * 7919) % n).collect();
        let c = Contingency::new(&a, &b).unwrap();
        assert_eq!(c.nnz(), n as usize);
        assert_eq!(c.get(1, 7919), 1);
        assert_eq!(c.get(1, 7918), 0);
        let rows: Vec<_> = c.nonzeros().take(2).collect();
        assert_eq!(rows, vec![(0, 0, 1), (1, 7919, 1)]);
    }

    #[test]
    fn errors() {
        let e: [u8; 0] = [];
        assert_eq!(Contingency::new(&e, &e), Err(EvalError::Empty));
        assert!(matches!(
            Contingency::new(&[1u8], &[1u8, 2]),
            Err(EvalError::LengthMismatch { truth: 1, pred: 2 })
        ));
    }
}
