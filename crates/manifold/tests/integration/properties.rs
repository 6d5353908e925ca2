//! Properties of the embedding on generated data: errors for bad input, exact neighbours,
//! determinism across thread counts, transform, separation of well-separated clusters.

use fmnist_core::InputError;
use fmnist_manifold::{
    FittedUmap, Init, ManifoldError, Metric, Umap, nearest_neighbors, trustworthiness,
};
use nalgebra::DMatrix;
use proptest::prelude::*;

/// `groups` Gaussian-like blobs of `per_group` points in `d` dimensions, centres 30 apart on
/// the axes, from a fixed-seed LCG (Irwin–Hall sums of 4 uniforms).
fn blobs(groups: usize, per_group: usize, d: usize, seed: u64) -> (DMatrix<f32>, Vec<usize>) {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut uniform = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    let n = groups * per_group;
    let mut x = DMatrix::zeros(n, d);
    let labels: Vec<usize> = (0..n).map(|i| i / per_group).collect();
    for i in 0..n {
        for j in 0..d {
            let noise: f32 = (0..4).map(|_| uniform()).sum::<f32>() - 2.0;
            let centre = if j == labels[i] % d { 30.0 } else { 0.0 };
            x[(i, j)] = centre + noise;
        }
    }
    (x, labels)
}

fn fit_in_pool(threads: usize, params: &Umap, x: &DMatrix<f32>) -> FittedUmap {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| params.fit(x).unwrap())
}

#[test]
fn bad_input_is_an_error() {
    let (x, _) = blobs(2, 10, 3, 0);
    let p = Umap::params().n_neighbors(5);
    assert_eq!(
        p.clone().n_neighbors(20).fit(&x).unwrap_err(),
        ManifoldError::TooFewSamples {
            n_samples: 20,
            n_neighbors: 20
        }
    );
    let mut bad = x.clone();
    bad[(3, 1)] = f32::NAN;
    assert!(matches!(
        p.fit(&bad),
        Err(ManifoldError::Input(InputError::NonFinite {
            row: 3,
            col: 1,
            ..
        }))
    ));
    bad[(3, 1)] = f32::INFINITY;
    assert!(matches!(
        p.fit(&bad),
        Err(ManifoldError::Input(InputError::NonFinite { .. }))
    ));
    assert_eq!(
        p.fit(&DMatrix::zeros(0, 3)).unwrap_err(),
        ManifoldError::Input(InputError::NoSamples)
    );
    assert_eq!(
        p.fit(&DMatrix::zeros(5, 0)).unwrap_err(),
        ManifoldError::Input(InputError::NoFeatures)
    );
    for params in [
        p.clone().n_components(20),
        p.clone().n_components(0),
        p.clone().n_neighbors(1),
        p.clone().min_dist(2.0),
        p.clone().spread(0.0),
        p.clone().learning_rate(-1.0),
        p.clone().set_op_mix_ratio(1.5),
    ] {
        assert!(
            matches!(params.fit(&x), Err(ManifoldError::InvalidParameter(_))),
            "{params:?}"
        );
    }
    let model = p.n_epochs(10).fit(&x).unwrap();
    assert_eq!(
        model.transform(&DMatrix::zeros(2, 4)).unwrap_err(),
        ManifoldError::Input(InputError::FeatureMismatch {
            expected: 3,
            found: 4
        })
    );
    assert!(matches!(
        model.transform(&bad.rows(0, 5).into_owned()),
        Err(ManifoldError::Input(InputError::NonFinite { .. }))
    ));
    assert!(trustworthiness(&x, &x, 10).is_err());
    assert!(trustworthiness(&x, &x.rows(0, 5).into_owned(), 2).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn neighbours_are_exact(n in 5usize..160, d in 1usize..9, k in 1usize..6, seed in 0u64..1000) {
        let k = k.min(n);
        let mut state = seed;
        let x = DMatrix::from_fn(n, d, |_, _| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 40) % 1000) as f32 / 100.0 - 5.0
        });
        let nn = nearest_neighbors(&x, k, Metric::Euclidean).unwrap();
        for i in 0..n {
            let mut all: Vec<f64> = (0..n)
                .filter(|&j| j != i)
                .map(|j| (0..d).map(|t| f64::from(x[(i, t)] - x[(j, t)]).powi(2)).sum::<f64>().sqrt())
                .collect();
            all.sort_by(f64::total_cmp);
            prop_assert_eq!(nn.indices()[i * k], i as u32);
            prop_assert_eq!(nn.distances()[i * k], 0.0);
            for t in 1..k {
                let ours = f64::from(nn.distances()[i * k + t]);
                prop_assert!((ours - all[t - 1]).abs() <= 1e-4 * all[t - 1].max(1.0), "row {} rank {}: {} vs {}", i, t, ours, all[t - 1]);
                let j = nn.indices()[i * k + t] as usize;
                let direct = (0..d).map(|s| f64::from(x[(i, s)] - x[(j, s)]).powi(2)).sum::<f64>().sqrt();
                prop_assert!((ours - direct).abs() <= 1e-5 * direct.max(1.0));
            }
        }
    }
}

#[test]
fn same_seed_same_embedding_on_any_thread_count() {
    let (x, _) = blobs(3, 60, 6, 1);
    for init in [Init::Spectral, Init::Pca, Init::Random] {
        let p = Umap::params()
            .n_neighbors(10)
            .n_epochs(60)
            .init(init)
            .seed(7);
        let one = fit_in_pool(1, &p, &x);
        let two = fit_in_pool(2, &p, &x);
        assert_eq!(one.embedding(), two.embedding(), "{init:?}");
        assert_eq!(one.init_used(), init);
        let (a, b) = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap()
            .install(|| (one.transform(&x).unwrap(), two.transform(&x).unwrap()));
        assert_eq!(a, b);
        let other = fit_in_pool(2, &p.clone().seed(8), &x);
        assert_ne!(one.embedding(), other.embedding());
    }
}

#[test]
fn separated_blobs_stay_separated() {
    let (x, labels) = blobs(4, 50, 8, 2);
    for dims in [2, 3] {
        let model = Umap::params()
            .n_neighbors(10)
            .n_components(dims)
            .seed(0)
            .fit(&x)
            .unwrap();
        let e = model.embedding();
        let dist = |i: usize, j: usize| (e.row(i) - e.row(j)).norm();
        // Every point is nearer to every point of its own blob than to any of another.
        let n = e.nrows();
        let mut widest_inside = 0f32;
        let mut closest_across = f32::INFINITY;
        for i in 0..n {
            for j in 0..i {
                if labels[i] == labels[j] {
                    widest_inside = widest_inside.max(dist(i, j));
                } else {
                    closest_across = closest_across.min(dist(i, j));
                }
            }
        }
        assert!(
            closest_across > widest_inside,
            "{dims}-d: across {closest_across} <= inside {widest_inside}"
        );
        assert!(trustworthiness(&x, e, 5).unwrap() > 0.8);
    }
}

#[test]
fn transform_puts_training_points_near_their_embedding() {
    let (x, labels) = blobs(3, 60, 5, 3);
    let model = Umap::params().n_neighbors(10).seed(0).fit(&x).unwrap();
    let e = model.embedding();
    let again = model.transform(&x).unwrap();
    assert_eq!(again.shape(), e.shape());
    // Spread of the embedding, to measure "near" against.
    let centroid = |rows: &[usize], m: &DMatrix<f32>| {
        rows.iter()
            .fold(nalgebra::RowDVector::<f32>::zeros(m.ncols()), |s, &i| {
                s + m.row(i)
            })
            / rows.len() as f32
    };
    for g in 0..3 {
        let members: Vec<usize> = (0..x.nrows()).filter(|&i| labels[i] == g).collect();
        let c = centroid(&members, e);
        let radius = members
            .iter()
            .map(|&i| (e.row(i) - &c).norm())
            .fold(0f32, f32::max);
        // Typical moves are small against the blob, and every point stays in its blob.
        let mut moves: Vec<f32> = members
            .iter()
            .map(|&i| (again.row(i) - e.row(i)).norm())
            .collect();
        moves.sort_by(f32::total_cmp);
        let median = moves[moves.len() / 2];
        assert!(
            median < radius / 2.0,
            "median move {median}, blob radius {radius}"
        );
        for &i in &members {
            let nearest = (0..x.nrows())
                .min_by(|&a, &b| {
                    (again.row(i) - e.row(a))
                        .norm()
                        .total_cmp(&(again.row(i) - e.row(b)).norm())
                })
                .unwrap();
            assert_eq!(labels[nearest], g, "training point {i}");
        }
    }
    // New points from a blob land in that blob.
    let (fresh, fresh_labels) = blobs(3, 5, 5, 99);
    let placed = model.transform(&fresh).unwrap();
    for (i, &g) in fresh_labels.iter().enumerate() {
        let members: Vec<usize> = (0..x.nrows()).filter(|&t| labels[t] == g).collect();
        let nearest = (0..x.nrows())
            .min_by(|&a, &b| {
                (placed.row(i) - e.row(a))
                    .norm()
                    .total_cmp(&(placed.row(i) - e.row(b)).norm())
            })
            .unwrap();
        assert!(members.contains(&nearest), "new point {i} of blob {g}");
    }
}

#[test]
fn model_round_trips_through_serde() {
    // 40 points; 4,400, enough for the search to skip cells (its index is rebuilt on load).
    for per_group in [10, 1100] {
        let (x, _) = blobs(4, per_group, 3, 4);
        let model = Umap::params().n_neighbors(5).n_epochs(20).fit(&x).unwrap();
        let json = serde_json::to_string(&model).unwrap();
        let back: FittedUmap = serde_json::from_str(&json).unwrap();
        assert_eq!(back, model);
        let new = x.rows(0, 30).map(|v| v + 0.01);
        assert_eq!(
            back.transform(&new).unwrap(),
            model.transform(&new).unwrap()
        );
        assert_eq!((back.n_features(), back.n_components()), (3, 2));
    }
}

#[test]
fn cosine_metric_embeds_directions() {
    // Two groups of directions; scaling a point does not change its neighbours.
    let (x, labels) = blobs(2, 30, 4, 5);
    let scaled = DMatrix::from_fn(x.nrows(), x.ncols(), |i, j| {
        x[(i, j)] * (1.0 + (i % 3) as f32)
    });
    let e = Umap::params()
        .n_neighbors(8)
        .metric(Metric::Cosine)
        .seed(0)
        .fit_transform(&scaled)
        .unwrap();
    let c0 = e.rows(0, 30).row_mean();
    let c1 = e.rows(30, 30).row_mean();
    for (i, &label) in labels.iter().enumerate() {
        let (own, other) = if label == 0 { (&c0, &c1) } else { (&c1, &c0) };
        assert!((e.row(i) - own).norm() < (e.row(i) - other).norm());
    }
}
