//! The JSON schema `fmnist/v1`: one vocabulary for `results.json` and every `--json` output.
//!
//! Every object the study writes and the `fmnist` subcommands print with `--json` starts with
//! `"schema": "fmnist/v1"` ([`SchemaTag`]). Names follow scikit-learn where it has one
//! (`n_clusters`, `n_components`, `n_iter`, `n_samples`, `n_features`, `inertia`,
//! `explained_variance_ratio`, `covariance_type`, `confusion_matrix`, `noise_variance`); the
//! parts of the data are `train`, `validation` and `test`, wall times `seconds`.
//!
//! The JSON Schema (draft 2020-12) is derived from the Rust types with `schemars`: a
//! [`Document`] collects the outputs, one `$defs` entry each, and accepts any of them. The
//! building blocks' types that appear in the outputs (fmnist-eval's scores and reports,
//! fmnist-forest's tree statistics, fmnist-io's data-set origin) derive no schema; the
//! [`mirror`] types here describe them, and the CLI's tests hold every output to the schema.

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The name and version of the schema, the value of every output's `schema` field.
pub const SCHEMA: &str = "fmnist/v1";

/// The `schema` field: serialises as [`SCHEMA`] and reads nothing else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SchemaTag;

impl Serialize for SchemaTag {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(SCHEMA)
    }
}

impl<'de> Deserialize<'de> for SchemaTag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let found = String::deserialize(deserializer)?;
        if found == SCHEMA {
            Ok(SchemaTag)
        } else {
            Err(serde::de::Error::custom(format!(
                "schema {found:?}, expected {SCHEMA:?}"
            )))
        }
    }
}

impl JsonSchema for SchemaTag {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SchemaTag".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The schema of this object: always \"fmnist/v1\".",
            "const": SCHEMA,
        })
    }
}

/// The JSON Schema of a set of outputs: each output type's schema under `$defs` (by its type
/// name), and a root that accepts any of them. Objects admit no properties beyond those listed.
pub struct Document {
    generator: SchemaGenerator,
    outputs: Vec<Value>,
}

impl Default for Document {
    /// The outputs of this crate: `results.json` ([`crate::Results`]), a clustering
    /// ([`crate::results::ClusteringResult`]) and a classification
    /// ([`crate::results::ClassificationResult`]).
    fn default() -> Self {
        Self {
            generator: SchemaSettings::draft2020_12()
                .for_serialize()
                .into_generator(),
            outputs: Vec::new(),
        }
        .output::<crate::Results>()
        .output::<crate::results::ClusteringResult>()
        .output::<crate::results::ClassificationResult>()
    }
}

impl Document {
    /// Adds the output type `T`.
    pub fn output<T: JsonSchema>(mut self) -> Self {
        let reference = self.generator.subschema_for::<T>();
        self.outputs.push(reference.to_value());
        self
    }

    /// The schema document as JSON.
    pub fn finish(mut self) -> Value {
        let mut defs = Value::Object(self.generator.take_definitions(true));
        close_objects(&mut defs);
        serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": SCHEMA,
            "description": "results.json and every `fmnist ... --json` output: one of the objects under $defs, each with \"schema\": \"fmnist/v1\".",
            "anyOf": self.outputs,
            "$defs": defs,
        })
    }
}

/// Sets `additionalProperties: false` on every object schema that lists its properties and
/// says nothing of others, so that a field missing from the types is an error.
fn close_objects(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(close_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

/// The schema of one output: `document` (from [`Document::finish`]) with its root accepting
/// only the `$defs` entry `name`; `None` where it has no such entry.
pub fn entry(document: &Value, name: &str) -> Option<Value> {
    let mut root: Map<String, Value> = document.as_object()?.clone();
    root.get("$defs")?.get(name)?;
    root.remove("anyOf");
    root.insert("$ref".into(), Value::String(format!("#/$defs/{name}")));
    Some(Value::Object(root))
}

pub mod mirror {
    //! Schemas of the building blocks' types that appear in the outputs, field for field as
    //! they serialise (the building blocks do not depend on `schemars`).

    use schemars::JsonSchema;

    /// `fmnist_eval::ClusteringScores`.
    #[derive(JsonSchema)]
    #[schemars(rename = "ClusteringScores")]
    pub struct ClusteringScores {
        /// Adjusted mutual information (arithmetic normaliser).
        pub ami: f64,
        /// Normalized mutual information (arithmetic normaliser).
        pub nmi: f64,
        /// Adjusted Rand index.
        pub ari: f64,
        /// Clustering accuracy under the best one-to-one cluster-to-class mapping.
        pub accuracy: f64,
    }

    /// `fmnist_eval::ClusteringReport`.
    #[derive(JsonSchema)]
    #[schemars(rename = "ClusteringReport")]
    pub struct ClusteringReport {
        /// Adjusted mutual information (arithmetic normaliser).
        pub ami: f64,
        /// Normalized mutual information (arithmetic normaliser).
        pub nmi: f64,
        /// Adjusted Rand index.
        pub ari: f64,
        /// Rand index.
        pub rand: f64,
        /// Homogeneity.
        pub homogeneity: f64,
        /// Completeness.
        pub completeness: f64,
        /// V-measure with `beta = 1`.
        pub v_measure: f64,
        /// Fowlkes–Mallows index.
        pub fowlkes_mallows: f64,
        /// Clustering accuracy (Hungarian, one-to-one).
        pub accuracy: f64,
        /// Purity (many-to-one accuracy).
        pub purity: f64,
        /// Number of samples.
        pub n_samples: u64,
        /// Number of distinct true labels.
        pub n_classes: usize,
        /// Number of distinct predicted labels.
        pub n_clusters: usize,
    }

    /// `fmnist_eval::ClassificationReport`: scikit-learn's `classification_report` with
    /// `output_dict=True`, in a fixed layout. A score that is not defined is `null`.
    #[derive(JsonSchema)]
    #[schemars(rename = "ClassificationReport")]
    pub struct ClassificationReport {
        /// One row per class.
        pub classes: Vec<ClassScores>,
        /// Accuracy over the samples.
        pub accuracy: Option<f64>,
        /// Micro average: only where the report covers a subset of the labels.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub micro_avg: Option<AverageScores>,
        /// Unweighted mean over the classes.
        pub macro_avg: AverageScores,
        /// Mean over the classes weighted by support.
        pub weighted_avg: AverageScores,
        /// Number of samples.
        pub n_samples: u64,
        /// The value an undefined score was given (`warn`: 0).
        pub zero_division: ZeroDivision,
        /// Every score whose denominator was 0.
        pub undefined: Vec<UndefinedMetric>,
    }

    /// `fmnist_eval::ClassScores`.
    #[derive(JsonSchema)]
    #[schemars(rename = "ClassScores")]
    pub struct ClassScores {
        /// The label value.
        pub label: u64,
        /// Its display name.
        pub name: String,
        /// `tp / (tp + fp)`.
        pub precision: Option<f64>,
        /// `tp / (tp + fn)`.
        pub recall: Option<f64>,
        /// `2 tp / (2 tp + fp + fn)`.
        pub f1: Option<f64>,
        /// Number of true samples of the class.
        pub support: u64,
    }

    /// `fmnist_eval::AverageScores`.
    #[derive(JsonSchema)]
    #[schemars(rename = "AverageScores")]
    pub struct AverageScores {
        /// Averaged precision.
        pub precision: Option<f64>,
        /// Averaged recall.
        pub recall: Option<f64>,
        /// Averaged F1.
        pub f1: Option<f64>,
        /// Total support of the classes in the report.
        pub support: u64,
    }

    /// `fmnist_eval::ZeroDivision`.
    #[derive(JsonSchema)]
    #[schemars(rename = "ZeroDivision")]
    #[serde(rename_all = "lowercase")]
    pub enum ZeroDivision {
        /// 0, with a warning.
        Warn,
        /// 0.
        Zero,
        /// 1.
        One,
        /// NaN (`null`), left out of the averages.
        Nan,
    }

    /// `fmnist_eval::UndefinedMetric`.
    #[derive(JsonSchema)]
    #[schemars(rename = "UndefinedMetric")]
    pub struct UndefinedMetric {
        /// The score.
        pub metric: Metric,
        /// The row: a class name, or `micro avg`.
        pub row: String,
    }

    /// `fmnist_eval::Metric`.
    #[derive(JsonSchema)]
    #[schemars(rename = "Metric")]
    #[serde(rename_all = "lowercase")]
    pub enum Metric {
        /// Precision.
        Precision,
        /// Recall.
        Recall,
        /// F1.
        F1,
    }

    /// `fmnist_forest::TreeStats`.
    #[derive(JsonSchema)]
    #[schemars(rename = "TreeStats")]
    pub struct TreeStats {
        /// Number of trees.
        pub n_trees: usize,
        /// Depth of the shallowest tree.
        pub min_depth: usize,
        /// Mean depth.
        pub mean_depth: f64,
        /// Depth of the deepest tree.
        pub max_depth: usize,
        /// Mean number of leaves per tree.
        pub mean_leaves: f64,
        /// Nodes of all trees together.
        pub total_nodes: usize,
    }

    /// `fmnist_io::Origin`: how the data set's directory was reached.
    #[derive(JsonSchema)]
    #[schemars(rename = "Origin")]
    #[serde(rename_all = "kebab-case")]
    pub enum Origin {
        /// A directory the caller named.
        Explicit,
        /// The project-local `./data/fashion-mnist`.
        Local,
        /// The system-wide package location.
        System,
        /// Downloaded.
        Downloaded,
        /// Unpacked from the Debian/Ubuntu package.
        DebianPackage,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_reads_its_own_schema_alone() {
        assert_eq!(serde_json::to_value(SchemaTag).unwrap(), SCHEMA);
        assert!(serde_json::from_value::<SchemaTag>(SCHEMA.into()).is_ok());
        let error = serde_json::from_value::<SchemaTag>("fmnist/v0".into()).unwrap_err();
        assert!(
            error.to_string().contains("expected \"fmnist/v1\""),
            "{error}"
        );
    }

    #[test]
    fn the_document_names_each_output_and_closes_its_objects() {
        let document = Document::default().finish();
        assert_eq!(document["anyOf"].as_array().unwrap().len(), 3);
        let results = &document["$defs"]["Results"];
        assert_eq!(results["additionalProperties"], false);
        assert_eq!(results["properties"]["schema"]["const"], SCHEMA);
        // maps keep their schema of values
        let seconds = &document["$defs"]["PipelineResult"]["properties"]["seconds"];
        assert_eq!(seconds["additionalProperties"]["type"], "number");
        let one = entry(&document, "Results").unwrap();
        assert_eq!(one["$ref"], "#/$defs/Results");
        assert!(one.get("anyOf").is_none());
        assert!(entry(&document, "Nothing").is_none());
    }
}
