//! `fmnist reproduce --quick` on the fixtures: every output is written, results.json follows
//! the schema, a second run with the same seed gives the same numbers, and `fmnist report`
//! renders the report again from results.json.

use crate::common;

use std::path::Path;

use common::{assert_follows_schema, fmnist, json_of};
use serde_json::Value;

/// `fmnist reproduce --quick --json` into `out` with `commit` in `FMNIST_COMMIT`: its
/// results.json, which is also what it printed.
fn reproduce_quick(out: &Path, commit: &str) -> Value {
    let printed = json_of(
        fmnist()
            .env("FMNIST_COMMIT", commit)
            .args(["reproduce", "--quick", "--quiet", "--json", "--out"])
            .arg(out),
    );
    let written: Value =
        serde_json::from_slice(&std::fs::read(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(printed, written, "--json prints results.json");
    assert_follows_schema(&written, "Results");
    assert_eq!(written["environment"]["commit"], commit);
    written
}

/// Removes the fields that measure time or the machine, which may differ between runs.
fn without_timings(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, _| {
                !matches!(key.as_str(), "seconds" | "seconds_total" | "environment")
            });
            map.values_mut().for_each(without_timings);
        }
        Value::Array(items) => items.iter_mut().for_each(without_timings),
        _ => {}
    }
}

/// The schema's top-level keys, the pipelines and their runs on all images, in order.
fn assert_schema_and_pipelines(results: &Value) {
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
        assert!(results.get(key).is_some(), "results.json lacks {key}");
    }
    let names: Vec<&str> = results["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "kmeans-raw",
            "ae-kmeans",
            "ae-gmm",
            "pca-umap-gmm",
            "patches-umap-gmm",
            "umap-kmeans",
            "ae-umap-gmm"
        ]
    );
    let all_images: Vec<(&str, u64)> = results["all_images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["n_samples"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        all_images,
        [
            ("pca-umap-gmm", 1200),
            ("patches-umap-gmm", 1200),
            ("ae-umap-gmm", 1200)
        ]
    );
}

/// Every pipeline's clusters and forests carry information about the classes; the split and
/// the network have the study's sizes.
fn assert_scores(results: &Value) {
    for pipeline in results["pipelines"].as_array().unwrap() {
        for split in ["train", "validation", "test"] {
            let ami = pipeline["clustering"][split]["ami"].as_f64().unwrap();
            assert!(ami > 0.2 && ami <= 1.0, "{split} AMI {ami}");
        }
        for mode in ["replace", "add"] {
            let accuracy = pipeline["forest"][mode]["accuracy"].as_f64().unwrap();
            assert!(accuracy > 0.3, "{mode} accuracy {accuracy}");
        }
    }
    assert_eq!(results["dataset"]["train"], 800);
    assert_eq!(results["dataset"]["validation"], 200);
    assert_eq!(results["autoencoder"]["params"], 12_577);
}

/// The report and the figures are in `out`.
fn assert_figures(out: &Path) {
    for file in [
        "REPORT.md",
        "samples.png",
        "pca-variance.png",
        "pca-eigen-images.png",
        "pca-scatter.png",
        "ae-loss.png",
        "ae-reconstruction.png",
        "kmeans-raw-clusters.png",
        "ae-gmm-confusion-add.png",
        "ae-kmeans-confusion-replace.png",
        "umap-classes.png",
        "umap-clusters.png",
        "ae-umap-gmm-clusters.png",
        "kmeans-raw-contingency.png",
        "patches-umap-gmm-clusters.png",
    ] {
        assert!(out.join(file).is_file(), "missing {file}");
    }
    // Written in a staging folder and moved into place: none of it is left behind.
    for entry in std::fs::read_dir(out).unwrap() {
        let name = entry.unwrap().file_name();
        assert!(
            !name.to_string_lossy().starts_with('.'),
            "left behind: {name:?}"
        );
    }
}

#[test]
fn quick_reproduction_writes_everything_and_is_deterministic() {
    let first = tempfile::tempdir().unwrap();
    let mut a = reproduce_quick(first.path(), "0123abc");
    assert_schema_and_pipelines(&a);
    assert_scores(&a);
    assert_figures(first.path());

    let second = tempfile::tempdir().unwrap();
    let mut b = reproduce_quick(second.path(), "0123abc-dirty");
    without_timings(&mut a);
    without_timings(&mut b);
    assert_eq!(a, b, "two runs with the same seed differ");

    // `fmnist report` renders the report again from results.json alone.
    std::fs::remove_file(first.path().join("REPORT.md")).unwrap();
    fmnist()
        .args(["report", "--results"])
        .arg(first.path().join("results.json"))
        .assert()
        .success()
        .stdout(predicates::str::contains("kmeans-raw"));
    let report = std::fs::read_to_string(first.path().join("REPORT.md")).unwrap();
    assert!(report.contains("| commit | 0123abc |"), "{report}");
}

#[test]
fn results_that_predate_the_schema_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("results.json");
    // the first results.json had `"schema": 1`, later ones no such field at all
    for text in [r#"{"schema": 1, "seed": 0}"#, r#"{"seed": 0}"#] {
        std::fs::write(&old, text).unwrap();
        fmnist()
            .args(["report", "--results"])
            .arg(&old)
            .assert()
            .code(1)
            .stderr(predicates::str::contains(
                "results that predate schema fmnist/v1",
            ));
    }
    assert!(!dir.path().join("REPORT.md").exists());
}

#[test]
fn a_missing_results_file_is_an_error() {
    fmnist()
        .args(["report", "--results", "/nonexistent/results.json"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("/nonexistent/results.json"));
}
