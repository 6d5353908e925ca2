//! UMAP parameters ([`Umap`]), the fitted model ([`FittedUmap`]) and the progress events.

use std::sync::OnceLock;

use fmnist_core::validate::{self, check_features, check_matrix};
use fmnist_core::{Fit, Transform};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::FormatVersion;
use crate::ab::find_ab_params;
use crate::error::{ManifoldError, Result};
use crate::graph::{FuzzyGraph, fuzzy_simplicial_set, memberships, smooth_knn_dist};
use crate::graph_search::{NeighbourLists, SearchGraph};
pub use crate::init::Init;
use crate::init::{initial_layout, stream};
pub use crate::knn::Metric;
use crate::knn::{Index, NeighborSearch, Points};
use crate::layout::Layout;
use crate::rng::point_key;

/// A step of a fit or transform, reported through the progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// The neighbour graph is built.
    Neighbors,
    /// The fuzzy simplicial set is built; it has `edges` directed edges.
    Graph {
        /// Stored edges (both directions of every symmetric edge).
        edges: usize,
    },
    /// The starting layout is made, by `used` (which differs from the requested one when the
    /// spectral eigensolver fell back to PCA).
    Init {
        /// The method actually used.
        used: Init,
    },
    /// An epoch of the layout optimisation is done.
    Epoch {
        /// Epochs done so far.
        done: usize,
        /// Epochs in all.
        total: usize,
    },
}

/// UMAP parameters: `Umap::params()`, then builder methods, then [`Umap::fit`].
///
/// The defaults are umap-learn 0.5's: `n_neighbors` 15, `min_dist` 0.1, `spread` 1,
/// `n_components` 2, `n_epochs` 200 above 10,000 samples and 500 otherwise,
/// `negative_sample_rate` 5, `learning_rate` 1, `repulsion_strength` 1, `local_connectivity`
/// 1, `set_op_mix_ratio` 1, Euclidean metric, spectral initialisation, seed 0; neighbours
/// searched by [`NeighborSearch::Auto`] (exact up to 128 features, NN-descent above).
///
/// ```
/// use fmnist_manifold::Umap;
/// use nalgebra::DMatrix;
///
/// // Two groups of 20 points, far apart, in 3 dimensions.
/// let x = DMatrix::from_fn(40, 3, |i, j| (i / 20) as f32 * 50.0 + ((i * 7 + j * 3) % 11) as f32 * 0.1);
/// let model = Umap::params().n_neighbors(5).n_epochs(50).seed(1).fit(&x)?;
/// assert_eq!(model.embedding().shape(), (40, 2));
/// # Ok::<(), fmnist_manifold::ManifoldError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Umap {
    n_neighbors: usize,
    min_dist: f32,
    spread: f32,
    n_components: usize,
    n_epochs: Option<usize>,
    negative_sample_rate: usize,
    learning_rate: f32,
    repulsion_strength: f32,
    local_connectivity: f32,
    set_op_mix_ratio: f32,
    metric: Metric,
    neighbor_search: NeighborSearch,
    init: Init,
    seed: u64,
}

impl Default for Umap {
    fn default() -> Self {
        Self::params()
    }
}

impl Umap {
    /// The default parameters (see [`Umap`]).
    pub fn params() -> Self {
        Self {
            n_neighbors: 15,
            min_dist: 0.1,
            spread: 1.0,
            n_components: 2,
            n_epochs: None,
            negative_sample_rate: 5,
            learning_rate: 1.0,
            repulsion_strength: 1.0,
            local_connectivity: 1.0,
            set_op_mix_ratio: 1.0,
            metric: Metric::Euclidean,
            neighbor_search: NeighborSearch::Auto,
            init: Init::Spectral,
            seed: 0,
        }
    }

    /// Size of the local neighbourhood, the sample itself included (default 15; at least 2).
    pub fn n_neighbors(mut self, n_neighbors: usize) -> Self {
        self.n_neighbors = n_neighbors;
        self
    }

    /// Smallest distance between embedded points, in units of `spread` (default 0.1; between
    /// 0 and `spread`).
    pub fn min_dist(mut self, min_dist: f32) -> Self {
        self.min_dist = min_dist;
        self
    }

    /// Scale of the embedded points (default 1).
    pub fn spread(mut self, spread: f32) -> Self {
        self.spread = spread;
        self
    }

    /// Dimensions of the embedding (default 2; fewer than the samples).
    pub fn n_components(mut self, n_components: usize) -> Self {
        self.n_components = n_components;
        self
    }

    /// Epochs of the layout optimisation (default: 200 above 10,000 samples, 500 otherwise;
    /// 0 keeps the starting layout).
    pub fn n_epochs(mut self, n_epochs: usize) -> Self {
        self.n_epochs = Some(n_epochs);
        self
    }

    /// Negative samples per positive sample (default 5).
    pub fn negative_sample_rate(mut self, rate: usize) -> Self {
        self.negative_sample_rate = rate;
        self
    }

    /// Learning rate of the first epoch, decaying linearly to 0 (default 1; `transform` uses
    /// a quarter of it).
    pub fn learning_rate(mut self, learning_rate: f32) -> Self {
        self.learning_rate = learning_rate;
        self
    }

    /// Weight of the negative samples, γ (default 1).
    pub fn repulsion_strength(mut self, gamma: f32) -> Self {
        self.repulsion_strength = gamma;
        self
    }

    /// Neighbours assumed connected at full strength (default 1).
    pub fn local_connectivity(mut self, local_connectivity: f32) -> Self {
        self.local_connectivity = local_connectivity;
        self
    }

    /// Mix of fuzzy union (1, default) and intersection (0) when symmetrising the graph.
    pub fn set_op_mix_ratio(mut self, ratio: f32) -> Self {
        self.set_op_mix_ratio = ratio;
        self
    }

    /// Distance in the input space (default [`Metric::Euclidean`]).
    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    /// How the neighbours are found, in `fit` and `transform` (default
    /// [`NeighborSearch::Auto`]: exact up to 128 features, NN-descent above).
    pub fn neighbor_search(mut self, how: NeighborSearch) -> Self {
        self.neighbor_search = how;
        self
    }

    /// Starting layout (default [`Init::Spectral`]).
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// Seed of every random choice (default 0); the same seed gives the same embedding on
    /// any number of threads.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Fits the embedding of `x` (samples x features). Runs in the current rayon pool.
    ///
    /// # Errors
    /// [`ManifoldError::InvalidParameter`] as [`Umap::check`], and for `n_components` not
    /// below the number of samples; [`ManifoldError::Input`] for empty or non-finite data;
    /// [`ManifoldError::TooFewSamples`] for fewer than `n_neighbors + 1` samples;
    /// [`ManifoldError::TooFar`] for a sample too far from the data's mean for `f32` distances.
    pub fn fit(&self, x: &DMatrix<f32>) -> Result<FittedUmap> {
        self.fit_with_progress(x, &mut |_| {})
    }

    /// [`Umap::fit`], then the embedding (`samples x n_components`).
    ///
    /// # Errors
    /// As [`Umap::fit`].
    pub fn fit_transform(&self, x: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        Ok(self.fit(x)?.embedding)
    }

    /// [`Umap::fit`], reporting each step through `progress` (on the calling thread).
    ///
    /// # Errors
    /// As [`Umap::fit`].
    pub fn fit_with_progress(
        &self,
        x: &DMatrix<f32>,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<FittedUmap> {
        self.check()?;
        self.check_data(x)?;
        let (a, b) = find_ab_params(self.spread, self.min_dist)?;
        let n = x.nrows();
        let dim = self.n_components;
        let (points, shift) = Points::new(x, self.metric, None)?;
        let index = Index::new(&points, self.neighbor_search, self.seed);
        let neighbors = index.search(&points, &points, self.n_neighbors, self.metric, true);
        progress(&Progress::Neighbors);
        let (graph, _, _) =
            fuzzy_simplicial_set(&neighbors, self.local_connectivity, self.set_op_mix_ratio);
        progress(&Progress::Graph { edges: graph.nnz() });
        let n_epochs = self.n_epochs.unwrap_or(if n > 10_000 { 200 } else { 500 });
        let prune_epochs = if n_epochs > 10 {
            n_epochs
        } else if n > 10_000 {
            200
        } else {
            500
        };
        let graph = graph.pruned(graph.max_weight() / prune_epochs as f32);
        let (mut layout, init_used) = initial_layout(&points, &graph, dim, self.init, self.seed);
        progress(&Progress::Init { used: init_used });
        Layout {
            graph: &graph,
            dim,
            a,
            b,
            gamma: self.repulsion_strength,
            alpha: self.learning_rate,
            negative_sample_rate: self.negative_sample_rate,
            n_epochs,
            seed: self.seed,
            stream: stream::LAYOUT,
            keys: None,
        }
        .optimise(&mut layout, None, &mut |e| {
            progress(&Progress::Epoch {
                done: e + 1,
                total: n_epochs,
            })
        });
        Ok(FittedUmap {
            format_version: FormatVersion::default(),
            params: Settings {
                n_neighbors: self.n_neighbors,
                n_epochs: self.n_epochs,
                negative_sample_rate: self.negative_sample_rate,
                learning_rate: self.learning_rate,
                repulsion_strength: self.repulsion_strength,
                local_connectivity: self.local_connectivity,
                metric: self.metric,
                neighbor_search: self.neighbor_search,
                seed: self.seed,
                a,
                b,
            },
            n_features: x.ncols(),
            shift,
            points,
            neighbour_lists: index.graph().map(|g| g.lists().clone()),
            index: IndexCache(OnceLock::from(index)),
            embedding: DMatrix::from_row_slice(n, dim, &layout),
            init_used,
        })
    }

    /// Checks the parameters alone, as [`Umap::fit`] does before it touches the data.
    ///
    /// # Errors
    /// [`ManifoldError::InvalidParameter`] for `n_neighbors` below 2, a
    /// [`NeighborSearch::Projected`] without directions or candidates, `n_components` 0,
    /// `min_dist` outside [0, `spread`], and a non-positive or non-finite learning rate or
    /// spread, a negative or non-finite repulsion strength or local connectivity, or a
    /// `set_op_mix_ratio` outside [0, 1].
    pub fn check(&self) -> Result<()> {
        self.neighbor_search.check()?;
        let invalid = |msg: String| Err(ManifoldError::InvalidParameter(msg));
        if self.n_neighbors < 2 {
            return invalid(format!(
                "n_neighbors must be at least 2, got {}",
                self.n_neighbors
            ));
        }
        if self.n_components == 0 {
            return invalid("n_components must be at least 1".into());
        }
        for (name, v, ok) in [
            (
                "learning_rate",
                self.learning_rate,
                self.learning_rate > 0.0,
            ),
            (
                "repulsion_strength",
                self.repulsion_strength,
                self.repulsion_strength >= 0.0,
            ),
            (
                "local_connectivity",
                self.local_connectivity,
                self.local_connectivity >= 0.0,
            ),
            (
                "set_op_mix_ratio",
                self.set_op_mix_ratio,
                (0.0..=1.0).contains(&self.set_op_mix_ratio),
            ),
        ] {
            if !(ok && v.is_finite()) {
                return invalid(format!("{name} is out of range: {v}"));
            }
        }
        find_ab_params(self.spread, self.min_dist).map(|_| ())
    }

    /// Checks `x` against the parameters: usable data, more samples than `n_neighbors` and
    /// than `n_components`.
    fn check_data(&self, x: &DMatrix<f32>) -> Result<()> {
        check_matrix(x)?;
        let n = x.nrows();
        if n <= self.n_neighbors {
            return Err(ManifoldError::TooFewSamples {
                n_samples: n,
                n_neighbors: self.n_neighbors,
            });
        }
        if self.n_components >= n {
            return Err(ManifoldError::InvalidParameter(format!(
                "n_components must be below the number of samples ({n}), got {}",
                self.n_components
            )));
        }
        Ok(())
    }
}

/// The parameters a fitted model keeps for `transform`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Settings {
    n_neighbors: usize,
    n_epochs: Option<usize>,
    negative_sample_rate: usize,
    learning_rate: f32,
    repulsion_strength: f32,
    local_connectivity: f32,
    metric: Metric,
    /// Absent from models saved before it existed: those searched exactly.
    #[serde(default = "exact")]
    neighbor_search: NeighborSearch,
    seed: u64,
    a: f32,
    b: f32,
}

impl Settings {
    /// Whether `transform` can use these settings with `n` training points: between 2 and
    /// `n − 1` neighbours, a valid search, and the ranges of [`Umap::check`] for the rates and
    /// strengths, with `a` and `b` positive and finite.
    fn check(&self, n: usize) -> std::result::Result<(), String> {
        if self.n_neighbors < 2 || self.n_neighbors >= n {
            return Err(format!(
                "the UMAP's n_neighbors, {}, is not between 2 and its {n} points less one",
                self.n_neighbors
            ));
        }
        self.neighbor_search.check().map_err(|e| e.to_string())?;
        let in_range = [
            self.learning_rate > 0.0,
            self.repulsion_strength >= 0.0,
            self.local_connectivity >= 0.0,
            self.a > 0.0,
            self.b > 0.0,
        ];
        let finite = [
            self.learning_rate,
            self.repulsion_strength,
            self.local_connectivity,
            self.a,
            self.b,
        ];
        if !(in_range.iter().all(|&ok| ok) && finite.iter().all(|v| v.is_finite())) {
            return Err(format!(
                "the UMAP's learning rate {}, repulsion strength {}, local connectivity {}, a {} \
                 or b {} is out of range",
                self.learning_rate,
                self.repulsion_strength,
                self.local_connectivity,
                self.a,
                self.b
            ));
        }
        Ok(())
    }
}

/// The search of models saved before [`NeighborSearch`] existed.
fn exact() -> NeighborSearch {
    NeighborSearch::Exact
}

/// A fitted embedding: the training embedding, and the training points that
/// [`FittedUmap::transform`] searches for the neighbours of new points.
///
/// Serialisable with serde (it holds the training data, `samples x features` floats), with a
/// [`FormatVersion`] checked on load. Loading also checks that the training points, their
/// shift, the feature count and the embedding agree, that they are finite, and that the
/// settings are in range for them. [`FittedUmap::transform`] (also through fmnist-core's
/// [`Transform`]) embeds new points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredUmap")]
pub struct FittedUmap {
    #[serde(default)]
    format_version: FormatVersion,
    params: Settings,
    n_features: usize,
    /// Column means of the (prepared) training data, subtracted from every point.
    shift: Vec<f32>,
    points: Points,
    /// After an NN-descent fit, the training points' neighbour lists that new points are
    /// searched through (saved, so that a loaded model need not find them again). Absent
    /// from models saved before it existed: those run NN-descent again, to the same lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    neighbour_lists: Option<NeighbourLists>,
    #[serde(skip)]
    index: IndexCache,
    #[serde(with = "matrix_serde")]
    embedding: DMatrix<f32>,
    init_used: Init,
}

/// [`FittedUmap`] as read, before its parts are checked against each other.
#[derive(Deserialize)]
struct StoredUmap {
    #[serde(default)]
    format_version: FormatVersion,
    params: Settings,
    n_features: usize,
    shift: Vec<f32>,
    points: Points,
    #[serde(default)]
    neighbour_lists: Option<NeighbourLists>,
    #[serde(with = "matrix_serde")]
    embedding: DMatrix<f32>,
    init_used: Init,
}

impl StoredUmap {
    /// Whether the parts agree: `n_features` shift values and point coordinates, one
    /// embedding row of at least one dimension per point, finite values, and settings that
    /// `transform` can use on these points.
    fn check(&self) -> std::result::Result<(), String> {
        let (n, d) = (self.points.n, self.points.d);
        let (rows, dim) = self.embedding.shape();
        if self.shift.len() != self.n_features || d != self.n_features || rows != n || dim == 0 {
            return Err(format!(
                "the UMAP's parts do not agree: {} features, a shift of {}, {n} points of {d} \
                 features, an embedding of {rows} x {dim}",
                self.n_features,
                self.shift.len()
            ));
        }
        if validate::first_non_finite(&self.shift).is_some()
            || validate::first_non_finite(self.embedding.as_slice()).is_some()
        {
            return Err("the UMAP's shift or embedding has a non-finite value".into());
        }
        if self.neighbour_lists.as_ref().is_some_and(|l| !l.fit(n)) {
            return Err(format!(
                "the UMAP's neighbour lists are not lists of its {n} points"
            ));
        }
        self.params.check(n)
    }
}

impl TryFrom<StoredUmap> for FittedUmap {
    type Error = String;

    fn try_from(s: StoredUmap) -> std::result::Result<Self, String> {
        s.check()?;
        Ok(Self {
            format_version: s.format_version,
            params: s.params,
            n_features: s.n_features,
            shift: s.shift,
            points: s.points,
            neighbour_lists: s.neighbour_lists,
            index: IndexCache::default(),
            embedding: s.embedding,
            init_used: s.init_used,
        })
    }
}

/// The training points prepared for neighbour searches ([`Index`]): kept from `fit`, or built
/// by the first `transform` of a loaded model. Derived from the points and the settings, so
/// not saved, and no part of the model's equality.
#[derive(Debug, Clone, Default)]
struct IndexCache(OnceLock<Index>);

impl PartialEq for IndexCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl FittedUmap {
    /// The layout version of this model (saved with it, checked on load).
    pub fn format_version(&self) -> FormatVersion {
        self.format_version
    }

    /// The embedding of the training samples, `samples x n_components`.
    pub fn embedding(&self) -> &DMatrix<f32> {
        &self.embedding
    }

    /// Features of the training data.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Dimensions of the embedding.
    pub fn n_components(&self) -> usize {
        self.embedding.ncols()
    }

    /// The starting layout actually used: [`Init::Pca`] when [`Init::Spectral`] was asked
    /// for but the eigensolver did not converge.
    pub fn init_used(&self) -> Init {
        self.init_used
    }

    /// The fitted `a` and `b` of the similarity curve 1 / (1 + a·d^(2b)).
    pub fn ab(&self) -> (f32, f32) {
        (self.params.a, self.params.b)
    }

    /// Embeds new points into the fitted embedding without moving it, as umap-learn 0.5's
    /// `transform`: each new point's `n_neighbors` nearest training points, their
    /// memberships (local connectivity reduced by 1), a start at the membership-weighted mean
    /// of their embeddings (at the embedding of an identical training point if there is one),
    /// then the layout optimisation of the new points alone against the fixed training
    /// embedding: `n_epochs / 3` epochs (100 when `n_epochs` was left to its default, 30 above
    /// 10,000 new points) at a quarter of the learning rate. Deterministic on any thread count;
    /// a point's random streams are keyed by its coordinates, not by its place in `x_new`, so
    /// that a permutation of the points permutes their embeddings.
    ///
    /// # Errors
    /// [`ManifoldError::Input`] for empty or non-finite data or a feature count other than the
    /// training data's; [`ManifoldError::TooFar`] for a point too far from the training data's
    /// mean for `f32` distances.
    pub fn transform(&self, x_new: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        check_matrix(x_new)?;
        check_features(x_new, self.n_features)?;
        let p = &self.params;
        let dim = self.n_components();
        let m = x_new.nrows();
        let (queries, _) = Points::new(x_new, p.metric, Some(&self.shift))?;
        let index = self.index.0.get_or_init(|| {
            let graph = (self.neighbour_lists.clone()).map(|l| SearchGraph::new(l, self.points.n));
            Index::new(&self.points, p.neighbor_search, p.seed).with_graph(graph)
        });
        let neighbors = index.search(&queries, &self.points, p.n_neighbors, p.metric, false);
        let (sigmas, rhos) = smooth_knn_dist(&neighbors, (p.local_connectivity - 1.0).max(0.0));
        let graph = FuzzyGraph::from_rows(memberships(&neighbors, &sigmas, &rhos, true));
        let train: Vec<f32> = (0..self.embedding.nrows())
            .flat_map(|i| (0..dim).map(move |t| (i, t)))
            .map(|(i, t)| self.embedding[(i, t)])
            .collect();
        let mut layout = vec![0f32; m * dim];
        for (i, out) in layout.chunks_exact_mut(dim).enumerate() {
            let (cols, vals) = graph.row(i);
            let total: f32 = vals.iter().sum();
            if let Some(at) = vals.iter().position(|&w| w == 1.0) {
                let j = cols[at] as usize;
                out.copy_from_slice(&train[j * dim..(j + 1) * dim]);
                continue;
            }
            for (&j, &w) in cols.iter().zip(vals) {
                let j = j as usize;
                for (o, &e) in out.iter_mut().zip(&train[j * dim..(j + 1) * dim]) {
                    *o += w / total * e;
                }
            }
        }
        let n_epochs = match p.n_epochs {
            None if m <= 10_000 => 100,
            None => 30,
            Some(e) => e / 3,
        };
        if n_epochs > 0 {
            let graph = graph.pruned(graph.max_weight() / n_epochs as f32);
            let keys: Vec<u64> = x_new
                .row_iter()
                .map(|row| point_key(row.iter().copied()))
                .collect();
            Layout {
                graph: &graph,
                dim,
                a: p.a,
                b: p.b,
                gamma: p.repulsion_strength,
                alpha: p.learning_rate / 4.0,
                negative_sample_rate: p.negative_sample_rate,
                n_epochs,
                seed: p.seed,
                stream: stream::TRANSFORM,
                keys: Some(&keys),
            }
            .optimise(&mut layout, Some(&train), &mut |_| {});
        }
        Ok(DMatrix::from_row_slice(m, dim, &layout))
    }
}

impl Fit<DMatrix<f32>> for Umap {
    type Fitted = FittedUmap;
    type Error = ManifoldError;

    /// [`Umap::fit`].
    fn fit(&self, x: &DMatrix<f32>) -> Result<FittedUmap> {
        Umap::fit(self, x)
    }
}

impl Transform<DMatrix<f32>> for FittedUmap {
    type Output = DMatrix<f32>;
    type Error = ManifoldError;

    /// [`FittedUmap::transform`]: the embedding of new points.
    fn transform(&self, x: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        FittedUmap::transform(self, x)
    }
}

/// serde for a `DMatrix<f32>` as `{ rows, cols, data }` (data column-major).
mod matrix_serde {
    use nalgebra::DMatrix;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Raw {
        rows: usize,
        cols: usize,
        data: Vec<f32>,
    }

    pub fn serialize<S: Serializer>(m: &DMatrix<f32>, s: S) -> Result<S::Ok, S::Error> {
        Raw {
            rows: m.nrows(),
            cols: m.ncols(),
            data: m.as_slice().to_vec(),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DMatrix<f32>, D::Error> {
        let raw = Raw::deserialize(d)?;
        if raw.rows.checked_mul(raw.cols) != Some(raw.data.len()) {
            return Err(serde::de::Error::custom(format!(
                "a {} x {} matrix does not hold {} values",
                raw.rows,
                raw.cols,
                raw.data.len()
            )));
        }
        Ok(DMatrix::from_vec(raw.rows, raw.cols, raw.data))
    }
}
