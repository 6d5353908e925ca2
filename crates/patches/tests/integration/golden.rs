//! Patch features against a numpy implementation on the real fixture subset (golden values in
//! fixtures/patches/golden.json, made by fixtures/patches/make_golden.py): the whitening, the
//! patches handed to the dictionary learner, and the pooled features of test images for the
//! same dictionary (scikit-learn's K-Means centroids, passed back through the learner).

use std::convert::Infallible;

use fmnist_io::fixtures;
use fmnist_patches::{ImageShape, PatchFeatures};
use nalgebra::DMatrix;

fn golden() -> serde_json::Value {
    let text = std::fs::read_to_string(fixtures::dir().join("patches/golden.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn count(g: &serde_json::Value, key: &str) -> usize {
    g[key].as_u64().unwrap() as usize
}

fn assert_close(name: &str, got: &[f32], expected: &[f32], tol: f32) {
    assert_eq!(got.len(), expected.len(), "{name}: length");
    let worst = got
        .iter()
        .zip(expected)
        .map(|(g, e)| (g - e).abs() / (1.0 + e.abs()))
        .fold(0f32, f32::max);
    assert!(worst <= tol, "{name}: worst relative difference {worst}");
}

#[test]
fn whitening_and_features_match_numpy() {
    let g = golden();
    let data = fixtures::small().unwrap();
    let train: Vec<usize> = (0..count(&g, "n_train")).collect();
    let test: Vec<usize> = (0..count(&g, "n_test")).collect();
    let (train, test) = (
        data.train.features(&train).unwrap(),
        data.test.features(&test).unwrap(),
    );
    let (k, d) = (count(&g, "n_centroids"), count(&g, "patch_size").pow(2));
    let centroids = DMatrix::from_row_slice(k, d, &floats(&g["centroids"]));
    let params = PatchFeatures::params(ImageShape { rows: 28, cols: 28 })
        .patch_size(count(&g, "patch_size"))
        .stride(count(&g, "stride"))
        .n_centroids(k)
        .pool_grid(count(&g, "pool_grid"))
        .contrast_epsilon(g["contrast_epsilon"].as_f64().unwrap() as f32)
        .whitening_epsilon(g["whitening_epsilon"].as_f64().unwrap() as f32);
    let model = params
        .fit(&train, |patches, wanted| {
            assert_eq!(wanted, k);
            assert_eq!(patches.shape(), (count(&g, "n_patches"), d));
            let first: Vec<f32> = patches.row(0).iter().copied().collect();
            assert_close(
                "first whitened patch",
                &first,
                &floats(&g["first_whitened_patch"]),
                1e-5,
            );
            Ok::<_, Infallible>(centroids.clone())
        })
        .unwrap();
    assert_eq!(model.centroids(), centroids);
    let features = model.transform(&test).unwrap();
    assert_eq!(features.shape(), (test.nrows(), model.n_features()));
    let row_major: Vec<f32> = features.transpose().iter().copied().collect();
    assert_close(
        "test features",
        &row_major,
        &floats(&g["test_features"]),
        1e-4,
    );
}
