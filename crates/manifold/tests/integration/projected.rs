//! The projected (approximate) neighbour search: recall on real images, determinism, the
//! exact limit, bad parameters, and models saved before the option existed; which search
//! `Auto` picks.

use fmnist_io::fixtures;
use fmnist_manifold::{
    FittedUmap, ManifoldError, Metric, NeighborSearch, Umap, nearest_neighbors,
    nearest_neighbors_by,
};
use nalgebra::DMatrix;

/// The fixture subset's training images: 784 pixels in [0, 1].
fn images() -> DMatrix<f32> {
    let data = fixtures::small().expect("fixture data set");
    let all: Vec<usize> = (0..data.train.len()).collect();
    data.train.features(&all).expect("features")
}

#[test]
fn projected_search_of_images_finds_nearly_every_neighbour() {
    let x = images();
    assert_eq!(
        NeighborSearch::Auto.resolve(x.ncols()),
        NeighborSearch::Descent
    );
    assert_eq!(NeighborSearch::Auto.resolve(129), NeighborSearch::Descent);
    assert_eq!(NeighborSearch::Auto.resolve(128), NeighborSearch::Exact);
    let exact = nearest_neighbors(&x, 15, Metric::Euclidean).unwrap();
    let how = NeighborSearch::Projected {
        dims: 64,
        oversample: 4,
    };
    let projected = nearest_neighbors_by(&x, 15, Metric::Euclidean, how, 0).unwrap();
    let r = projected.recall(&exact).unwrap();
    assert!(r >= 0.95, "recall {r}");
    // Every listed distance is the true one, and each row is sorted.
    for (i, (idx, dist)) in projected
        .indices()
        .chunks_exact(15)
        .zip(projected.distances().chunks_exact(15))
        .enumerate()
    {
        assert_eq!(idx[0] as usize, i);
        assert!(dist.windows(2).all(|w| w[0] <= w[1]));
        for (&j, &d) in idx.iter().zip(dist) {
            let direct = (x.row(i) - x.row(j as usize)).norm();
            assert!((d - direct).abs() <= 1e-4 * direct.max(1.0));
        }
    }
    // A coarse projection loses neighbours that a finer one keeps.
    let coarse = NeighborSearch::Projected {
        dims: 4,
        oversample: 1,
    };
    let coarse = nearest_neighbors_by(&x, 15, Metric::Euclidean, coarse, 0).unwrap();
    assert!(coarse.recall(&exact).unwrap() < r);
    // Lists of another shape are not compared.
    let fewer = nearest_neighbors(&x, 10, Metric::Euclidean).unwrap();
    assert!(matches!(
        fewer.recall(&exact),
        Err(ManifoldError::InvalidParameter(_))
    ));
    assert_eq!(exact.recall(&exact).unwrap(), 1.0);
}

#[test]
fn projected_search_is_the_same_on_any_thread_count() {
    let x = images().rows(0, 300).into_owned();
    let how = NeighborSearch::Projected {
        dims: 16,
        oversample: 3,
    };
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| nearest_neighbors_by(&x, 10, Metric::Cosine, how, 0).unwrap())
    };
    assert_eq!(run(1), run(3));
}

#[test]
fn as_many_directions_as_features_is_the_exact_search() {
    let x = DMatrix::from_fn(60, 5, |i, j| ((i * 7 + j * 13) % 23) as f32);
    let how = NeighborSearch::Projected {
        dims: 5,
        oversample: 2,
    };
    assert_eq!(how.resolve(5), NeighborSearch::Exact);
    assert_eq!(
        nearest_neighbors_by(&x, 6, Metric::Euclidean, how, 0).unwrap(),
        nearest_neighbors(&x, 6, Metric::Euclidean).unwrap()
    );
}

#[test]
fn fewer_points_than_directions_are_searched_in_as_many_directions_as_points() {
    // 30 points span at most 30 directions: a 64-direction projection keeps all of their
    // distances, so with every point a candidate the lists are the exact ones.
    let x = DMatrix::from_fn(30, 300, |i, j| {
        ((i * 7919 + j * 104_729) % 1009) as f32 / 100.0
    });
    let how = NeighborSearch::Projected {
        dims: 64,
        oversample: 8,
    };
    let projected = nearest_neighbors_by(&x, 4, Metric::Euclidean, how, 0).unwrap();
    let exact = nearest_neighbors(&x, 4, Metric::Euclidean).unwrap();
    assert_eq!(projected, exact);
    let model = Umap::params()
        .n_neighbors(4)
        .n_epochs(5)
        .neighbor_search(how)
        .fit(&x)
        .unwrap();
    assert_eq!(
        model.transform(&x.rows(0, 3).into_owned()).unwrap().nrows(),
        3
    );
}

#[test]
fn a_projection_without_directions_or_candidates_is_an_error() {
    let x = DMatrix::from_fn(40, 300, |i, j| ((i * 7 + j * 13) % 23) as f32);
    for (dims, oversample) in [(0, 4), (64, 0)] {
        let how = NeighborSearch::Projected { dims, oversample };
        assert!(matches!(
            nearest_neighbors_by(&x, 5, Metric::Euclidean, how, 0),
            Err(ManifoldError::InvalidParameter(_))
        ));
        assert!(matches!(
            Umap::params().neighbor_search(how).fit(&x),
            Err(ManifoldError::InvalidParameter(_))
        ));
    }
}

#[test]
fn transform_of_images_works_and_models_saved_before_the_option_search_exactly() {
    let x = images();
    let (train, new) = (x.rows(0, 400).into_owned(), x.rows(400, 50).into_owned());
    let model = Umap::params().n_epochs(30).seed(3).fit(&train).unwrap();
    let embedded = model.transform(&new).unwrap();
    assert_eq!(embedded.shape(), (50, 2));
    assert!(embedded.iter().all(|v| v.is_finite()));
    // The same model told to search exactly, and the same model without the field (as saved
    // before it existed), transform alike.
    let json = serde_json::to_value(&model).unwrap();
    assert_eq!(json["params"]["neighbor_search"], "Auto");
    let mut exact = json.clone();
    exact["params"]["neighbor_search"] = serde_json::json!("Exact");
    let mut old = json;
    old["params"]
        .as_object_mut()
        .unwrap()
        .remove("neighbor_search");
    let load = |v| serde_json::from_value::<FittedUmap>(v).unwrap();
    assert_eq!(
        load(old).transform(&new).unwrap(),
        load(exact).transform(&new).unwrap()
    );
}
