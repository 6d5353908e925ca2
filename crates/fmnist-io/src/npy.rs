//! NumPy `.npy` files (format 1.0 to 3.0, little-endian, C order): the header a reader checks,
//! and the bytes a writer produces, for `u8` images, `f32` features, `f64` probabilities and
//! `i64` labels.
//!
//! ```
//! use fmnist_io::npy::{self, NpyType};
//!
//! let bytes = npy::to_npy(&[2, 3], [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
//! let (dtype, shape, data) = npy::parse(&bytes)?;
//! assert_eq!((dtype, shape.as_slice(), data.len()), (NpyType::F32, &[2, 3][..], 24));
//! # Ok::<(), String>(())
//! ```

/// The NumPy format's magic string.
pub const MAGIC: &[u8] = b"\x93NUMPY";

/// The element type of a `.npy` array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpyType {
    /// `uint8` (`|u1`).
    U8,
    /// Little-endian `float32` (`<f4`).
    F32,
    /// Little-endian `float64` (`<f8`).
    F64,
}

impl NpyType {
    /// Bytes per value.
    pub fn size(self) -> usize {
        match self {
            NpyType::U8 => 1,
            NpyType::F32 => 4,
            NpyType::F64 => 8,
        }
    }
}

/// The element type, the shape and the data of a `.npy` file's bytes.
///
/// # Errors
/// What is wrong, in words: not a `.npy` file, a truncated header, an element type other than
/// `uint8`, `float32` or `float64`, a Fortran-ordered array, or an unreadable shape.
pub fn parse(bytes: &[u8]) -> Result<(NpyType, Vec<usize>, &[u8]), String> {
    let (header, data) = npy_header(bytes)?;
    let (dtype, shape) = parse_npy_header(header)?;
    Ok((dtype, shape, data))
}

/// The header text and the data of a `.npy` file.
fn npy_header(bytes: &[u8]) -> std::result::Result<(&str, &[u8]), String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("not a NumPy .npy file (no \\x93NUMPY magic string)".into());
    }
    let (len, start): (usize, usize) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => {
            let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            (len as usize, 12)
        }
        v => return Err(format!("unsupported .npy format version {v}")),
    };
    let end = start
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or("truncated .npy header")?;
    let header =
        std::str::from_utf8(&bytes[start..end]).map_err(|_| "a .npy header that is not text")?;
    Ok((header, &bytes[end..]))
}

/// The element type and shape of a `.npy` header (`{'descr': '<f4', 'fortran_order': False,
/// 'shape': (n, 28, 28), }`).
fn parse_npy_header(header: &str) -> std::result::Result<(NpyType, Vec<usize>), String> {
    let value = |key: &str| {
        let at = header
            .find(&format!("'{key}'"))
            .ok_or(format!("a .npy header without '{key}'"))?;
        let rest = header[at + key.len() + 2..].trim_start();
        Ok::<_, String>(rest.strip_prefix(':').unwrap_or(rest).trim_start())
    };
    let descr = value("descr")?;
    let dtype = match descr.split('\'').nth(1) {
        Some("|u1" | "<u1" | "u1") => NpyType::U8,
        Some("<f4") => NpyType::F32,
        Some("<f8") => NpyType::F64,
        Some(other) => {
            return Err(format!(
                "an array of type {other}; images must be uint8 (0-255) or little-endian float32 / float64 (0-1)"
            ));
        }
        None => return Err("a .npy header with an unreadable 'descr'".into()),
    };
    if value("fortran_order")?.starts_with("True") {
        return Err("a Fortran-ordered array; save it in C order (np.ascontiguousarray)".into());
    }
    let shape = value("shape")?;
    let inside = shape
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or("a .npy header with an unreadable 'shape'")?;
    let dims = inside
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| format!("a .npy shape with the dimension {s:?}"))
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok((dtype, dims))
}

/// A value `.npy` files store: its type string and its little-endian bytes.
pub trait NpyValue: Copy {
    /// NumPy's type string (`'<f4'`, …).
    const DESCR: &'static str;
    /// The value's little-endian bytes, appended to `out`.
    fn put(self, out: &mut Vec<u8>);
}

macro_rules! npy_value {
    ($($t:ty => $descr:literal),*) => {$(
        impl NpyValue for $t {
            const DESCR: &'static str = $descr;
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}

npy_value!(u8 => "|u1", f32 => "<f4", f64 => "<f8", i64 => "<i8");

/// The `.npy` bytes (format 1.0) of `values`, row-major, with `shape`.
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
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&[1, 0]);
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in values {
        v.put(&mut bytes);
    }
    bytes
}

/// The `.npy` bytes of the matrix `x`, row-major.
pub fn matrix_npy<T: NpyValue + nalgebra::Scalar>(x: &nalgebra::DMatrix<T>) -> Vec<u8> {
    to_npy(&[x.nrows(), x.ncols()], x.transpose().iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_arrays_parse_back_with_an_aligned_header() {
        let x = nalgebra::DMatrix::from_row_slice(2, 3, &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let bytes = matrix_npy(&x);
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        assert_eq!(bytes[10 + header_len - 1], b'\n');
        let (dtype, shape, data) = parse(&bytes).unwrap();
        assert_eq!((dtype, shape), (NpyType::F32, vec![2, 3]));
        let values: Vec<f32> = data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(values, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let labels = to_npy(&[3], [1i64, 2, 3]);
        let header = std::str::from_utf8(&labels[10..74]).unwrap();
        assert!(
            header.contains("'descr': '<i8'") && header.contains("'shape': (3,)"),
            "{header}"
        );
        assert!(parse(&labels).unwrap_err().contains("<i8"));
    }
}
