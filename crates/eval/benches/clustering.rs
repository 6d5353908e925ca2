//! Every clustering metric on 70,000 labels with 10 x 10 clusters (the size of Fashion-MNIST),
//! each call from the raw labels as a user makes it (so each includes building the contingency
//! table). `sklearn_clustering.py` beside this file times scikit-learn on the same labels.
//!
//! cargo bench -p fmnist-eval --bench clustering

#[path = "../tests/integration/common.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use fmnist_eval::*;

/// The golden case `noisy_70000_10x10`: uniform true labels, a prediction that keeps a
/// relabelled class 60% of the time.
fn labels() -> (Vec<u32>, Vec<u32>) {
    let truth = common::uniform(1, 70_000, 10);
    let pred = common::noisy(2, &truth, 10, 60, 3, 1);
    let to_u32 = |v: Vec<u64>| v.into_iter().map(|x| x as u32).collect();
    (to_u32(truth), to_u32(pred))
}

fn clustering_metrics(c: &mut Criterion) {
    let (t, p) = labels();
    let (t, p) = (t.as_slice(), p.as_slice());
    let mut g = c.benchmark_group("n70000_k10x10");
    g.sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.bench_function("contingency", |b| {
        b.iter(|| Contingency::new(black_box(t), black_box(p)).unwrap())
    });
    g.bench_function("entropy", |b| b.iter(|| entropy(black_box(t)).unwrap()));
    g.bench_function("mutual_info", |b| {
        b.iter(|| mutual_info(black_box(t), black_box(p)).unwrap())
    });
    g.bench_function("expected_mutual_info", |b| {
        b.iter(|| expected_mutual_info(black_box(t), black_box(p)).unwrap())
    });
    g.bench_function("nmi", |b| {
        b.iter(|| normalized_mutual_info(black_box(t), black_box(p)).unwrap())
    });
    g.bench_function("ami", |b| {
        b.iter(|| adjusted_mutual_info(black_box(t), black_box(p)).unwrap())
    });
    g.bench_function("ari", |b| {
        b.iter(|| adjusted_rand_index(black_box(t), black_box(p)).unwrap())
    });
    g.bench_function("rand", |b| {
        b.iter(|| rand_index(black_box(t), black_box(p)).unwrap())
    });
    g.bench_function("homogeneity_completeness_v", |b| {
        b.iter(|| homogeneity_completeness_v_measure(black_box(t), black_box(p), 1.0).unwrap())
    });
    g.bench_function("fowlkes_mallows", |b| {
        b.iter(|| fowlkes_mallows(black_box(t), black_box(p)).unwrap())
    });
    g.bench_function("accuracy", |b| {
        b.iter(|| clustering_accuracy(black_box(t), black_box(p)).unwrap())
    });
    g.bench_function("purity", |b| {
        b.iter(|| purity(black_box(t), black_box(p)).unwrap())
    });
    g.bench_function("all", |b| {
        b.iter(|| ClusteringReport::compute(black_box(t), black_box(p)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, clustering_metrics);
criterion_main!(benches);
