//! The quality bar on the full Fashion-MNIST: a forest on the study's 48,000 training images
//! (pixels as `u8`), accuracy on the 10,000 test images, and the time of fit and prediction.
//!
//! `cargo run --release -p fmnist-forest --example fashion -- [TREES] [SEED] [THREADS] [add]`
//! (defaults 100, 0 and rayon's default). With `add`, the study's "add" features: the pixels plus
//! the cluster of a K-Means (10 clusters, `n_init` 10, seed 0, fmnist-cluster) fitted to the
//! training images scaled to `[0, 1]`; the K-Means time is reported apart. Data: `Locator::new()` (`$FMNIST_DATA`, ./data, the
//! Debian package location, else a download).

use std::time::Instant;

use fmnist_forest::RandomForest;
use nalgebra::DMatrix;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let trees: usize = args.first().map_or(Ok(100), |a| a.parse())?;
    let seed: u64 = args.get(1).map_or(Ok(0), |a| a.parse())?;
    let add = args.get(3).is_some_and(|a| a == "add");
    if let Some(threads) = args.get(2).filter(|t| *t != "0") {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads.parse()?)
            .build_global()?;
    }
    let (data, _) = fmnist_io::Locator::new().offline().load()?;
    let split = fmnist_io::StratifiedSplit::new().split(data.train.labels())?;
    let pixels = |set: &fmnist_io::Dataset, rows: &[usize]| {
        let d = set.pixels_per_image();
        DMatrix::from_fn(rows.len(), d, |r, j| {
            set.image(rows[r]).expect("in range")[j]
        })
    };
    let mut x_train = pixels(&data.train, &split.train);
    let y_train: Vec<u8> = split
        .train
        .iter()
        .map(|&i| data.train.labels()[i])
        .collect();
    let test_rows: Vec<usize> = (0..data.test.len()).collect();
    let mut x_test = pixels(&data.test, &test_rows);
    let mut kmeans_seconds = 0.0;
    if add {
        let start = Instant::now();
        let kmeans = fmnist_cluster::KMeans::params(10)
            .n_init(10)
            .seed(0)
            .fit(&data.train.features(&split.train)?)?;
        let to_u8 =
            |labels: Vec<usize>| -> Vec<u8> { labels.into_iter().map(|l| l as u8).collect() };
        let train_labels = to_u8(kmeans.labels().to_vec());
        let test_labels = to_u8(kmeans.predict(&data.test.features(&test_rows)?)?);
        kmeans_seconds = start.elapsed().as_secs_f64();
        x_train = fmnist_forest::add_label_column(&x_train, &train_labels)?;
        x_test = fmnist_forest::add_label_column(&x_test, &test_labels)?;
    }

    let start = Instant::now();
    let forest = RandomForest::params()
        .n_trees(trees)
        .seed(seed)
        .fit(&x_train, &y_train)?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let predicted = forest.predict(&x_test)?;
    let predict_seconds = start.elapsed().as_secs_f64();
    let correct = predicted
        .iter()
        .zip(data.test.labels())
        .filter(|&(&p, &t)| p == u32::from(t))
        .count();
    let stats = forest.tree_stats();
    println!(
        "{{\"features\": \"{}\", \"trees\": {trees}, \"seed\": {seed}, \"threads\": {}, \"accuracy\": {:.4}, \"fit_seconds\": {fit_seconds:.3}, \"predict_seconds\": {predict_seconds:.3}, \"mean_depth\": {:.1}, \"mean_leaves\": {:.0}, \"kmeans_seconds\": {kmeans_seconds:.3}}}",
        if add { "pixels+kmeans" } else { "pixels" },
        rayon::current_num_threads(),
        correct as f64 / predicted.len() as f64,
        stats.mean_depth,
        stats.mean_leaves,
    );
    Ok(())
}
