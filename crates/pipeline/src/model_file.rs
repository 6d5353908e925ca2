//! One self-describing model file: a safetensors file whose header carries a JSON manifest and
//! the model's serde state, and whose tensors carry the state's large arrays.
//!
//! Any serde-serialisable state is stored: it is serialised to JSON, every array of at least
//! [`MIN_TENSOR_LEN`] numbers is moved out into a tensor (`f32` where every value is an `f32`,
//! else `f64`; integers as `i64`) and replaced by the string `"tensor:<name>"`; loading puts the
//! arrays back before deserialising. So the arrays are stored as binary, exactly, and the
//! structure stays readable with any safetensors reader (`__metadata__.manifest` and `.state`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Number, Value};

/// Arrays shorter than this stay in the JSON state.
pub const MIN_TENSOR_LEN: usize = 16;

/// The `format` every model file of this crate declares.
pub const FORMAT: &str = "fmnist-pipeline";

/// Header keys.
const MANIFEST_KEY: &str = "manifest";
const STATE_KEY: &str = "state";
const TENSOR_PREFIX: &str = "tensor:";

/// What can go wrong reading or writing a model file. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// The file could not be read or written.
    #[error(transparent)]
    File(#[from] fmnist_core::FileError),
    /// The model cannot be stored (a value that JSON cannot hold, such as a NaN).
    #[error("the model cannot be stored: {0}")]
    Encode(String),
    /// Not a safetensors file at all, or one cut short.
    #[error("{}: not a model file, or a truncated one ({reason})", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What the safetensors reader found.
        reason: String,
    },
    /// A safetensors file without this crate's manifest (another program's tensors, or an
    /// autoencoder's weights).
    #[error("{}: a safetensors file, but not a saved pipeline (it has no fmnist manifest); {hint}", path.display())]
    Foreign {
        /// The file.
        path: PathBuf,
        /// What it probably is.
        hint: &'static str,
    },
    /// A manifest of another format or version.
    #[error("{}: a model of format {found_format:?} version {found_version}, this build reads {FORMAT:?} version {expected}", path.display())]
    Version {
        /// The file.
        path: PathBuf,
        /// The format it declares.
        found_format: String,
        /// The version it declares.
        found_version: u32,
        /// The version this build reads.
        expected: u32,
    },
    /// The manifest or state does not match its tensors, or not the model type.
    #[error("{}: the model does not match its arrays or this build's model ({reason})", path.display())]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// What did not match.
        reason: String,
    },
}

/// The part of every manifest that says what the file is.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// The manifest version the file was written with.
    pub version: u32,
}

/// Writes `manifest` (which must serialise to a JSON object with `format` and `version`) and
/// `state` to `path`, atomically.
///
/// # Errors
/// [`ModelFileError::Encode`] if they cannot be stored; [`ModelFileError::File`] if the file
/// cannot be written.
pub fn save<M: Serialize, S: Serialize>(
    path: &Path,
    manifest: &M,
    state: &S,
) -> Result<(), ModelFileError> {
    fmnist_core::write_bytes_atomically(path, &to_bytes(manifest, state)?)?;
    Ok(())
}

/// The bytes of the model file of `manifest` and `state`, as [`save`] writes them.
///
/// # Errors
/// [`ModelFileError::Encode`] if they cannot be stored (a value serde_json cannot represent).
pub fn to_bytes<M: Serialize, S: Serialize>(
    manifest: &M,
    state: &S,
) -> Result<Vec<u8>, ModelFileError> {
    let encode = |e: &dyn std::fmt::Display| ModelFileError::Encode(e.to_string());
    let manifest = serde_json::to_string(manifest).map_err(|e| encode(&e))?;
    let mut state = serde_json::to_value(state).map_err(|e| encode(&e))?;
    let mut tensors = Vec::new();
    extract_arrays(&mut state, &mut tensors);
    let metadata = HashMap::from([
        (MANIFEST_KEY.to_string(), manifest),
        (STATE_KEY.to_string(), state.to_string()),
    ]);
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|t| Ok((t.name.clone(), t.view()?)))
        .collect::<Result<_, safetensors::SafeTensorError>>()
        .map_err(|e| encode(&e))?;
    safetensors::serialize(views, Some(metadata)).map_err(|e| encode(&e))
}

/// Reads a file written by [`save`]: the manifest and the state, after checking that the
/// manifest's format is [`FORMAT`] and its version `version`.
///
/// # Errors
/// [`ModelFileError`] naming the file: unreadable, corrupt or truncated, foreign, of another
/// version, or not matching its arrays or `S`.
pub fn load<M: DeserializeOwned, S: DeserializeOwned>(
    path: &Path,
    version: u32,
) -> Result<(M, S), ModelFileError> {
    let bytes = std::fs::read(path).map_err(|e| fmnist_core::FileError::new(path, e))?;
    let corrupt = |e: safetensors::SafeTensorError| ModelFileError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let (_, metadata) = SafeTensors::read_metadata(&bytes).map_err(corrupt)?;
    let tensors = SafeTensors::deserialize(&bytes).map_err(corrupt)?;
    let header = metadata.metadata().as_ref();
    let (Some(manifest), Some(state)) = (
        header.and_then(|h| h.get(MANIFEST_KEY)),
        header.and_then(|h| h.get(STATE_KEY)),
    ) else {
        return Err(ModelFileError::Foreign {
            path: path.to_path_buf(),
            hint: foreign_hint(&tensors),
        });
    };
    let mismatch = |reason: String| ModelFileError::Mismatch {
        path: path.to_path_buf(),
        reason,
    };
    check_header(path, manifest, version)?;
    let manifest: M = serde_json::from_str(manifest).map_err(|e| mismatch(e.to_string()))?;
    let mut state: Value = serde_json::from_str(state).map_err(|e| mismatch(e.to_string()))?;
    restore_arrays(&mut state, &tensors).map_err(mismatch)?;
    let state = serde_json::from_value(state).map_err(|e| mismatch(e.to_string()))?;
    Ok((manifest, state))
}

/// The manifest's format and version, or the error that says which differs.
fn check_header(path: &Path, manifest: &str, version: u32) -> Result<(), ModelFileError> {
    let header: Header = serde_json::from_str(manifest).map_err(|e| ModelFileError::Mismatch {
        path: path.to_path_buf(),
        reason: format!("manifest: {e}"),
    })?;
    if header.format != FORMAT || header.version != version {
        return Err(ModelFileError::Version {
            path: path.to_path_buf(),
            found_format: header.format,
            found_version: header.version,
            expected: version,
        });
    }
    Ok(())
}

/// What a safetensors file without a manifest probably is.
fn foreign_hint(tensors: &SafeTensors<'_>) -> &'static str {
    if tensors.names().iter().any(|n| n.starts_with("encoder")) {
        "it looks like autoencoder weights (`fmnist train-ae --out`); pass a model written by `fmnist fit --out`"
    } else {
        "pass a model written by `fmnist fit --out`"
    }
}

/// An array moved out of the JSON state.
struct Extracted {
    name: String,
    dtype: Dtype,
    len: usize,
    bytes: Vec<u8>,
}

impl Extracted {
    fn view(&self) -> Result<TensorView<'_>, safetensors::SafeTensorError> {
        TensorView::new(self.dtype, vec![self.len], &self.bytes)
    }
}

/// Moves every long array of numbers out of `value` into `out`, leaving a reference.
fn extract_arrays(value: &mut Value, out: &mut Vec<Extracted>) {
    match value {
        Value::Array(items) => {
            if let Some(extracted) = as_tensor(items, out.len()) {
                *value = Value::String(format!("{TENSOR_PREFIX}{}", extracted.name));
                out.push(extracted);
            } else {
                items.iter_mut().for_each(|v| extract_arrays(v, out));
            }
        }
        Value::Object(map) => map.values_mut().for_each(|v| extract_arrays(v, out)),
        _ => {}
    }
}

/// `items` as tensor number `index`, if it is a long enough array of numbers.
fn as_tensor(items: &[Value], index: usize) -> Option<Extracted> {
    if items.len() < MIN_TENSOR_LEN || !items.iter().all(Value::is_number) {
        return None;
    }
    let name = format!("t{index}");
    let len = items.len();
    if items.iter().all(|v| v.is_i64()) {
        let bytes = items
            .iter()
            .flat_map(|v| v.as_i64().unwrap_or(0).to_le_bytes());
        return Some(Extracted {
            name,
            dtype: Dtype::I64,
            len,
            bytes: bytes.collect(),
        });
    }
    let values: Vec<f64> = items
        .iter()
        .map(|v| v.as_f64().unwrap_or(f64::NAN))
        .collect();
    if values.iter().all(|&v| f64::from(v as f32) == v) {
        let bytes = values.iter().flat_map(|&v| (v as f32).to_le_bytes());
        Some(Extracted {
            name,
            dtype: Dtype::F32,
            len,
            bytes: bytes.collect(),
        })
    } else {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes());
        Some(Extracted {
            name,
            dtype: Dtype::F64,
            len,
            bytes: bytes.collect(),
        })
    }
}

/// Puts the arrays of `tensors` back where `value` references them.
fn restore_arrays(value: &mut Value, tensors: &SafeTensors<'_>) -> Result<(), String> {
    match value {
        Value::String(s) if s.starts_with(TENSOR_PREFIX) => {
            let name = &s[TENSOR_PREFIX.len()..];
            let view = tensors
                .tensor(name)
                .map_err(|_| format!("the state refers to a missing array {name:?}"))?;
            *value = Value::Array(tensor_values(name, &view)?);
        }
        Value::Array(items) => {
            for v in items {
                restore_arrays(v, tensors)?;
            }
        }
        Value::Object(map) => {
            for v in map.values_mut() {
                restore_arrays(v, tensors)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The numbers of one stored array.
fn tensor_values(name: &str, view: &TensorView<'_>) -> Result<Vec<Value>, String> {
    let data = view.data();
    let number = |n: Option<Number>| n.map_or(Value::Null, Value::Number);
    match view.dtype() {
        Dtype::I64 => Ok(data
            .chunks_exact(8)
            .map(|b| Value::from(i64::from_le_bytes(b.try_into().unwrap_or([0; 8]))))
            .collect()),
        Dtype::F32 => Ok(data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap_or([0; 4])))
            .map(|v| number(Number::from_f64(f64::from(v))))
            .collect()),
        Dtype::F64 => Ok(data
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
            .map(|v| number(Number::from_f64(v)))
            .collect()),
        other => Err(format!("array {name:?} has the unexpected type {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct State {
        weights: Vec<f32>,
        precisions: Vec<f64>,
        labels: Vec<usize>,
        short: Vec<f32>,
        nested: Vec<Vec<f32>>,
        name: String,
    }

    fn state() -> State {
        State {
            weights: (0..100).map(|i| i as f32 / 7.0).collect(),
            precisions: (0..40).map(|i| (i as f64).sqrt() / 3.0).collect(),
            labels: (0..50).map(|i| i % 10).collect(),
            short: vec![1.5, -2.0],
            nested: vec![(0..20).map(|i| i as f32 * 0.1).collect(), vec![0.5]],
            name: "kmeans-raw".into(),
        }
    }

    fn manifest(version: u32) -> Value {
        serde_json::json!({ "format": FORMAT, "version": version, "pipeline": "kmeans-raw" })
    }

    #[test]
    fn a_saved_state_loads_back_exactly_with_its_arrays_as_tensors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.safetensors");
        save(&path, &manifest(1), &state()).unwrap();
        let (m, s): (Value, State) = load(&path, 1).unwrap();
        assert_eq!(m, manifest(1));
        assert_eq!(s, state());
        let bytes = std::fs::read(&path).unwrap();
        let tensors = SafeTensors::deserialize(&bytes).unwrap();
        // weights, precisions, labels and the long nested row; the short arrays stay JSON.
        assert_eq!(tensors.len(), 4);
        let dtypes: Vec<Dtype> = ["t0", "t1", "t2", "t3"]
            .iter()
            .map(|n| tensors.tensor(n).unwrap().dtype())
            .collect();
        assert!(dtypes.contains(&Dtype::F64) && dtypes.contains(&Dtype::I64));
    }

    #[test]
    fn truncated_foreign_and_other_version_files_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.safetensors");
        save(&path, &manifest(2), &state()).unwrap();
        let err = load::<Value, State>(&path, 1).unwrap_err();
        assert!(
            matches!(
                err,
                ModelFileError::Version {
                    found_version: 2,
                    ..
                }
            ),
            "{err}"
        );

        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let err = load::<Value, State>(&path, 2).unwrap_err();
        assert!(matches!(err, ModelFileError::Corrupt { .. }), "{err}");
        assert!(err.to_string().starts_with(&path.display().to_string()));

        std::fs::write(&path, b"{\"not\": \"a model\"}").unwrap();
        assert!(matches!(
            load::<Value, State>(&path, 2),
            Err(ModelFileError::Corrupt { .. })
        ));

        let weights = [0u8; 16];
        let view = TensorView::new(Dtype::F32, vec![4], &weights).unwrap();
        let foreign = safetensors::serialize([("encoder.0.weight", view)], None).unwrap();
        std::fs::write(&path, foreign).unwrap();
        let err = load::<Value, State>(&path, 2).unwrap_err();
        assert!(matches!(err, ModelFileError::Foreign { .. }), "{err}");
        assert!(err.to_string().contains("autoencoder weights"), "{err}");
    }

    #[test]
    fn a_state_that_does_not_match_its_type_is_a_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.safetensors");
        save(
            &path,
            &manifest(1),
            &serde_json::json!({ "weights": "none" }),
        )
        .unwrap();
        let err = load::<Value, State>(&path, 1).unwrap_err();
        assert!(matches!(err, ModelFileError::Mismatch { .. }), "{err}");
    }
}
