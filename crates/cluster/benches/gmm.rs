//! GaussianMixture on the study's data (the full Fashion-MNIST's 48,000-image training split,
//! which must be installed; see fmnist-io): a full-covariance fit on PCA-40, a diagonal fit on
//! the 784 raw pixels, and one full-covariance EM iteration on the 784 raw pixels (the paper's
//! bottleneck size). `benches/sklearn_gmm.py` times the same workloads with scikit-learn.
//!
//! ```text
//! cargo bench -p fmnist-cluster --bench gmm [-- FILTER]
//! ```

#[path = "common/pca40.rs"]
mod pca40;

use criterion::{Criterion, criterion_group, criterion_main};
use fmnist_cluster::{Covariance, GaussianMixture, GmmInit};

fn gmm(c: &mut Criterion) {
    let Some(x) = fmnist_io::fixtures::full_study_train() else {
        eprintln!("the full Fashion-MNIST is not installed: nothing to bench");
        return;
    };
    let z = pca40::Pca::fit(&x, 40).transform(&x);
    let mut group = c.benchmark_group("gmm");
    group.sample_size(10);
    group.bench_function("pca40_full_fit", |b| {
        b.iter(|| GaussianMixture::params(10).seed(0).fit(&z).unwrap())
    });
    group.bench_function("raw_diag_fit", |b| {
        b.iter(|| {
            GaussianMixture::params(10)
                .covariance(Covariance::Diag)
                .seed(0)
                .fit(&x)
                .unwrap()
        })
    });
    let start = GaussianMixture::params(10)
        .max_iter(1)
        .seed(0)
        .fit(&x)
        .unwrap();
    let one_iteration = GaussianMixture::params(10)
        .init(GmmInit::Fitted(Box::new(start)))
        .max_iter(1)
        .tol(0.0);
    group.bench_function("raw_full_em_iteration", |b| {
        b.iter(|| one_iteration.fit(&x).unwrap())
    });
    group.finish();
}

criterion_group!(benches, gmm);
criterion_main!(benches);
