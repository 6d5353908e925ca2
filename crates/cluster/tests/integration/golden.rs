//! K-Means against scikit-learn 1.9 on the real fixture subset (golden values in
//! fixtures/cluster/kmeans_golden.json, made by fixtures/cluster/make_golden.py).

use crate::common;

use common::{fixture_data, floats, golden, indices};
use fmnist_cluster::{Algorithm, Init, KMeans};
use nalgebra::DMatrix;

fn start(x: &DMatrix<f32>, rows: &[usize]) -> DMatrix<f32> {
    DMatrix::from_fn(rows.len(), x.ncols(), |j, t| x[(rows[j], t)])
}

#[test]
fn lloyd_from_the_same_start_reaches_scikit_learns_centroids() {
    for algorithm in [Algorithm::Lloyd, Algorithm::Hamerly, Algorithm::Elkan] {
        from_the_same_start(algorithm);
    }
}

/// The golden cases, with `algorithm` (scikit-learn's side runs Lloyd's).
fn from_the_same_start(algorithm: Algorithm) {
    let (x, x_test) = fixture_data();
    let golden = golden();
    for case in golden["lloyd"].as_array().unwrap() {
        let name = &format!("{} ({algorithm:?})", case["name"].as_str().unwrap());
        let rows = indices(&case["init_rows"]);
        let km = KMeans::params(rows.len())
            .algorithm(algorithm)
            .init(Init::Centroids(start(&x, &rows)))
            .max_iter(case["max_iter"].as_u64().unwrap() as usize)
            .tol(case["tol"].as_f64().unwrap())
            .fit(&x)
            .unwrap();
        assert_eq!(
            km.n_iter() as u64,
            case["n_iter"].as_u64().unwrap(),
            "{name}: iterations"
        );
        assert_eq!(
            km.labels(),
            indices(&case["labels"]).as_slice(),
            "{name}: labels"
        );
        let expected = floats(&case["centroids"]);
        let centroids = km.centroids();
        let d = x.ncols();
        for (i, &e) in expected.iter().enumerate() {
            let got = f64::from(centroids[(i / d, i % d)]);
            assert!(
                (got - e).abs() < 1e-4,
                "{name}: centroid value {i}: {got} vs {e}"
            );
        }
        let inertia = case["inertia"].as_f64().unwrap();
        assert!(
            (km.inertia() - inertia).abs() < 1e-5 * inertia,
            "{name}: inertia {} vs {inertia}",
            km.inertia()
        );
        assert_eq!(
            km.predict(&x_test).unwrap(),
            indices(&case["test_labels"]),
            "{name}: test labels"
        );
        let score = case["test_score"].as_f64().unwrap();
        let ours = km.score(&x_test).unwrap();
        assert!(
            (ours - score).abs() < 1e-5 * score.abs(),
            "{name}: score {ours} vs {score}"
        );
        let distances = km.transform(&x_test.rows(0, 1).into_owned()).unwrap();
        for (j, &e) in floats(&case["test_distances_row0"]).iter().enumerate() {
            assert!(
                (f64::from(distances[(0, j)]) - e).abs() < 1e-4,
                "{name}: distance {j}"
            );
        }
    }
}

#[test]
fn kmeans_plus_plus_is_as_good_as_scikit_learns() {
    let (x, _) = fixture_data();
    let golden = golden();
    let sklearn = floats(&golden["kmeans_plus_plus_n_init10_inertia"]);
    let sklearn_mean = sklearn.iter().sum::<f64>() / sklearn.len() as f64;
    for seed in 0..3 {
        let km = KMeans::params(10).seed(seed).fit(&x).unwrap();
        assert!(
            km.inertia() < sklearn_mean * 1.02,
            "seed {seed}: inertia {} vs scikit-learn's {sklearn_mean}",
            km.inertia()
        );
        assert!(km.converged());
    }
    let random = golden["random_n_init10_inertia"].as_f64().unwrap();
    let km = KMeans::params(10).init(Init::Random).fit(&x).unwrap();
    assert!(
        km.inertia() < random * 1.03,
        "random init: {} vs {random}",
        km.inertia()
    );
}
