//! Invariants of K-Means on random data (proptest), determinism across thread counts, and
//! errors for bad input.

use crate::common;

use fmnist_cluster::{ClusterError, Init, KMeans};
use fmnist_core::InputError;
use nalgebra::DMatrix;
use proptest::prelude::*;

/// Random data: 1 to 60 samples of 1 to 12 features, some duplicated rows, values in [-3, 3].
fn data() -> impl Strategy<Value = DMatrix<f32>> {
    (1usize..60, 1usize..12).prop_flat_map(|(n, d)| {
        (
            proptest::collection::vec(-3.0f32..3.0, n * d),
            proptest::collection::vec(0usize..n, 0..n / 2 + 1),
        )
            .prop_map(move |(values, copies)| {
                let mut x = DMatrix::from_row_slice(n, d, &values);
                for (i, &src) in copies.iter().enumerate() {
                    let row = x.row(src).into_owned();
                    x.set_row(i % n, &row);
                }
                x
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn labels_are_clusters_and_predict_reproduces_them(x in data(), k in 1usize..8, seed in 0u64..1000) {
        let k = k.min(x.nrows());
        let km = KMeans::params(k).n_init(2).seed(seed).fit(&x).unwrap();
        prop_assert_eq!(km.labels().len(), x.nrows());
        prop_assert!(km.labels().iter().all(|&l| l < k));
        prop_assert_eq!(km.predict(&x).unwrap(), km.labels().to_vec());
        prop_assert!(km.inertia() >= 0.0);
        let distances = km.transform(&x).unwrap();
        prop_assert_eq!(distances.shape(), (x.nrows(), k));
        prop_assert!((-km.score(&x).unwrap() - km.inertia()).abs() <= 1e-6 * (1.0 + km.inertia()));
    }

    #[test]
    fn inertia_never_increases_across_lloyd_iterations(x in data(), k in 1usize..8, seed in 0u64..1000) {
        let k = k.min(x.nrows());
        let km = KMeans::params(k).n_init(1).init(Init::Random).tol(0.0).seed(seed).fit(&x).unwrap();
        let history = km.inertia_history();
        prop_assert_eq!(history.len(), km.n_iter());
        let slack = 1e-4 * (1.0 + history[0]);
        for pair in history.windows(2) {
            prop_assert!(pair[1] <= pair[0] + slack, "history {:?}", history);
        }
        prop_assert!(km.inertia() <= history[history.len() - 1] + slack);
    }
}

#[test]
fn same_seed_same_model_on_one_or_two_threads() {
    // Enough rows for several parallel groups.
    let n = 10_000;
    let d = 16;
    let x = DMatrix::from_fn(n, d, |i, j| {
        ((i * 31 + j * 17) % 97) as f32 / 97.0 + (i % 7) as f32
    });
    let fit = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| KMeans::params(7).n_init(3).seed(5).fit(&x).unwrap())
    };
    assert_eq!(fit(1), fit(2));
}

#[test]
fn the_model_round_trips_through_json() {
    let (x, _) = common::fixture_data();
    let km = KMeans::params(4).n_init(1).fit(&x).unwrap();
    let json = serde_json::to_string(&km).unwrap();
    let back: fmnist_cluster::FittedKMeans = serde_json::from_str(&json).unwrap();
    // serde_json reads f64 to within one unit in the last place; f32 and integers exactly.
    assert_eq!(back.centroids(), km.centroids());
    assert_eq!(back.labels(), km.labels());
    assert!((back.inertia() - km.inertia()).abs() <= 1e-12 * km.inertia());
    assert_eq!(back.predict(&x).unwrap(), km.labels());
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let x = DMatrix::from_row_slice(3, 2, &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    assert!(matches!(
        KMeans::params(0).fit(&x),
        Err(ClusterError::InvalidParameter(_))
    ));
    assert_eq!(
        KMeans::params(4).fit(&x).unwrap_err(),
        ClusterError::Input(InputError::ClusterCount { k: 4, n_samples: 3 })
    );
    assert_eq!(
        KMeans::params(1).fit(&DMatrix::zeros(0, 2)).unwrap_err(),
        ClusterError::Input(InputError::NoSamples)
    );
    let mut nan = x.clone();
    nan[(2, 1)] = f32::NAN;
    assert!(matches!(
        KMeans::params(1).fit(&nan).unwrap_err(),
        ClusterError::Input(InputError::NonFinite { row: 2, col: 1, .. })
    ));
    let mut inf = x.clone();
    inf[(0, 0)] = f32::NEG_INFINITY;
    assert!(matches!(
        KMeans::params(1).fit(&inf),
        Err(ClusterError::Input(InputError::NonFinite {
            row: 0,
            col: 0,
            ..
        }))
    ));
    let km = KMeans::params(2).fit(&x).unwrap();
    assert_eq!(
        km.predict(&DMatrix::zeros(2, 3)).unwrap_err(),
        ClusterError::Input(InputError::FeatureMismatch {
            expected: 2,
            found: 3
        })
    );
    assert!(km.predict(&nan).is_err());
    assert!(km.transform(&DMatrix::zeros(1, 5)).is_err());
    assert!(matches!(
        KMeans::params(2).n_init(0).fit(&x),
        Err(ClusterError::InvalidParameter(_))
    ));
    assert!(matches!(
        KMeans::params(2).max_iter(0).fit(&x),
        Err(ClusterError::InvalidParameter(_))
    ));
    assert!(matches!(
        KMeans::params(2).tol(f64::NAN).fit(&x),
        Err(ClusterError::InvalidParameter(_))
    ));
    let wrong = DMatrix::zeros(3, 2);
    assert!(matches!(
        KMeans::params(2).init(Init::Centroids(wrong)).fit(&x),
        Err(ClusterError::InvalidParameter(_))
    ));
    assert_eq!(
        KMeans::params(2)
            .init(Init::Centroids(DMatrix::zeros(2, 3)))
            .fit(&x)
            .unwrap_err(),
        ClusterError::Input(InputError::FeatureMismatch {
            expected: 2,
            found: 3
        })
    );
}

#[test]
fn identical_points_give_zero_inertia_and_valid_labels() {
    let x = DMatrix::from_element(20, 3, 0.5f32);
    let km = KMeans::params(3).fit(&x).unwrap();
    assert_eq!(km.inertia(), 0.0);
    assert!(km.labels().iter().all(|&l| l < 3));
}
