//! Labelled image sets and their conversion to feature matrices.

use std::path::Path;

use nalgebra::DMatrix;

use crate::error::{DataError, IdxProblem, Result};
use crate::idx::IdxTensor;
use crate::known::CLASS_NAMES;

/// Labelled grey-scale images of one size: `len()` images of `rows` x `cols` bytes, row-major,
/// each with a label below [`Dataset::n_classes`].
///
/// The fields are private so that these invariants always hold; [`Dataset::new`] checks them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    images: Vec<u8>,
    labels: Vec<u8>,
    rows: usize,
    cols: usize,
    class_names: Vec<String>,
}

/// The Fashion-MNIST release (or any IDX data set laid out like it): a training and a test set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FashionMnist {
    /// The 60,000 training images (48,000 train + 12,000 validation after [`crate::StratifiedSplit`]).
    pub train: Dataset,
    /// The 10,000 held-out test images.
    pub test: Dataset,
}

/// The class names of Fashion-MNIST as owned strings, for [`Dataset::new`].
pub fn fashion_mnist_class_names() -> Vec<String> {
    CLASS_NAMES.iter().map(|s| s.to_string()).collect()
}

/// Class names `"0"`, `"1"`, ... for a data set whose classes have no names.
pub fn numbered_class_names(n_classes: usize) -> Vec<String> {
    (0..n_classes).map(|c| c.to_string()).collect()
}

impl Dataset {
    /// A data set from row-major pixels, one label per image and the class names.
    ///
    /// # Errors
    /// [`DataError::InvalidParameter`] if `images.len() != labels.len() * rows * cols`, or if
    /// there are no classes or more than 256; [`DataError::LabelOutOfRange`] if a label is not
    /// below `class_names.len()`.
    pub fn new(
        images: Vec<u8>,
        labels: Vec<u8>,
        rows: usize,
        cols: usize,
        class_names: Vec<String>,
    ) -> Result<Self> {
        let expected = labels
            .len()
            .checked_mul(rows)
            .and_then(|n| n.checked_mul(cols));
        if expected != Some(images.len()) {
            return Err(DataError::InvalidParameter(format!(
                "{} labels of {rows} x {cols} images need {} pixels, got {}",
                labels.len(),
                expected.map_or_else(|| "too many".into(), |n| n.to_string()),
                images.len()
            )));
        }
        check_labels(&labels, class_names.len(), Path::new("<labels>"))?;
        Ok(Self {
            images,
            labels,
            rows,
            cols,
            class_names,
        })
    }

    /// A data set from an image tensor (`n x rows x cols`) and a label tensor (`n`) read from
    /// the given files (named in errors).
    ///
    /// # Errors
    /// [`DataError::Idx`] with [`IdxProblem::WrongRank`] if the tensors are not of rank 3 and 1,
    /// [`DataError::Shape`] if their counts differ, [`DataError::LabelOutOfRange`] as in [`Dataset::new`].
    pub fn from_idx(
        images: IdxTensor,
        images_path: &Path,
        labels: IdxTensor,
        labels_path: &Path,
        class_names: Vec<String>,
    ) -> Result<Self> {
        let (image_dims, pixels) = images.into_parts();
        let (label_dims, labels) = labels.into_parts();
        let rank = |found: usize, expected: usize, path: &Path| {
            DataError::idx(path, IdxProblem::WrongRank { expected, found })
        };
        let [n_images, rows, cols] = image_dims[..] else {
            return Err(rank(image_dims.len(), 3, images_path));
        };
        let [n_labels] = label_dims[..] else {
            return Err(rank(label_dims.len(), 1, labels_path));
        };
        if n_images != n_labels {
            return Err(DataError::Shape {
                path: labels_path.to_path_buf(),
                reason: format!(
                    "{n_labels} labels for {n_images} images in {}",
                    images_path.display()
                ),
            });
        }
        check_labels(&labels, class_names.len(), labels_path)?;
        Ok(Self {
            images: pixels,
            labels,
            rows,
            cols,
            class_names,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Image height in pixels.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Image width in pixels.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Pixels per image (`rows * cols`), the feature count of [`Dataset::features`].
    pub fn pixels_per_image(&self) -> usize {
        self.rows * self.cols
    }

    /// All pixels, image after image, each image row-major.
    pub fn images(&self) -> &[u8] {
        &self.images
    }

    /// One label per image.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The pixels of image `index`, or `None` if out of range.
    pub fn image(&self, index: usize) -> Option<&[u8]> {
        let d = self.pixels_per_image();
        self.images.get(index * d..(index + 1) * d)
    }

    /// Number of classes (labels are in `0..n_classes()`).
    pub fn n_classes(&self) -> usize {
        self.class_names.len()
    }

    /// Class names in label order.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// Number of images of each class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.n_classes()];
        for &label in &self.labels {
            counts[usize::from(label)] += 1;
        }
        counts
    }

    /// Pixels, labels, rows, cols and class names, consuming the data set.
    pub fn into_parts(self) -> (Vec<u8>, Vec<u8>, usize, usize, Vec<String>) {
        (
            self.images,
            self.labels,
            self.rows,
            self.cols,
            self.class_names,
        )
    }

    /// The images at `indices`, in that order, as a new data set.
    ///
    /// # Errors
    /// [`DataError::IndexOutOfRange`] for an index `>= len()`.
    pub fn subset(&self, indices: &[usize]) -> Result<Dataset> {
        self.check_indices(indices)?;
        let d = self.pixels_per_image();
        let mut images = Vec::with_capacity(indices.len() * d);
        for &i in indices {
            images.extend_from_slice(&self.images[i * d..(i + 1) * d]);
        }
        Ok(Dataset {
            images,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            rows: self.rows,
            cols: self.cols,
            class_names: self.class_names.clone(),
        })
    }

    /// The images at `indices` as a samples x pixels `f32` matrix scaled to `[0, 1]`
    /// (`pixel / 255`), one row per index in order.
    ///
    /// # Errors
    /// [`DataError::IndexOutOfRange`] for an index `>= len()`.
    pub fn features(&self, indices: &[usize]) -> Result<DMatrix<f32>> {
        self.gather(indices, |pixel| f32::from(pixel) / 255.0)
    }

    /// Every image as a samples x pixels `f32` matrix scaled to `[0, 1]`.
    pub fn all_features(&self) -> DMatrix<f32> {
        let all: Vec<usize> = (0..self.len()).collect();
        self.features(&all)
            .expect("every index below len() is in range")
    }

    /// The images at `indices` as a samples x pixels matrix of the raw bytes, one row per
    /// index in order (what a histogram-based forest wants).
    ///
    /// # Errors
    /// [`DataError::IndexOutOfRange`] for an index `>= len()`.
    pub fn pixels(&self, indices: &[usize]) -> Result<DMatrix<u8>> {
        self.gather(indices, |pixel| pixel)
    }

    /// One row per index, one column per pixel, each pixel mapped by `map` (in parallel).
    fn gather<T: nalgebra::Scalar + Copy + Default + Send + Sync>(
        &self,
        indices: &[usize],
        map: impl Fn(u8) -> T + Sync,
    ) -> Result<DMatrix<T>> {
        self.check_indices(indices)?;
        let d = self.pixels_per_image();
        let image = |r: usize| &self.images[indices[r] * d..(indices[r] + 1) * d];
        Ok(fmnist_core::from_rows(indices.len(), d, image, map))
    }

    fn check_indices(&self, indices: &[usize]) -> Result<()> {
        match indices.iter().find(|&&i| i >= self.len()) {
            Some(&index) => Err(DataError::IndexOutOfRange {
                index,
                len: self.len(),
            }),
            None => Ok(()),
        }
    }
}

fn check_labels(labels: &[u8], n_classes: usize, path: &Path) -> Result<()> {
    if n_classes == 0 || n_classes > 256 {
        return Err(DataError::InvalidParameter(format!(
            "a data set needs 1 to 256 classes, got {n_classes}"
        )));
    }
    match labels
        .iter()
        .position(|&label| usize::from(label) >= n_classes)
    {
        Some(index) => Err(DataError::LabelOutOfRange {
            path: path.to_path_buf(),
            index,
            label: labels[index],
            n_classes,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Dataset {
        // Three 2x2 images whose pixels encode their index.
        let images = vec![0, 0, 0, 0, 255, 255, 255, 255, 51, 102, 153, 204];
        Dataset::new(images, vec![2, 0, 1], 2, 2, numbered_class_names(3)).unwrap()
    }

    #[test]
    fn features_are_rows_of_scaled_pixels() {
        let ds = tiny();
        let x = ds.features(&[2, 1]).unwrap();
        assert_eq!(x.shape(), (2, 4));
        assert_eq!(x[(0, 0)], 0.2);
        assert_eq!(x[(0, 3)], 0.8);
        assert_eq!(x[(1, 2)], 1.0);
        assert_eq!(ds.all_features().row(0).sum(), 0.0);
        let p = ds.pixels(&[2, 1]).unwrap();
        assert_eq!((p[(0, 0)], p[(0, 3)], p[(1, 2)]), (51, 204, 255));
    }

    #[test]
    fn features_fill_many_blocks_correctly() {
        let n = 200;
        let images: Vec<u8> = (0..n * 3).map(|v| (v % 251) as u8).collect();
        let ds = Dataset::new(images, vec![0; n], 1, 3, numbered_class_names(1)).unwrap();
        let order: Vec<usize> = (0..n).rev().collect();
        let x = ds.features(&order).unwrap();
        for (r, &i) in order.iter().enumerate() {
            for j in 0..3 {
                assert_eq!(x[(r, j)], f32::from(ds.image(i).unwrap()[j]) / 255.0);
            }
        }
    }

    #[test]
    fn subset_keeps_images_with_their_labels() {
        let sub = tiny().subset(&[2, 0]).unwrap();
        assert_eq!(sub.labels(), &[1, 2]);
        assert_eq!(sub.image(0).unwrap(), &[51, 102, 153, 204]);
        assert_eq!(sub.class_counts(), vec![0, 1, 1]);
    }

    #[test]
    fn out_of_range_indices_are_errors() {
        assert!(matches!(
            tiny().features(&[0, 3]),
            Err(DataError::IndexOutOfRange { index: 3, len: 3 })
        ));
        assert!(tiny().subset(&[9]).is_err());
    }

    #[test]
    fn labels_beyond_the_classes_are_errors() {
        let err = Dataset::new(vec![0; 8], vec![0, 3], 2, 2, numbered_class_names(3)).unwrap_err();
        assert!(matches!(
            err,
            DataError::LabelOutOfRange {
                index: 1,
                label: 3,
                n_classes: 3,
                ..
            }
        ));
    }

    #[test]
    fn mismatched_counts_are_errors() {
        let images = IdxTensor::new(vec![2, 1, 1], vec![0, 0]).unwrap();
        let labels = IdxTensor::new(vec![3], vec![0, 0, 0]).unwrap();
        let err = Dataset::from_idx(
            images,
            Path::new("img"),
            labels,
            Path::new("lab"),
            numbered_class_names(1),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "lab: 3 labels for 2 images in img");
        let flat = IdxTensor::new(vec![2, 1], vec![0, 0]).unwrap();
        let labels = IdxTensor::new(vec![2], vec![0, 0]).unwrap();
        assert!(matches!(
            Dataset::from_idx(
                flat,
                Path::new("img"),
                labels,
                Path::new("lab"),
                numbered_class_names(1)
            ),
            Err(DataError::Idx {
                problem: IdxProblem::WrongRank {
                    expected: 3,
                    found: 2
                },
                ..
            })
        ));
    }
}
