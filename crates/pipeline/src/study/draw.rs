//! The study's figures of the data, the PCA, the autoencoder and the clusters.

use std::path::Path;

use fmnist_autoencoder::Autoencoder;
use fmnist_decomp::FittedPca;
use nalgebra::DMatrix;

use crate::error::Result;
use crate::figures::{self, GridRow, ImageGrid, gray_pixels};
use crate::report::figure_files;
use crate::splits::SplitData;

/// Images per cluster (and per class) in the image grids.
const GRID_COLUMNS: usize = 10;

/// Training images, one row per class.
pub(super) fn samples(parts: &SplitData<'_>, out: &Path) -> Result<()> {
    let set = &parts.data.train;
    ImageGrid::of_dataset(
        "Training images, one row per class",
        set,
        &set.sample_by_class(GRID_COLUMNS, 0),
        set.class_names().iter().cloned(),
        2,
    )
    .draw(&out.join(figure_files::SAMPLES))
}

/// The explained-variance curve, the eigen-images and the test images on the first two
/// components.
pub(super) fn pca(pca: &FittedPca, parts: &SplitData<'_>, out: &Path) -> Result<()> {
    let set = &parts.data.train;
    figures::explained_variance(
        &out.join(figure_files::PCA_VARIANCE),
        pca.all_explained_variance_ratio(),
        pca.n_components(),
    )?;
    figures::eigen_images(
        &out.join(figure_files::EIGEN_IMAGES),
        &pca.components(),
        set.rows(),
        set.cols(),
    )?;
    if pca.n_components() >= 2 {
        figures::projection_scatter(
            &out.join(figure_files::PCA_SCATTER),
            &pca.transform(&parts.pixels.test)?,
            pca.explained_variance_ratio(),
            &parts.labels.test,
            parts.class_names(),
        )?;
    }
    Ok(())
}

/// One test image of each class above its reconstruction.
pub(super) fn reconstructions(
    autoencoder: &Autoencoder,
    parts: &SplitData<'_>,
    out: &Path,
) -> Result<()> {
    let set = &parts.data.test;
    let picked: Vec<usize> = set.sample_by_class(1, 0).into_iter().flatten().collect();
    let originals = set.features(&picked)?;
    let rebuilt = autoencoder.reconstruct(&originals)?;
    let as_bytes = |m: &DMatrix<f32>, i: usize| -> Vec<u8> {
        m.row(i)
            .iter()
            .map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
            .collect()
    };
    let row = |label: &str, m: &DMatrix<f32>| GridRow {
        label: label.to_string(),
        swatch: None,
        images: (0..m.nrows())
            .map(|i| gray_pixels(&as_bytes(m, i)))
            .collect(),
    };
    ImageGrid {
        title: "Test images (top) and their reconstructions (bottom)".into(),
        height: set.rows(),
        width: set.cols(),
        scale: 2,
        rows: vec![row("input", &originals), row("output", &rebuilt)],
    }
    .draw(&out.join(figure_files::AE_RECONSTRUCTION))
}

/// Test images of each cluster of the pipeline `name` (`test_clusters`), one row per cluster
/// labelled with its majority class, that class's share and its size
/// ([`figures::cluster_grid`]).
pub(super) fn clusters(
    name: &str,
    test_clusters: &[u32],
    parts: &SplitData<'_>,
    out: &Path,
) -> Result<()> {
    figures::cluster_grid(
        format!("{name}: test images per cluster, by majority class"),
        &parts.data.test,
        test_clusters,
        GRID_COLUMNS,
    )?
    .draw(&out.join(figure_files::clusters(name)))?;
    let table = figures::ConfusionMatrix::of_clusters(
        format!("{name}: test images by class and cluster"),
        &parts.labels.test,
        test_clusters,
        parts.class_names(),
    )?;
    table.draw(&out.join(figure_files::contingency(name)))
}
