//! Shared by the integration tests: the fixture subset and its golden values.

use fmnist_io::fixtures;
use nalgebra::DMatrix;

/// The 1,000 training and 200 test images of the fixture subset, scaled to [0, 1].
pub fn fixture_data() -> (DMatrix<f32>, DMatrix<f32>) {
    let data = fixtures::small().expect("the fixture subset loads");
    (data.train.all_features(), data.test.all_features())
}

pub fn golden() -> serde_json::Value {
    let text = std::fs::read_to_string(fixtures::dir().join("cluster/kmeans_golden.json"))
        .expect("fixtures/cluster/kmeans_golden.json exists");
    serde_json::from_str(&text).expect("valid JSON")
}

pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

pub fn indices(v: &serde_json::Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}
