//! The NN-descent neighbour search: recall against the exact search on real images and on
//! generated clustered data, the same lists for a seed on any thread count, true distances,
//! tiny and degenerate sets, new points searched through its graph, and a UMAP fit and
//! transform through it.

use fmnist_io::fixtures;
use fmnist_manifold::{
    ManifoldError, Metric, NeighborSearch, Neighbors, Umap, nearest_neighbors_by, neighbors_among,
};
use nalgebra::DMatrix;

/// The fixture subset's training images: 784 pixels in [0, 1].
fn images() -> DMatrix<f32> {
    let data = fixtures::small().expect("fixture data set");
    let all: Vec<usize> = (0..data.train.len()).collect();
    data.train.features(&all).expect("features")
}

/// `groups` clusters of `per_group` points in `d` dimensions: centres uniform in [0, 10]^d,
/// each cluster with its own spread (0.5 to 2), noise an Irwin–Hall sum of 4 uniforms, from a
/// fixed-seed LCG.
fn clusters(groups: usize, per_group: usize, d: usize) -> DMatrix<f32> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    let centres: Vec<f32> = (0..groups * d).map(|_| 10.0 * uniform()).collect();
    let spreads: Vec<f32> = (0..groups).map(|_| 0.5 + 1.5 * uniform()).collect();
    DMatrix::from_fn(groups * per_group, d, |i, j| {
        let g = i / per_group;
        let noise: f32 = (0..4).map(|_| uniform()).sum::<f32>() - 2.0;
        centres[g * d + j] + spreads[g] * noise
    })
}

fn search(x: &DMatrix<f32>, k: usize, how: NeighborSearch, seed: u64) -> Neighbors {
    nearest_neighbors_by(x, k, Metric::Euclidean, how, seed).unwrap()
}

fn in_pool<T: Send>(threads: usize, run: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(run)
}

/// Each row starts with the point itself at 0, lists distinct points, and gives their true
/// distances in increasing order.
fn assert_true_sorted_lists(x: &DMatrix<f32>, found: &Neighbors) {
    let k = found.k();
    for (i, (idx, dist)) in found
        .indices()
        .chunks_exact(k)
        .zip(found.distances().chunks_exact(k))
        .enumerate()
    {
        assert_eq!((idx[0] as usize, dist[0]), (i, 0.0));
        assert!(dist.windows(2).all(|w| w[0] <= w[1]), "row {i} unsorted");
        let mut distinct = idx.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), k, "row {i} repeats a point");
        for (&j, &d) in idx.iter().zip(dist) {
            let direct = (x.row(i) - x.row(j as usize)).norm();
            assert!(
                (d - direct).abs() <= 1e-4 * direct.max(1.0),
                "row {i}: {d} vs {direct}"
            );
        }
    }
}

#[test]
fn descent_finds_nearly_every_neighbour_of_real_images() {
    let x = images();
    let exact = search(&x, 15, NeighborSearch::Exact, 0);
    for seed in [0, 1] {
        let found = search(&x, 15, NeighborSearch::Descent, seed);
        let recall = found.recall(&exact).unwrap();
        assert!(recall >= 0.95, "seed {seed}: recall {recall}");
        assert_true_sorted_lists(&x, &found);
    }
}

#[test]
fn descent_finds_nearly_every_neighbour_of_clustered_data() {
    // 4,000 points in 48 dimensions: 25 clusters of 160, spreads from 0.5 to 2.
    let x = clusters(25, 160, 48);
    for k in [10, 20] {
        let exact = search(&x, k, NeighborSearch::Exact, 0);
        let found = search(&x, k, NeighborSearch::Descent, 7);
        let recall = found.recall(&exact).unwrap();
        assert!(recall >= 0.95, "k {k}: recall {recall}");
    }
}

#[test]
fn descent_is_the_same_for_a_seed_on_any_thread_count() {
    let x = clusters(10, 150, 24);
    let run = |threads, seed| in_pool(threads, || search(&x, 12, NeighborSearch::Descent, seed));
    let one = run(1, 5);
    assert_eq!(one, run(2, 5));
    assert_eq!(one, run(3, 5));
    // Another seed draws other trees and samples (the lists may agree where both are exact).
    let cosine = |threads| {
        in_pool(threads, || {
            nearest_neighbors_by(&x, 12, Metric::Cosine, NeighborSearch::Descent, 9).unwrap()
        })
    };
    assert_eq!(cosine(1), cosine(3));
}

#[test]
fn tiny_and_degenerate_sets_get_complete_lists() {
    // Every other point is a neighbour: the random fill completes what the leaves miss.
    let x = clusters(1, 6, 3);
    let found = search(&x, 6, NeighborSearch::Descent, 0);
    assert_eq!(found, search(&x, 6, NeighborSearch::Exact, 0));
    // Identical points: every split is degenerate, every distance 0.
    let same = DMatrix::from_element(40, 5, 1.5f32);
    let found = search(&same, 8, NeighborSearch::Descent, 0);
    assert!(found.distances().iter().all(|&d| d == 0.0));
    assert_true_sorted_lists(&same, &found);
    // k = 1: each point is its own only neighbour.
    let found = search(&x, 1, NeighborSearch::Descent, 0);
    assert_eq!(found.indices(), &[0, 1, 2, 3, 4, 5]);
}

#[test]
fn umap_fits_and_transforms_through_descent() {
    let x = images();
    let (train, new) = (x.rows(0, 400).into_owned(), x.rows(400, 50).into_owned());
    let params = Umap::params()
        .neighbor_search(NeighborSearch::Descent)
        .n_epochs(30)
        .seed(3);
    let fit = |threads| in_pool(threads, || params.fit(&train).unwrap());
    let model = fit(1);
    assert_eq!(model, fit(3));
    let embedded = model.transform(&new).unwrap();
    assert_eq!(embedded.shape(), (50, 2));
    assert!(embedded.iter().all(|v| v.is_finite()));
    // New points are searched through the graph of the fit's search, which the model saves:
    // a loaded model gives the same embedding, and so does one saved before the lists were
    // (it runs NN-descent again, to the same lists).
    let saved = serde_json::to_value(&model).unwrap();
    let load = |v: serde_json::Value| serde_json::from_value::<fmnist_manifold::FittedUmap>(v);
    assert_eq!(
        load(saved.clone()).unwrap().transform(&new).unwrap(),
        embedded
    );
    let mut older = saved.clone();
    older.as_object_mut().unwrap().remove("neighbour_lists");
    assert_eq!(load(older).unwrap().transform(&new).unwrap(), embedded);
    // Lists that are not lists of the model's points are an error on load.
    for (field, value) in [("k", serde_json::json!(0)), ("k", serde_json::json!(7))] {
        let mut bad = saved.clone();
        bad["neighbour_lists"][field] = value;
        let err = load(bad).unwrap_err().to_string();
        assert!(err.contains("neighbour lists"), "{err}");
    }
    let mut bad = saved;
    bad["neighbour_lists"]["indices"][3] = serde_json::json!(400);
    assert!(
        load(bad)
            .unwrap_err()
            .to_string()
            .contains("neighbour lists")
    );
}

#[test]
fn new_points_find_nearly_every_neighbour_through_the_graph() {
    let x = images();
    let cut = x.nrows() * 4 / 5;
    let (refs, new) = (
        x.rows(0, cut).into_owned(),
        x.rows(cut, x.nrows() - cut).into_owned(),
    );
    // Every sixth point of 12 clusters is new: the new points come from the clusters the
    // references sample.
    let clustered = clusters(12, 200, 32);
    let rows = |new: bool| -> Vec<usize> { (0..2400).filter(|i| (i % 6 == 5) == new).collect() };
    let (c_refs, c_new) = (
        clustered.select_rows(&rows(false)),
        clustered.select_rows(&rows(true)),
    );
    for (refs, new, k) in [(&refs, &new, 15), (&c_refs, &c_new, 10)] {
        let among = |how, threads| {
            in_pool(threads, || {
                neighbors_among(new, refs, k, Metric::Euclidean, how, 4).unwrap()
            })
        };
        let exact = among(NeighborSearch::Exact, 2);
        let found = among(NeighborSearch::Descent, 1);
        assert_eq!(
            found,
            among(NeighborSearch::Descent, 3),
            "the same on any thread count"
        );
        let recall = found.recall_of_new_points(&exact).unwrap();
        assert!(recall >= 0.95, "recall {recall}");
        for (row, dist) in found
            .indices()
            .chunks_exact(k)
            .zip(found.distances().chunks_exact(k))
        {
            assert!(dist.windows(2).all(|w| w[0] <= w[1]));
            assert!(row.iter().all(|&j| (j as usize) < refs.nrows()));
        }
    }
}

#[test]
fn new_points_get_complete_lists_from_a_split_graph() {
    // Two far clusters of 6: each point's 5 graph neighbours stay in its cluster, so a query
    // asking for 9 finds the rest one by one.
    let mut refs = clusters(1, 6, 3);
    refs = DMatrix::from_fn(12, 3, |i, j| {
        refs[(i % 6, j)] + if i < 6 { 0.0 } else { 1e3 }
    });
    let new = refs.rows(0, 2).map(|v| v + 0.01);
    let among = |how| neighbors_among(&new, &refs, 9, Metric::Euclidean, how, 0).unwrap();
    assert_eq!(among(NeighborSearch::Descent), among(NeighborSearch::Exact));
    let wrong_width = DMatrix::from_element(2, 4, 0.5f32);
    let err = neighbors_among(
        &wrong_width,
        &refs,
        3,
        Metric::Euclidean,
        NeighborSearch::Descent,
        0,
    );
    assert!(matches!(err, Err(ManifoldError::Input(_))), "{err:?}");
}
