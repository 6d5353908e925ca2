//! Dropout masks as a pure function of (step seed, layer, value index): both implementations
//! (the CPU engine, image by image in parallel, and candle's stock ops, a whole batch at once)
//! draw identical masks, on any number of threads.

use multiversion::multiversion;

/// Which values of a layer a training step drops, and by how much the others are scaled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dropout {
    key: u32,
    threshold: u32,
    /// `1 / (1 - rate)`: the scale of kept values (inverted dropout).
    pub keep_scale: f32,
}

/// [`Dropout::flags`], a free function for the multiversioning (which takes no `self`).
#[multiversion(targets("x86_64+avx512f+avx512bw+avx512vl+avx2", "x86_64+avx2"))]
fn keep_flags(mask: &Dropout, first: usize, flags: &mut [u8]) {
    for (j, f) in flags.iter_mut().enumerate() {
        *f = mask.keeps(first + j) as u8;
    }
}

/// SplitMix64's finaliser: a bijective 64-bit mix.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Dropout {
    /// The mask of `layer` in the step with `step_seed`; `None` for rate 0.
    pub fn new(rate: f32, step_seed: u64, layer: usize) -> Option<Self> {
        if rate <= 0.0 {
            return None;
        }
        Some(Self {
            key: (mix(step_seed ^ mix(layer as u64 + 1)) >> 32) as u32,
            threshold: (rate as f64 * 4_294_967_296.0).min(u32::MAX as f64) as u32,
            keep_scale: 1.0 / (1.0 - rate),
        })
    }

    /// Whether the value at `index` (counted over the whole batch) is kept: MurmurHash3's
    /// 32-bit finaliser of the index and the layer's key against the rate's threshold.
    #[inline(always)]
    pub fn keeps(&self, index: usize) -> bool {
        let mut h = (index as u32).wrapping_mul(0x9e37_79b1) ^ self.key;
        h ^= h >> 16;
        h = h.wrapping_mul(0x85eb_ca6b);
        h ^= h >> 13;
        h = h.wrapping_mul(0xc2b2_ae35);
        h ^= h >> 16;
        h >= self.threshold
    }

    /// `flags[j] = keeps(first + j) as u8` (vectorised where AVX2 is available).
    pub fn flags(&self, first: usize, flags: &mut [u8]) {
        keep_flags(self, first, flags)
    }

    /// The multiplier (0 or `keep_scale`) of every value `0..len` of the layer.
    pub fn mask(&self, len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| if self.keeps(i) { self.keep_scale } else { 0.0 })
            .collect()
    }
}

/// Masking noise for a denoising objective (Vincent et al., 2008): each input value of a
/// training step is set to 0 with probability `rate`, the others are left as they are. Drawn
/// like a dropout mask, from a layer number of its own, so both implementations corrupt the
/// same pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InputMasking(Dropout);

impl InputMasking {
    /// The input's layer number, apart from the network's dropout layers.
    const LAYER: usize = 1 << 16;

    /// The masking of the step with `step_seed`; `None` for rate 0.
    pub fn new(rate: f32, step_seed: u64) -> Option<Self> {
        Dropout::new(rate, step_seed, Self::LAYER).map(Self)
    }

    /// Zeroes the masked ones among `values`, the batch's input values `first..`.
    pub fn apply(&self, first: usize, values: &mut [f32]) {
        for (j, v) in values.iter_mut().enumerate() {
            if !self.0.keeps(first + j) {
                *v = 0.0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_about_the_rate_and_depends_on_seed_and_layer() {
        let d = Dropout::new(0.25, 7, 0).unwrap();
        let kept = (0..100_000).filter(|&i| d.keeps(i)).count();
        assert!((kept as f64 / 100_000.0 - 0.75).abs() < 0.01, "{kept}");
        let other_layer = Dropout::new(0.25, 7, 1).unwrap();
        let other_seed = Dropout::new(0.25, 8, 0).unwrap();
        assert_ne!(d.mask(64), other_layer.mask(64));
        assert_ne!(d.mask(64), other_seed.mask(64));
        assert!(Dropout::new(0.0, 7, 0).is_none());
        let mut flags = vec![0u8; 100];
        d.flags(5, &mut flags);
        assert!(
            flags
                .iter()
                .enumerate()
                .all(|(j, &f)| (f == 1) == d.keeps(5 + j))
        );
    }

    #[test]
    fn input_masking_zeroes_about_the_rate_and_keeps_the_rest() {
        let m = InputMasking::new(0.3, 11).unwrap();
        let mut values = vec![0.5f32; 100_000];
        m.apply(0, &mut values);
        let zeroed = values.iter().filter(|&&v| v == 0.0).count();
        assert!((zeroed as f64 / 100_000.0 - 0.3).abs() < 0.01, "{zeroed}");
        assert!(values.iter().all(|&v| v == 0.0 || v == 0.5));
        let mut tail = vec![0.5f32; 1000];
        m.apply(99_000, &mut tail);
        assert_eq!(tail, values[99_000..], "a chunk gets the batch's mask");
        assert!(InputMasking::new(0.0, 11).is_none());
    }
}
