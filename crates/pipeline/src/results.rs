//! `results.json`: every number of a run, in one versioned, serde-serialisable structure.
//!
//! The field names are the project's vocabulary, schema `fmnist/v1` ([`crate::schema`]): the
//! `fmnist` subcommands print the same names with `--json` (`ami`, `nmi`, `ari`, `accuracy`,
//! `train` / `validation` / `test`, `n_clusters`, `n_iter`, `seconds`). Apart from the fields
//! named `seconds`, `seconds_total` and `environment`, two runs with the same seed and data give
//! identical files.

use std::collections::BTreeMap;
use std::path::Path;

use fmnist_eval::{ClassificationReport, ClusteringScores};
use fmnist_forest::TreeStats;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{PipelineError, Result};
use crate::schema::{SCHEMA, SchemaTag, mirror};
use crate::splits::Splits;

/// Everything a run of the study produced: `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Results {
    /// `fmnist/v1`.
    pub schema: SchemaTag,
    /// The seed every random step was derived from.
    pub seed: u64,
    /// Whether this was a `--quick` run on a small subset.
    pub quick: bool,
    /// The data the run used.
    pub dataset: DatasetSummary,
    /// PCA on the training split.
    pub pca: PcaSummary,
    /// The autoencoder's training.
    pub autoencoder: AutoencoderSummary,
    /// One entry per clustering pipeline (`kmeans-raw`, `ae-kmeans`, `ae-gmm`).
    pub pipelines: Vec<PipelineResult>,
    /// Other Gaussian mixtures on the same autoencoder codes, scored without forests: which
    /// configuration of `ae-gmm` gives what.
    pub gmm_variants: Vec<GmmVariant>,
    /// The UMAP pipelines fitted to every image at once, N2D's protocol (empty when the run
    /// had no UMAP pipelines).
    #[serde(default)]
    pub all_images: Vec<AllImagesResult>,
    /// The control the study lacks: a forest on the pixels alone.
    pub forest_pixels_only: ForestResult,
    /// Wall time of the whole run.
    pub seconds_total: f64,
    /// Where the run happened.
    pub environment: Environment,
}

/// The data a run used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DatasetSummary {
    /// Rows of the training split.
    pub train: usize,
    /// Rows of the validation split.
    pub validation: usize,
    /// Rows of the test set.
    pub test: usize,
    /// `fashion-mnist` (verified), or `custom, unverified`.
    pub source: String,
    /// SHA-256 of each decompressed file.
    pub sha256: BTreeMap<String, String>,
}

impl DatasetSummary {
    /// Whether the run read the verified Fashion-MNIST files, the data the study's numbers are
    /// for (`fmnist_io::Provenance::source_label` gives `fashion-mnist` for those alone).
    pub fn is_fashion_mnist(&self) -> bool {
        self.source == "fashion-mnist"
    }
}

/// PCA on the training split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PcaSummary {
    /// Components kept.
    pub n_components: usize,
    /// Explained-variance ratio of each kept component.
    pub explained_variance_ratio: Vec<f64>,
    /// Their sum.
    pub cumulative_explained_variance_ratio: f64,
    /// Wall time of the fit.
    pub seconds: f64,
}

/// The autoencoder's training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AutoencoderSummary {
    /// Epochs trained.
    pub epochs: usize,
    /// Parameters, BatchNorm running statistics included (12,577 for the study's network).
    pub params: usize,
    /// Mean training loss (per-pixel MSE) of each epoch.
    pub train_loss: Vec<f64>,
    /// Validation loss after each epoch.
    pub validation_loss: Vec<f64>,
    /// Wall time of training and encoding.
    pub seconds: f64,
}

/// One clustering pipeline and the forests trained on its clusters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PipelineResult {
    /// `kmeans-raw`, `ae-kmeans` or `ae-gmm`.
    pub name: String,
    /// The clustering model and its features, in words.
    pub configuration: String,
    /// Cluster quality against the true classes.
    pub clustering: SplitScores,
    /// Forests on the cluster labels.
    pub forest: ForestModes,
    /// Wall time of each stage of the pipeline (`cluster`, `forest_replace`, `forest_add`).
    pub seconds: BTreeMap<String, f64>,
}

/// A Gaussian mixture on the autoencoder codes in another configuration than `ae-gmm`'s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GmmVariant {
    /// `full`, `tied`, `diag` or `spherical`.
    pub covariance_type: String,
    /// What the mixture was fitted on.
    pub features: String,
    /// Cluster quality against the true classes.
    pub clustering: SplitScores,
    /// Wall time of fit and prediction.
    pub seconds: f64,
}

/// A pipeline fitted to every image at once (training, validation and test; N2D's protocol):
/// no labels are used, and the scores are over every image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AllImagesResult {
    /// The pipeline's name, as in [`Results::pipelines`].
    pub name: String,
    /// What was fitted, in words.
    pub configuration: String,
    /// Images clustered.
    pub n_samples: usize,
    /// Scores against the classes of every image.
    #[schemars(with = "mirror::ClusteringScores")]
    pub scores: ClusteringScores,
    /// Wall time of the embedding and the clustering.
    pub seconds: f64,
}

/// Clustering scores on each part of the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SplitScores {
    /// On the training split the clustering was fitted on.
    #[schemars(with = "mirror::ClusteringScores")]
    pub train: ClusteringScores,
    /// On the validation split.
    #[schemars(with = "mirror::ClusteringScores")]
    pub validation: ClusteringScores,
    /// On the held-out test set.
    #[schemars(with = "mirror::ClusteringScores")]
    pub test: ClusteringScores,
}

impl SplitScores {
    /// The scores of `clusters` against the classes `truth`, part by part.
    ///
    /// # Errors
    /// [`PipelineError::Eval`] where a part's clusters and classes differ in length or are
    /// empty.
    pub fn compute(truth: &Splits<Vec<u8>>, clusters: &Splits<Vec<u32>>) -> Result<Self> {
        Ok(Self {
            train: ClusteringScores::compute(&truth.train, &clusters.train)?,
            validation: ClusteringScores::compute(&truth.validation, &clusters.validation)?,
            test: ClusteringScores::compute(&truth.test, &clusters.test)?,
        })
    }
}

/// A clustering fitted to the training split and scored on each part: what `fmnist cluster
/// --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClusteringResult {
    /// `fmnist/v1`.
    pub schema: SchemaTag,
    /// `kmeans` or `gmm`.
    pub method: String,
    /// The features' name (`raw`, `pca`, `root-pca`, `patches`, `ae`, `umap`).
    pub features: String,
    /// Number of clusters.
    pub n_clusters: usize,
    /// Seed of the features' and the model's random steps.
    pub seed: u64,
    /// The scores on each part (`train`, `validation`, `test` at the top level).
    #[serde(flatten)]
    pub scores: SplitScores,
    /// How the fit went.
    #[serde(flatten)]
    pub fit: FitDiagnostics,
    /// Seconds to fit the features and the model, not counting loading, predicting and
    /// scoring.
    pub seconds: f64,
}

/// How a clustering model's fit went; the fields of the other model are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FitDiagnostics {
    /// K-Means: sum of squared distances to the nearest centroid (training split).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inertia: Option<f64>,
    /// Mixture: covariance structure (`full`, `tied`, `diag` or `spherical`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covariance_type: Option<String>,
    /// Mixture: `free` or `equal` component sizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_sizes: Option<String>,
    /// Mixture: mean log-likelihood per sample of the training split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_likelihood: Option<f64>,
    /// Mixture: Bayesian information criterion on the training split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bic: Option<f64>,
    /// Iterations of the winning run.
    pub n_iter: usize,
    /// Whether the winning run converged before the iteration limit.
    pub converged: bool,
}

/// The study's two ways of using cluster labels in a classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ForestModes {
    /// The cluster label alone as the only feature.
    pub replace: ForestResult,
    /// The pixels plus the cluster label.
    pub add: ForestResult,
}

/// A Random Forest evaluated on the test set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ForestResult {
    /// Test accuracy.
    pub accuracy: f64,
    /// Per-class precision, recall, F1 and support, with averages.
    #[schemars(with = "mirror::ClassificationReport")]
    pub report: ClassificationReport,
    /// Rows: true class; columns: predicted class.
    pub confusion_matrix: Vec<Vec<u64>>,
    /// Wall time of fit and prediction.
    pub seconds: f64,
}

/// A forest trained on the training split and scored on the test set: what `fmnist classify
/// --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClassificationResult {
    /// `fmnist/v1`.
    pub schema: SchemaTag,
    /// The scores on the test set.
    pub test: ForestResult,
    /// Seconds to train and score the forest (as `test.seconds`), not counting loading.
    pub seconds: f64,
    /// The size of the trees.
    #[schemars(with = "mirror::TreeStats")]
    pub forest: TreeStats,
}

/// Where a run happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Environment {
    /// The source's commit, as [`Build::commit`] gives it (`unknown` where it was not known).
    pub commit: String,
    /// The compiler that built the program, as [`Build::rustc`] gives it.
    pub rustc: String,
    /// When the run started, UTC (ISO 8601, to the second).
    pub started: String,
    /// CPU model as the operating system names it (`unknown` where it does not).
    pub cpu: String,
    /// Worker threads used.
    pub threads: usize,
    /// The system's load average over 1, 5 and 15 minutes when the run started, from
    /// `/proc/loadavg` (`unknown` on systems without it).
    pub load_average: String,
    /// Operating system and architecture.
    pub os: String,
    /// Version of this crate.
    pub version: String,
}

/// What the program that runs the study was built from, as its binary knows it (a library
/// reads no environment, so the caller passes it in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// The source's commit (`git rev-parse HEAD`, `-dirty` appended for a tree with changes),
    /// or `unknown`.
    pub commit: String,
    /// `rustc --version` of the compiler, or `unknown`.
    pub rustc: String,
}

impl Default for Build {
    /// Nothing known: `unknown` for both.
    fn default() -> Self {
        Self {
            commit: UNKNOWN.to_string(),
            rustc: UNKNOWN.to_string(),
        }
    }
}

/// What the environment says where it cannot tell.
const UNKNOWN: &str = "unknown";

impl Environment {
    /// The machine this process runs on now, with `threads` worker threads, running a
    /// program built as `build` says.
    pub fn current(build: &Build, threads: usize) -> Self {
        let read = |path: &str| std::fs::read_to_string(path).ok();
        Self {
            commit: build.commit.clone(),
            rustc: build.rustc.clone(),
            started: utc_timestamp(std::time::SystemTime::now()),
            cpu: read("/proc/cpuinfo")
                .and_then(|info| cpu_model(&info))
                .unwrap_or_else(|| UNKNOWN.to_string()),
            threads,
            load_average: read("/proc/loadavg")
                .and_then(|text| load_average(&text))
                .unwrap_or_else(|| UNKNOWN.to_string()),
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// The `model name` of `/proc/cpuinfo`'s text.
fn cpu_model(info: &str) -> Option<String> {
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, name)| name.trim().to_string())
}

/// The three load averages of `/proc/loadavg`'s text, space-separated.
fn load_average(text: &str) -> Option<String> {
    let fields: Vec<&str> = text.split_whitespace().take(3).collect();
    let numbers = fields.len() == 3 && fields.iter().all(|f| f.parse::<f64>().is_ok());
    numbers.then(|| fields.join(" "))
}

/// `time` as `YYYY-MM-DDTHH:MM:SSZ` (UTC; times before 1970 as 1970-01-01T00:00:00Z).
fn utc_timestamp(time: std::time::SystemTime) -> String {
    let seconds = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, of_day) = (seconds / 86_400, seconds % 86_400);
    // Howard Hinnant's `civil_from_days`, for days since 1970-01-01 (no negative days here).
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3_600,
        of_day / 60 % 60,
        of_day % 60
    )
}

impl Results {
    /// Writes the results as pretty-printed JSON, atomically.
    ///
    /// # Errors
    /// [`PipelineError::Io`] if the file cannot be written.
    pub fn write(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(|error| PipelineError::Json {
            path: path.to_path_buf(),
            error,
        })?;
        fmnist_core::write_atomically(path, |file| {
            use std::io::Write;
            file.write_all(&json)?;
            file.write_all(b"\n")
        })?;
        Ok(())
    }

    /// Reads results written by [`Results::write`].
    ///
    /// # Errors
    /// [`PipelineError::Schema`] if the file is not of schema `fmnist/v1` (results written
    /// before it have no `schema` field, or the number 1); [`PipelineError::Json`] if it is
    /// not such results; [`PipelineError::Io`] if unreadable.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|error| {
            PipelineError::Io(fmnist_io::DataError::Io {
                path: path.to_path_buf(),
                error,
            })
        })?;
        let json_error = |error| PipelineError::Json {
            path: path.to_path_buf(),
            error,
        };
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(json_error)?;
        match value.get("schema") {
            Some(serde_json::Value::String(schema)) if schema == SCHEMA => {}
            Some(serde_json::Value::String(schema)) => {
                return Err(PipelineError::Schema {
                    path: path.to_path_buf(),
                    found: format!("results of schema {schema:?}"),
                });
            }
            _ => {
                return Err(PipelineError::Schema {
                    path: path.to_path_buf(),
                    found: format!(
                        "results that predate schema {SCHEMA} (written by an earlier version; run `fmnist reproduce` again)"
                    ),
                });
            }
        }
        serde_json::from_value(value).map_err(json_error)
    }

    /// The pipeline called `name`, if the run has it.
    pub fn pipeline(&self, name: &str) -> Option<&PipelineResult> {
        self.pipelines.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small but complete set of results, for tests of everything that reads them.
    pub(crate) fn sample_results() -> Results {
        let truth: Vec<u8> = vec![0, 0, 1, 1, 2, 2];
        let pred: Vec<u8> = vec![0, 1, 1, 1, 2, 0];
        let forest = |seconds| ForestResult {
            accuracy: 4.0 / 6.0,
            report: ClassificationReport::new(&truth, &pred).unwrap(),
            confusion_matrix: vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 0, 1]],
            seconds,
        };
        let scores = ClusteringScores::compute(&truth, &pred).unwrap();
        Results {
            schema: SchemaTag,
            seed: 0,
            quick: true,
            dataset: DatasetSummary {
                train: 4,
                validation: 1,
                test: 1,
                source: "custom, unverified".into(),
                sha256: BTreeMap::from([("a".into(), "00".into())]),
            },
            pca: PcaSummary {
                n_components: 2,
                explained_variance_ratio: vec![0.5, 0.25],
                cumulative_explained_variance_ratio: 0.75,
                seconds: 0.1,
            },
            autoencoder: AutoencoderSummary {
                epochs: 2,
                params: 12_577,
                train_loss: vec![0.05, 0.03],
                validation_loss: vec![0.04, 0.02],
                seconds: 1.0,
            },
            pipelines: ["kmeans-raw", "ae-gmm"]
                .into_iter()
                .map(|name| PipelineResult {
                    name: name.into(),
                    configuration:
                        "full covariance on the first 40 principal components of the bottleneck"
                            .into(),
                    clustering: SplitScores {
                        train: scores,
                        validation: scores,
                        test: scores,
                    },
                    forest: ForestModes {
                        replace: forest(0.5),
                        add: forest(0.7),
                    },
                    seconds: BTreeMap::from([("cluster".into(), 0.2)]),
                })
                .collect(),
            gmm_variants: vec![GmmVariant {
                covariance_type: "diag".into(),
                features: "the 784-value bottleneck".into(),
                clustering: SplitScores {
                    train: scores,
                    validation: scores,
                    test: scores,
                },
                seconds: 0.3,
            }],
            all_images: vec![AllImagesResult {
                name: "pca-umap-gmm".into(),
                configuration: "full-covariance Gaussian mixture on a UMAP".into(),
                n_samples: 70_000,
                scores,
                seconds: 0.4,
            }],
            forest_pixels_only: forest(0.6),
            seconds_total: 3.0,
            environment: Environment::current(&Build::default(), 2),
        }
    }

    #[test]
    fn results_round_trip_through_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        let results = sample_results();
        results.write(&path).unwrap();
        assert_eq!(Results::read(&path).unwrap(), results);
        assert!(results.pipeline("ae-gmm").is_some());
        assert!(results.pipeline("nope").is_none());
    }

    #[test]
    fn the_issue_schema_keys_are_present() {
        let value = serde_json::to_value(sample_results()).unwrap();
        assert_eq!(value["schema"], SCHEMA);
        for key in [
            "schema",
            "seed",
            "dataset",
            "pca",
            "autoencoder",
            "pipelines",
            "forest_pixels_only",
            "seconds_total",
        ] {
            assert!(value.get(key).is_some(), "{key}");
        }
        for key in ["train", "validation", "test", "source", "sha256"] {
            assert!(value["dataset"].get(key).is_some(), "dataset.{key}");
        }
        let pipeline = &value["pipelines"][0];
        for split in ["train", "validation", "test"] {
            for metric in ["ami", "nmi", "ari", "accuracy"] {
                assert!(
                    pipeline["clustering"][split].get(metric).is_some(),
                    "{split}.{metric}"
                );
            }
        }
        for mode in ["replace", "add"] {
            for key in ["accuracy", "report", "confusion_matrix"] {
                assert!(pipeline["forest"][mode].get(key).is_some(), "{mode}.{key}");
            }
        }
    }

    #[test]
    fn other_schemas_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        let mut value = serde_json::to_value(sample_results()).unwrap();
        for (schema, says) in [
            (
                Some(serde_json::json!("fmnist/v9")),
                "results of schema \"fmnist/v9\"",
            ),
            (Some(serde_json::json!(1)), "predate schema fmnist/v1"),
            (None, "predate schema fmnist/v1"),
        ] {
            match schema {
                Some(schema) => value["schema"] = schema,
                None => {
                    value.as_object_mut().unwrap().remove("schema");
                }
            }
            std::fs::write(&path, value.to_string()).unwrap();
            let error = Results::read(&path).unwrap_err();
            assert!(matches!(error, PipelineError::Schema { .. }), "{error}");
            let message = error.to_string();
            assert!(
                message.contains(says) && message.contains("results.json"),
                "{message}"
            );
        }
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(
            Results::read(&path),
            Err(PipelineError::Json { .. })
        ));
    }

    #[test]
    fn the_environment_says_when_and_under_what_load() {
        assert_eq!(
            utc_timestamp(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(951_782_400 + 3_723)
            ),
            "2000-02-29T01:02:03Z"
        );
        assert_eq!(utc_timestamp(std::time::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            load_average("0.52 0.58 0.59 1/523 12345\n").as_deref(),
            Some("0.52 0.58 0.59")
        );
        assert_eq!(load_average("garbage"), None);
        assert_eq!(
            cpu_model("processor\t: 0\nmodel name\t: Some CPU @ 2.0GHz\n").as_deref(),
            Some("Some CPU @ 2.0GHz")
        );
        let build = Build {
            commit: "abc".into(),
            rustc: "rustc 1.95.0".into(),
        };
        let env = Environment::current(&build, 3);
        assert_eq!((env.commit.as_str(), env.threads), ("abc", 3));
        assert!(
            env.started.ends_with('Z') && env.started.len() == 20,
            "{}",
            env.started
        );
    }
}
