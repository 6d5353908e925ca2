//! `fmnist metrics` end to end: label files in, metrics out.

use std::path::{Path, PathBuf};

use crate::common;

use common::{assert_follows_schema, fmnist};
use predicates::prelude::*;
use serde_json::Value;

fn write(dir: &Path, name: &str, labels: &[u64]) -> PathBuf {
    let path = dir.join(name);
    let text: String = labels.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path
}

fn labels() -> (Vec<u64>, Vec<u64>) {
    let truth: Vec<u64> = (0..300).map(|i| (i * 7 % 10) as u64).collect();
    let pred: Vec<u64> = truth
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            if i % 4 == 0 {
                (t + 1) % 10
            } else {
                (t * 3 + 2) % 10
            }
        })
        .collect();
    (truth, pred)
}

#[test]
fn clustering_json_has_every_metric() {
    let dir = tempfile::tempdir().unwrap();
    let (truth, pred) = labels();
    let t = write(dir.path(), "truth.txt", &truth);
    let p = write(dir.path(), "pred.txt", &pred);
    let out = fmnist()
        .args(["metrics", "--json", "--truth"])
        .arg(&t)
        .arg("--pred")
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_follows_schema(&json, "ClusteringMetrics");
    let expected = fmnist_eval::ClusteringReport::compute(&truth, &pred).unwrap();
    for key in [
        "ami",
        "nmi",
        "ari",
        "rand",
        "homogeneity",
        "completeness",
        "v_measure",
        "fowlkes_mallows",
        "accuracy",
        "purity",
    ] {
        assert!(json[key].is_f64(), "{key} missing in {json}");
    }
    assert_eq!(json["n_samples"], 300);
    assert_eq!(json["n_classes"], 10);
    assert_eq!(json["n_clusters"], 10);
    assert_eq!(json["ami"].as_f64().unwrap(), expected.ami);
    assert_eq!(json["accuracy"].as_f64().unwrap(), 0.75);
    // the 13 metrics and the schema
    assert_eq!(json.as_object().unwrap().len(), 14);
}

#[test]
fn clustering_table_is_readable() {
    let dir = tempfile::tempdir().unwrap();
    let t = write(dir.path(), "truth.txt", &[0, 0, 1, 1]);
    let p = write(dir.path(), "pred.txt", &[5, 5, 9, 9]);
    fmnist()
        .args(["metrics", "--truth"])
        .arg(&t)
        .arg("--pred")
        .arg(&p)
        .assert()
        .success()
        .stdout(predicate::str::contains("4 samples, 2 classes, 2 clusters"))
        .stdout(predicate::str::contains("ami               1.0000"));
}

#[test]
fn classification_report_and_confusion_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let t = write(dir.path(), "truth.txt", &[0, 1, 2, 2, 2]);
    let p = write(dir.path(), "pred.txt", &[0, 0, 2, 2, 1]);
    let names = dir.path().join("names.txt");
    std::fs::write(&names, "class 0\nclass 1\nclass 2\n").unwrap();
    let out = fmnist()
        .args(["metrics", "--classification", "--truth"])
        .arg(&t)
        .arg("--pred")
        .arg(&p)
        .arg("--names")
        .arg(&names)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    // scikit-learn's classification_report, line for line
    assert!(text.starts_with(
        "              precision    recall  f1-score   support\n\n     class 0       0.50      1.00      0.67         1\n"
    ));
    assert!(text.contains("    accuracy                           0.60         5\n"));
    assert!(text.contains("confusion matrix"));

    let out = fmnist()
        .args(["metrics", "--classification", "--json", "--truth"])
        .arg(&t)
        .arg("--pred")
        .arg(&p)
        .output()
        .unwrap();
    assert!(out.status.success());
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_follows_schema(&json, "ClassificationMetrics");
    assert_eq!(
        json["confusion_matrix"],
        serde_json::json!([[1, 0, 0], [1, 0, 0], [0, 1, 2]])
    );
    assert_eq!(json["labels"], serde_json::json!([0, 1, 2]));
    assert_eq!(json["report"]["accuracy"], 0.6);
    assert_eq!(json["report"]["classes"][2]["support"], 3);
}

#[test]
fn malformed_lines_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let t = write(dir.path(), "truth.txt", &[0, 1, 1]);
    let fails = |truth: &Path, pred: &Path, message: &str| {
        fmnist()
            .args(["metrics", "--truth"])
            .arg(truth)
            .arg("--pred")
            .arg(pred)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(message));
    };
    let bad = dir.path().join("pred.txt");
    std::fs::write(&bad, "0\n1\n-3\n").unwrap();
    let negative = "pred.txt:3: expected one non-negative integer per line, found \"-3\"";
    fails(&t, &bad, negative);
    std::fs::write(&bad, "0\n\n1\n").unwrap();
    let blank = "pred.txt:2: expected one non-negative integer per line, found an empty line";
    fails(&t, &bad, blank);
    let short = write(dir.path(), "short.txt", &[0, 1]);
    fails(&t, &short, "has 3 labels but");
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "\n").unwrap();
    fails(&empty, &empty, "empty.txt: no labels");
}
