//! The study's figures: image grids (samples per class, images per cluster, eigen-images,
//! reconstructions), the PCA explained-variance curve, 2-D scatters coloured by class, loss
//! curves and confusion matrices.
//!
//! Every figure is a value that implements [`Figure`]: a fixed size in pixels and a `paint`
//! that draws it with plotters on any backend. [`write_png`] renders it into an RGB buffer and
//! writes a PNG atomically; [`to_svg`] renders the same drawing as SVG text (the tests compare
//! it to a snapshot). Text is set in the embedded DejaVu Sans, so no system fonts are needed and
//! the layout is the same on every machine.
//!
//! One palette serves every figure: class `c` is drawn in [`class_colour`]`(c)` in scatters, in
//! the swatches of the cluster grids and wherever else a class has a colour.

mod clusters;
mod confusion;
mod curves;
mod grid;
mod scatter;

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{PipelineError, Result};

pub use clusters::{ClusterProfile, cluster_grid, cluster_profiles};
pub use confusion::{ConfusionMatrix, confusion_heatmap};
pub use curves::{LossCurves, VarianceCurve, explained_variance, loss_curves};
pub use grid::{GridRow, ImageGrid, diverging_pixels, eigen_images, gray_pixels};
pub use scatter::{Scatter, projection_scatter, scatter};

/// The font family every figure's text is set in (DejaVu Sans, registered on first use).
const FONT: &str = "sans-serif";

/// A ten-colour qualitative palette (matplotlib's `tab10`), one colour per class.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of class `c` in every figure (classes past ten reuse the palette in order).
pub fn class_colour(c: usize) -> RGBColor {
    PALETTE[c % PALETTE.len()]
}

/// Any error plotters reports while drawing.
pub type DrawError = Box<dyn std::error::Error>;

/// A figure of a fixed size that plotters can draw on any backend.
pub trait Figure {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);

    /// Draws the figure on `root`, an area of [`Figure::size`].
    ///
    /// # Errors
    /// Whatever the backend reports, or a message about inconsistent inputs.
    fn paint<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), DrawError>
    where
        DB::ErrorType: 'static;
}

/// Draws `figure` into an RGB buffer and writes it to `path` as PNG, atomically.
///
/// # Errors
/// [`PipelineError::Figure`] if drawing fails (the message names `path`); [`PipelineError::Io`]
/// if the file cannot be written.
pub fn write_png(path: &Path, figure: &impl Figure) -> Result<()> {
    register_font();
    let (width, height) = figure.size();
    let mut buffer = vec![255u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (width, height)).into_drawing_area();
        let failed = |e: DrawError| PipelineError::Figure(format!("{}: {e}", path.display()));
        figure.paint(&root).map_err(failed)?;
        root.present().map_err(|e| failed(e.into()))?;
    }
    fmnist_core::write_atomically(path, |file| {
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&buffer)?;
        writer.finish()?;
        Ok(())
    })?;
    Ok(())
}

/// The drawing of `figure` as SVG text (text as `<text>` elements, laid out with DejaVu Sans).
///
/// # Errors
/// [`PipelineError::Figure`] if drawing fails.
pub fn to_svg(figure: &impl Figure) -> Result<String> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, figure.size()).into_drawing_area();
        let failed = |e: DrawError| PipelineError::Figure(format!("SVG: {e}"));
        figure.paint(&root).map_err(failed)?;
        root.present().map_err(|e| failed(e.into()))?;
    }
    Ok(svg)
}

fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .unwrap_or_else(|_| unreachable!("the embedded DejaVu Sans is a valid font"));
    });
}

/// The width in pixels of `text` set in `size` px (0 for empty text).
fn text_width(text: &str, size: u32) -> u32 {
    register_font();
    FontDesc::new(FontFamily::Name(FONT), f64::from(size), FontStyle::Normal)
        .box_size(text)
        .map_or(0, |(width, _)| width)
}

/// The width in pixels of the widest of `texts` set in `size` px.
fn widest<'a>(texts: impl IntoIterator<Item = &'a str>, size: u32) -> u32 {
    texts
        .into_iter()
        .map(|t| text_width(t, size))
        .max()
        .unwrap_or(0)
}

/// Draws `text` in `size` px at `at`, anchored at `anchor` (horizontal, vertical) of the text.
fn label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    size: u32,
    at: (i32, i32),
    anchor: (HPos, VPos),
) -> std::result::Result<(), DrawError>
where
    DB::ErrorType: 'static,
{
    let style = (FONT, size)
        .into_text_style(root)
        .pos(Pos::new(anchor.0, anchor.1));
    root.draw_text(text, &style, at)?;
    Ok(())
}

/// Stops of a white-to-blue sequential colour map (matplotlib's `Blues`).
const BLUES: [(f64, f64, f64); 5] = [
    (247.0, 251.0, 255.0),
    (198.0, 219.0, 239.0),
    (107.0, 174.0, 214.0),
    (33.0, 113.0, 181.0),
    (8.0, 48.0, 107.0),
];

/// The sequential colour of `t` in [0, 1] (clamped): near white at 0, dark blue at 1.
fn sequential(t: f64) -> RGBColor {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let scaled = t * (BLUES.len() - 1) as f64;
    let i = (scaled.floor() as usize).min(BLUES.len() - 2);
    let f = scaled - i as f64;
    let (a, b) = (BLUES[i], BLUES[i + 1]);
    let mix = |x: f64, y: f64| (x + f * (y - x)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Text colour that reads on a cell of [`sequential`]`(t)`.
fn ink_on(t: f64) -> RGBColor {
    if t > 0.55 { WHITE } else { BLACK }
}

/// Up to about `target` round integer ticks (steps of 1, 2 or 5 times a power of ten) from
/// `lo` to `hi`, both inclusive where they fall on a step.
fn integer_ticks(lo: u64, hi: u64, target: u64) -> Vec<u64> {
    let span = hi.saturating_sub(lo).max(1);
    let rough = span.div_ceil(target.max(1)).max(1);
    let mut magnitude = 1u64;
    while magnitude.saturating_mul(10) <= rough {
        magnitude *= 10;
    }
    let step = [1, 2, 5, 10]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= rough)
        .unwrap_or(10 * magnitude);
    (lo.div_ceil(step)..=hi / step).map(|k| k * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_ticks_are_round_and_inside() {
        assert_eq!(integer_ticks(1, 5, 10), vec![1, 2, 3, 4, 5]);
        assert_eq!(integer_ticks(1, 40, 8), vec![5, 10, 15, 20, 25, 30, 35, 40]);
        assert_eq!(integer_ticks(0, 937, 5), vec![0, 200, 400, 600, 800]);
        assert_eq!(integer_ticks(0, 0, 5), vec![0]);
    }

    #[test]
    fn the_colour_map_runs_from_white_to_blue() {
        assert_eq!(sequential(0.0), RGBColor(247, 251, 255));
        assert_eq!(sequential(1.0), RGBColor(8, 48, 107));
        assert_eq!(sequential(2.0), sequential(1.0));
        assert_eq!(sequential(f64::NAN), sequential(0.0));
    }
}
