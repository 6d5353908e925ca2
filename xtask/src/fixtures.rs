//! `cargo xtask fixtures`: a small, stratified, real subset of Fashion-MNIST for tests.

use std::path::Path;

use anyhow::{Context, Result};
use fmnist_io::{DataFile, Dataset, IdxTensor, Locator, StratifiedSplit};

/// Where the subset goes, relative to the workspace root.
const FIXTURE_DIR: &str = "fixtures/fashion-mnist-small";
/// Training images in the subset (100 per class).
const TRAIN: usize = 1_000;
/// Test images in the subset (20 per class).
const TEST: usize = 200;
/// Seed of the stratified draws.
const SEED: u64 = 0;

pub fn regenerate(locator: Locator) -> Result<()> {
    let (data, provenance) = locator.load()?;
    anyhow::ensure!(
        provenance.verified,
        "fixtures are cut from the verified Fashion-MNIST, not from {}",
        provenance.dir.display()
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join(FIXTURE_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (set, n, images, labels) in [
        (
            &data.train,
            TRAIN,
            DataFile::TrainImages,
            DataFile::TrainLabels,
        ),
        (&data.test, TEST, DataFile::TestImages, DataFile::TestLabels),
    ] {
        let subset = stratified_subset(set, n)?;
        let pixels = IdxTensor::new(
            vec![subset.len(), subset.rows(), subset.cols()],
            subset.images().to_vec(),
        )?;
        let label_tensor = IdxTensor::new(vec![subset.len()], subset.labels().to_vec())?;
        pixels.write(dir.join(format!("{}.gz", images.file_name())), true)?;
        label_tensor.write(dir.join(format!("{}.gz", labels.file_name())), true)?;
    }
    let names = data.train.class_names().join("\n") + "\n";
    std::fs::write(dir.join(fmnist_io::CLASS_NAMES_FILE), names)?;
    eprintln!(
        "wrote {TRAIN} training and {TEST} test images to {}",
        dir.display()
    );
    Ok(())
}

/// `n` rows of `set`, the same share of every class, in their original order.
fn stratified_subset(set: &Dataset, n: usize) -> Result<Dataset> {
    let fraction = n as f64 / set.len() as f64;
    let split = StratifiedSplit::new()
        .validation_fraction(fraction)
        .seed(SEED)
        .split(set.labels())?;
    Ok(set.subset(&split.validation)?)
}
