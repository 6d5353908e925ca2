//! `fmnist report`: REPORT.md (and the summary table) from a results.json.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use fmnist_pipeline::Results;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The results of a run (`fmnist reproduce` writes report/results.json).
    #[arg(long, default_value = "report/results.json")]
    results: PathBuf,
    /// Where to write the Markdown report [default: REPORT.md beside the results].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn run(args: ReportArgs) -> Result<()> {
    let results = Results::read(&args.results)?;
    let out = args
        .out
        .unwrap_or_else(|| args.results.with_file_name(fmnist_pipeline::REPORT_FILE));
    fmnist_pipeline::report::write(&results, &out)?;
    super::reproduce::print_summary(&results);
    eprintln!("wrote {}", out.display());
    Ok(())
}
