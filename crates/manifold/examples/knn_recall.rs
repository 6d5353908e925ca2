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
//! excluded) that an approximate search finds. Then the same for new points: the `K` nearest
//! training images of each of the 10,000 test images (`neighbors_among`; for NN-descent, its
//! graph of the training images built, then searched from each test image). The data set is
//! looked for where `fmnist` looks (`$FMNIST_DATA` first); nothing is downloaded.

use std::time::Instant;

use fmnist_decomp::Pca;
use fmnist_io::{Locator, StratifiedSplit};
use fmnist_manifold::{Metric, NeighborSearch, Neighbors, nearest_neighbors_by, neighbors_among};

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
    let all_test: Vec<usize> = (0..data.test.len()).collect();
    let mut new_points = data.test.features(&all_test)?;
    if features != 0 && features < x.ncols() {
        let pca = Pca::params(features).fit(&x)?;
        (x, new_points) = (pca.transform(&x)?, pca.transform(&new_points)?);
    }
    let searches: Vec<NeighborSearch> = searches
        .split(',')
        .map(|name| match name {
            "descent" => Ok(NeighborSearch::Descent),
            "projected" => Ok(NeighborSearch::Projected {
                dims: 64,
                oversample: 4,
            }),
            other => Err(format!("unknown search {other:?}")),
        })
        .collect::<Result<_, _>>()?;
    println!("{rows} x {} features, k {k}", x.ncols());
    let among_themselves = |how| nearest_neighbors_by(&x, k, Metric::Euclidean, how, 0);
    report("", &searches, among_themselves, Neighbors::recall)?;
    let label = format!(", {} new points", new_points.nrows());
    let among = |how| neighbors_among(&new_points, &x, k, Metric::Euclidean, how, 0);
    report(&label, &searches, among, Neighbors::recall_of_new_points)?;
    Ok(())
}

type Found = fmnist_manifold::Result<Neighbors>;

/// Times the exact search and each of `searches` by `run`, printing `Exact{label}: 1.23 s` and
/// `Descent{label}: 0.45 s, recall 0.9933`.
fn report(
    label: &str,
    searches: &[NeighborSearch],
    run: impl Fn(NeighborSearch) -> Found,
    recall: impl Fn(&Neighbors, &Neighbors) -> fmnist_manifold::Result<f64>,
) -> Result<(), Box<dyn std::error::Error>> {
    let timed = |how| {
        let start = Instant::now();
        let found = run(how);
        (found, start.elapsed().as_secs_f64())
    };
    let (exact, seconds) = timed(NeighborSearch::Exact);
    let exact = exact?;
    println!("Exact{label}: {seconds:.2} s");
    for &how in searches {
        let (found, seconds) = timed(how);
        let recall = recall(&found?, &exact)?;
        println!("{how:?}{label}: {seconds:.2} s, recall {recall:.4}");
    }
    Ok(())
}
