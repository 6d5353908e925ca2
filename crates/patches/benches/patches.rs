//! Patch features of the study's 48,000-image training split (the full Fashion-MNIST must be on
//! disk: `cargo xtask download`). `cargo xtask bench patches` runs this beside the numpy
//! implementation (`benches/numpy_patches.py`, the same workload on the same rows) and prints
//! the ratio.
//!
//! Workload: `transform_48000`, 5x5 patches at every pixel, 128 centroids, 4x4 grid (the
//! defaults), with a dictionary of whitened patches (the dictionary's values do not change the
//! cost).

use std::convert::Infallible;

use criterion::{Criterion, criterion_group, criterion_main};
use fmnist_patches::{ImageShape, PatchFeatures};

fn patches(c: &mut Criterion) {
    let Some(x) = fmnist_io::fixtures::full_study_train() else {
        eprintln!(
            "Fashion-MNIST not found (run `cargo xtask download`): skipping the patch benches"
        );
        return;
    };
    // Fashion-MNIST's images (the full data set is verified against its digests).
    let shape = ImageShape { rows: 28, cols: 28 };
    let model = PatchFeatures::params(shape)
        .fit(&x, |patches, k| {
            let step = patches.nrows() / k;
            Ok::<_, Infallible>(
                patches.select_rows((0..k).map(|i| i * step).collect::<Vec<_>>().iter()),
            )
        })
        .expect("fit");
    let mut group = c.benchmark_group("patches");
    group.sample_size(10);
    group.bench_function("transform_48000", |b| {
        b.iter(|| model.transform(&x).unwrap())
    });
    group.finish();
}

criterion_group!(benches, patches);
criterion_main!(benches);
