//! Training steps of 128 images (the study's network and batch size) and encoding 1,024 images:
//! the CPU engine (8 steps in one `fit`, so that buffers are reused as in a real epoch) and,
//! for one step, candle's stock ops and autograd.
//!
//! `cargo bench -p fmnist-autoencoder --bench autoencoder`; per-epoch time = (time of 8 steps /
//! 8) x 375 (48,000 images / 128). Set RAYON_NUM_THREADS to fix the thread count.

use criterion::{Criterion, criterion_group, criterion_main};
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
