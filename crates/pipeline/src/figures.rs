//! The study's figures as PNG files: image grids (samples per class, images per cluster,
//! eigen-images, reconstructions), the PCA explained-variance curve, a 2-D scatter coloured by
//! class, loss curves and confusion-matrix heatmaps.
//!
//! Everything is drawn into an RGB buffer with plotters (text in the embedded DejaVu Sans, so no
//! system fonts are needed) and written atomically as PNG.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{PipelineError, Result};

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

/// The colour of class `c` in every figure.
pub fn class_colour(c: usize) -> RGBColor {
    PALETTE[c % PALETTE.len()]
}

/// One labelled row of a [`ImageGrid`]: a label drawn at its left and the images, each
/// `height * width` RGB pixels.
#[derive(Debug, Clone)]
pub struct GridRow {
    /// Text at the start of the row (a class or cluster name).
    pub label: String,
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

impl ImageGrid {
    /// A grid of `set`'s grey-scale images: row `r` shows the images `groups[r]` (indices into
    /// `set`) after the label `labels[r]`. Indices out of range are skipped.
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
                    images: indices
                        .iter()
                        .filter_map(|&i| set.image(i))
                        .map(gray_pixels)
                        .collect(),
                })
                .collect(),
        }
    }

    /// Draws the grid to `path`.
    ///
    /// # Errors
    /// [`PipelineError::Figure`] if an image has the wrong size or drawing fails; [`PipelineError::Io`] if the
    /// file cannot be written.
    pub fn draw(&self, path: &Path) -> Result<()> {
        let cell = self.width * self.scale;
        let cell_h = self.height * self.scale;
        let gap = 2 * self.scale.max(1);
        let label_width = 12
            + 8 * self
                .rows
                .iter()
                .map(|r| r.label.chars().count())
                .max()
                .unwrap_or(0);
        let columns = self.rows.iter().map(|r| r.images.len()).max().unwrap_or(0);
        let title_height = 30;
        let width = label_width + columns * (cell + gap) + gap;
        let height = title_height + self.rows.len() * (cell_h + gap) + gap;
        let pixels = self.height * self.width;
        if let Some(bad) = self
            .rows
            .iter()
            .flat_map(|r| &r.images)
            .find(|image| image.len() != pixels)
        {
            return Err(PipelineError::Figure(format!(
                "an image of {} pixels in a grid of {} x {} images",
                bad.len(),
                self.height,
                self.width
            )));
        }
        render(path, width, height, |root| {
            root.fill(&WHITE)?;
            root.draw_text(&self.title, &(FONT, 18).into_text_style(root), (8, 6))?;
            for (r, row) in self.rows.iter().enumerate() {
                let top = title_height + gap + r * (cell_h + gap);
                root.draw_text(
                    &row.label,
                    &(FONT, 13).into_text_style(root),
                    (6, (top + cell_h / 2).saturating_sub(7) as i32),
                )?;
                for (c, image) in row.images.iter().enumerate() {
                    let left = label_width + gap + c * (cell + gap);
                    for (i, &[red, green, blue]) in image.iter().enumerate() {
                        let (y, x) = (i / self.width, i % self.width);
                        let colour = RGBColor(red, green, blue);
                        for dy in 0..self.scale {
                            for dx in 0..self.scale {
                                let px = (left + x * self.scale + dx) as i32;
                                let py = (top + y * self.scale + dy) as i32;
                                root.draw_pixel((px, py), &colour)?;
                            }
                        }
                    }
                }
            }
            Ok(())
        })
    }
}

/// The cumulative explained-variance curve of a PCA, with a marker at `cutoff` components.
///
/// # Errors
/// As [`ImageGrid::draw`].
pub fn explained_variance(path: &Path, ratios: &[f64], cutoff: usize) -> Result<()> {
    let cumulative: Vec<f64> = ratios
        .iter()
        .scan(0.0, |sum, r| {
            *sum += r;
            Some(*sum)
        })
        .collect();
    let at_cutoff = cumulative.get(cutoff.saturating_sub(1)).copied();
    render(path, 800, 500, |root| {
        root.fill(&WHITE)?;
        let title = match at_cutoff {
            Some(c) => format!("PCA: cumulative explained variance ({cutoff} components: {c:.4})"),
            None => "PCA: cumulative explained variance".to_string(),
        };
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(0f64..ratios.len().max(1) as f64, 0f64..1.0)?;
        chart
            .configure_mesh()
            .x_desc("number of components")
            .y_desc("cumulative explained variance ratio")
            .label_style((FONT, 12))
            .draw()?;
        chart.draw_series(LineSeries::new(
            cumulative
                .iter()
                .enumerate()
                .map(|(i, &c)| ((i + 1) as f64, c)),
            PALETTE[0].stroke_width(2),
        ))?;
        if let Some(c) = at_cutoff {
            let x = cutoff as f64;
            chart.draw_series(LineSeries::new(
                [(x, 0.0), (x, c), (0.0, c)],
                PALETTE[3].stroke_width(1),
            ))?;
        }
        Ok(())
    })
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
                label: format!("{}-{}", r * PER_ROW + 1, r * PER_ROW + chunk.len()),
                images: chunk.to_vec(),
            })
            .collect(),
    }
    .draw(path)
}

/// Samples projected on principal components (one row each), drawn on the first two and
/// coloured by class.
///
/// # Errors
/// [`PipelineError::Figure`] with fewer than two components or a label count that differs from the
/// rows; otherwise as [`ImageGrid::draw`].
pub fn projection_scatter(
    path: &Path,
    projected: &nalgebra::DMatrix<f32>,
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
    scatter(
        path,
        "Test images on the first two principal components",
        ("PC1", "PC2"),
        &points,
        labels,
        class_names,
    )
}

/// Points in two dimensions coloured by class, with a legend of class names.
///
/// # Errors
/// [`PipelineError::Figure`] if `points` and `labels` differ in length; otherwise as [`ImageGrid::draw`].
pub fn scatter(
    path: &Path,
    title: &str,
    axes: (&str, &str),
    points: &[(f32, f32)],
    labels: &[u8],
    class_names: &[String],
) -> Result<()> {
    if points.len() != labels.len() {
        return Err(PipelineError::Figure(format!(
            "{} points but {} labels",
            points.len(),
            labels.len()
        )));
    }
    let range = |pick: fn(&(f32, f32)) -> f32| {
        let (lo, hi) = points
            .iter()
            .map(pick)
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        if lo.is_finite() && hi > lo {
            let pad = 0.03 * (hi - lo);
            (lo - pad)..(hi + pad)
        } else {
            -1.0..1.0
        }
    };
    render(path, 900, 700, |root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(range(|p| p.0), range(|p| p.1))?;
        chart
            .configure_mesh()
            .x_desc(axes.0)
            .y_desc(axes.1)
            .label_style((FONT, 12))
            .draw()?;
        for (class, name) in class_names.iter().enumerate() {
            let colour = class_colour(class);
            chart
                .draw_series(
                    points
                        .iter()
                        .zip(labels)
                        .filter(|(_, l)| usize::from(**l) == class)
                        .map(|(&(x, y), _)| Circle::new((x, y), 2, colour.mix(0.6).filled())),
                )?
                .label(name.as_str())
                .legend(move |(x, y)| Circle::new((x, y), 4, colour.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 12))
            .draw()?;
        Ok(())
    })
}

/// Training and validation loss per epoch.
///
/// # Errors
/// As [`ImageGrid::draw`].
pub fn loss_curves(path: &Path, title: &str, train: &[f64], validation: &[f64]) -> Result<()> {
    let all = train.iter().chain(validation).copied();
    let top = all.clone().fold(0f64, f64::max).max(f64::MIN_POSITIVE) * 1.05;
    let bottom = all.fold(f64::INFINITY, f64::min).min(top) * 0.95;
    let epochs = train.len().max(validation.len()).max(1);
    render(path, 800, 500, |root| {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(0.5f64..epochs as f64 + 0.5, bottom..top)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc("mean squared error")
            .label_style((FONT, 12))
            .draw()?;
        for (name, values, colour) in [
            ("train", train, PALETTE[0]),
            ("validation", validation, PALETTE[1]),
        ] {
            chart
                .draw_series(LineSeries::new(
                    values.iter().enumerate().map(|(i, &v)| ((i + 1) as f64, v)),
                    colour.stroke_width(2),
                ))?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 12))
            .draw()?;
        Ok(())
    })
}

/// A confusion matrix as a heatmap: rows are true classes, columns predicted ones; cells are
/// shaded by their share of the row and show the count.
///
/// # Errors
/// [`PipelineError::Figure`] if the matrix is not square with one row per class name; otherwise as
/// [`ImageGrid::draw`].
pub fn confusion_heatmap(
    path: &Path,
    title: &str,
    matrix: &[Vec<u64>],
    class_names: &[String],
) -> Result<()> {
    let n = class_names.len();
    if matrix.len() != n || matrix.iter().any(|row| row.len() != n) {
        return Err(PipelineError::Figure(format!(
            "a confusion matrix for {n} classes must be {n} x {n}"
        )));
    }
    let cell = 52usize;
    let label_width = 110usize;
    let top = 40usize;
    let width = label_width + n * cell + 20;
    let height = top + n * cell + label_width;
    render(path, width, height, |root| {
        root.fill(&WHITE)?;
        root.draw_text(title, &(FONT, 16).into_text_style(root), (8, 8))?;
        for (i, row) in matrix.iter().enumerate() {
            let total = row.iter().sum::<u64>().max(1) as f64;
            for (j, &count) in row.iter().enumerate() {
                let share = count as f64 / total;
                let shade = (255.0 * (1.0 - share)).round() as u8;
                let (x0, y0) = ((label_width + j * cell) as i32, (top + i * cell) as i32);
                root.draw(&Rectangle::new(
                    [(x0, y0), (x0 + cell as i32 - 1, y0 + cell as i32 - 1)],
                    RGBColor(shade, shade, 255).filled(),
                ))?;
                let ink = if share > 0.5 { WHITE } else { BLACK };
                root.draw_text(
                    &count.to_string(),
                    &(FONT, 12).into_text_style(root).color(&ink),
                    (x0 + 6, y0 + cell as i32 / 2 - 6),
                )?;
            }
            root.draw_text(
                &short(&class_names[i]),
                &(FONT, 12).into_text_style(root),
                (4, (top + i * cell + cell / 2) as i32 - 6),
            )?;
        }
        for (j, name) in class_names.iter().enumerate() {
            let style = (FONT, 12)
                .into_text_style(root)
                .transform(FontTransform::Rotate90);
            root.draw_text(
                &short(name),
                &style,
                (
                    (label_width + j * cell + cell / 2 + 6) as i32,
                    (top + n * cell + 6) as i32,
                ),
            )?;
        }
        Ok(())
    })
}

fn short(name: &str) -> String {
    name.chars().take(13).collect()
}

/// Draws with `paint` into an RGB buffer and writes it as PNG, atomically.
fn render(
    path: &Path,
    width: usize,
    height: usize,
    paint: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> std::result::Result<(), DrawError>,
) -> Result<()> {
    register_font();
    let mut buffer = vec![255u8; width * height * 3];
    {
        let size = (
            u32::try_from(width).map_err(|_| PipelineError::Figure("figure too wide".into()))?,
            u32::try_from(height).map_err(|_| PipelineError::Figure("figure too tall".into()))?,
        );
        let root = BitMapBackend::with_buffer(&mut buffer, size).into_drawing_area();
        paint(&root).map_err(|e| PipelineError::Figure(format!("{}: {e}", path.display())))?;
        root.present()
            .map_err(|e| PipelineError::Figure(format!("{}: {e}", path.display())))?;
    }
    write_png(path, width as u32, height as u32, &buffer)
}

/// Any error plotters reports while drawing.
type DrawError = Box<dyn std::error::Error>;

fn write_png(path: &Path, width: u32, height: u32, rgb: &[u8]) -> Result<()> {
    fmnist_core::write_atomically(path, |file| {
        let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
        Ok(())
    })?;
    Ok(())
}

fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .unwrap_or_else(|_| unreachable!("the embedded DejaVu Sans is a valid font"));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_size(path: &Path) -> (u32, u32) {
        let reader = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()))
            .read_info()
            .unwrap();
        (reader.info().width, reader.info().height)
    }

    #[test]
    fn every_figure_renders_to_png() {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..3).map(|c| format!("class {c}")).collect();

        let grid = ImageGrid {
            title: "samples".into(),
            height: 2,
            width: 3,
            scale: 2,
            rows: vec![
                GridRow {
                    label: "a".into(),
                    images: vec![gray_pixels(&[0, 50, 100, 150, 200, 250]); 4],
                },
                GridRow {
                    label: "b".into(),
                    images: vec![diverging_pixels(&[-1.0, -0.5, 0.0, 0.5, 1.0, 0.2])],
                },
            ],
        };
        grid.draw(&dir.path().join("grid.png")).unwrap();

        explained_variance(&dir.path().join("pca.png"), &[0.5, 0.2, 0.1, 0.05], 2).unwrap();
        scatter(
            &dir.path().join("scatter.png"),
            "PC1 / PC2",
            ("PC1", "PC2"),
            &[(0.0, 1.0), (1.0, 0.5), (-1.0, 0.0)],
            &[0, 1, 2],
            &names,
        )
        .unwrap();
        loss_curves(
            &dir.path().join("loss.png"),
            "loss",
            &[0.03, 0.02],
            &[0.025, 0.019],
        )
        .unwrap();
        confusion_heatmap(
            &dir.path().join("confusion.png"),
            "confusion",
            &[vec![5, 1, 0], vec![0, 6, 0], vec![2, 0, 4]],
            &names,
        )
        .unwrap();
        assert_eq!(png_size(&dir.path().join("pca.png")), (800, 500));
        for name in ["grid.png", "scatter.png", "loss.png", "confusion.png"] {
            let (w, h) = png_size(&dir.path().join(name));
            assert!(w > 0 && h > 0, "{name}");
        }
    }

    #[test]
    fn inconsistent_inputs_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.png");
        let names = vec!["a".to_string(), "b".to_string()];
        assert!(confusion_heatmap(&path, "t", &[vec![1, 2]], &names).is_err());
        assert!(scatter(&path, "t", ("x", "y"), &[(0.0, 0.0)], &[], &names).is_err());
        let grid = ImageGrid {
            title: String::new(),
            height: 2,
            width: 2,
            scale: 1,
            rows: vec![GridRow {
                label: String::new(),
                images: vec![vec![[0; 3]; 3]],
            }],
        };
        assert!(grid.draw(&path).is_err());
        assert!(!path.exists());
    }

    #[test]
    fn diverging_colours_are_white_at_zero() {
        let pixels = diverging_pixels(&[0.0, 2.0, -2.0]);
        assert_eq!(pixels, vec![[255, 255, 255], [255, 0, 0], [0, 0, 255]]);
    }
}
