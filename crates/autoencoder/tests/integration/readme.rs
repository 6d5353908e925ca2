//! The README's generated figures against the runs they come from.

use std::path::Path;

/// The row "ours, bf16 products" of the README's seed table: each seed's last validation loss
/// in `results/bf16-seed-S.json` (as `train-ae --json` printed it), then their mean.
#[test]
fn the_readme_bf16_row_says_what_the_committed_runs_say() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let row = readme
        .lines()
        .find(|line| line.starts_with("| ours, bf16 products |"))
        .expect("the README has the bf16 row");
    let last: Vec<f64> = (0..5)
        .map(|seed| {
            let path = dir.join(format!("results/bf16-seed-{seed}.json"));
            let run: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            let losses = run["validation_loss"].as_array().unwrap();
            losses.last().unwrap().as_f64().unwrap()
        })
        .collect();
    let mean = last.iter().sum::<f64>() / last.len() as f64;
    let cells: Vec<String> = last
        .iter()
        .chain([&mean])
        .map(|v| format!("{v:.5}"))
        .collect();
    assert_eq!(
        row,
        format!("| ours, bf16 products | {} |", cells.join(" | "))
    );
}
