//! A command's outputs appear together or not at all: a step that fails after the work leaves
//! every earlier file as it was, and no temporary files behind.

use crate::common;

use std::path::Path;

use common::{FIXTURES, fmnist};

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn pca_whose_last_figure_fails_replaces_none_of_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let (variance, scatter) = (dir.path().join("variance.png"), dir.path().join("pc12.png"));
    std::fs::write(&variance, "earlier").unwrap();
    // One component draws its variance curve, then cannot draw a PC1/PC2 scatter.
    let assert = fmnist()
        .args(["pca", "--components", "1", "--data-dir", FIXTURES, "--plot"])
        .arg(&variance)
        .arg("--scatter")
        .arg(&scatter)
        .assert()
        .failure()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("two components"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&variance).unwrap(), "earlier");
    assert_eq!(names(dir.path()), ["variance.png"]);
}

#[test]
fn pca_writes_all_its_figures_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name);
    fmnist()
        .args(["pca", "--components", "5", "--data-dir", FIXTURES, "--plot"])
        .arg(out("variance.png"))
        .arg("--eigen-images")
        .arg(out("eigen.png"))
        .arg("--scatter")
        .arg(out("pc12.png"))
        .assert()
        .success();
    assert_eq!(names(dir.path()), ["eigen.png", "pc12.png", "variance.png"]);
}

#[test]
fn embed_refuses_a_plot_of_one_dimension_before_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("embedding.npy");
    std::fs::write(&out, "earlier").unwrap();
    fmnist()
        .args([
            "embed",
            "--features",
            "pca",
            "--dims",
            "1",
            "--data-dir",
            FIXTURES,
        ])
        .arg("--out")
        .arg(&out)
        .arg("--plot")
        .arg(dir.path().join("plot.png"))
        .assert()
        .failure()
        .code(1)
        .stderr(predicates::str::contains(
            "--plot needs an embedding of at least 2",
        ));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "earlier");
    assert_eq!(names(dir.path()), ["embedding.npy"]);
}
