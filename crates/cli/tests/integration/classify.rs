//! `fmnist classify` on the fixture subset.

use crate::common;

use assert_cmd::Command;
use common::assert_follows_schema;

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/fashion-mnist-small"
);

fn classify(extra: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("fmnist")
        .unwrap()
        .args(["classify", "--data-dir", DATA, "--offline", "--trees", "10"])
        .args(extra)
        .assert()
}

#[test]
fn pixels_only_prints_one_json_object() {
    let out = classify(&["--json"]).success().get_output().stdout.clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_follows_schema(&json, "ClassificationResult");
    let accuracy = json["test"]["accuracy"].as_f64().unwrap();
    assert!(accuracy > 0.5 && accuracy <= 1.0, "{accuracy}");
    // The confusion matrix's rows, as results.json writes a forest's.
    assert_eq!(
        json["test"]["confusion_matrix"].as_array().unwrap().len(),
        10
    );
    assert!(json["seconds"].as_f64().unwrap() >= 0.0);
    assert_eq!(json["seconds"], json["test"]["seconds"]);
}

#[test]
fn cluster_labels_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clusters.txt");
    // 1,000 training then 200 test labels.
    let labels: String = (0..1_200).map(|i| format!("{}\n", i % 7)).collect();
    std::fs::write(&path, labels).unwrap();
    let path = path.to_str().unwrap();
    for mode in ["replace", "add"] {
        classify(&["--clusters", mode, "--clusters-from", path, "--json"]).success();
    }
    std::fs::write(dir.path().join("short.txt"), "1\n2\n").unwrap();
    let short = dir.path().join("short.txt");
    classify(&[
        "--clusters",
        "add",
        "--clusters-from",
        short.to_str().unwrap(),
    ])
    .code(1);
    classify(&["--clusters", "add"]).code(1);
}
