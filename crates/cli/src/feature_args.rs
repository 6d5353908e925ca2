//! The arguments that choose the features `fmnist cluster` and `fmnist embed` work on (raw
//! pixels, a PCA of them or of their square roots, patch features, an autoencoder's codes, or a
//! UMAP embedding of one of those), turned into a [`FeatureSpec`].

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use fmnist_autoencoder::{Autoencoder, Device};
use fmnist_patches::ImageShape;
use fmnist_pipeline::{EmbeddingConfig, FeatureSpec, PatchConfig};

/// Which features to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Features {
    /// Raw pixels scaled to [0, 1].
    Raw,
    /// PCA projection (--pca-components) fitted on the training split.
    Pca,
    /// PCA projection of the pixels' square roots (a variance-stabilising transform).
    RootPca,
    /// PCA projection (--pca-components) of standardised single-layer patch features (Coates &
    /// Ng: whitened 5x5 patches encoded against 128 K-Means centroids, summed over a 4x4 grid;
    /// --patch-size, --patch-centroids, --patch-grid, --patch-square-root).
    Patches,
    /// The bottleneck codes of the autoencoder given by --model.
    Ae,
    /// A UMAP embedding (--neighbors, --min-dist, --dims) of the --umap-from features, fitted
    /// on the training split; validation and test are embedded with `transform`.
    Umap,
}

/// Where the features come from, beyond the choice of `--features`.
#[derive(Debug, Args)]
pub struct FeatureArgs {
    /// The autoencoder (`fmnist train-ae --out FILE`) whose codes --features ae (or
    /// --umap-from ae) uses.
    #[arg(long, value_name = "FILE", required_if_eq("features", "ae"))]
    model: Option<PathBuf>,
    /// Components kept by the PCA features.
    #[arg(long, default_value_t = 40, value_name = "N")]
    pca_components: usize,
    /// The features UMAP embeds with --features umap (ae needs --model).
    #[arg(long, value_enum, default_value_t = Features::Patches, value_name = "FEATURES")]
    umap_from: Features,
    /// Patch features: side of the square patches.
    #[arg(long, default_value_t = PatchConfig::default().patch_size, value_name = "N")]
    patch_size: usize,
    /// Patch features: K-Means centroids of the dictionary.
    #[arg(long, default_value_t = PatchConfig::default().n_centroids, value_name = "K")]
    patch_centroids: usize,
    /// Patch features: side of the pooling grid.
    #[arg(long, default_value_t = PatchConfig::default().pool_grid, value_name = "G")]
    patch_grid: usize,
    /// Patch features: take patches of the pixels' square roots, not of the pixels.
    #[arg(long)]
    patch_square_root: bool,
    /// UMAP: neighbours of each point in the graph.
    #[arg(long, default_value_t = EmbeddingConfig::default().n_neighbors, value_name = "N")]
    neighbors: usize,
    /// UMAP: smallest distance between embedded points (0 packs clusters tightly).
    #[arg(long, default_value_t = EmbeddingConfig::default().min_dist, value_name = "F")]
    min_dist: f32,
    /// UMAP: dimensions of the embedding.
    #[arg(long, default_value_t = EmbeddingConfig::default().n_components, value_name = "D")]
    dims: usize,
    /// UMAP: epochs of the layout optimisation [default: 200 above 10,000 images, else 500].
    #[arg(long, value_name = "N")]
    umap_epochs: Option<usize>,
    /// UMAP: search the neighbour graph exactly even above 128 features (raw pixels, codes),
    /// instead of by NN-descent (approximate: recall above 0.99 on the raw training images,
    /// several times faster).
    #[arg(long)]
    exact_neighbors: bool,
}

impl FeatureArgs {
    /// The UMAP settings these arguments give.
    pub fn embedding(&self) -> EmbeddingConfig {
        EmbeddingConfig {
            n_neighbors: self.neighbors,
            min_dist: self.min_dist,
            n_components: self.dims,
            n_epochs: self.umap_epochs,
            exact_neighbors: self.exact_neighbors,
        }
    }

    /// The patch features these arguments give.
    fn patches(&self) -> PatchConfig {
        PatchConfig {
            patch_size: self.patch_size,
            n_centroids: self.patch_centroids,
            pool_grid: self.patch_grid,
            square_root: self.patch_square_root,
            pca_components: self.pca_components,
            ..PatchConfig::default()
        }
    }

    /// What `features` of images of `shape` these arguments ask for (loading the autoencoder
    /// of --model for `ae`).
    pub fn spec(&self, features: Features, shape: ImageShape) -> Result<FeatureSpec> {
        let components = self.pca_components;
        Ok(match features {
            Features::Raw => FeatureSpec::Raw,
            Features::Pca => FeatureSpec::Pca { components },
            Features::RootPca => FeatureSpec::RootPca { components },
            Features::Patches => FeatureSpec::Patches {
                config: self.patches(),
                shape,
            },
            Features::Ae => {
                let path = self.model.as_ref().context("--features ae needs --model")?;
                let encoder = Autoencoder::load(path, &Device::Cpu)
                    .with_context(|| format!("loading the autoencoder {}", path.display()))?;
                encoder.check_image_size(shape.rows, shape.cols)?;
                FeatureSpec::Autoencoder {
                    encoder: Arc::new(encoder),
                    components: None,
                }
            }
            Features::Umap => {
                if self.umap_from == Features::Umap {
                    bail!(
                        "--umap-from umap: UMAP embeds raw, pca, root-pca, patches or ae features"
                    );
                }
                FeatureSpec::Umap {
                    input: Box::new(self.spec(self.umap_from, shape)?),
                    embedding: self.embedding(),
                }
            }
        })
    }
}
