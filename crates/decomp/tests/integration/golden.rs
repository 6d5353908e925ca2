//! PCA against scikit-learn 1.9 (`covariance_eigh`) on the real fixture subset (golden values
//! in fixtures/decomp/pca_golden.json, made by fixtures/decomp/make_golden.py).

use fmnist_decomp::{Method, Pca};
use fmnist_io::fixtures;
use nalgebra::DMatrix;

fn data() -> (DMatrix<f32>, DMatrix<f32>) {
    let data = fixtures::small().unwrap();
    (data.train.all_features(), data.test.all_features())
}

fn golden() -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(fixtures::dir().join("decomp/pca_golden.json")).unwrap(),
    )
    .unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn assert_close(name: &str, got: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(got.len(), expected.len(), "{name}: length");
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        assert!(
            (g - e).abs() <= tol * (1.0 + e.abs()),
            "{name}[{i}]: {g} vs {e}"
        );
    }
}

fn to_f64(m: &DMatrix<f32>) -> Vec<f64> {
    // Row-major, as numpy writes them.
    m.transpose().iter().map(|&v| f64::from(v)).collect()
}

#[test]
fn covariance_pca_finds_scikit_learns_spectrum_and_axes() {
    let (x, _) = data();
    let g = golden();
    let k = g["n_components"].as_u64().unwrap() as usize;
    let pca = Pca::params(k).method(Method::Covariance).fit(&x).unwrap();
    assert_close(
        "ratio",
        pca.explained_variance_ratio(),
        &floats(&g["explained_variance_ratio"]),
        1e-5,
    );
    assert_close(
        "all ratios",
        pca.all_explained_variance_ratio(),
        &floats(&g["all_explained_variance_ratio"]),
        1e-5,
    );
    assert_close(
        "variance",
        pca.explained_variance(),
        &floats(&g["explained_variance"]),
        1e-5,
    );
    assert_close(
        "singular values",
        pca.singular_values(),
        &floats(&g["singular_values"]),
        1e-5,
    );
    assert_close(
        "noise variance",
        &[pca.noise_variance()],
        &[g["noise_variance"].as_f64().unwrap()],
        1e-5,
    );
    let mean: Vec<f64> = pca.mean().iter().map(|&v| f64::from(v)).collect();
    assert_close("mean", &mean, &floats(&g["mean"]), 1e-6);
    // Same axes with the same signs (svd_flip's convention).
    assert_close(
        "components",
        &to_f64(&pca.components()),
        &floats(&g["components"]),
        1e-4,
    );
}

#[test]
fn covariance_pca_transforms_as_scikit_learn() {
    let (x, x_test) = data();
    let g = golden();
    let k = g["n_components"].as_u64().unwrap() as usize;
    let pca = Pca::params(k).method(Method::Covariance).fit(&x).unwrap();
    // scikit-learn forms the covariance of float32 data in float32 (X.T @ X minus n mean meanᵀ)
    // and transforms as X @ Cᵀ − mean @ Cᵀ, so its projections carry errors near 1e-4; ours
    // accumulate in f64 and centre first. Coordinates agree to 1e-3 (relative to 1 + |value|).
    let z = pca.transform(&x_test).unwrap();
    assert_close(
        "transform",
        &to_f64(&z.rows(0, 5).into_owned()),
        &floats(&g["test_transform_first5"]),
        1e-3,
    );
    let back = pca.inverse_transform(&z.rows(0, 5).into_owned()).unwrap();
    assert_close(
        "inverse",
        &to_f64(&back),
        &floats(&g["test_inverse_first5"]),
        1e-3,
    );
    let mse = pca.reconstruction_error(&x_test).unwrap();
    assert_close(
        "reconstruction",
        &[mse],
        &[g["test_reconstruction_mse"].as_f64().unwrap()],
        1e-4,
    );
    let white = Pca::params(k)
        .method(Method::Covariance)
        .whiten(true)
        .fit(&x)
        .unwrap();
    let zw = white.transform(&x_test).unwrap();
    assert_close(
        "whitened",
        &to_f64(&zw.rows(0, 5).into_owned()),
        &floats(&g["test_whitened_first5"]),
        1e-3,
    );
}

#[test]
fn randomized_pca_finds_the_same_leading_axes() {
    let (x, _) = data();
    let g = golden();
    let pca = Pca::params(10)
        .method(Method::Randomized)
        .seed(3)
        .fit(&x)
        .unwrap();
    let expected = floats(&g["explained_variance_ratio"]);
    assert_close(
        "ratio",
        pca.explained_variance_ratio(),
        &expected[..10],
        2e-3,
    );
    let c = pca.components();
    let golden_c = floats(&g["components"]);
    for axis in 0..5 {
        let dot: f64 = (0..784)
            .map(|j| f64::from(c[(axis, j)]) * golden_c[axis * 784 + j])
            .sum();
        assert!(dot > 0.999, "axis {axis}: cosine {dot}");
    }
}
