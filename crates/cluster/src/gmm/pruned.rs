//! The full-covariance E-step, pruned exactly: `ln w_j + ln N(x_i | μ_j, Σ_j)` is completed
//! only for the components that can still matter to a row.
//!
//! With the upper-triangular precision factor `U_j`, the first `h` values of the whitened row
//! `(x − μ_j) U_j` depend only on the first `h` features, and their squared norm is the
//! Mahalanobis term of the marginal over those features: a lower bound of the whole term
//! (so an upper bound of the log-density) at `(h / d)²` of its cost. The features are first put
//! in decreasing order of their Fisher ratio (variance of the component means over the mean
//! component variance), so that the leading marginals separate the components well, and the
//! factors are computed for that order.
//!
//! Per chunk of rows:
//! 1. the bound over the first `d / 4` features, for every component;
//! 2. the exact term of every row's most promising component;
//! 3. for the other components, the bound over `d / 2` features where the first bound comes
//!    within the margin of the row's best exact log-density, and the exact term where that
//!    bound still does.
//!
//! The components left out cannot move what the caller wants (see [`Prune`]). Each chunk writes
//! only its own rows: the result is the same on any number of threads.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{BlockStructure, matmul as triangular_matmul};
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use std::f64::consts::PI;

use super::components::{Components, Parameters, upper_precision_factor};
use super::estep::first_max;
use super::rows::{Rows64, Scalar};
use crate::linalg::CHUNK;

/// How far the E-step may prune, and what a pruned log-density becomes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Prune {
    /// Components whose bound falls more than this below the row's best exact log-density are
    /// left out.
    pub margin: f64,
    /// A left-out log-density is written as −∞ (`true`: its responsibility is exactly 0) or as
    /// its upper bound (`false`).
    pub as_minus_infinity: bool,
}

/// Rows per chunk: each product of a chunk's selected rows with a factor's triangle copies that
/// triangle first (faer), so chunks larger than [`CHUNK`] spread the copy over more rows.
const ROWS: usize = 4 * CHUNK;

/// Relative slack on a bound, for the rounding of the partial norm it comes from.
const ROUNDING: f64 = 1e-4;

/// The full-covariance E-step's state: the Fisher order of the features and, in that order,
/// the means and precision factors of every component.
#[derive(Debug, Clone)]
pub(crate) struct Ordered {
    order: Vec<usize>,
    /// The means in `order`, `k x d`.
    means: Vec<f64>,
    /// The precision factors in `order`, `k x d x d` row-major, upper triangular.
    factors: Vec<f64>,
    /// `−½ d ln 2π + ln det U_j + ln w_j`: the part of each log-density that does not depend
    /// on the sample.
    constants: Vec<f64>,
    d: usize,
}

impl Ordered {
    /// The Fisher order and its factors; the features' own order where a covariance does not
    /// factor in the Fisher order (rounding can decide that for a nearly singular one).
    ///
    /// # Errors
    /// The first component whose covariance does not factor in either order.
    pub fn new(p: &Parameters) -> Result<Self, usize> {
        let g = Gaussians {
            d: p.d,
            weights: &p.weights,
            means: &p.means,
            covariances: &p.covariances,
        };
        Self::in_order(g, fisher_order(g)).or_else(|_| Self::in_order(g, (0..g.d).collect()))
    }

    /// A fitted mixture's E-step: in the Fisher order where the covariances factor in it,
    /// else in the features' own order with the factors `c` holds.
    pub fn of(c: &Components) -> Self {
        let g = Gaussians {
            d: c.d,
            weights: &c.weights,
            means: &c.means,
            covariances: &c.covariances,
        };
        Self::in_order(g, fisher_order(g))
            .unwrap_or_else(|_| Self::with(g, (0..g.d).collect(), c.precisions_cholesky.clone()))
    }

    /// The E-step with the features in `order`, or the first component whose covariance does
    /// not factor in it.
    fn in_order(p: Gaussians<'_>, order: Vec<usize>) -> Result<Self, usize> {
        let d = p.d;
        let factors: Vec<Option<Vec<f64>>> = p
            .covariances
            .par_chunks(d * d)
            .map(|cov| {
                let permuted: Vec<f64> = order
                    .iter()
                    .flat_map(|&r| order.iter().map(move |&col| cov[r * d + col]))
                    .collect();
                upper_precision_factor(&permuted, d)
            })
            .collect();
        if let Some(j) = factors.iter().position(Option::is_none) {
            return Err(j);
        }
        Ok(Self::with(
            p,
            order,
            factors.into_iter().flatten().flatten().collect(),
        ))
    }

    /// The E-step with the features in `order` and the `factors` for that order.
    fn with(p: Gaussians<'_>, order: Vec<usize>, factors: Vec<f64>) -> Self {
        let d = p.d;
        let means = (0..p.k())
            .flat_map(|j| order.iter().map(move |&t| p.mean(j)[t]))
            .collect();
        let constants = (0..p.k())
            .map(|j| {
                let log_det: f64 = (0..d).map(|t| factors[j * d * d + t * d + t].ln()).sum();
                -0.5 * d as f64 * (2.0 * PI).ln() + log_det + p.weights[j].ln()
            })
            .collect();
        Self {
            order,
            means,
            factors,
            constants,
            d,
        }
    }

    /// Number of components.
    pub fn k(&self) -> usize {
        self.constants.len()
    }

    /// `ln det U_j`: half the log-determinant of component `j`'s precision.
    pub fn log_det_precision_cholesky(&self, j: usize) -> f64 {
        let d = self.d;
        (0..d)
            .map(|t| self.factors[j * d * d + t * d + t].ln())
            .sum()
    }

    /// `out[i * k + j] = ln w_j + ln N(x_i | μ_j, Σ_j)`, exact where `prune` needs it, with the
    /// products in `T`.
    pub fn weighted_log_prob<T: Scalar>(&self, x: &Rows64, prune: Prune, out: &mut [f64]) {
        let chunks = Chunks {
            e: self,
            factors: self.factors.iter().map(|&v| T::of(v)).collect(),
            k: self.k(),
        };
        x.data
            .par_chunks(ROWS * x.d)
            .zip(out.par_chunks_mut(ROWS * chunks.k))
            .for_each(|(rows, out)| chunks.chunk(rows, prune, out));
    }
}

/// The weights, means and covariances of full-covariance components, borrowed from
/// [`Parameters`] or [`Components`] (layouts as theirs).
#[derive(Debug, Clone, Copy)]
struct Gaussians<'a> {
    d: usize,
    weights: &'a [f64],
    means: &'a [f64],
    covariances: &'a [f64],
}

impl Gaussians<'_> {
    /// Number of components.
    fn k(&self) -> usize {
        self.weights.len()
    }

    /// Mean of component `j`.
    fn mean(&self, j: usize) -> &[f64] {
        &self.means[j * self.d..(j + 1) * self.d]
    }
}

/// Features by decreasing Fisher ratio: the weighted variance of the component means over the
/// weighted mean of the component variances (ties in feature order).
fn fisher_order(p: Gaussians<'_>) -> Vec<usize> {
    let (d, k) = (p.d, p.k());
    let ratio = |t: usize| {
        let centre: f64 = (0..k).map(|j| p.weights[j] * p.mean(j)[t]).sum();
        let between: f64 = (0..k)
            .map(|j| p.weights[j] * (p.mean(j)[t] - centre).powi(2))
            .sum();
        let within: f64 = (0..k)
            .map(|j| p.weights[j] * p.covariances[j * d * d + t * d + t])
            .sum();
        between / within
    };
    let ratios: Vec<f64> = (0..d).map(ratio).collect();
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| ratios[b].total_cmp(&ratios[a]));
    order
}

/// What every chunk of rows of one E-step shares: its state and the factors rounded to `T`.
struct Chunks<'a, T> {
    e: &'a Ordered,
    factors: Vec<T>,
    k: usize,
}

/// Per-chunk buffers: rows centred on a component's mean (`z`) and their products with its
/// factor (`y`).
struct Scratch<T> {
    z: Vec<T>,
    y: Vec<T>,
}

impl<T: Scalar> Chunks<'_, T> {
    /// The log-densities of one chunk of rows (see the module documentation).
    fn chunk(&self, rows: &[f64], prune: Prune, out: &mut [f64]) {
        let (d, k, constants) = (self.e.d, self.k, &self.e.constants);
        let m = rows.len() / d;
        let x: Vec<f64> = rows
            .chunks_exact(d)
            .flat_map(|r| self.e.order.iter().map(move |&t| r[t]))
            .collect();
        let mut scratch = Scratch {
            z: vec![T::of(0.0); m * d],
            y: vec![T::of(0.0); m * d],
        };
        let mut partial = vec![0.0; m * k];
        // The first bounds by blocks of rows that stay in cache across the components.
        let every: Vec<usize> = (0..m).collect();
        for block in every.chunks(CHUNK) {
            for j in 0..k {
                self.extend(&x, j, block, (0, d / 4), &mut partial, &mut scratch);
            }
        }
        let log_density =
            |partial: &[f64], i: usize, j: usize| constants[j] - 0.5 * partial[i * k + j];
        for (a, o) in out.iter_mut().enumerate() {
            *o = log_density(&partial, a / k, a % k);
        }
        let first: Vec<usize> = out.chunks_exact(k).map(first_max).collect();
        let state = self.refine(&x, &first, prune, &mut partial, &mut scratch);
        for (a, o) in out.iter_mut().enumerate() {
            *o = match state[a] {
                State::Pruned if prune.as_minus_infinity => f64::NEG_INFINITY,
                _ => log_density(&partial, a / k, a % k),
            };
        }
    }

    /// Steps 2 and 3 for a chunk `x` whose `partial` norms hold the first bounds: completes
    /// every row's `first` (most promising) component, then refines the others while they can
    /// matter. Returns where each row's log-density of each component ended.
    fn refine(
        &self,
        x: &[f64],
        first: &[usize],
        prune: Prune,
        partial: &mut [f64],
        scratch: &mut Scratch<T>,
    ) -> Vec<State> {
        let (d, k, constants) = (self.e.d, self.k, &self.e.constants);
        let m = first.len();
        let (quarter, half) = (d / 4, d / 2);
        let log_density =
            |partial: &[f64], i: usize, j: usize| constants[j] - 0.5 * partial[i * k + j];
        let mut state: Vec<State> = (0..m * k)
            .map(|a| State::open(first[a / k] == a % k))
            .collect();
        for j in 0..k {
            let rows: Vec<usize> = (0..m).filter(|&i| first[i] == j).collect();
            self.extend(x, j, &rows, (quarter, d), partial, scratch);
        }
        let mut best: Vec<f64> = (0..m).map(|i| log_density(partial, i, first[i])).collect();
        for (span, last) in [((quarter, half), false), ((half, d), true)] {
            for j in 0..k {
                let rows: Vec<usize> = (0..m)
                    .filter(|&i| {
                        let s = &mut state[i * k + j];
                        if *s != State::Open {
                            return false;
                        }
                        let bound = constants[j] - 0.5 * (1.0 - ROUNDING) * partial[i * k + j];
                        if bound < best[i] - prune.margin {
                            *s = State::Pruned;
                        }
                        *s == State::Open
                    })
                    .collect();
                self.extend(x, j, &rows, span, partial, scratch);
                if last {
                    for &i in &rows {
                        state[i * k + j] = State::Exact;
                        best[i] = best[i].max(log_density(partial, i, j));
                    }
                }
            }
        }
        state
    }

    /// Adds to `partial[i * k + j]` the squared norms of columns `from..to` of
    /// `(x_i − μ_j) U_j` for the `rows` `i` of the chunk `x` (in the Fisher order).
    fn extend(
        &self,
        x: &[f64],
        j: usize,
        rows: &[usize],
        (from, to): (usize, usize),
        partial: &mut [f64],
        scratch: &mut Scratch<T>,
    ) {
        let (d, k, s) = (self.e.d, self.k, rows.len());
        if s == 0 || from == to {
            return;
        }
        let mean = &self.e.means[j * d..j * d + to];
        let Scratch { z, y } = scratch;
        for (zr, &i) in z.chunks_exact_mut(to).zip(rows) {
            for ((zv, &xv), &mu) in zr.iter_mut().zip(&x[i * d..i * d + to]).zip(mean) {
                *zv = T::of(xv - mu);
            }
        }
        let zs = MatRef::from_row_major_slice(&z[..s * to], s, to);
        let mut ys = MatMut::from_row_major_slice_mut(&mut y[..s * (to - from)], s, to - from);
        let u = MatRef::from_row_major_slice(&self.factors[j * d * d..(j + 1) * d * d], d, d);
        if from > 0 {
            let above = u.submatrix(0, from, from, to - from);
            matmul(
                ys.as_mut(),
                Accum::Replace,
                zs.subcols(0, from),
                above,
                T::of(1.0),
                Par::Seq,
            );
        }
        triangular_matmul(
            ys,
            BlockStructure::Rectangular,
            if from > 0 { Accum::Add } else { Accum::Replace },
            zs.subcols(from, to - from),
            BlockStructure::Rectangular,
            u.submatrix(from, from, to - from, to - from),
            BlockStructure::TriangularUpper,
            T::of(1.0),
            Par::Seq,
        );
        for (yr, &i) in y.chunks_exact(to - from).zip(rows) {
            partial[i * k + j] += T::sq_norm(yr);
        }
    }
}

/// Where a row's log-density of one component stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Bounded so far, still to be refined.
    Open,
    /// Left out: its bound cannot matter.
    Pruned,
    /// Complete.
    Exact,
}

impl State {
    /// The state before refinement: the row's most promising component is completed at once.
    fn open(most_promising: bool) -> Self {
        if most_promising {
            Self::Exact
        } else {
            Self::Open
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gmm::Covariance;

    #[test]
    fn the_fisher_order_leads_with_the_features_that_separate_the_components() {
        // Feature 2 separates the means most for the variance it has, feature 0 not at all.
        let d = 3;
        let mut covariances = vec![0.0; 2 * d * d];
        for j in 0..2 {
            for (t, v) in [1.0, 4.0, 1.0].into_iter().enumerate() {
                covariances[j * d * d + t * d + t] = v;
            }
        }
        let p = Parameters {
            kind: Covariance::Full,
            d,
            weights: vec![0.5, 0.5],
            means: vec![0.0, -1.0, -1.0, 0.0, 1.0, 1.0],
            covariances,
        };
        let e = Ordered::new(&p).unwrap();
        assert_eq!(e.order, vec![2, 1, 0]);
        // The determinant does not depend on the order: ln det U = −½ ln (1 · 4 · 1).
        assert!((e.log_det_precision_cholesky(0) + 0.5 * 4f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn a_covariance_that_factors_in_no_order_is_named() {
        let p = Parameters {
            kind: Covariance::Full,
            d: 2,
            weights: vec![0.5, 0.5],
            means: vec![0.0; 4],
            covariances: vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        };
        assert_eq!(Ordered::new(&p).unwrap_err(), 1);
    }
}
