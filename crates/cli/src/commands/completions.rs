//! `fmnist completions SHELL`: the shell's completion script on stdout.

use std::io::Write;

use anyhow::Result;
use clap::Args;
use clap_complete::Shell;

#[derive(Debug, Args)]
#[command(after_help = "\
Install, for example:
  bash: fmnist completions bash > ~/.local/share/bash-completion/completions/fmnist
  zsh:  fmnist completions zsh > ~/.zfunc/_fmnist   (with fpath+=~/.zfunc before compinit)
  fish: fmnist completions fish > ~/.config/fish/completions/fmnist.fish")]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: Shell,
}

/// Writes the completion script of `command` for the chosen shell to stdout.
pub fn run(args: CompletionsArgs, mut command: clap::Command) -> Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "fmnist", &mut script);
    std::io::stdout().lock().write_all(&script)?;
    Ok(())
}
