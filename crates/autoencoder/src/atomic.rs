//! Atomic file replacement for [`crate::Autoencoder::save`]: a save that fails half-way leaves
//! an earlier model's files as they were.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to a temporary file in `path`'s directory and renames it over `path`. If a
/// step fails, the temporary file is removed and `path` is untouched. The file gets the
/// permissions of an ordinary file (`0644` on Unix, less the umask, rather than the `0600` of
/// temporary files).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let io_error = |at: &Path| {
        let path = at.to_path_buf();
        move |error| Error::Io { path, error }
    };
    // A missing directory is named by itself: tempfile's own message would append the random
    // name of the file it could not create.
    std::fs::metadata(dir).map_err(io_error(dir))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".partial-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut temp = builder.tempfile_in(dir).map_err(io_error(dir))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(io_error(path))?;
    temp.persist(path).map_err(|e| io_error(path)(e.error))?;
    Ok(())
}
