//! `fmnist predict`: label new images with a saved pipeline (`fmnist fit --out`): an IDX file,
//! a `.npy` array or a folder of PNG files in, one cluster per image out (CSV or `.npy`), with
//! each cluster's class name and, with `--proba`, the soft assignments.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use fmnist_io::Images;
use fmnist_pipeline::schema::SchemaTag;
use fmnist_pipeline::{FittedPipeline, SoftAssignment};
use indicatif::{ProgressBar, ProgressDrawTarget};
use nalgebra::DMatrix;
use schemars::JsonSchema;
use serde::Serialize;

use crate::output::print_json;
use crate::outputs::check_outputs;
use fmnist_io::npy::{matrix_npy, to_npy};

/// Images from which reading shows a progress bar.
const PROGRESS_FROM: usize = 500;

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A model written by `fmnist fit --out` (or `fmnist cluster --save`).
    #[arg(long, value_name = "MODEL")]
    model: PathBuf,
    /// The images, of the size the model was fitted on: an IDX images file (plain or .gz), a
    /// .npy array (uint8 0-255, or float32 / float64 in [0, 1]; shape (n, rows, cols) or
    /// (n, rows * cols)), or a folder of PNG files (8-bit grey or RGB, read as PIL's "L"
    /// luminance) taken in file-name order.
    #[arg(long, value_name = "PATH")]
    images: PathBuf,
    /// Write the labels to FILE, by its extension: .csv (image, cluster, class, and with
    /// --proba one column per cluster) or .npy (the labels as int64, or with --proba the
    /// n x k matrix as float64). Without it the CSV goes to stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Also give every image's soft assignment to each cluster: a mixture's probabilities, or
    /// for a K-Means model the distance to each centroid.
    #[arg(long)]
    proba: bool,
    /// Print one JSON object on stdout (the labels, class names and soft assignments).
    #[arg(long)]
    json: bool,
}

/// The labels of the images, as `fmnist predict --json` prints them.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Prediction {
    schema: SchemaTag,
    /// The pipeline the model was fitted as.
    pipeline: String,
    /// Each image's name: its file name, or its index in an IDX or `.npy` file.
    images: Vec<String>,
    /// Each image's cluster.
    clusters: Vec<usize>,
    /// Each image's class: the majority class of its cluster in the training split (models
    /// fitted to labelled data only).
    #[serde(skip_serializing_if = "Option::is_none")]
    classes: Option<Vec<String>>,
    /// With --proba, a mixture's probability of each cluster for each image.
    #[serde(skip_serializing_if = "Option::is_none")]
    probabilities: Option<Vec<Vec<f64>>>,
    /// With --proba, a K-Means model's distance of each image to each centroid.
    #[serde(skip_serializing_if = "Option::is_none")]
    distances: Option<Vec<Vec<f64>>>,
}

pub fn run(args: PredictArgs) -> Result<()> {
    let format = args.out.as_deref().map(OutFormat::of).transpose()?;
    if let Some(out) = &args.out {
        check_outputs(&[("--out", out)], &[&args.model, &args.images])?;
    }
    let model = FittedPipeline::load(&args.model)?;
    let images = read_images(&args.images, model.image_shape())?;
    let pixels = images.to_matrix();
    let clusters = model.predict(&pixels)?;
    let soft = args
        .proba
        .then(|| model.predict_proba(&pixels))
        .transpose()?;
    let prediction = prediction(&model, &images, clusters, soft.as_ref());
    match (&args.out, format) {
        (Some(path), Some(format)) => {
            let bytes = format.render(&prediction, soft.as_ref());
            fmnist_core::write_bytes_atomically(path, &bytes)?;
            eprintln!("labelled {} images: {}", images.len(), path.display());
            if args.json {
                print_json(&prediction)?;
            }
            Ok(())
        }
        _ if args.json => print_json(&prediction),
        _ => {
            print!("{}", csv(&prediction));
            Ok(())
        }
    }
}

/// Reads the images, with a progress bar for a large folder.
fn read_images(path: &Path, shape: (usize, usize)) -> Result<Images> {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let images = Images::read(path, shape, &mut |done, total| {
        if total >= PROGRESS_FROM {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    });
    bar.finish_and_clear();
    images.with_context(|| {
        format!(
            "reading the images for the model ({} x {} pixels)",
            shape.0, shape.1
        )
    })
}

fn prediction(
    model: &FittedPipeline,
    images: &Images,
    clusters: Vec<usize>,
    soft: Option<&SoftAssignment>,
) -> Prediction {
    let rows = |m: &DMatrix<f64>| m.row_iter().map(|r| r.iter().copied().collect()).collect();
    let classes = model
        .cluster_names()
        .map(|names| clusters.iter().map(|&c| names[c].clone()).collect());
    Prediction {
        schema: SchemaTag,
        pipeline: model.manifest().pipeline.clone(),
        images: images.names().to_vec(),
        clusters,
        classes,
        probabilities: match soft {
            Some(SoftAssignment::Probabilities(p)) => Some(rows(p)),
            _ => None,
        },
        distances: match soft {
            Some(SoftAssignment::Distances(d)) => Some(rows(d)),
            _ => None,
        },
    }
}

/// One line per image: its name, cluster, class name, and soft assignments.
fn csv(p: &Prediction) -> String {
    let soft = p.probabilities.as_ref().or(p.distances.as_ref());
    let prefix = if p.probabilities.is_some() {
        "p"
    } else {
        "distance"
    };
    let mut out = String::from("image,cluster");
    if p.classes.is_some() {
        out += ",class";
    }
    if let Some(first) = soft.and_then(|s| s.first()) {
        for j in 0..first.len() {
            let _ = write!(out, ",{prefix}{j}");
        }
    }
    out.push('\n');
    for (i, (name, cluster)) in p.images.iter().zip(&p.clusters).enumerate() {
        let _ = write!(out, "{},{cluster}", csv_field(name));
        if let Some(classes) = &p.classes {
            let _ = write!(out, ",{}", csv_field(&classes[i]));
        }
        for v in soft.map(|s| s[i].as_slice()).unwrap_or_default() {
            let _ = write!(out, ",{v}");
        }
        out.push('\n');
    }
    out
}

/// A CSV field, quoted where it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// What `--out` writes, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutFormat {
    Csv,
    Npy,
}

impl OutFormat {
    fn of(path: &Path) -> Result<Self> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => Ok(Self::Csv),
            Some("npy") => Ok(Self::Npy),
            _ => bail!(
                "--out {}: give a file ending in .csv or .npy",
                path.display()
            ),
        }
    }

    fn render(self, p: &Prediction, soft: Option<&SoftAssignment>) -> Vec<u8> {
        match (self, soft) {
            (Self::Csv, _) => csv(p).into_bytes(),
            (Self::Npy, None) => to_npy(&[p.clusters.len()], p.clusters.iter().map(|&c| c as i64)),
            (Self::Npy, Some(SoftAssignment::Probabilities(m) | SoftAssignment::Distances(m))) => {
                matrix_npy(m)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting_and_names_soft_columns() {
        let p = Prediction {
            schema: SchemaTag,
            pipeline: "kmeans-raw".into(),
            images: vec!["a,b.png".into(), "c.png".into()],
            clusters: vec![1, 0],
            classes: Some(vec!["Shirt".into(), "T-shirt/top".into()]),
            probabilities: None,
            distances: Some(vec![vec![0.5, 1.0], vec![2.0, 0.25]]),
        };
        assert_eq!(
            csv(&p),
            "image,cluster,class,distance0,distance1\n\"a,b.png\",1,Shirt,0.5,1\nc.png,0,T-shirt/top,2,0.25\n"
        );
        assert!(OutFormat::of(Path::new("x.txt")).is_err());
        assert_eq!(OutFormat::of(Path::new("x.npy")).unwrap(), OutFormat::Npy);
    }
}
