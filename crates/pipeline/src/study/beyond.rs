//! The pipelines beyond the study: a UMAP embedding between the features and the clustering
//! (`pca-umap-gmm`, `patches-umap-gmm`, `umap-kmeans`, `ae-umap-gmm`), and the same fitted to
//! every image at once (N2D's protocol).

use fmnist_cluster::Covariance;
use fmnist_eval::ClusteringScores;

use super::{Codes, HEADLINE, Study, kmeans_configuration};
use crate::clustering::ClusterSpec;
use crate::embedding::EmbeddingConfig;
use crate::error::Result;
use crate::features::{FeatureSpec, describe_codes};
use crate::figures;
use crate::progress::{Silent, timed};
use crate::report::figure_files;
use crate::results::{AllImagesResult, PipelineResult};
use crate::splits::Splits;

/// The features a UMAP pipeline embeds.
struct Source<'a> {
    /// `pca`, `patches` or `ae`: the pipeline is `{name}-umap-gmm`.
    name: &'static str,
    /// The features of the three parts.
    features: &'a Splits,
    /// The features in words.
    described: String,
    /// The time the features took, if they were made for these pipelines alone.
    seconds: Option<f64>,
}

/// The UMAP pipelines of a run, with `embedding`'s settings.
pub(super) struct Beyond<'a> {
    pub(super) study: &'a Study<'a>,
    pub(super) embedding: &'a EmbeddingConfig,
}

impl Beyond<'_> {
    /// Makes the features of the three UMAP pipelines (the PCA of the pixels' square roots,
    /// the patch features, the principal components of the autoencoder's `codes`) and runs
    /// each pipeline; the pipeline results and the runs on all images at once.
    pub(super) fn run(
        &self,
        codes: &mut Codes,
    ) -> Result<(Vec<PipelineResult>, Vec<AllImagesResult>)> {
        let (config, parts) = (self.study.config, self.study.parts);
        let n = config.pca_components;
        let root_pca = FeatureSpec::RootPca { components: n };
        let patches = FeatureSpec::Patches {
            config: config.patches,
            shape: parts.shape(),
        };
        let (root_pca_features, root_pca_seconds) = self.features(
            "pca-umap: PCA of the square roots",
            &root_pca,
            format!("{n} components"),
        )?;
        let (patch_features, patch_seconds) = self.features(
            "patches: patch features",
            &patches,
            config.patches.describe(),
        )?;
        let code_pca = codes.get(Some(n))?;
        // The autoencoder's codes were timed with its training.
        let sources = [
            Source {
                name: "pca",
                features: &root_pca_features,
                described: root_pca.describe(),
                seconds: Some(root_pca_seconds),
            },
            Source {
                name: "patches",
                features: &patch_features,
                described: patches.describe(),
                seconds: Some(patch_seconds),
            },
            Source {
                name: "ae",
                features: code_pca,
                described: describe_codes(Some(n)),
                seconds: None,
            },
        ];
        let (mut pipelines, mut all_images) = (Vec::new(), Vec::new());
        for source in &sources {
            pipelines.extend(self.pipelines(source)?);
            if config.all_images {
                all_images.push(self.all_images(source)?);
            }
        }
        Ok((pipelines, all_images))
    }

    /// Fits `spec` to the training split as the stage `stage` (ending with `summary`): the
    /// features of the three parts and the seconds they took.
    fn features(&self, stage: &str, spec: &FeatureSpec, summary: String) -> Result<(Splits, f64)> {
        let study = self.study;
        timed(study.progress, stage, 0, |progress| {
            let (_, features) = spec.fit(&study.parts.pixels, study.config.seed, progress)?;
            Ok((features, summary))
        })
    }

    /// Embeds the `source` features with UMAP fitted on the training split, then clusters the
    /// embedding with a full-covariance mixture (`{source}-umap-gmm`) and, for the
    /// [`HEADLINE`] pipeline, with K-Means too (`umap-kmeans`) and draws it in 2-D. The time
    /// the features took is reported with each pipeline's.
    fn pipelines(&self, source: &Source<'_>) -> Result<Vec<PipelineResult>> {
        let (study, config) = (self.study, self.study.config);
        let umap = self.embedding.describe();
        let described = &source.described;
        let stage = format!("{}-umap: UMAP", source.name);
        let (embedded, umap_seconds) = timed(study.progress, &stage, 0, |progress| {
            let (_, embedded) =
                self.embedding
                    .embed_splits(config.seed, source.features, progress)?;
            Ok((embedded, format!("{umap} of {described}")))
        })?;
        let stages = |cluster: f64| -> Vec<(&'static str, f64)> {
            let mut stages: Vec<_> = source
                .seconds
                .map(|s| ("features", s))
                .into_iter()
                .collect();
            stages.extend([("embedding", umap_seconds), ("cluster", cluster)]);
            stages
        };
        let gmm_name = format!("{}-umap-gmm", source.name);
        let gmm =
            ClusterSpec::gaussian_mixture(config.clusters, Covariance::Full).seed(config.seed);
        let (clusters, seconds) = study.cluster(
            &format!("{gmm_name}: Gaussian mixture"),
            &gmm,
            &embedded,
            &umap,
        )?;
        let mut pipelines = vec![study.forests.pipeline(
            &gmm_name,
            format!("full-covariance Gaussian mixture on a {umap} of {described}"),
            &clusters,
            &stages(seconds),
        )?];
        if gmm_name == HEADLINE {
            self.draw_embedding(source.features, &clusters.test)?;
            let (clusters, seconds) =
                study.cluster("umap-kmeans: K-Means", &study.kmeans(), &embedded, &umap)?;
            pipelines.push(study.forests.pipeline(
                "umap-kmeans",
                kmeans_configuration(config, &format!("a {umap} of {described}")),
                &clusters,
                &stages(seconds),
            )?);
        }
        Ok(pipelines)
    }

    /// N2D's protocol for the `source` features: UMAP and the mixture fitted to every image at
    /// once, no labels used, scored on every image.
    fn all_images(&self, source: &Source<'_>) -> Result<AllImagesResult> {
        let (study, config, embedding) = (self.study, self.study.config, self.embedding);
        let name = format!("{}-umap-gmm", source.name);
        let all = source.features.stacked();
        let stage = format!("{name}: all {} images", all.nrows());
        let (labels, seconds) = timed(study.progress, &stage, 0, |progress| {
            let embedded = embedding.embed_all(config.seed, &all, progress)?;
            let gmm = ClusterSpec::gaussian_mixture(config.clusters, Covariance::Full)
                .seed(config.seed)
                .fit(&embedded)?;
            let labels: Vec<u32> = gmm
                .predict(&embedded)?
                .into_iter()
                .map(|l| l as u32)
                .collect();
            Ok((labels, gmm.summary(&embedding.describe())))
        })?;
        Ok(AllImagesResult {
            name,
            configuration: format!(
                "full-covariance Gaussian mixture on a {} of {}, fitted to all images",
                embedding.describe(),
                source.described
            ),
            n_samples: all.nrows(),
            scores: ClusteringScores::compute(&study.parts.labels.concatenated(), &labels)?,
            seconds,
        })
    }

    /// The test images embedded in two dimensions (a UMAP of their `features` alone),
    /// coloured by class and by the [`HEADLINE`] pipeline's `test_clusters`.
    fn draw_embedding(&self, features: &Splits, test_clusters: &[u32]) -> Result<()> {
        let (study, config) = (self.study, self.study.config);
        let flat = EmbeddingConfig {
            n_components: 2,
            min_dist: 0.1,
            n_epochs: Some(200),
            ..*self.embedding
        };
        let map = flat.embed_all(config.seed, &features.test, &Silent)?;
        let points: Vec<(f32, f32)> = (0..map.nrows())
            .map(|i| (map[(i, 0)], map[(i, 1)]))
            .collect();
        let clusters: Vec<u8> = test_clusters.iter().map(|&c| c as u8).collect();
        // Each cluster is named by what it holds ("cluster 3, Trouser 94 %, 212 images").
        let profiles =
            figures::cluster_profiles(&study.parts.labels.test, test_clusters, config.clusters)?;
        let cluster_names: Vec<String> = profiles
            .iter()
            .map(|p| p.describe(study.parts.class_names()).replace('\n', ", "))
            .collect();
        let cluster_title = format!("Test images, UMAP in 2-D, coloured by {HEADLINE} cluster");
        for (file, title, labels, names) in [
            (
                figure_files::UMAP_CLASSES,
                "Test images, UMAP in 2-D, coloured by class",
                &study.parts.labels.test,
                study.parts.class_names(),
            ),
            (
                figure_files::UMAP_CLUSTERS,
                cluster_title.as_str(),
                &clusters,
                cluster_names.as_slice(),
            ),
        ] {
            let path = study.out.join(file);
            figures::scatter(&path, title, ("UMAP 1", "UMAP 2"), &points, labels, names)?;
        }
        Ok(())
    }
}
