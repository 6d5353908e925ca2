//! Writing a feature matrix as a NumPy `.npy` file (`float32`, through `fmnist_io::npy`).

use std::path::Path;

use anyhow::{Context, Result};
use nalgebra::DMatrix;

/// Writes `x` to `path` as `.npy` (atomically: a partial file never replaces a good one).
pub fn write_npy(path: &Path, x: &DMatrix<f32>) -> Result<()> {
    fmnist_core::write_bytes_atomically(path, &fmnist_io::npy::matrix_npy(x))
        .with_context(|| format!("writing {}", path.display()))
}
