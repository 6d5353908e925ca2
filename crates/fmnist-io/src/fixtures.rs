//! Data for tests and benchmarks (cargo feature `fixtures`, off by default): the committed
//! subset of Fashion-MNIST, the full data set where it is already on disk, and the study's
//! split, so that no crate's tests or benches repeat how to find and read them.
//!
//! Tests use the committed subset, which is always there; benchmarks on the full data set skip
//! their workload when [`full`] finds nothing:
//!
//! ```
//! use fmnist_io::fixtures;
//!
//! let data = fixtures::small()?;
//! assert_eq!((data.train.len(), data.test.len()), (1_000, 200));
//! let split = fixtures::study_split(&data.train)?;
//! assert_eq!((split.train.len(), split.validation.len()), (800, 200));
//! # Ok::<(), fmnist_io::DataError>(())
//! ```
//!
//! ```no_run
//! let Some(x) = fmnist_io::fixtures::full_study_train() else {
//!     eprintln!("the full Fashion-MNIST is not on disk: skipping");
//!     return;
//! };
//! assert_eq!(x.shape(), (48_000, 784));
//! ```

use std::path::{Path, PathBuf};

use nalgebra::DMatrix;

use crate::dataset::{Dataset, FashionMnist};
use crate::error::Result;
use crate::locate::{LOCAL_DIR, Locator, Origin, SYSTEM_DIR};
use crate::split::{Split, StratifiedSplit};

/// The name of the committed subset's folder under [`dir`].
const SMALL: &str = "fashion-mnist-small";

/// The workspace's `fixtures/` folder: the committed subset and every crate's golden values.
///
/// It is looked for beside this crate's sources (`<workspace>/crates/fmnist-io/../../fixtures`),
/// then in the working directory and each folder above it; the first that holds the subset is
/// taken. Where none does, the path beside the sources is returned, so that reading from it
/// fails with an error that names it.
pub fn dir() -> PathBuf {
    let beside_sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let working = std::env::current_dir().ok();
    std::iter::once(beside_sources.clone())
        .chain(
            working
                .iter()
                .flat_map(|cwd| cwd.ancestors().map(|dir| dir.join("fixtures"))),
        )
        .find(|candidate| candidate.join(SMALL).is_dir())
        .unwrap_or(beside_sources)
}

/// The committed subset's folder, `fixtures/fashion-mnist-small`: the first 100 training and 20
/// test images of each Fashion-MNIST class (1,000 and 200 images) with a `classes.txt`.
pub fn small_dir() -> PathBuf {
    dir().join(SMALL)
}

/// The committed subset, read offline. Its digests are not Fashion-MNIST's, so it is read as a
/// custom data set (unverified), with the class names of its `classes.txt`.
///
/// # Errors
/// As [`Locator::load`]: the folder is missing or a file is unreadable.
pub fn small() -> Result<FashionMnist> {
    let (data, _) = Locator::new()
        .data_dir(Some(small_dir()))
        .offline()
        .load()?;
    Ok(data)
}

/// The full Fashion-MNIST where it is already on disk and verified, else `None`; never fetched.
///
/// Looked for in `data/fashion-mnist` of the workspace (where `cargo xtask download` puts it:
/// benchmarks run in their crate's folder, so the working directory's own `data/fashion-mnist`
/// comes second), then in the system location `/usr/share/datasets/fashion-mnist`.
pub fn full() -> Option<FashionMnist> {
    let mut search = vec![(PathBuf::from(LOCAL_DIR), Origin::Local)];
    if let Some(workspace) = dir().parent() {
        search.insert(0, (workspace.join(LOCAL_DIR), Origin::Local));
    }
    search.push((PathBuf::from(SYSTEM_DIR), Origin::System));
    let (data, _) = Locator::new().search_dirs(search).offline().load().ok()?;
    Some(data)
}

/// The study's split of a training set: [`StratifiedSplit`]'s default, 20 % of each class to
/// validation with seed 0 (48,000 / 12,000 images of Fashion-MNIST's training set).
///
/// # Errors
/// As [`StratifiedSplit::split`] (never for a [`Dataset`], whose classes are at most 256).
pub fn study_split(train: &Dataset) -> Result<Split> {
    StratifiedSplit::new().split(train.labels())
}

/// The study's training rows of the full Fashion-MNIST (48,000 x 784, scaled to `[0, 1]`), or
/// `None` when [`full`] finds no data set: what the clustering, PCA and UMAP benchmarks run on.
pub fn full_study_train() -> Option<DMatrix<f32>> {
    let data = full()?;
    let split = study_split(&data.train).ok()?;
    data.train.features(&split.train).ok()
}
