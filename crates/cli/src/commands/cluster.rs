//! `fmnist cluster`: fit a clustering model on the training split (raw pixels or PCA
//! features), predict the validation and test sets, and score all three against the classes.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use fmnist_cluster::{FittedKMeans, KMeans};
use fmnist_decomp::{FittedPca, Pca};
use fmnist_eval::ClusteringScores;
use fmnist_io::StratifiedSplit;
use nalgebra::DMatrix;
use serde::Serialize;

use crate::data_source::DataSourceArgs;

#[derive(Debug, Args)]
pub struct ClusterArgs {
    #[command(flatten)]
    data: DataSourceArgs,
    /// Features to cluster: the 784 raw pixels in [0, 1], or their PCA projection fitted on the
    /// training split.
    #[arg(long, value_enum, default_value_t = Features::Raw)]
    features: Features,
    /// Components kept with --features pca.
    #[arg(long, default_value_t = 40, value_name = "N")]
    pca_components: usize,
    /// Clustering method.
    #[arg(long, value_enum, default_value_t = Method::Kmeans)]
    method: Method,
    /// Number of clusters.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Seed of the model's random choices (the train/validation split is the study's, seed 0).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Runs from different starts; the best by inertia is kept.
    #[arg(long, default_value_t = 10, value_name = "N")]
    n_init: usize,
    /// Most iterations per run.
    #[arg(long, default_value_t = 300, value_name = "N")]
    max_iter: usize,
    /// Print one JSON object on stdout (results.json naming); the table goes to stderr.
    #[arg(long)]
    json: bool,
    /// Write the fitted model (and the PCA, if any) to this JSON file.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
}

/// Features to cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Features {
    /// Raw pixels scaled to [0, 1].
    Raw,
    /// PCA projection (--pca-components) fitted on the training split.
    Pca,
}

/// Clustering method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// K-Means (k-means++, n_init runs, Lloyd iterations).
    Kmeans,
}

/// The printed result, in the naming of results.json.
#[derive(Debug, Serialize)]
struct Output {
    method: Method,
    features: Features,
    k: usize,
    seed: u64,
    train: ClusteringScores,
    validation: ClusteringScores,
    test: ClusteringScores,
    inertia: f64,
    iterations: usize,
    converged: bool,
    /// Seconds to fit (PCA included), not counting loading and scoring.
    seconds: f64,
}

/// What `--save` writes.
#[derive(Debug, Serialize)]
struct Saved<'a> {
    pca: Option<&'a FittedPca>,
    kmeans: &'a FittedKMeans,
}

pub fn run(args: ClusterArgs) -> Result<()> {
    let (data, _) = args.data.load()?;
    let split = StratifiedSplit::new().split(data.train.labels())?;
    let mut x_train = data.train.features(&split.train)?;
    let mut x_val = data.train.features(&split.validation)?;
    let mut x_test = data.test.all_features();
    let truth_train: Vec<u8> = split
        .train
        .iter()
        .map(|&i| data.train.labels()[i])
        .collect();
    let truth_val: Vec<u8> = split
        .validation
        .iter()
        .map(|&i| data.train.labels()[i])
        .collect();
    eprintln!(
        "clustering {} training images ({:?} features) with {:?}, k = {}",
        x_train.nrows(),
        args.features,
        args.method,
        args.k
    );
    let start = Instant::now();
    let pca = match args.features {
        Features::Raw => None,
        Features::Pca => {
            let pca = Pca::params(args.pca_components)
                .fit(&x_train)
                .context("fitting PCA")?;
            let project = |x: &DMatrix<f32>| pca.transform(x);
            x_train = project(&x_train)?;
            x_val = project(&x_val)?;
            x_test = project(&x_test)?;
            Some(pca)
        }
    };
    let km = match args.method {
        Method::Kmeans => KMeans::params(args.k)
            .n_init(args.n_init)
            .max_iter(args.max_iter)
            .seed(args.seed)
            .fit(&x_train)
            .context("fitting K-Means")?,
    };
    let seconds = start.elapsed().as_secs_f64();
    let output = Output {
        method: args.method,
        features: args.features,
        k: args.k,
        seed: args.seed,
        train: ClusteringScores::compute(&truth_train, km.labels())?,
        validation: ClusteringScores::compute(&truth_val, &km.predict(&x_val)?)?,
        test: ClusteringScores::compute(data.test.labels(), &km.predict(&x_test)?)?,
        inertia: km.inertia(),
        iterations: km.n_iter(),
        converged: km.converged(),
        seconds,
    };
    if let Some(path) = &args.save {
        let saved = Saved {
            pca: pca.as_ref(),
            kmeans: &km,
        };
        let json = serde_json::to_vec(&saved)?;
        fmnist_io::write_atomically(path, |file| std::io::Write::write_all(file, &json))?;
        eprintln!("saved the model to {}", path.display());
    }
    let table = render(&output);
    if args.json {
        eprint!("{table}");
        println!("{}", serde_json::to_string(&output)?);
    } else {
        print!("{table}");
    }
    Ok(())
}

fn render(o: &Output) -> String {
    let mut s = format!(
        "{:<12} {:>8} {:>8} {:>8} {:>9}\n",
        "split", "AMI", "NMI", "ARI", "accuracy"
    );
    for (name, sc) in [
        ("train", &o.train),
        ("validation", &o.validation),
        ("test", &o.test),
    ] {
        s += &format!(
            "{name:<12} {:>8.4} {:>8.4} {:>8.4} {:>9.4}\n",
            sc.ami, sc.nmi, sc.ari, sc.accuracy
        );
    }
    s += &format!(
        "inertia {:.2}, {} iterations ({}), {:.2} s\n",
        o.inertia,
        o.iterations,
        if o.converged {
            "converged"
        } else {
            "not converged"
        },
        o.seconds
    );
    s
}
