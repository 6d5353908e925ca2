//! What the CLI's tests share: the fixture subset, the command, and rewritten copies of
//! the fixtures.

use std::path::Path;

use assert_cmd::Command;
use fmnist_io::IdxTensor;

/// The committed subset of Fashion-MNIST (1,000 training and 200 test images).
pub const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/fashion-mnist-small"
);

/// `fmnist`, blind to a data directory set in the environment.
pub fn fmnist() -> Command {
    let mut command = Command::cargo_bin("fmnist").unwrap();
    command.env_remove("FMNIST_DATA");
    command
}

/// The JSON object a successful run printed on stdout (its stderr shown if it failed).
pub fn json_stdout(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs `command` and returns the JSON object it printed ([`json_stdout`]).
pub fn json_of(command: &mut Command) -> serde_json::Value {
    json_stdout(&command.output().unwrap())
}

/// Writes to `dir` a copy of the fixtures in which `rewrite` has turned each split's images and
/// labels into new ones (gzip-compressed, under the usual names).
pub fn rewritten_fixtures(
    dir: &Path,
    rewrite: impl Fn(IdxTensor, IdxTensor) -> (IdxTensor, IdxTensor),
) {
    for split in ["train", "t10k"] {
        let path =
            |directory: &Path, kind: &str| directory.join(format!("{split}-{kind}-ubyte.gz"));
        let read = |kind| {
            IdxTensor::read(path(Path::new(FIXTURES), kind))
                .unwrap()
                .tensor
        };
        let (images, labels) = rewrite(read("images-idx3"), read("labels-idx1"));
        images.write(path(dir, "images-idx3"), true).unwrap();
        labels.write(path(dir, "labels-idx1"), true).unwrap();
    }
}

/// The fitted steps in a model file written by `fmnist fit` or `cluster --save`: the JSON state
/// in its safetensors header (`__metadata__.state`), large arrays standing as `"tensor:…"`.
pub fn saved_state(model: &Path) -> serde_json::Value {
    let bytes = std::fs::read(model).unwrap();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + len]).unwrap();
    serde_json::from_str(header["__metadata__"]["state"].as_str().unwrap()).unwrap()
}

/// The fitted feature step called `name` in a model file's state (`pca`, `patches`, `umap`, …).
pub fn feature_step<'a>(state: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    state["features"]["steps"]
        .as_array()?
        .iter()
        .find_map(|step| step.get(name))
}

/// The committed JSON Schema of results.json and every `--json` output.
pub const SCHEMA_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../schema/fmnist-v1.schema.json"
);

/// Asserts that `value` is a valid `definition` (a `$defs` entry, as `ClusteringResult`) of the
/// committed schema, listing every violation where it is not.
pub fn assert_follows_schema(value: &serde_json::Value, definition: &str) {
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(SCHEMA_FILE).unwrap()).unwrap();
    let schema = fmnist_pipeline::schema::entry(&document, definition)
        .unwrap_or_else(|| panic!("the schema has no definition {definition}"));
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not a valid {definition}: {errors:#?}\n{value}"
    );
}
