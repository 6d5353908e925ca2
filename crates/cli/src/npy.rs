//! Writing a matrix as a NumPy `.npy` file (format 1.0, little-endian `float32`, C order).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use nalgebra::DMatrix;

/// The `.npy` bytes of `x` (shape `(rows, cols)`, row-major `<f4`).
pub fn to_npy(x: &DMatrix<f32>) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}",
        x.nrows(),
        x.ncols()
    );
    // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.div_ceil(64) * 64 - unpadded));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + 4 * x.len());
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for row in x.row_iter() {
        for v in row.iter() {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    bytes
}

/// Writes `x` to `path` as `.npy` (atomically: a partial file never replaces a good one).
pub fn write_npy(path: &Path, x: &DMatrix<f32>) -> Result<()> {
    let bytes = to_npy(x);
    fmnist_io::write_atomically(path, |file| file.write_all(&bytes))
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_data_row_major() {
        let x = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let bytes = to_npy(&x);
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(header.contains("'shape': (2, 3)"));
        assert!(header.ends_with('\n'));
        let data = &bytes[10 + header_len..];
        assert_eq!(data.len(), 24);
        assert_eq!(f32::from_le_bytes(data[4..8].try_into().unwrap()), 2.0);
        assert_eq!(f32::from_le_bytes(data[12..16].try_into().unwrap()), 4.0);
    }
}
