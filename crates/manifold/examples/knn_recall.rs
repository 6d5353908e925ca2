//! Exact against approximate neighbour searches on the study's training split of the full
//! Fashion-MNIST (`cargo xtask download` first): the time of each and the recall of the
//! approximate ones, for the crate README.
//!
//! ```text
//! cargo run --release -p fmnist-manifold --example knn_recall -- [ROWS] [K] [FEATURES] [SEARCHES]
//! ```
//!
//! Takes the first `ROWS` (default all 48,000) images of the training split (784 pixels in
//! [0, 1]; with `FEATURES` other than 0 or 784, their leading `FEATURES` principal components,
//! to find where the exact search stops paying) and finds each one's `K` (default 15) nearest
//! neighbours exactly and by the approximate searches named in `SEARCHES` (default
//! `descent,projected`: NN-descent with seed 0, and the projected search with 64 directions
//! and oversampling 4). Recall is the share of the exact neighbours (the point itself
//! excluded) that an approximate search finds. The data set is looked for where `fmnist` looks
//! (`$FMNIST_DATA` first); nothing is downloaded.

use std::time::Instant;

use fmnist_decomp::Pca;
use fmnist_io::{Locator, StratifiedSplit};
use fmnist_manifold::{Metric, NeighborSearch, nearest_neighbors_by};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: usize| args.get(i).map_or(Ok(default), |a| a.parse());
    let given = std::env::var_os("FMNIST_DATA").map(std::path::PathBuf::from);
    let (data, _) = Locator::new().data_dir(given).offline().load()?;
    let split = StratifiedSplit::new().split(data.train.labels())?;
    let rows = arg(0, split.train.len())?.min(split.train.len());
    let k = arg(1, 15)?;
    let features = arg(2, 0)?;
    let searches = args.get(3).map_or("descent,projected", String::as_str);
    let mut x = data.train.features(&split.train[..rows])?;
    if features != 0 && features < x.ncols() {
        x = Pca::params(features).fit(&x)?.transform(&x)?;
    }
    let timed = |how: NeighborSearch| {
        let start = Instant::now();
        let found = nearest_neighbors_by(&x, k, Metric::Euclidean, how, 0);
        (found, start.elapsed().as_secs_f64())
    };
    println!("{rows} x {} features, k {k}", x.ncols());
    let (exact, seconds) = timed(NeighborSearch::Exact);
    let exact = exact?;
    println!("Exact: {seconds:.2} s");
    for name in searches.split(',') {
        let how = match name {
            "descent" => NeighborSearch::Descent,
            "projected" => NeighborSearch::Projected {
                dims: 64,
                oversample: 4,
            },
            other => return Err(format!("unknown search {other:?}").into()),
        };
        let (found, seconds) = timed(how);
        let recall = found?.recall(&exact)?;
        println!("{how:?}: {seconds:.2} s, recall {recall:.4}");
    }
    Ok(())
}
