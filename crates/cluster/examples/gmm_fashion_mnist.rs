//! GaussianMixture on the study's 48,000-image training split of the full Fashion-MNIST, the
//! quality and speed check of the crate README:
//!
//! ```text
//! cargo run --release -p fmnist-cluster --example gmm_fashion_mnist -- pca40 [full|tied|diag|spherical]
//! cargo run --release -p fmnist-cluster --example gmm_fashion_mnist -- raw [full|...] [MAX_ITER|-] [SPLIT_OUT]
//! ```
//!
//! `pca40` fits k = 10 (seed 0, K-Means start, scikit-learn's defaults) on PCA-40 of the
//! training split and prints the lower bound, iterations, fit seconds and the AMI of the test
//! set's predicted components against its classes; `raw` does the same on the 784 raw pixels
//! (`MAX_ITER` with `tol` 0 times a fixed number of EM iterations; `-` keeps the defaults).
//! With `SPLIT_OUT`, writes the training split's indices (one per line) for
//! `benches/sklearn_gmm.py`, so that scikit-learn sees the same samples.

#[path = "../benches/common/pca40.rs"]
mod pca40;

use std::time::Instant;

use fmnist_cluster::{Covariance, GaussianMixture};
use fmnist_io::{Locator, StratifiedSplit};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let features = args.next().unwrap_or_else(|| "pca40".into());
    let covariance: Covariance = args.next().map_or(Ok(Covariance::Full), |a| a.parse())?;
    let max_iter: Option<usize> = args
        .next()
        .filter(|a| a != "-")
        .map(|a| a.parse())
        .transpose()?;
    let split_out = args.next();
    let (data, _) = Locator::new().offline().load()?;
    let split = StratifiedSplit::new().split(data.train.labels())?;
    if let Some(path) = split_out {
        let text: String = split.train.iter().map(|i| format!("{i}\n")).collect();
        std::fs::write(path, text)?;
    }
    let mut x = data.train.features(&split.train)?;
    let mut x_test = data.test.all_features();
    if features == "pca40" {
        let start = Instant::now();
        let pca = pca40::Pca::fit(&x, 40);
        x = pca.transform(&x);
        x_test = pca.transform(&x_test);
        eprintln!("PCA-40 in {:.2} s", start.elapsed().as_secs_f64());
    }
    let mut params = GaussianMixture::params(10).covariance(covariance).seed(0);
    if let Some(m) = max_iter {
        params = params.max_iter(m).tol(0.0);
    }
    let start = Instant::now();
    let gmm = params.fit(&x)?;
    let seconds = start.elapsed().as_secs_f64();
    let truth: Vec<u8> = split
        .train
        .iter()
        .map(|&i| data.train.labels()[i])
        .collect();
    let train_ami = fmnist_eval::adjusted_mutual_info(&truth, &gmm.predict(&x)?)?;
    let test_ami = fmnist_eval::adjusted_mutual_info(data.test.labels(), &gmm.predict(&x_test)?)?;
    println!(
        "{features} {}: lower bound {:.6}, iterations {}, converged {}, fit {seconds:.2} s \
         ({:.3} s per iteration incl. start), train AMI {train_ami:.4}, test AMI {test_ami:.4}",
        covariance.name(),
        gmm.lower_bound(),
        gmm.n_iter(),
        gmm.converged(),
        seconds / gmm.n_iter() as f64,
    );
    Ok(())
}
