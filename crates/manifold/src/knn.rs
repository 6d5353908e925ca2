//! k-nearest neighbours: exact by blocked matrix products, or approximate by NN-descent
//! ([`crate::descent`]) or by an exact search in a few principal directions followed by an
//! exact re-ranking ([`NeighborSearch`]).
//!
//! Squared Euclidean distances come from the expansion ‖q‖² − 2·q·r + ‖r‖² on mean-centred
//! rows (centring keeps the expansion accurate): a block of query rows times a block of
//! reference rows is one single-threaded GEMM call (faer, run-time SIMD dispatch), and each
//! query row keeps its best candidates in a small sorted array that rejects almost every
//! candidate with one comparison. From [`PRUNED_FROM`] references on, the references are
//! split into Voronoi cells and a block of queries only computes its distances to the cells
//! that can hold a better candidate ([`Cells`]); below, every distance is computed. Query
//! blocks run in parallel; every block is independent of the others, so the result does not
//! depend on the thread count. The distances of the final `k` neighbours are recomputed
//! directly in `f64`, so they carry no cancellation error from the expansion.

use fmnist_core::linalg::dot_rows;
use fmnist_core::simd::{sq_dist, sq_dist_f64, sq_norm_f64};
use fmnist_core::validate::{check_features, check_matrix, first_non_finite};
use multiversion::multiversion;
use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

use crate::cells::Cells;
use crate::descent::descent;
use crate::error::{ManifoldError, Result};
use crate::graph_search::SearchGraph;
use crate::projection::{principal_directions, project};

/// Query rows per GEMM call and per unit of parallel work.
const QUERY_BLOCK: usize = 128;
/// Distances tested against a query's worst neighbour at once.
const SCAN: usize = 16;
/// Reference points from which the search skips the Voronoi cells that cannot hold a
/// neighbour ([`Cells`]) instead of computing every distance.
const PRUNED_FROM: usize = 4096;
/// Reference rows per GEMM call: a 128 x 1024 `f32` distance tile (512 KB) stays in L2.
const REF_BLOCK: usize = 1024;
/// Largest squared norm of a prepared point (about 4.3e37, a distance of about 6.5e18 from
/// the reference set's centre): below it, every `f32` squared distance of the expansion,
/// at most four times the larger norm, stays finite, so that every candidate is comparable.
const MAX_SQ_NORM: f32 = f32::MAX / 8.0;

/// The distance in the input space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Metric {
    /// Euclidean distance (default).
    #[default]
    Euclidean,
    /// Cosine distance `1 − cos(x, y)`, as umap-learn's `"cosine"`: computed as half the squared
    /// Euclidean distance of the L2-normalised rows (an all-zero row stays zero).
    Cosine,
}

/// How the k nearest neighbours are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum NeighborSearch {
    /// [`NeighborSearch::Exact`] for data of up to [`NeighborSearch::EXACT_UP_TO`] (128)
    /// features; above, [`NeighborSearch::Descent`] (on the 48,000 Fashion-MNIST training
    /// images, 784 pixels, k 15: recall 0.993, in less time than the projected search's 0.976
    /// and a fifth of the exact search's, measured back to back). Default.
    #[default]
    Auto,
    /// Exact, by blocked matrix products: at most `n² · features` multiply-adds, far fewer
    /// where the points form clusters (on PCA-40 of 48,000 Fashion-MNIST images, k 20, a
    /// third of the time of computing every distance).
    Exact,
    /// Approximate: `oversample · k` candidates per point by an exact search among the points'
    /// coordinates in `dims` leading principal directions of the reference points (their
    /// right singular vectors by fmnist-core's randomized SVD with two power iterations, the
    /// same on any thread count), then
    /// re-ranked by their distance in the full space. Costs `n² · dims` multiply-adds plus
    /// `n · oversample · k · features`.
    Projected {
        /// Principal directions searched (at least 1).
        dims: usize,
        /// Candidates per neighbour kept for re-ranking (at least 1).
        oversample: usize,
    },
    /// Approximate: NN-descent (Dong, Moses & Li 2011) as pynndescent runs it for umap-learn,
    /// started from a random projection forest, seeded by the search's seed (the
    /// [`Umap::seed`](crate::Umap::seed) of a fit), the same on any thread count. New points
    /// ([`FittedUmap::transform`](crate::FittedUmap::transform), [`neighbors_among`]) are
    /// searched through the references' graph (as pynndescent answers queries).
    Descent,
}

impl NeighborSearch {
    /// Largest feature count that [`NeighborSearch::Auto`] searches exactly. Measured on
    /// principal components of the 48,000 training images (k 15), back to back: the exact
    /// search took 0.8x NN-descent's time at 64 features, 0.9x at 128 and 2.2x at 256.
    pub const EXACT_UP_TO: usize = 128;

    /// The search used for data with `features` columns: `Auto` resolved, and `Projected`
    /// onto at least as many directions as there are features made `Exact` (it would be
    /// exact, only slower).
    pub fn resolve(self, features: usize) -> Self {
        match self {
            Self::Auto if features > Self::EXACT_UP_TO => Self::Descent,
            Self::Auto => Self::Exact,
            Self::Projected { dims, .. } if dims >= features => Self::Exact,
            other => other,
        }
    }

    /// Checks the parameters of [`NeighborSearch::Projected`].
    ///
    /// # Errors
    /// [`ManifoldError::InvalidParameter`] when `dims` or `oversample` is 0.
    pub fn check(self) -> Result<()> {
        match self {
            Self::Projected { dims, oversample } if dims == 0 || oversample == 0 => {
                Err(ManifoldError::InvalidParameter(format!(
                    "a projected neighbour search needs at least one direction and an oversampling of at least 1 (dims {dims}, oversample {oversample})"
                )))
            }
            _ => Ok(()),
        }
    }
}

/// Points prepared for distance computations: row-major, L2-normalised for
/// [`Metric::Cosine`], minus the column means of the reference set, with squared norms.
/// Loading checks that there are `n x d` finite coordinates and `n` norms, `d` at least 1,
/// and that the stored and the actual squared norms are at most [`MAX_SQ_NORM`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredPoints")]
pub(crate) struct Points {
    pub data: Vec<f32>,
    pub norms: Vec<f32>,
    pub n: usize,
    pub d: usize,
}

impl Points {
    /// `x` (samples x features) prepared for `metric`, shifted by `shift` (one value per
    /// feature; `None` shifts by the column means of `x` itself).
    ///
    /// # Errors
    /// [`ManifoldError::TooFar`] for a point whose squared norm, once shifted, is above
    /// [`MAX_SQ_NORM`] (or is not finite).
    pub fn new(
        x: &DMatrix<f32>,
        metric: Metric,
        shift: Option<&[f32]>,
    ) -> Result<(Self, Vec<f32>)> {
        let (n, d) = x.shape();
        let mut data = vec![0f32; n * d];
        data.par_chunks_mut(d * 64)
            .enumerate()
            .for_each(|(b, out)| {
                for (r, row) in out.chunks_exact_mut(d).enumerate() {
                    for (j, v) in row.iter_mut().enumerate() {
                        *v = x[(b * 64 + r, j)];
                    }
                    if metric == Metric::Cosine {
                        let norm = sq_norm_f64(row).sqrt() as f32;
                        if norm > 0.0 {
                            row.iter_mut().for_each(|v| *v /= norm);
                        }
                    }
                }
            });
        let shift = match shift {
            Some(s) => s.to_vec(),
            None => {
                let mut mean = vec![0f64; d];
                for row in data.chunks_exact(d) {
                    for (m, &v) in mean.iter_mut().zip(row) {
                        *m += f64::from(v);
                    }
                }
                mean.iter().map(|&m| (m / n as f64) as f32).collect()
            }
        };
        data.par_chunks_mut(d).for_each(|row| {
            for (v, &s) in row.iter_mut().zip(&shift) {
                *v -= s;
            }
        });
        let points = Self::from_rows(data, d);
        match first_too_far(&points.norms) {
            Some(row) => Err(ManifoldError::TooFar {
                row,
                sq_norm: points.norms[row],
            }),
            None => Ok((points, shift)),
        }
    }

    /// Row-major `n x d` coordinates taken as they are (no shift).
    pub fn from_rows(data: Vec<f32>, d: usize) -> Self {
        let norms = data.par_chunks(d).map(|r| sq_norm_f64(r) as f32).collect();
        let n = data.len() / d;
        Self { data, norms, n, d }
    }

    /// Point `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.d..(i + 1) * self.d]
    }
}

/// The first of `sq_norms` above [`MAX_SQ_NORM`] or not finite.
fn first_too_far(sq_norms: &[f32]) -> Option<usize> {
    sq_norms
        .iter()
        .position(|&norm| norm.is_nan() || norm > MAX_SQ_NORM)
}

/// [`Points`] as read, before the counts are checked against the arrays.
#[derive(Deserialize)]
struct StoredPoints {
    data: Vec<f32>,
    norms: Vec<f32>,
    n: usize,
    d: usize,
}

impl TryFrom<StoredPoints> for Points {
    type Error = String;

    fn try_from(s: StoredPoints) -> std::result::Result<Self, String> {
        let StoredPoints { data, norms, n, d } = s;
        if d == 0 || Some(data.len()) != n.checked_mul(d) || norms.len() != n {
            return Err(format!(
                "the points do not hold {n} points of {d} features and their norms ({} coordinates, {} norms)",
                data.len(),
                norms.len()
            ));
        }
        if let Some(at) = first_non_finite(&data) {
            return Err(format!("point {} has a non-finite coordinate", at / d));
        }
        // The norms as stored and as the coordinates give them: both bound the distances.
        let actual = Self::from_rows(data, d);
        if let Some(row) = first_too_far(&norms).or_else(|| first_too_far(&actual.norms)) {
            return Err(format!(
                "point {row} lies too far from the centre (squared norm {:e} stored, {:e} \
                 computed, at most {MAX_SQ_NORM:e})",
                norms[row], actual.norms[row]
            ));
        }
        Ok(Self { norms, ..actual })
    }
}

/// The distance of `metric` between two prepared points, in `f64`.
pub(crate) fn distance(a: &[f32], b: &[f32], metric: Metric) -> f64 {
    let sq = sq_dist_f64(a, b);
    match metric {
        Metric::Euclidean => sq.sqrt(),
        Metric::Cosine => sq / 2.0,
    }
}

/// The `k` nearest neighbours of every sample: row `i` of [`Neighbors::indices`] and
/// [`Neighbors::distances`] lists them by increasing distance. When the neighbours were found
/// among the samples themselves ([`nearest_neighbors`]), each sample is its own first
/// neighbour at distance 0, as in umap-learn.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbors {
    k: usize,
    indices: Vec<u32>,
    distances: Vec<f32>,
}

impl Neighbors {
    /// Neighbour lists from row-major `n x k` indices and distances (for example another
    /// library's), each row sorted by increasing distance.
    ///
    /// # Errors
    /// [`ManifoldError::InvalidParameter`] when `k` is 0, the lengths differ or are not a
    /// multiple of `k`, or a distance is negative or not finite.
    pub fn new(k: usize, indices: Vec<u32>, distances: Vec<f32>) -> Result<Self> {
        if k == 0 || indices.len() != distances.len() || !indices.len().is_multiple_of(k) {
            return Err(ManifoldError::InvalidParameter(format!(
                "neighbour lists need k >= 1 and n x k indices and distances (k = {k}, {} indices, {} distances)",
                indices.len(),
                distances.len()
            )));
        }
        if distances.iter().any(|d| !(d.is_finite() && *d >= 0.0)) {
            return Err(ManifoldError::InvalidParameter(
                "neighbour distances must be finite and non-negative".into(),
            ));
        }
        Ok(Self {
            k,
            indices,
            distances,
        })
    }

    /// Neighbours per sample.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Number of samples.
    pub fn n(&self) -> usize {
        self.indices.len() / self.k
    }

    /// Neighbour indices, row-major `n x k`.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// Neighbour distances, row-major `n x k`, increasing along each row.
    pub fn distances(&self) -> &[f32] {
        &self.distances
    }

    /// Recall against `truth` (for example the [`NeighborSearch::Exact`] lists of the same
    /// points): the share of `truth`'s neighbours, each point's first entry (itself) excluded,
    /// that these lists hold for the same point.
    ///
    /// # Errors
    /// [`ManifoldError::InvalidParameter`] when the two have different numbers of points or
    /// neighbours, or fewer than 2 neighbours per point.
    pub fn recall(&self, truth: &Neighbors) -> Result<f64> {
        self.recall_from(truth, 1)
    }

    /// [`Neighbors::recall`] for lists of new points ([`neighbors_among`]): every entry counts.
    ///
    /// # Errors
    /// [`ManifoldError::InvalidParameter`] when the two have different numbers of points or
    /// neighbours.
    pub fn recall_of_new_points(&self, truth: &Neighbors) -> Result<f64> {
        self.recall_from(truth, 0)
    }

    /// The recall of the entries from `first` on of each list.
    fn recall_from(&self, truth: &Neighbors, first: usize) -> Result<f64> {
        let k = truth.k;
        if self.k != k || self.n() != truth.n() || k <= first {
            return Err(ManifoldError::InvalidParameter(format!(
                "recall compares lists of the same shape with at least {} neighbours ({} x {} against {} x {})",
                first + 1,
                self.n(),
                self.k,
                truth.n(),
                k
            )));
        }
        let hits: usize = truth
            .indices
            .chunks_exact(k)
            .zip(self.indices.chunks_exact(k))
            .map(|(t, f)| t[first..].iter().filter(|j| f[first..].contains(j)).count())
            .sum();
        Ok(hits as f64 / (truth.n() * (k - first)) as f64)
    }
}

/// The exact `k` nearest neighbours of every row of `x` among the rows of `x`, each row being
/// its own first neighbour (so `k - 1` others are found), by `metric`: [`nearest_neighbors_by`]
/// with [`NeighborSearch::Exact`] (which uses no seed).
///
/// # Errors
/// As [`nearest_neighbors_by`].
pub fn nearest_neighbors(x: &DMatrix<f32>, k: usize, metric: Metric) -> Result<Neighbors> {
    nearest_neighbors_by(x, k, metric, NeighborSearch::Exact, 0)
}

/// The `k` nearest neighbours of every row of `x` among the rows of `x` found by `how`, each
/// row being its own first neighbour (so `k - 1` others are found), by `metric`; `seed` seeds
/// [`NeighborSearch::Descent`] (the other searches ignore it).
///
/// # Errors
/// [`ManifoldError::Input`] for empty or non-finite data; [`ManifoldError::InvalidParameter`] for `k` 0 or a bad `how`;
/// [`ManifoldError::TooFewSamples`] unless `k <= samples`; [`ManifoldError::TooFar`] for a
/// row too far from the data's mean for `f32` distances.
pub fn nearest_neighbors_by(
    x: &DMatrix<f32>,
    k: usize,
    metric: Metric,
    how: NeighborSearch,
    seed: u64,
) -> Result<Neighbors> {
    check_search(x, k, how)?;
    let (points, _) = Points::new(x, metric, None)?;
    Ok(search(&points, &points, k, metric, true, how, seed))
}

/// The `k` nearest rows of `refs` to every row of `queries` (new points: none is its own
/// neighbour), found by `how` among the references, by `metric`. `seed` seeds
/// [`NeighborSearch::Descent`], which searches each query through the references' NN-descent
/// graph (as pynndescent answers queries); the other searches ignore it.
///
/// ```
/// use fmnist_manifold::{Metric, NeighborSearch, neighbors_among};
/// use nalgebra::DMatrix;
///
/// let refs = DMatrix::from_row_slice(4, 2, &[0.0, 0.0, 1.0, 0.0, 5.0, 5.0, 6.0, 5.0]);
/// let queries = DMatrix::from_row_slice(1, 2, &[5.2, 4.9]);
/// let found = neighbors_among(&queries, &refs, 2, Metric::Euclidean, NeighborSearch::Exact, 0)?;
/// assert_eq!(found.indices(), &[2, 3]);
/// # Ok::<(), fmnist_manifold::ManifoldError>(())
/// ```
///
/// # Errors
/// As [`nearest_neighbors_by`], and [`ManifoldError::Input`] for queries of another width than
/// the references.
pub fn neighbors_among(
    queries: &DMatrix<f32>,
    refs: &DMatrix<f32>,
    k: usize,
    metric: Metric,
    how: NeighborSearch,
    seed: u64,
) -> Result<Neighbors> {
    check_matrix(queries)?;
    check_features(queries, refs.ncols())?;
    check_search(refs, k, how)?;
    let (points, shift) = Points::new(refs, metric, None)?;
    let (queries, _) = Points::new(queries, metric, Some(&shift))?;
    Ok(search(&queries, &points, k, metric, false, how, seed))
}

/// Checks the references and the parameters of a search for `k` neighbours.
fn check_search(refs: &DMatrix<f32>, k: usize, how: NeighborSearch) -> Result<()> {
    check_matrix(refs)?;
    how.check()?;
    if k == 0 {
        return Err(ManifoldError::InvalidParameter(
            "k must be at least 1".into(),
        ));
    }
    if k > refs.nrows() {
        return Err(ManifoldError::TooFewSamples {
            n_samples: refs.nrows(),
            n_neighbors: k,
        });
    }
    Ok(())
}

/// The `k` nearest reference points of every query point: [`Index::search`] with a fresh
/// index of `refs` for `how` and `seed`.
pub(crate) fn search(
    queries: &Points,
    refs: &Points,
    k: usize,
    metric: Metric,
    self_first: bool,
    how: NeighborSearch,
    seed: u64,
) -> Neighbors {
    Index::new(refs, how, seed).search(queries, refs, k, metric, self_first)
}

/// A reference set prepared for neighbour searches: for [`NeighborSearch::Projected`], its
/// principal directions and its coordinates in them; from [`PRUNED_FROM`] points on, the
/// Voronoi cells of the space the candidates are searched in (built at the first search that
/// needs them); for [`NeighborSearch::Descent`], its seed. A function of the references, the
/// search and the seed alone, so built once for any number of searches.
#[derive(Debug, Clone)]
pub(crate) struct Index {
    projection: Option<Projection>,
    cells: OnceLock<Option<Cells>>,
    /// The seed of an NN-descent search of the references among themselves.
    descent: Option<u64>,
    /// For NN-descent, the references' neighbour graph that new points are searched through
    /// (kept from the fit's search, or built by the first search of new points).
    graph: OnceLock<SearchGraph>,
}

/// The candidate space of a projected search.
#[derive(Debug, Clone)]
struct Projection {
    /// `dims x features` orthonormal directions, one per row.
    directions: Vec<f32>,
    /// The references' coordinates in the directions.
    coords: Points,
    /// Candidates kept per neighbour for the re-ranking.
    oversample: usize,
}

impl Index {
    /// Prepares `refs` for searches by `how` (resolved for their feature count). A projected
    /// search whose directions cannot be found (the randomized SVD does not converge) is exact;
    /// `seed` seeds NN-descent.
    pub fn new(refs: &Points, how: NeighborSearch, seed: u64) -> Self {
        let how = how.resolve(refs.d);
        let projection = match how {
            NeighborSearch::Projected { dims, oversample } => {
                principal_directions(refs, dims).map(|directions| {
                    let coords = project(refs, &directions);
                    Projection {
                        coords: Points::from_rows(coords, directions.len() / refs.d),
                        directions,
                        oversample,
                    }
                })
            }
            _ => None,
        };
        Self {
            projection,
            cells: OnceLock::new(),
            descent: (how == NeighborSearch::Descent).then_some(seed),
            graph: OnceLock::new(),
        }
    }

    /// The graph that new points are searched through, once there is one.
    pub fn graph(&self) -> Option<&SearchGraph> {
        self.graph.get()
    }

    /// Uses `graph` (of these references, as a fit found it) for the searches of new points.
    pub fn with_graph(self, graph: Option<SearchGraph>) -> Self {
        if let Some(graph) = graph {
            let _ = self.graph.set(graph);
        }
        self
    }

    /// The `k` nearest points of `refs` (the points this index was built from) to every query.
    /// With `self_first`, queries and references are the same set and each point is put first
    /// as its own neighbour (distance 0), the other `k - 1` being searched among the rest.
    pub fn search(
        &self,
        queries: &Points,
        refs: &Points,
        k: usize,
        metric: Metric,
        self_first: bool,
    ) -> Neighbors {
        let n = queries.n;
        let found = if self_first { k - 1 } else { k };
        let available = refs.n - usize::from(self_first);
        let oversample = self.projection.as_ref().map_or(1, |p| p.oversample);
        let kept = (found * oversample).min(available);
        if kept == 0 {
            // k = 1 among the points themselves: each one is its only neighbour.
            return Neighbors {
                k,
                indices: (0..n as u32).collect(),
                distances: vec![0.0; n],
            };
        }
        let mut best = self.candidates(queries, refs, kept, self_first);
        let lists = Lists {
            k,
            found,
            kept,
            metric,
            self_first,
        };
        let mut indices = vec![0u32; n * k];
        let mut distances = vec![0f32; n * k];
        indices
            .par_chunks_mut(QUERY_BLOCK * k)
            .zip(distances.par_chunks_mut(QUERY_BLOCK * k))
            .zip(best.par_chunks_mut(QUERY_BLOCK * kept))
            .enumerate()
            .for_each(|(b, ((idx_out, dist_out), best))| {
                lists.fill_block(queries, refs, b * QUERY_BLOCK, best, idx_out, dist_out);
            });
        Neighbors {
            k,
            indices,
            distances,
        }
    }

    /// The `kept` nearest references of every query in the space this index searches (the
    /// projection's, if any): row-major `queries.n x kept`, each row sorted, `(squared
    /// distance in that space, reference)`.
    fn candidates(
        &self,
        queries: &Points,
        refs: &Points,
        kept: usize,
        self_first: bool,
    ) -> Vec<(f32, u32)> {
        let projected_queries = match &self.projection {
            Some(p) if !self_first => Some(Points::from_rows(
                project(queries, &p.directions),
                p.coords.d,
            )),
            _ => None,
        };
        let (space_queries, space_refs) = match &self.projection {
            Some(p) => (projected_queries.as_ref().unwrap_or(&p.coords), &p.coords),
            None => (queries, refs),
        };
        if let Some(seed) = self.descent {
            // The graph links each reference to its `kept` nearest others when the
            // references search themselves, and to as many when they are searched for `kept + 1`
            // new points' neighbours: the same graph, fitted or loaded.
            if self_first {
                let lists = descent(refs, kept, seed);
                let _ = self
                    .graph
                    .set(SearchGraph::from_descent(&lists, refs.n, kept));
                return lists;
            }
            if kept >= 2 {
                let graph = self.graph.get_or_init(|| {
                    let lists = descent(refs, kept - 1, seed);
                    SearchGraph::from_descent(&lists, refs.n, kept - 1)
                });
                return graph.candidates(space_queries, refs, kept, seed);
            }
        }
        let cells = self
            .cells
            .get_or_init(|| (space_refs.n >= PRUNED_FROM).then(|| Cells::new(space_refs)));
        match cells {
            Some(cells) => cells.candidates(space_queries, kept, self_first),
            None => all_candidates(space_queries, space_refs, kept, self_first),
        }
    }
}

/// The shape of the neighbour lists of one search.
struct Lists {
    /// Neighbours per list.
    k: usize,
    /// Neighbours searched (`k`, or `k - 1` when each point is its own first).
    found: usize,
    /// Candidates per query (more than `found` when they are re-ranked).
    kept: usize,
    metric: Metric,
    /// Whether the queries are the references, each its own first neighbour.
    self_first: bool,
}

impl Lists {
    /// Writes the lists of the queries `q0..` of one block (`idx_out`, `dist_out`: `k` per
    /// query) from their candidates `best` (`kept` per query): re-ranked by their squared
    /// distance in the full space when there are more than needed, then the `found` nearest
    /// by their distance of `metric`, recomputed in `f64`.
    fn fill_block(
        &self,
        queries: &Points,
        refs: &Points,
        q0: usize,
        best: &mut [(f32, u32)],
        idx_out: &mut [u32],
        dist_out: &mut [f32],
    ) {
        let (k, found) = (self.k, self.found);
        let mut exact: Vec<(f64, u32)> = Vec::with_capacity(found);
        for (i, ((out_idx, out_dist), best)) in idx_out
            .chunks_exact_mut(k)
            .zip(dist_out.chunks_exact_mut(k))
            .zip(best.chunks_exact_mut(self.kept))
            .enumerate()
        {
            let query = queries.row(q0 + i);
            if self.kept > found {
                rerank(query, refs, best);
            }
            exact.clear();
            exact.extend(
                best[..found]
                    .iter()
                    .map(|&(_, j)| (distance(query, refs.row(j as usize), self.metric), j)),
            );
            exact.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let start = usize::from(self.self_first);
            if self.self_first {
                out_idx[0] = (q0 + i) as u32;
                out_dist[0] = 0.0;
            }
            for (t, &(dist, j)) in exact.iter().enumerate() {
                out_idx[start + t] = j;
                out_dist[start + t] = dist as f32;
            }
        }
    }
}

/// Re-ranks one query's candidates by their squared distance to it in the full space,
/// nearest first (ties by index).
#[multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2+fma",
    "x86_64+avx2+fma"
))]
fn rerank(query: &[f32], refs: &Points, best: &mut [(f32, u32)]) {
    for (dist, j) in best.iter_mut() {
        *dist = sq_dist(query, refs.row(*j as usize));
    }
    best.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
}

/// The `kept` nearest references of every query by squared distance, from every distance
/// (row-major `queries.n x kept`, each row sorted, `(squared distance, reference)`). With
/// `self_first`, queries and references are the same set and no point is its own candidate.
pub(crate) fn all_candidates(
    queries: &Points,
    refs: &Points,
    kept: usize,
    self_first: bool,
) -> Vec<(f32, u32)> {
    let d = queries.d;
    let mut best = vec![(f32::INFINITY, u32::MAX); queries.n * kept];
    best.par_chunks_mut(QUERY_BLOCK * kept)
        .enumerate()
        .for_each(|(b, best)| {
            let q0 = b * QUERY_BLOCK;
            let rows = best.len() / kept;
            let q = &queries.data[q0 * d..(q0 + rows) * d];
            let q_norms = &queries.norms[q0..q0 + rows];
            let mut tile = vec![0f32; rows * REF_BLOCK];
            for r0 in (0..refs.n).step_by(REF_BLOCK) {
                let cols = REF_BLOCK.min(refs.n - r0);
                let tile = &mut tile[..rows * cols];
                dot_rows(q, &refs.data[r0 * d..(r0 + cols) * d], d, tile);
                for (i, (row, &qn)) in tile.chunks_exact_mut(cols).zip(q_norms).enumerate() {
                    let me = if self_first { q0 + i } else { usize::MAX };
                    let best = &mut best[i * kept..(i + 1) * kept];
                    scan_row(row, qn, &refs.norms[r0..r0 + cols], r0, me, best);
                }
            }
        });
    best
}

/// Offers the reference points `r0..r0 + row.len()` to one query's sorted `best` list:
/// `row` holds the query's dot products with them and becomes the squared distances
/// (query norm `qn`, reference norms `r_norms`); `skip` is the query itself, never its own
/// neighbour. Lanes of [`SCAN`] distances are tested against the current worst at once,
/// so the rare insertions are the only scalar work.
#[multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512cd+avx512dq+avx512vl+avx2+fma",
    "x86_64+avx2+fma"
))]
pub(crate) fn scan_row(
    row: &mut [f32],
    qn: f32,
    r_norms: &[f32],
    r0: usize,
    skip: usize,
    best: &mut [(f32, u32)],
) {
    for (v, &rn) in row.iter_mut().zip(r_norms) {
        *v = qn + rn - 2.0 * *v;
    }
    let mut worst = best[best.len() - 1].0;
    for (c0, lane) in row.chunks(SCAN).enumerate() {
        if !lane.iter().fold(false, |any, &v| any | (v < worst)) {
            continue;
        }
        for (c, &v) in lane.iter().enumerate() {
            let index = r0 + c0 * SCAN + c;
            if v < worst && index != skip {
                insert(best, (v, index as u32));
                worst = best[best.len() - 1].0;
            }
        }
    }
}

/// Inserts `item` into the sorted `best`, dropping the last entry.
#[inline]
fn insert(best: &mut [(f32, u32)], item: (f32, u32)) {
    let mut pos = best.len() - 1;
    while pos > 0 && best[pos - 1].0 > item.0 {
        best[pos] = best[pos - 1];
        pos -= 1;
    }
    best[pos] = item;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insertion_keeps_the_best_sorted() {
        let mut best = vec![(f32::INFINITY, u32::MAX); 3];
        for (i, v) in [5.0, 1.0, 3.0, 0.5, 4.0].into_iter().enumerate() {
            if v < best[2].0 {
                insert(&mut best, (v, i as u32));
            }
        }
        assert_eq!(best, vec![(0.5, 3), (1.0, 1), (3.0, 2)]);
    }

    #[test]
    fn cosine_distance_is_one_minus_cosine() {
        let x = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 0.0, 2.0, 3.0, 3.0]);
        let nn = nearest_neighbors(&x, 3, Metric::Cosine).unwrap();
        // Row 0: itself, then (3, 3) at 1 − cos 45°, then (0, 2) at 1.
        assert_eq!(&nn.indices()[..3], &[0, 2, 1]);
        let expected = 1.0 - std::f32::consts::FRAC_1_SQRT_2;
        assert!((nn.distances()[1] - expected).abs() < 1e-6);
        assert!((nn.distances()[2] - 1.0).abs() < 1e-6);
    }
}
