//! Finding, fetching and verifying the data set.
//!
//! [`Locator`] looks for the four IDX files in an explicit directory, or else in
//! `./data/fashion-mnist` and then in Debian/Ubuntu's `/usr/share/datasets/fashion-mnist`; where
//! none has them it fetches the missing files (upstream HTTPS release, then `apt-get download
//! dataset-fashion-mnist`) into the download directory. Every file is checked against the SHA-256
//! of its decompressed payload before it is used, and fetched files are renamed into place only
//! once complete and verified.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::dataset::{Dataset, FashionMnist, fashion_mnist_class_names, numbered_class_names};
use crate::error::{DataError, Result};
use crate::fetch::{DownloadSource, fetch_missing};
use crate::idx::{IdxFile, IdxTensor};
use crate::known::DataFile;

/// The upstream Fashion-MNIST release, served over HTTPS.
pub const UPSTREAM_URL: &str =
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/";
/// The Debian/Ubuntu package that ships Fashion-MNIST.
pub const DEBIAN_PACKAGE: &str = "dataset-fashion-mnist";
/// Where Debian's package installs the data set.
pub const SYSTEM_DIR: &str = "/usr/share/datasets/fashion-mnist";
/// Where the data set is looked for and downloaded to by default, relative to the working directory.
pub const LOCAL_DIR: &str = "data/fashion-mnist";
/// Optional file in a data directory naming the classes, one per line in label order.
pub const CLASS_NAMES_FILE: &str = "classes.txt";

/// How the data set's directory was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// A directory the caller named (`--data-dir`, `$FMNIST_DATA`).
    Explicit,
    /// The project-local `./data/fashion-mnist`.
    Local,
    /// The system-wide package location.
    System,
    /// Downloaded over HTTP(S).
    Downloaded,
    /// Unpacked from the Debian/Ubuntu package.
    DebianPackage,
}

impl Origin {
    /// How the directory was reached, in the words of `--help`.
    pub fn describe(self) -> &'static str {
        match self {
            Origin::Explicit => "given with --data-dir",
            Origin::Local => "./data/fashion-mnist",
            Origin::System => "the system's data set package",
            Origin::Downloaded => "downloaded",
            Origin::DebianPackage => "unpacked from the Debian package",
        }
    }
}

/// SHA-256 digests that the four decompressed files must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksums {
    sha256: [String; 4],
}

impl Checksums {
    /// The published Fashion-MNIST payload digests (the default).
    pub fn fashion_mnist() -> Self {
        Self {
            sha256: DataFile::ALL.map(|f| f.fashion_mnist_sha256().to_string()),
        }
    }

    /// Digests of another data set, in the order of [`DataFile::ALL`] (lowercase hex).
    pub fn new(sha256: [String; 4]) -> Self {
        Self { sha256 }
    }

    /// The digest `file` must have.
    pub fn of(&self, file: DataFile) -> &str {
        let index = DataFile::ALL
            .iter()
            .position(|&f| f == file)
            .expect("ALL lists every file");
        &self.sha256[index]
    }

    /// Whether these are Fashion-MNIST's digests.
    pub fn is_fashion_mnist(&self) -> bool {
        *self == Self::fashion_mnist()
    }
}

/// A step of locating or fetching, for progress reporting.
#[derive(Debug)]
pub enum Event<'a> {
    /// Looking for the files in a directory.
    Searching(&'a Path),
    /// Fetching a file from a source.
    Fetching {
        /// The URL or package.
        source: &'a str,
        /// The file being fetched.
        file: DataFile,
    },
    /// Bytes received so far for the file being fetched.
    Progress {
        /// Bytes received.
        bytes: u64,
        /// Bytes expected, where the server says.
        total: Option<u64>,
    },
    /// A source failed; the next one is tried.
    SourceFailed {
        /// The URL or package.
        source: &'a str,
        /// Why.
        error: &'a DataError,
    },
}

/// Where the data set was found and what it turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The directory holding the four files.
    pub dir: PathBuf,
    /// How that directory was reached.
    pub origin: Origin,
    /// `true` if every file matched the expected digests; `false` for a custom data set.
    pub verified: bool,
    /// SHA-256 of each decompressed file, by file name.
    pub sha256: BTreeMap<String, String>,
}

impl Provenance {
    /// `"fashion-mnist"` for a verified Fashion-MNIST, `"verified"` for a set verified against
    /// other digests, `"custom, unverified"` otherwise.
    pub fn source_label(&self, checksums: &Checksums) -> &'static str {
        match (self.verified, checksums.is_fashion_mnist()) {
            (true, true) => "fashion-mnist",
            (true, false) => "verified",
            (false, _) => "custom, unverified",
        }
    }
}

/// A directory that holds all four files, not yet read.
#[derive(Debug, Clone)]
pub struct Located {
    dir: PathBuf,
    origin: Origin,
    files: [PathBuf; 4],
    checksums: Checksums,
}

/// Finds (or fetches) the data set: an explicit directory alone when one is given, else
/// `./data/fashion-mnist` and then `/usr/share/datasets/fashion-mnist`; missing files are fetched
/// from upstream over HTTPS, then from the Debian package, and every file is verified.
///
/// ```no_run
/// let (data, provenance) = fmnist_io::Locator::new().load()?;
/// println!("{} training images from {}", data.train.len(), provenance.dir.display());
/// # Ok::<(), fmnist_io::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Locator {
    explicit_dir: Option<PathBuf>,
    search_dirs: Vec<(PathBuf, Origin)>,
    download_dir: PathBuf,
    sources: Vec<DownloadSource>,
    checksums: Checksums,
}

impl Default for Locator {
    fn default() -> Self {
        Self {
            explicit_dir: None,
            search_dirs: vec![
                (PathBuf::from(LOCAL_DIR), Origin::Local),
                (PathBuf::from(SYSTEM_DIR), Origin::System),
            ],
            download_dir: PathBuf::from(LOCAL_DIR),
            sources: vec![
                DownloadSource::Http {
                    base_url: UPSTREAM_URL.to_string(),
                },
                DownloadSource::DebianPackage {
                    package: DEBIAN_PACKAGE.to_string(),
                },
            ],
            checksums: Checksums::fashion_mnist(),
        }
    }
}

impl Locator {
    /// The default chain: `./data/fashion-mnist`, `/usr/share/datasets/fashion-mnist`, then the
    /// upstream download and the Debian package, into `./data/fashion-mnist`.
    pub fn new() -> Self {
        Self::default()
    }

    /// A directory named by the user (default none). When set, it is the only place looked at
    /// and the place missing files are fetched to: a mistyped path must not silently fall back
    /// to another copy. Files in it whose digests are not the expected ones are accepted as a
    /// custom data set (reported as unverified) — unless only some of them match, which means
    /// a corrupt copy and is an error.
    pub fn data_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.explicit_dir = dir;
        self
    }

    /// Directories searched when no explicit one is given (default `./data/fashion-mnist`, then
    /// `/usr/share/datasets/fashion-mnist`).
    pub fn search_dirs(mut self, dirs: Vec<(PathBuf, Origin)>) -> Self {
        self.search_dirs = dirs;
        self
    }

    /// Where missing files are fetched to when no explicit directory is given
    /// (default `./data/fashion-mnist`).
    pub fn download_dir(mut self, dir: PathBuf) -> Self {
        self.download_dir = dir;
        self
    }

    /// Sources tried in order for missing files (default: upstream HTTPS, then the Debian package).
    pub fn sources(mut self, sources: Vec<DownloadSource>) -> Self {
        self.sources = sources;
        self
    }

    /// Never fetch: only use files already on disk.
    pub fn offline(self) -> Self {
        self.sources(Vec::new())
    }

    /// Digests to verify against (default [`Checksums::fashion_mnist`]).
    pub fn checksums(mut self, checksums: Checksums) -> Self {
        self.checksums = checksums;
        self
    }

    /// Finds a directory with all four files, fetching missing files if needed.
    ///
    /// # Errors
    /// [`DataError::NotFound`] listing every place looked at and every source tried, when none
    /// worked; [`DataError::Io`] if the download directory cannot be created.
    pub fn locate(&self, on_event: &mut dyn FnMut(Event<'_>)) -> Result<Located> {
        let mut attempts = Vec::new();
        let candidates: Vec<(PathBuf, Origin)> = match &self.explicit_dir {
            Some(dir) => vec![(dir.clone(), Origin::Explicit)],
            None => self.search_dirs.clone(),
        };
        for (dir, origin) in &candidates {
            on_event(Event::Searching(dir));
            match find_files(dir) {
                Ok(files) => return Ok(self.located(dir, *origin, files)),
                Err(missing) => attempts.push(format!(
                    "  {}: missing {}",
                    dir.display(),
                    missing.join(", ")
                )),
            }
        }
        let target = self.explicit_dir.as_ref().unwrap_or(&self.download_dir);
        if self.sources.is_empty() {
            attempts.push("  (fetching is disabled)".to_string());
        }
        for source in &self.sources {
            std::fs::create_dir_all(target).map_err(|e| DataError::io(target, e))?;
            match fetch_missing(source, target, &self.checksums, on_event) {
                Ok(()) => {
                    let files = find_files(target).map_err(|missing| DataError::NotFound {
                        attempts: vec![format!(
                            "  {}: still missing {} after fetching",
                            target.display(),
                            missing.join(", ")
                        )],
                    })?;
                    let origin = match (&self.explicit_dir, source) {
                        (Some(_), _) => Origin::Explicit,
                        (None, DownloadSource::Http { .. }) => Origin::Downloaded,
                        (None, DownloadSource::DebianPackage { .. }) => Origin::DebianPackage,
                    };
                    return Ok(self.located(target, origin, files));
                }
                Err(error) => {
                    let name = source.to_string();
                    on_event(Event::SourceFailed {
                        source: &name,
                        error: &error,
                    });
                    attempts.push(format!("  {name}: {error}"));
                }
            }
        }
        Err(DataError::NotFound { attempts })
    }

    /// Locates (fetching if needed), reads and verifies the data set.
    ///
    /// # Errors
    /// As [`Locator::locate`] and [`Located::load`].
    pub fn load(&self) -> Result<(FashionMnist, Provenance)> {
        self.locate(&mut |_| {})?.load()
    }

    fn located(&self, dir: &Path, origin: Origin, files: [PathBuf; 4]) -> Located {
        Located {
            dir: dir.to_path_buf(),
            origin,
            files,
            checksums: self.checksums.clone(),
        }
    }
}

impl Located {
    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How the directory was reached.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Reads the four files (in parallel), verifies their digests and builds the data sets.
    ///
    /// Files from an explicit directory may all differ from the expected digests (a custom data
    /// set); anywhere else, and wherever only some files match, a mismatch is an error.
    /// Class names come from `classes.txt` in the directory if present, else from Fashion-MNIST
    /// for a verified Fashion-MNIST, else they are the label numbers.
    ///
    /// # Errors
    /// [`DataError::Idx`], [`DataError::Io`] for unreadable or malformed files, [`DataError::Checksum`]
    /// naming the file and both digests, [`DataError::Shape`] and [`DataError::LabelOutOfRange`] for
    /// inconsistent contents.
    pub fn load(&self) -> Result<(FashionMnist, Provenance)> {
        let read = self.read_files()?;
        let verified = self.verify(&read)?;
        let sha256 = DataFile::ALL
            .iter()
            .zip(&read)
            .map(|(f, r)| (f.file_name().to_string(), r.payload_sha256.clone()))
            .collect();
        let class_names = self.class_names(verified, &read)?;
        let data = self.data_sets(read, class_names)?;
        let provenance = Provenance {
            dir: self.dir.clone(),
            origin: self.origin,
            verified,
            sha256,
        };
        Ok((data, provenance))
    }

    /// The four files, read in parallel, in the order of [`DataFile::ALL`].
    fn read_files(&self) -> Result<[IdxFile; 4]> {
        let read: Vec<Result<IdxFile>> = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .files
                .iter()
                .map(|path| scope.spawn(move || IdxTensor::read(path)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("reading an IDX file does not panic"))
                .collect()
        });
        let read: Vec<IdxFile> = read.into_iter().collect::<Result<_>>()?;
        Ok(<[IdxFile; 4]>::try_from(read).expect("four files were read"))
    }

    /// Whether every file has its expected digest. Files from an explicit directory may all
    /// differ (a custom data set, `false`); any other mismatch is an error naming the file.
    fn verify(&self, read: &[IdxFile; 4]) -> Result<bool> {
        let mismatches: Vec<usize> = (0..4)
            .filter(|&i| read[i].payload_sha256 != self.checksums.of(DataFile::ALL[i]))
            .collect();
        let custom_allowed = self.origin == Origin::Explicit && mismatches.len() == 4;
        if let Some(&i) = mismatches.first().filter(|_| !custom_allowed) {
            return Err(DataError::Checksum {
                path: self.files[i].clone(),
                file: DataFile::ALL[i].file_name(),
                expected: self.checksums.of(DataFile::ALL[i]).to_string(),
                actual: read[i].payload_sha256.clone(),
            });
        }
        Ok(mismatches.is_empty())
    }

    /// The training and test sets of the files, which must hold images of one size.
    fn data_sets(&self, read: [IdxFile; 4], class_names: Vec<String>) -> Result<FashionMnist> {
        let [train_images, train_labels, test_images, test_labels] = read;
        let [
            train_images_path,
            train_labels_path,
            test_images_path,
            test_labels_path,
        ] = &self.files;
        let train = Dataset::from_idx(
            train_images.tensor,
            train_images_path,
            train_labels.tensor,
            train_labels_path,
            class_names.clone(),
        )?;
        let test = Dataset::from_idx(
            test_images.tensor,
            test_images_path,
            test_labels.tensor,
            test_labels_path,
            class_names,
        )?;
        if (train.rows(), train.cols()) != (test.rows(), test.cols()) {
            return Err(DataError::Shape {
                path: test_images_path.clone(),
                reason: format!(
                    "test images are {} x {} but training images are {} x {}",
                    test.rows(),
                    test.cols(),
                    train.rows(),
                    train.cols()
                ),
            });
        }
        Ok(FashionMnist { train, test })
    }

    /// The class names: `classes.txt` where there is one, Fashion-MNIST's for the verified
    /// data set, else the numbers of the classes the labels use (which must be 0 to n - 1).
    fn class_names(&self, verified: bool, read: &[IdxFile; 4]) -> Result<Vec<String>> {
        let names_path = self.dir.join(CLASS_NAMES_FILE);
        if names_path.is_file() {
            let text =
                std::fs::read_to_string(&names_path).map_err(|e| DataError::io(&names_path, e))?;
            let names: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect();
            if names.is_empty() {
                return Err(DataError::Shape {
                    path: names_path,
                    reason: "no class names in the file".to_string(),
                });
            }
            return Ok(names);
        }
        if verified && self.checksums.is_fashion_mnist() {
            return Ok(fashion_mnist_class_names());
        }
        Ok(numbered_class_names(self.numbered_classes(read)?))
    }

    /// The number of classes of labels that name no classes: one more than the largest label,
    /// when every class below it has an image (in either set).
    ///
    /// # Errors
    /// [`DataError::LabelGap`] naming the first label above the first class without an image.
    fn numbered_classes(&self, read: &[IdxFile; 4]) -> Result<usize> {
        let sets = [(1, read[1].tensor.data()), (3, read[3].tensor.data())];
        let mut present = [false; 256];
        for (_, labels) in sets {
            labels.iter().for_each(|&l| present[usize::from(l)] = true);
        }
        let n = present.iter().rposition(|&p| p).map_or(1, |m| m + 1);
        let Some(missing) = present[..n].iter().position(|&p| !p) else {
            return Ok(n);
        };
        let (file, index, label) = sets
            .iter()
            .find_map(|&(file, labels)| {
                let at = labels.iter().position(|&l| usize::from(l) > missing)?;
                Some((file, at, labels[at]))
            })
            .expect("a label above the gap exists");
        Err(DataError::LabelGap {
            path: self.files[file].clone(),
            index,
            label,
            missing: missing as u8,
        })
    }
}

/// The paths of the four files in `dir` (each as `name` or `name.gz`), or the names missing.
pub(crate) fn find_files(dir: &Path) -> std::result::Result<[PathBuf; 4], Vec<&'static str>> {
    let found = DataFile::ALL.map(|file| find_file(dir, file));
    let missing: Vec<&'static str> = DataFile::ALL
        .iter()
        .zip(&found)
        .filter(|(_, path)| path.is_none())
        .map(|(file, _)| file.file_name())
        .collect();
    if missing.is_empty() {
        Ok(found.map(|p| p.expect("none missing")))
    } else {
        Err(missing)
    }
}

/// `dir/name` or `dir/name.gz`, whichever exists (the plain file first).
pub(crate) fn find_file(dir: &Path, file: DataFile) -> Option<PathBuf> {
    let plain = dir.join(file.file_name());
    let gz = dir.join(format!("{}.gz", file.file_name()));
    [plain, gz].into_iter().find(|p| p.is_file())
}
