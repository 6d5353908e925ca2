//! The format version that every saved fitted model carries, checked when it is loaded.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The layout version of a saved fitted model, for its `format_version` field.
///
/// A zero-sized value: it serialises as the number `CURRENT`, and deserialising refuses any
/// other number with the error "a model of format version {found}; this build reads version
/// {CURRENT}". Its [`Default`] is the current version, so that a field declared with
/// `#[serde(default)]` loads a model saved before the field existed (which has version 1's
/// layout) as the current version: when a crate's layout changes, it raises `CURRENT` and can
/// no longer rely on that default.
///
/// In human-readable formats the string form of the number (`"1"`, as earlier builds of
/// fmnist-cluster and fmnist-manifold wrote it) is read as well.
///
/// # Example
///
/// ```
/// use fmnist_core::FormatVersion;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Serialize, Deserialize)]
/// struct FittedModel {
///     #[serde(default)]
///     format_version: FormatVersion<1>,
///     centre: f32,
/// }
///
/// let model = FittedModel { format_version: FormatVersion::default(), centre: 0.5 };
/// let text = serde_json::to_string(&model)?;
/// assert_eq!(text, r#"{"format_version":1,"centre":0.5}"#);
///
/// // A model saved before the field existed loads as version 1.
/// let old: FittedModel = serde_json::from_str(r#"{"centre":0.5}"#)?;
/// assert_eq!(old.format_version.number(), 1);
///
/// // A model of another version is refused, with a message that says why.
/// let err = serde_json::from_str::<FittedModel>(r#"{"format_version":2,"centre":0.5}"#)
///     .unwrap_err();
/// assert!(err
///     .to_string()
///     .starts_with("a model of format version 2; this build reads version 1"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FormatVersion<const CURRENT: u32>;

impl<const CURRENT: u32> FormatVersion<CURRENT> {
    /// The version number, `CURRENT`.
    #[must_use]
    pub const fn number(self) -> u32 {
        CURRENT
    }
}

impl<const CURRENT: u32> fmt::Display for FormatVersion<CURRENT> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{CURRENT}")
    }
}

impl<const CURRENT: u32> Serialize for FormatVersion<CURRENT> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(CURRENT)
    }
}

impl<'de, const CURRENT: u32> Deserialize<'de> for FormatVersion<CURRENT> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            // A number, or its string form as earlier builds wrote it.
            deserializer.deserialize_any(VersionVisitor::<CURRENT>)
        } else {
            deserializer.deserialize_u32(VersionVisitor::<CURRENT>)
        }
    }
}

/// Reads a version number and accepts only `CURRENT`.
struct VersionVisitor<const CURRENT: u32>;

/// The refusal of a model whose version is `found` (as written in the file).
fn refusal<E: de::Error, const CURRENT: u32>(found: impl fmt::Display) -> E {
    E::custom(format_args!(
        "a model of format version {found}; this build reads version {CURRENT}"
    ))
}

impl<'de, const CURRENT: u32> Visitor<'de> for VersionVisitor<CURRENT> {
    type Value = FormatVersion<CURRENT>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the format version number {CURRENT}")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        if v == u64::from(CURRENT) {
            Ok(FormatVersion)
        } else {
            Err(refusal::<E, CURRENT>(v))
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(refusal::<E, CURRENT>(v)),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v == CURRENT.to_string() {
            Ok(FormatVersion)
        } else {
            Err(refusal::<E, CURRENT>(format_args!("{v:?}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FormatVersion;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Model {
        #[serde(default)]
        format_version: FormatVersion<3>,
        value: u8,
    }

    fn model() -> Model {
        Model {
            format_version: FormatVersion,
            value: 7,
        }
    }

    #[test]
    fn is_zero_sized_and_defaults_to_the_current_version() {
        assert_eq!(std::mem::size_of::<FormatVersion<3>>(), 0);
        let default: FormatVersion<3> = Default::default();
        assert_eq!(default.number(), 3);
        assert_eq!(FormatVersion::<3>.to_string(), "3");
    }

    #[test]
    fn round_trips_as_the_number() {
        let text = serde_json::to_string(&model()).unwrap();
        assert_eq!(text, r#"{"format_version":3,"value":7}"#);
        assert_eq!(serde_json::from_str::<Model>(&text).unwrap(), model());
    }

    #[test]
    fn a_missing_field_is_the_default() {
        let loaded: Model = serde_json::from_str(r#"{"value":7}"#).unwrap();
        assert_eq!(loaded, model());
    }

    #[test]
    fn the_string_form_of_the_current_version_loads() {
        let loaded: Model = serde_json::from_str(r#"{"format_version":"3","value":7}"#).unwrap();
        assert_eq!(loaded, model());
    }

    #[test]
    fn other_versions_are_refused_with_a_message() {
        for (written, found) in [("2", "2"), ("4", "4"), ("-3", "-3"), (r#""2""#, r#""2""#)] {
            let text = format!(r#"{{"format_version":{written},"value":7}}"#);
            let err = serde_json::from_str::<Model>(&text)
                .unwrap_err()
                .to_string();
            let expected = format!("a model of format version {found}; this build reads version 3");
            assert!(err.starts_with(&expected), "{err}");
        }
    }

    #[test]
    fn values_that_are_no_number_are_refused() {
        for written in ["3.0", "null", "[3]", r#""03""#] {
            let text = format!(r#"{{"format_version":{written},"value":7}}"#);
            assert!(serde_json::from_str::<Model>(&text).is_err(), "{written}");
        }
    }
}
