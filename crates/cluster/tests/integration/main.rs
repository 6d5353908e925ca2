//! The integration tests of `fmnist-cluster`, one module per concern, in one
//! test binary: each binary links the whole stack, so one per crate keeps clean builds short.

mod algorithms;
mod common;
mod contract;
mod gmm_golden;
mod gmm_properties;
mod golden;
mod properties;
