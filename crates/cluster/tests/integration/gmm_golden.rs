//! GaussianMixture against scikit-learn 1.9: from the same responsibilities, after the same
//! number of EM steps, the parameters, lower bound and per-sample outputs agree to 1e-5
//! (golden values in fixtures/cluster/gmm_golden.json, made by
//! fixtures/cluster/make_gmm_golden.py). Equal component sizes, which scikit-learn lacks, are
//! checked against the script's numpy version of the constrained steps on scikit-learn's
//! densities and M-step. The `pca128` case (full covariance, 128 features) takes the
//! `float32` E-step products and is held to the same 1e-5.

use crate::common;

use common::floats;
use fmnist_cluster::{ComponentSizes, Covariance, GaussianMixture, GmmInit};
use fmnist_io::fixtures;
use nalgebra::DMatrix;
use serde_json::Value;

fn golden() -> Value {
    let text = std::fs::read_to_string(fixtures::dir().join("cluster/gmm_golden.json"))
        .expect("fixtures/cluster/gmm_golden.json exists");
    serde_json::from_str(&text).expect("valid JSON")
}

/// The data set of a case and its starting responsibilities.
fn data(golden: &Value, case: &str) -> (DMatrix<f32>, DMatrix<f64>) {
    let name = case.split('/').next().unwrap();
    let d = &golden["data"][name];
    let (n, cols, k) = (
        d["rows"].as_u64().unwrap() as usize,
        d["cols"].as_u64().unwrap() as usize,
        d["k"].as_u64().unwrap() as usize,
    );
    let x: Vec<f32> = floats(&d["x"]).iter().map(|&v| v as f32).collect();
    let resp = if d["resp"].is_null() {
        let labels = d["labels"].as_array().unwrap();
        DMatrix::from_fn(n, k, |i, j| {
            f64::from(labels[i].as_u64().unwrap() == j as u64)
        })
    } else {
        DMatrix::from_row_slice(n, k, &floats(&d["resp"]))
    };
    (DMatrix::from_row_slice(n, cols, &x), resp)
}

fn assert_close(name: &str, what: &str, found: &[f64], expected: &[f64]) {
    assert_eq!(found.len(), expected.len(), "{name}: {what} length");
    for (i, (&f, &e)) in found.iter().zip(expected).enumerate() {
        assert!(
            (f - e).abs() <= 1e-5 * e.abs().max(1.0),
            "{name}: {what}[{i}] = {f}, scikit-learn {e}"
        );
    }
}

#[test]
fn em_steps_from_the_same_responsibilities_match_scikit_learn() {
    let golden = golden();
    for case in golden["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (x, resp) = data(&golden, name);
        let k = resp.ncols();
        let covariance: Covariance = case["covariance"].as_str().unwrap().parse().unwrap();
        let sizes: ComponentSizes = case["sizes"].as_str().unwrap().parse().unwrap();
        let gmm = GaussianMixture::params(k)
            .covariance(covariance)
            .component_sizes(sizes)
            .init(GmmInit::Responsibilities(resp))
            .max_iter(case["steps"].as_u64().unwrap() as usize)
            .tol(0.0)
            .fit(&x)
            .unwrap();
        assert!(!gmm.converged(), "{name}: tol 0 never converges");
        // Equal sizes: as many free steps, then as many constrained ones.
        let phases = if sizes == ComponentSizes::Equal { 2 } else { 1 };
        assert_eq!(
            gmm.n_iter() as u64,
            phases * case["steps"].as_u64().unwrap()
        );
        assert_close(name, "weights", gmm.weights(), &floats(&case["weights"]));
        let means = gmm.means().transpose(); // column-major of the transpose = row-major
        assert_close(name, "means", means.as_slice(), &floats(&case["means"]));
        assert_close(
            name,
            "covariances",
            gmm.covariances(),
            &floats(&case["covariances"]),
        );
        assert_close(
            name,
            "precisions_cholesky",
            gmm.precisions_cholesky(),
            &floats(&case["precisions_cholesky"]),
        );
        assert_close(
            name,
            "lower_bound",
            &[gmm.lower_bound()],
            &[case["lower_bound"].as_f64().unwrap()],
        );
        let head = x.rows(0, 50).into_owned();
        assert_close(
            name,
            "score_samples",
            &gmm.score_samples(&head).unwrap(),
            &floats(&case["score_samples"]),
        );
        let proba = gmm.predict_proba(&head).unwrap().transpose();
        assert_close(
            name,
            "predict_proba",
            proba.as_slice(),
            &floats(&case["predict_proba"]),
        );
        let expected: Vec<usize> = case["predict"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(gmm.predict(&x).unwrap(), expected, "{name}: predict");
        let n = x.nrows() as f64;
        for (what, found) in [("bic", gmm.bic(&x).unwrap()), ("aic", gmm.aic(&x).unwrap())] {
            let e = case[what].as_f64().unwrap();
            // Both are −2·n·score + a parameter count: 1e-5 per sample of the score.
            assert!(
                (found - e).abs() <= 2e-5 * n,
                "{name}: {what} {found} vs {e}"
            );
        }
    }
}
