//! `fmnist fit` → `fmnist predict`: a saved pipeline labels new images exactly as
//! `fmnist cluster` labelled them, from IDX, `.npy` and PNG folders alike; broken models and
//! images of the wrong size are one-line errors that write nothing.

use crate::common;

use std::path::{Path, PathBuf};

use common::{FIXTURES, fmnist};
use fmnist_io::IdxTensor;
use fmnist_io::npy::to_npy;

/// The fixtures' test images.
fn test_images() -> PathBuf {
    Path::new(FIXTURES).join("t10k-images-idx3-ubyte.gz")
}

/// `fmnist fit --pipeline NAME --quick` on the fixtures, saved in `dir`.
fn fit(dir: &Path, pipeline: &str) -> PathBuf {
    let model = dir.join(format!("{pipeline}.model"));
    fmnist()
        .args([
            "fit",
            "--quick",
            "--data-dir",
            FIXTURES,
            "--pipeline",
            pipeline,
            "--out",
        ])
        .arg(&model)
        .assert()
        .success();
    model
}

/// `fmnist predict --model MODEL --images IMAGES --out OUT`.
fn predict_command(model: &Path, images: &Path, out: &Path) -> assert_cmd::Command {
    let mut command = fmnist();
    command
        .args(["predict", "--model"])
        .arg(model)
        .arg("--images")
        .arg(images)
        .arg("--out")
        .arg(out);
    command
}

/// The clusters `fmnist predict` gives `images` (by way of a CSV file).
fn predict(model: &Path, images: &Path) -> Vec<String> {
    let out = model.with_extension(format!(
        "{}.csv",
        images.file_name().unwrap().to_string_lossy()
    ));
    predict_command(model, images, &out).assert().success();
    let text = std::fs::read_to_string(out).unwrap();
    text.lines()
        .skip(1)
        .map(|line| line.split(',').nth(1).unwrap().to_string())
        .collect()
}

#[test]
fn a_saved_pipeline_labels_the_test_set_as_cluster_does() {
    let dir = tempfile::tempdir().unwrap();
    for pipeline in ["kmeans-raw", "ae-gmm", "best"] {
        let labels = dir.path().join(format!("{pipeline}.txt"));
        fmnist()
            .args([
                "cluster",
                "--quick",
                "--data-dir",
                FIXTURES,
                "--pipeline",
                pipeline,
            ])
            .arg("--labels-out")
            .arg(&labels)
            .assert()
            .success();
        let text = std::fs::read_to_string(&labels).unwrap();
        let clustered: Vec<&str> = text.lines().collect();
        let test_part = &clustered[clustered.len() - 200..];
        let model = fit(dir.path(), pipeline);
        assert_eq!(predict(&model, &test_images()), test_part, "{pipeline}");
    }
}

/// The fixtures' test images as `(n, rows, cols)` bytes.
fn test_pixels() -> (Vec<u8>, [usize; 3]) {
    let (dims, data) = IdxTensor::read(test_images()).unwrap().tensor.into_parts();
    (data, [dims[0], dims[1], dims[2]])
}

/// A PNG file of `rows x cols` pixels, grey or (with `rgb`) the same value in every channel.
fn png(path: &Path, pixels: &[u8], rows: usize, cols: usize, rgb: bool) {
    let file = std::fs::File::create(path).unwrap();
    let mut encoder = png::Encoder::new(file, cols as u32, rows as u32);
    encoder.set_depth(png::BitDepth::Eight);
    let data: Vec<u8> = if rgb {
        encoder.set_color(png::ColorType::Rgb);
        pixels.iter().flat_map(|&v| [v, v, v]).collect()
    } else {
        encoder.set_color(png::ColorType::Grayscale);
        pixels.to_vec()
    };
    encoder
        .write_header()
        .unwrap()
        .write_image_data(&data)
        .unwrap();
}

#[test]
fn the_same_images_as_idx_npy_and_png_get_the_same_labels() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit(dir.path(), "kmeans-raw");
    let (pixels, [n, rows, cols]) = test_pixels();
    let bytes_npy = dir.path().join("u8.npy");
    std::fs::write(&bytes_npy, to_npy(&[n, rows, cols], pixels.iter().copied())).unwrap();
    let floats = pixels.iter().map(|&v| f32::from(v) / 255.0);
    let floats_npy = dir.path().join("f32.npy");
    std::fs::write(&floats_npy, to_npy(&[n, rows * cols], floats)).unwrap();
    let folder = dir.path().join("pngs");
    std::fs::create_dir(&folder).unwrap();
    for (i, image) in pixels.chunks_exact(rows * cols).enumerate() {
        png(
            &folder.join(format!("img{i:04}.png")),
            image,
            rows,
            cols,
            i % 2 == 1,
        );
    }
    let expected = predict(&model, &test_images());
    assert_eq!(expected.len(), n);
    for images in [&bytes_npy, &floats_npy, &folder] {
        assert_eq!(predict(&model, images), expected, "{}", images.display());
    }
    let csv = std::fs::read_to_string(model.with_extension("pngs.csv")).unwrap();
    assert!(
        csv.lines().nth(1).unwrap().starts_with("img0000.png,"),
        "{csv}"
    );
}

/// Runs `fmnist predict` and checks that it fails with one line naming `expected`, writing no
/// `--out` file.
fn fails_with(dir: &Path, model: &Path, images: &Path, expected: &str) {
    let out = dir.join("failed.csv");
    let output = predict_command(model, images, &out).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(expected),
        "expected {expected:?} in {stderr}"
    );
    assert!(!out.exists(), "{stderr}");
}

#[test]
fn truncated_corrupt_foreign_and_other_version_models_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit(dir.path(), "kmeans-raw");
    let bytes = std::fs::read(&model).unwrap();
    let broken = dir.path().join("broken.model");
    std::fs::write(&broken, &bytes[..bytes.len() / 2]).unwrap();
    fails_with(dir.path(), &broken, &test_images(), "truncated");
    let mut corrupt = bytes.clone();
    corrupt[12] = b'#';
    std::fs::write(&broken, &corrupt).unwrap();
    fails_with(
        dir.path(),
        &broken,
        &test_images(),
        "broken.model: not a model file",
    );
    let pattern = br#"\"version\":1,"#;
    let at = bytes
        .windows(pattern.len())
        .position(|w| w == pattern)
        .expect("the manifest holds the version");
    let mut other = bytes.clone();
    other[at + pattern.len() - 2] = b'7';
    std::fs::write(&broken, &other).unwrap();
    fails_with(
        dir.path(),
        &broken,
        &test_images(),
        "version 7, this build reads",
    );
    fails_with(
        dir.path(),
        &test_images(),
        &test_images(),
        "not a model file",
    );
}

#[test]
fn images_of_another_size_are_refused_naming_both_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit(dir.path(), "kmeans-raw");
    let (pixels, [n, ..]) = test_pixels();
    let wide = dir.path().join("wide.npy");
    std::fs::write(&wide, to_npy(&[n, 14, 56], pixels.iter().copied())).unwrap();
    fails_with(
        dir.path(),
        &model,
        &wide,
        "images of 14 x 56 pixels, but the model takes 28 x 28",
    );
    let folder = dir.path().join("mixed");
    std::fs::create_dir(&folder).unwrap();
    png(&folder.join("a.png"), &pixels[..784], 28, 28, false);
    std::fs::write(folder.join("b.txt"), "not an image").unwrap();
    fails_with(dir.path(), &model, &folder, "b.txt: not a PNG image");
    let nan = (0..784).map(|i| if i == 5 { f32::NAN } else { 0.5 });
    let floats = dir.path().join("nan.npy");
    std::fs::write(&floats, to_npy(&[1, 784], nan)).unwrap();
    fails_with(dir.path(), &model, &floats, "pixel 5 of image 0 is NaN");
}

#[test]
fn outputs_are_checked_before_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let model = fit(dir.path(), "kmeans-raw");
    let before = std::fs::read(&model).unwrap();
    predict_command(&model, &test_images(), &model)
        .assert()
        .failure()
        .code(1);
    assert_eq!(std::fs::read(&model).unwrap(), before);
    fmnist()
        .args(["cluster", "--data-dir", FIXTURES, "--labels-out"])
        .arg(dir.path().join("same"))
        .arg("--save")
        .arg(dir.path().join("same"))
        .assert()
        .failure()
        .code(1)
        .stderr(predicates::str::contains("also given to"));
    let missing = dir.path().join("no-such-dir").join("variance.png");
    fmnist()
        .args(["pca", "--data-dir", FIXTURES, "--plot"])
        .arg(&missing)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("does not exist"));
    let same = dir.path().join("embedding.png");
    fmnist()
        .args([
            "embed",
            "--data-dir",
            FIXTURES,
            "--features",
            "pca",
            "--out",
        ])
        .arg(&same)
        .arg("--plot")
        .arg(&same)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("also given to --out"));
    assert!(!same.exists());
    let file = dir.path().join("report");
    std::fs::write(&file, "not a directory").unwrap();
    fmnist()
        .args(["reproduce", "--quick", "--quiet", "--out"])
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("is a file; give a directory"));
}
