//! The pipelines by name, as `results.json` names them: the study's three (`kmeans-raw`,
//! `ae-kmeans`, `ae-gmm`) and the four beyond it, which cluster a UMAP embedding
//! (`pca-umap-gmm`, `patches-umap-gmm`, `umap-kmeans`, `ae-umap-gmm`). Each is its features and
//! its clustering with a run's settings ([`StudyConfig`]: the study's, or a quick run's), the
//! same that `fmnist reproduce` fits, so that `fmnist cluster --pipeline`, `fmnist fit` and the
//! study agree. [`BEST`] names the one with the highest mean test AMI over seeds.

use std::sync::Arc;

use fmnist_autoencoder::{Architecture, Autoencoder, Progress as AeProgress};
use fmnist_cluster::Covariance;

use crate::clustering::ClusterSpec;
use crate::config::StudyConfig;
use crate::error::{PipelineError, Result};
use crate::features::FeatureSpec;
use crate::progress::Progress;
use crate::splits::SplitData;

/// The pipeline that `best` stands for: the highest mean test AMI over seeds 0–4 on
/// Fashion-MNIST (0.688 for `patches-umap-gmm`; `crates/manifold/README.md` has the table).
/// It changes when a better pipeline lands.
pub const BEST: &str = "patches-umap-gmm";

/// A pipeline the `fmnist` commands know by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamedPipeline {
    /// Its name, as in `results.json`.
    pub name: &'static str,
    /// What it does, in one line.
    pub description: &'static str,
    features: Features,
    clustering: Clustering,
}

/// The features of a named pipeline, before a run's settings fill in their parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Features {
    /// The pixels.
    Raw,
    /// The autoencoder's bottleneck.
    Codes,
    /// The bottleneck, as the study's mixture takes it ([`StudyConfig::gmm_features`]).
    StudyCodes,
    /// A UMAP embedding of the first principal components of the pixels' square roots.
    UmapOfRootPca,
    /// A UMAP embedding of the patch features.
    UmapOfPatches,
    /// A UMAP embedding of the first principal components of the bottleneck.
    UmapOfCodes,
}

/// The clustering of a named pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clustering {
    /// The study's K-Means ([`StudyConfig::n_init`] starts).
    KMeans,
    /// The study's mixture ([`StudyConfig::gmm_covariance`]).
    StudyGmm,
    /// A full-covariance mixture.
    FullGmm,
}

/// Every named pipeline, the study's first.
pub const PIPELINES: [NamedPipeline; 7] = [
    NamedPipeline {
        name: "kmeans-raw",
        description: "K-Means on the raw pixels (the study's first pipeline)",
        features: Features::Raw,
        clustering: Clustering::KMeans,
    },
    NamedPipeline {
        name: "ae-kmeans",
        description: "K-Means on the bottleneck of the study's convolutional autoencoder",
        features: Features::Codes,
        clustering: Clustering::KMeans,
    },
    NamedPipeline {
        name: "ae-gmm",
        description: "full-covariance Gaussian mixture on 40 principal components of the autoencoder's bottleneck",
        features: Features::StudyCodes,
        clustering: Clustering::StudyGmm,
    },
    NamedPipeline {
        name: "pca-umap-gmm",
        description: "Gaussian mixture on a 10-d UMAP of 40 principal components of the pixels' square roots",
        features: Features::UmapOfRootPca,
        clustering: Clustering::FullGmm,
    },
    NamedPipeline {
        name: "patches-umap-gmm",
        description: "Gaussian mixture on a 10-d UMAP of Coates & Ng patch features (the best)",
        features: Features::UmapOfPatches,
        clustering: Clustering::FullGmm,
    },
    NamedPipeline {
        name: "umap-kmeans",
        description: "K-Means on the same UMAP of patch features",
        features: Features::UmapOfPatches,
        clustering: Clustering::KMeans,
    },
    NamedPipeline {
        name: "ae-umap-gmm",
        description: "Gaussian mixture on a 10-d UMAP of 40 principal components of the autoencoder's bottleneck",
        features: Features::UmapOfCodes,
        clustering: Clustering::FullGmm,
    },
];

/// The pipeline called `name`; `best` is [`BEST`].
///
/// # Errors
/// [`PipelineError::UnknownPipeline`] listing the names there are.
pub fn named(name: &str) -> Result<&'static NamedPipeline> {
    let wanted = if name == "best" { BEST } else { name };
    PIPELINES
        .iter()
        .find(|p| p.name == wanted)
        .ok_or_else(|| PipelineError::UnknownPipeline {
            name: name.to_string(),
            known: PIPELINES.map(|p| p.name).join(", ") + ", best",
        })
}

impl NamedPipeline {
    /// Whether fitting it trains the study's autoencoder first.
    pub fn trains_autoencoder(&self) -> bool {
        matches!(
            self.features,
            Features::Codes | Features::StudyCodes | Features::UmapOfCodes
        )
    }

    /// Its clustering with `config`'s settings (`config.clusters` clusters, `config.seed`).
    pub fn cluster_spec(&self, config: &StudyConfig) -> ClusterSpec {
        let (k, seed) = (config.clusters, config.seed);
        match self.clustering {
            Clustering::KMeans => ClusterSpec::kmeans(k).n_init(config.n_init).seed(seed),
            Clustering::StudyGmm => {
                ClusterSpec::gaussian_mixture(k, config.gmm_covariance).seed(seed)
            }
            Clustering::FullGmm => ClusterSpec::gaussian_mixture(k, Covariance::Full).seed(seed),
        }
    }

    /// Its features with `config`'s settings, for images of `data`'s size; where they are the
    /// autoencoder's codes, the autoencoder is trained on `data`'s training split first
    /// (validated on its validation split), each step reported to `progress`.
    ///
    /// # Errors
    /// The autoencoder's training errors.
    pub fn feature_spec(
        &self,
        data: &SplitData<'_>,
        config: &StudyConfig,
        progress: &dyn Progress,
    ) -> Result<FeatureSpec> {
        let n = config.pca_components;
        let umap = |input: FeatureSpec| FeatureSpec::Umap {
            input: Box::new(input),
            embedding: config.embedding.unwrap_or_default(),
        };
        let codes = |components: Option<usize>| -> Result<FeatureSpec> {
            let encoder = Arc::new(train_autoencoder(config, data, progress)?);
            Ok(FeatureSpec::Autoencoder {
                encoder,
                components,
            })
        };
        Ok(match self.features {
            Features::Raw => FeatureSpec::Raw,
            Features::Codes => codes(None)?,
            Features::StudyCodes => codes(config.gmm_features.components())?,
            Features::UmapOfRootPca => umap(FeatureSpec::RootPca { components: n }),
            Features::UmapOfPatches => umap(FeatureSpec::Patches {
                config: config.patches,
                shape: data.shape(),
            }),
            Features::UmapOfCodes => umap(codes(Some(n))?),
        })
    }
}

/// Trains the study's autoencoder with `config`'s settings on the training split of `data`,
/// validated on its validation split, reporting each step to `progress` (position: steps done).
///
/// # Errors
/// The autoencoder's errors (images it cannot take, a device that is not available).
pub(crate) fn train_autoencoder(
    config: &StudyConfig,
    data: &SplitData<'_>,
    progress: &dyn Progress,
) -> Result<Autoencoder> {
    let (rows, cols) = (data.data.train.rows(), data.data.train.cols());
    let architecture = Architecture::paper()
        .image_size(rows, cols)
        .dropout(config.dropout);
    let autoencoder = Autoencoder::params(architecture)
        .epochs(config.epochs)
        .batch_size(config.batch_size)
        .seed(config.seed)
        .device(config.device.clone())
        .fit_with(
            &data.pixels.train,
            Some(&data.pixels.validation),
            &mut |event| {
                if let AeProgress::Step {
                    epoch,
                    epochs,
                    step,
                    steps,
                    loss,
                    images_per_second,
                } = event
                {
                    progress.update(
                        ((epoch - 1) * steps + step) as u64,
                        &format!(
                            "epoch {epoch}/{epochs} loss {loss:.5} {images_per_second:.0} img/s"
                        ),
                    );
                }
            },
        )?;
    Ok(autoencoder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_found_once_and_best_is_one_of_them() {
        for p in &PIPELINES {
            assert_eq!(named(p.name).unwrap(), p);
            assert_eq!(PIPELINES.iter().filter(|q| q.name == p.name).count(), 1);
        }
        assert_eq!(named("best").unwrap().name, BEST);
        let err = named("kmeans-pixels").unwrap_err().to_string();
        assert!(
            err.contains("kmeans-pixels") && err.contains("patches-umap-gmm, umap-kmeans"),
            "{err}"
        );
    }

    #[test]
    fn the_clustering_follows_the_runs_settings() {
        let config = StudyConfig::quick();
        let spec = named("kmeans-raw").unwrap().cluster_spec(&config);
        assert_eq!(
            (spec.k, spec.n_init, spec.seed),
            (config.clusters, Some(config.n_init), config.seed)
        );
        assert!(named("ae-gmm").unwrap().trains_autoencoder());
        assert!(!named("best").unwrap().trains_autoencoder());
    }
}
