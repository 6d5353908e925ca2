//! Initial centres: greedy k-means++ as scikit-learn does it, or k distinct random samples.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::kernel::{Centres, sq_distances};
use crate::linalg::{CHUNK, Rows, map_groups};

/// Greedy k-means++ (Arthur & Vassilvitskii 2007, with scikit-learn's `2 + ln k` local trials):
/// the first centre is a uniform sample; each next one is the best, by resulting potential, of
/// `2 + ln k` samples drawn with probability proportional to their squared distance to the
/// nearest centre so far. Returns `k x d` centres, row-major.
pub(crate) fn plus_plus(x: &Rows, norms: &[f32], k: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
    let n = x.n;
    let trials = 2 + (k as f64).ln() as usize;
    let mut centres = Vec::with_capacity(k * x.d);
    let first = rng.random_range(0..n);
    centres.extend_from_slice(x.row(first));
    let mut closest = vec![f32::INFINITY; n];
    let mut candidate_dist = vec![0f32; n * trials];
    let mut potential = potentials(x, norms, &closest, &[first], &mut candidate_dist[..n])[0];
    closest.copy_from_slice(&candidate_dist[..n]);
    let mut cumulative = vec![0f64; n];
    for _ in 1..k {
        let mut running = 0.0;
        for (c, &v) in cumulative.iter_mut().zip(&closest) {
            running += f64::from(v);
            *c = running;
        }
        let candidates: Vec<usize> = (0..trials)
            .map(|_| {
                let target = rng.random::<f64>() * potential;
                cumulative.partition_point(|&c| c < target).min(n - 1)
            })
            .collect();
        let pots = potentials(x, norms, &closest, &candidates, &mut candidate_dist);
        let best = (1..trials).fold(0, |b, t| if pots[t] < pots[b] { t } else { b });
        potential = pots[best];
        for (c, dists) in closest.iter_mut().zip(candidate_dist.chunks_exact(trials)) {
            *c = dists[best];
        }
        centres.extend_from_slice(x.row(candidates[best]));
    }
    centres
}

/// For each candidate sample `t`, writes `out[i * T + t] = min(closest[i], ‖x_i − x_t‖²)` and
/// returns the potentials `Σ_i out[i * T + t]`, summed group by group in a fixed order. The
/// distances are the iterations' kernel ([`super::kernel`]): all candidates in one pass over
/// each row, the same bits on every machine.
fn potentials(
    x: &Rows,
    norms: &[f32],
    closest: &[f32],
    candidates: &[usize],
    out: &mut [f32],
) -> Vec<f64> {
    let d = x.d;
    let t = candidates.len();
    let centres = Centres::new(
        candidates
            .iter()
            .flat_map(|&i| x.row(i).iter().copied())
            .collect(),
        d,
    );
    let partials = map_groups(x, norms, out, t, |g, rows, group_norms, out| {
        let mut pots = vec![0f64; t];
        let first = g * crate::linalg::GROUP;
        for (c, ((chunk, chunk_norms), out)) in rows
            .chunks(CHUNK * d)
            .zip(group_norms.chunks(CHUNK))
            .zip(out.chunks_mut(CHUNK * t))
            .enumerate()
        {
            sq_distances(chunk, chunk_norms, &centres, out);
            let start = first + c * CHUNK;
            for (dists, &near) in out.chunks_exact_mut(t).zip(&closest[start..]) {
                for (v, pot) in dists.iter_mut().zip(pots.iter_mut()) {
                    *v = v.min(near);
                    *pot += f64::from(*v);
                }
            }
        }
        pots
    });
    let mut total = vec![0f64; t];
    for p in partials {
        for (a, b) in total.iter_mut().zip(p) {
            *a += b;
        }
    }
    total
}

/// `k` distinct samples drawn uniformly. Returns `k x d` centres, row-major.
pub(crate) fn random(x: &Rows, k: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
    rand::seq::index::sample(rng, x.n, k)
        .into_iter()
        .flat_map(|i| x.row(i).iter().copied())
        .collect()
}
