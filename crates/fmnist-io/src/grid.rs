//! Tiling images into one picture: sample grids per class or per cluster.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::split::shuffle;

/// An 8-bit grey-scale picture, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrayImage {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height` pixels, row after row.
    pub pixels: Vec<u8>,
}

impl Dataset {
    /// Up to `per_group` indices of each class, drawn at random with `seed`, one row per class.
    pub fn sample_by_class(&self, per_group: usize, seed: u64) -> Vec<Vec<usize>> {
        let mut groups = vec![Vec::new(); self.n_classes()];
        for (i, &label) in self.labels().iter().enumerate() {
            groups[usize::from(label)].push(i);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for group in &mut groups {
            shuffle(group, &mut rng);
            group.truncate(per_group);
        }
        groups
    }

    /// Tiles images into a grid: row `r` shows the images `rows[r]` left to right, separated
    /// by `padding` black pixels. Rows shorter than the longest are left black at the end.
    ///
    /// # Errors
    /// [`Error::IndexOutOfRange`] for an index `>= len()`.
    pub fn tile(&self, rows: &[Vec<usize>], padding: usize) -> Result<GrayImage> {
        let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
        let (h, w) = (self.rows(), self.cols());
        let width = columns * (w + padding) + padding;
        let height = rows.len() * (h + padding) + padding;
        let mut pixels = vec![0u8; width * height];
        for (r, row) in rows.iter().enumerate() {
            for (c, &index) in row.iter().enumerate() {
                let image = self.image(index).ok_or(Error::IndexOutOfRange {
                    index,
                    len: self.len(),
                })?;
                let top = padding + r * (h + padding);
                let left = padding + c * (w + padding);
                for (y, line) in image.chunks_exact(w).enumerate() {
                    let start = (top + y) * width + left;
                    pixels[start..start + w].copy_from_slice(line);
                }
            }
        }
        Ok(GrayImage {
            width,
            height,
            pixels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::numbered_class_names;

    #[test]
    fn tiles_images_in_place() {
        let ds = Dataset::new(
            vec![1, 2, 3, 4, 5, 6, 7, 8],
            vec![0, 1],
            2,
            2,
            numbered_class_names(2),
        )
        .unwrap();
        let grid = ds.tile(&[vec![1], vec![0, 1]], 1).unwrap();
        assert_eq!((grid.width, grid.height), (7, 7));
        assert_eq!(&grid.pixels[7 + 1..7 + 3], &[5, 6]);
        assert_eq!(&grid.pixels[4 * 7 + 1..4 * 7 + 3], &[1, 2]);
        assert_eq!(&grid.pixels[5 * 7 + 4..5 * 7 + 6], &[7, 8]);
        assert!(ds.tile(&[vec![2]], 0).is_err());
    }

    #[test]
    fn samples_come_from_their_class() {
        let labels: Vec<u8> = (0..30).map(|i| (i % 3) as u8).collect();
        let ds = Dataset::new(vec![0; 30], labels, 1, 1, numbered_class_names(3)).unwrap();
        let groups = ds.sample_by_class(4, 0);
        assert_eq!(groups.len(), 3);
        for (class, group) in groups.iter().enumerate() {
            assert_eq!(group.len(), 4);
            assert!(group.iter().all(|&i| usize::from(ds.labels()[i]) == class));
        }
        assert_eq!(groups, ds.sample_by_class(4, 0));
    }
}
