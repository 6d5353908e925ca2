//! Images for a fitted model, from the formats users keep them in:
//!
//! - an IDX images file, plain or gzip-compressed (`n x rows x cols` unsigned bytes);
//! - a NumPy `.npy` array of `u8` (0–255) or `f32` / `f64` (in [0, 1]), of shape
//!   `(n, rows, cols)` or `(n, rows * cols)`, little-endian, C order;
//! - a folder of PNG files (8-bit grey or RGB, with or without alpha; colour is converted to
//!   luminance exactly as PIL's `L` mode does, `(19595 R + 38470 G + 7471 B + 2^15) >> 16`),
//!   read in sorted file-name order. Hidden files (names starting with `.`) are skipped; any
//!   other file that is not a PNG image is an error that names it.
//!
//! Every image must have the size the model expects; a 2-D `.npy` array is read as images of
//! that size when its rows have the right number of pixels.

use std::io::Read;
use std::path::{Path, PathBuf};

use nalgebra::DMatrix;

use crate::error::{DataError, Result};
use crate::idx::IdxTensor;

/// The NumPy format's magic string.
const NPY_MAGIC: &[u8] = b"\x93NUMPY";
/// The PNG signature.
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Pixel values as stored: bytes, or floats in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub enum Pixels {
    /// 0–255, as IDX, PNG and `u8` arrays store them.
    U8(Vec<u8>),
    /// In [0, 1], as `f32` / `f64` arrays store them.
    F32(Vec<f32>),
}

/// Images read from a file or a folder, one after the other, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    pixels: Pixels,
    rows: usize,
    cols: usize,
    names: Vec<String>,
}

impl Images {
    /// Reads the images at `path` (an IDX or `.npy` file, or a folder of PNG files), which must
    /// be `rows x cols` pixels each. `progress(done, total)` hears of every PNG file read.
    ///
    /// # Errors
    /// [`DataError::Image`] naming the file for a malformed or unsupported file, a non-image
    /// file in the folder, a NaN or out-of-range float (with its image and pixel index) or no
    /// images at all; [`DataError::Shape`] naming both sizes for images of another size;
    /// [`DataError::Io`] or [`DataError::Idx`] for unreadable or corrupt files.
    pub fn read(
        path: &Path,
        (rows, cols): (usize, usize),
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Self> {
        let images = if path.is_dir() {
            read_png_folder(path, progress)?
        } else if is_npy(path)? {
            read_npy(path, (rows, cols))?
        } else {
            read_idx(path)?
        };
        if images.is_empty() {
            return Err(image_error(path, "contains no images".into()));
        }
        let (rows, cols) = images.fit_shape(path, rows, cols)?;
        Ok(Self {
            rows,
            cols,
            ..images
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no images (never, for images that [`Images::read`] returned).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// `(rows, cols)` of every image.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The name of each image: its file name for a PNG folder, its index otherwise.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The pixels as stored.
    pub fn pixels(&self) -> &Pixels {
        &self.pixels
    }

    /// One row per image, values in [0, 1] (bytes divided by 255, as [`crate::Dataset`] does).
    pub fn to_matrix(&self) -> DMatrix<f32> {
        let width = self.rows * self.cols;
        match &self.pixels {
            Pixels::U8(p) => DMatrix::from_fn(self.len(), width, |i, j| {
                f32::from(p[i * width + j]) / 255.0
            }),
            Pixels::F32(p) => DMatrix::from_row_slice(self.len(), width, p),
        }
    }

    /// The shape of the images, checked against the expected `rows x cols`.
    fn fit_shape(&self, path: &Path, rows: usize, cols: usize) -> Result<(usize, usize)> {
        if (self.rows, self.cols) == (rows, cols) {
            return Ok((rows, cols));
        }
        Err(DataError::Shape {
            path: path.to_path_buf(),
            reason: format!(
                "images of {} x {} pixels, but the model takes {rows} x {cols}",
                self.rows, self.cols
            ),
        })
    }
}

fn image_error(path: &Path, reason: String) -> DataError {
    DataError::Image {
        path: path.to_path_buf(),
        reason,
    }
}

/// Names `0`, `1`, … for `n` images without file names.
fn indices(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

/// Whether `path` is a `.npy` file (by its magic string, else by its extension).
fn is_npy(path: &Path) -> Result<bool> {
    let mut magic = [0u8; 6];
    let mut file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let read = file.read(&mut magic).map_err(|e| DataError::io(path, e))?;
    Ok(&magic[..read] == NPY_MAGIC || path.extension().is_some_and(|e| e == "npy"))
}

/// An IDX images file: three dimensions, `n x rows x cols`.
fn read_idx(path: &Path) -> Result<Images> {
    let (dims, data) = IdxTensor::read(path)?.tensor.into_parts();
    let [n, rows, cols] = dims[..] else {
        return Err(DataError::Shape {
            path: path.to_path_buf(),
            reason: format!(
                "an IDX file of {} dimensions, not images (n x rows x cols)",
                dims.len()
            ),
        });
    };
    Ok(Images {
        pixels: Pixels::U8(data),
        rows,
        cols,
        names: indices(n),
    })
}

/// The element type of a `.npy` array.
#[derive(Debug, Clone, Copy, PartialEq)]
enum NpyType {
    U8,
    F32,
    F64,
}

impl NpyType {
    fn size(self) -> usize {
        match self {
            NpyType::U8 => 1,
            NpyType::F32 => 4,
            NpyType::F64 => 8,
        }
    }
}

/// A `.npy` array of images; a 2-D one is read as images of `expected` size when its rows have
/// that many pixels.
fn read_npy(path: &Path, expected: (usize, usize)) -> Result<Images> {
    let pixels = expected.0 * expected.1;
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let bad = |reason: String| image_error(path, reason);
    let (header, data) = npy_header(&bytes).map_err(bad)?;
    let (dtype, shape) = parse_npy_header(header).map_err(bad)?;
    let (n, rows, cols) = match shape[..] {
        [n, rows, cols] => (n, rows, cols),
        [n, width] if width == pixels => (n, expected.0, expected.1),
        [_, width] => {
            return Err(DataError::Shape {
                path: path.to_path_buf(),
                reason: format!("rows of {width} pixels, but the model takes images of {pixels}"),
            });
        }
        _ => {
            return Err(bad(format!(
                "an array of shape {shape:?}, not (n, rows, cols) or (n, pixels)"
            )));
        }
    };
    let count = [n, rows, cols, dtype.size()]
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| bad(format!("the shape {shape:?} is too large")))?;
    if data.len() != count {
        return Err(bad(format!(
            "truncated or padded: the header declares {count} bytes of data, the file has {}",
            data.len()
        )));
    }
    let values = npy_pixels(dtype, data, rows * cols).map_err(bad)?;
    Ok(Images {
        pixels: values,
        rows,
        cols,
        names: indices(n),
    })
}

/// The header text and the data of a `.npy` file.
fn npy_header(bytes: &[u8]) -> std::result::Result<(&str, &[u8]), String> {
    if bytes.len() < 10 || &bytes[..6] != NPY_MAGIC {
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

/// The pixels of a `.npy` payload; floats must be finite and in [0, 1].
fn npy_pixels(dtype: NpyType, data: &[u8], pixels: usize) -> std::result::Result<Pixels, String> {
    let floats: Vec<f32> = match dtype {
        NpyType::U8 => return Ok(Pixels::U8(data.to_vec())),
        NpyType::F32 => data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        NpyType::F64 => data
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as f32)
            .collect(),
    };
    if let Some(at) = floats.iter().position(|v| !(0.0..=1.0).contains(v)) {
        return Err(format!(
            "pixel {} of image {} is {}; float images must be in [0, 1]",
            at % pixels.max(1),
            at / pixels.max(1),
            floats[at]
        ));
    }
    Ok(Pixels::F32(floats))
}

/// The PNG files of `dir`, in sorted file-name order.
fn read_png_folder(dir: &Path, progress: &mut dyn FnMut(usize, usize)) -> Result<Images> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| DataError::io(dir, e))?
        .map(|entry| entry.map(|e| e.path()).map_err(|e| DataError::io(dir, e)))
        .collect::<Result<_>>()?;
    files.retain(|p| {
        !p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
    });
    files.sort();
    let (mut pixels, mut names, mut shape) = (Vec::new(), Vec::new(), None);
    for (i, file) in files.iter().enumerate() {
        let (image, size) = read_png(file)?;
        match shape {
            None => shape = Some(size),
            Some(first) if first != size => {
                return Err(DataError::Shape {
                    path: file.clone(),
                    reason: format!(
                        "{} x {} pixels, but the folder's first image is {} x {}",
                        size.0, size.1, first.0, first.1
                    ),
                });
            }
            Some(_) => {}
        }
        pixels.extend(image);
        names.push(
            file.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        );
        progress(i + 1, files.len());
    }
    let (rows, cols) = shape.unwrap_or((0, 0));
    Ok(Images {
        pixels: Pixels::U8(pixels),
        rows,
        cols,
        names,
    })
}

/// One PNG file as 8-bit luminance, with its `(rows, cols)`.
fn read_png(path: &Path) -> Result<(Vec<u8>, (usize, usize))> {
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    if !bytes.starts_with(PNG_SIGNATURE) {
        let what = if path.is_dir() {
            "a folder"
        } else {
            "not a PNG image"
        };
        return Err(image_error(
            path,
            format!("{what}; the folder must hold PNG images only"),
        ));
    }
    let bad = |e: png::DecodingError| image_error(path, format!("unreadable PNG: {e}"));
    let mut decoder = png::Decoder::new(bytes.as_slice());
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().map_err(bad)?;
    let mut buffer = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buffer).map_err(bad)?;
    if frame.bit_depth != png::BitDepth::Eight {
        return Err(image_error(
            path,
            format!(
                "a PNG of {:?}-bit samples; only 8-bit images are read",
                frame.bit_depth as u8
            ),
        ));
    }
    let channels = frame.color_type.samples();
    let (rows, cols) = (frame.height as usize, frame.width as usize);
    let luminance = buffer[..frame.buffer_size()]
        .chunks_exact(channels)
        .map(|px| match channels {
            1 | 2 => px[0],
            _ => pil_luminance(px[0], px[1], px[2]),
        })
        .collect();
    Ok((luminance, (rows, cols)))
}

/// PIL's RGB → `L` conversion (ITU-R 601-2 luma, rounded): `L24` in PIL's `Convert.c`.
fn pil_luminance(r: u8, g: u8, b: u8) -> u8 {
    ((u32::from(r) * 19595 + u32::from(g) * 38470 + u32::from(b) * 7471 + 0x8000) >> 16) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.npy` file of `dtype` (`'|u1'`, `'<f4'`, …) and `shape` with `data`.
    pub(crate) fn npy_bytes(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = NPY_MAGIC.to_vec();
        out.extend([1, 0]);
        out.extend((header.len() as u16).to_le_bytes());
        out.extend(header.as_bytes());
        out.extend(data);
        out
    }

    fn png_bytes(color: png::ColorType, width: u32, height: u32, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        encoder
            .write_header()
            .unwrap()
            .write_image_data(data)
            .unwrap();
        out
    }

    fn read(path: &Path, shape: (usize, usize)) -> Result<Images> {
        Images::read(path, shape, &mut |_, _| {})
    }

    #[test]
    fn npy_arrays_of_bytes_and_floats_give_the_same_matrix() {
        let dir = tempfile::tempdir().unwrap();
        let bytes: Vec<u8> = (0..12).map(|i| (i * 20) as u8).collect();
        let floats: Vec<u8> = bytes
            .iter()
            .flat_map(|&b| (f32::from(b) / 255.0).to_le_bytes())
            .collect();
        let doubles: Vec<u8> = bytes
            .iter()
            .flat_map(|&b| f64::from(f32::from(b) / 255.0).to_le_bytes())
            .collect();
        let cases = [
            ("u8.npy", npy_bytes("|u1", "(3, 2, 2)", &bytes)),
            ("f32.npy", npy_bytes("<f4", "(3, 4)", &floats)),
            ("f64.npy", npy_bytes("<f8", "(3, 2, 2)", &doubles)),
        ];
        let mut matrices = Vec::new();
        for (name, content) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, content).unwrap();
            let images = read(&path, (2, 2)).unwrap();
            assert_eq!((images.len(), images.shape()), (3, (2, 2)));
            matrices.push(images.to_matrix());
        }
        assert_eq!(matrices[0], matrices[1]);
        assert_eq!(matrices[0], matrices[2]);
    }

    #[test]
    fn bad_npy_files_are_errors_that_say_what() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npy");
        let nan: Vec<u8> = [0.5f32, f32::NAN, 0.1, 0.2]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let cases: [(Vec<u8>, &str); 6] = [
            (
                npy_bytes("<f4", "(1, 2, 2)", &nan),
                "pixel 1 of image 0 is NaN",
            ),
            (npy_bytes("<f4", "(1, 2, 2)", &[0; 8]), "truncated"),
            (
                npy_bytes("<i8", "(1, 2, 2)", &[0; 32]),
                "an array of type <i8",
            ),
            (
                npy_bytes("|u1", "(1, 3, 3)", &[0; 9]),
                "3 x 3 pixels, but the model takes 2 x 2",
            ),
            (npy_bytes("|u1", "(0, 2, 2)", &[]), "contains no images"),
            (b"\x93NUMPY\x01".to_vec(), "not a NumPy"),
        ];
        for (content, expected) in cases {
            std::fs::write(&path, content).unwrap();
            let message = read(&path, (2, 2)).unwrap_err().to_string();
            assert!(message.contains(expected), "{message}");
            assert!(
                message.starts_with(&path.display().to_string()),
                "{message}"
            );
        }
    }

    #[test]
    fn a_png_folder_is_read_in_name_order_as_pil_luminance() {
        let dir = tempfile::tempdir().unwrap();
        let grey = png_bytes(png::ColorType::Grayscale, 2, 1, &[10, 250]);
        let rgb = png_bytes(png::ColorType::Rgb, 2, 1, &[255, 0, 0, 10, 200, 30]);
        std::fs::write(dir.path().join("b.png"), grey).unwrap();
        std::fs::write(dir.path().join("a.png"), rgb).unwrap();
        std::fs::write(dir.path().join(".DS_Store"), b"junk").unwrap();
        let images = read(dir.path(), (1, 2)).unwrap();
        assert_eq!(images.names(), ["a.png", "b.png"]);
        // PIL's convert("L"): 76 for pure red, 124 for (10, 200, 30) (299 R + 587 G + 114 B, rounded).
        assert_eq!(images.pixels(), &Pixels::U8(vec![76, 124, 10, 250]));
        std::fs::write(dir.path().join("notes.txt"), b"hello").unwrap();
        let message = read(dir.path(), (1, 2)).unwrap_err().to_string();
        assert!(
            message.contains("notes.txt") && message.contains("not a PNG image"),
            "{message}"
        );
    }

    #[test]
    fn images_of_another_shape_with_the_same_pixel_count_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npy");
        std::fs::write(&path, npy_bytes("|u1", "(1, 1, 4)", &[0; 4])).unwrap();
        let message = read(&path, (2, 2)).unwrap_err().to_string();
        assert!(
            message.contains("1 x 4 pixels, but the model takes 2 x 2"),
            "{message}"
        );
    }
}
