//! What the clustering sees of each image: the pixels, a PCA of them or of their square roots,
//! patch features, an autoencoder's codes, or a UMAP embedding of one of those.
//!
//! A [`FeatureSpec`] says what to build; [`FeatureSpec::fit`] fits it to the training split
//! and gives the [`FittedFeatures`], which [`transform`](FittedFeatures::transform) new images,
//! with the features of the three parts. The study and the `fmnist` subcommands all make their
//! features here.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use fmnist_autoencoder::Autoencoder;
use fmnist_decomp::{FittedPca, Pca};
use fmnist_manifold::FittedUmap;
use fmnist_patches::ImageShape;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::embedding::EmbeddingConfig;
use crate::error::Result;
use crate::patch_features::{FittedPatchPca, PatchConfig};
use crate::progress::Progress;
use crate::splits::Splits;

/// The square roots of pixel intensities in [0, 1] (negatives read as 0): a
/// variance-stabilising transform that gives faint strokes and textures more weight beside
/// large bright areas. Measured on the training split, it raises the share of each image's 15
/// nearest neighbours of its own class from 0.776 to 0.795 (PCA-40 features), and the test AMI
/// of UMAP + GMM on PCA-40 from 0.628 to 0.662 (umap-learn, `crates/manifold/README.md`).
pub fn square_root(x: &DMatrix<f32>) -> DMatrix<f32> {
    x.map(|v| v.max(0.0).sqrt())
}

/// Which features to build, with their parameters. Every model in it is fitted to the
/// training split alone.
#[derive(Clone)]
pub enum FeatureSpec {
    /// The pixels in [0, 1].
    Raw,
    /// The first `components` principal components of the pixels.
    Pca {
        /// Components kept.
        components: usize,
    },
    /// The first `components` principal components of the pixels' [`square_root`]s.
    RootPca {
        /// Components kept.
        components: usize,
    },
    /// Single-layer patch features of images of `shape`, standardised and projected on their
    /// principal components ([`PatchConfig::extract`]).
    Patches {
        /// The patch features' settings.
        config: PatchConfig,
        /// The size of the images.
        shape: ImageShape,
    },
    /// The bottleneck codes of a trained autoencoder, projected on their first `components`
    /// principal components where given.
    Autoencoder {
        /// The trained autoencoder.
        encoder: Arc<Autoencoder>,
        /// Principal components of the codes kept (`None`: the codes as they are).
        components: Option<usize>,
    },
    /// A UMAP embedding of the `input` features: fitted to the training split, the validation
    /// and test parts embedded with `transform`.
    Umap {
        /// The features embedded.
        input: Box<FeatureSpec>,
        /// The embedding's settings.
        embedding: EmbeddingConfig,
    },
}

impl fmt::Debug for FeatureSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Raw => f.write_str("Raw"),
            Self::Pca { components } => f
                .debug_struct("Pca")
                .field("components", components)
                .finish(),
            Self::RootPca { components } => f
                .debug_struct("RootPca")
                .field("components", components)
                .finish(),
            Self::Patches { config, shape } => f
                .debug_struct("Patches")
                .field("config", config)
                .field("shape", shape)
                .finish(),
            Self::Autoencoder { components, .. } => f
                .debug_struct("Autoencoder")
                .field("components", components)
                .finish_non_exhaustive(),
            Self::Umap { input, embedding } => f
                .debug_struct("Umap")
                .field("input", input)
                .field("embedding", embedding)
                .finish(),
        }
    }
}

impl FeatureSpec {
    /// The features' name in `fmnist`'s vocabulary: `raw`, `pca`, `root-pca`, `patches`, `ae`
    /// (`ae-pca` with principal components) or `umap`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Pca { .. } => "pca",
            Self::RootPca { .. } => "root-pca",
            Self::Patches { .. } => "patches",
            Self::Autoencoder {
                components: None, ..
            } => "ae",
            Self::Autoencoder { .. } => "ae-pca",
            Self::Umap { .. } => "umap",
        }
    }

    /// The features in words, for the report (e.g. "the first 40 principal components of the
    /// pixels' square roots").
    pub fn describe(&self) -> String {
        match self {
            Self::Raw => "the raw pixels".to_string(),
            Self::Pca { components } => principal_components(*components, "the pixels"),
            Self::RootPca { components } => {
                principal_components(*components, "the pixels' square roots")
            }
            Self::Patches { config, .. } => config.describe(),
            Self::Autoencoder { components, .. } => describe_codes(*components),
            Self::Umap { input, embedding } => {
                format!("{} of {}", embedding.describe(), input.describe())
            }
        }
    }

    /// Fits the features to `pixels.train` (one image per row, values in [0, 1]) with `seed`
    /// for every random step, and returns them with the features of the three parts.
    /// `progress` hears of UMAP's layout epochs.
    ///
    /// # Errors
    /// The building block's error, as [`crate::PipelineError`]: a PCA with more components than
    /// the data has, images the patch features or the autoencoder cannot take, data UMAP
    /// cannot embed.
    pub fn fit(
        &self,
        pixels: &Splits,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<(FittedFeatures, Splits)> {
        let none = FittedFeatures { steps: Vec::new() };
        match self {
            Self::Raw => Ok((none, pixels.clone())),
            Self::Pca { components } => none.with_pca(*components, pixels, seed),
            Self::RootPca { components } => {
                let roots = pixels.map(|x| Ok::<_, crate::PipelineError>(square_root(x)))?;
                let fitted = FittedFeatures {
                    steps: vec![Step::SquareRoot],
                };
                fitted.with_pca(*components, &roots, seed)
            }
            Self::Patches { config, shape } => {
                let (model, features) = config.extract(seed, pixels, *shape)?;
                let fitted = FittedFeatures {
                    steps: vec![Step::Patches(model)],
                };
                Ok((fitted, features))
            }
            Self::Autoencoder {
                encoder,
                components,
            } => {
                let codes = pixels.map(|x| encoder.encode(x))?;
                let fitted = FittedFeatures {
                    steps: vec![Step::Encode(Arc::clone(encoder))],
                };
                match components {
                    Some(n) => fitted.with_pca(*n, &codes, seed),
                    None => Ok((fitted, codes)),
                }
            }
            Self::Umap { input, embedding } => {
                let (fitted, features) = input.fit(pixels, seed, progress)?;
                fitted.with_umap(embedding, &features, seed, progress)
            }
        }
    }
}

/// "the first `n` principal components of `of`".
fn principal_components(n: usize, of: &str) -> String {
    format!("the first {n} principal components of {of}")
}

/// The autoencoder's codes, or their first `components` principal components, in words.
pub(crate) fn describe_codes(components: Option<usize>) -> String {
    match components {
        None => "the 784-value bottleneck".to_string(),
        Some(n) => principal_components(n, "the bottleneck"),
    }
}

/// Features fitted to a training split: the fitted steps in the order they apply.
/// Serialisable with serde (a saved [`crate::FittedPipeline`] holds them).
#[derive(Clone, Serialize, Deserialize)]
pub struct FittedFeatures {
    steps: Vec<Step>,
}

/// One fitted step of [`FittedFeatures`].
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Step {
    SquareRoot,
    Pca(FittedPca),
    Patches(FittedPatchPca),
    Encode(#[serde(with = "encoder_state")] Arc<Autoencoder>),
    Umap(Box<FittedUmap>),
}

/// An autoencoder in a saved pipeline: its architecture, history and weights as values (the
/// weights become tensors of the model file).
mod encoder_state {
    use std::sync::Arc;

    use fmnist_autoencoder::{Autoencoder, AutoencoderState};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(encoder: &Arc<Autoencoder>, s: S) -> Result<S::Ok, S::Error> {
        encoder
            .state()
            .map_err(serde::ser::Error::custom)?
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Autoencoder>, D::Error> {
        let state = AutoencoderState::deserialize(d)?;
        Autoencoder::from_state(state)
            .map(Arc::new)
            .map_err(serde::de::Error::custom)
    }
}

impl Step {
    fn transform(&self, x: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        Ok(match self {
            Step::SquareRoot => square_root(x),
            Step::Pca(pca) => pca.transform(x)?,
            Step::Patches(patches) => patches.transform(x)?,
            Step::Encode(encoder) => encoder.encode(x)?,
            Step::Umap(umap) => umap.transform(x)?,
        })
    }

    fn name(&self) -> &'static str {
        match self {
            Step::SquareRoot => "square root",
            Step::Pca(_) => "PCA",
            Step::Patches(_) => "patch features",
            Step::Encode(_) => "encoder",
            Step::Umap(_) => "UMAP",
        }
    }
}

impl fmt::Debug for FittedFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.steps.iter().map(Step::name))
            .finish()
    }
}

impl FittedFeatures {
    /// The features of new images (one per row, values in [0, 1], of the training images' size).
    ///
    /// # Errors
    /// A step's error for images of another size or with NaN pixels.
    pub fn transform(&self, pixels: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        let mut x = Cow::Borrowed(pixels);
        for step in &self.steps {
            x = Cow::Owned(step.transform(&x)?);
        }
        Ok(x.into_owned())
    }

    /// The fitted PCA, if the features have one (the first, where they have several).
    pub fn pca(&self) -> Option<&FittedPca> {
        self.steps.iter().find_map(|step| match step {
            Step::Pca(pca) => Some(pca),
            _ => None,
        })
    }

    /// The fitted patch features, if the features are made of them.
    pub fn patches(&self) -> Option<&FittedPatchPca> {
        self.steps.iter().find_map(|step| match step {
            Step::Patches(patches) => Some(patches),
            _ => None,
        })
    }

    /// The fitted UMAP embedding, if the features end in one.
    pub fn umap(&self) -> Option<&FittedUmap> {
        self.steps.iter().find_map(|step| match step {
            Step::Umap(umap) => Some(umap.as_ref()),
            _ => None,
        })
    }

    /// These features followed by their first `n` principal components (fitted to
    /// `features.train`, `features` being these features of the three parts), with the
    /// projection of the three parts.
    pub(crate) fn with_pca(
        mut self,
        n: usize,
        features: &Splits,
        seed: u64,
    ) -> Result<(Self, Splits)> {
        let pca = Pca::params(n).seed(seed).fit(&features.train)?;
        let projected = features.map(|x| pca.transform(x))?;
        self.steps.push(Step::Pca(pca));
        Ok((self, projected))
    }

    /// These features followed by a UMAP `embedding` of them (fitted to `features.train`, the
    /// validation and test parts embedded with `transform`), with the embedding of the three
    /// parts.
    pub(crate) fn with_umap(
        mut self,
        embedding: &EmbeddingConfig,
        features: &Splits,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<(Self, Splits)> {
        let (umap, embedded) = embedding.embed_splits(seed, features, progress)?;
        self.steps.push(Step::Umap(Box::new(umap)));
        Ok((self, embedded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;

    fn pixels() -> Splits {
        let image = |i: usize| (0..16).map(move |p| ((i * 7 + p * 3) % 11) as f32 / 10.0);
        let part = |first: usize, n: usize| {
            DMatrix::from_row_iterator(n, 16, (first..first + n).flat_map(image))
        };
        Splits {
            train: part(0, 30),
            validation: part(30, 6),
            test: part(36, 6),
        }
    }

    #[test]
    fn fitted_features_transform_new_images_as_the_fit_did() {
        let pixels = pixels();
        for spec in [
            FeatureSpec::Raw,
            FeatureSpec::Pca { components: 3 },
            FeatureSpec::RootPca { components: 3 },
        ] {
            let (fitted, features) = spec.fit(&pixels, 0, &Silent).unwrap();
            assert_eq!(
                fitted.transform(&pixels.test).unwrap(),
                features.test,
                "{spec:?}"
            );
            assert_eq!(fitted.pca().is_some(), !matches!(spec, FeatureSpec::Raw));
        }
    }

    #[test]
    fn root_pca_is_the_pca_of_the_square_roots() {
        let pixels = pixels();
        let (_, roots) = FeatureSpec::RootPca { components: 2 }
            .fit(&pixels, 0, &Silent)
            .unwrap();
        let squared = pixels.map(|x| Ok::<_, ()>(square_root(x))).unwrap();
        let pca = Pca::params(2).seed(0).fit(&squared.train).unwrap();
        assert_eq!(
            roots.validation,
            pca.transform(&squared.validation).unwrap()
        );
    }

    #[test]
    fn names_and_descriptions_follow_the_spec() {
        let umap = FeatureSpec::Umap {
            input: Box::new(FeatureSpec::RootPca { components: 40 }),
            embedding: EmbeddingConfig::default(),
        };
        assert_eq!(umap.name(), "umap");
        assert_eq!(
            umap.describe(),
            "UMAP (20 neighbours, min_dist 0, 10 dimensions) of the first 40 principal \
             components of the pixels' square roots"
        );
        assert_eq!(FeatureSpec::Raw.describe(), "the raw pixels");
        assert_eq!(describe_codes(None), "the 784-value bottleneck");
    }
}
