//! All of a command's outputs, or none: files are written under temporary names beside their
//! targets and renamed into place together once every one of them has been written.
//!
//! [`write_atomically`](crate::write_atomically) keeps one file whole; [`Staging`] keeps a set
//! of files consistent. A command that writes an embedding and then fails to draw its plot
//! leaves both the old embedding and the old plot in place.

use std::path::{Path, PathBuf};

use tempfile::{TempDir, TempPath};

use crate::fs::{FileError, temp_file_in};

/// Outputs waiting to be renamed into place. Dropping a `Staging` without
/// [`commit`](Staging::commit) deletes everything staged and leaves the targets untouched.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let (table, figures) = (dir.path().join("table.csv"), dir.path().join("figures"));
/// std::fs::create_dir(&figures)?;
/// let mut staging = fmnist_core::Staging::new();
/// std::fs::write(staging.file(&table)?, "a,b\n")?;
/// std::fs::write(staging.dir(&figures)?.join("one.png"), b"...")?;
/// assert!(!table.exists());
/// staging.commit()?;
/// assert_eq!(std::fs::read_to_string(&table)?, "a,b\n");
/// assert!(figures.join("one.png").is_file());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct Staging {
    files: Vec<(TempPath, PathBuf)>,
    dirs: Vec<(TempDir, PathBuf)>,
}

impl Staging {
    /// Nothing staged yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A temporary path beside `target`, to be written in any way (it exists, empty, and keeps
    /// `target`'s extension for writers that look at it); [`commit`](Staging::commit) renames
    /// it to `target`.
    ///
    /// # Errors
    /// [`FileError`] naming `target`'s directory when it is missing or not writable.
    pub fn file(&mut self, target: &Path) -> Result<PathBuf, FileError> {
        let mut temp = temp_file_in(parent(target))?.into_temp_path();
        if let Some(extension) = target.extension() {
            let renamed = temp.with_extension(extension);
            std::fs::rename(&temp, &renamed).map_err(|e| FileError::new(&renamed, e))?;
            // The old name is gone; from here on the renamed file is the one to clean up.
            let _ = temp.keep();
            temp = TempPath::try_from_path(&renamed).map_err(|e| FileError::new(&renamed, e))?;
        }
        let staged = temp.to_path_buf();
        self.files.push((temp, target.to_path_buf()));
        Ok(staged)
    }

    /// A temporary directory inside `target` (an existing directory), to be filled with files
    /// and folders; [`commit`](Staging::commit) moves each of them into `target`, replacing
    /// files of the same name and keeping the others.
    ///
    /// # Errors
    /// [`FileError`] naming `target` when it is missing or not writable.
    pub fn dir(&mut self, target: &Path) -> Result<PathBuf, FileError> {
        let temp = tempfile::Builder::new()
            .prefix(".partial-")
            .tempdir_in(target)
            .map_err(|e| FileError::new(target, e))?;
        let staged = temp.path().to_path_buf();
        self.dirs.push((temp, target.to_path_buf()));
        Ok(staged)
    }

    /// Renames everything staged into place. All the work is done by then, so what can fail
    /// here is only a rename (a full disk, a target that became a directory).
    ///
    /// # Errors
    /// [`FileError`] naming the target that could not be replaced; targets renamed before it
    /// stay renamed.
    pub fn commit(self) -> Result<(), FileError> {
        for (temp, target) in self.files {
            temp.persist(&target)
                .map_err(|e| FileError::new(&target, e.error))?;
        }
        for (temp, target) in self.dirs {
            move_contents(temp.path(), &target)?;
        }
        Ok(())
    }
}

/// Moves every file under `from` to the same relative path under `to`, creating folders.
fn move_contents(from: &Path, to: &Path) -> Result<(), FileError> {
    for entry in std::fs::read_dir(from).map_err(|e| FileError::new(from, e))? {
        let entry = entry.map_err(|e| FileError::new(from, e))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if entry
            .file_type()
            .map_err(|e| FileError::new(&source, e))?
            .is_dir()
        {
            std::fs::create_dir_all(&target).map_err(|e| FileError::new(&target, e))?;
            move_contents(&source, &target)?;
        } else {
            std::fs::rename(&source, &target).map_err(|e| FileError::new(&target, e))?;
        }
    }
    Ok(())
}

/// The directory a file `path` lives in (`.` for a bare name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_a_staging_leaves_the_targets_and_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let (old, figures) = (dir.path().join("out.npy"), dir.path().join("figs"));
        std::fs::write(&old, "old").unwrap();
        std::fs::create_dir(&figures).unwrap();
        {
            let mut staging = Staging::new();
            std::fs::write(staging.file(&old).unwrap(), "new").unwrap();
            std::fs::write(staging.dir(&figures).unwrap().join("a.png"), "x").unwrap();
        }
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        assert_eq!(std::fs::read_dir(&figures).unwrap().count(), 0);
    }

    #[test]
    fn a_staged_file_keeps_its_targets_extension_and_commit_replaces_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("plot.png");
        std::fs::write(&target, "old").unwrap();
        let mut staging = Staging::new();
        let staged = staging.file(&target).unwrap();
        assert_eq!(staged.extension().unwrap(), "png");
        assert_eq!(staged.parent(), target.parent());
        std::fs::write(&staged, "new").unwrap();
        staging.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert!(!staged.exists());
    }

    #[test]
    fn a_staged_directory_merges_into_its_target_with_subfolders() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("keep.txt"), "kept").unwrap();
        std::fs::write(dir.path().join("replace.txt"), "old").unwrap();
        let mut staging = Staging::new();
        let staged = staging.dir(dir.path()).unwrap();
        std::fs::write(staged.join("replace.txt"), "new").unwrap();
        std::fs::create_dir(staged.join("sub")).unwrap();
        std::fs::write(staged.join("sub/deep.txt"), "deep").unwrap();
        staging.commit().unwrap();
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        assert_eq!(read("keep.txt"), "kept");
        assert_eq!(read("replace.txt"), "new");
        assert_eq!(read("sub/deep.txt"), "deep");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }

    #[test]
    fn staging_beside_a_missing_directory_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir");
        let err = Staging::new().file(&missing.join("x.png")).unwrap_err();
        assert_eq!(err.path, missing);
        let err = Staging::new().dir(&missing).unwrap_err();
        assert_eq!(err.path, missing);
    }
}
