//! Grids of small images in labelled rows: samples per class, images per cluster,
//! eigen-images, reconstructions.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{DrawError, Figure, label, widest, write_png};
use crate::error::Result;

/// Height of the title band above the rows, in pixels.
const TITLE_HEIGHT: u32 = 32;
/// Line height of the row labels, in pixels (13 px text).
const LINE_HEIGHT: u32 = 16;
/// Width of a row's colour swatch, in pixels.
const SWATCH: u32 = 8;

/// One labelled row of an [`ImageGrid`]: a label drawn at its left and the images, each
/// `height * width` RGB pixels.
#[derive(Debug, Clone)]
pub struct GridRow {
    /// Text at the start of the row (a class or cluster name); each `\n` starts a new line.
    pub label: String,
    /// A colour drawn as a bar beside the label (a class's [`super::class_colour`]), or none.
    pub swatch: Option<RGBColor>,
    /// The images of the row, left to right.
    pub images: Vec<Vec<[u8; 3]>>,
}

/// A grid of small images in labelled rows.
#[derive(Debug, Clone)]
pub struct ImageGrid {
    /// Caption above the grid.
    pub title: String,
    /// Image height in pixels.
    pub height: usize,
    /// Image width in pixels.
    pub width: usize,
    /// Each pixel is drawn as a `scale` x `scale` square.
    pub scale: usize,
    /// The rows.
    pub rows: Vec<GridRow>,
}

/// A grey-scale image as RGB pixels.
pub fn gray_pixels(image: &[u8]) -> Vec<[u8; 3]> {
    image.iter().map(|&p| [p, p, p]).collect()
}

/// Signed values as a blue–white–red image, white at zero, full colour at the largest
/// magnitude (used for eigen-images).
pub fn diverging_pixels(values: &[f32]) -> Vec<[u8; 3]> {
    let peak = values
        .iter()
        .fold(0f32, |m, v| m.max(v.abs()))
        .max(f32::MIN_POSITIVE);
    values
        .iter()
        .map(|&v| {
            let t = (v / peak).clamp(-1.0, 1.0);
            let fade = |t: f32| (255.0 * (1.0 - t.abs())).round() as u8;
            if t >= 0.0 {
                [255, fade(t), fade(t)]
            } else {
                [fade(t), fade(t), 255]
            }
        })
        .collect()
}

/// Where the parts of an [`ImageGrid`] go, in pixels.
struct GridLayout {
    /// Width of the label column (swatch included).
    label_width: u32,
    /// Width and height of one image.
    cell: (u32, u32),
    /// Space between images and rows.
    gap: u32,
    /// Height of one row.
    row_height: u32,
    /// Images in the longest row.
    columns: u32,
}

impl ImageGrid {
    /// A grid of `set`'s grey-scale images: row `r` shows the images `groups[r]` (indices into
    /// `set`) after the label `labels[r]`, without swatches. Indices out of range are skipped.
    pub fn of_dataset(
        title: impl Into<String>,
        set: &fmnist_io::Dataset,
        groups: &[Vec<usize>],
        labels: impl IntoIterator<Item = String>,
        scale: usize,
    ) -> Self {
        Self {
            title: title.into(),
            height: set.rows(),
            width: set.cols(),
            scale,
            rows: groups
                .iter()
                .zip(labels)
                .map(|(indices, label)| GridRow {
                    label,
                    swatch: None,
                    images: indices
                        .iter()
                        .filter_map(|&i| set.image(i))
                        .map(gray_pixels)
                        .collect(),
                })
                .collect(),
        }
    }

    /// Draws the grid to `path` as PNG.
    ///
    /// # Errors
    /// [`crate::PipelineError::Figure`] if an image has the wrong size or drawing fails;
    /// [`crate::PipelineError::Io`] if the file cannot be written.
    pub fn draw(&self, path: &Path) -> Result<()> {
        write_png(path, self)
    }

    fn layout(&self) -> GridLayout {
        let scale = self.scale.max(1) as u32;
        let longest = widest(self.rows.iter().flat_map(|r| r.label.lines()), 13);
        let lines = self
            .rows
            .iter()
            .map(|r| r.label.lines().count() as u32)
            .max()
            .unwrap_or(0);
        let cell = (self.width as u32 * scale, self.height as u32 * scale);
        GridLayout {
            label_width: 2 * SWATCH + longest + 12,
            cell,
            gap: 2 * scale,
            row_height: cell.1.max(lines * LINE_HEIGHT),
            columns: self.rows.iter().map(|r| r.images.len()).max().unwrap_or(0) as u32,
        }
    }

    /// Draws `row` (swatch, label, images) with its top at `top`.
    fn paint_row<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        row: &GridRow,
        top: u32,
        at: &GridLayout,
    ) -> std::result::Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        let middle = (top + at.row_height / 2) as i32;
        if let Some(colour) = row.swatch {
            let (x, half) = (SWATCH as i32 / 2, (at.row_height / 2) as i32 - 2);
            root.draw(&Rectangle::new(
                [(x, middle - half), (x + SWATCH as i32, middle + half)],
                colour.filled(),
            ))?;
        }
        let lines: Vec<&str> = row.label.lines().collect();
        let first = middle - (lines.len() as i32 * LINE_HEIGHT as i32) / 2;
        for (i, line) in lines.iter().enumerate() {
            let y = first + (i as i32 * LINE_HEIGHT as i32) + LINE_HEIGHT as i32 / 2;
            let x = 2 * SWATCH as i32 + 2;
            label(root, line, 13, (x, y), (HPos::Left, VPos::Center))?;
        }
        let image_top = top + (at.row_height - at.cell.1) / 2;
        let scale = self.scale.max(1) as i32;
        for (c, image) in row.images.iter().enumerate() {
            let left = (at.label_width + at.gap + c as u32 * (at.cell.0 + at.gap)) as i32;
            for (i, &[red, green, blue]) in image.iter().enumerate() {
                let x = left + (i % self.width) as i32 * scale;
                let y = image_top as i32 + (i / self.width) as i32 * scale;
                root.draw(&Rectangle::new(
                    [(x, y), (x + scale, y + scale)],
                    RGBColor(red, green, blue).filled(),
                ))?;
            }
        }
        Ok(())
    }
}

impl Figure for ImageGrid {
    fn size(&self) -> (u32, u32) {
        let at = self.layout();
        (
            at.label_width + at.columns * (at.cell.0 + at.gap) + at.gap,
            TITLE_HEIGHT + self.rows.len() as u32 * (at.row_height + at.gap) + at.gap,
        )
    }

    fn paint<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        let pixels = self.height * self.width;
        if let Some(bad) = self
            .rows
            .iter()
            .flat_map(|r| &r.images)
            .find(|image| image.len() != pixels)
        {
            return Err(format!(
                "an image of {} pixels in a grid of {} x {} images",
                bad.len(),
                self.height,
                self.width
            )
            .into());
        }
        root.fill(&WHITE)?;
        label(root, &self.title, 18, (8, 7), (HPos::Left, VPos::Top))?;
        let at = self.layout();
        for (r, row) in self.rows.iter().enumerate() {
            let top = TITLE_HEIGHT + at.gap + r as u32 * (at.row_height + at.gap);
            self.paint_row(root, row, top, &at)?;
        }
        Ok(())
    }
}

/// Principal components (one per row of `components`, `height * width` values each) as a grid
/// of blue–white–red images, ten per row.
///
/// # Errors
/// As [`ImageGrid::draw`].
pub fn eigen_images(
    path: &Path,
    components: &nalgebra::DMatrix<f32>,
    height: usize,
    width: usize,
) -> Result<()> {
    const PER_ROW: usize = 10;
    let images: Vec<Vec<[u8; 3]>> = components
        .row_iter()
        .map(|row| diverging_pixels(&row.iter().copied().collect::<Vec<f32>>()))
        .collect();
    ImageGrid {
        title: format!(
            "The {} principal components (red positive, blue negative)",
            images.len()
        ),
        height,
        width,
        scale: 2,
        rows: images
            .chunks(PER_ROW)
            .enumerate()
            .map(|(r, chunk)| GridRow {
                label: format!("PC {}-{}", r * PER_ROW + 1, r * PER_ROW + chunk.len()),
                swatch: None,
                images: chunk.to_vec(),
            })
            .collect(),
    }
    .draw(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diverging_colours_are_white_at_zero() {
        let pixels = diverging_pixels(&[0.0, 2.0, -2.0]);
        assert_eq!(pixels, vec![[255, 255, 255], [255, 0, 0], [0, 0, 255]]);
    }

    #[test]
    fn a_wrong_sized_image_is_an_error_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.png");
        let grid = ImageGrid {
            title: String::new(),
            height: 2,
            width: 2,
            scale: 1,
            rows: vec![GridRow {
                label: String::new(),
                swatch: None,
                images: vec![vec![[0; 3]; 3]],
            }],
        };
        let err = grid.draw(&path).unwrap_err().to_string();
        assert!(err.contains("3 pixels"), "{err}");
        assert!(!path.exists());
    }
}
