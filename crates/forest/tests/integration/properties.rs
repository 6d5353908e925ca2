//! Invariants of fitted forests on generated data.

use fmnist_core::InputError;
use fmnist_forest::{FittedRandomForest, ForestError, MaxFeatures, RandomForest};
use nalgebra::DMatrix;
use proptest::prelude::*;

/// `n` rows of `d` small features and labels of `k` classes.
fn dataset(d: usize, k: u8) -> impl Strategy<Value = (DMatrix<u8>, Vec<u8>)> {
    (4usize..60).prop_flat_map(move |n| {
        (
            proptest::collection::vec(0u8..8, n * d),
            proptest::collection::vec(0u8..k, n),
        )
            .prop_map(move |(x, y)| (DMatrix::from_vec(n, d, x), y))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn probabilities_sum_to_one((x, y) in dataset(4, 3), seed in any::<u64>()) {
        let forest = RandomForest::params().n_trees(7).seed(seed).fit(&x, &y).unwrap();
        let proba = forest.predict_proba(&x).unwrap();
        prop_assert_eq!(proba.ncols(), forest.classes().len());
        for row in proba.row_iter() {
            // Leaf frequencies are stored as f32.
            prop_assert!((row.sum() - 1.0).abs() < 1e-6);
            prop_assert!(row.iter().all(|&p| (0.0..=1.0).contains(&p)));
        }
    }

    #[test]
    fn a_separating_feature_takes_all_the_importance_and_decides_new_points(
        n in 20usize..200, feature in 0usize..5, seed in any::<u64>(),
    ) {
        // The class decides one feature, with a margin: below 100 or above 155; no other
        // feature separates the classes for any n here (checked exhaustively). With every
        // feature tried at every split and every tree on all rows, the root split of every
        // tree is on that feature (the only split with pure children), so it takes all the
        // importance and decides points far on either side whatever their other features.
        // (With bootstrap samples and 2 features a split that is not so: a tree that never
        // draws the feature classifies its out-of-bag rows by noise, and now and then a
        // majority of the 15 trees errs on some training row.)
        let y: Vec<u8> = (0..n).map(|r| u8::from(r % 3 == 0)).collect();
        let x = DMatrix::from_fn(n, 5, |r, j| {
            let noise = ((r * (j + 3) * 37 + j * 11) % 100) as u8;
            if j == feature && y[r] == 1 { 156 + noise } else { noise }
        });
        let forest = RandomForest::params().n_trees(15).max_features(MaxFeatures::All)
            .bootstrap(false).seed(seed).fit(&x, &y).unwrap();
        prop_assert!((forest.feature_importances()[feature] - 1.0).abs() < 1e-12,
            "{:?}", forest.feature_importances());
        let predicted = forest.predict(&x).unwrap();
        prop_assert!(predicted.iter().zip(&y).all(|(&p, &t)| p == u32::from(t)));
        let probe = DMatrix::from_fn(2 * n, 5, |r, j| match (j == feature, r % 2) {
            (true, 0) => 0,
            (true, _) => 255,
            (false, _) => ((r * 7 + j * 13) % 256) as u8,
        });
        let predicted = forest.predict(&probe).unwrap();
        prop_assert!(predicted.iter().enumerate().all(|(r, &p)| p == (r % 2) as u32));
    }

    #[test]
    fn without_bootstrap_the_row_order_does_not_matter((x, y) in dataset(5, 4), seed in any::<u64>(), shift in 1usize..50) {
        let n = x.nrows();
        let order: Vec<usize> = (0..n).map(|i| (i + shift) % n).collect();
        let x2 = DMatrix::from_fn(n, x.ncols(), |r, j| x[(order[r], j)]);
        let y2: Vec<u8> = order.iter().map(|&i| y[i]).collect();
        let params = RandomForest::params().n_trees(5).bootstrap(false).seed(seed);
        let a = params.fit(&x, &y).unwrap();
        let b = params.fit(&x2, &y2).unwrap();
        prop_assert_eq!(a.predict(&x).unwrap(), b.predict(&x).unwrap());
        prop_assert_eq!(a.trees(), b.trees());
    }
}

fn fit_on_threads(threads: usize, x: &DMatrix<u8>, y: &[u8]) -> FittedRandomForest {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| {
            RandomForest::params()
                .n_trees(12)
                .oob_score(true)
                .seed(42)
                .fit(x, y)
                .unwrap()
        })
}

fn sample_data() -> (DMatrix<u8>, Vec<u8>) {
    let x = DMatrix::from_fn(300, 6, |r, j| ((r * 7919 + j * 104_729) % 97) as u8);
    let y = (0..300)
        .map(|r| (x[(r, 0)] / 30 + x[(r, 3)] / 50) % 3)
        .collect();
    (x, y)
}

#[test]
fn the_same_seed_gives_the_same_forest_on_one_or_two_threads() {
    let (x, y) = sample_data();
    let one = fit_on_threads(1, &x, &y);
    let two = fit_on_threads(2, &x, &y);
    assert_eq!(one, two);
    let oob = one.oob_score().unwrap();
    assert!(oob > 0.5 && oob <= 1.0, "{oob}");
    let importances: f64 = one.feature_importances().iter().sum();
    assert!((importances - 1.0).abs() < 1e-9);
}

#[test]
fn a_forest_survives_serde() {
    let (x, y) = sample_data();
    let forest = fit_on_threads(2, &x, &y);
    let text = serde_json::to_string(&forest).unwrap();
    let back: FittedRandomForest = serde_json::from_str(&text).unwrap();
    assert_eq!(back, forest);
    assert_eq!(back.predict(&x).unwrap(), forest.predict(&x).unwrap());
    // A form without a version is the first; another version is refused.
    let unversioned = text.replacen("\"format_version\":1,", "", 1);
    assert_ne!(unversioned, text);
    assert_eq!(
        serde_json::from_str::<FittedRandomForest>(&unversioned).unwrap(),
        back
    );
    let future = text.replacen("\"format_version\":1", "\"format_version\":2", 1);
    let err = serde_json::from_str::<FittedRandomForest>(&future).unwrap_err();
    let refusal = "a model of format version 2; this build reads version 1";
    assert!(err.to_string().starts_with(refusal), "{err}");
    // A tampered tree is refused, not followed into a panic.
    let broken = text.replacen("\"right\":", "\"right\":4000000000,\"x\":", 1);
    assert!(serde_json::from_str::<FittedRandomForest>(&broken).is_err());
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let (x, y) = sample_data();
    let params = RandomForest::params().n_trees(3);
    let empty = DMatrix::<u8>::zeros(0, 3);
    assert!(matches!(
        params.fit(&empty, &[] as &[u8]),
        Err(ForestError::Input(InputError::NoSamples))
    ));
    assert!(matches!(
        params.fit(&x, &y[1..]),
        Err(ForestError::LabelCountMismatch {
            rows: 300,
            labels: 299
        })
    ));
    let mut nan = x.map(f32::from);
    nan[(4, 2)] = f32::NAN;
    assert!(matches!(
        params.fit(&nan, &y).unwrap_err(),
        ForestError::Input(InputError::NonFinite { row: 4, col: 2, .. })
    ));
    let mut infinite = x.map(f32::from);
    infinite[(7, 1)] = f32::NEG_INFINITY;
    assert!(matches!(
        params.fit(&infinite, &y).unwrap_err(),
        ForestError::Input(InputError::NonFinite { row: 7, col: 1, .. })
    ));
    let forest = params.fit(&x, &y).unwrap();
    assert!(matches!(
        forest.predict(&DMatrix::<u8>::zeros(2, 5)),
        Err(ForestError::Input(InputError::FeatureMismatch {
            expected: 6,
            found: 5
        }))
    ));
    assert!(matches!(
        forest.predict(&x.map(f32::from)),
        Err(ForestError::FeatureKindMismatch { .. })
    ));
    assert!(
        params
            .max_features(MaxFeatures::Count(7))
            .fit(&x, &y)
            .is_err()
    );
    // Parameters are checked before the data: no data at all still names the parameter.
    assert!(matches!(
        params.n_trees(0).fit(&empty, &[] as &[u8]),
        Err(ForestError::InvalidParameter(_))
    ));
}

#[test]
fn one_class_gives_a_constant_predictor() {
    let (x, _) = sample_data();
    let y = vec![4u32; x.nrows()];
    let forest = RandomForest::params().n_trees(3).fit(&x, &y).unwrap();
    assert_eq!(forest.classes(), &[4]);
    assert!(forest.predict(&x).unwrap().iter().all(|&c| c == 4));
    assert_eq!(forest.tree_stats().max_depth, 0);
    assert!(forest.feature_importances().iter().all(|&i| i == 0.0));
}
