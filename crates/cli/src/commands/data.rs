//! `fmnist data fetch | info | show`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use fmnist_io::Provenance;
use fmnist_pipeline::figures::ImageGrid;
use fmnist_pipeline::schema::{SchemaTag, mirror};
use schemars::JsonSchema;
use serde::Serialize;

use crate::data_source::DataSourceArgs;
use crate::output::print_json;

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Obtain and verify the data set (download it if needed) and print where it is.
    Fetch(FetchArgs),
    /// Counts, image size, per-class counts, source and digests of the data set.
    Info(InfoArgs),
    /// Draw a grid of sample images, one row per class (the study's first figure), as PNG.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    #[command(flatten)]
    source: DataSourceArgs,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    #[command(flatten)]
    source: DataSourceArgs,
    /// Print one JSON object on stdout instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    source: DataSourceArgs,
    /// Where to write the PNG.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Images per class (one row each).
    #[arg(long, default_value_t = 10)]
    per_class: usize,
    /// Which set to draw from.
    #[arg(long, value_enum, default_value_t = Part::Train)]
    split: Part,
    /// Seed of the random choice of images.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Magnification: each pixel becomes a SCALE x SCALE square.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=16))]
    scale: u32,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Part {
    Train,
    Test,
}

pub fn run(command: DataCommand) -> Result<()> {
    match command {
        DataCommand::Fetch(args) => fetch(args),
        DataCommand::Info(args) => info(args),
        DataCommand::Show(args) => show(args),
    }
}

fn fetch(args: FetchArgs) -> Result<()> {
    let (data, provenance) = args.source.load()?;
    eprintln!(
        "{} training and {} test images, {}",
        data.train.len(),
        data.test.len(),
        describe_source(&provenance)
    );
    println!("{}", provenance.dir.display());
    Ok(())
}

/// What `fmnist data info --json` prints: the names match `results.json`'s `dataset` object
/// where they overlap.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DataInfo<'a> {
    schema: SchemaTag,
    /// `fashion-mnist` (verified), or `custom, unverified`.
    source: &'static str,
    /// Whether every file's digest matched Fashion-MNIST's.
    verified: bool,
    /// How the directory was found.
    #[schemars(with = "mirror::Origin")]
    origin: fmnist_io::Origin,
    /// The data set's directory.
    dir: &'a Path,
    /// Images in the training set.
    train: usize,
    /// Images in the test set.
    test: usize,
    /// Rows of each image.
    rows: usize,
    /// Columns of each image.
    cols: usize,
    /// Class names, by label.
    class_names: &'a [String],
    /// Images of each class, by label.
    class_counts: ClassCounts,
    /// SHA-256 of each decompressed file.
    sha256: &'a std::collections::BTreeMap<String, String>,
}

/// Images of each class, by label.
#[derive(Debug, Serialize, JsonSchema)]
struct ClassCounts {
    /// In the training set.
    train: Vec<usize>,
    /// In the test set.
    test: Vec<usize>,
}

fn info(args: InfoArgs) -> Result<()> {
    let (data, provenance) = args.source.load()?;
    let info = DataInfo {
        schema: SchemaTag,
        source: source_label(&provenance),
        verified: provenance.verified,
        origin: provenance.origin,
        dir: &provenance.dir,
        train: data.train.len(),
        test: data.test.len(),
        rows: data.train.rows(),
        cols: data.train.cols(),
        class_names: data.train.class_names(),
        class_counts: ClassCounts {
            train: data.train.class_counts(),
            test: data.test.class_counts(),
        },
        sha256: &provenance.sha256,
    };
    if args.json {
        return print_json(&info);
    }
    println!("data set   {}", describe_source(&provenance));
    println!("images     {} x {} pixels", info.rows, info.cols);
    println!("train      {}", info.train);
    println!("test       {}", info.test);
    println!();
    println!(
        "{:>5}  {:<14} {:>7} {:>7}",
        "label", "class", "train", "test"
    );
    for (label, name) in info.class_names.iter().enumerate() {
        println!(
            "{label:>5}  {name:<14} {:>7} {:>7}",
            info.class_counts.train[label], info.class_counts.test[label]
        );
    }
    println!();
    for (file, digest) in info.sha256 {
        println!("{file:<24} sha256 {digest}");
    }
    Ok(())
}

fn show(args: ShowArgs) -> Result<()> {
    let (data, provenance) = args.source.load()?;
    let (set, part) = match args.split {
        Part::Train => (&data.train, "training"),
        Part::Test => (&data.test, "test"),
    };
    let groups = set.sample_by_class(args.per_class, args.seed);
    let grid = ImageGrid::of_dataset(
        format!("{} images per class, {part} set", args.per_class),
        set,
        &groups,
        set.class_names().iter().cloned(),
        args.scale as usize,
    );
    grid.draw(&args.out)?;
    eprintln!(
        "wrote {} ({} classes x {} images, {})",
        args.out.display(),
        groups.len(),
        args.per_class,
        describe_source(&provenance),
    );
    Ok(())
}

fn source_label(provenance: &Provenance) -> &'static str {
    provenance.source_label(&fmnist_io::Checksums::fashion_mnist())
}

fn describe_source(provenance: &Provenance) -> String {
    format!(
        "{} ({}, {})",
        source_label(provenance),
        provenance.origin.describe(),
        provenance.dir.display()
    )
}
