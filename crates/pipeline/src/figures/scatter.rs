//! Points in two dimensions coloured by class, with the legend in a panel beside the plot (so it
//! hides no points): UMAP embeddings and the first two principal components.

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{DrawError, FONT, Figure, class_colour, label, write_png};
use crate::error::{PipelineError, Result};

/// Figure width and height, in pixels.
const SIZE: (u32, u32) = (1000, 720);
/// Width of the legend panel at the right, in pixels.
const LEGEND: u32 = 210;
/// Height of one legend entry, in pixels.
const ENTRY: i32 = 22;

/// A scatter of points coloured by class: point `i` at `points[i]` in the colour of class
/// `labels[i]` ([`class_colour`]), named in the legend by `names[labels[i]]`.
#[derive(Debug, Clone, Copy)]
pub struct Scatter<'a> {
    /// Caption above the plot.
    pub title: &'a str,
    /// The titles of the horizontal and vertical axes.
    pub axes: (&'a str, &'a str),
    /// The points.
    pub points: &'a [(f32, f32)],
    /// The class of each point.
    pub labels: &'a [u8],
    /// The classes' names, in label order; the legend lists each with its number of points.
    pub names: &'a [String],
}

impl Scatter<'_> {
    /// Draws the scatter to `path` as PNG.
    ///
    /// # Errors
    /// [`PipelineError::Figure`] if `points` and `labels` differ in length or drawing fails;
    /// [`PipelineError::Io`] if the file cannot be written.
    pub fn draw(&self, path: &Path) -> Result<()> {
        if self.points.len() != self.labels.len() {
            return Err(PipelineError::Figure(format!(
                "{}: {} points but {} labels",
                path.display(),
                self.points.len(),
                self.labels.len()
            )));
        }
        write_png(path, self)
    }

    /// The range of one coordinate over all points, padded by 3 % on each side.
    fn range(&self, pick: fn(&(f32, f32)) -> f32) -> Range<f32> {
        let (lo, hi) = self
            .points
            .iter()
            .map(pick)
            .filter(|v| v.is_finite())
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if hi > lo {
            let pad = 0.03 * (hi - lo);
            (lo - pad)..(hi + pad)
        } else if lo.is_finite() {
            (lo - 1.0)..(lo + 1.0)
        } else {
            -1.0..1.0
        }
    }

    /// The legend panel: one coloured marker, name and point count per class.
    fn paint_legend<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        let mut counts = vec![0usize; self.names.len()];
        for &l in self.labels {
            if let Some(n) = counts.get_mut(usize::from(l)) {
                *n += 1;
            }
        }
        let top = 60;
        for (class, (name, count)) in self.names.iter().zip(&counts).enumerate() {
            let y = top + class as i32 * ENTRY;
            area.draw(&Circle::new((14, y), 5, class_colour(class).filled()))?;
            label(
                area,
                &format!("{name} ({count})"),
                13,
                (26, y),
                (HPos::Left, VPos::Center),
            )?;
        }
        Ok(())
    }
}

impl Figure for Scatter<'_> {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn paint<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let (plot, legend) = root.split_horizontally(SIZE.0 - LEGEND);
        let mut chart = ChartBuilder::on(&plot)
            .caption(self.title, (FONT, 18))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(self.range(|p| p.0), self.range(|p| p.1))?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(BLACK.mix(0.12))
            .x_desc(self.axes.0)
            .y_desc(self.axes.1)
            .axis_desc_style((FONT, 14))
            .label_style((FONT, 12))
            .draw()?;
        // Points in their own order, so that no class is always drawn over the others.
        chart.draw_series(self.points.iter().zip(self.labels).map(|(&(x, y), &l)| {
            Circle::new((x, y), 2, class_colour(usize::from(l)).mix(0.6).filled())
        }))?;
        self.paint_legend(&legend)
    }
}

/// Samples projected on principal components (one row each), drawn on the first two and
/// coloured by class; the axes give each component's share of the variance, the first two of
/// `explained` (the explained-variance ratios, as [`fmnist_decomp::FittedPca`] reports them).
///
/// # Errors
/// [`PipelineError::Figure`] with fewer than two components or a label count that differs from
/// the rows; otherwise as [`Scatter::draw`].
pub fn projection_scatter(
    path: &Path,
    projected: &nalgebra::DMatrix<f32>,
    explained: &[f64],
    labels: &[u8],
    class_names: &[String],
) -> Result<()> {
    if projected.ncols() < 2 {
        return Err(PipelineError::Figure(format!(
            "a PC1/PC2 scatter needs two components, got {}",
            projected.ncols()
        )));
    }
    let points: Vec<(f32, f32)> = (0..projected.nrows())
        .map(|i| (projected[(i, 0)], projected[(i, 1)]))
        .collect();
    let axis = |c: usize| match explained.get(c) {
        Some(r) => format!("PC{} ({:.1} % of the variance)", c + 1, 100.0 * r),
        None => format!("PC{}", c + 1),
    };
    let (x, y) = (axis(0), axis(1));
    Scatter {
        title: "Test images on the first two principal components",
        axes: (&x, &y),
        points: &points,
        labels,
        names: class_names,
    }
    .draw(path)
}

/// Points in two dimensions coloured by class, with a legend of class names beside the plot.
///
/// # Errors
/// As [`Scatter::draw`].
pub fn scatter(
    path: &Path,
    title: &str,
    axes: (&str, &str),
    points: &[(f32, f32)],
    labels: &[u8],
    class_names: &[String],
) -> Result<()> {
    Scatter {
        title,
        axes,
        points,
        labels,
        names: class_names,
    }
    .draw(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_and_labels_must_pair_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.png");
        let names = vec!["a".to_string()];
        let err = scatter(&path, "t", ("x", "y"), &[(0.0, 0.0)], &[], &names).unwrap_err();
        assert!(err.to_string().contains("1 points but 0 labels"), "{err}");
        assert!(!path.exists());
    }

    #[test]
    fn a_scatter_needs_two_components() {
        let dir = tempfile::tempdir().unwrap();
        let one = nalgebra::DMatrix::<f32>::zeros(3, 1);
        let err = projection_scatter(&dir.path().join("x.png"), &one, &[1.0], &[0; 3], &[]);
        assert!(err.unwrap_err().to_string().contains("two components"));
    }

    #[test]
    fn ranges_cover_the_points_and_survive_degenerate_ones() {
        let points = [(0.0, 5.0), (10.0, 5.0), (f32::NAN, 5.0)];
        let s = Scatter {
            title: "",
            axes: ("", ""),
            points: &points,
            labels: &[0; 3],
            names: &[],
        };
        let x = s.range(|p| p.0);
        assert!(x.start < 0.0 && x.end > 10.0);
        assert_eq!(s.range(|p| p.1), 4.0..6.0);
    }
}
