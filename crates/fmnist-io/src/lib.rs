//! Data for the fmnist-cluster workspace: the IDX format, a verified Fashion-MNIST, data sets,
//! and a seeded stratified train/validation split.
//!
//! - [`IdxTensor`] reads and writes unsigned-byte IDX tensors of any rank, plain or gzip
//!   (detected from the bytes), validating every size against the payload.
//! - [`Locator`] finds the data set (explicit directory, `./data/fashion-mnist`,
//!   `/usr/share/datasets/fashion-mnist`) or fetches it (upstream HTTPS, then the Debian package),
//!   verifying the SHA-256 of every decompressed file.
//! - [`Dataset`] holds `u8` images with their labels; [`Dataset::features`] turns rows into an
//!   `f32` matrix scaled to `[0, 1]` (one row per image, nalgebra `DMatrix`).
//! - [`StratifiedSplit`] gives the study's 48,000 / 12,000 train/validation indices.
//! - `fixtures` (behind the cargo feature of that name, for tests and benchmarks) finds and
//!   reads the workspace's committed data subset and the full data set where it is installed.
//!
//! ```
//! use fmnist_io::{Dataset, IdxTensor, StratifiedSplit, numbered_class_names};
//!
//! // Four 2 x 2 images of two classes, written to IDX and read back.
//! let images = IdxTensor::new(vec![4, 2, 2], (0..16).collect())?;
//! let labels = IdxTensor::new(vec![4], vec![0, 1, 0, 1])?;
//! let bytes = images.to_bytes(true);
//! let read = IdxTensor::from_bytes(&bytes, "images.gz")?;
//! assert_eq!(read.tensor, images);
//!
//! let (pixels, dims) = (images.data().to_vec(), images.dims().to_vec());
//! let data = Dataset::new(pixels, labels.data().to_vec(), dims[1], dims[2], numbered_class_names(2))?;
//! let split = StratifiedSplit::new().validation_fraction(0.5).seed(0).split(data.labels())?;
//! let x = data.features(&split.train)?; // 2 x 4 matrix in [0, 1]
//! assert_eq!(x.shape(), (2, 4));
//! # Ok::<(), fmnist_io::DataError>(())
//! ```

mod dataset;
mod error;
mod fetch;
#[cfg(feature = "fixtures")]
pub mod fixtures;
mod idx;
mod images;
mod known;
mod locate;
pub mod npy;
mod sample;
mod split;

pub use dataset::{Dataset, FashionMnist, fashion_mnist_class_names, numbered_class_names};
pub use error::{DataError, IdxProblem, Result};
pub use fetch::DownloadSource;
pub use idx::{IdxFile, IdxTensor};
pub use images::{Images, Pixels};
pub use known::{CLASS_NAMES, DataFile};
pub use locate::{
    CLASS_NAMES_FILE, Checksums, DEBIAN_PACKAGE, Event, LOCAL_DIR, Located, Locator, Origin,
    Provenance, SYSTEM_DIR, UPSTREAM_URL,
};
pub use sample::sample_per_group;
pub use split::{Split, StratifiedSplit};
