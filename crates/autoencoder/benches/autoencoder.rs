//! Training steps of 128 images (the study's network and batch size) and encoding 1,024 images:
//! the CPU engine (8 steps in one `fit`, so that buffers are reused as in a real epoch) and,
//! for one step, candle's stock ops and autograd. When the full Fashion-MNIST is on disk, the
//! study's workload too (group `fashion_mnist_ae`): one epoch on the 48,000 training images of
//! the study's split (seed 0, batch 128, initialisation included) and encoding the 60,000
//! training-set images; the validation MSE after that epoch is printed as
//! `quality/autoencoder/validation_mse_epoch_1`. `keras_autoencoder.py` beside this file times
//! the same workloads with Keras/TensorFlow (`cargo xtask bench autoencoder` runs both).
//!
//! `cargo bench -p fmnist-autoencoder --bench autoencoder`; per-epoch time from the synthetic
//! group = (time of 8 steps / 8) x 375 (48,000 images / 128). Set RAYON_NUM_THREADS to fix the
//! thread count.

use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use fmnist_autoencoder::{Architecture, Autoencoder, Device, Kernels};
use nalgebra::DMatrix;

/// Deterministic, image-like data in [0, 1].
fn images(n: usize) -> DMatrix<f32> {
    DMatrix::from_fn(n, 784, |i, j| {
        let (y, x) = (j / 28, j % 28);
        (((i * 31 + y * 7 + x * 3) % 17) as f32 / 16.0).powi(2)
    })
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("autoencoder");
    group.sample_size(10);
    for (name, kernels, steps) in [
        ("custom", Kernels::Custom, 8),
        ("candle", Kernels::Reference, 1),
    ] {
        let batches = images(128 * steps);
        group.bench_function(format!("train_{steps}_steps_128/{name}"), |b| {
            b.iter(|| {
                Autoencoder::params(Architecture::paper())
                    .epochs(1)
                    .kernels(kernels)
                    .fit(&batches)
                    .expect("training steps")
            })
        });
    }
    let x = images(1024);
    let model = Autoencoder::untrained(&Architecture::paper(), &Device::Cpu, 0).expect("model");
    group.bench_function("encode_1024", |b| {
        b.iter(|| model.encode(&x).expect("encoding"))
    });
    group.finish();
    fashion_mnist(c);
}

/// One epoch on the study's 48,000 training images and encoding 60,000 images (10 samples of
/// one run each: about 11 epochs in all).
fn fashion_mnist(c: &mut Criterion) {
    let Some(data) = fmnist_io::fixtures::full() else {
        eprintln!("full Fashion-MNIST not found: skipping the 48,000-image benchmarks");
        return;
    };
    let split = fmnist_io::fixtures::study_split(&data.train).expect("the study's split");
    let features = |rows: &[usize]| data.train.features(rows).expect("images");
    let (train, validation) = (features(&split.train), features(&split.validation));
    let all = data.train.all_features();
    let mut group = c.benchmark_group("fashion_mnist_ae");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    let mut model = None;
    group.bench_function("epoch_48000", |b| {
        b.iter_custom(|runs| {
            let start = Instant::now();
            for _ in 0..runs {
                let params = Autoencoder::params(Architecture::paper()).epochs(1).seed(0);
                model = Some(params.fit(&train).expect("one epoch"));
            }
            start.elapsed()
        })
    });
    let model = model.expect("the epoch ran");
    let mse = model.mse(&validation).expect("validation MSE");
    println!("quality/autoencoder/validation_mse_epoch_1: {mse:.6}");
    group.bench_function("encode_60000", |b| {
        b.iter(|| model.encode(&all).expect("encoding"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
