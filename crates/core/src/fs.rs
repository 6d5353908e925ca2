//! Atomic file replacement: nothing already written is lost when a write fails half-way.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A file-system operation failed; the message names the file (or directory) once, with the
/// system's reason.
#[derive(Debug, thiserror::Error)]
#[error("{}: {error}", path.display())]
pub struct FileError {
    /// The file or directory concerned.
    pub path: PathBuf,
    /// The system's reason.
    pub error: std::io::Error,
}

impl FileError {
    /// `error` at `path`.
    pub fn new(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Self {
            path: path.into(),
            error,
        }
    }
}

/// Writes `path` by letting `fill` write a temporary file in the same directory, then renaming
/// it over `path`. If `fill` fails, the temporary file is removed and `path` is untouched. The
/// file gets the permissions of an ordinary file (`0644` on Unix, less the umask).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("results.json");
/// fmnist_core::write_atomically(&path, |file| {
///     use std::io::Write;
///     file.write_all(b"{}")
/// })?;
/// assert_eq!(std::fs::read(&path)?, b"{}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`FileError`] naming the directory or the file if the temporary file cannot be created,
/// `fill` fails, or the rename fails.
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<(), FileError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp = temp_file_in(dir)?;
    fill(temp.as_file_mut()).map_err(|e| FileError::new(path, e))?;
    temp.as_file()
        .sync_all()
        .map_err(|e| FileError::new(path, e))?;
    temp.persist(path)
        .map_err(|e| FileError::new(path, e.error))?;
    Ok(())
}

/// [`write_atomically`] of a buffer already in memory.
///
/// # Errors
/// As [`write_atomically`].
pub fn write_bytes_atomically(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    write_atomically(path, |file| file.write_all(bytes))
}

/// A temporary file in `dir` (so that it can be renamed into place) with the permissions of
/// an ordinary file (`0644` on Unix rather than the `0600` of temporary files).
///
/// # Errors
/// [`FileError`] naming `dir` when it is missing or the file cannot be created there.
pub fn temp_file_in(dir: &Path) -> Result<NamedTempFile, FileError> {
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
    std::fs::metadata(dir).map_err(|e| FileError::new(dir, e))?;
    builder.tempfile_in(dir).map_err(|e| FileError::new(dir, e))
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
        let err = write_bytes_atomically(&missing.join("x.txt"), b"x").unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("{}: ", missing.display())),
            "{message}"
        );
        assert!(!message.contains(".partial-"), "{message}");
        assert!(std::error::Error::source(&err).is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_has_an_ordinary_files_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.json");
        write_bytes_atomically(&path, b"one").unwrap();
        write_bytes_atomically(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_ne!(mode & 0o044, 0, "readable by others: {mode:o}");
    }
}
