//! The integration tests of `fmnist-manifold`, one module per concern, in one
//! test binary: each binary links the whole stack, so one per crate keeps clean builds short.

mod contract;
mod descent;
mod golden;
mod projected;
mod properties;
