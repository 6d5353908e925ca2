//! UMAP on PCA-40 of the study's 48,000-image training split (the full Fashion-MNIST must be on
//! disk: `cargo xtask download`). `cargo xtask bench umap` runs this beside umap-learn
//! (`benches/umap_learn.py`, the same workloads on the same rows) and prints the ratios.
//!
//! Workloads: `knn_k15` (the neighbour graph alone), `fit_pca40_2d` (umap-learn's defaults)
//! and `fit_pca40_10d_k20_md0` (10 dimensions, 20 neighbours, `min_dist` 0: the recipe
//! before a GMM).

use criterion::{Criterion, criterion_group, criterion_main};
use fmnist_decomp::Pca;
use fmnist_manifold::{Metric, Umap, nearest_neighbors};

fn umap(c: &mut Criterion) {
    let Some(x) = fmnist_io::fixtures::full_study_train() else {
        eprintln!(
            "Fashion-MNIST not found (run `cargo xtask download`): skipping the UMAP benches"
        );
        return;
    };
    let x = Pca::params(40)
        .fit(&x)
        .and_then(|p| p.transform(&x))
        .expect("PCA-40");
    let mut group = c.benchmark_group("umap");
    group.sample_size(10);
    group.bench_function("knn_k15", |b| {
        b.iter(|| nearest_neighbors(&x, 15, Metric::Euclidean).unwrap())
    });
    let workloads = [
        ("fit_pca40_2d", Umap::params()),
        (
            "fit_pca40_10d_k20_md0",
            Umap::params()
                .n_components(10)
                .n_neighbors(20)
                .min_dist(0.0),
        ),
    ];
    for (name, params) in workloads {
        group.bench_function(name, |b| b.iter(|| params.fit(&x).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, umap);
criterion_main!(benches);
