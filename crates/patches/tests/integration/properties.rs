//! Properties of patch features on generated images: errors instead of panics, determinism on
//! any thread count, serde, and invariances of the encoding.

use std::convert::Infallible;

use fmnist_core::InputError;
use fmnist_patches::{FittedPatchFeatures, ImageShape, PatchError, PatchFeatures};
use nalgebra::DMatrix;
use proptest::prelude::*;

const SHAPE: ImageShape = ImageShape { rows: 10, cols: 9 };

/// Images of `SHAPE` with a bright rectangle and a gradient, different for every `seed`.
fn images(n: usize, seed: usize) -> DMatrix<f32> {
    DMatrix::from_fn(n, SHAPE.pixels(), |i, p| {
        let (r, c) = (p / SHAPE.cols, p % SHAPE.cols);
        let (top, left) = ((i * 7 + seed) % 5, (i * 3 + seed * 5) % 4);
        let inside = (top..top + 4).contains(&r) && (left..left + 5).contains(&c);
        0.05 * ((r + c + i) % 4) as f32 + if inside { 0.7 } else { 0.0 }
    })
}

fn first_rows(patches: &DMatrix<f32>, k: usize) -> Result<DMatrix<f32>, Infallible> {
    Ok(patches.rows(0, k).into_owned())
}

fn params() -> PatchFeatures {
    PatchFeatures::params(SHAPE)
        .patch_size(3)
        .n_centroids(6)
        .pool_grid(2)
        .n_samples(500)
}

fn fitted() -> FittedPatchFeatures {
    params().fit(&images(30, 0), first_rows).unwrap()
}

#[test]
fn the_same_seed_gives_the_same_model_and_another_seed_another_sample() {
    let x = images(30, 0);
    assert_eq!(fitted(), params().fit(&x, first_rows).unwrap());
    assert_ne!(fitted(), params().seed(1).fit(&x, first_rows).unwrap());
}

#[test]
fn transform_is_the_same_on_any_thread_count_and_in_any_batch() {
    let model = fitted();
    let x = images(37, 3);
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| model.transform(&x).unwrap())
    };
    let one = run(1);
    assert_eq!(one, run(3));
    for i in [0, 8, 36] {
        let alone = model.transform(&x.rows(i, 1).into_owned()).unwrap();
        assert_eq!(alone.row(0), one.row(i), "image {i} alone");
    }
}

#[test]
fn a_saved_model_transforms_like_the_fitted_one() {
    let model = fitted();
    let text = serde_json::to_string(&model).unwrap();
    let loaded: FittedPatchFeatures = serde_json::from_str(&text).unwrap();
    assert_eq!(loaded, model);
    let x = images(12, 4);
    assert_eq!(loaded.transform(&x).unwrap(), model.transform(&x).unwrap());
    // A form without a version is the first; another version is refused.
    let unversioned = text.replacen("\"format_version\":1,", "", 1);
    assert_ne!(unversioned, text);
    let old: FittedPatchFeatures = serde_json::from_str(&unversioned).unwrap();
    assert_eq!(old, loaded);
    let future = text.replacen("\"format_version\":1", "\"format_version\":2", 1);
    let err = serde_json::from_str::<FittedPatchFeatures>(&future).unwrap_err();
    let refusal = "a model of format version 2; this build reads version 1";
    assert!(err.to_string().starts_with(refusal), "{err}");
}

#[test]
fn a_saved_model_whose_counts_disagree_with_its_arrays_is_refused() {
    let text = serde_json::to_string(&fitted()).unwrap();
    let refused = |from: &str, to: &str| {
        let edited = text.replacen(from, to, 1);
        assert_ne!(edited, text, "{from}");
        serde_json::from_str::<FittedPatchFeatures>(&edited)
            .unwrap_err()
            .to_string()
    };
    // 3x3 patches and 6 centroids, stored as 4x4 patches, 7 centroids, or without a pixel.
    let err = refused("\"patch_size\":3", "\"patch_size\":4");
    assert!(
        err.starts_with("the patch features' arrays do not hold a whitening of 4x4 patches and 6 centroids (mean 9, whitening 81, centroids 54 values)"),
        "{err}"
    );
    let err = refused("\"n_centroids\":6", "\"n_centroids\":7");
    assert!(err.contains("and 7 centroids"), "{err}");
    let err = refused("\"rows\":10", "\"rows\":0");
    assert!(err.contains("images need pixels"), "{err}");
}

#[test]
fn the_estimator_traits_delegate_to_the_methods() {
    use fmnist_core::{Fit, Transform};
    let x = images(30, 0);
    let model = Fit::fit(&params().with_learner(first_rows), &x).unwrap();
    assert_eq!(model, fitted());
    assert_eq!(
        Transform::transform(&model, &x).unwrap(),
        model.transform(&x).unwrap()
    );
}

#[test]
fn bad_input_and_parameters_are_errors() {
    let x = images(30, 0);
    let fit = |p: PatchFeatures, x: &DMatrix<f32>| p.fit(x, first_rows).unwrap_err();
    let invalid = |e: PatchError| match e {
        PatchError::InvalidParameter { name, .. } => name,
        other => panic!("expected InvalidParameter, got {other}"),
    };
    assert_eq!(invalid(fit(params().patch_size(11), &x)), "patch_size");
    assert_eq!(invalid(fit(params().patch_size(0), &x)), "patch_size");
    assert_eq!(invalid(fit(params().stride(0), &x)), "stride");
    assert_eq!(invalid(fit(params().pool_grid(8), &x)), "pool_grid");
    assert_eq!(invalid(fit(params().n_centroids(0), &x)), "n_centroids");
    assert_eq!(invalid(fit(params().n_samples(5), &x)), "n_samples");
    assert_eq!(
        invalid(fit(params().contrast_epsilon(0.0), &x)),
        "contrast_epsilon"
    );
    assert_eq!(
        invalid(fit(params().whitening_epsilon(f32::NAN), &x)),
        "whitening_epsilon"
    );
    // One image of 10 x 9 holds 8 x 7 = 56 patches of 3x3: not enough for 60 centroids.
    let e = fit(params().n_centroids(60), &x.rows(0, 1).into_owned());
    assert!(e.to_string().contains("only 56 patches"), "{e}");

    assert!(matches!(
        fit(params(), &DMatrix::zeros(0, 90)),
        PatchError::Input(InputError::NoSamples)
    ));
    assert!(matches!(
        fit(params(), &DMatrix::zeros(3, 91)),
        PatchError::Input(InputError::FeatureMismatch {
            expected: 90,
            found: 91
        })
    ));
    let mut nan = x.clone();
    nan[(4, 17)] = f32::NAN;
    assert!(matches!(
        fit(params(), &nan),
        PatchError::Input(InputError::NonFinite {
            row: 4,
            col: 17,
            ..
        })
    ));

    let model = fitted();
    assert!(matches!(
        model.transform(&DMatrix::zeros(2, 784)),
        Err(PatchError::Input(InputError::FeatureMismatch { .. }))
    ));
    assert!(matches!(
        model.transform(&nan),
        Err(PatchError::Input(InputError::NonFinite {
            row: 4,
            col: 17,
            ..
        }))
    ));
    assert!(matches!(
        model.transform(&DMatrix::zeros(0, 90)),
        Err(PatchError::Input(InputError::NoSamples))
    ));
}

#[test]
fn the_dictionary_learners_failures_are_errors() {
    let x = images(30, 0);
    let e = params()
        .fit(&x, |_, _| Err(std::io::Error::other("out of centroids")))
        .unwrap_err();
    assert!(matches!(e, PatchError::Dictionary(_)));
    assert!(e.to_string().contains("out of centroids"), "{e}");
    let wrong = params().fit(&x, |p, k| first_rows(p, k - 1)).unwrap_err();
    assert!(wrong.to_string().contains("a 5 x 9 matrix"), "{wrong}");
    let nan = params()
        .fit(&x, |p, k| {
            Ok::<_, Infallible>(p.rows(0, k).map(|_| f32::NAN))
        })
        .unwrap_err();
    assert!(matches!(nan, PatchError::BadDictionary { .. }), "{nan}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Features are non-negative, and adding a constant to every pixel changes no patch after
    /// contrast normalisation, so it changes no feature.
    #[test]
    fn features_are_nonnegative_and_blind_to_brightness(seed in 0usize..50, shift in -0.5f32..0.5) {
        let model = fitted();
        let x = images(5, seed);
        let f = model.transform(&x).unwrap();
        prop_assert!(f.iter().all(|&v| v >= 0.0));
        let brighter = model.transform(&x.add_scalar(shift)).unwrap();
        for (a, b) in f.iter().zip(brighter.iter()) {
            prop_assert!((a - b).abs() <= 2e-3 * (1.0 + a.abs()), "{} vs {}", a, b);
        }
    }

    /// The features of images stacked in one matrix are each image's features alone, in order.
    #[test]
    fn images_are_encoded_independently(seed in 0usize..50, n in 1usize..20) {
        let model = fitted();
        let x = images(n, seed);
        let all = model.transform(&x).unwrap();
        let reversed = DMatrix::from_fn(n, x.ncols(), |i, p| x[(n - 1 - i, p)]);
        let back = model.transform(&reversed).unwrap();
        for i in 0..n {
            prop_assert_eq!(all.row(i), back.row(n - 1 - i));
        }
    }
}
