//! Patch features before the embedding (`patches-umap-gmm`): Coates & Ng's single-layer
//! features (fmnist-patches) with a K-Means dictionary (fmnist-cluster), standardised, then
//! projected on their principal components (fmnist-decomp).

use fmnist_cluster::KMeans;
use fmnist_decomp::{FittedPca, Pca};
use fmnist_patches::{FittedPatchFeatures, ImageShape, PatchFeatures};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::features::square_root;
use crate::splits::Splits;

/// Settings of the patch features. The defaults are what measured best in `patches-umap-gmm`
/// (`crates/manifold/README.md`): 5x5 patches of the pixels at every pixel, 128 K-Means
/// centroids, a 4x4 pooling grid (2,048 features), 40 principal components of the
/// standardised features.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PatchConfig {
    /// Side of the square patches (default 5).
    pub patch_size: usize,
    /// Centroids of the dictionary (default 128).
    pub n_centroids: usize,
    /// Side of the pooling grid (default 4).
    pub pool_grid: usize,
    /// Patches sampled for the whitening and the dictionary (default 200,000).
    pub n_samples: usize,
    /// Take the pixels' square roots first (default false: it measured 0.005 lower in test AMI).
    pub square_root: bool,
    /// Principal components kept (default 40).
    pub pca_components: usize,
}

impl Default for PatchConfig {
    fn default() -> Self {
        Self {
            patch_size: 5,
            n_centroids: 128,
            pool_grid: 4,
            n_samples: 200_000,
            square_root: false,
            pca_components: 40,
        }
    }
}

/// K-Means iterations of the dictionary (one k-means++ start; Coates & Ng's dictionaries need
/// no more to encode well).
const DICTIONARY_ITERATIONS: usize = 50;

impl PatchConfig {
    /// A short description for the report.
    pub fn describe(&self) -> String {
        format!(
            "the first {} principal components of standardised patch features ({}x{} patches{}, \
             {} K-Means centroids, {}x{} pooling grid)",
            self.pca_components,
            self.patch_size,
            self.patch_size,
            if self.square_root {
                " of the pixels' square roots"
            } else {
                ""
            },
            self.n_centroids,
            self.pool_grid,
            self.pool_grid
        )
    }

    /// Fits the features to `pixels.train` (images of `shape`, values in [0, 1]) and returns
    /// the fitted models with the features of the three parts: patch features with a K-Means
    /// dictionary, each feature standardised with the training split's mean and standard
    /// deviation, then PCA.
    ///
    /// # Errors
    /// [`crate::PipelineError::Patches`] for images the patch features cannot take (a patch or pooling
    /// grid too large for the image, NaN pixels), and the K-Means' and PCA's errors.
    pub fn extract(
        &self,
        seed: u64,
        pixels: &Splits,
        shape: ImageShape,
    ) -> Result<(FittedPatchPca, Splits)> {
        let roots;
        let input = if self.square_root {
            roots = square_root(&pixels.train);
            &roots
        } else {
            &pixels.train
        };
        let features = PatchFeatures::params(shape)
            .patch_size(self.patch_size)
            .n_centroids(self.n_centroids)
            .pool_grid(self.pool_grid)
            .n_samples(self.n_samples)
            .seed(seed)
            .fit(input, |patches, k| {
                KMeans::params(k)
                    .n_init(1)
                    .max_iter(DICTIONARY_ITERATIONS)
                    .seed(seed)
                    .fit(patches)
                    .map(|km| km.centroids())
            })?;
        let train = features.transform(input)?;
        let (mean, scale) = column_moments(&train);
        let standardised = standardise(&train, &mean, &scale);
        drop(train);
        let pca = Pca::params(self.pca_components)
            .seed(seed)
            .fit(&standardised)?;
        let model = FittedPatchPca {
            square_root: self.square_root,
            features,
            mean,
            scale,
            pca,
        };
        let splits = Splits {
            train: model.pca.transform(&standardised)?,
            validation: model.transform(&pixels.validation)?,
            test: model.transform(&pixels.test)?,
        };
        Ok((model, splits))
    }
}

/// The fitted chain of [`PatchConfig::extract`]: patch features, standardisation, PCA.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FittedPatchPca {
    /// Whether the pixels' square roots are taken first.
    pub square_root: bool,
    /// The patch features (whitening and dictionary).
    pub features: FittedPatchFeatures,
    /// Mean of each patch feature on the training split.
    pub mean: Vec<f32>,
    /// Standard deviation of each patch feature on the training split (1 for a constant one).
    pub scale: Vec<f32>,
    /// The PCA of the standardised features.
    pub pca: FittedPca,
}

impl FittedPatchPca {
    /// The features of new `pixels` (one image per row, values in [0, 1]).
    ///
    /// # Errors
    /// [`crate::PipelineError::Patches`] for images of another size or with NaN pixels.
    pub fn transform(&self, pixels: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        let features = if self.square_root {
            self.features.transform(&square_root(pixels))?
        } else {
            self.features.transform(pixels)?
        };
        Ok(self
            .pca
            .transform(&standardise(&features, &self.mean, &self.scale))?)
    }
}

/// Each column's mean and standard deviation (population; a constant column gets 1, so that
/// standardising leaves it at 0).
fn column_moments(x: &DMatrix<f32>) -> (Vec<f32>, Vec<f32>) {
    let n = x.nrows() as f64;
    x.column_iter()
        .map(|c| {
            let mean = c.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let var = c
                .iter()
                .map(|&v| (f64::from(v) - mean).powi(2))
                .sum::<f64>()
                / n;
            let sd = var.sqrt();
            (mean as f32, if sd > 0.0 { sd as f32 } else { 1.0 })
        })
        .unzip()
}

/// `(x − mean) / scale`, column by column.
fn standardise(x: &DMatrix<f32>, mean: &[f32], scale: &[f32]) -> DMatrix<f32> {
    let mut out = x.clone();
    for ((mut column, &m), &s) in out.column_iter_mut().zip(mean).zip(scale) {
        column.iter_mut().for_each(|v| *v = (*v - m) / s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardised_columns_have_zero_mean_and_unit_deviation_and_constants_stay_zero() {
        let x = DMatrix::from_row_slice(4, 2, &[1.0, 5.0, 2.0, 5.0, 3.0, 5.0, 6.0, 5.0]);
        let (mean, scale) = column_moments(&x);
        assert_eq!(mean, [3.0, 5.0]);
        assert_eq!(scale[1], 1.0);
        let z = standardise(&x, &mean, &scale);
        let col: Vec<f32> = z.column(0).iter().copied().collect();
        let var = col.iter().map(|v| v * v).sum::<f32>() / 4.0;
        assert!(col.iter().sum::<f32>().abs() < 1e-6 && (var - 1.0).abs() < 1e-6);
        assert!(z.column(1).iter().all(|&v| v == 0.0));
    }
}
