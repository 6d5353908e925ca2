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
use crate::npy::{self, NpyType};

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
    Ok(&magic[..read] == npy::MAGIC || path.extension().is_some_and(|e| e == "npy"))
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

/// A `.npy` array of images; a 2-D one is read as images of `expected` size when its rows have
/// that many pixels.
fn read_npy(path: &Path, expected: (usize, usize)) -> Result<Images> {
    let pixels = expected.0 * expected.1;
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let bad = |reason: String| image_error(path, reason);
    let (dtype, shape, data) = npy::parse(&bytes).map_err(bad)?;
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
                "a PNG of {}-bit samples; only 8-bit images are read",
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
    use crate::npy::to_npy;

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
        let floats = bytes.iter().map(|&b| f32::from(b) / 255.0);
        let cases = [
            ("u8.npy", to_npy(&[3, 2, 2], bytes.iter().copied())),
            ("f32.npy", to_npy(&[3, 4], floats.clone())),
            ("f64.npy", to_npy(&[3, 2, 2], floats.map(f64::from))),
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
        let cases: [(Vec<u8>, &str); 6] = [
            (
                to_npy(&[1, 2, 2], [0.5f32, f32::NAN, 0.1, 0.2]),
                "pixel 1 of image 0 is NaN",
            ),
            (to_npy(&[1, 2, 2], [0f32; 2]), "truncated"),
            (to_npy(&[1, 2, 2], [0i64; 4]), "an array of type <i8"),
            (
                to_npy(&[1, 3, 3], [0u8; 9]),
                "3 x 3 pixels, but the model takes 2 x 2",
            ),
            (to_npy::<u8>(&[0, 2, 2], []), "contains no images"),
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
        std::fs::write(&path, to_npy(&[1, 1, 4], [0u8; 4])).unwrap();
        let message = read(&path, (2, 2)).unwrap_err().to_string();
        assert!(
            message.contains("1 x 4 pixels, but the model takes 2 x 2"),
            "{message}"
        );
    }
}
