//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while reading, writing, locating or splitting data.
///
/// Every variant that concerns a file names it, so that a message such as
/// `data/train-images-idx3-ubyte.gz: truncated: expected 47040000 bytes of pixels, found 1200`
/// tells the user what to fix.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// An operating-system error while touching `path`. Its message is part of this one's, so
    /// it is not also given as [`std::error::Error::source`] (a chain of causes would repeat it).
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },

    /// The bytes of `path` are not a valid unsigned-byte IDX tensor.
    #[error("{}: {problem}", path.display())]
    Idx {
        /// The offending file (or a descriptive name for in-memory data).
        path: PathBuf,
        /// What is wrong with it.
        problem: IdxProblem,
    },

    /// An image file and its label file disagree, or a file has the wrong shape for its role.
    #[error("{}: {reason}", path.display())]
    Shape {
        /// The file whose shape is wrong.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// Without `classes.txt`, the labels must number the classes 0 to n - 1 with every class
    /// present; this one skips a class (a stray label, such as 200 among 0 to 9).
    #[error(
        "{}: label {label} at index {index} leaves class {missing} without an image; labels must run from 0 to n - 1 with every class present (or name the classes in classes.txt)",
        path.display()
    )]
    LabelGap {
        /// The labels file.
        path: PathBuf,
        /// Index of the first label above the gap.
        index: usize,
        /// That label.
        label: u8,
        /// The first class no image has.
        missing: u8,
    },

    /// A file of images for a model is malformed, unsupported or holds no images (a NaN or
    /// out-of-range float, a non-image file in a folder of PNG files, …).
    #[error("{}: {reason}", path.display())]
    Image {
        /// The offending file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// A label is not below the data set's class count.
    #[error("{}: label {label} at index {index} is outside the {n_classes} declared classes", path.display())]
    LabelOutOfRange {
        /// The label file.
        path: PathBuf,
        /// Position of the first offending label.
        index: usize,
        /// Its value.
        label: u8,
        /// Number of classes the data set declares.
        n_classes: usize,
    },

    /// A Fashion-MNIST file's decompressed payload does not have the published SHA-256.
    #[error(
        "{}: SHA-256 mismatch for {file}: expected {expected}, found {actual} \
         (the file is corrupt or not Fashion-MNIST; delete it to fetch it again)",
        path.display()
    )]
    Checksum {
        /// The offending file.
        path: PathBuf,
        /// The Fashion-MNIST file it should be (for example `train-images-idx3-ubyte`).
        file: &'static str,
        /// The pinned digest.
        expected: String,
        /// The digest of what was found.
        actual: String,
    },

    /// One download source failed.
    #[error("{source_name}: {reason}")]
    Download {
        /// The URL or package the data was fetched from.
        source_name: String,
        /// What went wrong.
        reason: String,
    },

    /// No location held the data set and every way of fetching it failed.
    #[error("data set not found and could not be fetched:\n{}", attempts.join("\n"))]
    NotFound {
        /// One line per place looked at or source tried, with why it did not work.
        attempts: Vec<String>,
    },

    /// Indices passed to a subset or feature conversion are out of range, or empty where rows are needed.
    #[error("index {index} is out of range for a data set of {len} samples")]
    IndexOutOfRange {
        /// The offending index.
        index: usize,
        /// The number of samples.
        len: usize,
    },

    /// A parameter is outside its allowed range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
}

/// What is wrong with the bytes of an IDX file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdxProblem {
    /// The file ends inside the 4-byte magic number or the dimension sizes.
    #[error("truncated header: expected {expected} bytes, found {found}")]
    TruncatedHeader {
        /// Header bytes required.
        expected: usize,
        /// Header bytes present.
        found: usize,
    },
    /// The first two bytes of the magic number are not zero.
    #[error("not an IDX file: magic number {found:#010x} does not start with two zero bytes")]
    BadMagic {
        /// The magic number as read (big-endian).
        found: u32,
    },
    /// The data-type byte is not 0x08 (unsigned byte).
    #[error(
        "unsupported IDX data type {code:#04x} ({name}); only unsigned byte (0x08) is supported"
    )]
    UnsupportedType {
        /// The type byte.
        code: u8,
        /// Its meaning in the IDX specification.
        name: &'static str,
    },
    /// The dimension count is zero.
    #[error("IDX header declares zero dimensions")]
    NoDimensions,
    /// The dimension count does not fit the file's role (labels: 1, images: 3).
    #[error("expected {expected} dimensions, found {found}")]
    WrongRank {
        /// Required rank.
        expected: usize,
        /// Declared rank.
        found: usize,
    },
    /// The product of the declared dimensions does not fit in memory addresses.
    #[error("declared dimensions {dims:?} overflow the addressable size")]
    SizeOverflow {
        /// The declared dimensions.
        dims: Vec<u32>,
    },
    /// The payload is shorter than the header declares.
    #[error("truncated: expected {expected} bytes of {what}, found {found}")]
    Truncated {
        /// Payload bytes declared.
        expected: u64,
        /// Payload bytes present.
        found: u64,
        /// `pixels` for images, `labels` for labels, `values` otherwise.
        what: &'static str,
    },
    /// The payload is longer than the header declares.
    #[error("trailing data: expected {expected} bytes of {what}, found more")]
    TrailingData {
        /// Payload bytes declared.
        expected: u64,
        /// `pixels` for images, `labels` for labels, `values` otherwise.
        what: &'static str,
    },
    /// The header declares more data than a gzip file of this size can inflate to (deflate
    /// compresses by at most about 1,032 to 1): a corrupt header, or a decompression bomb.
    #[error(
        "the header declares {expected} bytes of {what}, more than a {compressed}-byte gzip file can hold"
    )]
    ImplausibleSize {
        /// Payload bytes declared.
        expected: u64,
        /// `pixels` for images, `labels` for labels, `values` otherwise.
        what: &'static str,
        /// Size of the compressed file.
        compressed: u64,
    },
    /// The gzip stream is corrupt.
    #[error("corrupt or truncated gzip stream: {0}")]
    Gzip(String),
}

/// Shorthand for `Result<T, fmnist_io::DataError>`.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

/// A failed atomic write (of [`fmnist_core::write_atomically`]) is an I/O error at the same path,
/// with the same message.
impl From<fmnist_core::FileError> for DataError {
    fn from(fmnist_core::FileError { path, error }: fmnist_core::FileError) -> Self {
        DataError::Io { path, error }
    }
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            error,
        }
    }

    pub(crate) fn idx(path: impl Into<PathBuf>, problem: IdxProblem) -> Self {
        DataError::Idx {
            path: path.into(),
            problem,
        }
    }
}
