//! A small counter-based random stream: SplitMix64 seeded by hashing (seed, stream, index), so
//! that every vertex of every epoch has its own stream whatever thread processes it.

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

    /// A uniform `f64` in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal `f64` (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u = 1.0 - self.uniform();
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
