//! K-Means on the study's 48,000 x 784 training split (the full Fashion-MNIST must be on disk:
//! `cargo xtask download`). `cargo xtask bench` runs this beside scikit-learn
//! (`benches/sklearn_kmeans.py`) and prints the ratios; one Lloyd iteration is
//! `(lloyd_21_iter − lloyd_1_iter) / 20` (Lloyd's algorithm, as scikit-learn's side). The
//! `n_init1_<algorithm>` benches compare the algorithms on one k-means++ run (the same model).

use criterion::{Criterion, criterion_group, criterion_main};
use fmnist_cluster::{Algorithm, Init, KMeans};
use nalgebra::DMatrix;

fn kmeans(c: &mut Criterion) {
    let Some(x) = fmnist_io::fixtures::full_study_train() else {
        eprintln!(
            "Fashion-MNIST not found (run `cargo xtask download`): skipping the K-Means benches"
        );
        return;
    };
    // The first ten rows as a fixed start (scikit-learn's side uses the same).
    let start = DMatrix::from_fn(10, x.ncols(), |j, t| x[(j, t)]);
    let mut group = c.benchmark_group("kmeans");
    group.sample_size(10);
    for iterations in [1, 21] {
        let params = KMeans::params(10)
            .init(Init::Centroids(start.clone()))
            .max_iter(iterations)
            .tol(0.0)
            .algorithm(Algorithm::Lloyd);
        group.bench_function(format!("lloyd_{iterations}_iter"), |b| {
            b.iter(|| params.fit(&x).unwrap())
        });
    }
    group.bench_function("raw_n_init1", |b| {
        b.iter(|| KMeans::params(10).n_init(1).seed(0).fit(&x).unwrap())
    });
    for algorithm in [Algorithm::Lloyd, Algorithm::Hamerly, Algorithm::Elkan] {
        let params = KMeans::params(10).n_init(1).seed(0).algorithm(algorithm);
        let name = format!("n_init1_{algorithm:?}").to_lowercase();
        group.bench_function(name, |b| b.iter(|| params.fit(&x).unwrap()));
    }
    group.bench_function("raw_n_init10", |b| {
        b.iter(|| KMeans::params(10).n_init(10).seed(0).fit(&x).unwrap())
    });
    group.finish();
}

criterion_group!(benches, kmeans);
criterion_main!(benches);
