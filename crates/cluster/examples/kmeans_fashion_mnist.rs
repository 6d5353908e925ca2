//! K-Means on the study's 48,000-image training split of the full Fashion-MNIST, the quality
//! and speed check of the crate README:
//!
//! ```text
//! cargo run --release -p fmnist-cluster --example kmeans_fashion_mnist -- [N_INIT] [ALGORITHM] [LABELS_OUT]
//! ```
//!
//! `ALGORITHM` is `lloyd`, `hamerly`, `elkan` or `auto` (default). Prints inertia, iterations
//! and seconds; with `LABELS_OUT`, writes the predicted test labels (one per line) for scoring
//! against the true ones.

use std::time::Instant;

use fmnist_cluster::{Algorithm, KMeans};
use fmnist_io::{Locator, StratifiedSplit};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n_init: usize = args.next().map_or(Ok(10), |a| a.parse())?;
    let algorithm = match args.next().as_deref() {
        None | Some("auto") => Algorithm::Auto,
        Some("lloyd") => Algorithm::Lloyd,
        Some("hamerly") => Algorithm::Hamerly,
        Some("elkan") => Algorithm::Elkan,
        Some(other) => return Err(format!("unknown algorithm {other}").into()),
    };
    let labels_out = args.next();
    let (data, _) = Locator::new().offline().load()?;
    let split = StratifiedSplit::new().split(data.train.labels())?;
    let x = data.train.features(&split.train)?;
    let x_test = data.test.all_features();
    let start = Instant::now();
    let km = KMeans::params(10)
        .n_init(n_init)
        .algorithm(algorithm)
        .seed(0)
        .fit(&x)?;
    let seconds = start.elapsed().as_secs_f64();
    let test = km.predict(&x_test)?;
    println!(
        "n_init {n_init}, {algorithm:?}: inertia {:.2}, iterations {}, converged {}, {seconds:.2} s",
        km.inertia(),
        km.n_iter(),
        km.converged()
    );
    if let Some(path) = labels_out {
        let text: String = test.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(path, text)?;
    }
    Ok(())
}
