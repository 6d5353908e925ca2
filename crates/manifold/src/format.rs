//! The format version that a saved fitted embedding carries, checked when it is loaded.

use serde::{Deserialize, Serialize};

/// The layout version of a saved [`crate::FittedUmap`] (its `format_version` field, saved as a
/// string). Loading a model of a version this crate does not know is an error ("unknown
/// variant"); a model saved before the field existed has version 1's layout and loads as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FormatVersion {
    /// The first layout, saved as `"1"` (the current one).
    #[default]
    #[serde(rename = "1")]
    V1,
}
