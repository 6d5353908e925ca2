//! A saved pipeline is the fitted one: it loads back to the same labels, and its labels follow
//! the images, whatever their order.

use std::sync::OnceLock;

use fmnist_io::StratifiedSplit;
use fmnist_pipeline::{FittedPipeline, Silent, SoftAssignment, SplitData, StudyConfig, named};
use nalgebra::DMatrix;
use proptest::prelude::*;

/// `kmeans-raw` and `patches-umap-gmm` fitted (quick settings) to the fixtures, and the test
/// images.
fn fitted() -> &'static (Vec<FittedPipeline>, DMatrix<f32>) {
    static FITTED: OnceLock<(Vec<FittedPipeline>, DMatrix<f32>)> = OnceLock::new();
    FITTED.get_or_init(|| {
        let data = fmnist_io::fixtures::small().unwrap();
        let parts = SplitData::new(&data, &StratifiedSplit::new()).unwrap();
        let mut config = StudyConfig::quick();
        config.clusters = 10;
        let models = ["kmeans-raw", "patches-umap-gmm"]
            .iter()
            .map(|name| {
                let pipeline = named(name).unwrap();
                FittedPipeline::fit(pipeline, &parts, &config, &Silent)
                    .unwrap()
                    .0
            })
            .collect();
        (models, parts.pixels.test.clone())
    })
}

#[test]
fn a_loaded_pipeline_predicts_what_the_fitted_one_did() {
    let (models, test) = fitted();
    let dir = tempfile::tempdir().unwrap();
    for model in models {
        let path = dir.path().join("model");
        model.save(&path).unwrap();
        let loaded = FittedPipeline::load(&path).unwrap();
        assert_eq!(loaded.manifest(), model.manifest());
        assert_eq!(loaded.cluster_names(), model.cluster_names());
        assert_eq!(loaded.predict(test).unwrap(), model.predict(test).unwrap());
        assert_eq!(
            loaded.transform(test).unwrap(),
            model.transform(test).unwrap()
        );
        assert_eq!(
            loaded.predict_proba(test).unwrap(),
            model.predict_proba(test).unwrap()
        );
    }
    assert!(matches!(
        models[1].predict_proba(test).unwrap(),
        SoftAssignment::Probabilities(p) if p.row_iter().all(|r| (r.sum() - 1.0).abs() < 1e-9)
    ));
}

#[test]
fn images_of_another_width_are_an_error_naming_both_sizes() {
    let (models, _) = fitted();
    let err = models[0].predict(&DMatrix::zeros(3, 100)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "images of 100 pixels, but the model takes 28 x 28 = 784 pixels"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn labels_follow_a_permutation_of_the_images(
        order in Just((0..200).collect::<Vec<usize>>()).prop_shuffle(),
        which in 0usize..2,
    ) {
        let (models, test) = fitted();
        let model = &models[which];
        let labels = model.predict(test).unwrap();
        let permuted = test.select_rows(&order);
        let expected: Vec<usize> = order.iter().map(|&i| labels[i]).collect();
        prop_assert_eq!(model.predict(&permuted).unwrap(), expected);
    }
}
