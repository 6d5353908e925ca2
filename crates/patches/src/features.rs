//! The estimator: [`PatchFeatures`] (parameters, `fit`) and [`FittedPatchFeatures`]
//! (`transform`).

use fmnist_core::{Fit, FormatVersion, Transform, validate};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::encoding::{Encoder, Geometry, normalise, positions, whiten};
use crate::error::{PatchError, Result};
use crate::whitening::zca;

/// Images encoded per unit of parallel work.
const BLOCK: usize = 8;

/// Height and width of the images, in pixels. A data matrix holds one image per row, its
/// pixels row by row (`rows x cols` columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageShape {
    /// Pixel rows of an image.
    pub rows: usize,
    /// Pixel columns of an image.
    pub cols: usize,
}

impl ImageShape {
    /// Pixels in one image.
    pub fn pixels(&self) -> usize {
        self.rows * self.cols
    }
}

/// Parameters of single-layer patch features (Coates, Lee & Ng, "An analysis of single-layer
/// networks in unsupervised feature learning", 2011). Build with [`PatchFeatures::params`],
/// adjust with the builder methods, then [`fit`](PatchFeatures::fit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchFeatures {
    shape: ImageShape,
    patch_size: usize,
    stride: usize,
    n_centroids: usize,
    pool_grid: usize,
    n_samples: usize,
    contrast_epsilon: f32,
    whitening_epsilon: f32,
    seed: u64,
}

impl PatchFeatures {
    /// Defaults for images of `shape`: 5x5 patches at every pixel (stride 1), 128 centroids,
    /// a 4x4 pooling grid, 200,000 sampled patches for the whitening and the dictionary,
    /// contrast epsilon 0.01, whitening epsilon 0.1, seed 0.
    pub fn params(shape: ImageShape) -> Self {
        Self {
            shape,
            patch_size: 5,
            stride: 1,
            n_centroids: 128,
            pool_grid: 4,
            n_samples: 200_000,
            contrast_epsilon: 0.01,
            whitening_epsilon: 0.1,
            seed: 0,
        }
    }

    /// Side of the square patches (default 5).
    pub fn patch_size(mut self, patch_size: usize) -> Self {
        self.patch_size = patch_size;
        self
    }

    /// Pixels between neighbouring patches, down and across (default 1).
    pub fn stride(mut self, stride: usize) -> Self {
        self.stride = stride;
        self
    }

    /// Centroids of the dictionary, the features per pooling region (default 128).
    pub fn n_centroids(mut self, n_centroids: usize) -> Self {
        self.n_centroids = n_centroids;
        self
    }

    /// Side of the pooling grid: the patch positions are split into `grid x grid` regions
    /// whose activations are summed (default 4).
    pub fn pool_grid(mut self, grid: usize) -> Self {
        self.pool_grid = grid;
        self
    }

    /// Patches drawn (seeded, with replacement) for the whitening and the dictionary
    /// (default 200,000); when the images hold no more, every patch is used, in order.
    pub fn n_samples(mut self, n_samples: usize) -> Self {
        self.n_samples = n_samples;
        self
    }

    /// Added to a patch's variance before dividing by its square root (default 0.01, for
    /// pixels in [0, 1]): keeps flat patches from being amplified into noise.
    pub fn contrast_epsilon(mut self, epsilon: f32) -> Self {
        self.contrast_epsilon = epsilon;
        self
    }

    /// Added to the covariance's eigenvalues before whitening (default 0.1).
    pub fn whitening_epsilon(mut self, epsilon: f32) -> Self {
        self.whitening_epsilon = epsilon;
        self
    }

    /// Seed of the patch sample (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The image shape these parameters are for.
    pub fn shape(&self) -> ImageShape {
        self.shape
    }

    /// Features per image: centroids x pooling regions.
    pub fn n_features(&self) -> usize {
        self.n_centroids * self.pool_grid * self.pool_grid
    }

    /// These parameters together with the dictionary learner that [`PatchFeatures::fit`]
    /// takes: a value that implements `fmnist_core::Fit`, for code written against the traits.
    /// The learner is called once per fit, so it must be callable more than once (`Fn`).
    pub fn with_learner<F>(self, learn_dictionary: F) -> WithLearner<F> {
        WithLearner {
            params: self,
            learn_dictionary,
        }
    }

    /// Fits the whitening on patches sampled from `images` (one image per row, pixels row by
    /// row) and the dictionary with `learn_dictionary(whitened, k)`, which gets the whitened
    /// patches (one per row) and the number of centroids, and returns the centroids (`k`
    /// rows) — typically a K-Means (Coates & Ng use K-Means; the first `k` whitened patches,
    /// a random dictionary, also work, less well).
    ///
    /// # Errors
    /// [`PatchError::InvalidParameter`] from [`PatchFeatures::check`], or when the images hold
    /// fewer patches than centroids; [`PatchError::Input`] for no images, a pixel count other
    /// than the shape's or a non-finite pixel; [`PatchError::Dictionary`] with the learner's
    /// error, [`PatchError::BadDictionary`] if it returns the wrong shape or non-finite values.
    pub fn fit<E>(
        &self,
        images: &DMatrix<f32>,
        learn_dictionary: impl FnOnce(&DMatrix<f32>, usize) -> std::result::Result<DMatrix<f32>, E>,
    ) -> Result<FittedPatchFeatures>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        self.check()?;
        check_images(images, self.shape)?;
        let geometry = self.geometry();
        let d = geometry.patch_len();
        let mut patches = self.sample(images, &geometry)?;
        let (mean, whitening) = zca(&patches, d, self.whitening_epsilon)?;
        let samples = whiten_sample(&mut patches, &mean, &whitening);
        drop(patches);
        let dictionary = learn_dictionary(&samples, self.n_centroids)
            .map_err(|e| PatchError::Dictionary(Box::new(e)))?;
        if dictionary.shape() != (self.n_centroids, d)
            || validate::first_non_finite(dictionary.as_slice()).is_some()
        {
            let found = if dictionary.shape() == (self.n_centroids, d) {
                "non-finite values".to_string()
            } else {
                format!("a {} x {} matrix", dictionary.nrows(), dictionary.ncols())
            };
            return Err(PatchError::BadDictionary {
                expected_rows: self.n_centroids,
                expected_cols: d,
                found,
            });
        }
        let centroids: Vec<f32> = dictionary.transpose().iter().copied().collect();
        Ok(FittedPatchFeatures {
            format_version: FormatVersion,
            params: self.clone(),
            mean,
            whitening,
            centroids,
        })
    }

    /// The contrast-normalised patches the whitening and the dictionary are fitted on,
    /// row-major: `n_samples` drawn (image, position) pairs, or every patch in order when the
    /// images hold no more.
    fn sample(&self, images: &DMatrix<f32>, geometry: &Geometry) -> Result<Vec<f32>> {
        let (n, positions, d) = (images.nrows(), geometry.positions(), geometry.patch_len());
        let available = n * positions;
        let picks: Vec<(usize, usize)> = if available <= self.n_samples {
            (0..available)
                .map(|i| (i / positions, i % positions))
                .collect()
        } else {
            let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
            (0..self.n_samples)
                .map(|_| (rng.random_range(0..n), rng.random_range(0..positions)))
                .collect()
        };
        if picks.len() < self.n_centroids {
            return Err(invalid(
                "n_centroids",
                self.n_centroids,
                format!("the images hold only {} patches", picks.len()),
            ));
        }
        let mut patches = vec![0f32; picks.len() * d];
        let no_shift = vec![0f32; d];
        for (&(i, position), patch) in picks.iter().zip(patches.chunks_exact_mut(d)) {
            // Straight from the column-major matrix: d reads, not a copy of the image.
            for (value, pixel) in patch.iter_mut().zip(geometry.pixels(position)) {
                *value = images[(i, pixel)];
            }
            normalise(patch, self.contrast_epsilon, &no_shift);
        }
        Ok(patches)
    }

    fn geometry(&self) -> Geometry {
        Geometry::new(
            self.shape.rows,
            self.shape.cols,
            self.patch_size,
            self.stride,
            self.pool_grid,
        )
    }

    /// Checks the parameters alone, before any image is seen; [`PatchFeatures::fit`] runs it
    /// first.
    ///
    /// # Errors
    /// [`PatchError::InvalidParameter`] for an empty image shape, a patch larger than the
    /// image or of side 0, stride 0, a pooling grid of 0 or finer than the patch positions, 0
    /// centroids, fewer samples than centroids, an epsilon that is not positive and finite, or
    /// a pixel or feature count too large for a `usize`.
    pub fn check(&self) -> Result<()> {
        let ImageShape { rows, cols } = self.shape;
        if rows == 0 || cols == 0 || rows.checked_mul(cols).is_none() {
            return Err(invalid(
                "shape",
                format!("{rows} x {cols}"),
                "images need pixels, and a pixel count that fits in a usize".into(),
            ));
        }
        if self.patch_size == 0 || self.patch_size > rows.min(cols) {
            return Err(invalid(
                "patch_size",
                self.patch_size,
                format!(
                    "must be between 1 and the image's smaller side, {}",
                    rows.min(cols)
                ),
            ));
        }
        if self.stride == 0 {
            return Err(invalid("stride", 0, "must be at least 1".into()));
        }
        let fewest = positions(rows, self.patch_size, self.stride).min(positions(
            cols,
            self.patch_size,
            self.stride,
        ));
        if self.pool_grid == 0 || self.pool_grid > fewest {
            return Err(invalid(
                "pool_grid",
                self.pool_grid,
                format!("must be between 1 and the patch positions along a side, {fewest}"),
            ));
        }
        let regions = self.pool_grid * self.pool_grid; // At most the pixels.
        if self.n_centroids == 0 || self.n_centroids.checked_mul(regions).is_none() {
            return Err(invalid(
                "n_centroids",
                self.n_centroids,
                "must be at least 1, and give a feature count that fits in a usize".into(),
            ));
        }
        if self.n_samples < self.n_centroids {
            return Err(invalid(
                "n_samples",
                self.n_samples,
                format!("must be at least n_centroids, {}", self.n_centroids),
            ));
        }
        for (name, value) in [
            ("contrast_epsilon", self.contrast_epsilon),
            ("whitening_epsilon", self.whitening_epsilon),
        ] {
            if !(value > 0.0 && value.is_finite()) {
                return Err(invalid(name, value, "must be positive and finite".into()));
            }
        }
        Ok(())
    }
}

/// [`PatchFeatures`] with their dictionary learner (from [`PatchFeatures::with_learner`]): the
/// parameters of `fmnist_core::Fit`, which [`PatchFeatures::fit`] alone cannot be since it
/// takes the learner as an argument.
///
/// ```
/// use fmnist_core::{Fit, Transform};
/// use fmnist_patches::{ImageShape, PatchFeatures};
/// use nalgebra::DMatrix;
///
/// let images = DMatrix::from_fn(20, 64, |i, p| ((i + p) % 5) as f32 / 4.0);
/// let params = PatchFeatures::params(ImageShape { rows: 8, cols: 8 })
///     .patch_size(3)
///     .n_centroids(4)
///     .pool_grid(2)
///     .with_learner(|patches: &DMatrix<f32>, k: usize| {
///         Ok::<_, std::convert::Infallible>(patches.rows(0, k).into_owned())
///     });
/// let model = params.fit(&images)?;
/// assert_eq!(model.transform(&images)?.shape(), (20, 4 * 2 * 2));
/// # Ok::<(), fmnist_patches::PatchError>(())
/// ```
#[derive(Debug, Clone)]
pub struct WithLearner<F> {
    params: PatchFeatures,
    learn_dictionary: F,
}

impl<F> WithLearner<F> {
    /// The patch-feature parameters.
    pub fn params(&self) -> &PatchFeatures {
        &self.params
    }
}

impl<F, E> Fit<DMatrix<f32>> for WithLearner<F>
where
    F: Fn(&DMatrix<f32>, usize) -> std::result::Result<DMatrix<f32>, E>,
    E: std::error::Error + Send + Sync + 'static,
{
    type Fitted = FittedPatchFeatures;
    type Error = PatchError;

    /// [`PatchFeatures::fit`] with the learner.
    fn fit(&self, images: &DMatrix<f32>) -> Result<FittedPatchFeatures> {
        self.params.fit(images, &self.learn_dictionary)
    }
}

/// Fitted patch features: the whitening and the dictionary. Serialisable with serde, with a
/// format version ([`FormatVersion`], 1) that loading checks; a form without it, from before
/// the field existed, is version 1. Loading also checks the parameters
/// ([`PatchFeatures::check`]) and that the arrays have the sizes the patch size and the
/// centroid count say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "StoredPatchFeatures")]
pub struct FittedPatchFeatures {
    #[serde(default)]
    format_version: FormatVersion<1>,
    params: PatchFeatures,
    /// Mean of the contrast-normalised patches, `d` values.
    mean: Vec<f32>,
    /// ZCA whitening, `d x d`, row-major.
    whitening: Vec<f32>,
    /// Dictionary in the whitened space, `k x d`, row-major.
    centroids: Vec<f32>,
}

impl FittedPatchFeatures {
    /// The parameters the model was fitted with.
    pub fn params(&self) -> &PatchFeatures {
        &self.params
    }

    /// Features per image: centroids x pooling regions.
    pub fn n_features(&self) -> usize {
        self.params.n_features()
    }

    /// The dictionary, one centroid per row, in the whitened patch space.
    pub fn centroids(&self) -> DMatrix<f32> {
        DMatrix::from_row_slice(self.params.n_centroids, self.mean.len(), &self.centroids)
    }

    /// The features of `images` (one per row, pixels row by row): `n_features()` columns,
    /// region-major (the `k` activations of the top-left region first, regions row by row).
    /// Each patch is contrast-normalised and whitened; its activation for centroid `j` is
    /// `max(0, mean(d) − d_j)`, `d_j` its distance to centroid `j` (the "triangle" encoding);
    /// activations are summed over each pooling region. Parallel over images, and the same on
    /// any thread count.
    ///
    /// # Errors
    /// [`PatchError::Input`] for no images, a pixel count other than the shape's or a
    /// non-finite pixel.
    pub fn transform(&self, images: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        check_images(images, self.params.shape)?;
        // Cheap beside the encoding: 576 region indices and 128 norms for 28x28 images.
        let geometry = self.params.geometry();
        let d = self.mean.len();
        let centroid_norms: Vec<f32> = self
            .centroids
            .chunks_exact(d)
            .map(|c| c.iter().map(|v| v * v).sum())
            .collect();
        let encoder = Encoder {
            geometry: &geometry,
            contrast_epsilon: self.params.contrast_epsilon,
            mean: &self.mean,
            whitening: &self.whitening,
            centroids: &self.centroids,
            centroid_norms: &centroid_norms,
        };
        let (n, pixels, features) = (
            images.nrows(),
            self.params.shape.pixels(),
            self.n_features(),
        );
        let mut out = vec![0f32; n * features];
        out.par_chunks_mut(BLOCK * features)
            .enumerate()
            .for_each(|(b, block)| {
                let first = b * BLOCK;
                let count = block.len() / features;
                // Row-major pixels of the block's images (the matrix is column-major).
                let mut rows = vec![0f32; count * pixels];
                for (p, column) in images.column_iter().enumerate() {
                    for (i, &v) in column.as_slice()[first..first + count].iter().enumerate() {
                        rows[i * pixels + p] = v;
                    }
                }
                encoder.encode(&rows, pixels, block);
            });
        Ok(DMatrix::from_row_slice(n, features, &out))
    }
}

/// [`FittedPatchFeatures`] as read, before its parameters and arrays are checked.
#[derive(Deserialize)]
struct StoredPatchFeatures {
    #[serde(default)]
    format_version: FormatVersion<1>,
    params: PatchFeatures,
    mean: Vec<f32>,
    whitening: Vec<f32>,
    centroids: Vec<f32>,
}

impl TryFrom<StoredPatchFeatures> for FittedPatchFeatures {
    type Error = String;

    fn try_from(s: StoredPatchFeatures) -> std::result::Result<Self, String> {
        s.params.check().map_err(|e| e.to_string())?;
        let (side, k) = (s.params.patch_size, s.params.n_centroids);
        let d = side * side; // The check bounds the side by the image's.
        if s.mean.len() != d
            || Some(s.whitening.len()) != d.checked_mul(d)
            || Some(s.centroids.len()) != k.checked_mul(d)
        {
            return Err(format!(
                "the patch features' arrays do not hold a whitening of {side}x{side} patches \
                 and {k} centroids (mean {}, whitening {}, centroids {} values)",
                s.mean.len(),
                s.whitening.len(),
                s.centroids.len()
            ));
        }
        Ok(Self {
            format_version: s.format_version,
            params: s.params,
            mean: s.mean,
            whitening: s.whitening,
            centroids: s.centroids,
        })
    }
}

impl Transform<DMatrix<f32>> for FittedPatchFeatures {
    type Output = DMatrix<f32>;
    type Error = PatchError;

    /// [`FittedPatchFeatures::transform`].
    fn transform(&self, images: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        FittedPatchFeatures::transform(self, images)
    }
}

/// The whitened sample, `patches x d`: every patch of `patches` (row-major, `mean.len()` values
/// each) centred on `mean` in place, then multiplied by `whitening`, in blocks of rows in
/// parallel (each block one product: the same result on any number of threads).
fn whiten_sample(patches: &mut [f32], mean: &[f32], whitening: &[f32]) -> DMatrix<f32> {
    const BLOCK: usize = 4096;
    let d = mean.len();
    let mut white = vec![0f32; patches.len()];
    patches
        .par_chunks_mut(BLOCK * d)
        .zip(white.par_chunks_mut(BLOCK * d))
        .for_each(|(block, out)| {
            for patch in block.chunks_exact_mut(d) {
                patch.iter_mut().zip(mean).for_each(|(v, m)| *v -= m);
            }
            whiten(block, whitening, out);
        });
    DMatrix::from_row_slice(patches.len() / d, d, &white)
}

/// Rejects a matrix whose columns are not `shape`'s pixels, an empty one, and non-finite
/// pixels.
fn check_images(images: &DMatrix<f32>, shape: ImageShape) -> Result<()> {
    validate::check_features(images, shape.pixels())?;
    validate::check_matrix(images)?;
    Ok(())
}

fn invalid(name: &'static str, value: impl ToString, reason: String) -> PatchError {
    PatchError::InvalidParameter {
        name,
        value: value.to_string(),
        reason,
    }
}
