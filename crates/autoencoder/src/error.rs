//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while building, training, running, saving or loading a model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The architecture is not usable (for example an image size not divisible by the pooling).
    #[error("invalid architecture: {0}")]
    Architecture(String),

    /// A training parameter is out of range.
    #[error("invalid training parameter: {0}")]
    Parameter(String),

    /// Input data do not fit the model (wrong number of pixels per image, no images, ...).
    #[error("invalid input: {0}")]
    Input(String),

    /// A saved model does not match the architecture in its configuration file.
    #[error("{}: {reason}", path.display())]
    Mismatch {
        /// The weights file.
        path: PathBuf,
        /// Which tensor is missing or has the wrong shape.
        reason: String,
    },

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
    /// the message, as with [`Error::Io`]).
    #[error("{}: {error}", path.display())]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// The parse error.
        error: serde_json::Error,
    },

    /// An error reported by candle (device, tensor or safetensors operation).
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
