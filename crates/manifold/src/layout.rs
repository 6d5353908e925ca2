//! The stochastic layout optimisation of umap-learn 0.5 (`optimize_layout_euclidean`): every
//! edge is sampled every `max weight / weight` epochs; a sample pulls the head towards the tail
//! with the gradient of log(1 / (1 + a·d^(2b))) and pushes it away from
//! `negative_sample_rate` random vertices with the repulsive gradient (scaled by γ); each
//! coordinate's step is clipped to ±4 and scaled by a learning rate that decays linearly.
//!
//! Deterministic on any thread count: in each epoch a vertex updates only its own coordinates,
//! from its own outgoing edges, reading every other vertex from a snapshot taken at the start
//! of the epoch, with a random stream of its own (seed, epoch, vertex). The symmetric graph holds
//! every edge in both directions, and umap-learn moves both ends of a sampled edge; here the
//! head takes the pull of both directions at once (`attraction` 2 for a fit), so a vertex gets
//! as much attraction per negative sample as in umap-learn.

use rayon::prelude::*;

use crate::graph::FuzzyGraph;
use crate::rng::SplitMix;

/// Vertices per unit of parallel work.
const BLOCK: usize = 256;
/// Largest step of one coordinate in one gradient update (umap-learn's `clip`).
const CLIP: f32 = 4.0;

/// The settings of one optimisation.
pub(crate) struct Layout<'a> {
    /// Edges from every head vertex (pruned of edges too light to be sampled).
    pub graph: &'a FuzzyGraph,
    pub dim: usize,
    pub a: f32,
    pub b: f32,
    /// Weight of the repulsion (umap-learn's `repulsion_strength`, γ).
    pub gamma: f32,
    /// Learning rate of the first epoch.
    pub alpha: f32,
    pub negative_sample_rate: usize,
    pub n_epochs: usize,
    /// Multiplier of the attractive step: 2 when both directions of every edge are heads of
    /// their own (a fit), 1 when only the heads move (a transform).
    pub attraction: f32,
    pub seed: u64,
    pub stream: u64,
}

/// Per-edge sampling schedule (umap-learn's `epoch_of_next_sample` and
/// `epoch_of_next_negative_sample`).
#[derive(Clone, Copy)]
struct Schedule {
    next: f64,
    next_negative: f64,
}

impl Layout<'_> {
    /// Optimises `head` (`n_heads x dim`, row-major). With `tail` `None` the heads are also
    /// the tails (a fit: the graph is square and a vertex never repels itself); otherwise the
    /// tails stay fixed at `tail`. Calls `epoch_done(epoch)` after every epoch.
    pub fn optimise(
        &self,
        head: &mut [f32],
        tail: Option<&[f32]>,
        epoch_done: &mut dyn FnMut(usize),
    ) {
        let dim = self.dim;
        let graph = self.graph;
        let max = graph.max_weight();
        if max <= 0.0 || self.n_epochs == 0 {
            return;
        }
        let per_sample: Vec<f64> = graph
            .values()
            .iter()
            .map(|&w| f64::from(max) / f64::from(w))
            .collect();
        let mut schedule: Vec<Schedule> = per_sample
            .iter()
            .map(|&e| Schedule {
                next: e,
                next_negative: e / self.negative_sample_rate.max(1) as f64,
            })
            .collect();
        let indptr = graph.indptr();
        let n_heads = graph.n();
        let mut snapshot = if tail.is_none() {
            head.to_vec()
        } else {
            Vec::new()
        };
        for epoch in 0..self.n_epochs {
            let alpha = if epoch == 0 {
                self.alpha
            } else {
                self.alpha * (1.0 - (epoch - 1) as f32 / self.n_epochs as f32)
            };
            let others: &[f32] = match tail {
                Some(t) => t,
                None => {
                    snapshot.copy_from_slice(head);
                    &snapshot
                }
            };
            // Split the per-edge schedule along the vertex blocks.
            let mut blocks = Vec::with_capacity(n_heads.div_ceil(BLOCK));
            let mut rest = schedule.as_mut_slice();
            for start in (0..n_heads).step_by(BLOCK) {
                let end = (start + BLOCK).min(n_heads);
                let (mine, after) = rest.split_at_mut(indptr[end] - indptr[start]);
                blocks.push(mine);
                rest = after;
            }
            head.par_chunks_mut(BLOCK * dim)
                .zip(blocks)
                .enumerate()
                .for_each(|(b, (coords, sched))| {
                    let first_edge = indptr[b * BLOCK];
                    for (r, current) in coords.chunks_exact_mut(dim).enumerate() {
                        let j = b * BLOCK + r;
                        let edges = indptr[j] - first_edge..indptr[j + 1] - first_edge;
                        let mut rng = SplitMix::new(
                            self.seed,
                            self.stream,
                            ((epoch as u64) << 32) | j as u64,
                        );
                        self.update_vertex(
                            j,
                            current,
                            others,
                            tail.is_none(),
                            &graph.targets()[first_edge + edges.start..first_edge + edges.end],
                            &per_sample[first_edge + edges.start..first_edge + edges.end],
                            &mut sched[edges],
                            epoch as f64,
                            alpha,
                            &mut rng,
                        );
                    }
                });
            epoch_done(epoch);
        }
    }

    /// One epoch of one head vertex `j` at `current`.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn update_vertex(
        &self,
        j: usize,
        current: &mut [f32],
        others: &[f32],
        same_set: bool,
        targets: &[u32],
        per_sample: &[f64],
        schedule: &mut [Schedule],
        epoch: f64,
        alpha: f32,
        rng: &mut SplitMix,
    ) {
        let dim = self.dim;
        let (a, b) = (self.a, self.b);
        let n_tails = others.len() / dim;
        let negative_rate = self.negative_sample_rate as f64;
        for ((&k, &every), s) in targets.iter().zip(per_sample).zip(schedule) {
            if s.next > epoch {
                continue;
            }
            let other = &others[k as usize * dim..(k as usize + 1) * dim];
            let d2 = sq_dist(current, other);
            if d2 > 0.0 {
                let pb = d2.powf(b);
                let coef = -2.0 * a * b * (pb / d2) / (a * pb + 1.0);
                let step = self.attraction * alpha;
                for (c, &o) in current.iter_mut().zip(other) {
                    *c += clip(coef * (*c - o)) * step;
                }
            }
            s.next += every;
            if negative_rate == 0.0 {
                continue;
            }
            let every_negative = every / negative_rate;
            let n_negative = ((epoch - s.next_negative) / every_negative).max(0.0) as usize;
            for _ in 0..n_negative {
                let k = rng.below(n_tails);
                if same_set && k == j {
                    continue;
                }
                let other = &others[k * dim..(k + 1) * dim];
                let d2 = sq_dist(current, other);
                if d2 > 0.0 {
                    let coef = 2.0 * self.gamma * b / ((0.001 + d2) * (a * d2.powf(b) + 1.0));
                    for (c, &o) in current.iter_mut().zip(other) {
                        *c += clip(coef * (*c - o)) * alpha;
                    }
                }
            }
            s.next_negative += n_negative as f64 * every_negative;
        }
    }
}

#[inline]
fn clip(v: f32) -> f32 {
    v.clamp(-CLIP, CLIP)
}

#[inline]
fn sq_dist(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(&x, &y)| (x - y) * (x - y)).sum()
}
