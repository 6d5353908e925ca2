//! A small counter-based random stream: SplitMix64 seeded by hashing (seed, stream, index), so
//! that every vertex of every epoch has its own stream whatever thread processes it. It is a
//! [`rand::RngCore`], so that fmnist-core's [`standard_normal`] draws from it.

use fmnist_core::linalg::standard_normal;
use rand::{Rng, RngCore};

/// SplitMix64 (Steele, Lea and Flood 2014): one 64-bit state, full period, good mixing.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(u64);

/// The output function of SplitMix64.
#[inline(always)]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// A key of a point by its coordinates' bits: equal points get equal keys.
pub(crate) fn point_key(coords: impl IntoIterator<Item = f32>) -> u64 {
    coords
        .into_iter()
        .fold(GOLDEN, |h, v| mix(h ^ u64::from(v.to_bits())))
}

impl SplitMix {
    /// The stream of `(seed, stream, index)`.
    pub fn new(seed: u64, stream: u64, index: u64) -> Self {
        Self(mix(
            mix(mix(seed ^ GOLDEN) ^ stream.wrapping_mul(GOLDEN)) ^ index
        ))
    }

    /// The next 64 random bits.
    #[inline(always)]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// A uniform integer in `0..n` (`n < 2³²`), by the multiply-shift method.
    #[inline(always)]
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// A uniform `f64` in [0, 1): the top 53 bits of the next output, scaled (rand's
    /// `StandardUniform`).
    pub fn uniform(&mut self) -> f64 {
        self.random()
    }

    /// A standard normal `f64` (fmnist-core's Box–Muller draw from two uniforms).
    pub fn normal(&mut self) -> f64 {
        standard_normal(self)
    }
}

impl RngCore for SplitMix {
    fn next_u32(&mut self) -> u32 {
        (SplitMix::next_u64(self) >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        SplitMix::next_u64(self)
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        rand::rand_core::impls::fill_bytes_via_next(self, dst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniforms_are_the_top_53_bits_and_normals_box_muller() {
        let (mut a, mut b) = (SplitMix::new(3, 4, 5), SplitMix::new(3, 4, 5));
        for _ in 0..100 {
            let bits = SplitMix::next_u64(&mut b) >> 11;
            assert_eq!(a.uniform(), bits as f64 / (1u64 << 53) as f64);
        }
        let u = 1.0 - b.uniform();
        let v = b.uniform();
        let expected = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
        assert_eq!(a.normal().to_bits(), expected.to_bits());
    }

    #[test]
    fn streams_differ_and_repeat() {
        let a: Vec<u64> = (0..4).map(|_| SplitMix::new(0, 1, 2).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            SplitMix::new(0, 1, 2).next_u64(),
            SplitMix::new(0, 1, 3).next_u64()
        );
        let mut r = SplitMix::new(7, 0, 0);
        let mean = (0..10_000).map(|_| r.below(10) as f64).sum::<f64>() / 1e4;
        assert!((mean - 4.5).abs() < 0.1);
        let mean_sq = (0..10_000).map(|_| r.normal().powi(2)).sum::<f64>() / 1e4;
        assert!((mean_sq - 1.0).abs() < 0.05);
    }
}
