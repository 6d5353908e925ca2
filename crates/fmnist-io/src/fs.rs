//! Atomic file replacement: nothing already written is lost when a write fails half-way.

use std::fs::File;
use std::path::Path;

use tempfile::NamedTempFile;

use crate::error::{Error, Result};

/// Writes `path` by letting `fill` write a temporary file in the same directory, then renaming
/// it over `path`. If `fill` fails, the temporary file is removed and `path` is untouched.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("results.json");
/// fmnist_io::write_atomically(&path, |file| {
///     use std::io::Write;
///     file.write_all(b"{}")
/// })?;
/// assert_eq!(std::fs::read(&path)?, b"{}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::Io`] naming the directory or the file if the temporary file cannot be created,
/// `fill` fails, or the rename fails.
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp = temp_file_in(dir)?;
    fill(temp.as_file_mut()).map_err(|e| Error::io(path, e))?;
    temp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    temp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// A temporary file in `dir` (so that it can be renamed into place) with the permissions of
/// an ordinary file (`0644` on Unix rather than the `0600` of temporary files).
pub(crate) fn temp_file_in(dir: &Path) -> Result<NamedTempFile> {
    let builder = {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".partial-");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o644));
        }
        builder
    };
    // A missing directory is named by itself: tempfile's own message would append the random
    // name of the file it could not create.
    std::fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
    builder.tempfile_in(dir).map_err(|e| Error::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("labels.txt");
        std::fs::write(&path, "old").unwrap();
        let err = write_atomically(&path, |file| {
            use std::io::Write;
            file.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), format!("{}: disk full", path.display()));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_directory_is_named_once_with_the_system_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir");
        let err = write_atomically(&missing.join("x.txt"), |_| Ok(())).unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("{}: ", missing.display())),
            "{message}"
        );
        assert!(!message.contains(".partial-"), "{message}");
        // the cause is part of the message, not repeated as a source
        assert!(std::error::Error::source(&err).is_none());
    }
}
