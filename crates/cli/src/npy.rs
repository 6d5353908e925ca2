//! Writing arrays as NumPy `.npy` files (format 1.0, little-endian, C order): feature matrices
//! as `float32`, probabilities as `float64`, labels as `int64`.

use std::path::Path;

use anyhow::{Context, Result};
use nalgebra::DMatrix;

/// A value `.npy` files store: its type string and its little-endian bytes.
pub trait NpyValue: Copy {
    /// NumPy's type string (`'<f4'`, …).
    const DESCR: &'static str;
    /// The value's little-endian bytes, appended to `out`.
    fn put(self, out: &mut Vec<u8>);
}

impl NpyValue for f32 {
    const DESCR: &'static str = "<f4";
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl NpyValue for f64 {
    const DESCR: &'static str = "<f8";
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl NpyValue for i64 {
    const DESCR: &'static str = "<i8";
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

/// The `.npy` bytes of `values` (row-major) with `shape`.
pub fn to_npy<T: NpyValue>(shape: &[usize], values: impl IntoIterator<Item = T>) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
    let shape = match dims.as_slice() {
        [one] => format!("({one},)"),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
        T::DESCR
    );
    // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.div_ceil(64) * 64 - unpadded));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len());
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in values {
        v.put(&mut bytes);
    }
    bytes
}

/// The `.npy` bytes of the matrix `x`, row-major.
pub fn matrix_npy<T: NpyValue + nalgebra::Scalar>(x: &DMatrix<T>) -> Vec<u8> {
    to_npy(&[x.nrows(), x.ncols()], x.transpose().iter().copied())
}

/// Writes `x` to `path` as `.npy` (atomically: a partial file never replaces a good one).
pub fn write_npy(path: &Path, x: &DMatrix<f32>) -> Result<()> {
    fmnist_core::write_bytes_atomically(path, &matrix_npy(x))
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_aligned_and_data_row_major() {
        let x = DMatrix::from_row_slice(2, 3, &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let bytes = matrix_npy(&x);
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(header.contains("'shape': (2, 3)"), "{header}");
        assert!(header.ends_with('\n'));
        let data = &bytes[10 + header_len..];
        let values: Vec<f32> = data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(values, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn a_vector_has_a_one_element_shape() {
        let bytes = to_npy(&[3], [1i64, 2, 3]);
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(
            header.contains("'descr': '<i8'") && header.contains("'shape': (3,)"),
            "{header}"
        );
        assert_eq!(bytes.len(), 10 + header_len + 24);
    }
}
