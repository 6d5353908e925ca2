//! PCA-40 on the study's 48,000 x 784 training split (the full Fashion-MNIST must be on disk:
//! `cargo xtask download`). `cargo xtask bench` runs this beside scikit-learn
//! (`benches/sklearn_pca.py`) and prints the ratio.

use criterion::{Criterion, criterion_group, criterion_main};
use fmnist_decomp::{Method, Pca};

fn pca(c: &mut Criterion) {
    let Some(x) = fmnist_io::fixtures::full_study_train() else {
        eprintln!("Fashion-MNIST not found (run `cargo xtask download`): skipping the PCA benches");
        return;
    };
    let mut group = c.benchmark_group("pca");
    group.sample_size(10);
    group.bench_function("pca40_covariance", |b| {
        b.iter(|| Pca::params(40).method(Method::Covariance).fit(&x).unwrap())
    });
    group.bench_function("pca40_randomized", |b| {
        b.iter(|| Pca::params(40).method(Method::Randomized).fit(&x).unwrap())
    });
    group.finish();
}

criterion_group!(benches, pca);
criterion_main!(benches);
