//! The estimator contract of the workspace: parameters checked without data, fmnist-core's
//! traits delegating to the inherent methods, and fitted models that carry a format version.

use fmnist_cluster::{
    ClusterError, FittedGaussianMixture, FittedKMeans, FormatVersion, GaussianMixture, GmmInit,
    Init, KMeans,
};
use fmnist_core::{Fit, Predict, PredictProba, Transform};
use nalgebra::DMatrix;

/// Two blobs of 20 points in 3 dimensions.
fn blobs() -> DMatrix<f32> {
    DMatrix::from_fn(40, 3, |i, j| {
        (i / 20) as f32 * 8.0 + ((i * 7 + j * 5) % 11) as f32 * 0.1
    })
}

/// Fits any estimator of the workspace and labels the training data.
fn fit_predict<P>(params: &P, x: &DMatrix<f32>) -> Result<Vec<usize>, ClusterError>
where
    P: Fit<DMatrix<f32>, Error = ClusterError>,
    P::Fitted: Predict<DMatrix<f32>, Output = Vec<usize>, Error = ClusterError>,
{
    params.fit(x)?.predict(x)
}

#[test]
fn parameters_are_checked_without_data() {
    assert!(KMeans::params(3).check().is_ok());
    assert!(GaussianMixture::params(3).check().is_ok());
    for bad in [
        KMeans::params(0),
        KMeans::params(2).n_init(0),
        KMeans::params(2).tol(-1.0),
        KMeans::params(2).init(Init::Centroids(DMatrix::zeros(3, 4))),
        KMeans::params(1).init(Init::Centroids(DMatrix::from_element(1, 2, f32::NAN))),
    ] {
        assert!(
            matches!(bad.check(), Err(ClusterError::InvalidParameter(_))),
            "{bad:?}"
        );
    }
    for bad in [
        GaussianMixture::params(0),
        GaussianMixture::params(2).reg_covar(f64::INFINITY),
        GaussianMixture::params(2).init(GmmInit::Responsibilities(DMatrix::zeros(5, 3))),
        GaussianMixture::params(2).init(GmmInit::Means(DMatrix::zeros(1, 3))),
    ] {
        assert!(
            matches!(bad.check(), Err(ClusterError::InvalidParameter(_))),
            "{bad:?}"
        );
    }
    // A bad parameter is reported before bad data.
    assert!(matches!(
        KMeans::params(0).fit(&DMatrix::zeros(0, 0)),
        Err(ClusterError::InvalidParameter(_))
    ));
}

#[test]
fn the_traits_give_what_the_methods_give() {
    let x = blobs();
    let km = KMeans::params(2).seed(1);
    let gmm = GaussianMixture::params(2).seed(1);
    assert_eq!(fit_predict(&km, &x).unwrap(), km.fit(&x).unwrap().labels());
    let fitted = Fit::fit(&gmm, &x).unwrap();
    assert_eq!(fit_predict(&gmm, &x).unwrap(), fitted.predict(&x).unwrap());
    assert_eq!(
        PredictProba::predict_proba(&fitted, &x).unwrap(),
        fitted.predict_proba(&x).unwrap()
    );
    let fitted = km.fit(&x).unwrap();
    assert_eq!(
        Transform::transform(&fitted, &x).unwrap(),
        fitted.transform(&x).unwrap()
    );
}

/// The JSON of `value` with its `format_version` set to `version`, or removed for `None`.
fn with_version<T: serde::Serialize>(value: &T, version: Option<serde_json::Value>) -> String {
    let mut json = serde_json::to_value(value).unwrap();
    let object = json.as_object_mut().unwrap();
    assert_eq!(object["format_version"], 1);
    match version {
        Some(v) => object.insert("format_version".into(), v),
        None => object.remove("format_version"),
    };
    json.to_string()
}

#[test]
fn models_of_another_format_version_are_refused() {
    let x = blobs();
    let km = KMeans::params(2).fit(&x).unwrap();
    let gmm = GaussianMixture::params(2).fit(&x).unwrap();
    assert_eq!(km.format_version(), FormatVersion::default());
    assert_eq!(gmm.format_version().number(), 1);
    let err = serde_json::from_str::<FittedKMeans>(&with_version(&km, Some(2.into()))).unwrap_err();
    let refusal = "a model of format version 2; this build reads version 1";
    assert!(err.to_string().starts_with(refusal), "{err}");
    let err = serde_json::from_str::<FittedGaussianMixture>(&with_version(&gmm, Some(0.into())))
        .unwrap_err();
    assert!(err.to_string().contains("format version 0"), "{err}");
    // Saved by earlier builds, with the version as a string.
    let old: FittedKMeans = serde_json::from_str(&with_version(&km, Some("1".into()))).unwrap();
    // serde_json reads f64 to within one unit in the last place; f32 and integers exactly.
    assert_eq!(
        (old.centroids(), old.labels(), old.n_iter()),
        (km.centroids(), km.labels(), km.n_iter())
    );
    assert!((old.inertia() - km.inertia()).abs() <= 1e-12 * km.inertia());
    // Saved before the field existed: version 1's layout.
    let old: FittedKMeans = serde_json::from_str(&with_version(&km, None)).unwrap();
    assert_eq!(old.labels(), km.labels());
    let old: FittedGaussianMixture = serde_json::from_str(&with_version(&gmm, None)).unwrap();
    assert_eq!(old.predict(&x).unwrap(), gmm.predict(&x).unwrap());
}

#[test]
fn models_whose_counts_disagree_with_their_arrays_are_refused() {
    let x = blobs();
    let km = serde_json::to_value(KMeans::params(2).fit(&x).unwrap()).unwrap();
    let gmm = serde_json::to_value(GaussianMixture::params(2).fit(&x).unwrap()).unwrap();
    let edited = |model: &serde_json::Value, path: &[&str], v: usize| {
        let mut model = model.clone();
        let field = path.iter().fold(&mut model, |m, key| &mut m[*key]);
        *field = v.into();
        model.to_string()
    };
    for n_features in [0, 2, 4] {
        let err = serde_json::from_str::<FittedKMeans>(&edited(&km, &["n_features"], n_features))
            .unwrap_err();
        assert!(err.to_string().contains("are not of"), "{err}");
    }
    for d in [0, 1, 2] {
        let err =
            serde_json::from_str::<FittedGaussianMixture>(&edited(&gmm, &["components", "d"], d))
                .unwrap_err();
        assert!(err.to_string().contains("are not those of"), "{err}");
    }
    let mut short = gmm.clone();
    short["offset"].as_array_mut().unwrap().pop();
    let err = serde_json::from_str::<FittedGaussianMixture>(&short.to_string()).unwrap_err();
    assert!(err.to_string().contains("offset has"), "{err}");
}

#[test]
fn the_defaults_are_scikit_learns() {
    assert_eq!(KMeans::default(), KMeans::params(8));
    assert_eq!(KMeans::default().k(), 8);
    assert_eq!(GaussianMixture::default(), GaussianMixture::params(1));
    assert!(KMeans::default().check().is_ok() && GaussianMixture::default().check().is_ok());
}
