//! Hostile model files: a saved pipeline with flipped bytes, edited numbers in its header or a
//! cut anywhere either loads and predicts, or is an error; it never panics or aborts.

use std::sync::OnceLock;

use fmnist_io::StratifiedSplit;
use fmnist_pipeline::{FittedPipeline, Silent, SplitData, StudyConfig, named};
use nalgebra::DMatrix;
use proptest::prelude::*;

/// The saved bytes of `kmeans-raw` and `patches-umap-gmm` (quick settings, fitted to the
/// fixtures), and five test images.
fn saved() -> &'static (Vec<Vec<u8>>, DMatrix<f32>) {
    static SAVED: OnceLock<(Vec<Vec<u8>>, DMatrix<f32>)> = OnceLock::new();
    SAVED.get_or_init(|| {
        let data = fmnist_io::fixtures::small().unwrap();
        let parts = SplitData::new(&data, &StratifiedSplit::new()).unwrap();
        let config = StudyConfig::quick();
        let models = ["kmeans-raw", "patches-umap-gmm"]
            .iter()
            .map(|name| {
                let (model, _) =
                    FittedPipeline::fit(named(name).unwrap(), &parts, &config, &Silent).unwrap();
                model.to_bytes().unwrap()
            })
            .collect();
        (models, parts.pixels.test.rows(0, 5).into_owned())
    })
}

/// The length of a safetensors file's JSON header, which follows its 8-byte length.
fn header_len(bytes: &[u8]) -> usize {
    u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize
}

/// One change to a model file.
#[derive(Debug, Clone)]
enum Mutation {
    /// Any byte set to a value.
    Byte(usize, u8),
    /// A digit of the JSON header replaced by another digit: the file stays valid JSON and
    /// valid safetensors, but claims other sizes, counts or versions.
    Digit(usize, u8),
    /// The file cut short.
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Byte(i, b)),
        (any::<usize>(), b'0'..=b'9').prop_map(|(i, d)| Mutation::Digit(i, d)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    let header = 8..8 + header_len(&bytes);
    for m in mutations {
        match *m {
            Mutation::Byte(i, b) => {
                let at = i % bytes.len();
                bytes[at] = b;
            }
            Mutation::Digit(i, d) => {
                let digits: Vec<usize> = header
                    .clone()
                    .filter(|&at| bytes.get(at).is_some_and(u8::is_ascii_digit))
                    .collect();
                if !digits.is_empty() {
                    bytes[digits[i % digits.len()]] = d;
                }
            }
            Mutation::Truncate(at) => bytes.truncate(at % bytes.len().max(1)),
        }
        if bytes.is_empty() {
            break;
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_mutated_model_file_loads_and_predicts_or_is_an_error_naming_the_file(
        which in 0usize..2,
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let (models, images) = saved();
        let bytes = mutate(models[which].clone(), &mutations);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mutated.model");
        std::fs::write(&path, &bytes).unwrap();
        match FittedPipeline::load(&path) {
            Ok(model) => {
                // Whatever it now claims, using it is a result or an error.
                let _ = model.predict(images);
                let _ = model.predict_proba(images);
            }
            Err(error) => {
                let message = error.to_string();
                prop_assert!(message.contains("mutated.model"), "{message}");
                prop_assert!(!message.contains('\n'), "{message}");
            }
        }
    }
}
