//! The one squared distance every K-Means algorithm uses, and how far it can be from the exact
//! value.
//!
//! `‖x − c‖²` is computed as ‖x‖² + ‖c‖² − 2·x·c (clamped at 0) with the dot product summed in
//! [`CHAINS`] independent partial sums of [`WIDTH`] lanes over the features, then those in a
//! fixed tree, then the tail. A pair's value depends on the pair alone: the pass of Lloyd's
//! algorithm over all pairs and a single pair recomputed by Hamerly's or Elkan's algorithm give
//! the same bits, so all three pick the same labels. [`Centres::error_bound`] bounds the
//! difference from the exact value, which lets the bound-based algorithms skip a pair only where
//! the skip cannot change the label that the computed values would give.
//!
//! The dot product has three implementations, picked once at run time ([`Path::detect`], never
//! `target-cpu=native`): AVX-512 intrinsics (two 512-bit registers hold the four chains), AVX2
//! intrinsics (four 256-bit registers) and portable Rust. All three do the same separate
//! multiplications and additions in the same order (no fused multiply-add, which Rust never
//! contracts to either), so they give the same bits: the models do not depend on the machine.

use fmnist_core::simd::sq_norm_f64;

/// Lanes of one partial sum (a 256-bit register).
const WIDTH: usize = 8;

/// Independent partial sums per dot product (so that additions do not wait on each other).
const CHAINS: usize = 4;

/// Features per step of a dot product: two 512-bit registers, four 256-bit ones.
const LANES: usize = WIDTH * CHAINS;

/// Which instructions compute the dot products. Every path gives the same bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    /// Plain Rust (any target).
    Portable,
    /// AVX2 intrinsics; only built by [`Path::available`], which checks the CPU.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// AVX-512F intrinsics; only built by [`Path::available`], which checks the CPU.
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Path {
    /// The paths this CPU can run, fastest first (the portable one always last).
    pub fn available() -> Vec<Path> {
        let mut paths = Vec::with_capacity(3);
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx2") {
                paths.push(Path::Avx512);
            }
            if is_x86_feature_detected!("avx2") {
                paths.push(Path::Avx2);
            }
        }
        paths.push(Path::Portable);
        paths
    }

    /// The fastest path this CPU can run (detected once, then cached).
    pub fn detect() -> Path {
        static BEST: std::sync::OnceLock<Path> = std::sync::OnceLock::new();
        *BEST.get_or_init(|| Path::available()[0])
    }

    /// `a · b` (equal lengths) on this path.
    #[inline]
    fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        debug_assert_eq!(a.len(), b.len());
        match self {
            Path::Portable => dot(a, b),
            // SAFETY: these variants are only built by `available`, after the CPU check.
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => unsafe { x86::dot_avx2(a, b) },
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => unsafe { x86::dot_avx512(a, b) },
        }
    }

    /// `out[j] = row · centres[j]` for the `d`-feature rows of `centres`, each with
    /// [`Path::dot`]'s bits (the intrinsics paths take several centres per load of the row).
    fn row_dots(self, row: &[f32], centres: &[f32], out: &mut [f32]) {
        match self {
            Path::Portable => {
                for (o, centre) in out.iter_mut().zip(centres.chunks_exact(row.len())) {
                    *o = dot(row, centre);
                }
            }
            // SAFETY: these variants are only built by `available`, after the CPU check.
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => unsafe { x86::row_dots_avx2(row, centres, out) },
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => unsafe { x86::row_dots_avx512(row, centres, out) },
        }
    }

    /// `out[m] = row · centres[js[m]]` for the `d`-feature rows of `centres`, each with
    /// [`Path::dot`]'s bits (AVX-512 takes up to four centres per load of the row).
    fn gather_dots(self, row: &[f32], centres: &[f32], js: &[usize], out: &mut [f32]) {
        let d = row.len();
        match self {
            // SAFETY: this variant is only built by `available`, after the CPU check.
            #[cfg(target_arch = "x86_64")]
            Path::Avx512 => unsafe { x86::gather_dots_avx512(row, centres, js, out) },
            _ => {
                for (o, &j) in out.iter_mut().zip(js) {
                    *o = self.dot(row, &centres[j * d..(j + 1) * d]);
                }
            }
        }
    }
}

/// Centres of one iteration, with what the distance needs: squared norms, and the largest.
#[derive(Debug, Clone)]
pub(crate) struct Centres {
    /// `k x d`, row-major.
    pub data: Vec<f32>,
    pub norms: Vec<f32>,
    pub d: usize,
    max_norm: f64,
    /// Relative error of the computed squared distance, times ‖x‖² + max ‖c‖².
    relative_error: f64,
    path: Path,
}

impl Centres {
    /// Wraps `k x d` row-major centres; distances on the fastest [`Path`].
    pub fn new(data: Vec<f32>, d: usize) -> Self {
        Self::on_path(data, d, Path::detect())
    }

    /// Wraps `k x d` row-major centres; distances on `path`.
    pub fn on_path(data: Vec<f32>, d: usize, path: Path) -> Self {
        let norms: Vec<f32> = data
            .chunks_exact(d)
            .map(|c| sq_norm_f64(c) as f32)
            .collect();
        let max_norm = norms.iter().fold(0f64, |m, &v| m.max(f64::from(v)));
        // Longest chain of roundings in a dot product: a product, the additions in a lane,
        // the lane tree and the tail; then the norms and the three operations of the expansion.
        let chain = 1 + d / LANES + CHAINS + 2 + WIDTH.ilog2() as usize + WIDTH + 1;
        let unit = f64::from(f32::EPSILON) / 2.0;
        Self {
            data,
            norms,
            d,
            max_norm,
            relative_error: 2.0 * (chain + 8) as f64 * unit,
            path,
        }
    }

    /// Number of centres.
    pub fn k(&self) -> usize {
        self.norms.len()
    }

    /// Centre `j`.
    pub fn row(&self, j: usize) -> &[f32] {
        &self.data[j * self.d..(j + 1) * self.d]
    }

    /// A bound on |computed − exact| squared distance of a row with squared norm `row_norm` to
    /// any of these centres (twice the standard rounding-error bound, for margin).
    pub fn error_bound(&self, row_norm: f32) -> f64 {
        self.relative_error * (f64::from(row_norm) * (1.0 + 1e-6) + self.max_norm)
    }

    /// The squared distance of `row` (squared norm `row_norm`) to centre `j`.
    pub fn sq_distance(&self, row: &[f32], row_norm: f32, j: usize) -> f32 {
        expand(row_norm, self.norms[j], self.path.dot(row, self.row(j)))
    }

    /// `out[m]` = the squared distance of `row` (squared norm `row_norm`) to centre `js[m]`,
    /// each with [`Centres::sq_distance`]'s bits, several centres per pass over the row.
    pub fn sq_distances_to(&self, row: &[f32], row_norm: f32, js: &[usize], out: &mut [f32]) {
        let out = &mut out[..js.len()];
        self.path.gather_dots(row, &self.data, js, out);
        for (v, &j) in out.iter_mut().zip(js) {
            *v = expand(row_norm, self.norms[j], *v);
        }
    }
}

/// ‖x‖² + ‖c‖² − 2·x·c, clamped at 0 (rounding can make it negative).
#[inline(always)]
fn expand(row_norm: f32, centre_norm: f32, dot: f32) -> f32 {
    (row_norm + centre_norm - 2.0 * dot).max(0.0)
}

/// The squared distances of `rows` (row-major, squared norms `row_norms`) to all centres:
/// `out[r * k + j]`, each with [`Centres::sq_distance`]'s bits.
pub(crate) fn sq_distances(rows: &[f32], row_norms: &[f32], centres: &Centres, out: &mut [f32]) {
    let (d, k) = (centres.d, centres.k());
    for ((row, &xn), dists) in rows
        .chunks_exact(d)
        .zip(row_norms)
        .zip(out.chunks_exact_mut(k))
    {
        centres.path.row_dots(row, &centres.data, dists);
        for (v, &cn) in dists.iter_mut().zip(&centres.norms) {
            *v = expand(xn, cn, *v);
        }
    }
}

/// `a · b`, portably: [`CHAINS`] independent sums of [`WIDTH`] lanes over blocks of [`LANES`]
/// features, the remaining whole [`WIDTH`]-blocks into the chains in order, the chains added
/// pairwise and their lanes halving, then the last `< WIDTH` products in order. The reference
/// that the intrinsics paths reproduce operation for operation.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [[0f32; WIDTH]; CHAINS];
    let (ab, bb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ar, br) = (ab.remainder(), bb.remainder());
    for (x, y) in ab.zip(bb) {
        for (lanes, (xs, ys)) in acc
            .iter_mut()
            .zip(x.chunks_exact(WIDTH).zip(y.chunks_exact(WIDTH)))
        {
            multiply_add(lanes, xs, ys);
        }
    }
    let (aw, bw) = (ar.chunks_exact(WIDTH), br.chunks_exact(WIDTH));
    let tail = tail_dot(aw.remainder(), bw.remainder());
    for (lanes, (xs, ys)) in acc.iter_mut().zip(aw.zip(bw)) {
        multiply_add(lanes, xs, ys);
    }
    let [c0, c1, c2, c3] = acc;
    let mut lanes: [f32; WIDTH] = std::array::from_fn(|l| (c0[l] + c1[l]) + (c2[l] + c3[l]));
    let mut width = WIDTH / 2;
    while width > 0 {
        for l in 0..width {
            lanes[l] += lanes[l + width];
        }
        width /= 2;
    }
    lanes[0] + tail
}

/// The last `< WIDTH` products, summed in order from 0 (every path).
#[inline(always)]
fn tail_dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).fold(0f32, |s, (&p, &q)| s + p * q)
}

/// `lanes += x · y`, lane by lane.
#[inline(always)]
fn multiply_add(lanes: &mut [f32; WIDTH], x: &[f32], y: &[f32]) {
    for ((lane, &p), &q) in lanes.iter_mut().zip(x).zip(y) {
        *lane += p * q;
    }
}

/// The dot product in AVX-512 and AVX2 intrinsics: [`dot`]'s operations in its order.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{CHAINS, LANES, WIDTH, tail_dot};

    /// Eight floats from the start of `x` (which has at least [`WIDTH`]).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn load8(x: &[f32]) -> __m256 {
        assert!(x.len() >= WIDTH);
        // SAFETY: `x` has at least eight floats; the load is unaligned.
        unsafe { _mm256_loadu_ps(x.as_ptr()) }
    }

    /// Sixteen floats from the start of `x` (which has at least `2 * WIDTH`).
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn load16(x: &[f32]) -> __m512 {
        assert!(x.len() >= 2 * WIDTH);
        // SAFETY: `x` has at least sixteen floats; the load is unaligned.
        unsafe { _mm512_loadu_ps(x.as_ptr()) }
    }

    /// `a · b` with the four chains in two 512-bit registers (chains 0 | 1 and 2 | 3).
    #[target_feature(enable = "avx512f,avx2")]
    pub(super) fn dot_avx512(a: &[f32], b: &[f32]) -> f32 {
        let (mut low, mut high) = (_mm512_setzero_ps(), _mm512_setzero_ps());
        let (ab, bb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
        let (ar, br) = (ab.remainder(), bb.remainder());
        for (x, y) in ab.zip(bb) {
            let (x1, y1) = (&x[2 * WIDTH..], &y[2 * WIDTH..]);
            low = _mm512_add_ps(low, _mm512_mul_ps(load16(x), load16(y)));
            high = _mm512_add_ps(high, _mm512_mul_ps(load16(x1), load16(y1)));
        }
        let (c0, c1) = halves(low);
        let (c2, c3) = halves(high);
        finish([c0, c1, c2, c3], ar, br)
    }

    /// `out[j] = row · centres[j]`, four centres per pass over the row (eight independent
    /// chains of additions instead of two), each with [`dot_avx512`]'s bits.
    #[target_feature(enable = "avx512f,avx2")]
    pub(super) fn row_dots_avx512(row: &[f32], centres: &[f32], out: &mut [f32]) {
        let d = row.len();
        let mut groups = centres.chunks_exact(4 * d);
        let mut outs = out.chunks_exact_mut(4);
        for (group, out) in (&mut groups).zip(&mut outs) {
            let ys = std::array::from_fn(|m| &group[m * d..(m + 1) * d]);
            out.copy_from_slice(&dots_avx512::<4>(row, ys));
        }
        for (o, centre) in outs
            .into_remainder()
            .iter_mut()
            .zip(groups.remainder().chunks_exact(d))
        {
            *o = dot_avx512(row, centre);
        }
    }

    /// `out[m] = row · centres[js[m]]` (`d`-feature rows of `centres`), four centres per pass
    /// over the row and the last one to three in one pass, each with [`dot_avx512`]'s bits.
    #[target_feature(enable = "avx512f,avx2")]
    pub(super) fn gather_dots_avx512(row: &[f32], centres: &[f32], js: &[usize], out: &mut [f32]) {
        let d = row.len();
        let centre = |j: usize| &centres[j * d..(j + 1) * d];
        for (js, out) in js.chunks(4).zip(out.chunks_mut(4)) {
            match *js {
                [a, b, c, e] => out.copy_from_slice(&dots_avx512(row, [a, b, c, e].map(centre))),
                [a, b, c] => out.copy_from_slice(&dots_avx512(row, [a, b, c].map(centre))),
                [a, b] => out.copy_from_slice(&dots_avx512(row, [a, b].map(centre))),
                [a] => out[0] = dot_avx512(row, centre(a)),
                _ => unreachable!("chunks of one to four"),
            }
        }
    }

    /// `row · ys[m]` for `M` centres in one pass over the row, each with [`dot_avx512`]'s bits.
    #[inline]
    #[target_feature(enable = "avx512f,avx2")]
    fn dots_avx512<const M: usize>(row: &[f32], ys: [&[f32]; M]) -> [f32; M] {
        let mut low = [_mm512_setzero_ps(); M];
        let mut high = [_mm512_setzero_ps(); M];
        for (b, x) in row.chunks_exact(LANES).enumerate() {
            let (x0, x1) = (load16(x), load16(&x[2 * WIDTH..]));
            for m in 0..M {
                let y = &ys[m][b * LANES..];
                low[m] = _mm512_add_ps(low[m], _mm512_mul_ps(x0, load16(y)));
                high[m] = _mm512_add_ps(high[m], _mm512_mul_ps(x1, load16(&y[2 * WIDTH..])));
            }
        }
        let rest = row.len() - row.len() % LANES;
        std::array::from_fn(|m| {
            let ((c0, c1), (c2, c3)) = (halves(low[m]), halves(high[m]));
            finish([c0, c1, c2, c3], &row[rest..], &ys[m][rest..])
        })
    }

    /// The lower and upper eight lanes of `v`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn halves(v: __m512) -> (__m256, __m256) {
        let upper = _mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v));
        (_mm512_castps512_ps256(v), _mm256_castpd_ps(upper))
    }

    /// `a · b` with the four chains in four 256-bit registers.
    #[target_feature(enable = "avx2")]
    pub(super) fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
        let mut chains = [_mm256_setzero_ps(); CHAINS];
        let (ab, bb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
        let (ar, br) = (ab.remainder(), bb.remainder());
        for (x, y) in ab.zip(bb) {
            for (c, chain) in chains.iter_mut().enumerate() {
                let (xs, ys) = (&x[c * WIDTH..], &y[c * WIDTH..]);
                *chain = _mm256_add_ps(*chain, _mm256_mul_ps(load8(xs), load8(ys)));
            }
        }
        finish(chains, ar, br)
    }

    /// `out[j] = row · centres[j]`, two centres per pass over the row (eight independent
    /// chains), each with [`dot_avx2`]'s bits.
    #[target_feature(enable = "avx2")]
    pub(super) fn row_dots_avx2(row: &[f32], centres: &[f32], out: &mut [f32]) {
        const M: usize = 2;
        let d = row.len();
        let mut groups = centres.chunks_exact(M * d);
        let mut outs = out.chunks_exact_mut(M);
        for (group, out) in (&mut groups).zip(&mut outs) {
            let mut chains = [[_mm256_setzero_ps(); CHAINS]; M];
            for (b, x) in row.chunks_exact(LANES).enumerate() {
                for (c, xs) in x.chunks_exact(WIDTH).enumerate() {
                    let xs = load8(xs);
                    for (m, chains) in chains.iter_mut().enumerate() {
                        let y = load8(&group[m * d + b * LANES + c * WIDTH..]);
                        chains[c] = _mm256_add_ps(chains[c], _mm256_mul_ps(xs, y));
                    }
                }
            }
            let rest = d - d % LANES;
            for (m, o) in out.iter_mut().enumerate() {
                *o = finish(chains[m], &row[rest..], &group[m * d + rest..(m + 1) * d]);
            }
        }
        for (o, centre) in outs
            .into_remainder()
            .iter_mut()
            .zip(groups.remainder().chunks_exact(d))
        {
            *o = dot_avx2(row, centre);
        }
    }

    /// Adds the remaining whole [`WIDTH`]-blocks of `a` and `b` (`< LANES` features) into the
    /// chains in order, adds the chains pairwise and their lanes halving, then the tail.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn finish(mut chains: [__m256; CHAINS], a: &[f32], b: &[f32]) -> f32 {
        let (aw, bw) = (a.chunks_exact(WIDTH), b.chunks_exact(WIDTH));
        let tail = tail_dot(aw.remainder(), bw.remainder());
        for (chain, (x, y)) in chains.iter_mut().zip(aw.zip(bw)) {
            *chain = _mm256_add_ps(*chain, _mm256_mul_ps(load8(x), load8(y)));
        }
        let [c0, c1, c2, c3] = chains;
        let lanes = _mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3));
        // Lanes l + (l + 4), then l + (l + 2), then 0 + 1: the portable tree.
        let four = _mm_add_ps(
            _mm256_castps256_ps128(lanes),
            _mm256_extractf128_ps::<1>(lanes),
        );
        let two = _mm_add_ps(four, _mm_movehl_ps(four, four));
        let one = _mm_add_ss(two, _mm_shuffle_ps::<1>(two, two));
        _mm_cvtss_f32(one) + tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fmnist_core::simd::sq_dist_f64;

    fn values(n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|v| (v as f32 * 0.731).sin() * scale).collect()
    }

    /// Every remainder case: whole 32-blocks, 0..3 whole 8-blocks after them, 0..7 features.
    const DIMENSIONS: [usize; 13] = [1, 7, 8, 16, 24, 31, 32, 33, 45, 63, 100, 783, 784];

    #[test]
    fn blocked_and_single_pairs_give_the_same_bits_within_the_bound() {
        for d in DIMENSIONS {
            let (n, k) = (11, 10);
            let rows = values(n * d, 1.5);
            let centres = Centres::new(values(k * d + 3, 0.7)[3..].to_vec(), d);
            let norms: Vec<f32> = rows.chunks(d).map(|r| sq_norm_f64(r) as f32).collect();
            let mut out = vec![0f32; n * k];
            sq_distances(&rows, &norms, &centres, &mut out);
            for i in 0..n {
                let row = &rows[i * d..(i + 1) * d];
                for j in 0..k {
                    let single = centres.sq_distance(row, norms[i], j);
                    assert_eq!(out[i * k + j].to_bits(), single.to_bits(), "d {d}");
                    let exact = sq_dist_f64(row, centres.row(j));
                    let error = (f64::from(single) - exact).abs();
                    assert!(error <= centres.error_bound(norms[i]), "d {d}: {error}");
                }
            }
        }
    }

    /// The AVX-512, AVX2 and portable paths (those this CPU has) give the same bits, also on
    /// values of very different magnitudes, where any change of order would show.
    #[test]
    fn every_path_gives_the_same_bits() {
        let paths = Path::available();
        assert_eq!(paths.last(), Some(&Path::Portable));
        for d in DIMENSIONS {
            let a: Vec<f32> = values(d, 1.0)
                .iter()
                .enumerate()
                .map(|(i, v)| v * 10f32.powi(i as i32 % 7 - 3))
                .collect();
            let b = values(d + 5, 3.0)[5..].to_vec();
            let reference = dot(&a, &b);
            for &path in &paths {
                assert_eq!(
                    path.dot(&a, &b).to_bits(),
                    reference.to_bits(),
                    "{path:?}, d {d}"
                );
            }
            // Several centres per pass: 0 to 9 centres, so whole groups and remainders.
            let centres = values(9 * d + 2, 2.0)[2..].to_vec();
            for k in 0..=9 {
                let centres = &centres[..k * d];
                let single: Vec<u32> = centres.chunks(d).map(|c| dot(&a, c).to_bits()).collect();
                for &path in &paths {
                    let mut out = vec![0f32; k];
                    path.row_dots(&a, centres, &mut out);
                    let out: Vec<u32> = out.iter().map(|v| v.to_bits()).collect();
                    assert_eq!(out, single, "{path:?}, d {d}, k {k}");
                    // Any subset in any order, gathered: 0 to 9 centres, last first.
                    let js: Vec<usize> = (0..k).rev().collect();
                    let mut out = vec![0f32; k];
                    path.gather_dots(&a, centres, &js, &mut out);
                    let out: Vec<u32> = out.iter().map(|v| v.to_bits()).collect();
                    let reversed: Vec<u32> = single.iter().rev().copied().collect();
                    assert_eq!(out, reversed, "gathered, {path:?}, d {d}, k {k}");
                }
            }
        }
    }
}
