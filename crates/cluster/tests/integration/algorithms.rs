//! Lloyd's, Hamerly's and Elkan's algorithms give the same model: the same labels, the same
//! iterations and convergence, and centroids, inertia and inertia history equal to the bit
//! (tolerance 0: the bound algorithms compute the distances they cannot rule out exactly as
//! Lloyd's does, and the cluster sums change only with the labels). On generated data
//! (proptest) and on the real fixture subset.

use crate::common;

use fmnist_cluster::{Algorithm, FittedKMeans, Init, KMeans};
use nalgebra::DMatrix;
use proptest::prelude::*;

const BOUNDED: [Algorithm; 3] = [Algorithm::Hamerly, Algorithm::Elkan, Algorithm::Auto];

/// `blobs` groups of points around random centres (spread `spread`), in 1 to 40 dimensions,
/// 2 to 300 samples, some of them duplicated.
fn data() -> impl Strategy<Value = DMatrix<f32>> {
    (2usize..300, 1usize..40, 1usize..6, 0.05f32..2.0).prop_flat_map(|(n, d, blobs, spread)| {
        (
            proptest::collection::vec(-5.0f32..5.0, blobs * d),
            proptest::collection::vec(-1.0f32..1.0, n * d),
            proptest::collection::vec(0usize..n, 0..n / 4 + 1),
        )
            .prop_map(move |(centres, noise, copies)| {
                let mut x = DMatrix::from_fn(n, d, |i, t| {
                    centres[(i % blobs) * d + t] + spread * noise[i * d + t]
                });
                for (i, &src) in copies.iter().enumerate() {
                    let row = x.row(src).into_owned();
                    x.set_row(i % n, &row);
                }
                x
            })
    })
}

/// Asserts that `other` is the same model as `lloyd`, to the bit.
fn assert_same(lloyd: &FittedKMeans, other: &FittedKMeans, what: &str) {
    assert_eq!(other.labels(), lloyd.labels(), "{what}: labels");
    assert_eq!(other.n_iter(), lloyd.n_iter(), "{what}: iterations");
    assert_eq!(other.converged(), lloyd.converged(), "{what}: converged");
    assert_eq!(other.centroids(), lloyd.centroids(), "{what}: centroids");
    assert_eq!(other.inertia(), lloyd.inertia(), "{what}: inertia");
    assert_eq!(
        other.inertia_history(),
        lloyd.inertia_history(),
        "{what}: history"
    );
}

/// Fits `params` with every algorithm and asserts the models are the same.
fn assert_all_same(params: &KMeans, x: &DMatrix<f32>) {
    let lloyd = params.clone().algorithm(Algorithm::Lloyd).fit(x).unwrap();
    for algorithm in BOUNDED {
        let other = params.clone().algorithm(algorithm).fit(x).unwrap();
        assert_same(&lloyd, &other, &format!("{algorithm:?}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn all_algorithms_give_the_same_model(
        x in data(),
        k in 1usize..12,
        seed in 0u64..1000,
        tol in prop_oneof![Just(0.0), Just(1e-4)],
        random in any::<bool>(),
    ) {
        let k = k.min(x.nrows());
        let init = if random { Init::Random } else { Init::KMeansPlusPlus };
        let params = KMeans::params(k).n_init(2).tol(tol).init(init).seed(seed);
        assert_all_same(&params, &x);
    }
}

#[test]
fn all_algorithms_give_the_same_model_on_the_fixture_subset() {
    let (x, _) = common::fixture_data();
    for (k, seed) in [(10, 0), (10, 1), (3, 2), (25, 3), (40, 4)] {
        let params = KMeans::params(k).n_init(2).tol(0.0).seed(seed);
        assert_all_same(&params, &x);
    }
}

#[test]
fn all_algorithms_give_the_same_model_over_several_groups_and_threads() {
    // Enough rows for several parallel groups of rows, and an empty cluster to relocate (a
    // duplicated start).
    let (n, d) = (10_000, 24);
    let x = DMatrix::from_fn(n, d, |i, j| {
        ((i * 31 + j * 17) % 97) as f32 / 97.0 + (i % 7) as f32 * ((j % 3) as f32)
    });
    let start = DMatrix::from_fn(8, d, |j, t| x[((j % 7) * 13, t)]);
    for params in [
        KMeans::params(9).n_init(3).seed(5),
        KMeans::params(8).init(Init::Centroids(start)).tol(0.0),
    ] {
        for threads in [1, 2] {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| assert_all_same(&params, &x));
        }
    }
}
