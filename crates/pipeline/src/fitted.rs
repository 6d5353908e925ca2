//! A fitted pipeline as a value: every fitted step in order (the features, then the clustering),
//! the cluster names learned from the training labels, and a manifest that says what it is.
//! Saved as one self-describing model file ([`crate::model_file`]) and loaded back to label
//! new images: `fmnist fit` → `fmnist predict`.

use std::path::Path;

use fmnist_core::{Predict, PredictProba, Transform};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clustering::{ClusterSpec, ClusteringRun, FittedClusterer, cluster};
use crate::error::{PipelineError, Result};
use crate::features::{FeatureSpec, FittedFeatures};
use crate::model_file;
use crate::progress::Progress;
use crate::splits::SplitData;

/// The version of the model files this build writes and reads.
pub const MODEL_VERSION: u32 = 1;

/// What a model file says about itself, readable without the model (`fmnist predict` prints
/// it; any safetensors reader shows it under `__metadata__.manifest`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `"fmnist-pipeline"`.
    pub format: String,
    /// [`MODEL_VERSION`] of the build that wrote it.
    pub version: u32,
    /// The pipeline's name (`kmeans-raw`, `patches-umap-gmm`, …, or `custom`).
    pub pipeline: String,
    /// Its features and clustering in words.
    pub description: String,
    /// The clustering's parameters: method, k, seed and the rest.
    pub parameters: ClusterSpec,
    /// `[rows, cols]` of the images it takes.
    pub image_shape: [usize; 2],
    /// Number of training images it was fitted on.
    pub training_images: usize,
    /// SHA-256 of the training images' pixels (bytes, in training order).
    pub training_sha256: String,
    /// The version of fmnist-pipeline that wrote it.
    pub crate_version: String,
}

/// The fitted steps.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Steps {
    features: FittedFeatures,
    clusterer: FittedClusterer,
    cluster_names: Option<Vec<String>>,
}

/// A pipeline fitted to a training split, ready to label new images.
///
/// ```no_run
/// use fmnist_pipeline::{FittedPipeline, SplitData, StudyConfig, Silent, named};
///
/// let data = fmnist_io::Locator::new().load()?.0;
/// let parts = SplitData::new(&data, &fmnist_io::StratifiedSplit::new())?;
/// let (fitted, _run) = FittedPipeline::fit(named("kmeans-raw")?, &parts, &StudyConfig::paper(), &Silent)?;
/// fitted.save("kmeans-raw.model".as_ref())?;
/// let labels = FittedPipeline::load("kmeans-raw.model".as_ref())?.predict(&parts.pixels.test)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct FittedPipeline {
    manifest: Manifest,
    steps: Steps,
}

/// Soft assignments of images to clusters: a mixture's probabilities, or K-Means' distances.
#[derive(Debug, Clone, PartialEq)]
pub enum SoftAssignment {
    /// A Gaussian mixture's responsibilities: one row per image, summing to 1.
    Probabilities(DMatrix<f64>),
    /// K-Means' Euclidean distances from each image to each centroid (smaller is closer).
    Distances(DMatrix<f64>),
}

impl FittedPipeline {
    /// Fits the named pipeline to the training split of `data` with `config`'s settings, and
    /// returns it with the clusters and scores of the three parts (what `fmnist cluster`
    /// reports for it).
    ///
    /// # Errors
    /// As [`crate::NamedPipeline::feature_spec`] and [`cluster`].
    pub fn fit(
        pipeline: &crate::NamedPipeline,
        data: &SplitData<'_>,
        config: &crate::StudyConfig,
        progress: &dyn Progress,
    ) -> Result<(Self, ClusteringRun)> {
        let features = pipeline.feature_spec(data, config, progress)?;
        let spec = pipeline.cluster_spec(config);
        let run = cluster(data, &features, &spec, progress)?;
        let fitted = Self::from_run(pipeline.name, &features, &spec, &run, data);
        Ok((fitted, run))
    }

    /// The pipeline of a [`cluster`] run on `data` with `features` and `spec`, called `name`;
    /// each cluster is named after the class most of its training images belong to.
    pub fn from_run(
        name: &str,
        features: &FeatureSpec,
        spec: &ClusterSpec,
        run: &ClusteringRun,
        data: &SplitData<'_>,
    ) -> Self {
        let (rows, cols) = (data.data.train.rows(), data.data.train.cols());
        let manifest = Manifest {
            format: model_file::FORMAT.to_string(),
            version: MODEL_VERSION,
            pipeline: name.to_string(),
            description: format!("{} on {}", spec.method.describe(), features.describe()),
            parameters: *spec,
            image_shape: [rows, cols],
            training_images: data.split.train.len(),
            training_sha256: training_digest(data),
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        let names = majority_classes(&data.labels.train, &run.clusters.train, spec.k)
            .into_iter()
            .map(|class| data.class_names()[usize::from(class)].clone())
            .collect();
        let steps = Steps {
            features: run.features.clone(),
            clusterer: run.clusterer.clone(),
            cluster_names: Some(names),
        };
        Self { manifest, steps }
    }

    /// Writes the pipeline to `path` (safetensors arrays and a JSON manifest in one file),
    /// atomically.
    ///
    /// # Errors
    /// [`PipelineError::Model`] naming the file if it cannot be written.
    pub fn save(&self, path: &Path) -> Result<()> {
        model_file::save(path, &self.manifest, &self.steps)?;
        Ok(())
    }

    /// The bytes [`FittedPipeline::save`] writes, for a caller that writes several outputs
    /// only once all of them are ready.
    ///
    /// # Errors
    /// [`PipelineError::Model`] if the model cannot be stored.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        Ok(model_file::to_bytes(&self.manifest, &self.steps)?)
    }

    /// Reads a pipeline written by [`FittedPipeline::save`].
    ///
    /// # Errors
    /// [`PipelineError::Model`] naming the file: unreadable, truncated or corrupt, not a saved
    /// pipeline (another program's safetensors file, or an autoencoder's weights), saved by an
    /// incompatible version, or a manifest that does not match its arrays.
    pub fn load(path: &Path) -> Result<Self> {
        let (manifest, steps) = model_file::load::<Manifest, Steps>(path, MODEL_VERSION)?;
        Ok(Self { manifest, steps })
    }

    /// What the model file says about itself.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// `(rows, cols)` of the images the pipeline takes.
    pub fn image_shape(&self) -> (usize, usize) {
        (self.manifest.image_shape[0], self.manifest.image_shape[1])
    }

    /// Number of clusters.
    pub fn k(&self) -> usize {
        self.manifest.parameters.k
    }

    /// The class most training images of each cluster belong to, by cluster.
    pub fn cluster_names(&self) -> Option<&[String]> {
        self.steps.cluster_names.as_deref()
    }

    /// The features of `pixels` (one image per row, values in [0, 1]) that the clustering sees.
    ///
    /// # Errors
    /// A step's error for images of another size or with NaN pixels.
    pub fn transform(&self, pixels: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        self.check_width(pixels)?;
        self.steps.features.transform(pixels)
    }

    /// The cluster of every image of `pixels`, in `0..k`.
    ///
    /// # Errors
    /// As [`FittedPipeline::transform`].
    pub fn predict(&self, pixels: &DMatrix<f32>) -> Result<Vec<usize>> {
        self.steps.clusterer.predict(&self.transform(pixels)?)
    }

    /// Soft assignments of every image of `pixels`: a mixture's probabilities, or K-Means'
    /// distances to its centroids.
    ///
    /// # Errors
    /// As [`FittedPipeline::transform`].
    pub fn predict_proba(&self, pixels: &DMatrix<f32>) -> Result<SoftAssignment> {
        let x = self.transform(pixels)?;
        Ok(match &self.steps.clusterer {
            FittedClusterer::GaussianMixture(gmm) => {
                SoftAssignment::Probabilities(gmm.predict_proba(&x)?)
            }
            FittedClusterer::KMeans(km) => SoftAssignment::Distances(km.transform(&x)?.cast()),
        })
    }

    /// Images of another pixel count than the model's are an error that names both sizes.
    fn check_width(&self, pixels: &DMatrix<f32>) -> Result<()> {
        let [rows, cols] = self.manifest.image_shape;
        if pixels.ncols() == rows * cols {
            return Ok(());
        }
        Err(PipelineError::ImageSize {
            found: pixels.ncols(),
            rows,
            cols,
        })
    }
}

impl Predict<DMatrix<f32>> for FittedPipeline {
    type Output = Vec<usize>;
    type Error = PipelineError;

    fn predict(&self, pixels: &DMatrix<f32>) -> Result<Vec<usize>> {
        FittedPipeline::predict(self, pixels)
    }
}

impl PredictProba<DMatrix<f32>> for FittedPipeline {
    type Output = SoftAssignment;
    type Error = PipelineError;

    fn predict_proba(&self, pixels: &DMatrix<f32>) -> Result<SoftAssignment> {
        FittedPipeline::predict_proba(self, pixels)
    }
}

impl Transform<DMatrix<f32>> for FittedPipeline {
    type Output = DMatrix<f32>;
    type Error = PipelineError;

    fn transform(&self, pixels: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        FittedPipeline::transform(self, pixels)
    }
}

/// SHA-256 of the training split's pixels, image after image, hex.
fn training_digest(data: &SplitData<'_>) -> String {
    let mut hasher = Sha256::new();
    for &i in &data.split.train {
        hasher.update(data.data.train.image(i).unwrap_or_default());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The most frequent class among the training images of each of `k` clusters (the smallest
/// class of equals; class 0 for an empty cluster).
fn majority_classes(classes: &[u8], clusters: &[u32], k: usize) -> Vec<u8> {
    let n_classes = classes
        .iter()
        .map(|&c| usize::from(c) + 1)
        .max()
        .unwrap_or(1);
    let mut counts = vec![vec![0usize; n_classes]; k];
    for (&class, &cluster) in classes.iter().zip(clusters) {
        if let Some(row) = counts.get_mut(cluster as usize) {
            row[usize::from(class)] += 1;
        }
    }
    counts
        .iter()
        .map(|row| {
            let best = row.iter().max().copied().unwrap_or(0);
            row.iter().position(|&c| c == best).unwrap_or(0) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_is_named_after_its_most_frequent_class() {
        let classes = [0, 1, 1, 2, 2, 2, 0];
        let clusters = [0, 0, 0, 1, 1, 0, 1];
        // cluster 0: classes 0, 1, 1, 2 → 1; cluster 1: 2, 2, 0 → 2; cluster 2 empty → 0.
        assert_eq!(majority_classes(&classes, &clusters, 3), vec![1, 2, 0]);
    }
}
