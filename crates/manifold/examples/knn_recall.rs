//! Exact against projected neighbour search on the raw pixels of the study's training split of
//! the full Fashion-MNIST (`cargo xtask download` first): the time of each and the recall of
//! the projected one, for the crate README.
//!
//! ```text
//! cargo run --release -p fmnist-manifold --example knn_recall -- [ROWS] [K] [DIMS] [OVERSAMPLE]
//! ```
//!
//! Takes the first `ROWS` (default all 48,000) images of the training split (784 pixels in
//! [0, 1]) and finds each one's `K` (default 15) nearest neighbours twice: exactly, and by
//! [`NeighborSearch::Projected`] with `DIMS` (default 64) directions and `OVERSAMPLE`
//! (default 4). Recall is the share of the exact neighbours (the point itself excluded) that
//! the projected search finds.

use std::time::Instant;

use fmnist_io::{Locator, StratifiedSplit};
use fmnist_manifold::{Metric, NeighborSearch, nearest_neighbors_by};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: usize| args.get(i).map_or(Ok(default), |a| a.parse());
    let (data, _) = Locator::new().offline().load()?;
    let split = StratifiedSplit::new().split(data.train.labels())?;
    let rows = arg(0, split.train.len())?.min(split.train.len());
    let k = arg(1, 15)?;
    let projected = NeighborSearch::Projected {
        dims: arg(2, 64)?,
        oversample: arg(3, 4)?,
    };
    let x = data.train.features(&split.train[..rows])?;
    let timed = |how: NeighborSearch| {
        let start = Instant::now();
        let found = nearest_neighbors_by(&x, k, Metric::Euclidean, how);
        (found, start.elapsed().as_secs_f64())
    };
    let (exact, exact_seconds) = timed(NeighborSearch::Exact);
    let (approximate, approximate_seconds) = timed(projected);
    let recall = approximate?.recall(&exact?)?;
    println!("{rows} x {} pixels, k {k}", x.ncols());
    println!("exact: {exact_seconds:.2} s");
    println!("{projected:?}: {approximate_seconds:.2} s");
    println!("recall: {recall:.4}");
    Ok(())
}
