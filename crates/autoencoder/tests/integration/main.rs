//! The integration tests of `fmnist-autoencoder`, one module per concern, in one test
//! binary: each binary links the whole stack, so one per crate keeps clean builds short.

mod model;
mod readme;
