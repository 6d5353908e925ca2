//! Fit and prediction speed. On the fixture subset always; on the study's workload (100 trees on
//! the 48,000 training images with 785 features: the pixels plus a label column, and prediction
//! of the 10,000 test images) when the full data set is on disk. `sklearn_forest.py` beside this
//! file times the same workloads with scikit-learn.

use criterion::{Criterion, criterion_group, criterion_main};
use fmnist_forest::{RandomForest, add_label_column};
use fmnist_io::fixtures;
use nalgebra::DMatrix;
use std::hint::black_box;
use std::time::Duration;

/// Pixels plus a stand-in for a cluster label: the image's brightness decile,
/// `sum * 10 / (784 * 256)` (the Python script computes the same column).
fn features(set: &fmnist_io::Dataset, rows: &[usize]) -> DMatrix<u8> {
    let d = set.pixels_per_image();
    let x = DMatrix::from_fn(rows.len(), d, |r, j| set.images()[rows[r] * d + j]);
    let label: Vec<u8> = rows
        .iter()
        .map(|&i| {
            let sum: usize = set.image(i).unwrap().iter().map(|&p| usize::from(p)).sum();
            (sum * 10 / (d * 256)) as u8
        })
        .collect();
    add_label_column(&x, &label).unwrap()
}

fn bench(c: &mut Criterion) {
    let small = fixtures::small().unwrap();
    let all: Vec<usize> = (0..small.train.len()).collect();
    let x = features(&small.train, &all);
    let y = small.train.labels();
    c.bench_function("fit_100_trees_1000x785", |b| {
        b.iter(|| RandomForest::params().fit(black_box(&x), y).unwrap())
    });

    let Some(data) = fixtures::full() else {
        eprintln!("full Fashion-MNIST not found: skipping the 48,000-image benchmarks");
        return;
    };
    let split = fixtures::study_split(&data.train).unwrap();
    let x = features(&data.train, &split.train);
    let y: Vec<u8> = split
        .train
        .iter()
        .map(|&i| data.train.labels()[i])
        .collect();
    let test_rows: Vec<usize> = (0..data.test.len()).collect();
    let x_test = features(&data.test, &test_rows);
    let mut group = c.benchmark_group("fashion_mnist");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(60));
    group.bench_function("fit_100_trees_48000x785", |b| {
        b.iter(|| RandomForest::params().fit(black_box(&x), &y).unwrap())
    });
    let forest = RandomForest::params().fit(&x, &y).unwrap();
    group.bench_function("predict_10000", |b| {
        b.iter(|| forest.predict(black_box(&x_test)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
