//! Line charts over a count: the PCA's cumulative explained variance over the number of
//! components, and the autoencoder's losses over the epochs. The count axes have integer ticks.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawError, FONT, Figure, PALETTE, write_png};
use crate::error::Result;

/// Figure width and height, in pixels.
const SIZE: (u32, u32) = (800, 500);

/// A count axis from 1 to `n` on integer coordinates (so its ticks are integers), padded by one
/// on each side.
fn count_axis(n: usize) -> std::ops::Range<i32> {
    0..i32::try_from(n).unwrap_or(i32::MAX - 1) + 1
}

/// Tick text for a count axis from 1 to `n`: the padding ends stay blank.
fn count_label(n: usize) -> impl Fn(&i32) -> String {
    move |&v| match usize::try_from(v) {
        Ok(c) if (1..=n).contains(&c) => c.to_string(),
        _ => String::new(),
    }
}

/// The cumulative explained-variance curve of a PCA, with a marker at `cutoff` components.
#[derive(Debug, Clone, Copy)]
pub struct VarianceCurve<'a> {
    /// The explained-variance ratio of every component, largest first.
    pub ratios: &'a [f64],
    /// The number of components kept, marked on the curve (0 for none).
    pub cutoff: usize,
}

impl Figure for VarianceCurve<'_> {
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
        let cumulative: Vec<f64> = self
            .ratios
            .iter()
            .scan(0.0, |sum, r| {
                *sum += r;
                Some(*sum)
            })
            .collect();
        let at_cutoff = cumulative.get(self.cutoff.wrapping_sub(1)).copied();
        let title = match at_cutoff {
            Some(c) => format!(
                "PCA: cumulative explained variance ({} components: {:.1} %)",
                self.cutoff,
                100.0 * c
            ),
            None => "PCA: cumulative explained variance".to_string(),
        };
        root.fill(&WHITE)?;
        let n = self.ratios.len().max(1);
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 18))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(count_axis(n), 0f64..1.0)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(BLACK.mix(0.12))
            .x_desc("number of components")
            .y_desc("cumulative explained variance")
            .x_label_formatter(&count_label(n))
            .y_label_formatter(&|v| format!("{:.0} %", 100.0 * v))
            .axis_desc_style((FONT, 14))
            .label_style((FONT, 12))
            .draw()?;
        chart.draw_series(LineSeries::new(
            cumulative.iter().zip(1..).map(|(&c, i)| (i, c)),
            PALETTE[0].stroke_width(2),
        ))?;
        if let Some(c) = at_cutoff {
            let x = i32::try_from(self.cutoff).unwrap_or(i32::MAX);
            chart.draw_series(LineSeries::new(
                [(x, 0.0), (x, c), (0, c)],
                PALETTE[3].stroke_width(1),
            ))?;
        }
        Ok(())
    }
}

/// The cumulative explained-variance curve of a PCA (`ratios`, largest first), with a marker
/// at `cutoff` components, drawn to `path` as PNG.
///
/// # Errors
/// [`crate::PipelineError::Figure`] if drawing fails; [`crate::PipelineError::Io`] if the file
/// cannot be written.
pub fn explained_variance(path: &Path, ratios: &[f64], cutoff: usize) -> Result<()> {
    write_png(path, &VarianceCurve { ratios, cutoff })
}

/// Training and validation loss per epoch (epoch `i + 1` is element `i`).
#[derive(Debug, Clone, Copy)]
pub struct LossCurves<'a> {
    /// Caption above the plot.
    pub title: &'a str,
    /// The training loss per epoch.
    pub train: &'a [f64],
    /// The validation loss per epoch.
    pub validation: &'a [f64],
}

impl Figure for LossCurves<'_> {
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
        let all = || {
            self.train
                .iter()
                .chain(self.validation)
                .copied()
                .filter(|v| v.is_finite())
        };
        let top = all().fold(0f64, f64::max).max(f64::MIN_POSITIVE) * 1.05;
        let bottom = all().fold(f64::INFINITY, f64::min).min(top) * 0.95;
        let epochs = self.train.len().max(self.validation.len()).max(1);
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, (FONT, 18))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(76)
            .build_cartesian_2d(count_axis(epochs), bottom..top)?;
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(BLACK.mix(0.12))
            .x_desc("epoch")
            .y_desc("mean squared error")
            .x_label_formatter(&count_label(epochs))
            .axis_desc_style((FONT, 14))
            .label_style((FONT, 12))
            .draw()?;
        for (name, values, colour) in [
            ("train", self.train, PALETTE[0]),
            ("validation", self.validation, PALETTE[1]),
        ] {
            let points = values.iter().zip(1..).map(|(&v, i)| (i, v));
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2))
                });
            chart.draw_series(points.map(|p| Circle::new(p, 3, colour.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font((FONT, 13))
            .draw()?;
        Ok(())
    }
}

/// Training and validation loss per epoch, drawn to `path` as PNG.
///
/// # Errors
/// As [`explained_variance`].
pub fn loss_curves(path: &Path, title: &str, train: &[f64], validation: &[f64]) -> Result<()> {
    write_png(
        path,
        &LossCurves {
            title,
            train,
            validation,
        },
    )
}
