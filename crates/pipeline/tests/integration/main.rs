//! The integration tests of `fmnist-pipeline`, one module per concern, in one
//! test binary: each binary links the whole stack, so one per crate keeps clean builds short.

mod figures;
mod fitted;
mod model_hostile;
mod readme;
