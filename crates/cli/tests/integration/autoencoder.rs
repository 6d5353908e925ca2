//! `fmnist train-ae` and `fmnist encode` on the fixture subset.

use crate::common;

use std::path::Path;

use common::{FIXTURES, assert_follows_schema, fmnist, json_of, rewritten_fixtures};
use fmnist_io::IdxTensor;
use predicates::prelude::*;

/// `fmnist encode --json` of the test set of `data` with `model` into `out`: its report.
fn encode_test_set(data: &Path, model: &Path, out: &Path) -> serde_json::Value {
    let report = json_of(
        fmnist()
            .arg("encode")
            .arg("--data-dir")
            .arg(data)
            .args(["--offline", "--json", "--split", "test"])
            .arg("--model")
            .arg(model)
            .arg("--out")
            .arg(out),
    );
    assert_follows_schema(&report, "EncodingResult");
    report
}

#[test]
fn summary_lists_the_papers_parameter_counts() {
    fmnist()
        .args(["train-ae", "--summary"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Total params: 12,577"))
        .stdout(predicate::str::contains("Trainable params: 12,385"));
}

#[test]
fn widths_change_the_network_and_mismatched_ones_are_refused() {
    // Conv 1→64, 64→32, 32→32, 32→64, 64→1 (3x3, with bias) and four BatchNorms.
    fmnist()
        .args([
            "train-ae",
            "--summary",
            "--encoder",
            "64,32",
            "--decoder",
            "32,64",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Trainable params: 47,809"))
        .stdout(predicate::str::contains("Total params: 48,193"));
    fmnist()
        .args(["train-ae", "--summary", "--encoder", "32,32,16"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("3 encoder blocks"));
}

#[test]
fn train_then_encode_writes_a_npy_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.safetensors");
    let report = json_of(
        fmnist()
            .args(["train-ae", "--data-dir", FIXTURES, "--offline", "--json"])
            .args([
                "--epochs",
                "1",
                "--limit",
                "128",
                "--batch",
                "64",
                "--denoise",
                "0.25",
            ])
            .arg("--out")
            .arg(&model),
    );
    assert_follows_schema(&report, "TrainingResult");
    assert_eq!(report["train_loss"].as_array().unwrap().len(), 1);
    assert_eq!(
        (report["train"].as_u64(), report["epochs"].as_u64()),
        (Some(128), Some(1))
    );
    assert_eq!(report["denoise"], 0.25);
    assert!(report["validation_loss"][0].as_f64().unwrap() > 0.0);
    // The configuration is the weights' name with `.json` appended.
    assert!(model.exists() && dir.path().join("model.safetensors.json").exists());

    let features = dir.path().join("features.npy");
    let report = encode_test_set(Path::new(FIXTURES), &model, &features);
    assert_eq!(report["n_samples"], 200);
    assert_eq!(report["n_features"], 784);
    let bytes = std::fs::read(&features).unwrap();
    assert!(bytes.starts_with(b"\x93NUMPY"));
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!(bytes.len(), 10 + header_len + 200 * 784 * 4);
}

#[test]
fn a_denoising_rate_outside_0_to_1_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    fmnist()
        .args(["train-ae", "--data-dir", FIXTURES, "--offline"])
        .args(["--epochs", "1", "--limit", "64", "--denoise", "1.5"])
        .arg("--out")
        .arg(dir.path().join("model.safetensors"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("masking rate 1.5"));
    assert!(!dir.path().join("model.safetensors").exists());
}

#[test]
fn encode_with_a_missing_model_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    fmnist()
        .args(["encode", "--data-dir", FIXTURES, "--offline"])
        .arg("--model")
        .arg(dir.path().join("none.safetensors"))
        .arg("--out")
        .arg(dir.path().join("f.npy"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("none.safetensors: no such file"));
}

/// The fixture subset with every image padded by `pad` pixels of black on each side.
fn padded_fixtures(dir: &Path, pad: usize) {
    rewritten_fixtures(dir, |images, labels| {
        let (n, rows, cols) = (images.dims()[0], images.dims()[1], images.dims()[2]);
        let (rows2, cols2) = (rows + 2 * pad, cols + 2 * pad);
        let mut data = vec![0u8; n * rows2 * cols2];
        for (i, image) in images.data().chunks_exact(rows * cols).enumerate() {
            for (r, row) in image.chunks_exact(cols).enumerate() {
                let start = (i * rows2 + r + pad) * cols2 + pad;
                data[start..start + cols].copy_from_slice(row);
            }
        }
        (IdxTensor::new(vec![n, rows2, cols2], data).unwrap(), labels)
    });
}

#[test]
fn the_network_takes_the_data_sets_image_size() {
    // 32 x 32 images: two poolings give an 8 x 8 x 16 bottleneck.
    let dir = tempfile::tempdir().unwrap();
    padded_fixtures(dir.path(), 2);
    let model = dir.path().join("model.safetensors");
    fmnist()
        .arg("train-ae")
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--offline", "--epochs", "1", "--limit", "64"])
        .arg("--out")
        .arg(&model)
        .assert()
        .success();
    let report = encode_test_set(dir.path(), &model, &dir.path().join("features.npy"));
    assert_eq!(report["n_features"], 8 * 8 * 16);
    // 30 x 30 images cannot be pooled twice: an error before any training.
    let odd = tempfile::tempdir().unwrap();
    padded_fixtures(odd.path(), 1);
    fmnist()
        .arg("train-ae")
        .arg("--data-dir")
        .arg(odd.path())
        .args(["--offline", "--epochs", "1"])
        .arg("--out")
        .arg(odd.path().join("model.safetensors"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("image size 30x30"));
    assert!(!odd.path().join("model.safetensors").exists());
}

#[cfg(not(feature = "cuda"))]
#[test]
fn a_gpu_that_was_not_compiled_in_says_how_to_rebuild() {
    // before anything is loaded: no --data-dir is needed to get the message
    fmnist()
        .args(["train-ae", "--device", "cuda", "--offline"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "built without CUDA support; rebuild it with `cargo install fmnist-cli --features cuda`",
        ));
}
