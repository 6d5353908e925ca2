//! One module per subcommand: its clap arguments and its `run`.

pub mod data;
pub mod metrics;
pub mod device;
pub mod encode;
pub mod train_ae;
