//! Invariants of PCA on random data (proptest), determinism across thread counts, and errors.

use fmnist_core::InputError;
use fmnist_decomp::{DecompError, Method, Pca};
use nalgebra::DMatrix;
use proptest::prelude::*;

fn data() -> impl Strategy<Value = DMatrix<f32>> {
    (2usize..40, 1usize..10).prop_flat_map(|(n, d)| {
        proptest::collection::vec(-5.0f32..5.0, n * d)
            .prop_map(move |v| DMatrix::from_row_slice(n, d, &v))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn axes_are_orthonormal_and_ratios_ordered(x in data(), k in 1usize..10) {
        let k = k.min(x.nrows()).min(x.ncols());
        let pca = Pca::params(k).fit(&x).unwrap();
        let c = pca.components().map(f64::from);
        let gram = &c * c.transpose();
        for i in 0..k {
            for j in 0..k {
                let expected = if i == j { 1.0 } else { 0.0 };
                prop_assert!((gram[(i, j)] - expected).abs() < 1e-4, "gram {gram}");
            }
        }
        let all = pca.all_explained_variance_ratio();
        prop_assert!(all.windows(2).all(|w| w[0] >= w[1] - 1e-12));
        let total: f64 = all.iter().sum();
        prop_assert!(total <= 1.0 + 1e-6);
        prop_assert!(total > 1.0 - 1e-4 || pca.explained_variance().iter().all(|&v| v < 1e-9));
        // Keeping every direction reconstructs the data.
        let full = Pca::params(x.nrows().min(x.ncols())).fit(&x).unwrap();
        let back = full.inverse_transform(&full.transform(&x).unwrap()).unwrap();
        prop_assert!((back - &x).amax() < 1e-3);
    }
}

#[test]
fn same_result_on_one_or_two_threads() {
    let x = DMatrix::from_fn(9000, 40, |i, j| {
        ((i * 13 + j * 7) % 31) as f32 / 31.0 + (i % (j + 2)) as f32
    });
    for method in [Method::Covariance, Method::Randomized] {
        let fit = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| Pca::params(5).method(method).fit(&x).unwrap())
        };
        assert_eq!(fit(1), fit(2), "{method:?}");
    }
}

#[test]
fn the_model_round_trips_through_json() {
    let x = DMatrix::from_fn(30, 4, |i, j| (i * j) as f32 % 5.0);
    let pca = Pca::params(2).whiten(true).fit(&x).unwrap();
    let back: fmnist_decomp::FittedPca =
        serde_json::from_str(&serde_json::to_string(&pca).unwrap()).unwrap();
    assert_eq!(back.components(), pca.components());
    assert_eq!(back.transform(&x).unwrap(), pca.transform(&x).unwrap());
    // A form without a version is the first; another version is refused.
    let text = serde_json::to_string(&pca).unwrap();
    let unversioned = text.replacen("\"format_version\":1,", "", 1);
    assert_ne!(unversioned, text);
    assert_eq!(
        serde_json::from_str::<fmnist_decomp::FittedPca>(&unversioned).unwrap(),
        back
    );
    let future = text.replacen("\"format_version\":1", "\"format_version\":2", 1);
    let err = serde_json::from_str::<fmnist_decomp::FittedPca>(&future).unwrap_err();
    let refusal = "a model of format version 2; this build reads version 1";
    assert!(err.to_string().starts_with(refusal), "{err}");
    // Arrays that disagree with the counts are refused, not used.
    let wider = text.replacen("\"n_features\":4", "\"n_features\":3", 1);
    assert_ne!(wider, text);
    let err = serde_json::from_str::<fmnist_decomp::FittedPca>(&wider).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the PCA's arrays do not hold 2 components of 3 features"),
        "{err}"
    );
}

#[test]
fn the_estimator_traits_delegate_to_the_methods() {
    use fmnist_core::{Fit, InverseTransform, Transform};
    let x = DMatrix::from_fn(30, 4, |i, j| (i * j) as f32 % 5.0);
    let params = Pca::params(2);
    let pca = Fit::fit(&params, &x).unwrap();
    assert_eq!(pca, params.fit(&x).unwrap());
    let z = Transform::transform(&pca, &x).unwrap();
    assert_eq!(z, pca.transform(&x).unwrap());
    assert_eq!(
        InverseTransform::inverse_transform(&pca, &z).unwrap(),
        pca.inverse_transform(&z).unwrap()
    );
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let x = DMatrix::from_row_slice(3, 2, &[0.0, 1.0, 2.0, 3.0, 4.0, 6.0]);
    assert!(matches!(
        Pca::params(0).fit(&x),
        Err(DecompError::InvalidParameter {
            name: "n_components",
            ..
        })
    ));
    assert!(matches!(
        Pca::params(3).fit(&x),
        Err(DecompError::InvalidComponentCount { .. })
    ));
    assert!(matches!(
        Pca::params(1).fit(&DMatrix::zeros(0, 2)),
        Err(DecompError::Input(InputError::NoSamples))
    ));
    let mut nan = x.clone();
    nan[(1, 1)] = f32::NAN;
    assert!(matches!(
        Pca::params(1).fit(&nan),
        Err(DecompError::Input(InputError::NonFinite {
            row: 1,
            col: 1,
            ..
        }))
    ));
    let pca = Pca::params(1).fit(&x).unwrap();
    assert_eq!(
        pca.transform(&DMatrix::zeros(2, 3)).unwrap_err(),
        DecompError::Input(InputError::FeatureMismatch {
            expected: 2,
            found: 3
        })
    );
    assert!(pca.inverse_transform(&DMatrix::zeros(2, 2)).is_err());
    assert!(pca.transform(&nan).is_err());
}
