//! UMAP on PCA-40 of the study's training split of the full Fashion-MNIST (`cargo xtask
//! download` first): the speed and quality check of the crate README.
//!
//! ```text
//! cargo run --release -p fmnist-manifold --example umap_fashion_mnist -- [ROWS] [DIMS] [NEIGHBORS] [MIN_DIST] [OUT] [raw]
//! ```
//!
//! Takes the first `ROWS` (default all 48,000) images of the training split, projects them on
//! their 40 leading principal components, fits a `DIMS`-dimensional (default 2) embedding with
//! `NEIGHBORS` (default 15) and `MIN_DIST` (default 0.1), seed 0, and prints the time of each
//! stage and the trustworthiness (k = 10) when `ROWS` is at most 10,000. With `OUT`, writes
//! the embedding there as CSV (one row per image, the class last) for a look in Python. With
//! `raw`, embeds the 784 pixels instead of PCA-40 (`-` skips an argument).
//! Beside wall-clock seconds, each stage shows the process's CPU seconds (Linux), the fairer
//! measure on a shared machine.

use std::time::Instant;

use fmnist_decomp::Pca;
use fmnist_io::{Locator, StratifiedSplit};
use fmnist_manifold::{Progress, Umap, trustworthiness};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).filter(|a| a.as_str() != "-");
    let (data, _) = Locator::new().offline().load()?;
    let split = StratifiedSplit::new().split(data.train.labels())?;
    let rows = arg(0).map_or(Ok(split.train.len()), |a| a.parse())?;
    let dims = arg(1).map_or(Ok(2), |a| a.parse())?;
    let neighbors = arg(2).map_or(Ok(15), |a| a.parse())?;
    let min_dist = arg(3).map_or(Ok(0.1), |a| a.parse())?;
    let indices = &split.train[..rows.min(split.train.len())];
    let x = data.train.features(indices)?;
    let x = if arg(5).is_some_and(|a| a == "raw") {
        x
    } else {
        let start = Instant::now();
        let x = Pca::params(40).fit(&x)?.transform(&x)?;
        eprintln!("PCA-40: {:.2} s", start.elapsed().as_secs_f64());
        x
    };
    let params = Umap::params()
        .n_components(dims)
        .n_neighbors(neighbors)
        .min_dist(min_dist)
        .seed(0);
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    let mut last = (start, cpu_start);
    let model = params.fit_with_progress(&x, &mut |p| {
        if matches!(p, Progress::Epoch { done, total } if done < total) {
            return;
        }
        let cpu = cpu_seconds();
        let lap = last.0.elapsed().as_secs_f64();
        eprintln!("{p:?}: {lap:.2} s (CPU {:.2} s)", cpu - last.1);
        last = (Instant::now(), cpu);
    })?;
    println!(
        "fit: {:.2} s (CPU {:.2} s)",
        start.elapsed().as_secs_f64(),
        cpu_seconds() - cpu_start
    );
    if x.nrows() <= 10_000 {
        let t = trustworthiness(&x, model.embedding(), 10)?;
        println!("trustworthiness (k = 10): {t:.4}");
    }
    if let Some(out) = arg(4) {
        let e = model.embedding();
        let text: String = (0..e.nrows())
            .map(|i| {
                let coords: Vec<String> = e.row(i).iter().map(|v| v.to_string()).collect();
                format!("{},{}\n", coords.join(","), data.train.labels()[indices[i]])
            })
            .collect();
        std::fs::write(out, text)?;
    }
    Ok(())
}

/// User + system CPU seconds of this process so far (0 where /proc is missing).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let ticks: f64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}
