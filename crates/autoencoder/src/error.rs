//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while building, training, running, saving or loading a model.
#[derive(Debug, thiserror::Error)]
pub enum AutoencoderError {
    /// The architecture is not usable (for example an image size not divisible by the pooling).
    #[error("invalid architecture: {0}")]
    Architecture(String),

    /// A training parameter is out of range.
    #[error("invalid training parameter: {0}")]
    Parameter(String),

    /// Images that do not fit the model: none, another number of values per image than the
    /// architecture's, or a non-finite value.
    #[error(transparent)]
    Input(#[from] fmnist_core::InputError),

    /// A saved model does not match the architecture in its configuration file.
    #[error("{}: {reason}", path.display())]
    Mismatch {
        /// The weights file.
        path: PathBuf,
        /// Which tensor is missing or has the wrong shape.
        reason: String,
    },

    /// Images of another height and width than the network's (the same pixel count is not
    /// enough: a 14 x 56 image is not a 28 x 28 one).
    #[error(
        "images of {height} x {width} pixels, but the autoencoder takes {expected_height} x {expected_width}"
    )]
    ImageSize {
        /// Height of the images given.
        height: usize,
        /// Width of the images given.
        width: usize,
        /// The network's image height.
        expected_height: usize,
        /// The network's image width.
        expected_width: usize,
    },

    /// A saved autoencoder's values do not make a model: an impossible architecture, or tensors
    /// missing, of the wrong shape or non-finite.
    #[error("the saved autoencoder is invalid: {0}")]
    InvalidState(String),

    /// An operating-system error while touching `path`. Its message is part of this one's, so
    /// it is not also given as [`std::error::Error::source`] (a chain of causes would repeat it).
    #[error("{}: {error}", path.display())]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },

    /// A configuration file that is not valid JSON for this crate (the parse error is part of
    /// the message, as with [`AutoencoderError::Io`]).
    #[error("{}: {error}", path.display())]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// The parse error.
        error: serde_json::Error,
    },

    /// A weights file that is not a safetensors file, or a truncated one.
    #[error("{}: not autoencoder weights (a safetensors file), or a truncated one: {reason}", path.display())]
    WeightsFile {
        /// The weights file.
        path: PathBuf,
        /// What the safetensors reader found wrong.
        reason: String,
    },

    /// An error reported by candle (device, tensor or safetensors operation).
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
}

/// `Result` with this crate's [`AutoencoderError`].
pub type Result<T> = std::result::Result<T, AutoencoderError>;

/// A failed atomic write (of [`fmnist_core::write_atomically`]) is an I/O error at the same
/// path, with the same message.
impl From<fmnist_core::FileError> for AutoencoderError {
    fn from(fmnist_core::FileError { path, error }: fmnist_core::FileError) -> Self {
        AutoencoderError::Io { path, error }
    }
}
