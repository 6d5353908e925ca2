//! Project tasks, run as `cargo xtask <task>` (the alias is in `.cargo/config.toml`).

mod bench;
mod cargo;
mod fixtures;
mod package;
mod predict_bench;
mod tidy;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  download [--data-dir DIR]   obtain and verify Fashion-MNIST (same as `fmnist data fetch`)
  fixtures [--data-dir DIR]   regenerate fixtures/fashion-mnist-small from the full data set
  bench [--data-dir DIR] [NAME] run the criterion benches (all, or one bench/package NAME) beside
                              their Python reference (scikit-learn, umap-learn or Keras, run by
                              python3 or $PYTHON) on the real data; print the ratios.
                              `bench predict` times `fmnist predict` of the 10,000 test images
                              as whole processes, from models of kmeans-raw and best
  tidy                        check the code base's own rules: functions of at most 80 lines,
                              a `//!` doc on every crate (also a test of `cargo test`)
  reproduce [OPTIONS]         the whole study: results.json, REPORT.md and figures in report/
                              (builds and runs `fmnist reproduce`; see its --help:
                              --out DIR --seed N --data-dir DIR --quick --threads N
                              --device cpu|cuda|metal --quiet --json)
  man [--out DIR]             the manual pages of `fmnist` (roff, fmnist.1 and one per
                              subcommand) into DIR, default target/man: `man -l DIR/fmnist.1`
  package [--offline]         check that every publishable crate packages for crates.io
                              (metadata, README and license files inside, manifests that
                              resolve); the .crate files go to target/package (also a test
                              of `cargo test`, offline)
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
        Some("man") => man(&args[1..]),
        Some("package") => package(&args[1..]),
        Some("tidy") => tidy::run(&cargo::root()),
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
    let locator = data_dir_option(rest)?;
    if only == Some("predict") {
        let (_, target) = bench::workspace();
        let located = locator.locate(&mut |_| {})?;
        return predict_bench::run(&target, located.dir());
    }
    bench::run(locator, only)
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

/// Builds the `fmnist` binary in release mode (cargo's progress on stderr) and runs
/// `fmnist reproduce` with `args` in the workspace root.
fn reproduce(args: &[String]) -> anyhow::Result<()> {
    let fmnist = cargo::build_fmnist(cargo::Profile::Release)?;
    let status = std::process::Command::new(fmnist)
        .arg("reproduce")
        .args(args)
        .current_dir(cargo::root())
        .status()?;
    anyhow::ensure!(status.success(), "fmnist reproduce failed");
    Ok(())
}

/// `man [--out DIR]`: builds `fmnist` (dev profile, as the tests do) and writes its manual
/// pages into DIR (default `target/man`).
fn man(args: &[String]) -> anyhow::Result<()> {
    let out = match args {
        [] => bench::workspace().1.join("man"),
        [flag, dir] if flag == "--out" => dir.into(),
        _ => anyhow::bail!("expected at most `--out DIR`, got {args:?}\n\n{USAGE}"),
    };
    std::fs::create_dir_all(&out)?;
    let fmnist = cargo::build_fmnist(cargo::Profile::Dev)?;
    let status = std::process::Command::new(fmnist)
        .arg("man")
        .arg("--out")
        .arg(&out)
        .status()?;
    anyhow::ensure!(status.success(), "fmnist man failed");
    println!("{}", out.display());
    Ok(())
}

/// `package [--offline]`.
fn package(args: &[String]) -> anyhow::Result<()> {
    let offline = match args {
        [] => false,
        [flag] if flag == "--offline" => true,
        _ => anyhow::bail!("expected at most `--offline`, got {args:?}\n\n{USAGE}"),
    };
    package::run(&package::Options {
        offline,
        target_dir: None,
    })
}
