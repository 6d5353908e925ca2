//! Project tasks, run as `cargo xtask <task>` (the alias is in `.cargo/config.toml`).

mod fixtures;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  download [--data-dir DIR]   obtain and verify Fashion-MNIST (same as `fmnist data fetch`)
  fixtures [--data-dir DIR]   regenerate fixtures/fashion-mnist-small from the full data set
  reproduce [--data-dir DIR]  run the whole study (so far: obtains and verifies the data)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some("download") => data_dir_option(&args[1..]).and_then(download),
        Some("fixtures") => data_dir_option(&args[1..]).and_then(fixtures::regenerate),
        Some("reproduce") => data_dir_option(&args[1..]).and_then(reproduce),
        Some(other) => Err(anyhow::anyhow!("unknown task `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Parses the only option the data tasks take: `--data-dir DIR` (else `$FMNIST_DATA`).
fn data_dir_option(args: &[String]) -> anyhow::Result<fmnist_io::Locator> {
    let dir = match args {
        [] => std::env::var_os("FMNIST_DATA").map(Into::into),
        [flag, dir] if flag == "--data-dir" => Some(dir.into()),
        _ => anyhow::bail!("expected at most `--data-dir DIR`, got {args:?}\n\n{USAGE}"),
    };
    Ok(fmnist_io::Locator::new().data_dir(dir))
}

fn download(locator: fmnist_io::Locator) -> anyhow::Result<()> {
    let located = locator.locate(&mut |event| {
        if let fmnist_io::Event::Fetching { source, file } = event {
            eprintln!("fetching {} from {source}", file.file_name());
        }
    })?;
    let (data, provenance) = located.load()?;
    eprintln!(
        "{} training and {} test images, verified: {}",
        data.train.len(),
        data.test.len(),
        provenance.verified
    );
    println!("{}", provenance.dir.display());
    Ok(())
}

/// The study's stages, in the order `reproduce` will run them.
const STAGES: [&str; 7] = [
    "obtain and verify Fashion-MNIST; stratified 48,000 / 12,000 split (seed 0)",
    "PCA, 40 components: explained-variance table and figures",
    "kmeans-raw: K-Means (k 10, n_init 10) on raw pixels",
    "autoencoder: 10 epochs, batch 128; encode train / validation / test",
    "ae-kmeans and ae-gmm: K-Means and GMM on the 784-value bottleneck",
    "Random Forests (100 trees): replace, add, and pixels only",
    "results.json, REPORT.md and figures in report/",
];

/// Runs the stages that exist so far and says which are still to come.
fn reproduce(locator: fmnist_io::Locator) -> anyhow::Result<()> {
    eprintln!("stage 1/{}: {}", STAGES.len(), STAGES[0]);
    download(locator)?;
    eprintln!("\nnot yet implemented (the pipeline issue composes them):");
    for (i, stage) in STAGES.iter().enumerate().skip(1) {
        eprintln!("  stage {}/{}: {stage}", i + 1, STAGES.len());
    }
    anyhow::bail!("the full reproduction is not available yet; only the data stage ran")
}
