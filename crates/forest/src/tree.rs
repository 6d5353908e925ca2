//! One decision tree, grown on binned features (`u8`, column-major) with per-feature histograms.
//!
//! The split search follows scikit-learn's `BestSplitter` step by step: the same random drawing
//! of features (features found constant in a node are remembered for its descendants and do not
//! count towards `max_features`), the same criteria and the same tie rule (the first best split
//! wins), so that a tree on the same data grows the same way. Where scikit-learn sorts the node's
//! samples by each drawn feature, this tree fills a 256-bin histogram of class counts and sweeps
//! the bins that are occupied (a 256-bit mask finds them in order): O(node size + occupied bins)
//! per feature, and no allocation per node (all buffers live in a [`Workspace`] reused across
//! the trees a thread grows). Small nodes ([`SORTED_MAX`]) of the integer Gini form sort their
//! samples by bin instead (a counting sort) and sweep them one at a time.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::features::MAX_BINS;
use crate::params::Criterion;

/// `feature` of a leaf node.
const LEAF: u32 = u32::MAX;

/// A node, in pre-order: the left child of an internal node is the next node.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Node {
    /// The feature tested, or [`LEAF`].
    feature: u32,
    /// Samples whose bin is `<= threshold` go left.
    threshold: u8,
    /// Index of the right child, or of the leaf's probabilities for a leaf.
    right: u32,
}

/// A fitted decision tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    nodes: Vec<Node>,
    /// Class probabilities of each leaf, `n_classes` per leaf.
    leaf_proba: Vec<f32>,
    depth: usize,
}

impl Tree {
    /// Number of nodes, leaves included.
    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Number of leaves.
    pub fn n_leaves(&self) -> usize {
        self.nodes.iter().filter(|n| n.feature == LEAF).count()
    }

    /// Depth of the deepest leaf (the root alone has depth 0).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Every node in pre-order (a node, its left subtree, its right subtree) with its depth and
    /// its split: `Some((feature, threshold))` sends the samples whose bin of `feature` is at most
    /// `threshold` to the left, `None` is a leaf.
    pub fn structure(&self) -> Vec<(usize, Option<(usize, u8)>)> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut stack = vec![(0usize, 0usize)];
        while let Some((i, depth)) = stack.pop() {
            let node = self.nodes[i];
            if node.feature == LEAF {
                out.push((depth, None));
            } else {
                out.push((depth, Some((node.feature as usize, node.threshold))));
                stack.push((node.right as usize, depth + 1));
                stack.push((i + 1, depth + 1));
            }
        }
        out
    }

    /// The leaf that the sample whose bin of feature `j` is `bin(j)` falls into.
    #[inline]
    pub(crate) fn leaf(&self, bin: impl Fn(usize) -> u8) -> usize {
        let mut i = 0;
        loop {
            let node = self.nodes[i];
            if node.feature == LEAF {
                return node.right as usize;
            }
            i = if bin(node.feature as usize) <= node.threshold {
                i + 1
            } else {
                node.right as usize
            };
        }
    }

    /// The leaves of the rows of `n_features` bins in `rows` (row-major, at most `K` rows),
    /// walked side by side so that their node reads overlap instead of waiting on each other
    /// ([`Tree::leaf`] for each row alone gives the same leaves); entries past the rows are
    /// meaningless.
    #[inline]
    pub(crate) fn leaves<const K: usize>(&self, rows: &[u8], n_features: usize) -> [usize; K] {
        let n_rows = (rows.len() / n_features.max(1)).min(K);
        let mut at = [0usize; K];
        let mut walking = true;
        while walking {
            walking = false;
            for (k, i) in at.iter_mut().enumerate().take(n_rows) {
                let node = self.nodes[*i];
                if node.feature != LEAF {
                    walking = true;
                    let bin = rows[k * n_features + node.feature as usize];
                    *i = if bin <= node.threshold {
                        *i + 1
                    } else {
                        node.right as usize
                    };
                }
            }
        }
        at.map(|i| self.nodes[i].right as usize)
    }

    /// The class probabilities of leaf `leaf`.
    #[inline]
    pub(crate) fn proba(&self, leaf: usize, n_classes: usize) -> &[f32] {
        &self.leaf_proba[leaf * n_classes..(leaf + 1) * n_classes]
    }

    /// The largest feature index tested plus one (0 for a single leaf).
    pub(crate) fn features_used(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| n.feature != LEAF)
            .map(|n| n.feature as usize + 1)
            .max()
            .unwrap_or(0)
    }

    /// Whether the leaf references and child links are consistent with `n_classes`.
    pub(crate) fn is_consistent(&self, n_classes: usize) -> bool {
        let n_leaves = self.n_leaves();
        self.leaf_proba.len() == n_leaves * n_classes
            && self.nodes.iter().enumerate().all(|(i, n)| {
                if n.feature == LEAF {
                    (n.right as usize) < n_leaves
                } else {
                    i + 1 < self.nodes.len()
                        && (n.right as usize) > i + 1
                        && (n.right as usize) < self.nodes.len()
                }
            })
    }
}

/// The training data of a tree: binned features and class indices.
pub(crate) struct TrainingData<'a> {
    /// `n_rows x n_features` bins, column-major: each feature contiguous, for large nodes.
    pub x: &'a [u8],
    /// The same bins row-major: each row contiguous, copied from when a node is small.
    pub rows: &'a [u8],
    pub n_rows: usize,
    pub n_features: usize,
    /// Class index (`< n_classes`) of each row.
    pub y: &'a [u32],
    pub n_classes: usize,
    /// Weight of each class in the impurity.
    pub class_weight: &'a [f64],
}

/// Nodes with at most this many distinct samples copy their rows into a row-major block that
/// stays in the core's cache for the whole subtree (the columns of all features do not fit: each
/// access to a small node's sample would otherwise miss).
pub(crate) const LOCAL_MAX: usize = 1024;

/// Bins seen through strides: `data[row * row_stride + feature * feature_stride]`.
#[derive(Debug, Clone, Copy)]
struct View<'a> {
    data: &'a [u8],
    row_stride: usize,
    feature_stride: usize,
}

impl<'a> View<'a> {
    /// The training data's column-major bins, rows indexed as in the data.
    fn columns(data: &TrainingData<'a>) -> Self {
        View {
            data: data.x,
            row_stride: 1,
            feature_stride: data.n_rows,
        }
    }

    /// Row-major bins of `n_features` per row (a node's rows copied together).
    fn rows(data: &'a [u8], n_features: usize) -> Self {
        View {
            data,
            row_stride: n_features,
            feature_stride: 1,
        }
    }
}

/// The growth limits of a tree, resolved against the data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub criterion: Criterion,
    pub max_features: usize,
    pub max_depth: usize,
    pub min_samples_split: usize,
    pub min_samples_leaf: usize,
    /// Nodes of at most this many distinct samples are grown from a row-major copy
    /// ([`LOCAL_MAX`]; the tree is the same for any value).
    pub local_max: usize,
    /// Nodes of at most this many distinct samples sort them by bin for the integer Gini sweep
    /// instead of sweeping a class-count histogram ([`SORTED_MAX`]; the tree is the same for
    /// any value).
    pub sorted_max: usize,
}

/// Nodes with at most this many distinct samples find their integer Gini splits by sorting the
/// samples by bin (a counting sort over the occupied bins) and moving them one at a time to the
/// left side: a sample updates the sums of squares with two products, where a histogram's bin
/// costs a pass over [`COUNT_LANES`] class counts. In small nodes most bins hold a sample or
/// two, so the sweep per sample is what the histogram's sweep per bin was, several times over.
pub(crate) const SORTED_MAX: usize = 256;

/// A distinct training row in a node, with its class and its bootstrap count.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// The row in the current [`View`].
    row: u32,
    class: u32,
    weight: u32,
}

/// A node waiting to be grown: its samples are `samples[start..end]`.
#[derive(Debug, Clone, Copy)]
struct Frame {
    start: usize,
    end: usize,
    depth: usize,
    n_constants: usize,
    /// The node whose right child this is, if it is one.
    right_of: Option<usize>,
}

/// The best split found so far in a node.
#[derive(Debug, Clone, Copy)]
struct Best {
    proxy: f64,
    feature: usize,
    threshold: u8,
}

/// The buffers of tree growing, reused from tree to tree on one thread.
#[derive(Debug, Default)]
pub(crate) struct Workspace {
    samples: Vec<Sample>,
    /// The samples going right in a partition, in order.
    right: Vec<Sample>,
    stack: Vec<Frame>,
    /// Row-major bins of the small subtree being grown.
    local: Vec<u8>,
    split: SplitBuffers,
}

/// A sample of a node keyed by its bin of the feature being evaluated, for the sorted sweep.
#[derive(Debug, Clone, Copy, Default)]
struct Keyed {
    bin: u32,
    class: u32,
    weight: u32,
}

/// The buffers of the split search.
#[derive(Debug, Default)]
struct SplitBuffers {
    features: Vec<u32>,
    constant_features: Vec<u32>,
    /// 256 bins x `stride` counts: the classes' weights (then zeros up to the stride).
    hist: Vec<u32>,
    /// The distinct samples of each bin, when tracked.
    distinct: Vec<u32>,
    /// Whether each bin is occupied (all clear between histograms).
    flags: Vec<u8>,
    /// The sorted sweep's samples per bin (all 0 between sorts).
    bin_counts: Vec<u32>,
    /// Where each occupied bin starts in the sorted samples (stale outside a sort).
    bin_starts: Vec<u32>,
    /// The bins of the node's samples, in the samples' order, for the sorted sweep.
    bins: Vec<u8>,
    /// The node's samples sorted by bin (stable), for the sorted sweep.
    sorted: Vec<Keyed>,
    /// Weighted class totals of the node and of the best left side.
    total: Vec<f64>,
    best_left: Vec<f64>,
    /// The left side of the split being swept.
    left: LeftSide,
}

/// The left side of a split during a sweep, in one of two forms: weighted class totals (`f64`,
/// any criterion and class weights), or integer class counts when every class weighs 1 and the
/// criterion is Gini. The proxy of the counts needs no loop of floating-point sums: the sums of
/// squares are integers (exact below 2^53, which [`exact_counts`] ensures), so both forms give
/// the same `f64` proxy, bit for bit.
#[derive(Debug, Default)]
struct LeftSide {
    weighted: Vec<f64>,
    counts: [u32; COUNT_LANES],
    /// The node's class counts (the integer form; zeros past the classes).
    total_counts: [u32; COUNT_LANES],
    /// Whether the node counts fewer than 2^16 samples (the integer form): then every sum of
    /// squared counts of a side is below its count squared, 2^32, and sums in `u32` lanes.
    narrow: bool,
}

/// The histogram stride of the integer form: at most this many classes, and bins of a fixed
/// size that the sweep's loops unroll.
const COUNT_LANES: usize = 16;

impl LeftSide {
    /// Readies the side for `n_classes` classes.
    fn reset(&mut self, n_classes: usize) {
        self.total_counts = [0; COUNT_LANES];
        self.weighted.clear();
        self.weighted.resize(n_classes, 0.0);
    }

    /// Starts a node of the integer form whose class totals are `total` (integers).
    fn begin_node(&mut self, total: &[f64]) {
        // At most COUNT_LANES classes: the lanes past them stay 0.
        for (c, &t) in self.total_counts.iter_mut().zip(total) {
            *c = t as u32;
        }
        let count: u64 = self.total_counts.iter().map(|&c| u64::from(c)).sum();
        self.narrow = count < 1 << 16;
    }

    /// Empties the side for a sweep.
    fn clear<const COUNTS: bool>(&mut self) {
        if COUNTS {
            self.counts = [0; COUNT_LANES];
        } else {
            self.weighted.fill(0.0);
        }
    }

    /// Moves the class counts of one bin, `cell` (of [`COUNT_LANES`] counts in the integer
    /// form), to the side, clearing the cell, and returns their sum and, in the integer form,
    /// the side's new [`LeftSide::sums_of_squares`] (zeros otherwise).
    #[inline]
    fn add<const COUNTS: bool>(
        &mut self,
        cell: &mut [u32],
        class_weight: &[f64],
    ) -> (u64, (u64, u64, u64)) {
        let mut moved = 0u64;
        let mut sums = (0, 0, 0);
        if COUNTS {
            let cell: &mut [u32; COUNT_LANES] = cell.try_into().expect("bins of COUNT_LANES");
            // Copied out first: whole-array operations the compiler vectorises.
            let bin = std::mem::replace(cell, [0; COUNT_LANES]);
            let mut counts = self.counts;
            // A bin counts at most the tree's draws, below 2^26 ([`exact_counts`]): u32 lanes.
            let mut moved_lanes = 0u32;
            for (l, h) in counts.iter_mut().zip(bin) {
                *l += h;
                moved_lanes += h;
            }
            self.counts = counts;
            // Summed here and returned, from the counts still in registers: loads of the
            // stored counts (or of stored sums) would wait on the stores.
            sums = self.sums_of_squares();
            moved = u64::from(moved_lanes);
        } else {
            // Branch-free: adding a class's 0.0 leaves its total as it is.
            for ((l, h), &w) in self.weighted.iter_mut().zip(cell).zip(class_weight) {
                *l += f64::from(*h) * w;
                moved += u64::from(std::mem::take(h));
            }
        }
        (moved, sums)
    }

    /// [`proxy_improvement`] of the side against the node's `total` (summing to `weighted`) if
    /// it beats the proxy `best` (any proxy beats `None`). The integer form takes its `sums`
    /// from [`LeftSide::add`] and first tells most losers without a division ([`cannot_beat`]).
    #[inline]
    fn proxy_if_better<const COUNTS: bool>(
        &self,
        criterion: Criterion,
        total: &[f64],
        weighted: f64,
        best: Option<f64>,
        sums: (u64, u64, u64),
    ) -> Option<f64> {
        if COUNTS {
            let (sq_left, sq_right, w_left) = sums;
            return gini_if_better(sq_left, sq_right, w_left, weighted, best);
        }
        let proxy = proxy_improvement(criterion, &self.weighted, total, weighted);
        best.is_none_or(|b| proxy > b).then_some(proxy)
    }

    /// The integer form's sums of squared counts, left and right, and its total count.
    #[inline]
    fn sums_of_squares(&self) -> (u64, u64, u64) {
        if self.narrow {
            // The same sums, exact in u32 (see `narrow`): lanes that the compiler vectorises,
            // where it keeps the u64 form scalar.
            let (mut sq_left, mut sq_right, mut w_left) = (0u32, 0u32, 0u32);
            for (&l, &t) in self.counts.iter().zip(&self.total_counts) {
                let r = t - l;
                sq_left += l * l;
                sq_right += r * r;
                w_left += l;
            }
            return (sq_left.into(), sq_right.into(), w_left.into());
        }
        let (mut sq_left, mut sq_right, mut w_left) = (0u64, 0u64, 0u64);
        for (&l, &t) in self.counts.iter().zip(&self.total_counts) {
            let r = u64::from(t - l);
            let l = u64::from(l);
            sq_left += l * l;
            sq_right += r * r;
            w_left += l;
        }
        (sq_left, sq_right, w_left)
    }

    /// Writes the side's weighted class totals to `out`.
    fn write<const COUNTS: bool>(&self, out: &mut [f64]) {
        if COUNTS {
            for (o, &c) in out.iter_mut().zip(&self.counts) {
                *o = f64::from(c);
            }
        } else {
            out.copy_from_slice(&self.weighted);
        }
    }
}

/// Whether the sweeps of a tree may use integer class counts ([`LeftSide`]): Gini, every class
/// of weight 1 (at most [`COUNT_LANES`] classes), and at most 2^26 bootstrap draws (sums of
/// squares below 2^52, exact in `f64`).
fn exact_counts(criterion: Criterion, class_weight: &[f64], weights: &[u32]) -> bool {
    let draws: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    criterion == Criterion::Gini
        && class_weight.len() <= COUNT_LANES
        && class_weight.iter().all(|&w| w == 1.0)
        && draws <= 1 << 26
}

/// Impurity of weighted class counts summing to `w`, as scikit-learn computes it.
fn impurity(criterion: Criterion, counts: &[f64], w: f64) -> f64 {
    match criterion {
        Criterion::Gini => {
            let sq: f64 = counts.iter().map(|c| c * c).sum();
            1.0 - sq / (w * w)
        }
        Criterion::Entropy => counts
            .iter()
            .filter(|&&c| c > 0.0)
            .map(|&c| {
                let p = c / w;
                -p * p.log2()
            })
            .sum(),
    }
}

/// Grows one tree on the rows with a non-zero `weights` entry (bootstrap counts), adding each
/// split's weighted impurity decrease to `importances` (one entry per feature).
///
/// Nodes are grown depth first from a stack of [`Frame`]s: each is made a leaf or split in two,
/// its samples partitioned in place and its children pushed.
pub(crate) fn grow(
    data: &TrainingData<'_>,
    limits: &Limits,
    weights: &[u32],
    rng: &mut ChaCha8Rng,
    ws: &mut Workspace,
    importances: &mut [f64],
) -> Tree {
    // A sample drawn twice counts once for min_samples_leaf, as in scikit-learn; histograms
    // count distinct samples only where that can matter.
    let track_distinct = limits.min_samples_leaf > 1 && weights.iter().any(|&w| w > 1);
    let exact_counts = exact_counts(limits.criterion, data.class_weight, weights);
    let stride = if exact_counts {
        COUNT_LANES
    } else {
        data.n_classes
    };
    ws.reset(data, weights, stride);
    let Workspace {
        samples,
        right,
        stack,
        local,
        split: buffers,
    } = ws;
    let mut tree = Tree::empty();
    let mut searcher = Searcher {
        class_weight: data.class_weight,
        limits,
        stride,
        track_distinct,
        exact_counts,
        rng,
    };
    let global = View::columns(data);
    // Frames at stack positions >= local_floor belong to the subtree copied into `local`.
    let mut local_floor: Option<usize> = None;
    while let Some(frame) = stack.pop() {
        let index = tree.open(&frame);
        let n_node = frame.end - frame.start;
        if local_floor.is_some_and(|floor| stack.len() < floor) {
            local_floor = None;
        }
        if local_floor.is_none() && n_node <= limits.local_max {
            copy_rows(data, &mut samples[frame.start..frame.end], local);
            // Rows now index `local`, for this frame and its whole subtree.
            local_floor = Some(stack.len());
        }
        let view = match local_floor {
            Some(_) => View::rows(local, data.n_features),
            None => global,
        };

        let node_samples = &samples[frame.start..frame.end];
        let (weighted, raw_total) =
            class_totals(node_samples, data.class_weight, &mut buffers.total);
        let node_impurity = impurity(limits.criterion, &buffers.total, weighted);
        let split = if limits.stop_at(&frame, node_impurity) {
            None
        } else {
            searcher.find_split(buffers, node_samples, view, &frame, raw_total)
        };
        let Some((best, n_constants)) = split else {
            tree.push_leaf(&buffers.total, weighted);
            continue;
        };
        importances[best.feature] +=
            impurity_decrease(limits.criterion, buffers, weighted, node_impurity);
        let mid = frame.start + partition(&mut samples[frame.start..frame.end], right, view, best);
        tree.push_split(best);
        stack.push(frame.child(mid, frame.end, n_constants, Some(index)));
        stack.push(frame.child(frame.start, mid, n_constants, None));
    }
    tree
}

impl Tree {
    /// A tree without nodes, to be grown.
    fn empty() -> Self {
        Tree {
            nodes: Vec::new(),
            leaf_proba: Vec::new(),
            depth: 0,
        }
    }

    /// Starts the node of `frame`: links it to its parent if it is a right child, records its
    /// depth, and returns its index.
    fn open(&mut self, frame: &Frame) -> usize {
        let index = self.nodes.len();
        if let Some(parent) = frame.right_of {
            self.nodes[parent].right = index as u32;
        }
        self.depth = self.depth.max(frame.depth);
        index
    }

    /// Makes the node just opened a split on `best`; its right child is linked when opened.
    fn push_split(&mut self, best: Best) {
        self.nodes.push(Node {
            feature: best.feature as u32,
            threshold: best.threshold,
            right: 0,
        });
    }

    /// Makes the node just opened a leaf whose class probabilities are the weighted class
    /// `total`s (summing to `weighted`) normalised.
    fn push_leaf(&mut self, total: &[f64], weighted: f64) {
        let leaf = self.leaf_proba.len() / total.len().max(1);
        self.nodes.push(Node {
            feature: LEAF,
            threshold: 0,
            right: leaf as u32,
        });
        self.leaf_proba
            .extend(total.iter().map(|&c| (c / weighted) as f32));
    }
}

impl Workspace {
    /// Readies the buffers for a tree on `data` with histograms of `stride` counts per bin:
    /// every feature a candidate, the rows of non-zero `weights` as the samples, the root on
    /// the stack. Buffers keep their capacity from tree to tree.
    fn reset(&mut self, data: &TrainingData<'_>, weights: &[u32], stride: usize) {
        let buffers = &mut self.split;
        buffers.hist.clear();
        buffers.hist.resize(MAX_BINS * stride, 0);
        buffers.distinct.clear();
        buffers.distinct.resize(MAX_BINS, 0);
        buffers.flags.clear();
        buffers.flags.resize(MAX_BINS, 0);
        for bins in [&mut buffers.bin_counts, &mut buffers.bin_starts] {
            bins.clear();
            bins.resize(MAX_BINS, 0);
        }
        for buffer in [&mut buffers.total, &mut buffers.best_left] {
            buffer.clear();
            buffer.resize(data.n_classes, 0.0);
        }
        buffers.left.reset(data.n_classes);
        buffers.features.clear();
        buffers.features.extend(0..data.n_features as u32);
        buffers.constant_features.clone_from(&buffers.features);
        self.samples.clear();
        self.samples
            .extend(
                weights
                    .iter()
                    .enumerate()
                    .filter(|&(_, &w)| w > 0)
                    .map(|(row, &weight)| Sample {
                        row: row as u32,
                        class: data.y[row],
                        weight,
                    }),
            );
        self.stack.clear();
        self.stack.push(Frame {
            start: 0,
            end: self.samples.len(),
            depth: 0,
            n_constants: 0,
            right_of: None,
        });
    }
}

impl Frame {
    /// A child of this node holding `samples[start..end]`, knowing `n_constants` constant
    /// features; `right_of` is this node's index for the right child.
    fn child(&self, start: usize, end: usize, n_constants: usize, right_of: Option<usize>) -> Self {
        Frame {
            start,
            end,
            depth: self.depth + 1,
            n_constants,
            right_of,
        }
    }
}

impl Limits {
    /// Whether the node of `frame`, of impurity `node_impurity`, is a leaf whatever its
    /// samples' features: too deep, too small to split or to leave two leaves, or pure.
    fn stop_at(&self, frame: &Frame, node_impurity: f64) -> bool {
        let n_node = frame.end - frame.start;
        frame.depth >= self.max_depth
            || n_node < self.min_samples_split
            || n_node < 2 * self.min_samples_leaf
            || node_impurity <= f64::EPSILON
    }
}

/// Copies the row-major bins of the rows of `samples` into `local`, one after the other, and
/// renumbers the samples to index `local`.
fn copy_rows(data: &TrainingData<'_>, samples: &mut [Sample], local: &mut Vec<u8>) {
    let n_features = data.n_features;
    local.clear();
    for (i, s) in samples.iter_mut().enumerate() {
        let row = s.row as usize;
        local.extend_from_slice(&data.rows[row * n_features..(row + 1) * n_features]);
        s.row = i as u32;
    }
}

/// The weighted class totals of a node's `samples` into `total` (bootstrap counts times class
/// weights), with their sum and the sum of the bootstrap counts alone.
fn class_totals(samples: &[Sample], class_weight: &[f64], total: &mut [f64]) -> (f64, u64) {
    total.fill(0.0);
    let mut raw_total = 0u64;
    for s in samples {
        total[s.class as usize] += f64::from(s.weight);
        raw_total += u64::from(s.weight);
    }
    for (t, &cw) in total.iter_mut().zip(class_weight) {
        *t *= cw;
    }
    (total.iter().sum(), raw_total)
}

/// The weighted impurity decrease of the best split of a node whose class totals (summing to
/// `weighted`) are in `buffers.total` and of impurity `node_impurity`: the left side's totals
/// are `buffers.best_left`; the right side's are written to `buffers.left.weighted`, free after
/// the sweep.
fn impurity_decrease(
    criterion: Criterion,
    buffers: &mut SplitBuffers,
    weighted: f64,
    node_impurity: f64,
) -> f64 {
    let left_weight: f64 = buffers.best_left.iter().sum();
    let right_weight = weighted - left_weight;
    for ((r, &t), &l) in buffers
        .left
        .weighted
        .iter_mut()
        .zip(&buffers.total)
        .zip(&buffers.best_left)
    {
        *r = t - l;
    }
    weighted * node_impurity
        - left_weight * impurity(criterion, &buffers.best_left, left_weight)
        - right_weight * impurity(criterion, &buffers.left.weighted, right_weight)
}

/// Splits `samples` by `best`, those whose bin is at most the threshold first, and returns how
/// many those are. A stable partition (through `right`, the buffer of the samples going right):
/// the rows of a node stay in increasing order, so that filling a histogram walks each
/// feature's column forwards.
fn partition(samples: &mut [Sample], right: &mut Vec<Sample>, view: View<'_>, best: Best) -> usize {
    let base = best.feature * view.feature_stride;
    right.clear();
    let mut mid = 0;
    for i in 0..samples.len() {
        let s = samples[i];
        if view.data[base + s.row as usize * view.row_stride] <= best.threshold {
            samples[mid] = s;
            mid += 1;
        } else {
            right.push(s);
        }
    }
    samples[mid..].copy_from_slice(right);
    mid
}

/// What the split search needs besides its buffers.
struct Searcher<'a> {
    class_weight: &'a [f64],
    limits: &'a Limits,
    stride: usize,
    track_distinct: bool,
    /// Sweeps count classes as integers ([`LeftSide`]).
    exact_counts: bool,
    rng: &'a mut ChaCha8Rng,
}

impl Searcher<'_> {
    /// The best split of a node (whose class totals are in `buffers.total` and whose
    /// bootstrap counts sum to `raw_total`), with the number of constant features known to its
    /// children; the best left totals are left in `buffers.best_left`. `None` if every feature
    /// is constant in the node.
    fn find_split(
        &mut self,
        buffers: &mut SplitBuffers,
        samples: &[Sample],
        view: View<'_>,
        frame: &Frame,
        raw_total: u64,
    ) -> Option<(Best, usize)> {
        // The node's sample count as min_samples_leaf counts it: distinct or with repeats.
        let count = if self.track_distinct {
            samples.len() as u64
        } else {
            raw_total
        };
        if self.exact_counts {
            buffers.left.begin_node(&buffers.total);
        }
        let n_features = buffers.features.len();
        let n_known_constants = frame.n_constants;
        let mut n_found_constants = 0;
        let mut n_drawn_constants = 0;
        let mut n_total_constants = n_known_constants;
        let mut n_visited = 0;
        let mut f_i = n_features;
        let mut best: Option<Best> = None;
        // scikit-learn's drawing: Fisher-Yates over the features not known to be constant,
        // until max_features non-constant ones have been evaluated.
        while f_i > n_total_constants
            && (n_visited < self.limits.max_features
                || n_visited <= n_found_constants + n_drawn_constants)
        {
            n_visited += 1;
            let f_j = self
                .rng
                .random_range(n_drawn_constants as u32..(f_i - n_found_constants) as u32)
                as usize;
            if f_j < n_known_constants {
                buffers.features.swap(n_drawn_constants, f_j);
                n_drawn_constants += 1;
                continue;
            }
            let f_j = f_j + n_found_constants;
            let feature = buffers.features[f_j] as usize;
            if !self.evaluate(buffers, samples, view, count, feature, &mut best) {
                buffers.features.swap(f_j, n_total_constants);
                n_found_constants += 1;
                n_total_constants += 1;
                continue;
            }
            f_i -= 1;
            buffers.features.swap(f_i, f_j);
        }
        buffers.features[..n_known_constants]
            .copy_from_slice(&buffers.constant_features[..n_known_constants]);
        buffers.constant_features[n_known_constants..n_total_constants]
            .copy_from_slice(&buffers.features[n_known_constants..n_total_constants]);
        best.map(|b| (b, n_total_constants))
    }

    /// Fills the histogram of `feature` over the node and sweeps it, updating `best` (and
    /// `buffers.best_left`). Returns `false` if the feature is constant in the node (told by a
    /// scan, before any histogram).
    fn evaluate(
        &mut self,
        buffers: &mut SplitBuffers,
        samples: &[Sample],
        view: View<'_>,
        count: u64,
        feature: usize,
        best: &mut Option<Best>,
    ) -> bool {
        let column = Column::new(view, feature);
        if is_constant(samples, column) {
            return false;
        }
        if self.exact_counts && samples.len() <= self.limits.sorted_max {
            self.sweep_sorted(buffers, samples, column, count, feature, best);
            return true;
        }
        let distinct = self.track_distinct.then_some(&mut buffers.distinct[..]);
        let flags: &mut [u8; MAX_BINS] = (&mut buffers.flags[..]).try_into().expect("256 flags");
        fill_histogram(
            &mut buffers.hist,
            self.stride,
            distinct,
            flags,
            samples,
            column,
        );
        let occupied = occupied_bins(flags);
        // At least two: the feature is not constant.
        let n_occupied: u32 = occupied.iter().map(|w| w.count_ones()).sum();
        if self.exact_counts {
            self.sweep::<true>(buffers, &occupied, n_occupied, count, feature, best);
        } else {
            self.sweep::<false>(buffers, &occupied, n_occupied, count, feature, best);
        }
        true
    }

    /// Sweeps the `n_occupied` occupied bins of the filled histogram of `feature` in order,
    /// moving each into the left side (and clearing it), and keeps the first best split that
    /// leaves `min_samples_leaf` of the node's `count` on either side in `best`, its left
    /// totals in `buffers.best_left`. `COUNTS`: the left side's integer form ([`LeftSide`]).
    #[inline]
    fn sweep<const COUNTS: bool>(
        &self,
        buffers: &mut SplitBuffers,
        occupied: &[u64; MAX_BINS / 64],
        n_occupied: u32,
        count: u64,
        feature: usize,
        best: &mut Option<Best>,
    ) {
        let stride = self.stride;
        let min_leaf = self.limits.min_samples_leaf as u64;
        let SplitBuffers {
            hist,
            distinct,
            total,
            best_left,
            left,
            ..
        } = buffers;
        let hist = &mut hist[..MAX_BINS * stride];
        let weighted: f64 = total.iter().sum();
        left.clear::<COUNTS>();
        let mut left_count = 0u64;
        let mut seen = 0;
        for (word_index, &word) in occupied.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let bin = word_index * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                seen += 1;
                let cell = &mut hist[bin * stride..(bin + 1) * stride];
                let (moved, sums) = left.add::<COUNTS>(cell, self.class_weight);
                left_count += if self.track_distinct {
                    u64::from(std::mem::take(&mut distinct[bin]))
                } else {
                    moved
                };
                if seen == n_occupied {
                    break;
                }
                if left_count < min_leaf || count - left_count < min_leaf {
                    continue;
                }
                let best_proxy = best.map(|b| b.proxy);
                let criterion = self.limits.criterion;
                if let Some(proxy) =
                    left.proxy_if_better::<COUNTS>(criterion, total, weighted, best_proxy, sums)
                {
                    *best = Some(Best {
                        proxy,
                        feature,
                        threshold: threshold(occupied, word_index, word, bin),
                    });
                    left.write::<COUNTS>(best_left);
                }
            }
        }
    }
}

impl Searcher<'_> {
    /// The integer Gini sweep of a node's `samples` over the bins of `feature` in `column` by
    /// sorting them ([`SORTED_MAX`]): the same splits, in the same order, with the same sums of
    /// squares (exact integers) as [`Searcher::sweep`] over a histogram, so the same `best`.
    /// The node's class counts must be in `buffers.left.total_counts`.
    fn sweep_sorted(
        &self,
        buffers: &mut SplitBuffers,
        samples: &[Sample],
        column: Column<'_>,
        count: u64,
        feature: usize,
        best: &mut Option<Best>,
    ) {
        let flags: &mut [u8; MAX_BINS] = (&mut buffers.flags[..]).try_into().expect("256 flags");
        let counts: &mut [u32; MAX_BINS] = (&mut buffers.bin_counts[..])
            .try_into()
            .expect("256 counts");
        let starts: &mut [u32; MAX_BINS] = (&mut buffers.bin_starts[..])
            .try_into()
            .expect("256 starts");
        let bins = BinBuffers {
            bins: &mut buffers.bins,
            counts,
            starts,
            flags,
        };
        sort_by_bin(&mut buffers.sorted, bins, samples, column);
        let SplitBuffers {
            sorted,
            total,
            best_left,
            left,
            ..
        } = buffers;
        let min_leaf = self.limits.min_samples_leaf as u64;
        let weighted: f64 = total.iter().sum();
        let mut right = left.total_counts;
        left.counts = [0; COUNT_LANES];
        let mut sq_left = 0u64;
        let mut sq_right: u64 = right.iter().map(|&r| u64::from(r) * u64::from(r)).sum();
        let (mut w_left, mut left_count) = (0u64, 0u64);
        for pair in sorted.windows(2) {
            let (s, next) = (pair[0], pair[1]);
            let (class, w) = (s.class as usize, u64::from(s.weight));
            // (l + w)^2 - l^2 and r^2 - (r - w)^2, with r >= w.
            sq_left += w * (2 * u64::from(left.counts[class]) + w);
            sq_right -= w * (2 * u64::from(right[class]) - w);
            left.counts[class] += s.weight;
            right[class] -= s.weight;
            w_left += w;
            left_count += if self.track_distinct { 1 } else { w };
            if next.bin == s.bin || left_count < min_leaf || count - left_count < min_leaf {
                continue;
            }
            let best_proxy = best.map(|b| b.proxy);
            if let Some(proxy) = gini_if_better(sq_left, sq_right, w_left, weighted, best_proxy) {
                *best = Some(Best {
                    proxy,
                    feature,
                    threshold: ((s.bin + next.bin) / 2) as u8,
                });
                left.write::<true>(best_left);
            }
        }
    }
}

/// The buffers of a counting sort by bin.
struct BinBuffers<'a> {
    /// The bins of the samples, in their order.
    bins: &'a mut Vec<u8>,
    /// Samples per bin (all 0 before and after a sort).
    counts: &'a mut [u32; MAX_BINS],
    /// Where the next sample of each occupied bin goes.
    starts: &'a mut [u32; MAX_BINS],
    /// Whether each bin is occupied (all 0 before and after).
    flags: &'a mut [u8; MAX_BINS],
}

/// Sorts the node's `samples` by their bin in `column` into `sorted`: a stable counting sort
/// whose prefix sums visit the occupied bins only (and clear their counts).
#[inline(never)]
fn sort_by_bin(
    sorted: &mut Vec<Keyed>,
    buffers: BinBuffers<'_>,
    samples: &[Sample],
    column: Column<'_>,
) {
    let Column {
        data,
        base,
        row_stride,
    } = column;
    let BinBuffers {
        bins,
        counts,
        starts,
        flags,
    } = buffers;
    bins.clear();
    bins.resize(samples.len(), 0);
    for (b, s) in bins.iter_mut().zip(samples) {
        let bin = data[base + s.row as usize * row_stride];
        *b = bin;
        counts[usize::from(bin)] += 1;
        flags[usize::from(bin)] = 1;
    }
    let mut start = 0;
    for_each_bin(&occupied_bins(flags), |bin| {
        starts[bin] = start;
        start += std::mem::take(&mut counts[bin]);
    });
    sorted.clear();
    sorted.resize(samples.len(), Keyed::default());
    for (s, &bin) in samples.iter().zip(bins.iter()) {
        let slot = &mut starts[usize::from(bin)];
        sorted[*slot as usize] = Keyed {
            bin: u32::from(bin),
            class: s.class,
            weight: s.weight,
        };
        *slot += 1;
    }
}

/// Calls `f` with every bin of the bit mask `occupied`, in increasing order.
#[inline]
fn for_each_bin(occupied: &[u64; MAX_BINS / 64], mut f: impl FnMut(usize)) {
    for (word_index, &word) in occupied.iter().enumerate() {
        let mut word = word;
        while word != 0 {
            f(word_index * 64 + word.trailing_zeros() as usize);
            word &= word - 1;
        }
    }
}

/// One feature's bins in a [`View`]: `data[base + row * row_stride]`.
#[derive(Clone, Copy)]
struct Column<'a> {
    data: &'a [u8],
    base: usize,
    row_stride: usize,
}

impl<'a> Column<'a> {
    fn new(view: View<'a>, feature: usize) -> Self {
        Column {
            data: view.data,
            base: feature * view.feature_stride,
            row_stride: view.row_stride,
        }
    }
}

/// Whether every sample of the node has the same bin in `column` (no histogram needed: the
/// scan stops at the first other bin, within a few samples for most features).
fn is_constant(samples: &[Sample], column: Column<'_>) -> bool {
    let bin = |s: &Sample| column.data[column.base + s.row as usize * column.row_stride];
    let first = samples.first().map(bin);
    samples.iter().all(|s| Some(bin(s)) == first)
}

/// Adds the node's samples to the class histogram `hist` of the feature of `column` (`stride`
/// counts per bin: the classes' weights), to the `distinct` samples per bin if tracked, and
/// flags their bins. Out of line: the loop keeps its few values in registers. The flags are
/// stores only, where a bit mask of the bins would chain every sample to the previous one
/// through memory.
#[inline(never)]
fn fill_histogram(
    hist: &mut [u32],
    stride: usize,
    distinct: Option<&mut [u32]>,
    flags: &mut [u8; MAX_BINS],
    samples: &[Sample],
    column: Column<'_>,
) {
    let Column {
        data,
        base,
        row_stride,
    } = column;
    match distinct {
        None => {
            for s in samples {
                let bin = data[base + s.row as usize * row_stride];
                hist[usize::from(bin) * stride + s.class as usize] += s.weight;
                flags[usize::from(bin)] = 1;
            }
        }
        Some(distinct) => {
            for s in samples {
                let bin = data[base + s.row as usize * row_stride];
                hist[usize::from(bin) * stride + s.class as usize] += s.weight;
                distinct[usize::from(bin)] += 1;
                flags[usize::from(bin)] = 1;
            }
        }
    }
}

/// The bit mask of the flagged bins (bin `b` is bit `b % 64` of word `b / 64`); clears the flags.
fn occupied_bins(flags: &mut [u8; MAX_BINS]) -> [u64; MAX_BINS / 64] {
    let mut occupied = [0u64; MAX_BINS / 64];
    for (word, bins) in occupied.iter_mut().zip(flags.chunks_exact(64)) {
        for (k, eight) in bins.chunks_exact(8).enumerate() {
            let bytes = u64::from_le_bytes(eight.try_into().expect("8 flags"));
            // Each byte is 0 or 1: the product gathers byte i's bit at bit 56 + i, no carries.
            *word |= (bytes.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
        }
    }
    flags.fill(0);
    occupied
}

/// The threshold of a split after occupied bin `bin` of word `word_index` (whose bins after
/// `bin` are `word`): halfway to the next occupied bin, as scikit-learn's threshold, so the same
/// partition of the node and the same side for values unseen in it.
fn threshold(occupied: &[u64; MAX_BINS / 64], word_index: usize, word: u64, bin: usize) -> u8 {
    let next = word_index * 64
        + if word != 0 {
            word.trailing_zeros() as usize
        } else {
            64 + next_occupied(occupied, word_index + 1)
        };
    ((bin + next) / 2) as u8
}

/// Offset, from the start of word `from`, of the first occupied bin at or after that word
/// (there is one: the sweep stops before the last occupied bin).
fn next_occupied(occupied: &[u64], from: usize) -> usize {
    let mut offset = 0;
    for &word in &occupied[from..] {
        if word != 0 {
            return offset + word.trailing_zeros() as usize;
        }
        offset += 64;
    }
    offset
}

/// The Gini proxy of a split whose sides' weights are `w_left` and `w_right` and whose sides'
/// sums of squared class weights are `sq_left` and `sq_right`.
#[inline]
fn gini_proxy(sq_left: f64, sq_right: f64, w_left: f64, w_right: f64) -> f64 {
    -w_right * (1.0 - sq_right / (w_right * w_right)) - w_left * (1.0 - sq_left / (w_left * w_left))
}

/// The Gini proxy of a split of a node of weight `weighted` whose sides' integer sums of squared
/// class counts are `sq_left` and `sq_right` and whose left side counts `w_left`, if it beats
/// the proxy `best` (any proxy beats `None`); most losers are told without a division
/// ([`cannot_beat`]).
#[inline]
fn gini_if_better(
    sq_left: u64,
    sq_right: u64,
    w_left: u64,
    weighted: f64,
    best: Option<f64>,
) -> Option<f64> {
    let (sq_left, sq_right, w_left) = (sq_left as f64, sq_right as f64, w_left as f64);
    let w_right = weighted - w_left;
    if best.is_some_and(|b| cannot_beat(sq_left, sq_right, w_left, w_right, b)) {
        return None;
    }
    let proxy = gini_proxy(sq_left, sq_right, w_left, w_right);
    best.is_none_or(|b| proxy > b).then_some(proxy)
}

/// Whether the Gini proxy of a split (as [`gini_proxy`] computes it from integer sums of
/// squares and weights, both weights positive) is certainly at most `best`, told without a
/// division.
///
/// The proxy is `sq_left / w_left + sq_right / w_right - (w_left + w_right)`; multiplied by
/// `w_left * w_right > 0`, "proxy < best - margin" needs products only. The margin, `2^-30`
/// of the node's weight, is far above the rounding of either side (a few units of `2^-53`
/// relative to that weight): a split told a loser here would lose the exact comparison as
/// well, so the trees stay the same.
#[inline]
fn cannot_beat(sq_left: f64, sq_right: f64, w_left: f64, w_right: f64, best: f64) -> bool {
    let weighted = w_left + w_right;
    let margin = weighted * (1.0 / (1u64 << 30) as f64);
    sq_left * w_right + sq_right * w_left < (best + weighted - margin) * (w_left * w_right)
}

/// scikit-learn's `proxy_impurity_improvement`: `-w_right * impurity_right - w_left *
/// impurity_left`, larger is better.
#[inline]
fn proxy_improvement(criterion: Criterion, left: &[f64], total: &[f64], weighted: f64) -> f64 {
    let w_left: f64 = left.iter().sum();
    let w_right = weighted - w_left;
    match criterion {
        Criterion::Gini => {
            let mut sq_left = 0.0;
            let mut sq_right = 0.0;
            for (&l, &t) in left.iter().zip(total) {
                let r = t - l;
                sq_left += l * l;
                sq_right += r * r;
            }
            gini_proxy(sq_left, sq_right, w_left, w_right)
        }
        Criterion::Entropy => {
            let mut entropy_left = 0.0;
            let mut entropy_right = 0.0;
            for (&l, &t) in left.iter().zip(total) {
                let r = t - l;
                if l > 0.0 {
                    let p = l / w_left;
                    entropy_left -= p * p.log2();
                }
                if r > 0.0 {
                    let p = r / w_right;
                    entropy_right -= p * p.log2();
                }
            }
            -w_right * entropy_right - w_left * entropy_left
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The Gini inputs of random class counts (1 to 16 classes, weights up to 2^26 / 16).
    fn random_split(rng: &mut ChaCha8Rng) -> (f64, f64, f64, f64) {
        let n_classes = rng.random_range(1..=COUNT_LANES);
        let scale = 1u64 << rng.random_range(0..22);
        let (mut sq_left, mut sq_right, mut w_left, mut w_right) = (0u64, 0, 0, 0);
        for _ in 0..n_classes {
            let (l, r) = (rng.random_range(0..=scale), rng.random_range(0..=scale));
            (sq_left, sq_right, w_left, w_right) =
                (sq_left + l * l, sq_right + r * r, w_left + l, w_right + r);
        }
        let (w_left, w_right) = (w_left.max(1), w_right.max(1));
        let sq_left = sq_left.max(1);
        let sq_right = sq_right.max(1);
        (
            sq_left as f64,
            sq_right as f64,
            w_left as f64,
            w_right as f64,
        )
    }

    #[test]
    fn a_split_told_a_loser_without_division_loses_the_exact_comparison() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut told = 0;
        for _ in 0..200_000 {
            let (sq_left, sq_right, w_left, w_right) = random_split(&mut rng);
            let proxy = gini_proxy(sq_left, sq_right, w_left, w_right);
            // Bests at, just around and far from the proxy.
            let ulp = proxy.abs() * f64::EPSILON;
            let shift = [0.0, ulp, -ulp, 1e3 * ulp, -1e3 * ulp, 1.0, -1.0][rng.random_range(0..7)];
            let best = proxy + shift;
            if cannot_beat(sq_left, sq_right, w_left, w_right, best) {
                told += 1;
                assert!(
                    proxy <= best,
                    "{sq_left} {sq_right} {w_left} {w_right} {best}"
                );
            }
        }
        // The test tells the clear cases (a best 1 above the proxy), not the near ties.
        assert!(told > 20_000, "{told}");
    }

    #[test]
    fn rows_walked_side_by_side_reach_their_own_leaves() {
        let (n_rows, n_features) = (2_000, 9);
        let random = RandomData::new(n_rows, n_features, 2);
        let data = random.training();
        let limits = Limits {
            criterion: Criterion::Gini,
            max_features: 3,
            max_depth: usize::MAX,
            min_samples_split: 2,
            min_samples_leaf: 1,
            local_max: LOCAL_MAX,
            sorted_max: SORTED_MAX,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let weights = vec![1; n_rows];
        let mut importances = vec![0.0; n_features];
        let mut ws = Workspace::default();
        let tree = grow(
            &data,
            &limits,
            &weights,
            &mut rng,
            &mut ws,
            &mut importances,
        );
        assert!(tree.depth() > 5);
        // 2,000 rows: 250 full groups of 8; 7 rows: one partial group.
        for rows in [&random.rows[..], &random.rows[..7 * n_features]] {
            for (g, group) in rows.chunks(8 * n_features).enumerate() {
                let leaves = tree.leaves::<8>(group, n_features);
                for (k, row) in group.chunks_exact(n_features).enumerate() {
                    assert_eq!(leaves[k], tree.leaf(|j| row[j]), "row {}", g * 8 + k);
                }
            }
        }
    }

    #[test]
    fn narrow_sums_of_squares_are_the_wide_ones() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for _ in 0..10_000 {
            let mut side = LeftSide::default();
            // Node counts up to 2^16 - 1, as `narrow` allows, some near the bound.
            let n_classes = rng.random_range(1..=COUNT_LANES);
            let cap = (u32::MAX >> 16) / n_classes as u32;
            for c in 0..n_classes {
                side.total_counts[c] = rng.random_range(0..=cap);
                side.counts[c] = rng.random_range(0..=side.total_counts[c]);
            }
            let count: u32 = side.total_counts.iter().sum();
            assert!(count < 1 << 16);
            let wide = side.sums_of_squares();
            side.narrow = true;
            assert_eq!(side.sums_of_squares(), wide);
        }
    }

    /// Random bins of few values (many ties and constant features) and three classes, in both
    /// of the trees' layouts.
    struct RandomData {
        x: Vec<u8>,
        rows: Vec<u8>,
        y: Vec<u32>,
        n_rows: usize,
        n_features: usize,
    }

    impl RandomData {
        fn new(n_rows: usize, n_features: usize, seed: u64) -> Self {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let x: Vec<u8> = (0..n_rows * n_features)
                .map(|i| {
                    if i % 7 == 0 {
                        0
                    } else {
                        rng.random_range(0..12u8)
                    }
                })
                .collect();
            let mut rows = vec![0u8; x.len()];
            for r in 0..n_rows {
                for j in 0..n_features {
                    rows[r * n_features + j] = x[j * n_rows + r];
                }
            }
            let y = (0..n_rows)
                .map(|r| {
                    (u32::from(x[r]) + u32::from(x[n_rows + r]) + rng.random_range(0..2u32)) % 3
                })
                .collect();
            Self {
                x,
                rows,
                y,
                n_rows,
                n_features,
            }
        }

        /// The data as the trees see it, every class of weight 1.
        fn training(&self) -> TrainingData<'_> {
            TrainingData {
                x: &self.x,
                rows: &self.rows,
                n_rows: self.n_rows,
                n_features: self.n_features,
                y: &self.y,
                n_classes: 3,
                class_weight: &[1.0; 3],
            }
        }
    }

    #[test]
    fn the_row_major_copy_and_the_sorted_sweep_of_small_nodes_change_nothing() {
        let (n_rows, n_features) = (3_000, 9);
        let random = RandomData::new(n_rows, n_features, 1);
        let data = random.training();
        let weights: Vec<u32> = (0..n_rows as u32).map(|i| i % 3).collect();
        let grow_with = |local_max, sorted_max| {
            let limits = Limits {
                criterion: Criterion::Gini,
                max_features: 3,
                max_depth: usize::MAX,
                min_samples_split: 2,
                min_samples_leaf: 2,
                local_max,
                sorted_max,
            };
            let mut importances = vec![0.0; n_features];
            let mut rng = ChaCha8Rng::seed_from_u64(5);
            let tree = grow(
                &data,
                &limits,
                &weights,
                &mut rng,
                &mut Workspace::default(),
                &mut importances,
            );
            (tree, importances)
        };
        let (global, global_importances) = grow_with(0, 0);
        assert!(global.n_nodes() > 100 && global.is_consistent(3));
        let sizes = [
            (64, 0),
            (500, 0),
            (usize::MAX, 0),
            (0, 40),
            (500, 300),
            (64, usize::MAX),
        ];
        for (local_max, sorted_max) in sizes {
            let (tree, importances) = grow_with(local_max, sorted_max);
            assert_eq!(tree, global);
            assert_eq!(importances, global_importances);
        }
    }
}
