//! The whole study: split, PCA, the three clustering pipelines, the forests, the pipelines
//! beyond it, and the outputs.

mod beyond;
mod draw;
mod forests;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use fmnist_autoencoder::Autoencoder;
use fmnist_decomp::Pca;
use fmnist_io::{Checksums, FashionMnist, Provenance, StratifiedSplit};

use self::beyond::Beyond;
use self::forests::Forests;
use crate::clustering::ClusterSpec;
use crate::config::StudyConfig;
use crate::error::Result;
use crate::features::{FeatureSpec, FittedFeatures};
use crate::figures;
use crate::named::train_autoencoder;
use crate::progress::{Progress, timed};
use crate::report::{self, figure_files};
use crate::results::{
    AutoencoderSummary, Build, DatasetSummary, Environment, GmmVariant, PcaSummary, PipelineResult,
    Results,
};
use crate::schema::SchemaTag;
use crate::splits::{SplitData, Splits};

/// The file the results are written to inside the output directory.
pub const RESULTS_FILE: &str = "results.json";
/// The report's file name inside the output directory.
pub const REPORT_FILE: &str = "REPORT.md";
/// The pipeline beyond the study whose embedding is also clustered by K-Means (`umap-kmeans`)
/// and drawn in two dimensions.
pub(crate) const HEADLINE: &str = "patches-umap-gmm";

/// Runs the study on `data`, writing `results.json`, `REPORT.md` and the figures into `out`;
/// `build` says what the running program was built from, for the results' environment.
///
/// # Errors
/// Any stage's error (bad data, a parameter out of range, a model that cannot be fitted) and
/// [`crate::PipelineError::Io`] when the outputs cannot be written. Outputs are written
/// atomically, so an earlier run's files are only replaced by complete new ones.
pub fn run(
    config: &StudyConfig,
    data: &FashionMnist,
    provenance: &Provenance,
    out: &Path,
    progress: &dyn Progress,
    build: &Build,
) -> Result<Results> {
    let started = Instant::now();
    let environment = Environment::current(build, rayon::current_num_threads());
    std::fs::create_dir_all(out).map_err(|error| fmnist_io::DataError::Io {
        path: out.to_path_buf(),
        error,
    })?;
    let split = StratifiedSplit::new()
        .validation_fraction(config.validation_fraction)
        .seed(config.seed);
    let parts = SplitData::new(data, &split)?;
    draw::samples(&parts, out)?;
    let pca = pca(config, &parts, out, progress)?;
    let study = Study {
        config,
        parts: &parts,
        forests: Forests::new(config, &parts, progress, out)?,
        progress,
        out,
    };
    let mut pipelines = vec![study.kmeans_raw()?];
    let (mut codes, autoencoder) = study.autoencoder()?;
    let (ae_pipelines, gmm_variants) = study.autoencoder_pipelines(&mut codes)?;
    pipelines.extend(ae_pipelines);
    let mut all_images = Vec::new();
    if let Some(embedding) = &config.embedding {
        let beyond = Beyond {
            study: &study,
            embedding,
        };
        let (umap_pipelines, all) = beyond.run(&mut codes)?;
        pipelines.extend(umap_pipelines);
        all_images = all;
    }
    let results = Results {
        schema: SchemaTag,
        seed: config.seed,
        quick: config.quick,
        dataset: dataset_summary(&parts, provenance),
        pca,
        autoencoder,
        pipelines,
        gmm_variants,
        all_images,
        forest_pixels_only: study.forests.pixels_only()?,
        seconds_total: started.elapsed().as_secs_f64(),
        environment,
    };
    results.write(&out.join(RESULTS_FILE))?;
    report::write(&results, &out.join(REPORT_FILE))?;
    Ok(results)
}

/// The data a run used.
fn dataset_summary(parts: &SplitData<'_>, provenance: &Provenance) -> DatasetSummary {
    DatasetSummary {
        train: parts.split.train.len(),
        validation: parts.split.validation.len(),
        test: parts.data.test.len(),
        source: provenance
            .source_label(&Checksums::fashion_mnist())
            .to_string(),
        sha256: provenance.sha256.clone(),
    }
}

/// PCA on raw pixels: the study's explained-variance table and figures.
fn pca(
    config: &StudyConfig,
    parts: &SplitData<'_>,
    out: &Path,
    progress: &dyn Progress,
) -> Result<PcaSummary> {
    let (pca, seconds) = timed(progress, "pca", 0, |_| {
        let pca = Pca::params(config.pca_components)
            .seed(config.seed)
            .fit(&parts.pixels.train)?;
        let summary = format!(
            "{} components explain {:.4} of the variance",
            pca.n_components(),
            pca.cumulative_explained_variance_ratio()
        );
        Ok((pca, summary))
    })?;
    draw::pca(&pca, parts, out)?;
    Ok(PcaSummary {
        n_components: pca.n_components(),
        explained_variance_ratio: pca.explained_variance_ratio().to_vec(),
        cumulative_explained_variance_ratio: pca.cumulative_explained_variance_ratio(),
        seconds,
    })
}

/// How a K-Means pipeline on `features` is configured, in words for the report.
fn kmeans_configuration(config: &StudyConfig, features: &str) -> String {
    format!(
        "K-Means, k {}, best of {} k-means++ starts, on {features}",
        config.clusters, config.n_init
    )
}

/// What every pipeline of a run shares.
struct Study<'a> {
    config: &'a StudyConfig,
    parts: &'a SplitData<'a>,
    forests: Forests<'a>,
    progress: &'a dyn Progress,
    out: &'a Path,
}

impl Study<'_> {
    /// The study's K-Means.
    fn kmeans(&self) -> ClusterSpec {
        ClusterSpec::kmeans(self.config.clusters)
            .n_init(self.config.n_init)
            .seed(self.config.seed)
    }

    /// Fits `spec` to the training split of `x` (`described` in the stage's summary) as the
    /// stage `stage`: the clusters of the three parts and the seconds the stage took.
    fn cluster(
        &self,
        stage: &str,
        spec: &ClusterSpec,
        x: &Splits,
        described: &str,
    ) -> Result<(Splits<Vec<u32>>, f64)> {
        timed(self.progress, stage, 0, |_| {
            let (fitted, clusters) = spec.fit_splits(x)?;
            Ok((clusters, fitted.summary(described)))
        })
    }

    /// Pipeline 1: K-Means on raw pixels.
    fn kmeans_raw(&self) -> Result<PipelineResult> {
        let described = FeatureSpec::Raw.describe();
        let (clusters, seconds) = self.cluster(
            "kmeans-raw: K-Means",
            &self.kmeans(),
            &self.parts.pixels,
            &described,
        )?;
        self.forests.pipeline(
            "kmeans-raw",
            kmeans_configuration(self.config, &described),
            &clusters,
            &[("cluster", seconds)],
        )
    }

    /// Pipelines 2 and 3, K-Means and a Gaussian mixture on the autoencoder's `codes`, and the
    /// other mixtures on the same codes, scored only: which configuration gives what.
    fn autoencoder_pipelines(
        &self,
        codes: &mut Codes,
    ) -> Result<(Vec<PipelineResult>, Vec<GmmVariant>)> {
        let config = self.config;
        let bottleneck = codes.get(None)?;
        let (clusters, seconds) =
            self.cluster("ae-kmeans: K-Means", &self.kmeans(), bottleneck, "")?;
        let ae_kmeans = self.forests.pipeline(
            "ae-kmeans",
            kmeans_configuration(config, &crate::features::describe_codes(None)),
            &clusters,
            &[("cluster", seconds)],
        )?;
        let features = config.gmm_features;
        let gmm =
            ClusterSpec::gaussian_mixture(config.clusters, config.gmm_covariance).seed(config.seed);
        let (clusters, seconds) = self.cluster(
            "ae-gmm: Gaussian mixture",
            &gmm,
            codes.get(features.components())?,
            &features.describe(),
        )?;
        let ae_gmm = self.forests.pipeline(
            "ae-gmm",
            format!(
                "{} covariance on {}",
                config.gmm_covariance.name(),
                features.describe()
            ),
            &clusters,
            &[("cluster", seconds)],
        )?;
        let mut variants = Vec::new();
        for &(covariance, features) in &config.gmm_variants {
            let gmm = ClusterSpec::gaussian_mixture(config.clusters, covariance).seed(config.seed);
            let (clusters, seconds) = self.cluster(
                &format!("ae-gmm variant: {}", covariance.name()),
                &gmm,
                codes.get(features.components())?,
                &features.describe(),
            )?;
            variants.push(GmmVariant {
                covariance_type: covariance.name().to_string(),
                features: features.describe(),
                clustering: crate::results::SplitScores::compute(&self.parts.labels, &clusters)?,
                seconds,
            });
        }
        Ok((vec![ae_kmeans, ae_gmm], variants))
    }

    /// The autoencoder, trained on the training split and validated on the validation split,
    /// with its codes of the three parts; its loss curves and reconstructions drawn.
    fn autoencoder(&self) -> Result<(Codes, AutoencoderSummary)> {
        let (config, parts) = (self.config, self.parts);
        let steps = parts
            .pixels
            .train
            .nrows()
            .div_ceil(config.batch_size.max(1));
        let total = (steps * config.epochs) as u64;
        let ((encoder, codes), seconds) = timed(self.progress, "autoencoder", total, |progress| {
            let encoder = Arc::new(train_autoencoder(config, parts, progress)?);
            let spec = FeatureSpec::Autoencoder {
                encoder: Arc::clone(&encoder),
                components: None,
            };
            let codes = spec.fit(&parts.pixels, config.seed, progress)?;
            let summary = format!(
                "validation loss {}",
                encoder
                    .history()
                    .validation_loss
                    .last()
                    .map_or("–".to_string(), |v| format!("{v:.5}"))
            );
            Ok(((encoder, codes), summary))
        })?;
        let summary = autoencoder_summary(&encoder, seconds);
        figures::loss_curves(
            &self.out.join(figure_files::AE_LOSS),
            "Autoencoder: loss per epoch",
            &summary.train_loss,
            &summary.validation_loss,
        )?;
        draw::reconstructions(&encoder, parts, self.out)?;
        Ok((Codes::new(codes, config.seed), summary))
    }
}

/// The training of `autoencoder`, which took `seconds`, for `results.json`.
fn autoencoder_summary(autoencoder: &Autoencoder, seconds: f64) -> AutoencoderSummary {
    let history = autoencoder.history();
    let widen = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
    let (trainable, running) = autoencoder.parameter_counts();
    AutoencoderSummary {
        epochs: history.train_loss.len(),
        params: trainable + running,
        train_loss: widen(&history.train_loss),
        validation_loss: widen(&history.validation_loss),
        seconds,
    }
}

/// The autoencoder's codes of the three parts as the mixtures and embeddings see them: as they
/// are, or on their first principal components (fitted on the training split), each
/// projection computed once and shared by every mixture and embedding that asks for it.
struct Codes {
    /// The fitted encoder.
    encoder: FittedFeatures,
    /// The codes of the three parts.
    codes: Splits,
    seed: u64,
    /// Projections made so far, by number of components.
    projected: Vec<(usize, Splits)>,
}

impl Codes {
    fn new((encoder, codes): (FittedFeatures, Splits), seed: u64) -> Self {
        Self {
            encoder,
            codes,
            seed,
            projected: Vec::new(),
        }
    }

    /// The codes (`None`), or their first `components` principal components.
    fn get(&mut self, components: Option<usize>) -> Result<&Splits> {
        let Some(n) = components else {
            return Ok(&self.codes);
        };
        let at = match self.projected.iter().position(|(m, _)| *m == n) {
            Some(at) => at,
            None => {
                let encoder = self.encoder.clone();
                let (_, projected) = encoder.with_pca(n, &self.codes, self.seed)?;
                self.projected.push((n, projected));
                self.projected.len() - 1
            }
        };
        Ok(&self.projected[at].1)
    }
}
