//! `fmnist man --out DIR` (what `cargo xtask man` runs): one roff manual page per command,
//! `fmnist.1` and `fmnist-<subcommand>.1` (`fmnist-data-fetch.1`, ...), for `man -l` or a
//! `man1` directory on the `MANPATH`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The directory to write the pages to (it must exist).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Writes the manual pages of `command` and of its visible subcommands into `--out`.
pub fn run(args: ManArgs, command: clap::Command) -> Result<()> {
    anyhow::ensure!(
        args.out.is_dir(),
        "--out {}: not a directory",
        args.out.display()
    );
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let written = write_pages(&command, &args.out)?;
    eprintln!("wrote {written} manual pages to {}", args.out.display());
    Ok(())
}

/// Writes the page of `command` and those of its visible subcommands, recursively, into `out`;
/// returns how many.
fn write_pages(command: &clap::Command, out: &Path) -> Result<usize> {
    let mut written = 0;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        written += write_pages(sub, out)?;
    }
    let page = clap_mangen::Man::new(command.clone());
    let mut roff = Vec::new();
    page.render(&mut roff)?;
    let path = out.join(page.get_filename());
    fmnist_core::write_bytes_atomically(&path, &roff)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(written + 1)
}
