//! Atomic file replacement: nothing already written is lost when a write fails half-way.

use std::fs::File;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `path` by letting `fill` write a temporary file in the same directory, then renaming
/// it over `path`. If `fill` fails, the temporary file is removed and `path` is untouched.
pub(crate) fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".partial-")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    fill(temp.as_file_mut()).map_err(|e| Error::io(path, e))?;
    temp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    temp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}
