//! The estimator contract of the workspace: parameters checked without data, fmnist-core's
//! traits delegating to the inherent methods, and a fitted model that carries a format version.

use fmnist_core::{Fit, Transform};
use fmnist_manifold::{FittedUmap, FormatVersion, ManifoldError, NeighborSearch, Umap};
use nalgebra::DMatrix;

/// Two groups of 20 points in 3 dimensions.
fn groups() -> DMatrix<f32> {
    DMatrix::from_fn(40, 3, |i, j| {
        (i / 20) as f32 * 30.0 + ((i * 7 + j * 3) % 11) as f32 * 0.1
    })
}

#[test]
fn parameters_are_checked_without_data() {
    assert!(Umap::default().check().is_ok());
    for bad in [
        Umap::params().n_neighbors(1),
        Umap::params().n_components(0),
        Umap::params().min_dist(2.0),
        Umap::params().learning_rate(f32::NAN),
        Umap::params().neighbor_search(NeighborSearch::Projected {
            dims: 0,
            oversample: 1,
        }),
    ] {
        assert!(
            matches!(bad.check(), Err(ManifoldError::InvalidParameter(_))),
            "{bad:?}"
        );
    }
    // A bad parameter is reported before bad data.
    assert!(matches!(
        Umap::params().n_neighbors(1).fit(&DMatrix::zeros(0, 0)),
        Err(ManifoldError::InvalidParameter(_))
    ));
}

#[test]
fn the_traits_give_what_the_methods_give() {
    let x = groups();
    let params = Umap::params().n_neighbors(5).n_epochs(20).seed(1);
    let model = Fit::fit(&params, &x).unwrap();
    assert_eq!(&model, &params.fit(&x).unwrap());
    let new = x.rows(0, 4).into_owned();
    assert_eq!(
        Transform::transform(&model, &new).unwrap(),
        model.transform(&new).unwrap()
    );
}

#[test]
fn models_of_another_format_version_are_refused() {
    let model = Umap::params()
        .n_neighbors(5)
        .n_epochs(10)
        .fit(&groups())
        .unwrap();
    assert_eq!(model.format_version(), FormatVersion::default());
    let mut json = serde_json::to_value(&model).unwrap();
    assert_eq!(json["format_version"], 1);
    json["format_version"] = 2.into();
    let err = serde_json::from_value::<FittedUmap>(json.clone()).unwrap_err();
    let refusal = "a model of format version 2; this build reads version 1";
    assert!(err.to_string().starts_with(refusal), "{err}");
    // Saved by earlier builds, with the version as a string.
    json["format_version"] = "1".into();
    assert_eq!(
        serde_json::from_value::<FittedUmap>(json.clone()).unwrap(),
        model
    );
    // Saved before the field existed: version 1's layout.
    json.as_object_mut().unwrap().remove("format_version");
    assert_eq!(serde_json::from_value::<FittedUmap>(json).unwrap(), model);
}

#[test]
fn models_whose_counts_disagree_with_their_arrays_are_refused() {
    let model = Umap::params()
        .n_neighbors(5)
        .n_epochs(10)
        .fit(&groups())
        .unwrap();
    let json = serde_json::to_value(&model).unwrap();
    let refused = |path: &[&str], value: serde_json::Value| {
        let mut edited = json.clone();
        let field = path.iter().fold(&mut edited, |v, key| &mut v[*key]);
        assert_ne!(*field, value, "{path:?}");
        *field = value;
        serde_json::from_value::<FittedUmap>(edited)
            .unwrap_err()
            .to_string()
    };
    // 40 points of 3 features, embedded in 2 dimensions, 5 neighbours.
    let err = refused(&["n_features"], 4.into());
    assert!(
        err.starts_with("the UMAP's parts do not agree: 4 features, a shift of 3, 40 points of 3 features, an embedding of 40 x 2"),
        "{err}"
    );
    let err = refused(&["points", "n"], 39.into());
    assert!(
        err.starts_with("the points do not hold 39 points of 3 features and their norms (120 coordinates, 40 norms)"),
        "{err}"
    );
    let err = refused(&["points", "d"], 0.into());
    assert!(
        err.starts_with("the points do not hold 40 points of 0"),
        "{err}"
    );
    let err = refused(&["embedding", "rows"], 20.into());
    assert!(
        err.starts_with("a 20 x 2 matrix does not hold 80 values"),
        "{err}"
    );
    let mut wide = json.clone();
    wide["embedding"]["rows"] = 20.into();
    wide["embedding"]["cols"] = 4.into();
    let err = serde_json::from_value::<FittedUmap>(wide).unwrap_err();
    assert!(err.to_string().contains("an embedding of 20 x 4"), "{err}");
    let err = refused(&["params", "n_neighbors"], 40.into());
    assert!(err.contains("n_neighbors, 40, is not between 2"), "{err}");
    assert_eq!(serde_json::from_value::<FittedUmap>(json).unwrap(), model);
}

#[test]
fn points_too_far_for_f32_distances_are_an_error() {
    let model = Umap::params()
        .n_neighbors(5)
        .n_epochs(10)
        .fit(&groups())
        .unwrap();
    // Finite, but its squared distance from the centre, 3e38, overflows the expansion.
    let mut far = groups().rows(0, 3).into_owned();
    far[(1, 2)] = 1e19;
    let err = model.transform(&far).unwrap_err();
    assert!(matches!(err, ManifoldError::TooFar { row: 1, .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("row 1 lies too far from the centre of the data"),
        "{err}"
    );
    let mut x = groups();
    x[(7, 0)] = -1e19;
    assert!(matches!(
        Umap::params().n_neighbors(5).fit(&x),
        Err(ManifoldError::TooFar { row: 7, .. })
    ));
    // A saved model whose points lie that far is refused.
    let mut json = serde_json::to_value(&model).unwrap();
    json["points"]["data"][4] = 1e19.into();
    let err = serde_json::from_value::<FittedUmap>(json).unwrap_err();
    assert!(err.to_string().starts_with("point 1 lies too far"), "{err}");
}
