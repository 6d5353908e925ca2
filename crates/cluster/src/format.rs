//! The format version that every saved fitted model carries, checked when it is loaded.

use serde::{Deserialize, Deserializer};

/// Version of the serialised layout of [`crate::FittedKMeans`] and
/// [`crate::FittedGaussianMixture`] (their `format_version` field). Loading a model of another
/// version is an error; a model saved before the field existed has version 1's layout and
/// loads as such.
pub const FORMAT_VERSION: u32 = 1;

/// The version of models saved before the field existed.
pub(crate) fn unversioned() -> u32 {
    1
}

/// `deserialize_with` of the `format_version` fields: only [`FORMAT_VERSION`] loads.
pub(crate) fn known<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    match u32::deserialize(d)? {
        FORMAT_VERSION => Ok(FORMAT_VERSION),
        found => Err(serde::de::Error::custom(format!(
            "a fitted model of format version {found}; this fmnist-cluster reads version {FORMAT_VERSION}"
        ))),
    }
}
