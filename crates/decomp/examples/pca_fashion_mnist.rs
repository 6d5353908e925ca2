//! PCA on the study's 48,000-image training split of the full Fashion-MNIST, the quality and
//! speed check of the crate README:
//!
//! ```text
//! cargo run --release -p fmnist-decomp --example pca_fashion_mnist
//! ```

use std::time::Instant;

use fmnist_decomp::{Method, Pca};
use fmnist_io::{Locator, StratifiedSplit};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (data, _) = Locator::new().offline().load()?;
    let split = StratifiedSplit::new().split(data.train.labels())?;
    let x = data.train.features(&split.train)?;
    for method in [Method::Covariance, Method::Covariance, Method::Randomized] {
        let start = Instant::now();
        let pca = Pca::params(40).method(method).fit(&x)?;
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{method:?}: cumulative ratio of 40 components {:.6}, {seconds:.3} s",
            pca.cumulative_explained_variance_ratio()
        );
        let ratios: Vec<String> = pca.explained_variance_ratio()[..10]
            .iter()
            .map(|r| format!("{r:.6}"))
            .collect();
        println!("  first ratios: {}", ratios.join(" "));
    }
    Ok(())
}
