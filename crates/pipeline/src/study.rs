//! The whole study: split, PCA, the three clustering pipelines, the forests, and the outputs.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use fmnist_autoencoder::{Architecture, Autoencoder, Progress as AeProgress};
use fmnist_cluster::{Covariance, FittedGaussianMixture, GaussianMixture, KMeans};
use fmnist_decomp::{FittedPca, Pca};
use fmnist_eval::{ClassificationReport, ClusteringScores, clustering_accuracy, confusion_matrix};
use fmnist_forest::{RandomForest, add_label_column, label_column};
use fmnist_io::{Checksums, Dataset, FashionMnist, Provenance, StratifiedSplit};
use fmnist_patches::ImageShape;
use nalgebra::DMatrix;

use crate::config::{GmmFeatures, StudyConfig};
use crate::embedding::{EmbeddingConfig, Splits, square_root};
use crate::error::{PipelineError, Result};
use crate::figures::{self, GridRow, ImageGrid, gray_pixels};
use crate::progress::Progress;
use crate::report::{self, figure_files};
use crate::results::{
    AllImagesResult, AutoencoderSummary, DatasetSummary, Environment, ForestModes, ForestResult,
    GmmVariant, PcaSummary, PipelineResult, Results, SCHEMA_VERSION, SplitScores,
};

/// The file the results are written to inside the output directory.
pub const RESULTS_FILE: &str = "results.json";
/// The report's file name inside the output directory.
pub const REPORT_FILE: &str = "REPORT.md";
/// The pipeline beyond the study whose embedding is also clustered by K-Means (`umap-kmeans`)
/// and drawn in two dimensions.
pub(crate) const HEADLINE: &str = "patches-umap-gmm";
/// Images per cluster (and per class) in the image grids.
const GRID_COLUMNS: usize = 10;

/// The data of a run, split and converted once.
struct Parts<'a> {
    data: &'a FashionMnist,
    train_index: Vec<usize>,
    validation_index: Vec<usize>,
    pixels: Splits,
    y_train: Vec<u8>,
    y_validation: Vec<u8>,
    y_test: Vec<u8>,
}

impl<'a> Parts<'a> {
    fn new(data: &'a FashionMnist, config: &StudyConfig) -> Result<Self> {
        let split = StratifiedSplit::new()
            .validation_fraction(config.validation_fraction)
            .seed(config.seed)
            .split(data.train.labels())?;
        let labels = |set: &Dataset, index: &[usize]| -> Vec<u8> {
            index.iter().map(|&i| set.labels()[i]).collect()
        };
        Ok(Self {
            pixels: Splits::of_pixels(data, &split)?,
            y_train: labels(&data.train, &split.train),
            y_validation: labels(&data.train, &split.validation),
            y_test: data.test.labels().to_vec(),
            train_index: split.train,
            validation_index: split.validation,
            data,
        })
    }

    fn class_names(&self) -> &[String] {
        self.data.train.class_names()
    }

    /// The labels of every image, in the order of [`Splits::stacked`].
    fn all_labels(&self) -> Vec<u8> {
        [&self.y_train, &self.y_validation, &self.y_test]
            .into_iter()
            .flatten()
            .copied()
            .collect()
    }
}

/// Cluster labels of the three parts of the data.
struct Clustering {
    train: Vec<u32>,
    validation: Vec<u32>,
    test: Vec<u32>,
}

impl Clustering {
    fn from_usize(train: &[usize], validation: &[usize], test: &[usize]) -> Self {
        let narrow = |labels: &[usize]| labels.iter().map(|&l| l as u32).collect();
        Self {
            train: narrow(train),
            validation: narrow(validation),
            test: narrow(test),
        }
    }

    fn scores(&self, parts: &Parts<'_>) -> Result<SplitScores> {
        Ok(SplitScores {
            train: ClusteringScores::compute(&parts.y_train, &self.train)?,
            validation: ClusteringScores::compute(&parts.y_validation, &self.validation)?,
            test: ClusteringScores::compute(&parts.y_test, &self.test)?,
        })
    }
}

/// Runs the study on `data`, writing `results.json`, `REPORT.md` and the figures into `out`.
///
/// # Errors
/// Any stage's error (bad data, a parameter out of range, a model that cannot be fitted) and
/// [`crate::PipelineError::Io`] when the outputs cannot be written. Outputs are written atomically, so
/// an earlier run's files are only replaced by complete new ones.
pub fn run(
    config: &StudyConfig,
    data: &FashionMnist,
    provenance: &Provenance,
    out: &Path,
    progress: &dyn Progress,
) -> Result<Results> {
    let started = Instant::now();
    std::fs::create_dir_all(out).map_err(|error| fmnist_io::Error::Io {
        path: out.to_path_buf(),
        error,
    })?;
    let parts = Parts::new(data, config)?;
    draw_samples(&parts, out)?;

    // PCA on raw pixels: the study's explained-variance table and figures.
    let (pca, pca_seconds) = timed(progress, "pca", 0, |_| {
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
    draw_pca(&pca, &parts, out)?;
    let pca_result = PcaSummary {
        components: pca.n_components(),
        explained_variance_ratio: pca.explained_variance_ratio().to_vec(),
        cumulative: pca.cumulative_explained_variance_ratio(),
        seconds: pca_seconds,
    };

    // The forests need the raw bytes; the same matrices serve every pipeline.
    let pixels_train = data.train.pixels(&parts.train_index)?;
    let all_test: Vec<usize> = (0..data.test.len()).collect();
    let pixels_test = data.test.pixels(&all_test)?;
    let forests = Forests {
        config,
        parts: &parts,
        pixels_train: &pixels_train,
        pixels_test: &pixels_test,
        progress,
    };

    let mut pipelines = Vec::new();

    // Pipeline 1: K-Means on raw pixels.
    let (kmeans_raw, cluster_seconds) = timed(progress, "kmeans-raw: K-Means", 0, |_| {
        fit_kmeans(config, &parts.pixels)
    })?;
    pipelines.push(forests.pipeline(
        "kmeans-raw",
        kmeans_configuration(config, "the raw pixels"),
        &kmeans_raw,
        &[("cluster", cluster_seconds)],
        out,
    )?);

    // The autoencoder, trained on the training split and validated on the validation split.
    let (encoded, ae_summary) = train_autoencoder(config, &parts, out, progress)?;

    // Pipeline 2: K-Means on the bottleneck.
    let (ae_kmeans, cluster_seconds) = timed(progress, "ae-kmeans: K-Means", 0, |_| {
        fit_kmeans(config, &encoded)
    })?;
    pipelines.push(forests.pipeline(
        "ae-kmeans",
        kmeans_configuration(config, "the 784-value bottleneck"),
        &ae_kmeans,
        &[("cluster", cluster_seconds)],
        out,
    )?);

    // Pipeline 3: a Gaussian mixture on the bottleneck.
    let mut mixture_inputs = MixtureInputs::new(config, &encoded);
    let (ae_gmm, cluster_seconds) = timed(progress, "ae-gmm: Gaussian mixture", 0, |_| {
        let codes = mixture_inputs.get(config.gmm_features)?;
        fit_gmm(
            config,
            config.gmm_covariance,
            codes,
            &config.gmm_features.describe(),
        )
    })?;
    pipelines.push(forests.pipeline(
        "ae-gmm",
        format!(
            "{} covariance on {}",
            config.gmm_covariance.name(),
            config.gmm_features.describe()
        ),
        &ae_gmm,
        &[("cluster", cluster_seconds)],
        out,
    )?);

    // Other mixtures on the same codes, scored only: which configuration gives what.
    let mut gmm_variants = Vec::new();
    for &(covariance, features) in &config.gmm_variants {
        let stage = format!("ae-gmm variant: {}", covariance.name());
        let (clustering, seconds) = timed(progress, &stage, 0, |_| {
            let codes = mixture_inputs.get(features)?;
            fit_gmm(config, covariance, codes, &features.describe())
        })?;
        gmm_variants.push(GmmVariant {
            covariance: covariance.name().to_string(),
            features: features.describe(),
            clustering: clustering.scores(&parts)?,
            seconds,
        });
    }

    // Beyond the study: a UMAP embedding between the features and the clustering.
    let mut all_images = Vec::new();
    if let Some(embedding) = &config.embedding {
        let beyond = Beyond {
            config,
            embedding,
            parts: &parts,
            forests: &forests,
            progress,
            out,
        };
        let n = config.pca_components;
        let (pixel_pca, pca_seconds) =
            timed(progress, "pca-umap: PCA of the square roots", 0, |_| {
                let roots = parts
                    .pixels
                    .map(|x| Ok::<_, PipelineError>(square_root(x)))?;
                let roots_pca = Pca::params(n).seed(config.seed).fit(&roots.train)?;
                Ok((
                    roots.map(|x| roots_pca.transform(x))?,
                    format!("{n} components"),
                ))
            })?;
        let shape = ImageShape {
            rows: data.train.rows(),
            cols: data.train.cols(),
        };
        let (patch_features, patch_seconds) =
            timed(progress, "patches: patch features", 0, |_| {
                let (_, features) = config.patches.extract(config.seed, &parts.pixels, shape)?;
                Ok((features, config.patches.describe()))
            })?;
        let code_pca = mixture_inputs.get(GmmFeatures::BottleneckPca(n))?;
        // The autoencoder's codes were timed with its training.
        for (name, features, described, features_seconds) in [
            (
                "pca",
                &pixel_pca,
                format!("the first {n} principal components of the pixels' square roots"),
                Some(pca_seconds),
            ),
            (
                "patches",
                &patch_features,
                config.patches.describe(),
                Some(patch_seconds),
            ),
            (
                "ae",
                code_pca,
                format!("the first {n} principal components of the bottleneck"),
                None,
            ),
        ] {
            let (pipelines_here, all) = beyond.run(name, features, &described, features_seconds)?;
            pipelines.extend(pipelines_here);
            all_images.extend(all);
        }
    }

    // The control the study lacks: a forest on the pixels alone.
    let forest_pixels_only =
        forests.evaluate("forest: pixels only", &pixels_train, &pixels_test)?;

    let results = Results {
        schema: SCHEMA_VERSION,
        seed: config.seed,
        quick: config.quick,
        dataset: DatasetSummary {
            train: parts.train_index.len(),
            validation: parts.validation_index.len(),
            test: data.test.len(),
            source: provenance
                .source_label(&Checksums::fashion_mnist())
                .to_string(),
            sha256: provenance.sha256.clone(),
        },
        pca: pca_result,
        autoencoder: ae_summary,
        pipelines,
        gmm_variants,
        all_images,
        forest_pixels_only,
        seconds_total: started.elapsed().as_secs_f64(),
        environment: Environment::current(rayon::current_num_threads()),
    };
    results.write(&out.join(RESULTS_FILE))?;
    report::write(&results, &out.join(REPORT_FILE))?;
    Ok(results)
}

/// Runs `work` as a stage called `name`, returning its value and its wall time.
fn timed<T>(
    progress: &dyn Progress,
    name: &str,
    total: u64,
    work: impl FnOnce(&dyn Progress) -> Result<(T, String)>,
) -> Result<(T, f64)> {
    progress.begin(name, total);
    let started = Instant::now();
    let (value, summary) = work(progress)?;
    let seconds = started.elapsed().as_secs_f64();
    progress.end(name, seconds, &summary);
    Ok((value, seconds))
}

/// How a K-Means pipeline on `features` is configured, in words for the report.
fn kmeans_configuration(config: &StudyConfig, features: &str) -> String {
    format!(
        "K-Means, k {}, best of {} k-means++ starts, on {features}",
        config.clusters, config.n_init
    )
}

/// Fits K-Means to the training split and labels the three parts.
fn fit_kmeans(config: &StudyConfig, x: &Splits) -> Result<(Clustering, String)> {
    let km = KMeans::params(config.clusters)
        .n_init(config.n_init)
        .seed(config.seed)
        .fit(&x.train)?;
    let clustering = Clustering::from_usize(
        km.labels(),
        &km.predict(&x.validation)?,
        &km.predict(&x.test)?,
    );
    let summary = format!(
        "inertia {:.1} after {} iterations",
        km.inertia(),
        km.n_iter()
    );
    Ok((clustering, summary))
}

/// The codes as the mixtures see them: as they are, or on their first principal components
/// (fitted on the training split), each projection computed once and shared by every mixture
/// and embedding that asks for it.
struct MixtureInputs<'a> {
    config: &'a StudyConfig,
    encoded: &'a Splits,
    /// Projections made so far, by number of components.
    projected: Vec<(usize, Splits)>,
}

impl<'a> MixtureInputs<'a> {
    fn new(config: &'a StudyConfig, encoded: &'a Splits) -> Self {
        Self {
            config,
            encoded,
            projected: Vec::new(),
        }
    }

    fn get(&mut self, features: GmmFeatures) -> Result<&Splits> {
        let n = match features {
            GmmFeatures::Bottleneck => return Ok(self.encoded),
            GmmFeatures::BottleneckPca(n) => n,
        };
        let at = match self.projected.iter().position(|(m, _)| *m == n) {
            Some(at) => at,
            None => {
                let pca = Pca::params(n)
                    .seed(self.config.seed)
                    .fit(&self.encoded.train)?;
                let codes = self.encoded.map(|x| pca.transform(x))?;
                self.projected.push((n, codes));
                self.projected.len() - 1
            }
        };
        Ok(&self.projected[at].1)
    }
}

/// Fits a Gaussian mixture to the training split of `x` (`described` in the summary) and
/// labels the three parts.
fn fit_gmm(
    config: &StudyConfig,
    covariance: Covariance,
    x: &Splits,
    described: &str,
) -> Result<(Clustering, String)> {
    let gmm = GaussianMixture::params(config.clusters)
        .covariance(covariance)
        .seed(config.seed)
        .fit(&x.train)?;
    let clustering = Clustering::from_usize(
        &gmm.predict(&x.train)?,
        &gmm.predict(&x.validation)?,
        &gmm.predict(&x.test)?,
    );
    Ok((clustering, mixture_summary(&gmm, described)))
}

/// One line on a fitted mixture for the progress output.
fn mixture_summary(gmm: &FittedGaussianMixture, described: &str) -> String {
    format!(
        "{} covariance on {described}: lower bound {:.4}, {} iterations{}",
        gmm.covariance_type().name(),
        gmm.lower_bound(),
        gmm.n_iter(),
        if gmm.converged() {
            ""
        } else {
            " (not converged)"
        }
    )
}

/// The pipelines beyond the study: a UMAP embedding between features and clustering.
struct Beyond<'a> {
    config: &'a StudyConfig,
    embedding: &'a EmbeddingConfig,
    parts: &'a Parts<'a>,
    forests: &'a Forests<'a>,
    progress: &'a dyn Progress,
    out: &'a Path,
}

impl Beyond<'_> {
    /// Embeds `features` (of `source`, `described` in the report) with UMAP fitted on the
    /// training split, then clusters the embedding with a full-covariance mixture
    /// (`{source}-umap-gmm`) and, for the [`HEADLINE`] pipeline, with K-Means too
    /// (`umap-kmeans`) and drawn in 2-D; with [`StudyConfig::all_images`], the mixture pipeline
    /// also on every image at once. `features_seconds`, the time the features took (if they
    /// were made for these pipelines alone), is reported with each pipeline's.
    fn run(
        &self,
        source: &str,
        features: &Splits,
        described: &str,
        features_seconds: Option<f64>,
    ) -> Result<(Vec<PipelineResult>, Vec<AllImagesResult>)> {
        let (config, embedding) = (self.config, self.embedding);
        let umap = embedding.describe();
        let stage = format!("{source}-umap: UMAP");
        let (embedded, umap_seconds) = timed(self.progress, &stage, 0, |progress| {
            let (_, embedded) = embedding.embed_splits(config.seed, features, progress)?;
            Ok((embedded, format!("{umap} of {described}")))
        })?;
        let stages = |embedding: f64, cluster: f64| -> Vec<(&'static str, f64)> {
            let mut stages: Vec<_> = features_seconds
                .map(|s| ("features", s))
                .into_iter()
                .collect();
            stages.extend([("embedding", embedding), ("cluster", cluster)]);
            stages
        };
        let mut pipelines = Vec::new();
        let gmm_name = format!("{source}-umap-gmm");
        let stage = format!("{gmm_name}: Gaussian mixture");
        let (clustering, seconds) = timed(self.progress, &stage, 0, |_| {
            fit_gmm(config, Covariance::Full, &embedded, &umap)
        })?;
        pipelines.push(self.forests.pipeline(
            &gmm_name,
            format!("full-covariance Gaussian mixture on a {umap} of {described}"),
            &clustering,
            &stages(umap_seconds, seconds),
            self.out,
        )?);
        if gmm_name == HEADLINE {
            self.draw_embedding(features, &clustering)?;
            let (clustering, seconds) = timed(self.progress, "umap-kmeans: K-Means", 0, |_| {
                fit_kmeans(config, &embedded)
            })?;
            pipelines.push(self.forests.pipeline(
                "umap-kmeans",
                kmeans_configuration(config, &format!("a {umap} of {described}")),
                &clustering,
                &stages(umap_seconds, seconds),
                self.out,
            )?);
        }
        let mut all = Vec::new();
        if config.all_images {
            all.push(self.all_images(&gmm_name, features, described)?);
        }
        Ok((pipelines, all))
    }

    /// N2D's protocol: UMAP and the mixture fitted to every image at once, no labels used,
    /// scored on every image.
    fn all_images(
        &self,
        name: &str,
        features: &Splits,
        described: &str,
    ) -> Result<AllImagesResult> {
        let (config, embedding) = (self.config, self.embedding);
        let all = features.stacked();
        let stage = format!("{name}: all {} images", all.nrows());
        let (labels, seconds) = timed(self.progress, &stage, 0, |progress| {
            let embedded = embedding.embed_all(config.seed, &all, progress)?;
            let gmm = GaussianMixture::params(config.clusters)
                .covariance(Covariance::Full)
                .seed(config.seed)
                .fit(&embedded)?;
            let labels: Vec<u32> = gmm
                .predict(&embedded)?
                .into_iter()
                .map(|l| l as u32)
                .collect();
            Ok((labels, mixture_summary(&gmm, &embedding.describe())))
        })?;
        Ok(AllImagesResult {
            name: name.to_string(),
            configuration: format!(
                "full-covariance Gaussian mixture on a {} of {described}, fitted to all images",
                embedding.describe()
            ),
            images: all.nrows(),
            scores: ClusteringScores::compute(&self.parts.all_labels(), &labels)?,
            seconds,
        })
    }

    /// The test images embedded in two dimensions (a UMAP of their features alone), coloured
    /// by class and by the pipeline's clusters.
    fn draw_embedding(&self, features: &Splits, clustering: &Clustering) -> Result<()> {
        let flat = EmbeddingConfig {
            n_components: 2,
            min_dist: 0.1,
            n_epochs: Some(200),
            ..*self.embedding
        };
        let map = flat.embed_all(self.config.seed, &features.test, &crate::progress::Silent)?;
        let points: Vec<(f32, f32)> = (0..map.nrows())
            .map(|i| (map[(i, 0)], map[(i, 1)]))
            .collect();
        let clusters: Vec<u8> = clustering.test.iter().map(|&c| c as u8).collect();
        let cluster_names: Vec<String> = (0..self.config.clusters)
            .map(|c| format!("cluster {c}"))
            .collect();
        let cluster_title = format!("Test images, UMAP in 2-D, coloured by {HEADLINE} cluster");
        for (file, title, labels, names) in [
            (
                figure_files::UMAP_CLASSES,
                "Test images, UMAP in 2-D, coloured by class",
                &self.parts.y_test,
                self.parts.class_names(),
            ),
            (
                figure_files::UMAP_CLUSTERS,
                cluster_title.as_str(),
                &clusters,
                cluster_names.as_slice(),
            ),
        ] {
            let path = self.out.join(file);
            figures::scatter(&path, title, ("UMAP 1", "UMAP 2"), &points, labels, names)?;
        }
        Ok(())
    }
}

fn train_autoencoder(
    config: &StudyConfig,
    parts: &Parts<'_>,
    out: &Path,
    progress: &dyn Progress,
) -> Result<(Splits, AutoencoderSummary)> {
    let data = parts.data;
    let architecture = Architecture::paper()
        .image_size(data.train.rows(), data.train.cols())
        .dropout(config.dropout);
    let steps = parts
        .pixels
        .train
        .nrows()
        .div_ceil(config.batch_size.max(1));
    let total = (steps * config.epochs) as u64;
    let ((autoencoder, encoded), seconds) = timed(progress, "autoencoder", total, |progress| {
        let autoencoder = Autoencoder::params(architecture)
            .epochs(config.epochs)
            .batch_size(config.batch_size)
            .seed(config.seed)
            .device(config.device.clone())
            .fit_with(
                &parts.pixels.train,
                Some(&parts.pixels.validation),
                &mut |event| match event {
                    AeProgress::Step {
                        epoch,
                        epochs,
                        step,
                        steps,
                        loss,
                        images_per_second,
                    } => progress.update(
                        ((epoch - 1) * steps + step) as u64,
                        &format!(
                            "epoch {epoch}/{epochs} loss {loss:.5} {images_per_second:.0} img/s"
                        ),
                    ),
                    AeProgress::Epoch { .. } => {}
                },
            )?;
        let encoded = parts.pixels.map(|x| autoencoder.encode(x))?;
        let history = autoencoder.history();
        let summary = format!(
            "validation loss {}",
            history
                .validation_loss
                .last()
                .map_or("–".to_string(), |v| format!("{v:.5}"))
        );
        Ok(((autoencoder, encoded), summary))
    })?;
    let history = autoencoder.history();
    let widen = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
    let summary = AutoencoderSummary {
        epochs: history.train_loss.len(),
        params: {
            let (trainable, running) = autoencoder.parameter_counts();
            trainable + running
        },
        train_loss: widen(&history.train_loss),
        val_loss: widen(&history.validation_loss),
        seconds,
    };
    figures::loss_curves(
        &out.join(figure_files::AE_LOSS),
        "Autoencoder: loss per epoch",
        &summary.train_loss,
        &summary.val_loss,
    )?;
    draw_reconstructions(&autoencoder, parts, out)?;
    Ok((encoded, summary))
}

/// What every forest of a run shares.
struct Forests<'a> {
    config: &'a StudyConfig,
    parts: &'a Parts<'a>,
    pixels_train: &'a DMatrix<u8>,
    pixels_test: &'a DMatrix<u8>,
    progress: &'a dyn Progress,
}

impl Forests<'_> {
    /// Scores a clustering, trains its two forests and draws its figures.
    fn pipeline(
        &self,
        name: &str,
        configuration: String,
        clustering: &Clustering,
        timings: &[(&str, f64)],
        out: &Path,
    ) -> Result<PipelineResult> {
        let replace = self.evaluate(
            &format!("{name}: forest, replace"),
            &label_column(&clustering.train)?,
            &label_column(&clustering.test)?,
        )?;
        let add = self.evaluate(
            &format!("{name}: forest, add"),
            &add_label_column(self.pixels_train, &clustering.train)?,
            &add_label_column(self.pixels_test, &clustering.test)?,
        )?;
        let names = self.parts.class_names();
        for (mode, forest) in [("replace", &replace), ("add", &add)] {
            figures::confusion_heatmap(
                &out.join(figure_files::confusion(name, mode)),
                &format!(
                    "{name}: Random Forest, {mode} (accuracy {:.4})",
                    forest.accuracy
                ),
                &forest.confusion,
                names,
            )?;
        }
        draw_clusters(name, clustering, self.parts, out)?;
        Ok(PipelineResult {
            name: name.to_string(),
            configuration,
            clustering: clustering.scores(self.parts)?,
            seconds: timings
                .iter()
                .map(|&(stage, seconds)| (stage.to_string(), seconds))
                .chain([
                    ("forest_replace".to_string(), replace.seconds),
                    ("forest_add".to_string(), add.seconds),
                ])
                .collect::<BTreeMap<_, _>>(),
            forest: ForestModes { replace, add },
        })
    }

    /// Trains a forest on `train` (rows of the training split) and evaluates it on `test`.
    fn evaluate(
        &self,
        stage: &str,
        train: &DMatrix<u8>,
        test: &DMatrix<u8>,
    ) -> Result<ForestResult> {
        let trees = self.config.trees;
        let ((accuracy, report, confusion), seconds) =
            timed(self.progress, stage, trees as u64, |progress| {
                let forest = RandomForest::params()
                    .n_trees(trees)
                    .seed(self.config.seed)
                    .fit_with_progress(train, &self.parts.y_train, |done| {
                        progress.update(done as u64, "trees")
                    })?;
                let predicted: Vec<u8> =
                    forest.predict(test)?.into_iter().map(|c| c as u8).collect();
                let truth = &self.parts.y_test;
                let classes: Vec<u8> = (0..self.parts.class_names().len() as u8).collect();
                let report = ClassificationReport::with_options(
                    truth,
                    &predicted,
                    &fmnist_eval::ReportOptions::new()
                        .labels(&classes)
                        .target_names(self.parts.class_names()),
                )?;
                let confusion = confusion_matrix(truth, &predicted, &classes)?
                    .matrix()
                    .to_vec();
                let accuracy = report.accuracy();
                Ok((
                    (accuracy, report, confusion),
                    format!("accuracy {accuracy:.4}"),
                ))
            })?;
        Ok(ForestResult {
            accuracy,
            report,
            confusion,
            seconds,
        })
    }
}

fn draw_samples(parts: &Parts<'_>, out: &Path) -> Result<()> {
    let set = &parts.data.train;
    ImageGrid::of_dataset(
        "Training images, one row per class",
        set,
        &set.sample_by_class(GRID_COLUMNS, 0),
        set.class_names().iter().cloned(),
        2,
    )
    .draw(&out.join(figure_files::SAMPLES))
}

fn draw_pca(pca: &FittedPca, parts: &Parts<'_>, out: &Path) -> Result<()> {
    let set = &parts.data.train;
    figures::explained_variance(
        &out.join(figure_files::PCA_VARIANCE),
        pca.all_explained_variance_ratio(),
        pca.n_components(),
    )?;
    figures::eigen_images(
        &out.join(figure_files::EIGEN_IMAGES),
        &pca.components(),
        set.rows(),
        set.cols(),
    )?;
    if pca.n_components() >= 2 {
        figures::projection_scatter(
            &out.join(figure_files::PCA_SCATTER),
            &pca.transform(&parts.pixels.test)?,
            &parts.y_test,
            parts.class_names(),
        )?;
    }
    Ok(())
}

fn draw_reconstructions(autoencoder: &Autoencoder, parts: &Parts<'_>, out: &Path) -> Result<()> {
    let set = &parts.data.test;
    let picked: Vec<usize> = set.sample_by_class(1, 0).into_iter().flatten().collect();
    let originals = set.features(&picked)?;
    let rebuilt = autoencoder.reconstruct(&originals)?;
    let as_bytes = |m: &DMatrix<f32>, i: usize| -> Vec<u8> {
        m.row(i)
            .iter()
            .map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
            .collect()
    };
    let row = |label: &str, m: &DMatrix<f32>| GridRow {
        label: label.to_string(),
        images: (0..m.nrows())
            .map(|i| gray_pixels(&as_bytes(m, i)))
            .collect(),
    };
    ImageGrid {
        title: "Test images (top) and their reconstructions (bottom)".into(),
        height: set.rows(),
        width: set.cols(),
        scale: 2,
        rows: vec![row("input", &originals), row("output", &rebuilt)],
    }
    .draw(&out.join(figure_files::AE_RECONSTRUCTION))
}

/// Test images of each cluster, labelled with the class the Hungarian matching gives it.
fn draw_clusters(name: &str, clustering: &Clustering, parts: &Parts<'_>, out: &Path) -> Result<()> {
    let set = &parts.data.test;
    let matching = clustering_accuracy(&parts.y_test, &clustering.test)?;
    let n_clusters = clustering.test.iter().max().map_or(0, |&m| m as usize + 1);
    let groups = fmnist_io::sample_per_group(&clustering.test, n_clusters, GRID_COLUMNS, 0);
    let labels = (0..n_clusters).map(|c| match matching.class_of(c as u32) {
        Some(class) => format!("{c}: {}", parts.class_names()[usize::from(class)]),
        None => format!("{c}: –"),
    });
    ImageGrid::of_dataset(
        format!("{name}: test images per cluster (cluster: matched class)"),
        set,
        &groups,
        labels,
        2,
    )
    .draw(&out.join(figure_files::clusters(name)))
}
