//! Confusion matrices as two heatmaps side by side: the counts, and each row as a share of its
//! true class (rows sum to 100 %), each with its colour bar, class names on the ticks and the
//! axes titled.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::clusters::by_majority;
use super::{
    ClusterProfile, DrawError, FONT, Figure, cluster_profiles, ink_on, integer_ticks, label,
    sequential, widest, write_png,
};
use crate::error::Result;

/// Side of one cell, in pixels.
const CELL: u32 = 44;
/// Height of the figure's title band, in pixels.
const TITLE: u32 = 36;
/// Top of the matrix in each panel (title and panel caption above), in pixels.
const TOP: u32 = TITLE + 30;
/// Width of a rotated axis title's band, in pixels.
const AXIS_TITLE: u32 = 24;
/// Space between the matrix and its colour bar, the bar's width, and its tick labels' width.
const BAR: (u32, u32, u32) = (16, 16, 58);

/// A confusion matrix: `counts[i][j]` images of the true class `i` were predicted as column
/// `j` (a class, or a cluster).
#[derive(Debug, Clone)]
pub struct ConfusionMatrix {
    /// Caption above both panels.
    pub title: String,
    /// One row per true class, one column per prediction.
    pub counts: Vec<Vec<u64>>,
    /// The true classes' names, one per row.
    pub row_names: Vec<String>,
    /// The predictions' names, one per column.
    pub column_names: Vec<String>,
    /// The title of the column axis: `predicted class` or `predicted cluster`.
    pub column_title: String,
}

/// One heatmap: a caption, each cell's shade in [0, 1] and text, and the colour bar's ticks as
/// (shade, text).
struct Panel {
    caption: &'static str,
    shades: Vec<Vec<f64>>,
    texts: Vec<Vec<String>>,
    ticks: Vec<(f64, String)>,
}

impl ConfusionMatrix {
    /// The confusion matrix of a classifier: rows true classes, columns predicted classes,
    /// both named `class_names`.
    pub fn of_classes(
        title: impl Into<String>,
        counts: &[Vec<u64>],
        class_names: &[String],
    ) -> Self {
        Self {
            title: title.into(),
            counts: counts.to_vec(),
            row_names: class_names.to_vec(),
            column_names: class_names.to_vec(),
            column_title: "predicted class".into(),
        }
    }

    /// The contingency table of a clustering: rows the true classes (`classes`, named
    /// `class_names`), columns the clusters (`clusters`, one per image, numbered from 0), ordered
    /// by majority class as in [`super::cluster_grid`] and named by their number and majority
    /// class (`3: Trouser`), so that a good clustering reads as a diagonal.
    ///
    /// # Errors
    /// [`crate::PipelineError::Figure`] if `classes` and `clusters` differ in length.
    pub fn of_clusters(
        title: impl Into<String>,
        classes: &[u8],
        clusters: &[u32],
        class_names: &[String],
    ) -> Result<Self> {
        let n_clusters = clusters.iter().max().map_or(0, |&m| m as usize + 1);
        let order = by_majority(cluster_profiles(classes, clusters, n_clusters)?);
        let mut column = vec![0; n_clusters];
        for (j, p) in order.iter().enumerate() {
            column[p.cluster as usize] = j;
        }
        let mut counts = vec![vec![0u64; n_clusters]; class_names.len()];
        for (&class, &cluster) in classes.iter().zip(clusters) {
            if let Some(row) = counts.get_mut(usize::from(class)) {
                row[column[cluster as usize]] += 1;
            }
        }
        let name =
            |p: &ClusterProfile| match p.majority.and_then(|c| class_names.get(usize::from(c))) {
                Some(class) => format!("{}: {class}", p.cluster),
                None => p.cluster.to_string(),
            };
        Ok(Self {
            title: title.into(),
            counts,
            row_names: class_names.to_vec(),
            column_names: order.iter().map(name).collect(),
            column_title: "predicted cluster".into(),
        })
    }

    /// Draws the matrix to `path` as PNG.
    ///
    /// # Errors
    /// [`crate::PipelineError::Figure`] if the counts do not have one row per row name and one
    /// column per column name, or drawing fails; [`crate::PipelineError::Io`] if the file cannot
    /// be written.
    pub fn draw(&self, path: &Path) -> Result<()> {
        write_png(path, self)
    }

    /// Widths of the row-name band and heights of the column-name band, in pixels.
    fn name_bands(&self) -> (u32, u32) {
        let longest = |names: &[String]| widest(names.iter().map(String::as_str), 12);
        (
            longest(&self.row_names) + 12,
            longest(&self.column_names) + 12,
        )
    }

    /// Left edge of the matrix inside a panel, and a panel's width.
    fn panel_geometry(&self) -> (u32, u32) {
        let left = AXIS_TITLE + self.name_bands().0;
        let width = left + self.column_names.len() as u32 * CELL + BAR.0 + BAR.1 + BAR.2;
        (left, width)
    }

    /// The counts panel: shaded by count over the largest count.
    fn counts_panel(&self) -> Panel {
        let peak = self.counts.iter().flatten().copied().max().unwrap_or(0);
        let scale = peak.max(1) as f64;
        Panel {
            caption: "images",
            shades: self
                .counts
                .iter()
                .map(|row| row.iter().map(|&n| n as f64 / scale).collect())
                .collect(),
            texts: self
                .counts
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|&n| if n == 0 { String::new() } else { n.to_string() })
                        .collect()
                })
                .collect(),
            ticks: integer_ticks(0, peak, 5)
                .into_iter()
                .map(|v| (v as f64 / scale, v.to_string()))
                .collect(),
        }
    }

    /// The row-normalised panel: each cell as a share of its row, shown as a percentage.
    fn shares_panel(&self) -> Panel {
        let shares: Vec<Vec<f64>> = self
            .counts
            .iter()
            .map(|row| {
                let total = row.iter().sum::<u64>().max(1) as f64;
                row.iter().map(|&n| n as f64 / total).collect()
            })
            .collect();
        let percent = |s: f64| match s {
            0.0 => String::new(),
            s if s < 0.005 => "<1%".to_string(),
            s => format!("{:.0}%", 100.0 * s),
        };
        Panel {
            caption: "share of each true class (rows sum to 100 %)",
            texts: shares
                .iter()
                .map(|row| row.iter().map(|&s| percent(s)).collect())
                .collect(),
            shades: shares,
            ticks: (0..=4)
                .map(|q| (f64::from(q) / 4.0, format!("{}%", 25 * q)))
                .collect(),
        }
    }

    fn check(&self) -> std::result::Result<(), DrawError> {
        let (rows, columns) = (self.row_names.len(), self.column_names.len());
        if self.counts.len() != rows || self.counts.iter().any(|row| row.len() != columns) {
            return Err(format!(
                "a confusion matrix of {rows} true classes and {columns} predictions must be \
                 {rows} x {columns}"
            )
            .into());
        }
        Ok(())
    }
}

impl Figure for ConfusionMatrix {
    fn size(&self) -> (u32, u32) {
        let grid = self.row_names.len() as u32 * CELL;
        (
            2 * self.panel_geometry().1,
            TOP + grid + 8 + self.name_bands().1 + AXIS_TITLE + 8,
        )
    }

    fn paint<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        self.check()?;
        root.fill(&WHITE)?;
        label(root, &self.title, 18, (10, 8), (HPos::Left, VPos::Top))?;
        let (left, right) = root.split_horizontally(self.panel_geometry().1);
        self.paint_panel(&left, &self.counts_panel())?;
        self.paint_panel(&right, &self.shares_panel())
    }
}

impl ConfusionMatrix {
    /// Draws one heatmap with its names, axis titles and colour bar.
    fn paint_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &Panel,
    ) -> std::result::Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        let (left, _) = self.panel_geometry();
        let (left, top) = (left as i32, TOP as i32);
        let cell = CELL as i32;
        label(
            area,
            panel.caption,
            14,
            (left, TITLE as i32 + 4),
            (HPos::Left, VPos::Top),
        )?;
        for (i, (shades, texts)) in panel.shades.iter().zip(&panel.texts).enumerate() {
            let y = top + i as i32 * cell;
            for (j, (&shade, text)) in shades.iter().zip(texts).enumerate() {
                let x = left + j as i32 * cell;
                // Filled rectangles end before their bottom-right corner: a 1 px white rule
                // between cells.
                let corner = (x + cell - 1, y + cell - 1);
                area.draw(&Rectangle::new(
                    [(x, y), corner],
                    sequential(shade).filled(),
                ))?;
                if !text.is_empty() {
                    let ink = ink_on(shade);
                    let style = (FONT, 12)
                        .into_text_style(area)
                        .color(&ink)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    area.draw_text(text, &style, (x + cell / 2, y + cell / 2))?;
                }
            }
        }
        self.paint_names(area, left, top)?;
        let bar_left = left + (self.column_names.len() as u32 * CELL + BAR.0) as i32;
        paint_colour_bar(
            area,
            (bar_left, top),
            self.row_names.len() as i32 * cell,
            &panel.ticks,
        )
    }

    /// The row and column names beside and below the matrix at (`left`, `top`), and the axis
    /// titles.
    fn paint_names<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        left: i32,
        top: i32,
    ) -> std::result::Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        let cell = CELL as i32;
        for (i, name) in self.row_names.iter().enumerate() {
            let y = top + i as i32 * cell + cell / 2;
            label(area, name, 12, (left - 6, y), (HPos::Right, VPos::Center))?;
        }
        let bottom = top + self.row_names.len() as i32 * cell;
        let rotated = |size: u32, anchor: HPos| {
            (FONT, size)
                .into_text_style(area)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(anchor, VPos::Center))
        };
        for (j, name) in self.column_names.iter().enumerate() {
            let x = left + j as i32 * cell + cell / 2;
            area.draw_text(name, &rotated(12, HPos::Right), (x, bottom + 6))?;
        }
        let middle = (top + bottom) / 2;
        area.draw_text(
            "true class",
            &rotated(14, HPos::Center),
            (AXIS_TITLE as i32 / 2, middle),
        )?;
        let centre = left + self.column_names.len() as i32 * cell / 2;
        let below = bottom + 8 + self.name_bands().1 as i32 + AXIS_TITLE as i32 / 2;
        label(
            area,
            &self.column_title,
            14,
            (centre, below),
            (HPos::Center, VPos::Center),
        )
    }
}

/// A vertical colour bar of `height` pixels with its top-left corner at `at`: the shade 1 at the
/// top, 0 at the bottom, and `ticks` (shade, text) on its right.
fn paint_colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    height: i32,
    ticks: &[(f64, String)],
) -> std::result::Result<(), DrawError>
where
    DB::ErrorType: 'static,
{
    const STEPS: i32 = 64;
    let (x, top, width) = (at.0, at.1, BAR.1 as i32);
    for s in 0..STEPS {
        let (y0, y1) = (top + s * height / STEPS, top + (s + 1) * height / STEPS);
        let shade = 1.0 - (f64::from(s) + 0.5) / f64::from(STEPS);
        area.draw(&Rectangle::new(
            [(x, y0), (x + width - 1, y1)],
            sequential(shade).filled(),
        ))?;
    }
    area.draw(&Rectangle::new(
        [(x, top), (x + width - 1, top + height)],
        BLACK.stroke_width(1),
    ))?;
    for (shade, text) in ticks {
        let y = top + ((1.0 - shade) * f64::from(height)).round() as i32;
        area.draw(&PathElement::new(
            [(x + width - 1, y), (x + width + 3, y)],
            BLACK,
        ))?;
        label(
            area,
            text,
            11,
            (x + width + 6, y),
            (HPos::Left, VPos::Center),
        )?;
    }
    Ok(())
}

/// The confusion matrix of a classifier (rows true classes, columns predicted classes, both
/// named `class_names`) as counts and as row shares, drawn to `path`.
///
/// # Errors
/// As [`ConfusionMatrix::draw`].
pub fn confusion_heatmap(
    path: &Path,
    title: &str,
    matrix: &[Vec<u64>],
    class_names: &[String],
) -> Result<()> {
    ConfusionMatrix::of_classes(title, matrix, class_names).draw(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|c| format!("class {c}")).collect()
    }

    #[test]
    fn shares_sum_to_one_per_row() {
        let m = ConfusionMatrix::of_classes(
            "t",
            &[vec![5, 1, 0], vec![0, 0, 0], vec![2, 0, 6]],
            &names(3),
        );
        let panel = m.shares_panel();
        assert!((panel.shades[0].iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((panel.shades[2].iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(panel.shades[1], vec![0.0; 3]);
        assert_eq!(panel.texts[0], vec!["83%", "17%", ""]);
        assert_eq!(m.counts_panel().texts[2], vec!["2", "", "6"]);
    }

    #[test]
    fn cluster_columns_follow_their_majority_class() {
        let classes = [0u8, 0, 1, 1, 1, 2];
        let clusters = [1u32, 1, 0, 0, 2, 2];
        let m = ConfusionMatrix::of_clusters("t", &classes, &clusters, &names(3)).unwrap();
        assert_eq!(
            m.column_names,
            vec!["1: class 0", "0: class 1", "2: class 1"]
        );
        assert_eq!(m.counts, vec![vec![2, 0, 0], vec![0, 2, 1], vec![0, 0, 1]]);
        assert!(ConfusionMatrix::of_clusters("t", &classes, &clusters[1..], &names(3)).is_err());
    }

    #[test]
    fn a_matrix_of_the_wrong_shape_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.png");
        let err = confusion_heatmap(&path, "t", &[vec![1, 2]], &names(2))
            .unwrap_err()
            .to_string();
        assert!(err.contains("must be 2 x 2"), "{err}");
        assert!(!path.exists());
    }
}
