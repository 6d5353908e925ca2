//! `fmnist data` on the fixture subset and on corrupted copies of it: correct output, and a
//! clear error with exit code 1 — never a panic — for every malformed input.

use std::path::{Path, PathBuf};

use crate::common;

use common::{FIXTURES, assert_follows_schema, fmnist};
use fmnist_io::{DataFile, IdxTensor};
use predicates::prelude::*;

fn fixture(file: DataFile) -> PathBuf {
    Path::new(FIXTURES).join(format!("{}.gz", file.file_name()))
}

/// A copy of the fixtures in which `file` is replaced by `bytes` (plain IDX or gzip).
fn corrupted(file: DataFile, bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in DataFile::ALL {
        let target = dir.path().join(format!("{}.gz", f.file_name()));
        if f == file {
            std::fs::write(&target, bytes).unwrap();
        } else {
            std::fs::copy(fixture(f), &target).unwrap();
        }
    }
    dir
}

/// Runs `data info` on `dir` and expects exit code 1 with `message` on stderr.
fn assert_data_error(dir: &Path, message: &str) {
    fmnist()
        .args(["data", "info", "--offline", "--data-dir"])
        .arg(dir)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains(message))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn info_json_describes_the_fixtures() {
    let output = fmnist()
        .args([
            "data",
            "info",
            "--offline",
            "--json",
            "--data-dir",
            FIXTURES,
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let info: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_follows_schema(&info, "DataInfo");
    assert_eq!(info["train"], 1_000);
    assert_eq!(info["test"], 200);
    assert_eq!(info["rows"], 28);
    assert_eq!(info["cols"], 28);
    assert_eq!(info["source"], "custom, unverified");
    assert_eq!(info["verified"], false);
    assert_eq!(info["class_names"][0], "T-shirt/top");
    assert_eq!(
        info["class_counts"]["train"],
        serde_json::json!(vec![100; 10])
    );
    assert_eq!(
        info["class_counts"]["test"],
        serde_json::json!(vec![20; 10])
    );
    assert_eq!(info["sha256"].as_object().unwrap().len(), 4);
}

#[test]
fn info_reads_the_directory_from_the_environment() {
    fmnist()
        .env("FMNIST_DATA", FIXTURES)
        .args(["data", "info", "--offline"])
        .assert()
        .success()
        .stdout(predicate::str::contains("train      1000"));
}

#[test]
fn a_truncated_image_file_is_reported() {
    let bytes = std::fs::read(fixture(DataFile::TrainImages)).unwrap();
    let plain = IdxTensor::read(fixture(DataFile::TrainImages))
        .unwrap()
        .tensor
        .to_bytes(false);
    let dir = corrupted(DataFile::TrainImages, &plain[..16 + 1200]);
    assert_data_error(
        dir.path(),
        "truncated: expected 784000 bytes of pixels, found 1200",
    );
    let dir = corrupted(DataFile::TrainImages, &bytes[..bytes.len() / 2]);
    assert_data_error(dir.path(), "train-images-idx3-ubyte.gz");
}

#[test]
fn trailing_bytes_are_reported() {
    let mut plain = IdxTensor::read(fixture(DataFile::TestLabels))
        .unwrap()
        .tensor
        .to_bytes(false);
    plain.push(0);
    let dir = corrupted(DataFile::TestLabels, &plain);
    assert_data_error(dir.path(), "trailing data: expected 200 bytes of labels");
}

#[test]
fn a_file_that_is_not_idx_is_reported() {
    let dir = corrupted(DataFile::TestImages, b"<html>not found</html>");
    assert_data_error(dir.path(), "not an IDX file");
    let dir = corrupted(DataFile::TestImages, &[]);
    assert_data_error(dir.path(), "truncated header");
}

#[test]
fn mismatched_label_counts_are_reported() {
    let labels = IdxTensor::new(vec![199], vec![0; 199]).unwrap();
    let dir = corrupted(DataFile::TestLabels, &labels.to_bytes(true));
    assert_data_error(dir.path(), "199 labels for 200 images");
}

#[test]
fn labels_beyond_the_named_classes_are_reported() {
    let labels = IdxTensor::new(vec![200], vec![10; 200]).unwrap();
    let dir = corrupted(DataFile::TestLabels, &labels.to_bytes(true));
    std::fs::copy(
        Path::new(FIXTURES).join("classes.txt"),
        dir.path().join("classes.txt"),
    )
    .unwrap();
    assert_data_error(
        dir.path(),
        "label 10 at index 0 is outside the 10 declared classes",
    );
}

#[test]
fn images_of_the_wrong_rank_are_reported() {
    let flat = IdxTensor::new(vec![200, 784], vec![0; 200 * 784]).unwrap();
    let dir = corrupted(DataFile::TestImages, &flat.to_bytes(true));
    assert_data_error(dir.path(), "expected 3 dimensions, found 2");
}

#[test]
fn a_missing_directory_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    assert_data_error(
        &dir.path().join("nowhere"),
        "missing train-images-idx3-ubyte",
    );
}

#[test]
fn show_draws_one_row_per_class() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("grid.png");
    fmnist()
        .args(["data", "show", "--offline", "--data-dir", FIXTURES])
        .args(["--per-class", "5", "--scale", "1", "--out"])
        .arg(&out)
        .assert()
        .success();
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    // A 32-pixel title, then 10 rows of 28-pixel images with 2-pixel gaps, and 5 columns
    // after the class names.
    assert_eq!(info.height, 32 + 10 * (28 + 2) + 2);
    assert!(info.width > 5 * (28 + 2));
}

#[test]
fn usage_errors_exit_with_2() {
    fmnist().args(["data", "show"]).assert().code(2);
    fmnist().args(["data", "frobnicate"]).assert().code(2);
}
