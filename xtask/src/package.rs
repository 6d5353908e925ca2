//! `cargo xtask package`: every publishable crate of the workspace is ready for crates.io.
//!
//! - its manifest has what crates.io shows: a description, the license, the repository, a
//!   readme, 1 to 5 keywords (at most 20 characters, ASCII letters, digits, `-`, `_`, `+`,
//!   starting with a letter) and at least one category;
//! - its package holds `Cargo.toml`, that readme and both license texts (`LICENSE-MIT`,
//!   `LICENSE-APACHE`, links to the root's files in each crate);
//! - all of them package (`cargo package --no-verify`) into `.crate` files whose manifests
//!   resolve: packaged together, the path dependencies between them resolve through cargo's
//!   local overlay of the crates being packaged instead of crates.io, where they are not
//!   published yet.
//!
//! `--no-verify` skips building each `.crate` (which would compile the whole dependency tree
//! again, minutes on 2 cores); what building checks, `cargo build` of the workspace already
//! does. The test of this module runs the check `--offline`, into a temporary target directory,
//! in about two seconds.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// The license files every package must carry.
const LICENSE_FILES: [&str; 2] = ["LICENSE-MIT", "LICENSE-APACHE"];

/// How to run the check.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Never use the network (cargo's `--offline`): resolve from the local registry cache.
    pub offline: bool,
    /// Where cargo writes the packages (`<dir>/package/*.crate`; default: the target dir).
    pub target_dir: Option<PathBuf>,
}

/// Checks every publishable crate of the workspace; prints the `.crate` files written.
pub fn run(options: &Options) -> Result<()> {
    let crates = check(options)?;
    for path in &crates {
        println!("{}", path.display());
    }
    eprintln!("{} crates packaged", crates.len());
    Ok(())
}

/// The check: every publishable crate's manifest and file list, then all of them packaged
/// together. Returns the `.crate` files.
pub fn check(options: &Options) -> Result<Vec<PathBuf>> {
    let (packages, target) = publishable(options)?;
    let mut problems = Vec::new();
    for package in &packages {
        problems.extend(manifest_problems(package));
        problems.extend(listing_problems(package, options)?);
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    let target = options.target_dir.clone().unwrap_or(target);
    package_all(&packages, &target, options)
}

/// The workspace's publishable packages (cargo metadata) and its target directory.
fn publishable(options: &Options) -> Result<(Vec<Value>, PathBuf)> {
    let mut command = cargo(options);
    command.args(["metadata", "--no-deps", "--format-version", "1"]);
    let metadata: Value = serde_json::from_slice(&stdout_of(&mut command)?)?;
    let packages = metadata["packages"]
        .as_array()
        .context("cargo metadata lists no packages")?
        .iter()
        // `publish = false` is `[]`; unset is null
        .filter(|p| p["publish"] != serde_json::json!([]))
        .cloned()
        .collect();
    let target = metadata["target_directory"]
        .as_str()
        .context("cargo metadata has no target directory")?;
    Ok((packages, target.into()))
}

/// What crates.io would lack in `package`'s manifest, one line each.
fn manifest_problems(package: &Value) -> Vec<String> {
    let name = package["name"].as_str().unwrap_or("?");
    let mut problems: Vec<String> = ["description", "license", "repository", "readme"]
        .into_iter()
        .filter(|field| package[field].as_str().is_none_or(str::is_empty))
        .map(|field| format!("{name}: no `{field}` in Cargo.toml"))
        .collect();
    let keywords = strings(&package["keywords"]);
    if !(1..=5).contains(&keywords.len()) {
        problems.push(format!(
            "{name}: {} keywords (crates.io takes 1 to 5)",
            keywords.len()
        ));
    }
    problems.extend(
        keywords
            .iter()
            .filter(|k| !is_keyword(k))
            .map(|k| format!("{name}: keyword `{k}` is not a crates.io keyword")),
    );
    if strings(&package["categories"]).is_empty() {
        problems.push(format!("{name}: no `categories` in Cargo.toml"));
    }
    problems
}

/// A keyword crates.io accepts: 1 to 20 ASCII letters, digits, `-`, `_` or `+`, starting with
/// a letter.
fn is_keyword(keyword: &str) -> bool {
    keyword.len() <= 20
        && keyword.starts_with(|c: char| c.is_ascii_alphabetic())
        && keyword
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_+".contains(c))
}

/// The strings of a JSON array (none for anything else).
fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The files `package`'s `.crate` would lack (`cargo package --list`), one line each.
fn listing_problems(package: &Value, options: &Options) -> Result<Vec<String>> {
    let name = package["name"]
        .as_str()
        .context("a package without a name")?;
    let mut command = cargo(options);
    command.args(["package", "--list", "--allow-dirty", "-p", name]);
    let listed = String::from_utf8(stdout_of(&mut command)?)?;
    let readme = package["readme"].as_str().unwrap_or("README.md");
    Ok(["Cargo.toml", readme]
        .into_iter()
        .chain(LICENSE_FILES)
        .filter(|file| !listed.lines().any(|line| line == *file))
        .map(|file| format!("{name}: the package lacks {file}"))
        .collect())
}

/// Packages all `packages` together into `target`/package; the `.crate` files.
fn package_all(packages: &[Value], target: &Path, options: &Options) -> Result<Vec<PathBuf>> {
    let mut command = cargo(options);
    command
        .args(["package", "--no-verify", "--allow-dirty", "--target-dir"])
        .arg(target);
    for package in packages {
        command
            .arg("-p")
            .arg(package["name"].as_str().unwrap_or_default());
    }
    stdout_of(&mut command)?;
    packages
        .iter()
        .map(|p| {
            let file = format!(
                "{}-{}.crate",
                p["name"].as_str().unwrap_or_default(),
                p["version"].as_str().unwrap_or_default()
            );
            let path = target.join("package").join(file);
            anyhow::ensure!(path.is_file(), "cargo package wrote no {}", path.display());
            Ok(path)
        })
        .collect()
}

/// A nested cargo, `--offline` when asked.
fn cargo(options: &Options) -> std::process::Command {
    let mut command = crate::cargo::command();
    if options.offline {
        command.arg("--offline");
    }
    command
}

/// Runs `command` and returns its stdout; its stderr becomes the error when it fails.
fn stdout_of(command: &mut std::process::Command) -> Result<Vec<u8>> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    Ok(output.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_publishable_crate_packages_with_its_readme_and_licenses() {
        let dir = tempfile::tempdir().unwrap();
        let options = Options {
            offline: true,
            target_dir: Some(dir.path().to_path_buf()),
        };
        let crates = check(&options).unwrap_or_else(|e| panic!("{e:#}"));
        let names: Vec<String> = crates
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for block in [
            "core",
            "io",
            "decomp",
            "cluster",
            "forest",
            "eval",
            "manifold",
            "patches",
            "autoencoder",
            "pipeline",
            "cli",
        ] {
            assert!(
                names
                    .iter()
                    .any(|n| n.starts_with(&format!("fmnist-{block}-"))),
                "fmnist-{block} not packaged: {names:?}"
            );
        }
        assert!(!names.iter().any(|n| n.starts_with("xtask")), "{names:?}");
    }

    #[test]
    fn keywords_follow_crates_io_rules() {
        assert!(is_keyword("machine-learning") && is_keyword("c++"));
        assert!(!is_keyword("dimensionality-reduction")); // 24 characters
        assert!(!is_keyword("3d") && !is_keyword("two words") && !is_keyword(""));
        let package = serde_json::json!({
            "name": "x", "description": "", "license": "MIT", "repository": "r",
            "readme": "README.md", "keywords": ["a", "b", "c", "d", "e", "f"], "categories": [],
        });
        assert_eq!(
            manifest_problems(&package),
            [
                "x: no `description` in Cargo.toml",
                "x: 6 keywords (crates.io takes 1 to 5)",
                "x: no `categories` in Cargo.toml",
            ]
        );
    }
}
