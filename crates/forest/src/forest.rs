//! Fitting a forest (bootstrap, parallel trees) and predicting with it.

use std::sync::atomic::{AtomicUsize, Ordering};

use fmnist_core::{Fit, FormatVersion, InputError, Predict, PredictProba, validate};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{ForestError, Result};
use crate::features::{Binner, Features, narrow_labels};
use crate::params::{ClassWeight, RandomForestParams};
use crate::tree::{self, Limits, TrainingData, Tree, Workspace};

/// A Random Forest classifier: [`RandomForest::params`] gives the parameters, whose
/// [`RandomForestParams::fit`] returns a [`FittedRandomForest`].
#[derive(Debug, Clone, Copy)]
pub struct RandomForest;

impl RandomForest {
    /// scikit-learn's defaults: 100 trees, Gini, `sqrt` features per split, fully grown trees,
    /// bootstrap, seed 0.
    pub fn params() -> RandomForestParams {
        RandomForestParams::default()
    }
}

impl RandomForestParams {
    /// Fits a forest to the features `x` (one row per sample) and the class labels `y` (any
    /// integers up to `u32::MAX`; the classes are the distinct labels, sorted).
    ///
    /// Trees are grown in parallel on rayon's pool; the result depends on the seed only.
    ///
    /// # Errors
    /// [`ForestError::InvalidParameter`] for a parameter out of range (from
    /// [`RandomForestParams::check`], which runs first, or a `max_features` count above the
    /// number of features), [`ForestError::Input`] for no rows or no features or a NaN or ±inf
    /// `f32` feature, [`ForestError::LabelCountMismatch`], [`ForestError::ClassLabelTooLarge`].
    /// A single class is no error: the forest always predicts it.
    pub fn fit<X: Features, L: Copy + Into<u64>>(
        &self,
        x: &X,
        y: &[L],
    ) -> Result<FittedRandomForest> {
        self.fit_with_progress(x, y, |_| {})
    }

    /// [`RandomForestParams::fit`], calling `progress(trees_done)` after each tree (from the
    /// worker threads, in completion order).
    ///
    /// # Errors
    /// As [`RandomForestParams::fit`].
    pub fn fit_with_progress<X: Features, L: Copy + Into<u64>>(
        &self,
        x: &X,
        y: &[L],
        progress: impl Fn(usize) + Sync,
    ) -> Result<FittedRandomForest> {
        self.check()?;
        let (n_rows, n_features) = x.shape();
        if n_rows == 0 {
            return Err(InputError::NoSamples.into());
        }
        if n_features == 0 {
            return Err(InputError::NoFeatures.into());
        }
        if y.len() != n_rows {
            return Err(ForestError::LabelCountMismatch {
                rows: n_rows,
                labels: y.len(),
            });
        }
        if u32::try_from(n_rows).is_err() || u32::try_from(n_features).is_err() {
            return Err(ForestError::InvalidParameter(format!(
                "{n_rows} x {n_features} is too large: at most u32::MAX - 1 rows and features"
            )));
        }
        let (classes, y_index) = encode_classes(y)?;
        let class_weight = class_weights(self.class_weight, &y_index, classes.len());
        let (binner, bins) = x.bin_for_fit()?;
        let rows = row_major(&bins, n_rows, n_features);
        let data = TrainingData {
            x: &bins,
            rows: &rows,
            n_rows,
            n_features,
            y: &y_index,
            n_classes: classes.len(),
            class_weight: &class_weight,
        };
        let limits = Limits {
            criterion: self.criterion,
            max_features: self.max_features.resolve(n_features)?,
            max_depth: self.max_depth.unwrap_or(usize::MAX),
            min_samples_split: self.min_samples_split,
            min_samples_leaf: self.min_samples_leaf,
            local_max: tree::LOCAL_MAX,
            sorted_max: tree::SORTED_MAX,
        };
        let n_draws = self.max_samples.resolve(n_rows)?;

        let mut master = ChaCha8Rng::seed_from_u64(self.seed);
        let seeds: Vec<u64> = (0..self.n_trees).map(|_| master.random()).collect();
        let done = AtomicUsize::new(0);
        let grown: Vec<GrownTree> = seeds
            .into_par_iter()
            .map_init(Workspace::default, |ws, seed| {
                let grown = self.grow_one(&data, &limits, n_draws, seed, ws);
                progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                grown
            })
            .collect();

        let oob_score = self
            .oob_score
            .then(|| oob_accuracy(&grown, &y_index, classes.len()));
        let feature_importances = mean_importances(&grown, n_features);
        Ok(FittedRandomForest {
            format_version: FormatVersion,
            params: *self,
            classes,
            n_features,
            binner,
            trees: grown.into_iter().map(|g| g.tree).collect(),
            feature_importances,
            oob_score,
        })
    }

    /// Grows the tree of one seed: bootstrap counts, the tree, its normalised impurity
    /// decreases and (if asked) the leaves of its out-of-bag rows.
    fn grow_one(
        &self,
        data: &TrainingData<'_>,
        limits: &Limits,
        n_draws: usize,
        seed: u64,
        ws: &mut Workspace,
    ) -> GrownTree {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let weights = if self.bootstrap {
            let mut counts = vec![0u32; data.n_rows];
            for _ in 0..n_draws {
                counts[rng.random_range(0..data.n_rows as u32) as usize] += 1;
            }
            counts
        } else {
            vec![1u32; data.n_rows]
        };
        let mut importances = vec![0.0; data.n_features];
        let tree = tree::grow(data, limits, &weights, &mut rng, ws, &mut importances);
        let root_weight: f64 = weights
            .iter()
            .zip(data.y)
            .map(|(&w, &c)| f64::from(w) * data.class_weight[c as usize])
            .sum();
        for importance in &mut importances {
            *importance /= root_weight;
        }
        let sum: f64 = importances.iter().sum();
        if sum > 0.0 {
            for importance in &mut importances {
                *importance /= sum;
            }
        }
        let oob_leaves = if self.oob_score {
            (0..data.n_rows)
                .filter(|&row| weights[row] == 0)
                .map(|row| {
                    let leaf = tree.leaf(|j| data.x[j * data.n_rows + row]);
                    (row as u32, leaf as u32)
                })
                .collect()
        } else {
            Vec::new()
        };
        GrownTree {
            tree,
            importances,
            oob_leaves,
        }
    }
}

/// Training data of a classifier: the features (one row per sample) and one class label per
/// row, borrowed. The `D` of the forest's [`Fit`] implementation, so that code written against
/// `fmnist_core`'s traits fits a forest as it fits the unsupervised estimators:
///
/// ```
/// use fmnist_core::{Fit, Predict};
/// use fmnist_forest::{Labelled, RandomForest};
/// use nalgebra::DMatrix;
///
/// let x = DMatrix::from_row_slice(4, 1, &[0u8, 10, 200, 210]);
/// let y = [0u8, 0, 1, 1];
/// let params = RandomForest::params().n_trees(5).bootstrap(false);
/// let forest = Fit::fit(&params, &Labelled::new(&x, &y))?;
/// assert_eq!(Predict::predict(&forest, &x)?, vec![0, 0, 1, 1]);
/// # Ok::<(), fmnist_forest::ForestError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Labelled<'a, X, L> {
    /// The features: a `DMatrix<u8>` or a `DMatrix<f32>`, one row per sample.
    pub x: &'a X,
    /// The class label of every row (any integers up to `u32::MAX`).
    pub y: &'a [L],
}

impl<'a, X, L> Labelled<'a, X, L> {
    /// The features `x` with the labels `y` (their lengths are checked by the fit).
    pub fn new(x: &'a X, y: &'a [L]) -> Self {
        Self { x, y }
    }
}

impl<X: Features, L: Copy + Into<u64>> Fit<Labelled<'_, X, L>> for RandomForestParams {
    type Fitted = FittedRandomForest;
    type Error = ForestError;

    /// [`RandomForestParams::fit`] on the data's features and labels.
    fn fit(&self, data: &Labelled<'_, X, L>) -> Result<FittedRandomForest> {
        RandomForestParams::fit(self, data.x, data.y)
    }
}

/// The column-major `n_rows x n_features` bins in row-major order.
fn row_major(bins: &[u8], n_rows: usize, n_features: usize) -> Vec<u8> {
    const BLOCK: usize = 64;
    let mut rows = vec![0u8; bins.len()];
    rows.par_chunks_mut(BLOCK * n_features)
        .enumerate()
        .for_each(|(block, out)| {
            transpose_block(bins, n_rows, block * BLOCK, out);
        });
    rows
}

/// Rows `first..` of the column-major bins, row-major into `out` (as many rows as it holds).
fn transpose_block(bins: &[u8], n_rows: usize, first: usize, out: &mut [u8]) {
    let n_features = bins.len() / n_rows;
    let n = out.len() / n_features;
    for (j, column) in bins.chunks_exact(n_rows).enumerate() {
        for (r, &bin) in column[first..first + n].iter().enumerate() {
            out[r * n_features + j] = bin;
        }
    }
}

/// A tree with what fitting learns from it besides its nodes.
struct GrownTree {
    tree: Tree,
    importances: Vec<f64>,
    /// `(row, leaf)` of every out-of-bag row, when the OOB score is asked for.
    oob_leaves: Vec<(u32, u32)>,
}

/// The sorted distinct labels and each label's index among them.
fn encode_classes<L: Copy + Into<u64>>(y: &[L]) -> Result<(Vec<u32>, Vec<u32>)> {
    let labels: Vec<u32> = narrow_labels(y, |row, label| ForestError::ClassLabelTooLarge {
        row,
        label,
    })?;
    let mut classes = labels.clone();
    classes.sort_unstable();
    classes.dedup();
    let index = labels
        .iter()
        .map(|l| classes.binary_search(l).expect("every label is a class") as u32)
        .collect();
    Ok((classes, index))
}

/// Weight of each class: 1, or `n / (n_classes * n_c)` for [`ClassWeight::Balanced`].
fn class_weights(class_weight: ClassWeight, y: &[u32], n_classes: usize) -> Vec<f64> {
    match class_weight {
        ClassWeight::Uniform => vec![1.0; n_classes],
        ClassWeight::Balanced => {
            let mut counts = vec![0usize; n_classes];
            for &c in y {
                counts[c as usize] += 1;
            }
            counts
                .iter()
                .map(|&n_c| y.len() as f64 / (n_classes as f64 * n_c as f64))
                .collect()
        }
    }
}

/// scikit-learn's `feature_importances_`: the mean over trees that split at all of each tree's
/// normalised importances, normalised again.
fn mean_importances(grown: &[GrownTree], n_features: usize) -> Vec<f64> {
    let mut mean = vec![0.0; n_features];
    for g in grown.iter().filter(|g| g.tree.n_nodes() > 1) {
        for (m, &i) in mean.iter_mut().zip(&g.importances) {
            *m += i;
        }
    }
    let sum: f64 = mean.iter().sum();
    if sum > 0.0 {
        for m in &mut mean {
            *m /= sum;
        }
    }
    mean
}

/// Accuracy of the out-of-bag predictions over the rows that are out of bag for some tree.
fn oob_accuracy(grown: &[GrownTree], y: &[u32], n_classes: usize) -> f64 {
    let mut votes = vec![0.0f64; y.len() * n_classes];
    let mut seen = vec![false; y.len()];
    for g in grown {
        for &(row, leaf) in &g.oob_leaves {
            let row = row as usize;
            seen[row] = true;
            let proba = g.tree.proba(leaf as usize, n_classes);
            for (v, &p) in votes[row * n_classes..].iter_mut().zip(proba) {
                *v += f64::from(p);
            }
        }
    }
    let (mut right, mut total) = (0usize, 0usize);
    for (row, &class) in y.iter().enumerate() {
        if seen[row] {
            total += 1;
            right += usize::from(
                argmax(&votes[row * n_classes..(row + 1) * n_classes]) == class as usize,
            );
        }
    }
    if total == 0 {
        0.0
    } else {
        right as f64 / total as f64
    }
}

/// Index of the first largest value.
fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

/// A fitted Random Forest. Serialise it with serde to save it; deserialising checks the format
/// version ([`FormatVersion`], 1; a form without it, from before the field existed, is version
/// 1) and that the trees are well formed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredForest")]
pub struct FittedRandomForest {
    format_version: FormatVersion<1>,
    params: RandomForestParams,
    classes: Vec<u32>,
    n_features: usize,
    binner: Option<Binner>,
    trees: Vec<Tree>,
    feature_importances: Vec<f64>,
    oob_score: Option<f64>,
}

/// Depth and size of the trees of a forest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TreeStats {
    /// Number of trees.
    pub n_trees: usize,
    /// Depth of the shallowest tree.
    pub min_depth: usize,
    /// Mean depth.
    pub mean_depth: f64,
    /// Depth of the deepest tree.
    pub max_depth: usize,
    /// Mean number of leaves per tree.
    pub mean_leaves: f64,
    /// Nodes of all trees together.
    pub total_nodes: usize,
}

/// Rows per block of prediction: transposed to row-major, then every tree runs over the block
/// while its nodes stay in cache.
const PREDICT_BLOCK: usize = 128;

/// Rows of a block that walk a tree side by side ([`Tree::leaves`]).
const PREDICT_WALKS: usize = 8;

impl FittedRandomForest {
    /// The parameters it was fitted with.
    pub fn params(&self) -> &RandomForestParams {
        &self.params
    }

    /// The classes, sorted: the columns of [`FittedRandomForest::predict_proba`].
    pub fn classes(&self) -> &[u32] {
        &self.classes
    }

    /// Number of features it was fitted on.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.trees.len()
    }

    /// The trees.
    pub fn trees(&self) -> &[Tree] {
        &self.trees
    }

    /// The bins learnt from `f32` features, `None` for a forest fitted on `u8` features.
    pub fn binner(&self) -> Option<&Binner> {
        self.binner.as_ref()
    }

    /// Mean decrease in impurity per feature (scikit-learn's `feature_importances_`): sums to 1
    /// unless no tree splits at all (then all 0).
    pub fn feature_importances(&self) -> &[f64] {
        &self.feature_importances
    }

    /// Out-of-bag accuracy, over the training rows left out by at least one tree, when
    /// `oob_score` was asked for.
    pub fn oob_score(&self) -> Option<f64> {
        self.oob_score
    }

    /// Depth and size statistics of the trees.
    pub fn tree_stats(&self) -> TreeStats {
        let depths = self.trees.iter().map(Tree::depth);
        let n = self.trees.len().max(1) as f64;
        TreeStats {
            n_trees: self.trees.len(),
            min_depth: depths.clone().min().unwrap_or(0),
            mean_depth: depths.clone().sum::<usize>() as f64 / n,
            max_depth: depths.max().unwrap_or(0),
            mean_leaves: self.trees.iter().map(Tree::n_leaves).sum::<usize>() as f64 / n,
            total_nodes: self.trees.iter().map(Tree::n_nodes).sum(),
        }
    }

    /// Class probabilities, one row per sample and one column per class of
    /// [`FittedRandomForest::classes`]: the mean of the trees' leaf frequencies, as
    /// scikit-learn's `predict_proba`.
    ///
    /// # Errors
    /// [`ForestError::Input`] for another number of features than fitted on or a NaN or ±inf
    /// `f32` feature, [`ForestError::FeatureKindMismatch`] (`u8` features for a forest fitted on
    /// `f32` or the reverse).
    pub fn predict_proba<X: Features>(&self, x: &X) -> Result<DMatrix<f64>> {
        let (n_rows, n_features) = x.shape();
        validate::check_width(n_features, self.n_features)?;
        let bins = x.bin_for_predict(self.binner.as_ref())?;
        let n_classes = self.classes.len();
        let mut proba = vec![0.0f64; n_rows * n_classes];
        proba
            .par_chunks_mut(PREDICT_BLOCK * n_classes)
            .enumerate()
            .for_each_init(Vec::new, |block_rows, (block, out)| {
                let first = block * PREDICT_BLOCK;
                let rows = out.len() / n_classes;
                block_rows.clear();
                block_rows.resize(rows * n_features, 0u8);
                transpose_block(&bins, n_rows, first, block_rows);
                for tree in &self.trees {
                    for (rows, acc) in block_rows
                        .chunks(PREDICT_WALKS * n_features)
                        .zip(out.chunks_mut(PREDICT_WALKS * n_classes))
                    {
                        let leaves = tree.leaves::<PREDICT_WALKS>(rows, n_features);
                        for (acc, &leaf) in acc.chunks_exact_mut(n_classes).zip(&leaves) {
                            for (a, &p) in acc.iter_mut().zip(tree.proba(leaf, n_classes)) {
                                *a += f64::from(p);
                            }
                        }
                    }
                }
                let n_trees = self.trees.len() as f64;
                for a in out.iter_mut() {
                    *a /= n_trees;
                }
            });
        Ok(DMatrix::from_row_slice(n_rows, n_classes, &proba))
    }

    /// The most probable class of each row (the first of equals, as scikit-learn).
    ///
    /// # Errors
    /// As [`FittedRandomForest::predict_proba`].
    pub fn predict<X: Features>(&self, x: &X) -> Result<Vec<u32>> {
        let proba = self.predict_proba(x)?;
        Ok(proba
            .row_iter()
            .map(|row| {
                let row: Vec<f64> = row.iter().copied().collect();
                self.classes[argmax(&row)]
            })
            .collect())
    }
}

impl<X: Features> Predict<X> for FittedRandomForest {
    type Output = Vec<u32>;
    type Error = ForestError;

    /// [`FittedRandomForest::predict`].
    fn predict(&self, x: &X) -> Result<Vec<u32>> {
        FittedRandomForest::predict(self, x)
    }
}

impl<X: Features> PredictProba<X> for FittedRandomForest {
    type Output = DMatrix<f64>;
    type Error = ForestError;

    /// [`FittedRandomForest::predict_proba`].
    fn predict_proba(&self, x: &X) -> Result<DMatrix<f64>> {
        FittedRandomForest::predict_proba(self, x)
    }
}

/// The serialised form, checked before it becomes a [`FittedRandomForest`].
#[derive(Deserialize)]
struct StoredForest {
    #[serde(default)]
    format_version: FormatVersion<1>,
    params: RandomForestParams,
    classes: Vec<u32>,
    n_features: usize,
    binner: Option<Binner>,
    trees: Vec<Tree>,
    feature_importances: Vec<f64>,
    oob_score: Option<f64>,
}

impl TryFrom<StoredForest> for FittedRandomForest {
    type Error = String;

    fn try_from(s: StoredForest) -> std::result::Result<Self, String> {
        let n_classes = s.classes.len();
        if n_classes == 0 || s.trees.is_empty() {
            return Err("a forest needs at least one class and one tree".into());
        }
        if s.feature_importances.len() != s.n_features
            || s.binner
                .as_ref()
                .is_some_and(|b| b.edges().len() != s.n_features)
        {
            return Err(format!(
                "the forest is not one of {} features",
                s.n_features
            ));
        }
        for (i, tree) in s.trees.iter().enumerate() {
            if !tree.is_consistent(n_classes) || tree.features_used() > s.n_features {
                return Err(format!("tree {i} is malformed"));
            }
        }
        Ok(Self {
            format_version: s.format_version,
            params: s.params,
            classes: s.classes,
            n_features: s.n_features,
            binner: s.binner,
            trees: s.trees,
            feature_importances: s.feature_importances,
            oob_score: s.oob_score,
        })
    }
}
