//! The integration tests of `fmnist-cli`, one module per concern, in one
//! test binary: each binary links the whole stack, so one per crate keeps clean builds short.

mod autoencoder;
mod classify;
mod cluster;
mod common;
mod completions;
mod data;
mod metrics;
mod outputs;
mod predict;
mod reproduce;
mod schema;
