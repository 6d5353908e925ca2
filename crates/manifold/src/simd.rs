//! The squared distance written so that it vectorises, in the hot loops that the
//! `multiversion` attribute compiles for AVX2 + FMA as well and picks from at run time.

/// Squared Euclidean distance in `f32`, summed in eight lanes and then pairwise (a 10-d row is
/// one 8-wide step and two scalars, instead of a chain of ten dependent additions).
#[inline(always)]
pub(crate) fn sq_dist(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(&x, &y)| (x - y) * (x - y))
        .sum();
    for (x, y) in a8.zip(b8) {
        for ((lane, &p), &q) in lanes.iter_mut().zip(x).zip(y) {
            *lane += (p - q) * (p - q);
        }
    }
    let [a0, a1, a2, a3, a4, a5, a6, a7] = lanes;
    ((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7)) + tail
}
