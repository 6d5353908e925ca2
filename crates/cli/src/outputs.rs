//! Output paths checked before the work starts: a command that would fail to write its
//! results, or overwrite one of its own inputs, says so in milliseconds, not after the work.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// Checks that every output (`--flag`, path) can be written: its directory exists, it is not a
/// directory itself, and it is neither one of `inputs` nor another output.
///
/// # Errors
/// One line naming the flag and the path, and what is wrong.
pub fn check_outputs(outputs: &[(&str, &Path)], inputs: &[&Path]) -> Result<()> {
    let inputs: Vec<PathBuf> = inputs.iter().map(|p| absolute(p)).collect();
    let mut seen: Vec<(&str, PathBuf)> = Vec::new();
    for &(flag, path) in outputs {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            bail!(
                "{flag} {}: the directory {} does not exist",
                path.display(),
                dir.display()
            );
        }
        if path.is_dir() {
            bail!(
                "{flag} {}: is a directory; give a file name",
                path.display()
            );
        }
        let target = absolute(path);
        if inputs.contains(&target) {
            bail!(
                "{flag} {}: is one of this command's inputs; choose another file",
                path.display()
            );
        }
        if let Some((other, _)) = seen.iter().find(|(_, p)| *p == target) {
            bail!(
                "{flag} {}: is also given to {other}; give each output its own file",
                path.display()
            );
        }
        seen.push((flag, target));
    }
    Ok(())
}

/// The outputs among optional `--flag PATH` arguments that were given.
pub fn given<'a>(flags: &[(&'static str, &'a Option<PathBuf>)]) -> Vec<(&'static str, &'a Path)> {
    flags
        .iter()
        .filter_map(|&(flag, path)| path.as_deref().map(|p| (flag, p)))
        .collect()
}

/// `path` made absolute with its directory's symbolic links resolved, so that two spellings
/// of one file compare equal.
fn absolute(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (dir.canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_directories_inputs_and_repeated_outputs_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("images.npy");
        std::fs::write(&input, b"x").unwrap();
        let out = dir.path().join("labels.csv");
        assert!(check_outputs(&[("--out", &out)], &[&input]).is_ok());
        let missing = dir.path().join("no-such-dir").join("labels.csv");
        let err = check_outputs(&[("--out", &missing)], &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not exist"), "{err}");
        let spelled = dir.path().join(".").join("images.npy");
        let err = check_outputs(&[("--out", &spelled)], &[&input])
            .unwrap_err()
            .to_string();
        assert!(err.contains("inputs"), "{err}");
        let err = check_outputs(&[("--out", &out), ("--save", &out)], &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("also given to --out"), "{err}");
        let err = check_outputs(&[("--out", dir.path())], &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("is a directory"), "{err}");
    }
}
