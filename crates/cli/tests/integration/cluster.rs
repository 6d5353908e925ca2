//! `fmnist cluster` and `fmnist pca` on the fixture subset.

use crate::common;

use assert_cmd::Command;
use common::{
    FIXTURES, assert_follows_schema, feature_step, fmnist, json_stdout, rewritten_fixtures,
    saved_state,
};
use fmnist_io::IdxTensor;

/// `fmnist cluster` on the fixture subset.
fn cluster() -> Command {
    let mut command = fmnist();
    command.args(["cluster", "--data-dir", FIXTURES, "--offline"]);
    command
}

/// `fmnist embed` on the fixture subset.
fn embed() -> Command {
    let mut command = fmnist();
    command.args(["embed", "--data-dir", FIXTURES, "--offline"]);
    command
}

#[test]
fn cluster_prints_scores_for_every_split_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("pca-kmeans.model");
    let out = cluster()
        .args(["--features", "pca", "--pca-components", "10"])
        .args([
            "--method", "kmeans", "--k", "10", "--seed", "0", "--n-init", "2", "--json", "--save",
        ])
        .arg(&model)
        .output()
        .unwrap();
    let json = json_stdout(&out);
    assert_follows_schema(&json, "ClusteringResult");
    for split in ["train", "validation", "test"] {
        for key in ["ami", "nmi", "ari", "accuracy"] {
            let v = json[split][key].as_f64().unwrap();
            assert!((-1.0..=1.0).contains(&v), "{split}.{key} = {v}");
        }
        // Real clusters carry information about the classes.
        assert!(
            json[split]["ami"].as_f64().unwrap() > 0.2,
            "{split}: {json}"
        );
    }
    assert!(json["inertia"].as_f64().unwrap() > 0.0);
    assert!(json["n_iter"].as_u64().unwrap() >= 1);
    assert!(json["seconds"].as_f64().unwrap() >= 0.0);
    let saved = saved_state(&model);
    assert!(saved["clusterer"]["kmeans"].is_object() && feature_step(&saved, "pca").is_some());
    // The table goes to stderr with --json.
    assert!(String::from_utf8_lossy(&out.stderr).contains("validation"));
}

#[test]
fn every_kmeans_algorithm_gives_the_same_clusters() {
    let dir = tempfile::tempdir().unwrap();
    let labels: Vec<String> = ["lloyd", "hamerly", "elkan", "auto"]
        .iter()
        .map(|algorithm| {
            let path = dir.path().join(format!("{algorithm}.txt"));
            cluster()
                .args(["--features", "raw"])
                .args([
                    "--k",
                    "10",
                    "--n-init",
                    "2",
                    "--algorithm",
                    algorithm,
                    "--labels-out",
                ])
                .arg(&path)
                .assert()
                .success();
            std::fs::read_to_string(path).unwrap()
        })
        .collect();
    assert!(labels.iter().all(|l| *l == labels[0]));
}

#[test]
fn cluster_reports_bad_parameters_as_errors() {
    cluster()
        .args(["--k", "0"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("k must be at least 1"));
    cluster().args(["--features", "cnn"]).assert().code(2);
}

#[test]
fn pca_prints_the_variance_table_and_draws_the_figures() {
    let dir = tempfile::tempdir().unwrap();
    let files = ["variance.png", "eigen.png", "pc12.png"].map(|f| dir.path().join(f));
    let out = fmnist()
        .args([
            "pca",
            "--data-dir",
            FIXTURES,
            "--offline",
            "--components",
            "20",
            "--json",
        ])
        .arg("--plot")
        .arg(&files[0])
        .arg("--eigen-images")
        .arg(&files[1])
        .arg("--scatter")
        .arg(&files[2])
        .output()
        .unwrap();
    let json = json_stdout(&out);
    assert_follows_schema(&json, "PcaResult");
    let ratios = json["explained_variance_ratio"].as_array().unwrap();
    assert_eq!(ratios.len(), 20);
    assert_eq!(
        json["all_explained_variance_ratio"]
            .as_array()
            .unwrap()
            .len(),
        784
    );
    let cumulative = json["cumulative_explained_variance_ratio"]
        .as_f64()
        .unwrap();
    assert!(cumulative > 0.7 && cumulative < 1.0, "{cumulative}");
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        assert_eq!(&bytes[1..4], b"PNG", "{}", file.display());
    }
}

#[test]
fn a_gaussian_mixture_reports_likelihood_and_bic() {
    let out = cluster()
        .args(["--features", "pca", "--pca-components", "8"])
        .args(["--method", "gmm", "--covariance", "diag", "--json"])
        .output()
        .unwrap();
    let json = json_stdout(&out);
    assert_follows_schema(&json, "ClusteringResult");
    assert_eq!(json["method"], "gmm");
    assert_eq!(json["covariance_type"], "diag");
    assert!(json["log_likelihood"].as_f64().unwrap().is_finite());
    assert!(json["bic"].as_f64().unwrap().is_finite());
    assert!(json.get("inertia").is_none());
    assert!(json["test"]["ami"].as_f64().unwrap() > 0.2, "{json}");
}

#[test]
fn a_gaussian_mixture_takes_free_or_equal_component_sizes() {
    let run = |extra: &[&str]| {
        cluster()
            .args([
                "--features",
                "pca",
                "--pca-components",
                "8",
                "--method",
                "gmm",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    assert_eq!(json_stdout(&run(&["--json"]))["component_sizes"], "free");
    let equal = json_stdout(&run(&["--component-sizes", "equal", "--json"]));
    assert_eq!(equal["component_sizes"], "equal");
    assert!(equal["test"]["ami"].as_f64().unwrap() > 0.2, "{equal}");
    let bad = run(&["--component-sizes", "same"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("equal"));
}

#[test]
fn autoencoder_features_need_a_model() {
    cluster().args(["--features", "ae"]).assert().code(2);
    cluster()
        .args(["--features", "ae"])
        .args(["--model", "/nonexistent/model.safetensors"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("/nonexistent/model"));
}

#[test]
fn cluster_labels_feed_the_forest() {
    let dir = tempfile::tempdir().unwrap();
    let labels = dir.path().join("clusters.txt");
    cluster()
        .args(["--n-init", "2"])
        .arg("--labels-out")
        .arg(&labels)
        .assert()
        .success();
    let text = std::fs::read_to_string(&labels).unwrap();
    // The 1,000 training-set images, then the 200 test images.
    assert_eq!(text.lines().count(), 1_200);
    assert!(text.lines().all(|l| l.parse::<u8>().is_ok_and(|c| c < 10)));
    let out = fmnist()
        .args([
            "classify",
            "--data-dir",
            FIXTURES,
            "--offline",
            "--trees",
            "10",
        ])
        .args(["--clusters", "add", "--json", "--clusters-from"])
        .arg(&labels)
        .output()
        .unwrap();
    let json = json_stdout(&out);
    assert_follows_schema(&json, "ClassificationResult");
    assert!(json["test"]["accuracy"].as_f64().unwrap() > 0.5, "{json}");
}

#[test]
fn umap_features_cluster_better_than_raw_pixels_and_save_the_embedding() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("umap-gmm.model");
    let run = |features: &str| -> serde_json::Value {
        let out = cluster()
            .args(["--features"])
            .arg(features)
            .args(["--neighbors", "10", "--method", "gmm", "--json", "--save"])
            .arg(&model)
            .output()
            .unwrap();
        json_stdout(&out)
    };
    let raw = run("pca");
    let umap = run("umap");
    assert_eq!(umap["features"], "umap");
    let ami = |v: &serde_json::Value| v["train"]["ami"].as_f64().unwrap();
    assert!(ami(&umap) > ami(&raw), "UMAP {umap} vs PCA {raw}");
    let saved = saved_state(&model);
    // UMAP embeds patch features by default: the file holds their models, whitening to PCA.
    let patches = feature_step(&saved, "patches").unwrap();
    assert!(
        feature_step(&saved, "umap").is_some() && saved["clusterer"]["gmm"].is_object(),
        "{saved}"
    );
    assert!(
        patches["features"].is_object() && patches["pca"].is_object(),
        "{patches}"
    );
}

#[test]
fn embed_writes_the_embedding_and_its_plot() {
    let dir = tempfile::tempdir().unwrap();
    let (npy, png) = (dir.path().join("e.npy"), dir.path().join("e.png"));
    let out = embed()
        .args(["--method", "umap"])
        .args(["--neighbors", "10", "--dims", "3", "--json", "--out"])
        .arg(&npy)
        .arg("--plot")
        .arg(&png)
        .output()
        .unwrap();
    let json = json_stdout(&out);
    assert_follows_schema(&json, "EmbeddingResult");
    assert_eq!(json["n_components"], 3);
    assert_eq!(json["n_samples"], 1200);
    let trust = json["trustworthiness"].as_f64().unwrap();
    assert!(trust > 0.8 && trust <= 1.0, "{json}");
    let bytes = std::fs::read(&npy).unwrap();
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
    assert!(header.contains("'shape': (1200, 3)"), "{header}");
    assert_eq!(bytes.len(), 10 + header_len + 1200 * 3 * 4);
    assert!(png.is_file());
}

#[test]
fn embed_reports_impossible_settings_as_errors() {
    for (args, message) in [
        (&["--features", "umap"][..], "--features umap"),
        (&["--neighbors", "5000"][..], "neighbo"),
        (&["--dims", "1", "--plot", "/tmp/never.png"][..], "--plot"),
    ] {
        embed()
            .args(args)
            .assert()
            .code(1)
            .stderr(predicates::str::contains(message));
    }
}

#[test]
fn raw_pixels_embed_with_the_projected_or_the_exact_search() {
    for extra in [&[][..], &["--exact-neighbors"][..]] {
        let out = embed()
            .args(["--features", "raw"])
            .args([
                "--neighbors",
                "10",
                "--dims",
                "2",
                "--umap-epochs",
                "50",
                "--json",
            ])
            .args(extra)
            .output()
            .unwrap();
        let json = json_stdout(&out);
        assert_eq!(json["features"], "raw");
        let trust = json["trustworthiness"].as_f64().unwrap();
        assert!(trust > 0.8 && trust <= 1.0, "{extra:?}: {json}");
    }
}

/// The fixture images of classes 0, 1 and 9 only, relabelled 0, 1 and 2 (no class names file).
fn three_class_fixtures(dir: &std::path::Path) {
    rewritten_fixtures(dir, |images, labels| {
        let pixels = images.dims()[1] * images.dims()[2];
        let (mut kept_images, mut kept_labels) = (Vec::new(), Vec::new());
        for (image, &label) in images.data().chunks_exact(pixels).zip(labels.data()) {
            if let Some(new) = [0u8, 1, 9].iter().position(|&c| c == label) {
                kept_images.extend_from_slice(image);
                kept_labels.push(new as u8);
            }
        }
        let n = kept_labels.len();
        let mut dims = images.dims().to_vec();
        dims[0] = n;
        (
            IdxTensor::new(dims, kept_images).unwrap(),
            IdxTensor::new(vec![n], kept_labels).unwrap(),
        )
    });
}

#[test]
fn k_defaults_to_the_number_of_classes() {
    let dir = tempfile::tempdir().unwrap();
    three_class_fixtures(dir.path());
    let out = fmnist()
        .arg("cluster")
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--offline", "--json", "--n-init", "1"])
        .output()
        .unwrap();
    let report = json_stdout(&out);
    assert_eq!(report["n_clusters"], 3);
    // an explicit --k wins
    let out = cluster()
        .args(["--json"])
        .args(["--n-init", "1", "--k", "4"])
        .output()
        .unwrap();
    assert_eq!(json_stdout(&out)["n_clusters"], 4);
}
