//! `cargo xtask bench predict`: `fmnist predict` timed as a whole process, as a user runs it:
//! a model of each pipeline is fitted once (`fmnist fit`, release build), then the 10,000 test
//! images are labelled from the saved model, and one image is labelled to time the start-up
//! and the model's loading alone. Best of three runs each; the table goes to stdout.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// The pipelines timed.
const PIPELINES: [&str; 2] = ["kmeans-raw", "best"];
/// Runs of each timing; the fastest is reported.
const RUNS: usize = 3;

/// Fits and times every pipeline of [`PIPELINES`] on the data set in `data_dir`.
pub fn run(target: &Path, data_dir: &Path) -> Result<()> {
    let fmnist = crate::cargo::build_fmnist(crate::cargo::Profile::Release)?;
    let work = target.join("bench").join("predict");
    std::fs::create_dir_all(&work)?;
    let test_images = find_test_images(data_dir)?;
    let one_image = work.join("one-image.npy");
    std::fs::write(&one_image, fmnist_io::npy::to_npy(&[1, 28, 28], [0u8; 784]))?;
    println!(
        "{:<12} {:>24} {:>24}",
        "pipeline", "predict 10,000 images (s)", "load + 1 image (s)"
    );
    for pipeline in PIPELINES {
        let model = work.join(format!("{pipeline}.model"));
        let mut fit = Command::new(&fmnist);
        fit.args(["fit", "--pipeline", pipeline, "--data-dir"])
            .arg(data_dir)
            .arg("--out")
            .arg(&model);
        timed(&mut fit)?;
        let out = work.join(format!("{pipeline}.csv"));
        let all = best_of(|| predict(&fmnist, &model, &test_images, &out))?;
        let one = best_of(|| predict(&fmnist, &model, &one_image, &out))?;
        println!("{pipeline:<12} {all:>24.2} {one:>24.2}");
    }
    Ok(())
}

/// The test images file of the data set in `dir` (plain or gzip).
fn find_test_images(dir: &Path) -> Result<PathBuf> {
    ["t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"]
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.exists())
        .with_context(|| format!("no t10k-images-idx3-ubyte(.gz) in {}", dir.display()))
}

/// Seconds of one `fmnist predict` of `images` with `model`.
fn predict(fmnist: &Path, model: &Path, images: &Path, out: &Path) -> Result<f64> {
    let mut command = Command::new(fmnist);
    command
        .arg("predict")
        .arg("--model")
        .arg(model)
        .arg("--images")
        .arg(images)
        .arg("--out")
        .arg(out);
    timed(&mut command)
}

/// Seconds `command` took as a whole process; an error if it failed.
fn timed(command: &mut Command) -> Result<f64> {
    let started = Instant::now();
    let output = command.output().context("running fmnist")?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(started.elapsed().as_secs_f64())
}

/// The fastest of [`RUNS`] timings.
fn best_of(mut time: impl FnMut() -> Result<f64>) -> Result<f64> {
    (0..RUNS).try_fold(f64::INFINITY, |best, _| Ok(best.min(time()?)))
}
