//! The README's numbers are the committed run's: every generated section of the root README
//! equals what `fmnist_pipeline::readme` renders from `report/results.json`.

use std::path::Path;

use fmnist_pipeline::Results;

#[test]
fn the_readme_says_what_the_committed_results_say() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let results = Results::read(&root.join("report/results.json")).unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let generated = fmnist_pipeline::readme::update(&readme, &results).unwrap();
    assert!(
        generated == readme,
        "README.md differs from report/results.json; run `cargo xtask readme`"
    );
}

#[test]
fn every_generated_section_has_its_markers_in_the_readme() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for name in [
        "summary",
        "pipelines",
        "all-images",
        "autoencoder",
        "stages",
    ] {
        assert!(
            readme.contains(&format!("<!-- results:{name} -->\n")),
            "{name}"
        );
        assert!(
            readme.contains(&format!("<!-- /results:{name} -->")),
            "{name}"
        );
    }
}
