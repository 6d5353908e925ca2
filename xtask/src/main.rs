//! Project tasks, run as `cargo xtask <task>` (the alias is in `.cargo/config.toml`).

mod bench;
mod bench_rows;
mod cargo;
mod compare;
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
  bench --compare [--study] [--data-dir DIR]
                              each stage as a whole process, ours and the Python
                              reference's, one after the other; writes bench/RESULTS.md
                              and copies each crate's rows into its README
                              (--study: the whole `fmnist reproduce` too, minutes)
  bench --copy-rows           copy the rows of bench/RESULTS.md into the crate READMEs
  tidy                        check the code base's own rules: functions of at most 80 lines,
                              a `//!` doc on every crate (also a test of `cargo test`)
  reproduce [--test-build] [OPTIONS]
                              the whole study: results.json, REPORT.md and figures in report/
                              (builds and runs `fmnist reproduce`; see its --help:
                              --out DIR --seed N --data-dir DIR --quick --threads N
                              --device cpu|cuda|metal --quiet --json). --test-build runs
                              the binary `cargo test --workspace` builds (dev profile: nothing
                              to compile after the tests, slower to run; what CI uses)
  readme [--check]            rewrite the README's generated numbers from the committed run,
                              report/results.json (--check: fail if they differ instead)
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
        Some("readme") => readme(&args[1..]),
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

/// `bench [--data-dir DIR] [NAME]`, `bench --compare [--study] [--data-dir DIR]` or
/// `bench --copy-rows`.
fn bench_args(args: &[String]) -> anyhow::Result<()> {
    if args.first().is_some_and(|a| a == "--copy-rows") {
        anyhow::ensure!(
            args.len() == 1,
            "`bench --copy-rows` takes no arguments\n\n{USAGE}"
        );
        return bench_rows::copy(&cargo::root());
    }
    if args.first().is_some_and(|a| a == "--compare") {
        let study = args.get(1).is_some_and(|a| a == "--study");
        let locator = data_dir_option(&args[1 + usize::from(study)..])?;
        let located = locator.locate(&mut |_| {})?;
        let python = bench::python_with_scikit_learn();
        return compare::run(&cargo::root(), located.dir(), python.as_deref(), study);
    }
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

/// Builds the `fmnist` binary in release mode (cargo's progress on stderr; `--test-build`: the
/// one the test suite builds) and runs `fmnist reproduce` with the other `args` in the workspace root,
/// telling it the checkout's commit (`FMNIST_COMMIT`) where git knows it.
fn reproduce(args: &[String]) -> anyhow::Result<()> {
    let test_build = args.iter().any(|a| a == "--test-build");
    let profile = if test_build {
        cargo::Profile::Test
    } else {
        cargo::Profile::Release
    };
    let fmnist = cargo::build_fmnist(profile)?;
    let mut command = std::process::Command::new(fmnist);
    if let Some(commit) = git_commit(&cargo::root()) {
        command.env("FMNIST_COMMIT", commit);
    }
    let status = command
        .arg("reproduce")
        .args(args.iter().filter(|a| *a != "--test-build"))
        .current_dir(cargo::root())
        .status()?;
    anyhow::ensure!(status.success(), "fmnist reproduce failed");
    Ok(())
}

/// `readme [--check]`: `fmnist report --readme README.md` on the committed run.
fn readme(args: &[String]) -> anyhow::Result<()> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => anyhow::bail!("expected at most `--check`, got {args:?}\n\n{USAGE}"),
    };
    let fmnist = cargo::build_fmnist(cargo::Profile::Dev)?;
    let status = std::process::Command::new(fmnist)
        .args([
            "report",
            "--results",
            "report/results.json",
            "--readme",
            "README.md",
        ])
        .args(check.then_some("--check"))
        .current_dir(cargo::root())
        .status()?;
    anyhow::ensure!(status.success(), "fmnist report --readme failed");
    Ok(())
}

/// `git rev-parse HEAD` of the checkout at `root`, with `-dirty` where tracked files have
/// changes; `None` without git or outside a repository (the run then records `unknown`).
fn git_commit(root: &std::path::Path) -> Option<String> {
    let git = |args: &[&str]| {
        let output = std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "HEAD"])?;
    let dirty = !git(&["status", "--porcelain", "--untracked-files=no"])?.is_empty();
    Some(if dirty {
        format!("{commit}-dirty")
    } else {
        commit
    })
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
