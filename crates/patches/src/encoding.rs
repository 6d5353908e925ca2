//! Patch geometry, contrast normalisation and the triangle encoding of whitened patches,
//! sum-pooled over a grid of regions.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use fmnist_core::simd::fold_lanes;
use multiversion::multiversion;

/// Where the patches of an image lie and which pooling region each belongs to.
#[derive(Debug, Clone)]
pub(crate) struct Geometry {
    /// Image columns (pixels per image row).
    cols: usize,
    /// Patch side.
    patch: usize,
    /// Pixels between neighbouring patches.
    stride: usize,
    /// Patch positions along an image column and along an image row.
    down: usize,
    across: usize,
    /// Pooling region of every position, row-major.
    region: Vec<usize>,
    /// Pooling regions (grid side squared).
    regions: usize,
}

impl Geometry {
    /// The geometry of `patch x patch` patches every `stride` pixels of `rows x cols` images,
    /// pooled on a `grid x grid` grid. The caller has checked that a patch fits and that each
    /// side has at least `grid` positions.
    pub(crate) fn new(rows: usize, cols: usize, patch: usize, stride: usize, grid: usize) -> Self {
        let down = positions(rows, patch, stride);
        let across = positions(cols, patch, stride);
        let band_down = bands(down, grid);
        let band_across = bands(across, grid);
        let region = (0..down * across)
            .map(|p| band_down[p / across] * grid + band_across[p % across])
            .collect();
        Self {
            cols,
            patch,
            stride,
            down,
            across,
            region,
            regions: grid * grid,
        }
    }

    /// Values in one patch.
    pub(crate) fn patch_len(&self) -> usize {
        self.patch * self.patch
    }

    /// Patch positions in one image.
    pub(crate) fn positions(&self) -> usize {
        self.down * self.across
    }

    /// Pooling regions in one image.
    pub(crate) fn regions(&self) -> usize {
        self.regions
    }

    /// Copies the patch at `position` (row-major over positions) of `image` (row-major
    /// pixels) into `out`, row by row.
    pub(crate) fn extract(&self, image: &[f32], position: usize, out: &mut [f32]) {
        for (r, row) in out.chunks_exact_mut(self.patch).enumerate() {
            let start = self.row_start(position, r);
            row.copy_from_slice(&image[start..start + self.patch]);
        }
    }

    /// The pixel indices (in a row-major image) of the patch at `position`, row by row.
    pub(crate) fn pixels(&self, position: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.patch)
            .flat_map(move |r| (0..self.patch).map(move |c| self.row_start(position, r) + c))
    }

    /// Index of the first pixel of row `r` of the patch at `position`.
    fn row_start(&self, position: usize, r: usize) -> usize {
        let top = position / self.across * self.stride;
        let left = position % self.across * self.stride;
        (top + r) * self.cols + left
    }
}

/// Positions of a `patch`-wide window every `stride` pixels along a side of `len` pixels.
pub(crate) fn positions(len: usize, patch: usize, stride: usize) -> usize {
    (len - patch) / stride + 1
}

/// The band (0..grid) of each of `n` positions when they are split into `grid` contiguous
/// bands as evenly as possible, the first `n % grid` bands one longer (numpy's `array_split`).
fn bands(n: usize, grid: usize) -> Vec<usize> {
    let (base, extra) = (n / grid, n % grid);
    (0..grid)
        .flat_map(|b| std::iter::repeat_n(b, base + usize::from(b < extra)))
        .collect()
}

/// Contrast normalisation of one patch in place: minus its mean, divided by
/// `sqrt(variance + epsilon)` (population variance), then minus `shift` (the whitening's mean).
pub(crate) fn normalise(patch: &mut [f32], epsilon: f32, shift: &[f32]) {
    let n = patch.len() as f32;
    let mean = patch.iter().sum::<f32>() / n;
    let variance = patch.iter().map(|&v| (v - mean) * (v - mean)).sum::<f32>() / n;
    let scale = 1.0 / (variance + epsilon).sqrt();
    for (v, &s) in patch.iter_mut().zip(shift) {
        *v = (*v - mean) * scale - s;
    }
}

/// `centred · whitening` for row-major patches already centred on the whitening's mean (`d`
/// values each, `whitening` `d x d`), into `white`: one matrix product, the same for the
/// sample the dictionary is learnt from and for every image encoded.
pub(crate) fn whiten(centred: &[f32], whitening: &[f32], white: &mut [f32]) {
    let d = whitening.len().isqrt();
    let n = centred.len() / d;
    matmul(
        MatMut::from_row_major_slice_mut(white, n, d),
        Accum::Replace,
        MatRef::from_row_major_slice(centred, n, d),
        MatRef::from_row_major_slice(whitening, d, d),
        1.0f32,
        Par::Seq,
    );
}

/// Everything the encoding of an image needs, borrowed from a fitted model.
pub(crate) struct Encoder<'a> {
    pub geometry: &'a Geometry,
    pub contrast_epsilon: f32,
    /// Mean of the normalised patches (subtracted before whitening).
    pub mean: &'a [f32],
    /// ZCA whitening, `d x d`, symmetric.
    pub whitening: &'a [f32],
    /// Dictionary, `k x d`, row-major, in the whitened space.
    pub centroids: &'a [f32],
    /// Squared norms of the centroids.
    pub centroid_norms: &'a [f32],
}

impl Encoder<'_> {
    /// Features of the images in `images` (row-major pixels, one image after the other) into
    /// `out` (row-major, `regions x k` per image, region-major): for every patch, the distances
    /// `d_j` to the centroids, the activations `max(0, mean(d) − d_j)`, summed over the patches
    /// of each pooling region.
    pub(crate) fn encode(&self, images: &[f32], pixels: usize, out: &mut [f32]) {
        let g = self.geometry;
        let (d, k, positions) = (g.patch_len(), self.centroid_norms.len(), g.positions());
        // One image at a time, so that its patches and their products with the centroids
        // (576 x 128 values for 28x28 images) stay in the core's cache.
        let mut patches = vec![0f32; positions * d];
        let mut white = vec![0f32; positions * d];
        let mut dots = vec![0f32; positions * k];
        let mut distances = vec![0f32; k];
        out.fill(0.0);
        for (image, pooled) in images
            .chunks_exact(pixels)
            .zip(out.chunks_exact_mut(g.regions() * k))
        {
            for (position, patch) in patches.chunks_exact_mut(d).enumerate() {
                g.extract(image, position, patch);
                normalise(patch, self.contrast_epsilon, self.mean);
            }
            whiten(&patches, self.whitening, &mut white);
            matmul(
                MatMut::from_row_major_slice_mut(&mut dots, positions, k),
                Accum::Replace,
                MatRef::from_row_major_slice(&white, positions, d),
                MatRef::from_row_major_slice(self.centroids, k, d).transpose(),
                1.0f32,
                Par::Seq,
            );
            activate(
                &white,
                &dots,
                self.centroid_norms,
                &g.region,
                &mut distances,
                pooled,
            );
        }
    }
}

/// Adds the triangle activations of an image's whitened patches `white` (`d` values each),
/// given their products with the centroids `dots` (`k` each), to their pooling regions'
/// sums in `pooled` (`k` per region). Square roots and all: most of the encoding's time,
/// hence the AVX2 build (the same operations in the same order, so the same result).
#[multiversion(targets("x86_64+avx2+fma"))]
fn activate(
    white: &[f32],
    dots: &[f32],
    centroid_norms: &[f32],
    region: &[usize],
    distances: &mut [f32],
    pooled: &mut [f32],
) {
    let k = centroid_norms.len();
    let d = white.len() / region.len();
    for ((z, dot), &r) in white.chunks_exact(d).zip(dots.chunks_exact(k)).zip(region) {
        let norm = fold_lanes::<8, _, _>(z, z, |p, q| p * q);
        for ((dist, &dp), &c) in distances.iter_mut().zip(dot).zip(centroid_norms) {
            *dist = (norm - 2.0 * dp + c).max(0.0).sqrt();
        }
        let mean = fold_lanes::<8, _, _>(distances, distances, |p, _| p) / k as f32;
        for (o, &dist) in pooled[r * k..(r + 1) * k].iter_mut().zip(distances.iter()) {
            *o += (mean - dist).max(0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_split_like_numpy_array_split() {
        assert_eq!(bands(7, 3), [0, 0, 0, 1, 1, 2, 2]);
        assert_eq!(bands(6, 3), [0, 0, 1, 1, 2, 2]);
        assert_eq!(bands(3, 3), [0, 1, 2]);
        assert_eq!(bands(5, 1), [0; 5]);
    }

    #[test]
    fn positions_of_a_window() {
        assert_eq!(positions(28, 5, 1), 24);
        assert_eq!(positions(28, 5, 2), 12);
        assert_eq!(positions(28, 28, 3), 1);
    }

    #[test]
    fn patches_are_read_row_by_row_at_their_position() {
        let image: Vec<f32> = (0..20).map(|v| v as f32).collect(); // 4 x 5
        let g = Geometry::new(4, 5, 2, 2, 1);
        assert_eq!(g.positions(), 4); // 2 down x 2 across
        let mut out = [0f32; 4];
        g.extract(&image, 3, &mut out);
        assert_eq!(out, [12.0, 13.0, 17.0, 18.0]);
        assert_eq!(g.pixels(3).collect::<Vec<_>>(), [12, 13, 17, 18]);
    }

    #[test]
    fn normalised_patch_has_zero_mean_and_unit_variance_when_epsilon_is_small() {
        let mut p = [1.0f32, 2.0, 4.0, 9.0];
        normalise(&mut p, 1e-12, &[0.0; 4]);
        let mean = p.iter().sum::<f32>() / 4.0;
        let var = p.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / 4.0;
        assert!(
            mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5,
            "{mean} {var}"
        );
        let mut flat = [0.5f32; 4];
        normalise(&mut flat, 0.01, &[0.0; 4]);
        assert_eq!(flat, [0.0; 4]);
    }
}
