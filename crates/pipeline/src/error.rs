//! The pipeline's error type.

/// What can go wrong while running the study or writing its outputs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing data or outputs.
    #[error(transparent)]
    Io(#[from] fmnist_io::Error),
    /// A figure could not be drawn.
    #[error("figure: {0}")]
    Figure(String),
}

/// Shorthand for `Result<T, fmnist_pipeline::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
