//! Project tasks, run as `cargo xtask <task>` (the alias is in `.cargo/config.toml`).

mod bench;
mod fixtures;
mod tidy;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  download [--data-dir DIR]   obtain and verify Fashion-MNIST (same as `fmnist data fetch`)
  fixtures [--data-dir DIR]   regenerate fixtures/fashion-mnist-small from the full data set
  bench [--data-dir DIR] [NAME] run the criterion benches (all, or one bench/package NAME) beside
                              their Python reference (scikit-learn, umap-learn or Keras, run by
                              python3 or $PYTHON) on the real data; print the ratios
  tidy                        check the code base's own rules: functions of at most 80 lines,
                              a `//!` doc on every crate (also a test of `cargo test`)
  reproduce [OPTIONS]         the whole study: results.json, REPORT.md and figures in report/
                              (builds and runs `fmnist reproduce`; see its --help:
                              --out DIR --seed N --data-dir DIR --quick --threads N
                              --device cpu|cuda|metal --quiet --json)
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
        Some("bench") => bench_args(&args[1..]),
        Some("reproduce") => reproduce(&args[1..]),
        Some("tidy") => tidy::run(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")),
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

/// `bench [--data-dir DIR] [NAME]`.
fn bench_args(args: &[String]) -> anyhow::Result<()> {
    let (only, rest) = match args.last() {
        Some(last) if !last.starts_with("--") && args.len() % 2 == 1 => {
            (Some(last.as_str()), &args[..args.len() - 1])
        }
        _ => (None, args),
    };
    bench::run(data_dir_option(rest)?, only)
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

/// Builds the `fmnist` binary in release mode and runs `fmnist reproduce` with `args`.
fn reproduce(args: &[String]) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args([
            "run",
            "--release",
            "--quiet",
            "-p",
            "fmnist-cli",
            "--",
            "reproduce",
        ])
        .args(args)
        .current_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .status()?;
    anyhow::ensure!(status.success(), "fmnist reproduce failed");
    Ok(())
}
