//! The study's settings: the paper's by default, reduced ones for a quick run.

use fmnist_autoencoder::Device;
use fmnist_cluster::Covariance;

use crate::embedding::EmbeddingConfig;
use crate::features::describe_codes;
use crate::patch_features::PatchConfig;

/// Which features the `ae-gmm` pipeline's mixture is fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GmmFeatures {
    /// The autoencoder's 784-value bottleneck as is (the study's setup; with full covariance
    /// this costs minutes per run, since every EM step multiplies 784 x 784 matrices).
    Bottleneck,
    /// The bottleneck projected on its first `n` principal components (fitted on the training
    /// split), which keeps full covariance cheap.
    BottleneckPca(usize),
}

impl GmmFeatures {
    /// The principal components of the codes kept (`None`: the codes as they are), as
    /// [`crate::FeatureSpec::Autoencoder`] takes them.
    pub fn components(self) -> Option<usize> {
        match self {
            GmmFeatures::Bottleneck => None,
            GmmFeatures::BottleneckPca(n) => Some(n),
        }
    }

    /// A short description for the report.
    pub fn describe(self) -> String {
        describe_codes(self.components())
    }
}

/// Everything a run of the study can be told.
#[derive(Debug, Clone)]
pub struct StudyConfig {
    /// Seed of every random step (default 0).
    pub seed: u64,
    /// Marks a reduced run in the outputs (default false).
    pub quick: bool,
    /// Fraction of the training images held out for validation (default 0.2).
    pub validation_fraction: f64,
    /// PCA components (default 40).
    pub pca_components: usize,
    /// Clusters in every pipeline (default 10).
    pub clusters: usize,
    /// K-Means restarts (default 10, as the study).
    pub n_init: usize,
    /// Autoencoder epochs (default 10).
    pub epochs: usize,
    /// Autoencoder batch size (default 128).
    pub batch_size: usize,
    /// Autoencoder dropout rate (default 0.25).
    pub dropout: f32,
    /// Trees per Random Forest (default 100).
    pub trees: usize,
    /// Covariance of the `ae-gmm` mixture (default full, scikit-learn's default as the study used).
    pub gmm_covariance: Covariance,
    /// Features of the `ae-gmm` mixture (default: 40 principal components of the bottleneck).
    pub gmm_features: GmmFeatures,
    /// Further mixtures on the codes, scored for the report's comparison of configurations
    /// (default: diagonal covariance on the 784-value bottleneck).
    pub gmm_variants: Vec<(Covariance, GmmFeatures)>,
    /// Where the autoencoder runs (default CPU).
    pub device: Device,
    /// The pipelines beyond the study, with a UMAP embedding between features and clustering
    /// (`pca-umap-gmm`, `patches-umap-gmm`, `umap-kmeans`, `ae-umap-gmm`), with these settings
    /// (default N2D's: 20 neighbours, `min_dist` 0, 10 dimensions); `None` runs the study's
    /// pipelines alone.
    pub embedding: Option<EmbeddingConfig>,
    /// The patch features of `patches-umap-gmm` and `umap-kmeans` (default
    /// [`PatchConfig::default`]).
    pub patches: PatchConfig,
    /// Also cluster all images at once with each UMAP pipeline, N2D's protocol (default true).
    pub all_images: bool,
}

impl Default for StudyConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            quick: false,
            validation_fraction: 0.2,
            pca_components: 40,
            clusters: 10,
            n_init: 10,
            epochs: 10,
            batch_size: 128,
            dropout: 0.25,
            trees: 100,
            gmm_covariance: Covariance::Full,
            gmm_features: GmmFeatures::BottleneckPca(40),
            gmm_variants: vec![(Covariance::Diag, GmmFeatures::Bottleneck)],
            device: Device::Cpu,
            embedding: Some(EmbeddingConfig::default()),
            patches: PatchConfig::default(),
            all_images: true,
        }
    }
}

impl StudyConfig {
    /// The study's settings.
    pub fn paper() -> Self {
        Self::default()
    }

    /// Reduced settings that run the same code in seconds on a small subset: 3 K-Means
    /// restarts, 2 epochs, 20 trees, 10 PCA components, 10 UMAP neighbours and 50 layout
    /// epochs, patch features with 16 centroids from 20,000 patches on a 3x3 grid.
    pub fn quick() -> Self {
        Self {
            quick: true,
            pca_components: 10,
            n_init: 3,
            epochs: 2,
            trees: 20,
            gmm_features: GmmFeatures::BottleneckPca(10),
            embedding: Some(EmbeddingConfig {
                n_neighbors: 10,
                n_epochs: Some(50),
                ..EmbeddingConfig::default()
            }),
            patches: PatchConfig {
                n_centroids: 16,
                n_samples: 20_000,
                pool_grid: 3,
                pca_components: 10,
                ..PatchConfig::default()
            },
            ..Self::default()
        }
    }
}
