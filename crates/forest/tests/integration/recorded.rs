//! Speed work must not change a forest: digests of forests fitted on real images, recorded from
//! the straightforward implementation (commit f788208: every histogram filled from the node's
//! samples, every split swept over a full class-count histogram), must stay the same bit for bit
//! (trees, thresholds, leaf probabilities, importances, OOB score).
//!
//! The data are the fixture's 1,200 images (training and test) and, to reach the large-node path
//! (nodes of more than 1,024 samples), 2,400 rows: the same images twice, the second time with
//! every pixel dimmed to `p / 2 + 7`. To record new values after a deliberate change of the
//! algorithm, run with `RECORD=1` and paste the printed digests.

use fmnist_forest::{ClassWeight, Criterion, MaxFeatures, RandomForest, RandomForestParams};
use fmnist_io::fixtures;
use nalgebra::DMatrix;

/// The fixture's images, training then test, with their labels; `dimmed` adds them a second time
/// with every pixel `p / 2 + 7`.
fn images(dimmed: bool) -> (DMatrix<u8>, Vec<u8>) {
    let data = fixtures::small().unwrap();
    let mut rows: Vec<&[u8]> = Vec::new();
    let mut y = Vec::new();
    for set in [&data.train, &data.test] {
        rows.extend((0..set.len()).map(|i| set.image(i).unwrap()));
        y.extend_from_slice(set.labels());
    }
    let n = rows.len();
    let d = rows[0].len();
    let copies = if dimmed { 2 } else { 1 };
    let x = DMatrix::from_fn(n * copies, d, |r, j| {
        let p = rows[r % n][j];
        if r < n { p } else { p / 2 + 7 }
    });
    let y = (0..n * copies).map(|r| y[r % n]).collect();
    (x, y)
}

/// FNV-1a of the forest's JSON form.
fn digest(params: &RandomForestParams, x: &DMatrix<u8>, y: &[u8]) -> u64 {
    let forest = params.fit(x, y).unwrap();
    let text = serde_json::to_string(&forest).unwrap();
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The configurations: each branch of the split search (Gini and entropy, uniform and balanced
/// class weights, distinct-sample counting for `min_samples_leaf`, all features, depth limit).
fn configurations() -> Vec<(&'static str, RandomForestParams)> {
    let base = RandomForest::params().n_trees(6).seed(11);
    vec![
        ("default", base.oob_score(true)),
        ("entropy", base.criterion(Criterion::Entropy)),
        ("balanced", base.class_weight(ClassWeight::Balanced)),
        ("min_leaf_3", base.min_samples_leaf(3).min_samples_split(7)),
        (
            "all_features",
            base.n_trees(2)
                .max_features(MaxFeatures::All)
                .bootstrap(false),
        ),
        ("depth_5", base.max_depth(Some(5)).seed(3)),
    ]
}

const RECORDED: [(&str, u64, u64); 6] = [
    ("default", 0x7398c286f74d6895, 0x56867a206d86af56),
    ("entropy", 0xc5eafb0c18c5c0c8, 0x2731dd7b9d9a0ae5),
    ("balanced", 0xccd23ab3202a826f, 0x9ff51870d43ef7d),
    ("min_leaf_3", 0xa10f9132070f3887, 0x1c45921eedee4b05),
    ("all_features", 0xe64c159e2e3efe2d, 0x2895523129950087),
    ("depth_5", 0x77092fdf3bfcd32d, 0xceeb30ebf1b0676b),
];

#[test]
fn forests_are_those_of_the_recorded_implementation() {
    let (small_x, small_y) = images(false);
    let (large_x, large_y) = images(true);
    let record = std::env::var_os("RECORD").is_some();
    for ((name, params), &(recorded_name, small, large)) in configurations().iter().zip(&RECORDED) {
        assert_eq!(*name, recorded_name);
        let got = (
            digest(params, &small_x, &small_y),
            digest(params, &large_x, &large_y),
        );
        if record {
            println!("    (\"{name}\", {:#x}, {:#x}),", got.0, got.1);
        } else {
            assert_eq!(got, (small, large), "{name}");
        }
    }
}
