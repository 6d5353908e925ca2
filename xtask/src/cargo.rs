//! Nested cargo: a `cargo` command that sees the environment the user's cargo saw, and the
//! `fmnist` binary built with cargo's progress on stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// The workspace root (the parent of xtask's manifest directory).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `cargo` (the one that runs xtask), in the workspace root, without the variables that
/// `cargo run` set for xtask.
pub fn command() -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(root());
    without_run_environment(&mut command);
    command
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
pub fn without_run_environment(command: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if RUN_VARIABLES.contains(&name.as_ref()) || name.starts_with("CARGO_PKG_") {
            command.env_remove(name.as_ref());
        }
    }
    command
}

/// A cargo profile of the `fmnist` binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `dev`: what `cargo build` and `cargo test` build (quick to build, shared with the tests).
    Dev,
    /// `release`: what the timings and `cargo xtask reproduce` use.
    Release,
    /// The `fmnist` the test suite builds (`cargo test --workspace --no-run`: the dev profile
    /// with the features the tests unify), so nothing is compiled after `cargo test`.
    Test,
}

/// Builds the `fmnist` binary in `profile`, with cargo's own progress on stderr, and returns
/// its path (wherever the target directory is: cargo reports the executable it built).
pub fn build_fmnist(profile: Profile) -> Result<PathBuf> {
    let (name, args): (&str, &[&str]) = match profile {
        Profile::Dev => ("dev", &["build", "-p", "fmnist-cli", "--bin", "fmnist"]),
        Profile::Release => (
            "release",
            &["build", "--release", "-p", "fmnist-cli", "--bin", "fmnist"],
        ),
        Profile::Test => (
            "as the tests build it",
            &["test", "--workspace", "--no-run"],
        ),
    };
    eprintln!("building fmnist ({name})…");
    let mut command = command();
    command
        .args(args)
        .arg("--message-format=json-render-diagnostics");
    // stdout carries cargo's JSON messages; stderr (progress, warnings, errors) is the user's.
    let output = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo build")?;
    if !output.status.success() {
        bail!("building fmnist ({name}) failed");
    }
    executable(&String::from_utf8_lossy(&output.stdout))
        .context("cargo build did not report the fmnist executable")
}

/// The path of the `fmnist` executable in cargo's JSON messages `messages`.
fn executable(messages: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "fmnist")
        // The binary itself, not its unit tests' harness (`cargo test` builds both).
        .filter(|m| m["target"]["kind"][0] == "bin" && m["profile"]["test"] == false)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nested_cargo_does_not_inherit_what_cargo_run_set_for_xtask() {
        // `cargo test` sets these for the test binary as `cargo run` does for xtask.
        assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
        assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
        let command = command();
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

    #[test]
    fn the_executable_is_read_from_cargos_messages() {
        // As `cargo test --no-run` reports them: the binary's unit-test harness first, then
        // the binary itself.
        let messages = r#"{"reason":"compiler-artifact","target":{"name":"fmnist_core","kind":["lib"]},"profile":{"test":false},"executable":null}
{"reason":"compiler-artifact","target":{"name":"fmnist","kind":["bin"]},"profile":{"test":true},"executable":"/t/debug/deps/fmnist-0123"}
{"reason":"compiler-artifact","target":{"name":"fmnist","kind":["bin"]},"profile":{"test":false},"executable":"/t/release/fmnist"}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            executable(messages),
            Some(PathBuf::from("/t/release/fmnist"))
        );
        assert_eq!(executable("not json\n"), None);
    }
}
