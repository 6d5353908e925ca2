//! Project tasks, run as `cargo xtask <task>` (the alias is in `.cargo/config.toml`).

mod fixtures;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  download [--data-dir DIR]   obtain and verify Fashion-MNIST (same as `fmnist data fetch`)
  fixtures [--data-dir DIR]   regenerate fixtures/fashion-mnist-small from the full data set
  reproduce                   run the whole study (lands with the pipeline issue)
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
