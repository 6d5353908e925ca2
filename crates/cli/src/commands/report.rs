//! `fmnist report`: REPORT.md (and the summary table) from a results.json, or the generated
//! sections of a README.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use fmnist_pipeline::Results;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The results of a run (`fmnist reproduce` writes report/results.json).
    #[arg(long, default_value = "report/results.json")]
    results: PathBuf,
    /// Where to write the Markdown report [default: REPORT.md beside the results].
    #[arg(long, value_name = "FILE", conflicts_with = "readme")]
    out: Option<PathBuf>,
    /// Instead of the report, rewrite the generated parts of this README (the text between
    /// `<!-- results:NAME -->` and `<!-- /results:NAME -->` markers) from the results.
    #[arg(long, value_name = "FILE")]
    readme: Option<PathBuf>,
    /// With --readme: write nothing, and fail if the README differs from the results.
    #[arg(long, requires = "readme")]
    check: bool,
}

pub fn run(args: ReportArgs) -> Result<()> {
    let results = Results::read(&args.results)?;
    if let Some(readme) = &args.readme {
        return update_readme(readme, &results, args.check);
    }
    let out = args
        .out
        .unwrap_or_else(|| args.results.with_file_name(fmnist_pipeline::REPORT_FILE));
    fmnist_pipeline::report::write(&results, &out)?;
    super::reproduce::print_summary(&results);
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// Rewrites (or with `check`, compares) the generated sections of `path`.
fn update_readme(path: &Path, results: &Results, check: bool) -> Result<()> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--readme {}: cannot read it", path.display()))?;
    let updated = fmnist_pipeline::readme::update(&text, results)
        .with_context(|| format!("--readme {}", path.display()))?;
    if updated == text {
        eprintln!("{} agrees with the results", path.display());
    } else if check {
        bail!(
            "{} differs from the results; run `cargo xtask readme` to update it",
            path.display()
        );
    } else {
        fmnist_core::write_bytes_atomically(path, updated.as_bytes())?;
        eprintln!("updated {}", path.display());
    }
    Ok(())
}
