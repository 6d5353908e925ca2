//! The JSON Schema `fmnist/v1`: the committed file is what the types generate, and the outputs
//! that no other test binary checks against it (`pipelines`, `fit`, `predict`) follow it. The
//! other binaries check theirs where they run them: `cluster`, `pca`, `embed`, `classify`
//! (cluster.rs, classify.rs), `metrics`, `data info`, `train-ae`, `encode` and
//! `reproduce` (results.json and its `--json`).

use crate::common;

use common::{FIXTURES, SCHEMA_FILE, assert_follows_schema, fmnist, json_of};
use serde_json::Value;

#[test]
fn the_committed_schema_is_what_the_types_generate() {
    let generated = json_of(fmnist().arg("schema"));
    let committed: Value = serde_json::from_slice(&std::fs::read(SCHEMA_FILE).unwrap()).unwrap();
    assert!(
        generated == committed,
        "schema/fmnist-v1.schema.json is out of date: regenerate it with \
         `cargo run -p fmnist-cli -- schema > schema/fmnist-v1.schema.json`"
    );
    // every output the schema names is checked by some test
    let defs = committed["anyOf"].as_array().unwrap();
    assert_eq!(defs.len(), 12);
}

#[test]
fn pipelines_fit_and_predict_print_the_schema() {
    let listing = json_of(fmnist().args(["pipelines", "--json"]));
    assert_follows_schema(&listing, "PipelineListing");

    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("kmeans-raw.model");
    let fitted = json_of(
        fmnist()
            .args(["fit", "--quick", "--data-dir", FIXTURES, "--offline"])
            .args(["--pipeline", "kmeans-raw", "--json", "--out"])
            .arg(&model),
    );
    assert_follows_schema(&fitted, "ClusteringResult");
    assert_eq!(fitted["n_clusters"], 10);

    let images = std::path::Path::new(FIXTURES).join("t10k-images-idx3-ubyte.gz");
    let predicted = json_of(
        fmnist()
            .args(["predict", "--proba", "--json", "--model"])
            .arg(&model)
            .arg("--images")
            .arg(&images),
    );
    assert_follows_schema(&predicted, "Prediction");
    assert_eq!(predicted["clusters"].as_array().unwrap().len(), 200);
    assert_eq!(predicted["distances"][0].as_array().unwrap().len(), 10);
}

#[test]
fn an_object_outside_the_schema_is_refused() {
    let listing = json_of(fmnist().args(["pipelines", "--json"]));
    for broken in [
        {
            let mut v = listing.clone();
            v["schema"] = "fmnist/v0".into();
            v
        },
        {
            let mut v = listing.clone();
            v["extra"] = 1.into();
            v
        },
        {
            let mut v = listing;
            v.as_object_mut().unwrap().remove("best");
            v
        },
    ] {
        let result = std::panic::catch_unwind(|| assert_follows_schema(&broken, "PipelineListing"));
        assert!(result.is_err(), "accepted {broken}");
    }
}
