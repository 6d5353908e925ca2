//! One module per subcommand: its clap arguments and its `run`.

pub mod classify;
pub mod cluster;
pub mod completions;
pub mod data;
pub mod device;
pub mod embed;
pub mod encode;
pub mod fit;
pub mod man;
pub mod metrics;
pub mod pca;
pub mod pipelines;
pub mod predict;
pub mod report;
pub mod reproduce;
pub mod schema;
pub mod train_ae;
