//! The UMAP embedding placed between the features and the clustering (N2D's recipe), shared by
//! the study, `fmnist cluster --features umap` and `fmnist embed`.

use fmnist_manifold::{FittedUmap, NeighborSearch, Progress as UmapProgress, Umap};
use nalgebra::DMatrix;

use std::time::Instant;

use crate::error::Result;
use crate::features::FeatureSpec;
use crate::progress::Progress;
use crate::splits::Splits;

/// Neighbours whose preservation [`Embedding::trustworthiness`] measures (scikit-learn's
/// default 5 is for small sets; 10 is what the manifold crate's README reports).
pub const TRUSTWORTHINESS_K: usize = 10;

/// Features embedded by UMAP, fitted to the training split: what `fmnist embed` computes.
#[derive(Debug, Clone)]
pub struct Embedding {
    /// The embedding of the three parts.
    pub embedded: Splits,
    /// Trustworthiness (k = [`TRUSTWORTHINESS_K`]) of the test set's embedding against its
    /// features.
    pub trustworthiness: f64,
    /// Seconds to fit the features and the embedding and to embed the validation and test
    /// parts.
    pub seconds: f64,
}

/// Settings of the UMAP embedding before clustering. The defaults are N2D's for
/// Fashion-MNIST: 20 neighbours, `min_dist` 0, 10 dimensions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmbeddingConfig {
    /// Neighbours of each point in the graph (default 20).
    pub n_neighbors: usize,
    /// Smallest distance between embedded points (default 0: tight clusters, what a clustering
    /// wants).
    pub min_dist: f32,
    /// Dimensions of the embedding (default 10).
    pub n_components: usize,
    /// Layout epochs (default `None`: umap-learn's rule, 200 above 10,000 points, else 500).
    pub n_epochs: Option<usize>,
    /// Search the neighbour graph exactly whatever the feature count (default `false`: exact
    /// up to 128 features, NN-descent above, as [`NeighborSearch::Auto`]).
    pub exact_neighbors: bool,
}

impl Default for EmbeddingConfig {
    fn default() -> Self {
        Self {
            n_neighbors: 20,
            min_dist: 0.0,
            n_components: 10,
            n_epochs: None,
            exact_neighbors: false,
        }
    }
}

impl EmbeddingConfig {
    /// The UMAP estimator with these settings and `seed`.
    pub fn umap(&self, seed: u64) -> Umap {
        let umap = Umap::params()
            .n_neighbors(self.n_neighbors)
            .min_dist(self.min_dist)
            .n_components(self.n_components)
            .neighbor_search(if self.exact_neighbors {
                NeighborSearch::Exact
            } else {
                NeighborSearch::Auto
            })
            .seed(seed);
        match self.n_epochs {
            Some(epochs) => umap.n_epochs(epochs),
            None => umap,
        }
    }

    /// A short description for the report.
    pub fn describe(&self) -> String {
        format!(
            "UMAP ({} neighbours, min_dist {}, {} dimensions)",
            self.n_neighbors, self.min_dist, self.n_components
        )
    }

    /// Fits UMAP to `features.train` and embeds the validation and test parts into it with
    /// `transform`, so that neither is seen by the fit (the study's protocol).
    ///
    /// # Errors
    /// [`crate::PipelineError::Manifold`] for data UMAP cannot embed (too few points, NaN features).
    pub fn embed_splits(
        &self,
        seed: u64,
        features: &Splits,
        progress: &dyn Progress,
    ) -> Result<(FittedUmap, Splits)> {
        let fitted = self
            .umap(seed)
            .fit_with_progress(&features.train, &mut report(progress))?;
        let embedded = Splits {
            validation: fitted.transform(&features.validation)?,
            test: fitted.transform(&features.test)?,
            train: fitted.embedding().clone(),
        };
        Ok((fitted, embedded))
    }

    /// Fits `features` to `pixels.train`, embeds them with these settings (as
    /// [`EmbeddingConfig::embed_splits`]) and scores the test set's embedding; `seed` drives
    /// every random step.
    ///
    /// # Errors
    /// As [`FeatureSpec::fit`] and [`EmbeddingConfig::embed_splits`].
    pub fn embed_features(
        &self,
        features: &FeatureSpec,
        pixels: &Splits,
        seed: u64,
        progress: &dyn Progress,
    ) -> Result<Embedding> {
        let started = Instant::now();
        let (fitted, base) = features.fit(pixels, seed, progress)?;
        let (_, embedded) = fitted.with_umap(self, &base, seed, progress)?;
        let seconds = started.elapsed().as_secs_f64();
        let trustworthiness =
            fmnist_manifold::trustworthiness(&base.test, &embedded.test, TRUSTWORTHINESS_K)?;
        Ok(Embedding {
            embedded,
            trustworthiness,
            seconds,
        })
    }

    /// Fits UMAP to all rows of `features` at once (N2D's protocol) and returns the embedding.
    ///
    /// # Errors
    /// As [`EmbeddingConfig::embed_splits`].
    pub fn embed_all(
        &self,
        seed: u64,
        features: &DMatrix<f32>,
        progress: &dyn Progress,
    ) -> Result<DMatrix<f32>> {
        let fitted = self
            .umap(seed)
            .fit_with_progress(features, &mut report(progress))?;
        Ok(fitted.embedding().clone())
    }
}

/// Forwards the layout's epochs to `progress`.
fn report(progress: &dyn Progress) -> impl FnMut(&UmapProgress) + '_ {
    move |event| {
        if let UmapProgress::Epoch { done, total } = event {
            progress.update(*done as u64, &format!("layout epoch {done}/{total}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_make_the_estimator() {
        let config = EmbeddingConfig {
            n_neighbors: 12,
            n_epochs: Some(30),
            ..EmbeddingConfig::default()
        };
        let expected = Umap::params()
            .n_neighbors(12)
            .min_dist(0.0)
            .n_components(10)
            .n_epochs(30)
            .seed(4);
        assert_eq!(config.umap(4), expected);
        let exact = EmbeddingConfig {
            exact_neighbors: true,
            ..config
        };
        assert_eq!(
            exact.umap(4),
            expected.neighbor_search(NeighborSearch::Exact)
        );
    }
}
