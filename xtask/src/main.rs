//! Project tasks, run as `cargo xtask <task>` (the alias is in `.cargo/config.toml`).

mod bench;
mod compare;
mod fixtures;
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
                              (--study: the whole `fmnist reproduce` too, minutes)
  tidy                        check the code base's own rules: functions of at most 80 lines,
                              a `//!` doc on every crate (also a test of `cargo test`)
  readme [--check]            rewrite the README's generated numbers from the committed run,
                              report/results.json (--check: fail if they differ instead)
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
        Some("readme") => readme(&args[1..]),
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

/// `bench [--data-dir DIR] [NAME]`, or `bench --compare [--study] [--data-dir DIR]`.
fn bench_args(args: &[String]) -> anyhow::Result<()> {
    if args.first().is_some_and(|a| a == "--compare") {
        let study = args.get(1).is_some_and(|a| a == "--study");
        let locator = data_dir_option(&args[1 + usize::from(study)..])?;
        let located = locator.locate(&mut |_| {})?;
        let (root, _) = bench::workspace();
        let python = bench::python_with_scikit_learn();
        return compare::run(&root, located.dir(), python.as_deref(), study);
    }
    let (only, rest) = match args.last() {
        Some(last) if !last.starts_with("--") && args.len() % 2 == 1 => {
            (Some(last.as_str()), &args[..args.len() - 1])
        }
        _ => (None, args),
    };
    let locator = data_dir_option(rest)?;
    if only == Some("predict") {
        let (root, target) = bench::workspace();
        let located = locator.locate(&mut |_| {})?;
        return predict_bench::run(&root, &target, located.dir());
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

/// Builds the `fmnist` binary in release mode and runs `fmnist reproduce` with `args`, telling
/// it the checkout's commit (`FMNIST_COMMIT`) where git knows it.
fn reproduce(args: &[String]) -> anyhow::Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    if let Some(commit) = git_commit(&root) {
        command.env("FMNIST_COMMIT", commit);
    }
    command
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
        .current_dir(&root);
    let status = without_run_environment(&mut command).status()?;
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
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command
        .args(["run", "--quiet", "-p", "fmnist-cli", "--", "report"])
        .args(["--results", "report/results.json", "--readme", "README.md"])
        .args(check.then_some("--check"))
        .current_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    let status = without_run_environment(&mut command).status()?;
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

/// Variables that `cargo run` sets for the program it runs (here xtask itself), described in
/// the Cargo book's "environment variables Cargo sets for crates".
const RUN_VARIABLES: &[&str] = &[
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "CARGO_RUSTC_CURRENT_DIR",
    "OUT_DIR",
];

/// `command` (a nested cargo) without the variables `cargo run` set for xtask.
///
/// A nested cargo that inherits them sees a different environment from the outer one: build
/// scripts that track such a variable then rerun, and everything that depends on them is
/// rebuilt, by each cargo in turn. ring's build script tracks `CARGO_MANIFEST_DIR`
/// (`rerun-if-env-changed`), so every `cargo xtask reproduce` rebuilt ring, rustls, ureq,
/// fmnist-io and both binaries twice.
fn without_run_environment(command: &mut std::process::Command) -> &mut std::process::Command {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if RUN_VARIABLES.contains(&name.as_ref()) || name.starts_with("CARGO_PKG_") {
            command.env_remove(name.as_ref());
        }
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commit_is_a_full_hash_or_nothing() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        // without git, or outside a checkout, there is none to give
        if let Some(commit) = git_commit(&root) {
            let hash = commit.strip_suffix("-dirty").unwrap_or(&commit);
            assert!(
                hash.len() == 40 && hash.chars().all(|c| c.is_ascii_hexdigit()),
                "{commit}"
            );
        }
        assert_eq!(git_commit(std::path::Path::new("/")), None);
    }

    #[test]
    fn the_nested_cargo_does_not_inherit_what_cargo_run_set_for_xtask() {
        // `cargo test` sets these for the test binary as `cargo run` does for xtask.
        assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
        assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
        let mut command = std::process::Command::new("cargo");
        without_run_environment(&mut command);
        let removed: Vec<String> = command
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        assert!(
            removed.contains(&"CARGO_MANIFEST_DIR".to_string()),
            "{removed:?}"
        );
        assert!(
            removed.contains(&"CARGO_PKG_NAME".to_string()),
            "{removed:?}"
        );
        assert!(
            !removed
                .iter()
                .any(|n| n == "CARGO" || n == "PATH" || n == "CARGO_HOME")
        );
    }
}
