//! Fetching missing files: over HTTP(S), or from the Debian/Ubuntu package.
//!
//! Every fetched file is written under a temporary name in the target directory, verified
//! against the expected payload digest, and only then renamed into place, so that an interrupted
//! or corrupt download never replaces or masquerades as a good file.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fmnist_core::temp_file_in;
use tempfile::NamedTempFile;

use crate::error::{DataError, Result};
use crate::idx::IdxTensor;
use crate::known::DataFile;
use crate::locate::{Checksums, Event, find_file};

/// A place missing files can be fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadSource {
    /// `<base_url><file name>.gz` for each file, over `https://` or `http://`.
    Http {
        /// The URL prefix, ending in `/`.
        base_url: String,
    },
    /// `apt-get download <package>` (no root needed), unpacked with `dpkg-deb -x`.
    DebianPackage {
        /// The package name, `dataset-fashion-mnist` for Fashion-MNIST.
        package: String,
    },
}

impl fmt::Display for DownloadSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownloadSource::Http { base_url } => write!(f, "{base_url}"),
            DownloadSource::DebianPackage { package } => write!(f, "apt-get download {package}"),
        }
    }
}

/// Fetches every file missing from `target` from `source`, verifying each before it is renamed
/// into place. Files already present are left untouched.
pub(crate) fn fetch_missing(
    source: &DownloadSource,
    target: &Path,
    checksums: &Checksums,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<()> {
    let missing: Vec<DataFile> = DataFile::ALL
        .into_iter()
        .filter(|&f| find_file(target, f).is_none())
        .collect();
    match source {
        DownloadSource::Http { base_url } => {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .timeout_connect(Some(Duration::from_secs(20)))
                .timeout_recv_body(Some(Duration::from_secs(60)))
                .build()
                .into();
            for file in missing {
                let url = format!("{base_url}{}.gz", file.file_name());
                on_event(Event::Fetching { source: &url, file });
                let temp = download(&agent, &url, target, on_event)?;
                install_verified(temp, file, target, checksums, &url, true)?;
            }
            Ok(())
        }
        DownloadSource::DebianPackage { package } => {
            if missing.is_empty() {
                return Ok(());
            }
            let source_name = source.to_string();
            let unpacked = unpack_debian_package(package, target, &source_name)?;
            for file in missing {
                on_event(Event::Fetching {
                    source: &source_name,
                    file,
                });
                let found =
                    find_in_tree(unpacked.path(), file).ok_or_else(|| DataError::Download {
                        source_name: source_name.clone(),
                        reason: format!("the package holds no {}", file.file_name()),
                    })?;
                let mut temp = temp_file_in(target)?;
                let mut from = std::fs::File::open(&found).map_err(|e| DataError::io(&found, e))?;
                std::io::copy(&mut from, temp.as_file_mut())
                    .map_err(|e| DataError::io(target, e))?;
                let compressed = found.extension().is_some_and(|e| e == "gz");
                install_verified(temp, file, target, checksums, &source_name, compressed)?;
            }
            Ok(())
        }
    }
}

/// Streams `url` into a temporary file in `dir`, reporting progress.
fn download(
    agent: &ureq::Agent,
    url: &str,
    dir: &Path,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<NamedTempFile> {
    let failed = |reason: String| DataError::Download {
        source_name: url.to_string(),
        reason,
    };
    let mut response = agent.get(url).call().map_err(|e| failed(e.to_string()))?;
    let total = response.body().content_length();
    let mut reader = response.body_mut().as_reader();
    let mut temp = temp_file_in(dir)?;
    let mut buffer = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(failed(format!("after {bytes} bytes: {e}"))),
        };
        temp.write_all(&buffer[..n])
            .map_err(|e| DataError::io(temp.path(), e))?;
        bytes += n as u64;
        on_event(Event::Progress { bytes, total });
    }
    if let Some(total) = total.filter(|&t| t != bytes) {
        return Err(failed(format!(
            "connection closed after {bytes} of {total} bytes"
        )));
    }
    Ok(temp)
}

/// Verifies a fetched file and renames it to `<name>.gz` (or `<name>`) in `dir`.
fn install_verified(
    temp: NamedTempFile,
    file: DataFile,
    dir: &Path,
    checksums: &Checksums,
    source_name: &str,
    compressed: bool,
) -> Result<()> {
    temp.as_file()
        .sync_all()
        .map_err(|e| DataError::io(temp.path(), e))?;
    let read = IdxTensor::read(temp.path()).map_err(|e| DataError::Download {
        source_name: source_name.to_string(),
        reason: format!("{} is not a valid IDX file: {e}", file.file_name()),
    })?;
    let expected = checksums.of(file);
    if read.payload_sha256 != expected {
        return Err(DataError::Checksum {
            path: PathBuf::from(source_name),
            file: file.file_name(),
            expected: expected.to_string(),
            actual: read.payload_sha256,
        });
    }
    let name = if compressed {
        format!("{}.gz", file.file_name())
    } else {
        file.file_name().to_string()
    };
    let destination = dir.join(name);
    temp.persist(&destination)
        .map_err(|e| DataError::io(&destination, e.error))?;
    Ok(())
}

/// Downloads a Debian package into a temporary directory under `dir` and unpacks it there.
fn unpack_debian_package(
    package: &str,
    dir: &Path,
    source_name: &str,
) -> Result<tempfile::TempDir> {
    let failed = |reason: String| DataError::Download {
        source_name: source_name.to_string(),
        reason,
    };
    let work = tempfile::Builder::new()
        .prefix(".apt-")
        .tempdir_in(dir)
        .map_err(|e| DataError::io(dir, e))?;
    run(Command::new("apt-get")
        .arg("download")
        .arg(package)
        .current_dir(work.path()))
    .map_err(&failed)?;
    let deb = std::fs::read_dir(work.path())
        .map_err(|e| DataError::io(work.path(), e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .ok_or_else(|| failed("apt-get download produced no .deb file".to_string()))?;
    let root = work.path().join("root");
    run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root)).map_err(&failed)?;
    Ok(work)
}

/// Runs a command, turning a missing program or a non-zero exit into a message.
fn run(command: &mut Command) -> std::result::Result<(), String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let output = command
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(format!(
            "{program} failed ({}): {}",
            output.status,
            stderr.trim()
        ))
    }
}

/// The first `<name>` or `<name>.gz` anywhere under `root`.
fn find_in_tree(root: &Path, file: DataFile) -> Option<PathBuf> {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if let Some(found) = find_file(&dir, file) {
            return Some(found);
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        stack.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
    }
    None
}
